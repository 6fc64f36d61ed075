//! The benchmark (issue 9): `cargo bench --bench benchmark` (see the README).
//!
//! One run, on this machine, against the release server binary started as a
//! child process, prints for SQLite and — when `DATABASE_URL` names a
//! PostgreSQL server — for PostgreSQL:
//!
//! 1. platform push throughput (records/s) over HTTP through the SDK's
//!    [`PlatformClient`], batches of 1,000, into a database already holding
//!    100,000 persons and 1,000,000 records;
//! 2. the physical limit: the same rows inserted straight through the same
//!    driver (sea-orm on sqlx), 1,000 per transaction, and push / raw;
//! 3. person compliance read latency p50 / p99 under 16 concurrent clients;
//! 4. public verify throughput and `/health/live`'s, same client, and their
//!    ratio;
//! 5. a login storm: persons registered through the API (their password
//!    hashed by the server), then `STORM_LOGINS` sign-ins over
//!    `STORM_CONNECTIONS` concurrent connections;
//! 6. the server's peak RSS (`VmHWM`) over the whole run, the login storm
//!    and the per-lesson push included.
//!
//! It is not a test: it asserts only that the work was done (every item
//! accepted, every certificate issued, no failed request), and prints the
//! figures beside the issue's targets. Smaller runs for a quick look:
//! `CE_BENCH_PERSONS`, `CE_BENCH_PUSH` (items pushed), `CE_BENCH_SECONDS`
//! (per read phase), `CE_BENCH_PUSHERS` (concurrent platform clients).
//!
//! PostgreSQL at scale (issue 21): with `CE_BENCH_DATABASE_URL` set, one
//! run against that PostgreSQL server only, its world seeded by `COPY`
//! ([`scale`]): `CE_BENCH_PERSONS=1000000 CE_BENCH_RECORDS=10000000`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use ce_api::crypto::PiiVault;
use ce_entity::{person, person_series, record, record_key};
use ce_sdk::{PlatformClient, PushOptions};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, EntityTrait, Set, Statement, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;
use tokio::process::{Child, Command};
use uuid::Uuid;

#[path = "../common/rows.rs"]
mod rows;

#[path = "../common/logins.rs"]
mod logins;
mod scale;

const HRSS_PASSWORD: &str = "Bench-Hrss-Passw0rd";
/// Concurrent clients of the read phases (the issue's figure).
const READERS: usize = 16;
/// Records each seeded person already has: two a year over five years.
const SEEDED_PER_PERSON: usize = 10;
/// Items pushed per person: 3 public and 7 professional of 10 hours (2 of
/// them general knowledge) complete an accountant's year (R-ACC-1), so the
/// push issues each person's certificate on the way (R-CE-1).
const ITEMS_PER_PERSON: usize = 10;

struct Config {
    persons: usize,
    pushed: usize,
    seconds: u64,
    pushers: usize,
    /// Persons of the per-lesson case (issue 17), with their history.
    lesson_persons: usize,
    /// Lessons pushed for them in the current year.
    lessons: usize,
    /// `CE_BENCH_DATABASE_URL`: the PostgreSQL server of a run at scale,
    /// seeded by `COPY`; SQLite is not run then.
    at_scale: Option<String>,
}

/// Lesson records each per-lesson person holds in each of the past four
/// years (half an hour each).
const LESSONS_PER_YEAR: usize = 180;

fn env_or(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v:?}")),
        Err(_) => Ok(default),
    }
}

impl Config {
    fn from_env() -> anyhow::Result<Self> {
        let c = Config {
            persons: env_or("CE_BENCH_PERSONS", 100_000)?,
            pushed: env_or("CE_BENCH_PUSH", 100_000)?,
            seconds: env_or("CE_BENCH_SECONDS", 10)? as u64,
            pushers: env_or("CE_BENCH_PUSHERS", 2)?.max(1),
            lesson_persons: env_or("CE_BENCH_LESSON_PERSONS", 10_000)?,
            lessons: env_or("CE_BENCH_LESSONS", 100_000)?,
            at_scale: std::env::var("CE_BENCH_DATABASE_URL")
                .ok()
                .filter(|u| !u.is_empty()),
        };
        let records = env_or("CE_BENCH_RECORDS", c.persons * SEEDED_PER_PERSON)?;
        ensure!(
            records == c.persons * SEEDED_PER_PERSON,
            "CE_BENCH_RECORDS must be {SEEDED_PER_PERSON} × CE_BENCH_PERSONS (each seeded person's five years of history)"
        );
        ensure!(
            c.lesson_persons > 0 || c.lessons == 0,
            "CE_BENCH_LESSONS needs CE_BENCH_LESSON_PERSONS"
        );
        ensure!(
            c.pushed.is_multiple_of(ITEMS_PER_PERSON) && c.pushed / ITEMS_PER_PERSON <= c.persons,
            "CE_BENCH_PUSH must be a multiple of {ITEMS_PER_PERSON} and at most {ITEMS_PER_PERSON} × CE_BENCH_PERSONS"
        );
        Ok(c)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    ensure_wrk().await?;
    let server = build_server().await?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("ce benchmark — {}", Utc::now().format("%Y-%m-%d %H:%M UTC"));
    println!(
        "machine: {cores} cores, {}; server {}",
        cpu_model(),
        server.display()
    );
    println!(
        "size: {} persons, {} records before the push; {} items pushed in batches of 1,000 by {} clients",
        cfg.persons,
        cfg.persons * SEEDED_PER_PERSON,
        cfg.pushed,
        cfg.pushers
    );
    println!(
        "per-lesson case: {} more persons holding {} lessons of 0.5 h in each of the past four years, then {} lessons pushed for this year",
        cfg.lesson_persons, LESSONS_PER_YEAR, cfg.lessons
    );
    let mut results = vec![];
    if let Some(url) = &cfg.at_scale {
        println!("at scale: PostgreSQL only, seeded by COPY (CE_BENCH_DATABASE_URL)");
        results.push(run(&cfg, &server, Backend::Postgres(url.clone())).await?);
    } else {
        results.push(run(&cfg, &server, Backend::Sqlite).await?);
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                results.push(run(&cfg, &server, Backend::Postgres(url)).await?);
            }
            _ => println!("\n(PostgreSQL skipped: DATABASE_URL is not set)"),
        }
    }
    println!("\n== summary (targets on 2 cores in brackets)");
    for r in &results {
        r.print_summary();
    }
    Ok(())
}

/// `target/release/ce-api`, built now (the bench profile is `release`).
async fn build_server() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "-q",
            "--release",
            "-p",
            "ce-api",
            "--bin",
            "ce-api",
        ])
        .status()
        .await
        .context("running cargo build")?;
    ensure!(status.success(), "building ce-api failed");
    // target/release/deps/benchmark-… → target/release/ce-api
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("no target directory above {}", exe.display()))?;
    Ok(dir.join("ce-api"))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

#[derive(Clone)]
enum Backend {
    Sqlite,
    /// The server's URL; the benchmark makes and drops its own database.
    Postgres(String),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }

    /// The database URL for this run, and the name of a PostgreSQL database
    /// to drop afterwards.
    async fn database(&self, dir: &Path) -> anyhow::Result<(String, Option<String>)> {
        match self {
            Backend::Sqlite => Ok((
                format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
                None,
            )),
            Backend::Postgres(admin) => {
                let name = format!("ce_bench_{}", Uuid::now_v7().simple());
                let db = Database::connect(admin)
                    .await
                    .context("connecting to DATABASE_URL")?;
                db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                db.close().await?;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                Ok((format!("{base}/{name}"), Some(name)))
            }
        }
    }

    async fn drop_database(&self, name: &str) -> anyhow::Result<()> {
        if let Backend::Postgres(admin) = self {
            let db = Database::connect(admin).await?;
            db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
            db.close().await?;
        }
        Ok(())
    }
}

/// The server process of one backend's run.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// Starts the server on `key` (the PII key) and waits until it is ready.
    async fn start(
        exe: &Path,
        dir: &Path,
        database_url: &str,
        key: &[u8; 32],
    ) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(dir.join("server.log"))?;
        let child = Command::new(exe)
            .env("DATA_DIR", dir)
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", format!("bench-{}", Uuid::new_v4().simple()))
            .env("PII_KEY", hex(key))
            .env("MFA_REQUIRED", "false")
            .env("BOOTSTRAP_HRSS_PASSWORD", HRSS_PASSWORD)
            // The read phases come from one address, far above a person's rate.
            .env("APP__LIMITS__VERIFY_PER_MINUTE", "1000000000")
            .env("APP__LIMITS__TOKEN_PER_MINUTE", "1000000")
            .env("APP__LIMITS__LOGIN_PER_MINUTE", "1000000")
            .env("APP__LIMITS__REGISTER_PER_MINUTE", "1000000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = http.get(format!("{url}/health/ready")).send().await
                && r.status().is_success()
            {
                return Ok(Server { child, url });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("ce-api did not become ready; see {}", dir.display())
    }

    /// The highest resident set the process has had (`VmHWM`), in MiB.
    fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        let pid = self
            .child
            .id()
            .ok_or_else(|| anyhow!("the server exited"))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("no VmHWM in /proc/{pid}/status"))?;
        Ok(kb / 1024.0)
    }
}

/// The PII key as `PII_KEY` takes it; the same key opens a [`PiiVault`].
fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// A valid 18-character ID number, unique per `i` below 336,000 × 40
/// (a birth year from 1960 for each 336,000).
fn id_card_no(i: usize) -> String {
    let body = format!(
        "440106{}{:02}{:02}{:03}",
        1960 + i / 336_000,
        (i / 28_000) % 12 + 1,
        (i / 1_000) % 28 + 1,
        i % 1_000
    );
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// The current year in China time, as the server counts it.
fn this_year() -> i32 {
    (Utc::now() + chrono::Duration::hours(8)).year()
}

#[derive(Serialize, Clone)]
struct Item {
    external_id: String,
    id_card_no: String,
    name: &'static str,
    year: i32,
    category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    series: Option<&'static str>,
    course_name: &'static str,
    hours: f64,
    general_knowledge: bool,
    completed_at: DateTime<Utc>,
}

impl Item {
    fn new(person: usize, k: usize, id_card_no: &str, completed_at: DateTime<Utc>) -> Self {
        let (category, series, course_name, general_knowledge) = match k {
            0..3 => ("public", None, "中国式现代化", false),
            3..5 => ("professional", Some("accounting"), "会计职业道德", true),
            _ => ("professional", Some("accounting"), "企业会计准则", false),
        };
        Item {
            external_id: format!("bench-{person:06}-{k:02}"),
            id_card_no: id_card_no.to_string(),
            name: "张三",
            year: this_year(),
            category,
            series,
            course_name,
            hours: 10.0,
            general_knowledge,
            completed_at,
        }
    }

    /// A lesson of half an hour (issue 17's per-lesson case): professional,
    /// of a person who has not completed the year.
    fn lesson(person: usize, k: usize, id_card_no: &str, completed_at: DateTime<Utc>) -> Self {
        Item {
            external_id: format!("lesson-{person:06}-{k:03}"),
            id_card_no: id_card_no.to_string(),
            name: "张三",
            year: this_year(),
            category: "professional",
            series: Some("accounting"),
            course_name: "会计实务在线课程",
            hours: 0.5,
            general_knowledge: false,
            completed_at,
        }
    }

    /// The record the server would write for this item, as a direct insert.
    fn row(
        &self,
        person_id: Uuid,
        platform: (Uuid, &str),
        now: DateTime<Utc>,
    ) -> record::ActiveModel {
        let public = self.category == "public";
        record::ActiveModel {
            id: Set(Uuid::now_v7()),
            person_id: Set(person_id),
            year: Set(self.year),
            category: Set(self.category.into()),
            series_code: Set(self.series.map(Into::into)),
            course_name: Set(self.course_name.into()),
            hours_tenths: Set((self.hours * 10.0).round() as i32),
            approved_tenths: Set((self.hours * 10.0).round() as i32),
            result: Set(None),
            source: Set(if public {
                "public_course"
            } else {
                "platform_push"
            }
            .into()),
            provider_id: Set(None),
            provider_name: Set(Some(platform.1.into())),
            class_id: Set(None),
            platform_id: Set(Some(platform.0)),
            external_id: Set(Some(self.external_id.clone())),
            unit_id: Set(None),
            status: Set(ce_entity::state::RecordStatus::Approved),
            attachment_ids: Set(json!([])),
            completed_at: Set(Some(self.completed_at)),
            conversion_code: Set(None),
            general_knowledge: Set(self.general_knowledge),
            topic: Set(None),
            origin: Set(None),
            invalidated_reason: Set(None),
            authority_id: Set(None),
            results_published_on: Set(None),
            initial_training: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| anyhow!("no row for {sql}"))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

async fn strings(db: &DatabaseConnection, sql: &str) -> anyhow::Result<Vec<String>> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).map_err(Into::into))
        .collect()
}

/// Creates an accounting platform as hrss: its id, client id and secret.
async fn platform(hrss: &ce_sdk::Client, name: &str) -> anyhow::Result<(Uuid, String, String)> {
    let body = serde_json::to_vec(&json!({
        "name": name,
        "categories": ["public", "professional"],
        "series_families": ["accounting"],
    }))?;
    let r = hrss
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/platforms",
            Some("application/json"),
            body,
        )
        .await?;
    ensure!(
        r.status == 201,
        "creating a platform: {} {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    let v: serde_json::Value = serde_json::from_slice(&r.body)?;
    let field = |k: &str| {
        v[k].as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no {k} in {v}"))
    };
    Ok((
        field("id")?.parse()?,
        field("client_id")?,
        field("client_secret")?,
    ))
}

/// Persons (verified accountants every year seeded) and their history:
/// `SEEDED_PER_PERSON` approved records each over the last five years,
/// pushed earlier by `history`. Written straight to the database, 1,000
/// rows a statement. Returns the persons' ids, in the order of `ids`.
async fn seed(
    db: &DatabaseConnection,
    vault: &PiiVault,
    ids: &[String],
    history: Uuid,
) -> anyhow::Result<Vec<Uuid>> {
    let now = Utc::now();
    let year = this_year();
    let years = year - 4..=year;
    let mut person_ids = Vec::with_capacity(ids.len());
    for (c, chunk) in ids.chunks(1_000).enumerate() {
        let txn = db.begin().await?;
        let mut persons = Vec::with_capacity(chunk.len());
        let mut series = Vec::with_capacity(chunk.len() * 5);
        let mut records = Vec::with_capacity(chunk.len() * SEEDED_PER_PERSON);
        for (j, id) in chunk.iter().enumerate() {
            let i = c * 1_000 + j;
            let pid = Uuid::now_v7();
            person_ids.push(pid);
            persons.push(rows::verified_person(
                pid,
                "张三",
                rows::StoredIdCard {
                    hash: vault.hash("id_card", id),
                    enc: vault.encrypt(id)?,
                    masked: format!("{}********{}", &id[..6], &id[14..]),
                },
                now,
            ));
            for y in years.clone() {
                series.push(person_series::ActiveModel {
                    person_id: Set(pid),
                    year: Set(y),
                    series_code: Set("accounting".into()),
                    created_at: Set(now),
                });
            }
            for k in 0..SEEDED_PER_PERSON {
                let y = year - 4 + (k / 2) as i32;
                let at = Utc
                    .with_ymd_and_hms(y, 1 + (k % 2) as u32 * 5, 15, 2, 0, 0)
                    .single()
                    .ok_or_else(|| anyhow!("a date in {y}"))?;
                let public = k % 2 == 0;
                records.push(record::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    person_id: Set(pid),
                    year: Set(y),
                    category: Set(if public { "public" } else { "professional" }.into()),
                    series_code: Set((!public).then(|| "accounting".into())),
                    course_name: Set(if public { "公需课" } else { "会计实务" }.into()),
                    hours_tenths: Set(50),
                    approved_tenths: Set(50),
                    result: Set(Some("合格".into())),
                    source: Set(if public {
                        "public_course"
                    } else {
                        "platform_push"
                    }
                    .into()),
                    provider_id: Set(None),
                    provider_name: Set(Some("历史平台".into())),
                    class_id: Set(None),
                    platform_id: Set(Some(history)),
                    external_id: Set(Some(format!("seed-{i:06}-{k:02}"))),
                    unit_id: Set(None),
                    status: Set(ce_entity::state::RecordStatus::Approved),
                    attachment_ids: Set(json!([])),
                    completed_at: Set(Some(at)),
                    conversion_code: Set(None),
                    general_knowledge: Set(false),
                    topic: Set(None),
                    origin: Set(None),
                    invalidated_reason: Set(None),
                    authority_id: Set(None),
                    results_published_on: Set(None),
                    initial_training: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                    version: Set(1),
                });
            }
        }
        person::Entity::insert_many(persons).exec(&txn).await?;
        person_series::Entity::insert_many(series)
            .exec(&txn)
            .await?;
        insert_records(&txn, &records).await?;
        txn.commit().await?;
    }
    Ok(person_ids)
}

/// Records as the push writes them: on PostgreSQL each platform item's key
/// (`record_keys`) first, then the records, 1,000 rows a statement (SQLite
/// keeps the key in `records`' own unique index).
async fn insert_records<C: ConnectionTrait>(
    conn: &C,
    records: &[record::ActiveModel],
) -> anyhow::Result<()> {
    for rows in records.chunks(1_000) {
        let keys: Vec<record_key::ActiveModel> = rows
            .iter()
            .filter_map(|r| {
                Some(record_key::ActiveModel {
                    platform_id: Set(r.platform_id.clone().unwrap()?),
                    external_id: Set(r.external_id.clone().unwrap()?),
                    record_id: Set(r.id.clone().unwrap()),
                    year: Set(r.year.clone().unwrap()),
                })
            })
            .collect();
        if !keys.is_empty() && conn.get_database_backend() == sea_orm::DbBackend::Postgres {
            record_key::Entity::insert_many(keys).exec(conn).await?;
        }
        record::Entity::insert_many(rows.to_vec())
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// The per-lesson persons (issue 17): verified accountants, each holding
/// `LESSONS_PER_YEAR` half-hour lessons in each of the past four years,
/// written straight to the database.
async fn seed_lessons(
    db: &DatabaseConnection,
    vault: &PiiVault,
    ids: &[String],
    history: Uuid,
) -> anyhow::Result<Vec<Uuid>> {
    let now = Utc::now();
    let year = this_year();
    let mut person_ids = Vec::with_capacity(ids.len());
    for (c, chunk) in ids.chunks(100).enumerate() {
        let txn = db.begin().await?;
        let mut persons = Vec::with_capacity(chunk.len());
        let mut series = Vec::with_capacity(chunk.len() * 5);
        let mut records = Vec::with_capacity(chunk.len() * LESSONS_PER_YEAR * 4);
        for (j, id) in chunk.iter().enumerate() {
            let i = c * 100 + j;
            let pid = Uuid::now_v7();
            person_ids.push(pid);
            persons.push(rows::verified_person(
                pid,
                "张三",
                rows::StoredIdCard {
                    hash: vault.hash("id_card", id),
                    enc: vault.encrypt(id)?,
                    masked: format!("{}********{}", &id[..6], &id[14..]),
                },
                now,
            ));
            for y in year - 4..=year {
                series.push(person_series::ActiveModel {
                    person_id: Set(pid),
                    year: Set(y),
                    series_code: Set("accounting".into()),
                    created_at: Set(now),
                });
            }
            for y in year - 4..year {
                let at = Utc
                    .with_ymd_and_hms(y, 6, 15, 2, 0, 0)
                    .single()
                    .ok_or_else(|| anyhow!("a date in {y}"))?;
                for k in 0..LESSONS_PER_YEAR {
                    records.push(record::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        person_id: Set(pid),
                        year: Set(y),
                        category: Set("professional".into()),
                        series_code: Set(Some("accounting".into())),
                        course_name: Set("会计实务在线课程".into()),
                        hours_tenths: Set(5),
                        approved_tenths: Set(5),
                        result: Set(Some("合格".into())),
                        source: Set("platform_push".into()),
                        provider_id: Set(None),
                        provider_name: Set(Some("历史平台".into())),
                        class_id: Set(None),
                        platform_id: Set(Some(history)),
                        external_id: Set(Some(format!("lesson-seed-{i:06}-{y}-{k:03}"))),
                        unit_id: Set(None),
                        status: Set(ce_entity::state::RecordStatus::Approved),
                        attachment_ids: Set(json!([])),
                        completed_at: Set(Some(at)),
                        conversion_code: Set(None),
                        general_knowledge: Set(false),
                        topic: Set(None),
                        origin: Set(None),
                        invalidated_reason: Set(None),
                        authority_id: Set(None),
                        results_published_on: Set(None),
                        initial_training: Set(false),
                        created_at: Set(now),
                        updated_at: Set(now),
                        version: Set(1),
                    });
                }
            }
        }
        person::Entity::insert_many(persons).exec(&txn).await?;
        person_series::Entity::insert_many(series)
            .exec(&txn)
            .await?;
        insert_records(&txn, &records).await?;
        txn.commit().await?;
    }
    Ok(person_ids)
}

/// Pushes `items` through the SDK, `pushers` clients each on its share;
/// answers records a second.
async fn push_through(
    url: &str,
    client_id: &str,
    secret: &str,
    pushers: usize,
    items: Vec<Item>,
) -> anyhow::Result<f64> {
    let share = items.len().div_ceil(pushers).div_ceil(1_000) * 1_000;
    let items = Arc::new(items);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..pushers {
        let client = PlatformClient::new(url, client_id, secret).with_options(PushOptions {
            max_attempts: 1,
            ..PushOptions::default()
        });
        client.authenticate().await?;
        let items = items.clone();
        tasks.push(tokio::spawn(async move {
            let mine = items
                .get(p * share..((p + 1) * share).min(items.len()))
                .unwrap_or_default();
            client.push_all(mine).await
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        let report = t.await??;
        ensure!(
            report.rejected == 0,
            "rejected: {:?}",
            report.rejected_items().next()
        );
        accepted += report.accepted;
    }
    let elapsed = started.elapsed().as_secs_f64();
    ensure!(
        accepted == items.len(),
        "{accepted} of {} accepted",
        items.len()
    );
    Ok(items.len() as f64 / elapsed)
}

/// Brings the database to rest before a timed phase, as a database that
/// already holds its rows is: SQLite's WAL folded back into the file (or the
/// next phase pays the checkpoint of everything written before it),
/// PostgreSQL's tables vacuumed and analysed (or autovacuum does it in the
/// middle of the next phase).
async fn settle(db: &DatabaseConnection) -> anyhow::Result<()> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)",
        _ => "VACUUM ANALYZE",
    };
    db.execute_unprepared(sql).await?;
    Ok(())
}

/// wrk's threads and connections for the read phases (issue 21: a
/// black-box load generator, lighter than the server per request, instead
/// of the SDK on the same cores).
const WRK_THREADS: usize = 2;

/// `wrk`, installed when it is missing: with apt-get when running as root,
/// else the run stops and says how.
async fn ensure_wrk() -> anyhow::Result<()> {
    let present = || async {
        Command::new("wrk")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await
            .is_ok()
    };
    if present().await {
        return Ok(());
    }
    let uid = Command::new("id").arg("-u").output().await?;
    ensure!(
        String::from_utf8_lossy(&uid.stdout).trim() == "0",
        "the read phases need wrk: install it (`sudo apt-get install -y wrk` on Debian/Ubuntu, or build it from https://github.com/wg/wrk) and run again"
    );
    println!("installing wrk (apt-get install -y wrk)");
    let install = || async {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "wrk"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .await
    };
    if !install().await?.success() {
        Command::new("apt-get")
            .args(["update", "-q"])
            .stdout(Stdio::null())
            .status()
            .await?;
        ensure!(install().await?.success(), "apt-get install wrk failed");
    }
    ensure!(present().await, "wrk is still missing after apt-get");
    Ok(())
}

/// The Lua script wrk runs: each request takes the next path of
/// `paths` (each thread from its own place in the list), with the bearer
/// token when there is one; at the end, one line with the figures.
const WRK_SCRIPT: &str = r#"
local paths = {}
for line in io.lines(os.getenv("CE_WRK_PATHS")) do paths[#paths + 1] = line end
local token = os.getenv("CE_WRK_TOKEN") or ""
local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end
local i = 0
function request()
  i = i + 1
  local path = paths[((offset or 0) + i) % #paths + 1]
  if token ~= "" then
    return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
  end
  return wrk.format("GET", path)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("CE_WRK %d %d %d %d %d %d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"#;

/// Requests per second and latencies of wrk (`WRK_THREADS` threads,
/// `READERS` connections) asking `paths` in turn for `seconds`, after a
/// one-second warm-up run that is not counted. Every answer must be 2xx.
async fn wrk(
    dir: &Path,
    url: &str,
    name: &str,
    paths: &[String],
    token: Option<&str>,
    seconds: u64,
) -> anyhow::Result<Load> {
    ensure!(!paths.is_empty(), "no path to ask for {name}");
    let list = dir.join(format!("wrk-{name}.txt"));
    std::fs::write(&list, paths.join("\n") + "\n")?;
    let script = dir.join("wrk.lua");
    std::fs::write(&script, WRK_SCRIPT)?;
    let run = |secs: u64| {
        let (list, script) = (list.clone(), script.clone());
        async move {
            let out = Command::new("wrk")
                .arg(format!("-t{WRK_THREADS}"))
                .arg(format!("-c{READERS}"))
                .arg(format!("-d{secs}s"))
                .arg("--timeout")
                .arg("10s")
                .arg("-s")
                .arg(&script)
                .arg(url)
                .env("CE_WRK_PATHS", &list)
                .env("CE_WRK_TOKEN", token.unwrap_or(""))
                .output()
                .await
                .context("running wrk")?;
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            ensure!(
                out.status.success(),
                "wrk failed: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix("CE_WRK "))
                .ok_or_else(|| anyhow!("no figures from wrk: {text}"))?;
            let n: Vec<u64> = line
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()?;
            ensure!(n.len() == 6, "wrk said {line}");
            ensure!(
                n[4] == 0 && n[5] == 0,
                "{name}: {} socket errors and {} answers not 2xx/3xx of {} requests",
                n[4],
                n[5],
                n[0]
            );
            anyhow::Ok(Load {
                per_second: n[0] as f64 / (n[1] as f64 / 1e6),
                p50: Duration::from_micros(n[2]),
                p99: Duration::from_micros(n[3]),
            })
        }
    };
    run(1).await?;
    run(seconds).await
}

struct Load {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

struct Results {
    backend: &'static str,
    target_push: f64,
    target_compliance_p99: Duration,
    push: f64,
    per_lesson: Option<f64>,
    raw: f64,
    compliance: Load,
    verify: Load,
    live: Load,
    rss_mib: f64,
    /// The login storm: sign-ins a second, their p99, and how many answers
    /// were a 503 `busy` retried after its `Retry-After`.
    storm: Storm,
    /// How long the world took to seed, and how many records it holds.
    seeding: Duration,
    records: i64,
    /// The statistics query's p50 and max.
    statistics: (Duration, Duration),
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mark(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

impl Results {
    fn print_summary(&self) {
        let ratio = self.push / self.raw;
        let verify = self.verify.per_second / self.live.per_second;
        println!(
            "{} ({} records seeded in {:.0} s):",
            self.backend,
            self.records,
            self.seeding.as_secs_f64()
        );
        println!(
            "  push            {:>9.0} records/s   [≥ {:.0}]  {}",
            self.push,
            self.target_push,
            mark(self.push >= self.target_push)
        );
        if let Some(l) = self.per_lesson {
            println!(
                "  per-lesson push {:>9.0} records/s   [≥ 80 % of push: {:.1} %]  {}",
                l,
                l / self.push * 100.0,
                mark(l >= 0.8 * self.push)
            );
        }
        println!("  raw insert      {:>9.0} records/s", self.raw);
        println!(
            "  push / raw      {:>9.1} %           [≥ 50 %]  {}",
            ratio * 100.0,
            mark(ratio >= 0.5)
        );
        println!(
            "  compliance      p50 {}  p99 {}   [p99 ≤ {}]  {}",
            ms(self.compliance.p50),
            ms(self.compliance.p99),
            ms(self.target_compliance_p99),
            mark(self.compliance.p99 <= self.target_compliance_p99)
        );
        println!(
            "  verify          {:>9.0} req/s  /health/live {:.0} req/s  ratio {:.1} %  [≥ 50 %]  {}",
            self.verify.per_second,
            self.live.per_second,
            verify * 100.0,
            mark(verify >= 0.5)
        );
        println!(
            "  statistics      p50 {}  max {}",
            ms(self.statistics.0),
            ms(self.statistics.1)
        );
        println!(
            "  login storm     {:>9.0} sign-ins/s  p99 {}  ({} over {} connections, {} busy answers retried)",
            self.storm.per_second,
            ms(self.storm.p99),
            STORM_LOGINS,
            STORM_CONNECTIONS,
            self.storm.retried
        );
        println!(
            "  peak RSS        {:>9.1} MiB          [≤ 200 MB, the storm included]  {}",
            self.rss_mib,
            mark(self.rss_mib * 1.048_576 <= 200.0)
        );
    }
}

async fn run(cfg: &Config, exe: &Path, backend: Backend) -> anyhow::Result<Results> {
    println!("\n== {}", backend.name());
    let dir = std::env::temp_dir().join(format!("ce-bench-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let (url, drop) = backend.database(&dir).await?;
    let outcome = measure(cfg, exe, &backend, &dir, &url).await;
    if let Some(name) = drop {
        backend.drop_database(&name).await?;
    }
    match &outcome {
        Ok(_) => std::fs::remove_dir_all(&dir)?,
        Err(_) => eprintln!("kept {} (server.log) for a look", dir.display()),
    }
    outcome
}

async fn measure(
    cfg: &Config,
    exe: &Path,
    backend: &Backend,
    dir: &Path,
    url: &str,
) -> anyhow::Result<Results> {
    let key: [u8; 32] = rand::random();
    let server = Server::start(exe, dir, url, &key).await?;
    let vault = PiiVault::new(&key)?;
    let db = Database::connect(url).await?;
    let hrss = match ce_sdk::Client::new(&server.url)
        .login("hrss-admin", HRSS_PASSWORD)
        .await?
    {
        ce_sdk::Login::Done(c) => c,
        ce_sdk::Login::CodeSent { .. } => bail!("MFA is off, yet a code was sent"),
    };
    let (history, _, _) = platform(&hrss, "历史平台").await?;
    let (raw_platform, _, _) = platform(&hrss, "直接写入").await?;
    let (_, client_id, secret) = platform(&hrss, "会计继续教育平台").await?;

    // The database at size.
    let started = Instant::now();
    let ids: Vec<String> = (0..cfg.persons).map(id_card_no).collect();
    let lesson_ids: Vec<String> = (cfg.persons..cfg.persons + cfg.lesson_persons)
        .map(id_card_no)
        .collect();
    let person_ids = if cfg.at_scale.is_some() {
        scale::seed_by_copy(&db, &vault, &ids, &lesson_ids, history).await?
    } else {
        let person_ids = seed(&db, &vault, &ids, history).await?;
        seed_lessons(&db, &vault, &lesson_ids, history).await?;
        person_ids
    };
    let seeding = started.elapsed();
    let seeded = count(&db, "SELECT COUNT(*) FROM records").await?;
    println!(
        "seeded {} persons and {seeded} records in {:.1} s",
        cfg.persons + cfg.lesson_persons,
        seeding.as_secs_f64()
    );
    if cfg.at_scale.is_none() {
        // Written behind the server's back: the standings are rebuilt
        // from the records, as after a migration. (At scale, the copies
        // carry their template's rebuilt standings.)
        let started = Instant::now();
        let rebuilt = ce_api::ledger::standing::rebuild(&db)
            .await
            .map_err(|e| anyhow!("rebuilding the standings: {e}"))?;
        println!(
            "standings rebuilt from {} records ({} standings) in {:.1} s",
            rebuilt.records,
            rebuilt.standings,
            started.elapsed().as_secs_f64()
        );
    }

    let started = Instant::now();
    settle(&db).await?;
    println!(
        "settled (VACUUM ANALYZE / WAL checkpoint) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The items: ITEMS_PER_PERSON for each of the first persons, in order.
    let at = Utc::now() - chrono::Duration::minutes(10);
    let items: Vec<Item> = (0..cfg.pushed / ITEMS_PER_PERSON)
        .flat_map(|p| {
            let id = &ids[p];
            (0..ITEMS_PER_PERSON).map(move |k| Item::new(p, k, id, at))
        })
        .collect();

    // 2. The physical limit: the same rows, straight in, 1,000 a transaction.
    let now = Utc::now();
    let rows: Vec<record::ActiveModel> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.row(
                person_ids[i / ITEMS_PER_PERSON],
                (raw_platform, "直接写入"),
                now,
            )
        })
        .collect();
    let started = Instant::now();
    for chunk in rows.chunks(1_000) {
        let txn = db.begin().await?;
        insert_records(&txn, chunk).await?;
        txn.commit().await?;
    }
    let raw = rows.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "raw insert: {} rows in {:.2} s = {raw:.0} rows/s",
        rows.len(),
        started.elapsed().as_secs_f64()
    );

    settle(&db).await?;

    // 1. The push, through the SDK, `pushers` clients each on its share.
    let started = Instant::now();
    let pushed = items.len();
    let push = push_through(&server.url, &client_id, &secret, cfg.pushers, items).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let certificates = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM certificates WHERE year = {}",
            this_year()
        ),
    )
    .await?;
    ensure!(
        certificates as usize == pushed / ITEMS_PER_PERSON,
        "{certificates} certificates for {} persons",
        pushed / ITEMS_PER_PERSON
    );
    let total = count(&db, "SELECT COUNT(*) FROM records").await?;
    println!(
        "push: {pushed} items in {elapsed:.2} s = {push:.0} records/s ({certificates} certificates issued; {total} records now)"
    );

    // 1b. Per lesson (issue 17): half-hour lessons for persons who hold
    // four years of them and have not completed this one.
    let per_lesson = if cfg.lessons > 0 {
        settle(&db).await?;
        let per = cfg.lessons.div_ceil(cfg.lesson_persons);
        let lessons: Vec<Item> = (0..cfg.lessons)
            .map(|n| {
                let p = n / per;
                Item::lesson(p, n % per, &lesson_ids[p], at)
            })
            .collect();
        let started = Instant::now();
        let rate = push_through(&server.url, &client_id, &secret, cfg.pushers, lessons).await?;
        println!(
            "per-lesson push: {} lessons ({per} a person) in {:.2} s = {rate:.0} records/s",
            cfg.lessons,
            started.elapsed().as_secs_f64()
        );
        Some(rate)
    } else {
        None
    };

    // 3. Compliance reads: random persons, the last five years, with
    // hrss's token, driven by wrk.
    let year = this_year();
    let compliance_paths: Vec<String> = (0..100_000u64)
        .map(|n| {
            let i = (n.wrapping_mul(2_654_435_761) as usize) % person_ids.len();
            let y = year - (n % 5) as i32;
            format!("/api/v1/persons/{}/compliance?year={y}", person_ids[i])
        })
        .collect();
    // Signed in again: a token from before a long seeding (18 minutes at
    // ten million records) has expired.
    let hrss = match ce_sdk::Client::new(&server.url)
        .login("hrss-admin", HRSS_PASSWORD)
        .await?
    {
        ce_sdk::Login::Done(c) => c,
        ce_sdk::Login::CodeSent { .. } => bail!("MFA is off, yet a code was sent"),
    };
    let token = hrss
        .token()
        .ok_or_else(|| anyhow!("hrss has no token"))?
        .to_string();
    let compliance = wrk(
        dir,
        &server.url,
        "compliance",
        &compliance_paths,
        Some(&token),
        cfg.seconds,
    )
    .await?;
    println!(
        "compliance (wrk, {WRK_THREADS} threads, {READERS} connections): {:.0} req/s, p50 {}, p99 {}",
        compliance.per_second,
        ms(compliance.p50),
        ms(compliance.p99)
    );

    // 4. Verify of real numbers, spread over many certificates, against a
    // static endpoint, same load generator and concurrency.
    let numbers = strings(
        &db,
        "SELECT number FROM certificates ORDER BY number LIMIT 10000",
    )
    .await?;
    ensure!(!numbers.is_empty(), "no certificate to verify");
    let anonymous = ce_sdk::Client::new(&server.url);
    let probe: ce_sdk::types::CertificateVerifyNumber = numbers[0]
        .parse()
        .map_err(|e| anyhow!("{}: {e}", numbers[0]))?;
    let v = anonymous
        .api()
        .certificate_verify(&probe)
        .await
        .map_err(|e| anyhow!("verify: {e}"))?;
    ensure!(v.status == "valid", "not valid: {:?}", v.status);
    let verify_paths: Vec<String> = numbers
        .iter()
        .map(|n| format!("/api/v1/verify/{n}"))
        .collect();
    let verify = wrk(dir, &server.url, "verify", &verify_paths, None, cfg.seconds).await?;
    let live = wrk(
        dir,
        &server.url,
        "live",
        &["/health/live".to_string()],
        None,
        cfg.seconds,
    )
    .await?;
    println!(
        "verify ({} numbers): {:.0} req/s (p50 {}, p99 {}); /health/live: {:.0} req/s (p50 {}, p99 {})",
        numbers.len(),
        verify.per_second,
        ms(verify.p50),
        ms(verify.p99),
        live.per_second,
        ms(live.p50),
        ms(live.p99)
    );

    // hrss's statistics of this year, by series, a few times.
    let statistics = statistics(&server.url, &token, STATISTICS_RUNS).await?;
    println!(
        "statistics (GET /statistics?year={year}&group_by=series, {STATISTICS_RUNS} runs): p50 {}, max {}",
        ms(statistics.0),
        ms(statistics.1)
    );

    // 5. A login storm, with persons registered through the API.
    let storm = login_storm(&server.url).await?;
    println!(
        "login storm ({STORM_LOGINS} sign-ins of {STORM_PERSONS} persons registered through the API, {STORM_CONNECTIONS} connections): {:.0}/s, p99 {}, {} busy answers retried",
        storm.per_second,
        ms(storm.p99),
        storm.retried
    );

    // 6. What the server needed at most over all of it.
    let rss_mib = server.peak_rss_mib()?;
    println!("server peak RSS: {rss_mib:.1} MiB");
    db.close().await?;
    drop(server);
    Ok(Results {
        backend: backend.name(),
        target_push: match backend {
            Backend::Sqlite => 25_000.0,
            Backend::Postgres(_) => 15_000.0,
        },
        target_compliance_p99: match backend {
            Backend::Sqlite => Duration::from_millis(5),
            Backend::Postgres(_) => Duration::from_millis(10),
        },
        push,
        per_lesson,
        raw,
        compliance,
        verify,
        live,
        rss_mib,
        storm,
        seeding,
        records: seeded,
        statistics,
    })
}

/// Persons the login storm registers through the API.
const STORM_PERSONS: usize = 10;
/// Sign-ins of the storm, and how many at once (issue 16's storm).
const STORM_LOGINS: usize = 256;
const STORM_CONNECTIONS: usize = 64;
const STORM_PASSWORD: &str = "Bench-Storm-Passw0rd";

/// What the login storm measured.
struct Storm {
    per_second: f64,
    p99: Duration,
    retried: u32,
}

/// Registers `STORM_PERSONS` persons through the API, one at a time, then
/// signs them in `STORM_LOGINS` times over `STORM_CONNECTIONS` concurrent
/// connections; a 503 or 429 (the server bounds its password hashing) is
/// retried after its `Retry-After`, anything else stops the run.
async fn login_storm(url: &str) -> anyhow::Result<Storm> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(STORM_CONNECTIONS + 4)
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut accounts = Vec::with_capacity(STORM_PERSONS);
    for k in 0..STORM_PERSONS {
        // Far above the seeded persons' numbers.
        let id = id_card_no(13_000_000 + k);
        let r = http
            .post(format!("{url}/api/v1/auth/register"))
            .json(&json!({
                "name": "张三",
                "id_card_no": id,
                "phone": format!("1371234{k:04}"),
                "password": STORM_PASSWORD,
            }))
            .send()
            .await?;
        let status = r.status();
        ensure!(
            status.as_u16() == 201,
            "registering: {status} {}",
            r.text().await.unwrap_or_default()
        );
        accounts.push(id);
    }
    let started = Instant::now();
    let mut times = Vec::with_capacity(STORM_LOGINS);
    let mut retried = 0;
    for outcome in logins::storm(
        &http,
        url,
        accounts,
        STORM_PASSWORD,
        STORM_LOGINS,
        STORM_CONNECTIONS,
        Duration::from_secs(60),
    )
    .await
    {
        let (t, r) = outcome.map_err(|e| anyhow!(e))?;
        times.push(t);
        retried += r;
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    Ok(Storm {
        per_second: times.len() as f64 / elapsed,
        p99: times[(times.len() * 99 / 100).min(times.len() - 1)],
        retried,
    })
}

/// Runs of the statistics query.
const STATISTICS_RUNS: usize = 5;

/// `GET /statistics` of this year by series as hrss, `runs` times one
/// after the other: the median and the longest answer time.
async fn statistics(url: &str, token: &str, runs: usize) -> anyhow::Result<(Duration, Duration)> {
    let http = reqwest::Client::new();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let r = http
            .get(format!(
                "{url}/api/v1/statistics?year={}&group_by=series",
                this_year()
            ))
            .bearer_auth(token)
            .send()
            .await?;
        let status = r.status();
        let body = r.bytes().await?;
        ensure!(
            status.is_success(),
            "statistics: {status} {}",
            String::from_utf8_lossy(&body)
        );
        times.push(started.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], times[times.len() - 1]))
}
