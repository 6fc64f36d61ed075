//! The read replica (issue 21): the test starts a PostgreSQL primary and
//! a real streaming replica of it (`pg_basebackup -R`, a standby on
//! another port), runs the server with `DATABASE_URL` = the primary and
//! `DATABASE_READ_URL` = the standby, then pauses the standby's replay
//! (`pg_wal_replay_pause()`) and writes through the API. The writes
//! succeed and the reads that must see them (the push read back, by batch
//! and by `batch_id`, the record, a review with its history, the person's
//! compliance, sign-in, the new unit) see them at once — the primary
//! answered —, while the heavy reads (statistics and its CSV export, the
//! records list, the unit dashboard, the units, persons, certificates and
//! audit lists) still show the world as it was when replay paused: the
//! paused standby answered. A second server with a lag bound
//! of one second sends them to the primary once the standby lags more
//! than that. After `pg_wal_replay_resume()` the heavy reads catch up; and
//! with the standby stopped, `/health/ready` stays 200, says `unreachable`,
//! and the heavy reads come from the primary.
//!
//! Skipped where PostgreSQL's binaries are missing, unless
//! `CE_REQUIRE_PG_REPLICA` is set (CI sets it). It brings its own two
//! clusters whatever `TEST_DATABASE_URL` says.

use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::process::{Deployment, Server};

/// A primary and its standby, the test's own: stopped (by their data
/// directories) and removed on drop, also when the test fails.
struct Clusters {
    pg: OwnPostgres,
    primary_port: u16,
    standby_port: u16,
}

/// What a primary and its hot standby run with.
const REPLICATION: &str = "-c wal_level=replica -c max_wal_senders=5 -c hot_standby=on";

impl Clusters {
    /// `None` when PostgreSQL is not installed (and not required).
    fn init() -> Option<Self> {
        let pg = OwnPostgres::new("pg_basebackup", "CE_REQUIRE_PG_REPLICA")?;
        // initdb's pg_hba.conf trusts replication connections from
        // 127.0.0.1 with `-A trust`.
        pg.initdb("primary");
        Some(Self {
            pg,
            primary_port: crate::process::free_port(),
            standby_port: crate::process::free_port(),
        })
    }

    fn start_primary(&self) {
        self.pg.start("primary", self.primary_port, REPLICATION);
    }

    /// The standby: a base backup of the running primary with `-R` (its
    /// `standby.signal` and `primary_conninfo`), started on its own port.
    fn start_standby(&self) {
        self.pg.run(
            "pg_basebackup",
            &format!(
                "-h 127.0.0.1 -p {} -U postgres -D {}/standby -R -X stream -c fast",
                self.primary_port,
                self.pg.dir.display()
            ),
        );
        self.pg.start("standby", self.standby_port, REPLICATION);
    }

    fn stop_standby(&self) {
        self.pg.stop("standby", "immediate");
    }

    fn url(port: u16) -> String {
        OwnPostgres::url(port)
    }
}

async fn sql(db: &DatabaseConnection, q: &str) -> Option<sea_orm::QueryResult> {
    db.query_one_raw(Statement::from_string(DbBackend::Postgres, q))
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"))
}

/// Waits until the standby has replayed everything the primary wrote.
async fn caught_up(primary: &DatabaseConnection, standby: &DatabaseConnection) {
    let lsn: String = sql(primary, "SELECT pg_current_wal_lsn()::text AS l")
        .await
        .unwrap()
        .try_get("", "l")
        .unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let done: bool = sql(
            standby,
            &format!("SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn AS d"),
        )
        .await
        .unwrap()
        .try_get("", "d")
        .unwrap();
        if done {
            return;
        }
        assert!(Instant::now() < until, "the standby did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `GET /api/v1{path}`: the status and the body.
async fn get(c: &ce_sdk::Client, path: &str) -> (u16, Vec<u8>) {
    let r = c
        .send_raw(Method::GET, &format!("/api/v1{path}"), None, vec![])
        .await
        .unwrap();
    (r.status, r.body)
}

async fn get_json(c: &ce_sdk::Client, path: &str) -> Value {
    let (status, body) = get(c, path).await;
    assert_eq!(
        status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

/// What the heavy reads answer, side by side.
#[derive(Debug, PartialEq)]
struct Heavy {
    statistics: Value,
    statistics_csv: String,
    /// Person 1's records (`GET /records?person_id=`).
    records_of_p1: usize,
    dashboard: Value,
    /// Units whose name has the test's marker (`GET /units?q=`).
    units: usize,
    /// Persons named 李四 (`GET /persons?name=`).
    persons: usize,
    /// The newest audit event's id.
    newest_event: Value,
    /// Certificates of the year (`GET /certificates?year=`).
    certificates: usize,
}

async fn heavy(hrss: &ce_sdk::Client, year: i32, p1: Uuid, unit: Uuid) -> Heavy {
    let (status, csv) = get(
        hrss,
        &format!("/statistics/export?year={year}&group_by=series"),
    )
    .await;
    assert_eq!(status, 200);
    Heavy {
        statistics: get_json(hrss, &format!("/statistics?year={year}&group_by=series")).await,
        statistics_csv: String::from_utf8(csv).unwrap(),
        records_of_p1: get_json(hrss, &format!("/records?person_id={p1}&limit=500")).await["items"]
            .as_array()
            .unwrap()
            .len(),
        dashboard: get_json(hrss, &format!("/units/{unit}/compliance?year={year}")).await,
        units: get_json(hrss, "/units?q=%E5%89%AF%E6%9C%AC").await["items"]
            .as_array()
            .unwrap()
            .len(),
        persons: get_json(hrss, "/persons?name=%E6%9D%8E%E5%9B%9B").await["items"]
            .as_array()
            .unwrap()
            .len(),
        newest_event: get_json(hrss, "/audit-events?limit=1").await["items"][0]["id"].clone(),
        certificates:
            get_json(hrss, &format!("/certificates?year={year}&limit=500")).await["items"]
                .as_array()
                .unwrap()
                .len(),
    }
}

/// The approved public hours of every group of a statistics answer.
fn public_hours(statistics: &Value) -> f64 {
    statistics["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["approved_hours"]["public"].as_f64().unwrap())
        .sum()
}

async fn ready(server: &Server) -> Value {
    let r = reqwest::get(format!("{}/health/ready", server.url))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "/health/ready");
    r.json().await.unwrap()
}

/// Polls `/health/ready` until the replica's status is `status`.
async fn replica_becomes(server: &Server, status: &str) -> Value {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let h = ready(server).await;
        if h["replica"]["status"] == status {
            return h;
        }
        assert!(
            Instant::now() < until,
            "the replica did not become {status}: {h}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A person registered and signed in on `url` (MFA is off).
async fn signed_in(url: &str, name: &str) -> Signed {
    let (id, phone) = (id_card_no(), phone_no());
    let mut reg = registration(&id, &phone);
    reg.name = name.parse().unwrap();
    let me = ce_sdk::call!(ce_sdk::Client::new(url).api().auth_register(&reg)).unwrap();
    let client = match ce_sdk::Client::new(url).login(&id, PASSWORD).await.unwrap() {
        ce_sdk::Login::Done(c) => c,
        ce_sdk::Login::CodeSent { .. } => panic!("MFA is off"),
    };
    Signed {
        person: Person {
            id_card_no: id,
            phone,
            password: PASSWORD.into(),
            me,
        },
        client,
    }
}

/// Guangzhou Yuexiu's finance department on the server at `url`, under
/// the province's and the city's, each approved by the one above (R-ACC-4,
/// R-AU-1).
async fn yuexiu_finance(url: &str, hrss: &ce_sdk::Client) -> ce_sdk::Client {
    use ce_sdk::types::AuthorityLevel;
    let mut approver = hrss.clone();
    let mut parent = None;
    for (level, region) in [
        (AuthorityLevel::Province, "440000"),
        (AuthorityLevel::City, "440100"),
        (AuthorityLevel::District, ACCOUNTANTS_REGION),
    ] {
        let department = signed_in(url, "张三").await;
        let applied = ce_sdk::call!(department.client.api().authority_apply(
            None,
            &authority_application(level, region, &["accounting"], parent)
        ))
        .expect("applying");
        let approved = ce_sdk::call!(approver.api().authority_review(
            &applied.id,
            None,
            &decision(ce_sdk::types::Decision::Approve)
        ))
        .expect("approving");
        parent = Some(approved.id);
        approver = department.client;
    }
    approver
}

fn items(id_card_no: &str, prefix: &str, n: usize, year: i32) -> Value {
    let at = chrono::Utc::now().to_rfc3339();
    let items: Vec<Value> = (0..n)
        .map(|k| {
            json!({
                "external_id": format!("{prefix}-{k}"),
                "id_card_no": id_card_no,
                "name": "张三",
                "year": year,
                "category": "public",
                "course_name": "中国式现代化",
                "hours": 1.0,
                "general_knowledge": false,
                "completed_at": at,
            })
        })
        .collect();
    json!({ "items": items })
}

#[tokio::test]
async fn heavy_reads_are_served_by_the_streaming_replica_and_writes_with_their_read_backs_by_the_primary()
 {
    let Some(clusters) = Clusters::init() else {
        eprintln!("skipped: no PostgreSQL binaries (set CE_REQUIRE_PG_REPLICA to fail)");
        return;
    };
    let started = Instant::now();
    clusters.start_primary();
    clusters.start_standby();
    eprintln!("replica: primary and standby up at {:?}", started.elapsed());

    let dir = std::env::temp_dir().join(format!("ce-proc-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = TempDir(dir.clone());
    let key: [u8; 32] = rand::random();
    let vault = ce_api::crypto::PiiVault::new(&key).unwrap();
    let deployment = Deployment {
        data_dir: dir,
        database_url: Clusters::url(clusters.primary_port),
        jwt_secret: format!("jwt-{}", Uuid::now_v7().simple()),
        pii_key: key.iter().map(|b| format!("{b:02x}")).collect(),
        hrss_password: HRSS_PASSWORD.into(),
        env: vec![
            (
                "DATABASE_READ_URL".into(),
                Clusters::url(clusters.standby_port),
            ),
            ("APP__DATABASE__READ_CHECK_MS".into(), "100".into()),
        ],
    };
    // Server A: no lag bound, the standby answers however far behind.
    let mut unbounded = deployment.clone();
    unbounded
        .env
        .push(("APP__DATABASE__READ_MAX_LAG_SECONDS".into(), "0".into()));
    let a = unbounded.start().await;
    // Server B: a bound of one second.
    let mut bounded = deployment.clone();
    bounded
        .env
        .push(("APP__DATABASE__READ_MAX_LAG_SECONDS".into(), "1".into()));
    let b = bounded.start().await;
    eprintln!("replica: servers up at {:?}", started.elapsed());
    assert_eq!(ready(&a).await["replica"]["status"], "serving");

    // The world: a unit with three accountants bound to it, and a
    // platform that has pushed five public hours for the first.
    let primary = Database::connect(&deployment.database_url).await.unwrap();
    let standby = Database::connect(&Clusters::url(clusters.standby_port))
        .await
        .unwrap();
    let year = this_year();
    let ids = crate::crash::seed(&primary, &vault, 3).await;
    let unit = crate::statistics::insert_unit(&primary, "副本测试单位", "440106").await;
    let mut persons = Vec::new();
    for id in &ids {
        let row = sql(
            &primary,
            &format!(
                "SELECT id FROM persons WHERE id_card_hash = '{}'",
                vault.hash("id_card", id)
            ),
        )
        .await
        .unwrap();
        let pid: Uuid = row.try_get("", "id").unwrap();
        crate::statistics::bind(&primary, pid, unit).await;
        persons.push(pid);
    }
    let (client_id, secret) = crate::crash::accounting_platform(&a.url).await;
    let platform = ce_sdk::Client::new(&a.url)
        .client_credentials(&client_id, &secret)
        .await
        .unwrap();
    let hrss = match ce_sdk::Client::new(&a.url)
        .login("hrss-admin", HRSS_PASSWORD)
        .await
        .unwrap()
    {
        ce_sdk::Login::Done(c) => c,
        ce_sdk::Login::CodeSent { .. } => panic!("MFA is off"),
    };
    let hrss_b = ce_sdk::Client::new(&b.url).with_token(hrss.token().unwrap());
    let finance = yuexiu_finance(&a.url, &hrss).await;
    call_ok(
        &platform,
        Method::POST,
        "/records/batch",
        items(&ids[0], "before", 5, year),
    )
    .await;
    caught_up(&primary, &standby).await;

    // Replay pauses: from here the standby shows the world as it is now.
    sql(
        &standby,
        "SELECT 1 FROM (SELECT pg_wal_replay_pause()) AS p",
    )
    .await;
    let until = Instant::now() + Duration::from_secs(10);
    while sql(&standby, "SELECT pg_get_wal_replay_pause_state() AS s")
        .await
        .unwrap()
        .try_get::<String>("", "s")
        .unwrap()
        != "paused"
    {
        assert!(Instant::now() < until, "replay did not pause");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("replica: replay paused at {:?}", started.elapsed());
    let p1 = persons[1];
    let compliance_before = get_json(&hrss, &format!("/persons/{p1}/compliance?year={year}")).await;
    let before = heavy(&hrss, year, p1, unit).await;
    // The standby holds the world (not an empty database): five hours.
    assert_eq!(
        public_hours(&before.statistics),
        5.0,
        "{}",
        before.statistics
    );
    assert_eq!(before.records_of_p1, 0);

    // Writes through the API, and the reads that must see them.
    let pushed = call_ok(
        &platform,
        Method::POST,
        "/records/batch",
        items(&ids[1], "paused", 7, year),
    )
    .await;
    let batch = pushed["batch_id"].as_str().unwrap().to_string();
    let back = get_json(&platform, &format!("/records/batch/{batch}")).await;
    let recorded: Vec<&Value> = back["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["record_id"].is_string())
        .collect();
    assert_eq!(recorded.len(), 7, "the push read back: {back}");
    let record_id = recorded[0]["record_id"].as_str().unwrap();
    get_json(&hrss, &format!("/records/{record_id}")).await;
    // The platform reading back by batch: the primary's records.
    let by_batch = get_json(&platform, &format!("/records?batch_id={batch}")).await;
    assert_eq!(by_batch["items"].as_array().unwrap().len(), 7);
    let compliance_now = get_json(&hrss, &format!("/persons/{p1}/compliance?year={year}")).await;
    assert_ne!(
        compliance_now, compliance_before,
        "compliance sees the push at once (the primary)"
    );
    // A new person (sign-in reads the primary) and the unit they register.
    let li = signed_in(&a.url, "李四").await;
    let mut new_unit = unit_request(&credit_code());
    new_unit.name = "副本之后的单位".parse().unwrap();
    let created = call_ok(
        &li.client,
        Method::POST,
        "/units",
        serde_json::to_value(&new_unit).unwrap(),
    )
    .await;
    let new_unit: Uuid = id_of(&created).parse().unwrap();
    get_json(&li.client, &format!("/units/{new_unit}")).await;
    // A review: an accountant of that unit, of Yuexiu, declares a passed
    // exam subject, Yuexiu's finance department confirms it (R-ACC-4),
    // which completes the year (R-ACC-2) and
    // issues the certificate (R-CE-1); the record with its review history
    // and the person's compliance read it at once.
    let wang = signed_in(&a.url, "张三").await;
    let wang_id = wang.person_id();
    ce_sdk::call!(wang.client.api().person_verify(
        &wang_id,
        &ce_sdk::types::VerificationRequest {
            name: "张三".parse().unwrap(),
            id_card_no: wang.person.id_card_no.parse().unwrap(),
        }
    ))
    .unwrap();
    ce_sdk::call!(li.client.api().unit_person_add(
        &new_unit,
        None,
        &ce_sdk::types::UnitPersonAddRequest {
            id_card_no: wang.person.id_card_no.parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .unwrap();
    call_ok(
        &wang.client,
        Method::PATCH,
        &format!("/persons/{wang_id}"),
        json!({ "series": ["accounting"], "series_year": year, "region": ACCOUNTANTS_REGION }),
    )
    .await;
    let declared = crate::certificates::exam_subject(&wang, "中级会计实务").await;
    ce_sdk::call!(finance.api().record_review(
        &declared.id,
        None,
        &decision(ce_sdk::types::Decision::Approve)
    ))
    .expect("the finance department confirming");
    let reviewed = get_json(&wang.client, &format!("/records/{}", declared.id)).await;
    assert_eq!(reviewed["record"]["status"], "approved", "{reviewed}");
    assert_eq!(reviewed["reviews"][0]["decision"], "approve", "{reviewed}");
    let standing = get_json(
        &wang.client,
        &format!("/persons/{wang_id}/compliance?year={year}"),
    )
    .await;
    assert_eq!(standing["complete"], true, "{standing}");

    // The heavy reads: as when replay paused — the standby answered.
    let paused = heavy(&hrss, year, p1, unit).await;
    assert_eq!(
        paused, before,
        "the heavy reads came from the paused standby"
    );
    let h = ready(&a).await;
    assert_eq!(h["replica"]["status"], "serving", "{h}");
    let metrics = reqwest::get(format!("{}/metrics", a.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("db_replica_serving 1\n"), "{metrics}");
    assert!(metrics.contains("db_replica_lag_seconds "), "{metrics}");

    // Server B's bound: once the standby lags more than a second, its
    // heavy reads come from the primary.
    let h = replica_becomes(&b, "lagging").await;
    assert!(h["replica"]["lag_seconds"].as_f64().unwrap() > 1.0, "{h}");
    let from_primary = get_json(&hrss_b, &format!("/statistics?year={year}&group_by=series")).await;
    assert_eq!(public_hours(&from_primary), 12.0, "{from_primary}");
    // …while A, unbounded, still answers from the standby.
    let still = get_json(&hrss, &format!("/statistics?year={year}&group_by=series")).await;
    assert_eq!(public_hours(&still), 5.0);
    eprintln!("replica: paused checks done at {:?}", started.elapsed());

    // Replay resumes: the heavy reads catch up.
    sql(
        &standby,
        "SELECT 1 FROM (SELECT pg_wal_replay_resume()) AS r",
    )
    .await;
    caught_up(&primary, &standby).await;
    let until = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let now = heavy(&hrss, year, p1, unit).await;
        if now.records_of_p1 == 7 || Instant::now() > until {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(after.records_of_p1, 7);
    assert_eq!(
        public_hours(&after.statistics),
        12.0,
        "{}",
        after.statistics
    );
    assert_ne!(after.statistics_csv, before.statistics_csv);
    assert_ne!(after.dashboard, before.dashboard);
    assert_eq!(after.units, before.units + 1);
    assert_eq!(after.persons, before.persons + 1);
    assert_ne!(after.newest_event, before.newest_event);
    assert_eq!(after.certificates, before.certificates + 1);
    replica_becomes(&b, "serving").await;

    // The standby stops: still ready, the heavy reads from the primary.
    clusters.stop_standby();
    let h = replica_becomes(&a, "unreachable").await;
    assert!(h["replica"].get("lag_seconds").is_none(), "{h}");
    call_ok(
        &platform,
        Method::POST,
        "/records/batch",
        items(&ids[2], "down", 2, year),
    )
    .await;
    let s = get_json(&hrss, &format!("/statistics?year={year}&group_by=series")).await;
    assert_eq!(public_hours(&s), 14.0, "{s}");
    eprintln!("replica: done at {:?}", started.elapsed());
    primary.close().await.ok();
}

/// The read pool cannot write, on either backend: a code path that wrote
/// through `AppState::read_db()` fails in the tests (`CE_TEST_READ_POOL=1`
/// runs the suite's reads through it), not only against a standby.
#[tokio::test]
async fn the_read_pool_refuses_writes() {
    let dir = std::env::temp_dir().join(format!("ce-read-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = TempDir(dir.clone());
    let url = fresh_database(&dir).await;
    let mut settings = ce_api::config::Settings {
        data_dir: dir,
        database_url: Some(url.clone()),
        database_read_url: Some(url),
        ..Default::default()
    };
    settings.database.max_connections = Some(2);
    let primary = ce_api::db::connect_and_migrate(&settings).await.unwrap();
    let replica = ce_api::db::replica::Replica::connect(&settings, &primary)
        .await
        .unwrap()
        .expect("a read pool");
    assert!(
        replica.serving(),
        "a read-only handle on the primary lags nothing"
    );
    let backend = primary.get_database_backend();
    let write = "UPDATE cache_generations SET generation = generation + 1";
    primary
        .execute_raw(Statement::from_string(backend, write))
        .await
        .expect("the primary writes");
    let err = replica
        .db
        .execute_raw(Statement::from_string(backend, write))
        .await
        .expect_err("the read pool refuses to write");
    let msg = err.to_string();
    assert!(
        msg.contains("read-only") || msg.contains("readonly"),
        "{msg}"
    );
    let read = replica
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM cache_generations",
        ))
        .await
        .expect("the read pool reads");
    assert!(read.is_some());
}
