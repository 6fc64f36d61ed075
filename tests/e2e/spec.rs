//! The committed `openapi.yaml` is what the server serves, and every
//! operation is documented.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn openapi_yaml_equals_the_served_spec() {
    let app = spawn_app().await;
    let committed: Value =
        serde_yaml::from_str(include_str!("../../openapi.yaml")).expect("openapi.yaml parses");
    assert!(
        committed == app.served_spec().await,
        "openapi.yaml is stale: run `cargo run -p ce-api --bin gen-openapi > openapi.yaml && cp openapi.yaml sdk/openapi.yaml`"
    );
}

#[tokio::test]
async fn every_operation_has_one_tag_a_summary_and_described_responses() {
    let app = spawn_app().await;
    let spec = app.served_spec().await;
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["info"]["license"]["identifier"].is_string());
    let mut count = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            count += 1;
            let at = format!("{method} {path}");
            assert_eq!(
                op["tags"].as_array().map(Vec::len),
                Some(1),
                "{at}: exactly one tag"
            );
            let summary = op["summary"].as_str().unwrap_or("");
            assert!(
                !summary.is_empty() && !summary.contains('\n'),
                "{at}: a one-line summary"
            );
            assert!(op["operationId"].is_string(), "{at}: an operationId");
            assert!(op["security"].is_array(), "{at}: security stated");
            for (status, res) in op["responses"].as_object().unwrap() {
                let d = res["description"].as_str().unwrap_or("");
                assert!(!d.is_empty(), "{at} {status}: a description");
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        res["content"]["application/problem+json"].is_object(),
                        "{at} {status}: problem+json"
                    );
                }
            }
        }
    }
    assert!(count >= 14, "only {count} operations");
}
