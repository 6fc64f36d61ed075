//! A PostgreSQL outage under load (issue 22): the test starts a cluster
//! of its own (`initdb` + `pg_ctl`, its own port and socket directory),
//! runs a server process on it, pushes 20,000 items while a probe writes
//! and asks `/health/ready`, stops the cluster for 4 seconds and starts it
//! again. Every answer in the outage is a 503 with `Retry-After` and
//! `database_unavailable` — never a 500 —, `/health/ready` says the
//! database is gone and then back, the process stays up, and after the
//! client's retries every item is stored exactly once and every platform
//! the probe was told exists exists, once.
//!
//! Skipped where PostgreSQL's binaries are missing, unless
//! `CE_REQUIRE_PG_CLUSTER` is set (CI sets it). Runs only in the SQLite
//! pass of the suite (without `TEST_DATABASE_URL`): it brings its own
//! database either way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ce_sdk::{PlatformClient, PushOptions};
use sea_orm::Database;
use tokio::sync::Mutex;

use crate::crash::{accounting_platform, count, items, seed};
use crate::helpers::*;
use crate::process::Deployment;

/// A PostgreSQL cluster of the test's own, stopped and removed on drop.
struct Cluster {
    pg: OwnPostgres,
    port: u16,
}

impl Cluster {
    /// `None` when PostgreSQL is not installed (and not required).
    fn init() -> Option<Self> {
        let pg = OwnPostgres::new("initdb", "CE_REQUIRE_PG_CLUSTER")?;
        pg.initdb("data");
        Some(Self {
            pg,
            port: crate::process::free_port(),
        })
    }

    fn start(&self) {
        self.pg.start("data", self.port, "");
    }

    fn stop(&self) {
        self.pg.stop("data", "fast");
    }

    fn url(&self) -> String {
        OwnPostgres::url(self.port)
    }
}

/// What the probe saw: status, problem code, whether `Retry-After` came.
type Seen = Arc<Mutex<Vec<(&'static str, u16, String, bool)>>>;

#[tokio::test]
async fn a_postgresql_outage_under_load_is_answered_503_and_loses_nothing() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return;
    }
    let Some(cluster) = Cluster::init() else {
        eprintln!("skipped: no PostgreSQL binaries (set CE_REQUIRE_PG_CLUSTER to fail)");
        return;
    };
    cluster.start();
    let (mut deployment, vault, _dir) = Deployment::fresh().await;
    deployment.database_url = cluster.url();
    // A request waits at most a second for a connection: an outage longer
    // than that is answered, not waited out.
    deployment
        .env
        .push(("APP__DATABASE__ACQUIRE_TIMEOUT_SECONDS".into(), "1".into()));
    let started = std::time::Instant::now();
    let server = deployment.start().await;
    eprintln!("outage: server up at {:?}", started.elapsed());
    let db = Database::connect(&deployment.database_url).await.unwrap();
    let ids = seed(&db, &vault, 200).await;
    db.close().await.ok();
    let items = items(&ids);
    assert_eq!(items.len(), 20_000);
    let (client_id, secret) = accounting_platform(&server.url).await;
    let hrss = match ce_sdk::Client::new(&server.url)
        .login("hrss-admin", HRSS_PASSWORD)
        .await
        .unwrap()
    {
        ce_sdk::Login::Done(c) => c,
        ce_sdk::Login::CodeSent { .. } => panic!("MFA is off"),
    };

    // The load: the SDK's client pushes in batches of 100 and retries
    // what it is told to retry, for as long as the outage lasts.
    let pusher = {
        let client =
            PlatformClient::new(&server.url, &client_id, &secret).with_options(PushOptions {
                batch_size: 100,
                max_attempts: 30,
                base_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(2),
                ..PushOptions::default()
            });
        let items = items.clone();
        tokio::spawn(async move { client.push_all(&items).await })
    };
    // The probe: a write (a platform of its own each time) and a readiness
    // check every 50 ms, remembering every answer.
    let seen: Seen = Arc::default();
    let created: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let probe = {
        let (seen, created, stop, hrss, url) = (
            seen.clone(),
            created.clone(),
            stop.clone(),
            hrss.clone(),
            server.url.clone(),
        );
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let name = format!("探测平台{n:05}");
                let body = serde_json::to_vec(&serde_json::json!({
                    "name": name, "categories": ["public"], "series_families": ["health"]
                }))
                .unwrap();
                if let Ok(r) = hrss
                    .send_raw(
                        reqwest::Method::POST,
                        "/api/v1/platforms",
                        Some("application/json"),
                        body,
                    )
                    .await
                {
                    let code = r.problem().map(|p| p.code).unwrap_or_default();
                    let retry = r.headers.contains_key("retry-after");
                    if r.status == 201 {
                        created.lock().await.push(name);
                    }
                    seen.lock().await.push(("write", r.status, code, retry));
                }
                if let Ok(r) = http.get(format!("{url}/health/ready")).send().await {
                    seen.lock()
                        .await
                        .push(("ready", r.status().as_u16(), String::new(), false));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    // Let the push get going, then take the database away for 4 seconds.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!pusher.is_finished(), "the push ended before the outage");
    eprintln!("outage: stopping the cluster at {:?}", started.elapsed());
    cluster.stop();
    tokio::time::sleep(Duration::from_secs(4)).await;
    cluster.start();
    eprintln!("outage: cluster back at {:?}", started.elapsed());

    let report = tokio::time::timeout(Duration::from_secs(300), pusher)
        .await
        .expect("the push did not finish after the outage")
        .unwrap()
        .expect("the push gave up");
    eprintln!("outage: push done at {:?}", started.elapsed());
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    probe.await.unwrap();

    // Honest answers: no 500 anywhere; the outage was 503 with
    // Retry-After and its code; readiness went down and came back.
    let seen = seen.lock().await.clone();
    let errors: Vec<_> = seen.iter().filter(|s| s.1 >= 500 && s.1 != 503).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let outage: Vec<_> = seen
        .iter()
        .filter(|s| s.0 == "write" && s.1 == 503)
        .collect();
    assert!(!outage.is_empty(), "the probe never met the outage");
    assert!(
        outage.iter().all(|s| s.2 == "database_unavailable" && s.3),
        "{outage:?}"
    );
    let ready: Vec<u16> = seen
        .iter()
        .filter(|s| s.0 == "ready")
        .map(|s| s.1)
        .collect();
    assert!(ready.contains(&503), "{ready:?}");
    assert_eq!(ready.last(), Some(&200), "{ready:?}");

    // Nothing lost, nothing doubled.
    assert_eq!(report.rejected, 0, "{:?}", report.rejected_items().next());
    assert_eq!(report.accepted + report.duplicate, 20_000);
    let db = Database::connect(&deployment.database_url).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM records").await, 20_000);
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT external_id) FROM records").await,
        20_000
    );
    let created = created.lock().await.clone();
    assert!(!created.is_empty());
    for name in &created {
        assert_eq!(
            count(
                &db,
                &format!("SELECT COUNT(*) FROM platforms WHERE name = '{name}'")
            )
            .await,
            1,
            "{name}"
        );
    }
    db.close().await.ok();
    // The process stayed up throughout.
    let live = reqwest::get(format!("{}/health/live", server.url))
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    server.kill_9().await;
}
