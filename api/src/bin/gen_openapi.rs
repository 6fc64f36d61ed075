//! Prints the OpenAPI document the server publishes, as YAML:
//! `cargo run -p ce-api --bin gen-openapi > openapi.yaml`.

fn main() -> anyhow::Result<()> {
    print!("{}", ce_api::openapi::spec_yaml()?);
    Ok(())
}
