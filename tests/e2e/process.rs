//! The real server binary as a child process, for what an in-process server
//! cannot show: `kill -9`, several processes on one database.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// `target/<profile>/ce-api`, built once per test run; or the binary
/// `CE_SERVER_BINARY` names (e.g. a release build, to measure it).
pub async fn binary() -> PathBuf {
    static BUILT: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            if let Some(path) = std::env::var_os("CE_SERVER_BINARY") {
                return PathBuf::from(path);
            }
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "-q", "-p", "ce-api", "--bin", "ce-api"])
                .status()
                .await
                .expect("running cargo build");
            assert!(status.success(), "building ce-api");
            // target/debug/deps/e2e-… → target/debug/ce-api
            let exe = std::env::current_exe().expect("the test binary's path");
            exe.parent()
                .and_then(Path::parent)
                .expect("target/<profile>")
                .join("ce-api")
        })
        .await
        .clone()
}

/// What the processes of one deployment share.
#[derive(Clone)]
pub struct Deployment {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub jwt_secret: String,
    /// Hex, as `PII_KEY` takes it.
    pub pii_key: String,
    pub hrss_password: String,
    /// More settings for the processes (`APP__…` variables).
    pub env: Vec<(String, String)>,
}

/// One server process.
pub struct Server {
    pub child: Child,
    pub url: String,
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Deployment {
    /// A new deployment: its own directory (removed with the guard), a
    /// fresh database (`TEST_DATABASE_URL` or SQLite), random keys; and the
    /// PII vault the servers will use, to arrange data directly.
    pub async fn fresh() -> (Self, ce_api::crypto::PiiVault, crate::helpers::TempDir) {
        let dir = std::env::temp_dir().join(format!("ce-proc-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("the deployment's directory");
        let key: [u8; 32] = rand::random();
        let deployment = Deployment {
            data_dir: dir.clone(),
            database_url: crate::helpers::fresh_database(&dir).await,
            jwt_secret: format!("jwt-{}", uuid::Uuid::now_v7().simple()),
            pii_key: key.iter().map(|b| format!("{b:02x}")).collect(),
            hrss_password: crate::helpers::HRSS_PASSWORD.into(),
            env: Vec::new(),
        };
        let vault = ce_api::crypto::PiiVault::new(&key).expect("a PII key");
        (deployment, vault, crate::helpers::TempDir(dir))
    }

    /// Starts a process and waits until it answers `/health/ready`.
    pub async fn start(&self) -> Server {
        let port = free_port();
        let child = Command::new(binary().await)
            .env("DATA_DIR", &self.data_dir)
            .env("DATABASE_URL", &self.database_url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", &self.jwt_secret)
            .env("PII_KEY", &self.pii_key)
            .env("MFA_REQUIRED", "false")
            .env("BOOTSTRAP_HRSS_PASSWORD", &self.hrss_password)
            .env("APP__LIMITS__LOGIN_PER_MINUTE", "100000")
            .env("APP__LIMITS__REGISTER_PER_MINUTE", "100000")
            .env("APP__LIMITS__TOKEN_PER_MINUTE", "100000")
            .env("APP__LIMITS__VERIFY_PER_MINUTE", "100000")
            .env("APP__LIMITS__EVALUATOR_CHECKS_PER_MINUTE", "100000")
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("starting ce-api");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(r) = http.get(format!("{url}/health/ready")).send().await
                && r.status().is_success()
            {
                return Server { child, url };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ce-api did not become ready on {url}");
    }
}

impl Server {
    /// `kill -9`: no shutdown, no flush, whatever was in flight is cut.
    pub async fn kill_9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("reaping the server");
    }
}
