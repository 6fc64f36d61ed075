//! The SDK carries a copy of the spec so that it builds outside the
//! workspace (`cargo install --path sdk` from a copy of the directory);
//! in the workspace, build.rs reads the root `openapi.yaml`. The two must
//! be the same document, or an installed `ce-push` would speak another API.

use std::path::Path;

#[test]
fn the_sdk_copy_of_openapi_yaml_equals_the_workspace_one() {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = sdk.join("../openapi.yaml");
    let Ok(root) = std::fs::read_to_string(&workspace) else {
        // Built alone, from a copy: the copy is the spec.
        return;
    };
    let copy = std::fs::read_to_string(sdk.join("openapi.yaml")).expect("sdk/openapi.yaml");
    assert!(
        root == copy,
        "sdk/openapi.yaml differs from openapi.yaml: run `cp openapi.yaml sdk/openapi.yaml`"
    );
}
