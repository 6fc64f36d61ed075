//! Scale-out (issue 9): two API processes on one database under concurrent
//! writes — the same items pushed through both at once are counted once,
//! and each completed year gets one certificate, whichever process
//! completed it. In CI this runs on SQLite and on PostgreSQL.

use ce_sdk::PlatformClient;
use sea_orm::{ConnectionTrait, Database};

use crate::crash::{accounting_platform, count, items, one_certificate_each, seed};
use crate::process::Deployment;

const PERSONS: usize = 20;

#[tokio::test]
async fn r_ce_1_two_server_processes_on_one_database_count_concurrent_pushes_once_and_certify_once()
{
    let (deployment, vault, _cleanup) = Deployment::fresh().await;
    let a = deployment.start().await;
    let b = deployment.start().await;
    let db = Database::connect(&deployment.database_url).await.unwrap();
    let ids = seed(&db, &vault, PERSONS).await;
    let items = items(&ids);
    let (id, secret) = accounting_platform(&a.url).await;

    // The same 2,000 items through both processes at once, in batches of
    // 100 so that the two interleave.
    let client = |url: &str| {
        let options = ce_sdk::PushOptions {
            batch_size: 100,
            ..Default::default()
        };
        PlatformClient::new(url, &id, &secret).with_options(options)
    };
    let (via_a, via_b) = (client(&a.url), client(&b.url));
    let (ra, rb) = tokio::join!(via_a.push_all(&items), via_b.push_all(&items));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!((ra.rejected, rb.rejected), (0, 0));
    assert_eq!(
        ra.accepted + rb.accepted,
        items.len(),
        "each item accepted once"
    );
    assert_eq!(
        ra.duplicate + rb.duplicate,
        items.len(),
        "and a duplicate in the other"
    );

    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM records").await,
        items.len() as i64
    );
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT external_id) FROM records").await,
        items.len() as i64
    );
    one_certificate_each(&db, PERSONS).await;
    a.kill_9().await;
    b.kill_9().await;
}

/// Issue 17: two processes pushing different items for the same persons at
/// once change the same standing lines; no increment is lost and neither
/// backend deadlocks — afterwards every standing equals a rebuild from the
/// records, and each completed year has one certificate.
#[tokio::test]
async fn r_req_2_two_processes_changing_the_same_standings_lose_no_update() {
    let (deployment, vault, _cleanup) = Deployment::fresh().await;
    let a = deployment.start().await;
    let b = deployment.start().await;
    let db = Database::connect(&deployment.database_url).await.unwrap();
    let ids = seed(&db, &vault, PERSONS).await;
    let first: Vec<serde_json::Value> = items(&ids)
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect();
    // The same hours again under other external ids: other records, the
    // same persons, years and lines.
    let second: Vec<serde_json::Value> = first
        .iter()
        .map(|i| {
            let mut i = i.clone();
            let ext = format!("again-{}", i["external_id"].as_str().unwrap());
            i["external_id"] = ext.into();
            i
        })
        .collect();
    let (id, secret) = accounting_platform(&a.url).await;
    let client = |url: &str| {
        let options = ce_sdk::PushOptions {
            batch_size: 50,
            ..Default::default()
        };
        PlatformClient::new(url, &id, &secret).with_options(options)
    };
    let (via_a, via_b) = (client(&a.url), client(&b.url));
    let (ra, rb) = tokio::join!(via_a.push_all(&first), via_b.push_all(&second));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!((ra.accepted, rb.accepted), (first.len(), second.len()));
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM records").await,
        (first.len() + second.len()) as i64
    );
    // Every person holds 200 hours: the lines say so, equal to a rebuild.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM standings WHERE public_tenths + professional_tenths <> 2000",
        )
        .await,
        0
    );
    one_certificate_each(&db, PERSONS).await;
    a.kill_9().await;
    b.kill_9().await;
    crate::standing::assert_standings_equal_a_rebuild(&deployment.database_url).await;
    // The operator's command does the same.
    let out = tokio::process::Command::new(crate::process::binary().await)
        .arg("rebuild-standings")
        .env("DATA_DIR", &deployment.data_dir)
        .env("DATABASE_URL", &deployment.database_url)
        .env("PII_KEY", &deployment.pii_key)
        .env("JWT_SECRET", &deployment.jwt_secret)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("rebuilt {PERSONS} standings")),
        "{text}"
    );
}

/// A cache's figure on one process (`cache_hits_total{cache="verify"}`).
async fn cache_figure(url: &str, metric: &str, cache: &str) -> u64 {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!("{metric}{{cache=\"{cache}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in the metrics"))
        .parse()
        .unwrap()
}

/// Asks `ask` until it answers `want`, at most 1.5 s; answers how long
/// that took.
async fn until<F, Fut>(want: &str, mut ask: F) -> std::time::Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let start = std::time::Instant::now();
    loop {
        let got = ask().await;
        if got == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_millis(1500),
            "still {got:?} after {:?}, want {want:?}",
            start.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// R-CE-3, issue 21: the verify answer is held in each process's memory;
/// a certificate revoked through process A verifies `revoked` on A at
/// once and on process B, which held it `valid`, within a second.
#[tokio::test]
async fn r_ce_3_a_revoked_certificate_verifies_revoked_on_every_process_within_a_second() {
    let (deployment, vault, _cleanup) = Deployment::fresh().await;
    let a = deployment.start().await;
    let b = deployment.start().await;
    let db = Database::connect(&deployment.database_url).await.unwrap();
    let ids = seed(&db, &vault, 1).await;
    let (id, secret) = accounting_platform(&a.url).await;
    let report = PlatformClient::new(&a.url, &id, &secret)
        .push_all(&items(&ids))
        .await
        .unwrap();
    assert_eq!(report.rejected, 0);
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id, number FROM certificates",
        ))
        .await
        .unwrap()
        .expect("the push completed the year: a certificate");
    let cert: uuid::Uuid = row.try_get("", "id").unwrap();
    let number: String = row.try_get("", "number").unwrap();
    let status = |url: String| {
        let number = number.clone();
        async move {
            let v: serde_json::Value = reqwest::get(format!("{url}/api/v1/verify/{number}"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["status"].as_str().unwrap().to_string()
        }
    };
    // B reads it once from the database, then from memory.
    assert_eq!(status(b.url.clone()).await, "valid");
    let hits = cache_figure(&b.url, "cache_hits_total", "verify").await;
    assert_eq!(status(b.url.clone()).await, "valid");
    assert_eq!(
        cache_figure(&b.url, "cache_hits_total", "verify").await,
        hits + 1,
        "B answered the second verify from memory"
    );
    assert_eq!(status(a.url.clone()).await, "valid");
    assert_eq!(status(a.url.clone()).await, "valid");

    let hrss = match ce_sdk::Client::new(&a.url)
        .login("hrss-admin", crate::helpers::HRSS_PASSWORD)
        .await
        .unwrap()
    {
        ce_sdk::Login::Done(c) => c,
        ce_sdk::Login::CodeSent { .. } => panic!("MFA is off"),
    };
    let r = hrss
        .send_raw(
            reqwest::Method::POST,
            &format!("/api/v1/certificates/{cert}/revoke"),
            Some("application/json"),
            serde_json::to_vec(&serde_json::json!({"reason": "学时造假，见信用记录"})).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // A, which changed it, answers `revoked` at once ...
    assert_eq!(status(a.url.clone()).await, "revoked");
    // ... B within a second.
    let took = until("revoked", || status(b.url.clone())).await;
    eprintln!("B verified the revocation after {took:?}");
    a.kill_9().await;
    b.kill_9().await;
}

/// Issue 21: each process holds accounts' grants in memory; an evaluator
/// revoked through process A (R-CE-5) loses the role at once on A and,
/// though B held its grants, within a second on B.
#[tokio::test]
async fn r_ce_5_a_revoked_grant_stops_working_on_every_process_within_a_second() {
    let (deployment, _vault, _cleanup) = Deployment::fresh().await;
    let a = deployment.start().await;
    let b = deployment.start().await;
    let anonymous = ce_sdk::Client::new(&a.url);
    let (id_card, phone) = (crate::helpers::id_card_no(), crate::helpers::phone_no());
    ce_sdk::call!(
        anonymous
            .api()
            .auth_register(&crate::helpers::registration(&id_card, &phone))
    )
    .expect("registering");
    let login = |url: String, account: String, password: &'static str| async move {
        match ce_sdk::Client::new(&url)
            .login(&account, password)
            .await
            .unwrap()
        {
            ce_sdk::Login::Done(c) => c,
            ce_sdk::Login::CodeSent { .. } => panic!("MFA is off"),
        }
    };
    let hrss = login(
        a.url.clone(),
        "hrss-admin".into(),
        crate::helpers::HRSS_PASSWORD,
    )
    .await;
    let officer_a = login(a.url.clone(), id_card.clone(), crate::helpers::PASSWORD).await;
    let officer_b = ce_sdk::Client::new(&b.url).with_token(officer_a.token().unwrap());
    // Before the grant, B reads the officer's grants: a person's. The
    // grant through A shows on B within a second too.
    let check = |c: ce_sdk::Client| async move {
        let body = serde_json::json!({
            "applicants": [{"id_card_no": "11010519491231002X", "name": "张三"}],
        });
        let r = c
            .send_raw(
                reqwest::Method::POST,
                "/api/v1/certificates/checks",
                Some("application/json"),
                serde_json::to_vec(&body).unwrap(),
            )
            .await
            .unwrap();
        r.status.to_string()
    };
    assert_eq!(check(officer_b.clone()).await, "403");
    let r = hrss
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/evaluators",
            Some("application/json"),
            serde_json::to_vec(&serde_json::json!({
                "name": "广州市会计系列高级职称评审委员会",
                "id_card_no": id_card,
                "series": ["accounting"],
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let evaluator: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(check(officer_a.clone()).await, "200", "A at once");
    until("200", || check(officer_b.clone())).await;
    // B holds the grants now.
    let hits = cache_figure(&b.url, "cache_hits_total", "grants").await;
    assert_eq!(check(officer_b.clone()).await, "200");
    assert!(
        cache_figure(&b.url, "cache_hits_total", "grants").await > hits,
        "B authenticated the officer from memory"
    );

    let r = hrss
        .send_raw(
            reqwest::Method::DELETE,
            &format!("/api/v1/evaluators/{}", evaluator["id"].as_str().unwrap()),
            None,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(check(officer_a.clone()).await, "403", "A at once");
    let took = until("403", || check(officer_b.clone())).await;
    eprintln!("B refused the revoked evaluator after {took:?}");
    a.kill_9().await;
    b.kill_9().await;
}
