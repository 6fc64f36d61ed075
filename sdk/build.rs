//! Generates the client from the spec with progenitor: the workspace's
//! `../openapi.yaml` when there is one (the server's own, as it changes),
//! else the copy beside this file, so that the crate builds alone
//! (`cargo install --path sdk` from a copy of this directory). A test
//! (`tests/spec_copy.rs`) keeps the copy identical to the workspace's.
//!
//! The server publishes OpenAPI 3.1; progenitor reads 3.0. The conversion:
//! type arrays → `nullable`, `oneOf[X, null]` → `allOf[X]` + `nullable`,
//! `examples` → `example`, `const` → `enum`, no `license.identifier`, and
//! one request content type per operation (JSON preferred).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

fn main() {
    if let Err(e) = run() {
        eprintln!("sdk build failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let workspace_spec = manifest.join("..").join("openapi.yaml");
    let own_spec = manifest.join("openapi.yaml");
    let spec_path = if workspace_spec.is_file() {
        workspace_spec
    } else {
        own_spec
    };
    // Only the file read: a path that does not exist would rerun this
    // script (and rebuild the crate) on every build outside the workspace.
    println!("cargo:rerun-if-changed={}", spec_path.display());
    println!("cargo:rerun-if-changed=build.rs");
    let text =
        std::fs::read_to_string(&spec_path).map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let spec31: Value = serde_yaml::from_str(&text)?;
    let spec30 = to_openapi_30(spec31);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("openapi-3.0.json"),
        serde_json::to_string_pretty(&spec30)?,
    )?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(spec30)?;
    let mut generator = progenitor::Generator::default();
    let tokens = generator.generate_tokens(&spec)?;
    let ast = syn::parse2(tokens)?;
    write(&out.join("codegen.rs"), &prettyplease::unparse(&ast))?;
    Ok(())
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// The whole document, 3.1 → 3.0.
pub fn to_openapi_30(mut spec: Value) -> Value {
    spec["openapi"] = json!("3.0.3");
    if let Some(license) = spec
        .pointer_mut("/info/license")
        .and_then(Value::as_object_mut)
    {
        license.remove("identifier");
    }
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            if let Some(item) = item.as_object_mut() {
                for op in item.values_mut() {
                    one_request_content_type(op);
                }
            }
        }
    }
    convert(&mut spec);
    spec
}

fn one_request_content_type(op: &mut Value) {
    let Some(content) = op
        .pointer_mut("/requestBody/content")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if content.len() > 1 {
        let keep = if content.contains_key("application/json") {
            "application/json".to_string()
        } else {
            content.keys().next().cloned().unwrap_or_default()
        };
        content.retain(|k, _| *k == keep);
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn convert(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(convert),
        Value::Object(map) => {
            convert_schema(map);
            map.values_mut().for_each(convert);
        }
        _ => {}
    }
}

fn convert_schema(map: &mut Map<String, Value>) {
    // type: [X, "null"] → type: X, nullable: true
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        let non_null: Vec<Value> = types
            .iter()
            .filter(|t| t.as_str() != Some("null"))
            .cloned()
            .collect();
        if non_null.len() < types.len() {
            map.insert("nullable".into(), json!(true));
        }
        match non_null.as_slice() {
            [one] => {
                map.insert("type".into(), one.clone());
            }
            _ => {
                map.remove("type");
            }
        }
    }
    // oneOf/anyOf: [X, {type: null}] → allOf: [X], nullable: true
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(alts)) = map.get(key).cloned()
            && alts.iter().any(is_null_schema)
        {
            let rest: Vec<Value> = alts.into_iter().filter(|a| !is_null_schema(a)).collect();
            map.remove(key);
            map.insert("nullable".into(), json!(true));
            if rest.len() == 1 {
                map.insert("allOf".into(), Value::Array(rest));
            } else {
                map.insert(key.into(), Value::Array(rest));
            }
        }
    }
    // examples: [a, …] → example: a (schema examples only; media-type
    // `examples` are maps and stay)
    if let Some(Value::Array(examples)) = map.get("examples").cloned() {
        map.remove("examples");
        if let Some(first) = examples.into_iter().next() {
            map.insert("example".into(), first);
        }
    }
    // const: v → enum: [v]
    if let Some(c) = map.remove("const") {
        map.insert("enum".into(), json!([c]));
    }
    // 3.1 numeric exclusive bounds → 3.0 boolean form
    for (ex, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(n) = map.get(ex).filter(|v| v.is_number()).cloned() {
            map.insert(bound.into(), n);
            map.insert(ex.into(), json!(true));
        }
    }
    // 3.1 allows siblings of $ref; 3.0 ignores them — keep only the $ref.
    if map.contains_key("$ref") && map.len() > 1 {
        let r = map.get("$ref").cloned().unwrap_or(Value::Null);
        let nullable = map.get("nullable").cloned();
        map.clear();
        match nullable {
            Some(n) => {
                map.insert("allOf".into(), json!([{ "$ref": r }]));
                map.insert("nullable".into(), n);
            }
            None => {
                map.insert("$ref".into(), r);
            }
        }
    }
}
