//! `ce-push`: pushes a CSV or JSON Lines file of completions as a learning
//! platform. See `ce_sdk::cli` (or `ce-push --help`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(ce_sdk::cli::main(std::env::args_os()).await)
}
