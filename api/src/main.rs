//! `ce-api`: telemetry → settings → application → serve.

use ce_api::config::Settings;
use ce_api::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    ce_api::telemetry::init();
    let settings = Settings::load()?;
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "listening");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
