//! `spawn_app()` and the arrangements tests share.

use std::sync::{Arc, Mutex};

use ce_api::config::Settings;
use ce_api::ports::clock::SettableClock;
use ce_api::ports::sms::{OutgoingSms, SmsSender};
use ce_api::startup::Application;
use ce_sdk::{Client, Login, types};
use futures_util::future::BoxFuture;
use rand::Rng;
use sea_orm::{ConnectionTrait, Database};

pub const HRSS_PASSWORD: &str = "Hrss-Bootstrap-Pass-9";
pub const PASSWORD: &str = "Str0ng-Passw0rd";

/// Captures the SMS messages the server sends, like a phone would.
#[derive(Default)]
pub struct Phone(Mutex<Vec<OutgoingSms>>);

impl SmsSender for Phone {
    fn deliver<'a>(&'a self, msg: &'a OutgoingSms) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            self.0
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .push(msg.clone());
            Ok(())
        })
    }
}

impl Phone {
    /// The six-digit code of the last message sent to `phone` (or to the
    /// phone-less account's outbox when `phone` is `None`).
    pub fn last_code(&self, phone: Option<&str>) -> String {
        let msgs = self.0.lock().unwrap();
        let msg = msgs
            .iter()
            .rev()
            .find(|m| m.phone.as_deref() == phone)
            .expect("no SMS was sent there");
        msg.body
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .expect("the SMS has no six-digit code")
            .to_string()
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

pub struct TestApp {
    pub client: Client,
    pub phone: Arc<Phone>,
    pub jwt_secret: String,
    /// The server's database, for arranging what no endpoint writes yet.
    pub database_url: String,
    /// The server's settings, to start a second server on the same data.
    pub settings: Settings,
    /// The server's clock: the system's until a test sets it.
    pub clock: Arc<SettableClock>,
    /// The finance departments, registered the first time a test asks
    /// (`TestApp::finance`).
    finance: tokio::sync::OnceCell<Finance>,
    _dir: TempDir,
}

/// A directory removed when the test ends.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a test can change about the server.
pub struct Options {
    pub mfa_required: bool,
    /// Public certificate checks per address and minute.
    pub verify_per_minute: u32,
    /// Webhook worker polling and first retry, in milliseconds.
    pub webhook_poll_ms: u64,
    /// Whether webhooks may be delivered to 127.0.0.1 (off in production).
    pub webhooks_to_loopback: bool,
    /// Logins, SMS codes and password resets per address and minute (every
    /// test signs in from 127.0.0.1, so high unless a test checks the limit).
    pub login_per_minute: u32,
    /// Self-registrations per address and minute (high unless a test
    /// checks the limit).
    pub register_per_minute: u32,
    /// Client-credentials tokens per address and minute.
    pub token_per_minute: u32,
    /// Front-end origins allowed cross-origin (CORS).
    pub cors_origins: Vec<String>,
    /// Password-hashing threads and the hashes that may wait for one
    /// (`None`: the server's defaults).
    pub hashing: Option<(usize, usize)>,
    /// How long a year's policy is answered from memory, in ms.
    pub policy_cache_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            mfa_required: true,
            verify_per_minute: 1000,
            webhook_poll_ms: 1000,
            webhooks_to_loopback: true,
            login_per_minute: 100_000,
            register_per_minute: 100_000,
            token_per_minute: 100_000,
            cors_origins: vec![],
            hashing: None,
            policy_cache_ms: 1000,
        }
    }
}

/// Today in China time, where the API's dates and years are (R-RC-5).
pub fn today() -> chrono::NaiveDate {
    let shanghai = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    chrono::Utc::now().with_timezone(&shanghai).date_naive()
}

/// This year in China time.
pub fn this_year() -> i32 {
    chrono::Datelike::year(&today())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// A fresh database: a SQLite file in the test's directory, or a new
/// PostgreSQL database on the server `TEST_DATABASE_URL` names.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("ce_test_{}", uuid::Uuid::now_v7().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("connecting to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("creating the test database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
    }
}

pub async fn spawn_app_with(opts: Options) -> TestApp {
    let dir = std::env::temp_dir().join(format!("ce-e2e-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwt_secret: String = (0..48)
        .map(|_| rand::thread_rng().sample(rand::distributions::Alphanumeric) as char)
        .collect();
    let database_url = fresh_database(&dir).await;
    let mut settings = Settings {
        bind_addr: "127.0.0.1:0".into(),
        data_dir: dir.clone(),
        database_url: Some(database_url.clone()),
        jwt_secret: Some(jwt_secret.clone()),
        mfa_required: opts.mfa_required,
        bootstrap_hrss_password: Some(HRSS_PASSWORD.into()),
        ..Settings::default()
    };
    settings.database.max_connections = Some(4);
    // `CE_TEST_READ_POOL=1`: the heavy reads (`AppState::read_db`) go
    // through a read-only pool on the same database, so a test run shows
    // that no code path writes through the read handle (issue 21).
    if std::env::var("CE_TEST_READ_POOL").is_ok_and(|v| v == "1") {
        settings.database_read_url = Some(database_url.clone());
        settings.database.read_max_connections = Some(2);
    }
    settings.limits.verify_per_minute = opts.verify_per_minute;
    settings.limits.login_per_minute = opts.login_per_minute;
    settings.limits.register_per_minute = opts.register_per_minute;
    settings.limits.token_per_minute = opts.token_per_minute;
    settings.cors.allowed_origins = opts.cors_origins.clone();
    if let Some((threads, queue)) = opts.hashing {
        settings.pools.hash_threads = threads;
        settings.pools.hash_queue = queue;
    }
    settings.database.policy_cache_ms = opts.policy_cache_ms;
    settings.webhooks.poll_interval_ms = opts.webhook_poll_ms;
    settings.webhooks.retry_base_ms = opts.webhook_poll_ms;
    // The tests' receivers listen on loopback.
    settings.webhooks.allow_private_addresses = opts.webhooks_to_loopback;
    let phone = Arc::new(Phone::default());
    let kept = settings.clone();
    let clock = Arc::new(SettableClock::default());
    let app = Application::build_with_clock(settings, phone.clone(), clock.clone())
        .await
        .expect("building the app");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        client: Client::new(format!("http://127.0.0.1:{port}")),
        phone,
        jwt_secret,
        database_url,
        settings: kept,
        clock,
        finance: tokio::sync::OnceCell::new(),
        _dir: TempDir(dir),
    }
}

impl TestApp {
    /// The OpenAPI document the server serves (`/api-docs/openapi.json`).
    pub async fn served_spec(&self) -> serde_json::Value {
        let res = self
            .client
            .send_raw(reqwest::Method::GET, "/api-docs/openapi.json", None, vec![])
            .await
            .unwrap();
        assert_eq!(res.status, 200);
        serde_json::from_slice(&res.body).unwrap()
    }

    /// Another server on the same database, keys and secrets, with its
    /// settings changed by `change` (a smaller file, a shorter busy wait).
    pub async fn server_with(&self, change: impl FnOnce(&mut Settings)) -> Client {
        let mut settings = self.settings.clone();
        change(&mut settings);
        let app = Application::build_with(settings, Arc::new(Phone::default()))
            .await
            .expect("building the changed server");
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        Client::new(format!("http://127.0.0.1:{port}"))
    }

    /// Another server process's worth of application on the same database,
    /// keys and secrets (as a second replica behind a load balancer).
    pub async fn second_server(&self) -> Client {
        let app = Application::build_with_clock(
            self.settings.clone(),
            Arc::new(Phone::default()),
            self.clock.clone(),
        )
        .await
        .expect("building the second server");
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        Client::new(format!("http://127.0.0.1:{port}"))
    }
}

/// A valid resident ID number (GB 11643) with a random sequence.
pub fn id_card_no() -> String {
    let mut rng = rand::thread_rng();
    let body = format!(
        "440106{:04}{:02}{:02}{:03}",
        rng.gen_range(1950..2000),
        rng.gen_range(1..=12),
        rng.gen_range(1..=28),
        rng.gen_range(0..1000)
    );
    format!("{body}{}", check_char(&body))
}

/// The ISO 7064 MOD 11-2 check character of 17 digits.
pub fn check_char(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

/// The same number with a wrong check character.
pub fn with_wrong_check(id: &str) -> String {
    let right = id.chars().last().unwrap();
    let wrong = if right == '0' { '1' } else { '0' };
    format!("{}{wrong}", &id[..17])
}

pub fn phone_no() -> String {
    format!("138{:08}", rand::thread_rng().gen_range(0..100_000_000))
}

/// A registered person.
pub struct Person {
    pub id_card_no: String,
    pub phone: String,
    pub password: String,
    pub me: types::Me,
}

pub fn registration(id_card_no: &str, phone: &str) -> types::RegisterRequest {
    types::RegisterRequest {
        name: "张三".parse().unwrap(),
        id_card_no: id_card_no.parse().unwrap(),
        phone: phone.parse().unwrap(),
        password: PASSWORD.parse().unwrap(),
    }
}

impl TestApp {
    /// 密码找回: a code to the person's bound phone, then the new password.
    pub async fn reset_password(&self, p: &Person, new_password: &str) {
        let started = ce_sdk::call!(self.client.api().auth_password_reset(
            &types::PasswordResetRequest {
                account: p.phone.parse().unwrap(),
            }
        ))
        .expect("starting a password reset");
        let code = self.phone.last_code(Some(&p.phone));
        ce_sdk::call!(self.client.api().auth_password_reset_confirm(
            &types::PasswordResetConfirmRequest {
                challenge_id: started.challenge_id,
                code: code.parse().unwrap(),
                new_password: new_password.parse().unwrap(),
            }
        ))
        .expect("confirming a password reset");
    }

    pub async fn register(&self) -> Person {
        let (id, phone) = (id_card_no(), phone_no());
        let me = ce_sdk::call!(self.client.api().auth_register(&registration(&id, &phone)))
            .expect("registering");
        Person {
            id_card_no: id,
            phone,
            password: PASSWORD.into(),
            me,
        }
    }

    /// Signs in, answering the SMS challenge when there is one.
    pub async fn login(&self, account: &str, password: &str, phone: Option<&str>) -> Client {
        match self.client.login(account, password).await.expect("login") {
            Login::Done(c) => c,
            Login::CodeSent { challenge_id } => {
                let code = self.phone.last_code(phone);
                self.client
                    .login_verify(challenge_id, &code)
                    .await
                    .expect("login verify")
            }
        }
    }

    pub async fn login_person(&self, p: &Person) -> Client {
        self.login(&p.id_card_no, &p.password, Some(&p.phone)).await
    }

    pub async fn hrss(&self) -> Client {
        self.login("hrss-admin", HRSS_PASSWORD, None).await
    }

    /// A token signed with the server's key for arbitrary claims.
    pub fn forge(&self, claims: &serde_json::Value, secret: &str) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }
}

/// A valid unified social credit code (GB 32100) with a random body.
pub fn credit_code() -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const W: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let mut rng = rand::thread_rng();
    let mut body = String::from("91440101");
    for _ in 0..9 {
        body.push(CHARS[rng.gen_range(0..CHARS.len())] as char);
    }
    let sum: usize = body
        .bytes()
        .zip(W)
        .map(|(c, w)| CHARS.iter().position(|x| *x == c).unwrap() * w)
        .sum();
    format!("{body}{}", CHARS[(31 - sum % 31) % 31] as char)
}

/// A signed-in person, with their client.
pub struct Signed {
    pub person: Person,
    pub client: Client,
}

impl Signed {
    pub fn person_id(&self) -> uuid::Uuid {
        self.person.me.person.as_ref().unwrap().id
    }

    pub fn account_id(&self) -> uuid::Uuid {
        self.person.me.id
    }
}

impl TestApp {
    /// A registered, signed-in person.
    pub async fn person(&self) -> Signed {
        let person = self.register().await;
        let client = self.login_person(&person).await;
        Signed { person, client }
    }

    /// A registered, signed-in, real-name-verified person (R-ID-2).
    pub async fn verified_person(&self) -> Signed {
        let s = self.person().await;
        ce_sdk::call!(s.client.api().person_verify(
            &s.person_id(),
            &types::VerificationRequest {
                name: "张三".parse().unwrap(),
                id_card_no: s.person.id_card_no.parse().unwrap(),
            }
        ))
        .expect("verifying");
        s
    }

    /// A unit registered by a fresh person, who is its admin.
    pub async fn unit(&self) -> (Signed, types::UnitView) {
        let admin = self.person().await;
        let unit = ce_sdk::call!(
            admin
                .client
                .api()
                .unit_create(None, &unit_request(&credit_code()))
        )
        .expect("unit");
        (admin, unit)
    }
}

pub fn unit_request(code: &str) -> types::UnitCreateRequest {
    types::UnitCreateRequest {
        name: "广州市某某医院".parse().unwrap(),
        credit_code: code.parse().unwrap(),
        address: None,
        contact_phone: None,
    }
}

pub fn new_provider(name: &str, credit_code: &str) -> types::CreateProviderRequest {
    types::CreateProviderRequest {
        name: name.parse().unwrap(),
        credit_code: credit_code.parse().unwrap(),
        level: types::ProviderLevel::City,
        base_no: None,
    }
}

pub fn authority_application(
    level: types::AuthorityLevel,
    region: &str,
    series: &[&str],
    parent_id: Option<uuid::Uuid>,
) -> types::ApplyAuthorityRequest {
    types::ApplyAuthorityRequest {
        name: "行业主管部门".parse().unwrap(),
        level,
        region: region.parse().unwrap(),
        series: series.iter().map(|s| s.parse().unwrap()).collect(),
        parent_id,
    }
}

pub fn decision(d: types::Decision) -> types::ReviewRequest {
    types::ReviewRequest {
        decision: d,
        comment: None,
    }
}

impl TestApp {
    /// A fresh person who registered a provider and so administers it.
    pub async fn provider_admin(&self) -> (Client, types::ProviderView) {
        let p = self.register().await;
        let client = self.login_person(&p).await;
        let provider = ce_sdk::call!(
            client
                .api()
                .provider_create(None, &new_provider("培训中心", &credit_code()))
        )
        .expect("registering a provider");
        (client, provider)
    }

    /// A fresh person whose province-level application (region 440000)
    /// hrss approved. Grants are read per request, so the same client now
    /// acts as the authority.
    pub async fn province_authority(&self, series: &[&str]) -> (Client, types::AuthorityView) {
        let p = self.register().await;
        let client = self.login_person(&p).await;
        let app = authority_application(types::AuthorityLevel::Province, "440000", series, None);
        let applied =
            ce_sdk::call!(client.api().authority_apply(None, &app)).expect("applying as authority");
        let hrss = self.hrss().await;
        let approved = ce_sdk::call!(hrss.api().authority_review(
            &applied.id,
            None,
            &decision(types::Decision::Approve)
        ))
        .expect("hrss approving");
        (client, approved)
    }

    /// A learning platform's client (a role that none of the org operations allow).
    pub async fn platform(&self) -> Client {
        let hrss = self.hrss().await;
        let created = ce_sdk::call!(hrss.api().platform_create(
            None,
            &types::CreatePlatformRequest {
                name: "平台".parse().unwrap(),
                categories: vec![types::Category::Professional],
                series_families: vec!["engineering".parse().unwrap()],
            }
        ))
        .expect("creating a platform");
        self.client
            .client_credentials(&created.client_id, &created.client_secret)
            .await
            .expect("platform token")
    }
}

impl TestApp {
    /// Public-subject hours as the public-course platform delivered them:
    /// recognised on arrival (R-RC-2). Written to the database directly:
    /// for past years a push is refused after the deadline (R-RC-8), so
    /// history is arranged here; `push.rs` pushes current years.
    pub async fn public_hours(&self, person_id: uuid::Uuid, year: i32, hours_tenths: i32) {
        use ce_entity::record;
        use sea_orm::{ActiveModelTrait, Set};
        let db = Database::connect(&self.database_url)
            .await
            .expect("connecting to the test database");
        let now = chrono::Utc::now();
        record::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            person_id: Set(person_id),
            year: Set(year),
            category: Set("public".into()),
            series_code: Set(None),
            course_name: Set("中国式现代化".into()),
            hours_tenths: Set(hours_tenths),
            approved_tenths: Set(hours_tenths),
            result: Set(Some("passed".into())),
            source: Set("public_course".into()),
            provider_id: Set(None),
            provider_name: Set(Some("广东省专业技术人员继续教育公需课平台".into())),
            class_id: Set(None),
            platform_id: Set(None),
            external_id: Set(None),
            unit_id: Set(None),
            status: Set(ce_entity::state::RecordStatus::Approved),
            attachment_ids: Set(serde_json::json!([])),
            completed_at: Set(Some(now)),
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
        }
        .insert(&db)
        .await
        .expect("recording public hours");
        rebuild_standings(&db).await;
        db.close().await.ok();
    }
}

/// Recomputes the standings from the records, after a test wrote records
/// or series straight into the database (the server's ledger keeps them
/// for what goes through the API).
pub async fn rebuild_standings(db: &sea_orm::DatabaseConnection) {
    ce_api::ledger::standing::rebuild(db)
        .await
        .expect("rebuilding the standings");
}

/// `method /api/v1{path}` with a JSON body (none for `null`); asserts a
/// 2xx answer and returns its JSON (`null` for an empty body).
pub async fn call_ok(
    c: &Client,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let (ct, bytes) = if body.is_null() {
        (None, vec![])
    } else {
        (Some("application/json"), serde_json::to_vec(&body).unwrap())
    };
    let r = c
        .send_raw(method.clone(), &format!("/api/v1{path}"), ct, bytes)
        .await
        .unwrap();
    assert!(
        (200..300).contains(&r.status),
        "{method} {path}: {} {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null)
}

/// The `id` of a JSON object.
pub fn id_of(v: &serde_json::Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {v}"))
        .to_string()
}

/// The folder of PostgreSQL's programs holding `tool`: `CE_PG_BIN`, else
/// the newest version under `/usr/lib/postgresql/*/bin` (by number: 15
/// after 9). `None` when PostgreSQL is not installed.
pub fn postgres_bin(tool: &str) -> Option<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("CE_PG_BIN") {
        return Some(std::path::PathBuf::from(dir));
    }
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join(tool).exists())
        .max_by_key(|p| {
            p.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        })
}

/// PostgreSQL clusters a test runs itself (`initdb`, `pg_ctl`; as user
/// postgres when the tests run as root), each a data directory under one
/// directory of the test's own with its socket directory. On drop every
/// cluster under it is stopped (immediately) and the directory removed,
/// also when the test fails.
pub struct OwnPostgres {
    pub bin: std::path::PathBuf,
    pub dir: std::path::PathBuf,
    as_postgres: bool,
}

impl OwnPostgres {
    /// `None` when PostgreSQL's `tool` is not installed — unless the
    /// variable `required_by` is set, which makes that a failure.
    pub fn new(tool: &str, required_by: &str) -> Option<Self> {
        let Some(bin) = postgres_bin(tool) else {
            assert!(
                std::env::var_os(required_by).is_none(),
                "{required_by} is set but no /usr/lib/postgresql/*/bin/{tool} was found"
            );
            return None;
        };
        let as_postgres = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let dir = std::env::temp_dir().join(format!("ce-pg-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(dir.join("sock")).unwrap();
        if as_postgres {
            let ok = std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(ok.success());
        }
        Some(Self {
            bin,
            dir,
            as_postgres,
        })
    }

    /// Runs a shell command (as postgres when root); panics with its
    /// output when it fails, unless `check` is false.
    fn sh(&self, cmd: &str, check: bool) {
        let out = if self.as_postgres {
            std::process::Command::new("su")
                .args(["postgres", "-s", "/bin/sh", "-c", cmd])
                .output()
        } else {
            std::process::Command::new("sh").args(["-c", cmd]).output()
        }
        .unwrap();
        assert!(
            !check || out.status.success(),
            "{cmd}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs one of PostgreSQL's programs with these arguments.
    pub fn run(&self, tool: &str, args: &str) {
        self.sh(&format!("{}/{tool} {args}", self.bin.display()), true);
    }

    /// A new cluster in the data directory `name` (its pg_hba.conf trusts
    /// local and replication connections from 127.0.0.1).
    pub fn initdb(&self, name: &str) {
        self.run(
            "initdb",
            &format!(
                "-D {}/{name} -U postgres -A trust -E UTF8 --locale=C.UTF-8",
                self.dir.display()
            ),
        );
    }

    /// Starts the cluster `name` on `port` (on 127.0.0.1 and the socket
    /// directory; fsync off; `settings` adds `-c` options) and waits.
    pub fn start(&self, name: &str, port: u16, settings: &str) {
        self.run(
            "pg_ctl",
            &format!(
                "-D {d}/{name} -l {d}/{name}.log -w -o '-p {port} -k {d}/sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100 {settings}' start",
                d = self.dir.display()
            ),
        );
    }

    /// Stops the cluster `name` (`mode`: `fast` or `immediate`) and waits.
    pub fn stop(&self, name: &str, mode: &str) {
        self.run(
            "pg_ctl",
            &format!("-D {}/{name} -m {mode} -w stop", self.dir.display()),
        );
    }

    pub fn url(port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let clusters = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("PG_VERSION").exists());
        for c in clusters {
            self.sh(
                &format!(
                    "{}/pg_ctl -D {} -m immediate stop",
                    self.bin.display(),
                    c.path().display()
                ),
                false,
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The finance departments of the accounting series (R-ACC-4): the province
/// (广东省财政厅), Guangzhou, and its Yuexiu district (440104), where the
/// tests' accountants collect their information.
#[derive(Clone)]
pub struct Finance {
    pub province: Client,
    /// Yuexiu's department: it confirms what Yuexiu's accountants apply for.
    pub district: Client,
    pub district_id: uuid::Uuid,
    /// Another district's department (Haizhu, 440105).
    pub other: Client,
}

/// The region of the tests' accountants: Guangzhou's Yuexiu district.
pub const ACCOUNTANTS_REGION: &str = "440104";

impl TestApp {
    /// The app's finance departments, registered once: a routed record
    /// goes to the first approved department covering the person's region,
    /// so a second Yuexiu department would never be the one asked.
    pub async fn finance(&self) -> &Finance {
        self.finance
            .get_or_init(|| async {
                let hrss = self.hrss().await;
                let (province, p) = authority(
                    self,
                    &hrss,
                    types::AuthorityLevel::Province,
                    "440000",
                    &["accounting"],
                    None,
                )
                .await;
                let (city, c) = authority(
                    self,
                    &province,
                    types::AuthorityLevel::City,
                    "440100",
                    &["accounting"],
                    Some(p.id),
                )
                .await;
                let (district, d) = authority(
                    self,
                    &city,
                    types::AuthorityLevel::District,
                    ACCOUNTANTS_REGION,
                    &["accounting"],
                    Some(c.id),
                )
                .await;
                let (other, _) = authority(
                    self,
                    &city,
                    types::AuthorityLevel::District,
                    "440105",
                    &["accounting"],
                    Some(c.id),
                )
                .await;
                Finance {
                    province,
                    district,
                    district_id: d.id,
                    other,
                }
            })
            .await
    }
}

/// A fresh person whose authority application `level`/`region` for
/// `series` was approved by `approver` (hrss for a province).
pub async fn authority(
    app: &TestApp,
    approver: &Client,
    level: types::AuthorityLevel,
    region: &str,
    series: &[&str],
    parent: Option<uuid::Uuid>,
) -> (Client, types::AuthorityView) {
    let p = app.register().await;
    let client = app.login_person(&p).await;
    let applied = ce_sdk::call!(
        client
            .api()
            .authority_apply(None, &authority_application(level, region, series, parent))
    )
    .expect("applying");
    let approved = ce_sdk::call!(approver.api().authority_review(
        &applied.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .expect("approving");
    (client, approved)
}
