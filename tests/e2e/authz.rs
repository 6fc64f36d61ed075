//! The authorization matrix (issue 9): every operation of the served spec,
//! called as every kind of caller, in scope and out of scope, and as
//! nobody, answers the class `tests/authz.csv` expects. An operation of the
//! spec without a row, or a row without an operation, fails the test.
//!
//! Two worlds of fixtures, A and B, are built alike. Callers are world A's
//! (its person, unit admin, provider admin, authority and platform, and
//! hrss); path parameters come from world A (the `role` column) or world B
//! (the `role_other` column). Operations run reads first, then changes,
//! then deletions, then those that give the caller a new role, so that no
//! call takes away what a later one needs; a deletion gets a fresh victim
//! for every call.
//!
//! `AUTHZ_WRITE=1 cargo test --test e2e authz` rewrites the table from what
//! the server answers (review the diff: a 2xx where a 403 or 404 belongs is
//! a bug to fix, not a row to change).

use std::collections::BTreeMap;

use ce_sdk::{Client, call};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::helpers::{call_ok as ok, id_of as id};

const TABLE: &str = include_str!("../authz.csv");

const PDF: &[u8] = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj <<>> endobj\n%%EOF\n";

/// The table's caller columns, in order.
const CALLERS: [&str; 13] = [
    "nobody",
    "person",
    "person_other",
    "unit_admin",
    "unit_admin_other",
    "provider_admin",
    "provider_admin_other",
    "authority",
    "authority_other",
    "platform",
    "platform_other",
    "hrss",
    "evaluator",
];

/// One world's actors and the ids of its entities, by kind.
struct World {
    person: Signed,
    admin: Signed,
    provider: Client,
    authority: Client,
    platform: Client,
    /// A title committee's officer: a registered person hrss granted the
    /// `evaluator` role for the world's series (R-CE-5).
    evaluator: Client,
    /// The series of its authority, qualification and plans.
    series: &'static str,
    ids: BTreeMap<&'static str, String>,
}

impl World {
    fn id(&self, key: &str) -> &str {
        self.ids
            .get(key)
            .unwrap_or_else(|| panic!("world has no {key}"))
    }
}

/// Sends `body` as JSON (or nothing for `Null`) and insists on a 2xx.
enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

async fn send(c: &Client, method: Method, path: &str, body: &Body) -> (u16, String) {
    let (ct, bytes) = match body {
        Body::Json(Value::Null) => (None, vec![]),
        Body::Json(v) => (Some("application/json"), serde_json::to_vec(v).unwrap()),
        Body::Raw(ct, b) => (Some(*ct), b.clone()),
    };
    let r = c.send_raw(method, path, ct, bytes).await.unwrap();
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

async fn world(app: &TestApp, hrss: &Client, series: &'static str) -> World {
    let mut ids = BTreeMap::new();
    let t = crate::training::training_in(app, series).await;
    let (person, admin, unit) = crate::certificates::accountant(app).await;
    let pid = person.person_id();
    let hook = ok(
        &admin.client,
        Method::POST,
        "/webhooks",
        json!({"url": "https://hr.example.com/ce", "unit_id": unit}),
    )
    .await;
    ids.insert(
        "webhook",
        hook["webhook"]["id"].as_str().unwrap().to_string(),
    );
    // The exam subject completes the year (the certificate); the record the
    // matrix acts on is one the unit reviews and approved — an exam subject
    // is the district finance department's (R-ACC-4).
    let exam = crate::certificates::exam_subject(&person, "中级会计实务").await;
    crate::certificates::confirm(app, exam.id).await;
    let record = crate::certificates::elective(&person, "职业道德").await;
    ok(
        &admin.client,
        Method::POST,
        &format!("/records/{}/review", record.id),
        json!({"decision": "approve"}),
    )
    .await;
    ids.insert("record", record.id.to_string());
    let deliveries = ok(
        &admin.client,
        Method::GET,
        &format!("/webhooks/{}/deliveries", ids["webhook"]),
        Value::Null,
    )
    .await;
    ids.insert("delivery", id(&deliveries["items"][0]));
    let certs = ok(
        &person.client,
        Method::GET,
        &format!("/certificates?person_id={pid}"),
        Value::Null,
    )
    .await;
    ids.insert("certificate", id(&certs["items"][0]));
    ids.insert(
        "number",
        certs["items"][0]["number"].as_str().unwrap().to_string(),
    );
    let bindings = ok(
        &person.client,
        Method::GET,
        &format!("/persons/{pid}/bindings"),
        Value::Null,
    )
    .await;
    ids.insert("binding", id(&bindings["items"][0]));
    let r = send(
        &person.client,
        Method::POST,
        "/api/v1/attachments?filename=proof.pdf",
        &Body::Raw("application/octet-stream", PDF.to_vec()),
    )
    .await;
    assert_eq!(r.0, 201, "{}", r.1);
    ids.insert("attachment", id(&serde_json::from_str(&r.1).unwrap()));
    let quals = ok(&t.provider, Method::GET, "/qualifications", Value::Null).await;
    ids.insert("qualification", id(&quals["items"][0]));
    ids.insert("plan", t.draft().await.id.to_string());
    // R-PQ-5: the world's person claims the world's city base (a province
    // authority decides no claim: only hrss and the Guangzhou city
    // authority do).
    let (base_no, base_name) = match series {
        "nursing" => ("007", "广州卫生职业技术学院"),
        "engineering" => ("021", "广州市建设职业培训学校"),
        s => panic!("no city base for {s}"),
    };
    let claim = ok(
        &person.client,
        Method::POST,
        "/base-claims",
        json!({"base_no": base_no, "name": base_name, "credit_code": credit_code()}),
    )
    .await;
    ids.insert("base_claim", id(&claim));
    ids.insert("base_no", base_no.to_string());
    ids.insert("base_name", base_name.to_string());
    let class = t.class(5).await;
    let learner = app.verified_person().await;
    let e = call!(learner.client.api().enrollment_create(&class.id, None)).unwrap();
    ids.insert("class", class.id.to_string());
    ids.insert("enrollment", e.id.to_string());
    let teacher = ok(
        &admin.client,
        Method::POST,
        &format!("/units/{unit}/teachers"),
        json!({"name": "李老师"}),
    )
    .await;
    ids.insert("teacher", id(&teacher));
    let pf = ok(
        hrss,
        Method::POST,
        "/platforms",
        json!({"name": "公需课平台", "categories": ["public"], "series_families": ["accounting"]}),
    )
    .await;
    let platform = app
        .client
        .client_credentials(
            pf["client_id"].as_str().unwrap(),
            pf["client_secret"].as_str().unwrap(),
        )
        .await
        .unwrap();
    ids.insert("platform", id(&pf));
    ids.insert("client_id", pf["client_id"].as_str().unwrap().to_string());
    ids.insert(
        "client_secret",
        pf["client_secret"].as_str().unwrap().to_string(),
    );
    let pushed = ok(
        &platform,
        Method::POST,
        "/records/batch",
        json!({"items": [crate::push::public("authz-1", &person.person)]}),
    )
    .await;
    ids.insert("batch", pushed["batch_id"].as_str().unwrap().to_string());
    let hook = ok(
        &platform,
        Method::POST,
        "/webhooks",
        json!({"url": "https://lms.example.com/ce"}),
    )
    .await;
    ids.insert(
        "platform_webhook",
        hook["webhook"]["id"].as_str().unwrap().to_string(),
    );
    let finding = ok(
        hrss,
        Method::POST,
        "/credit-records",
        json!({
            "subject_type": "unit", "subject_id": unit, "reason": "虚报学时",
            "rule": "条例 第二十七条", "severity": "minor", "found_on": today(), "published": true,
        }),
    )
    .await;
    ids.insert("credit", id(&finding));
    let notice = ok(
        hrss,
        Method::POST,
        "/notices",
        json!({"kind": "notice", "title": "关于继续教育的通知", "body": "请按时完成学时。"}),
    )
    .await;
    ids.insert("notice", id(&notice));
    // No notice has attachments here: the id only has to be well-formed.
    ids.insert("notice_attachment", uuid::Uuid::now_v7().to_string());
    // A pending invitation to administer the unit, which only the invitee
    // may accept.
    let invitee = app.register().await;
    ok(
        &admin.client,
        Method::POST,
        &format!("/units/{unit}/admins"),
        json!({"id_card_no": invitee.id_card_no}),
    )
    .await;
    ids.insert("invitee", invitee.me.id.to_string());
    let candidate = app.register().await;
    ids.insert("candidate_id_card", candidate.id_card_no.clone());
    ids.insert("person_id_card", person.person.id_card_no.clone());
    ids.insert("person", pid.to_string());
    ids.insert("unit", unit.to_string());
    ids.insert("provider", t.provider_view.id.to_string());
    ids.insert("provider_teacher", t.teacher.to_string());
    ids.insert("authority", t.authority_view.id.to_string());
    let officer = app.person().await;
    let evaluator = ok(
        hrss,
        Method::POST,
        "/evaluators",
        json!({"name": "职称评审委员会", "id_card_no": officer.person.id_card_no, "series": [series]}),
    )
    .await;
    ids.insert("evaluator", id(&evaluator));
    // R-ACC-4: authority A's account also runs the province's finance
    // department (the accounting series), and the person completed their
    // information collection (信息采集) in a district of its region; world
    // B's person did in Guangxi, outside every Guangdong department.
    let finance = ok(
        &t.authority,
        Method::POST,
        "/authorities",
        json!({"name": "广东省财政厅", "level": "province", "region": "440000", "series": ["accounting"]}),
    )
    .await;
    ok(
        hrss,
        Method::POST,
        &format!("/authorities/{}/review", id(&finance)),
        json!({"decision": "approve"}),
    )
    .await;
    let region = if series == "nursing" {
        "440104"
    } else {
        "450102"
    };
    ok(
        &person.client,
        Method::PATCH,
        &format!("/persons/{pid}"),
        json!({"region": region}),
    )
    .await;
    World {
        person,
        admin,
        provider: t.provider,
        authority: t.authority,
        platform,
        evaluator: officer.client,
        series,
        ids,
    }
}

/// A fresh entity for an operation that removes what its path names, so
/// that each call has something to remove.
async fn victim(
    app: &TestApp,
    hrss: &Client,
    w: &World,
    op: &str,
    platform: bool,
) -> Option<(&'static str, String)> {
    let unit = w.id("unit");
    Some(match op {
        // A platform's own endpoints are the platform's to remove.
        "webhook_delete" if platform => {
            let h = ok(
                &w.platform,
                Method::POST,
                "/webhooks",
                json!({"url": "https://lms.example.com/ce"}),
            )
            .await;
            ("id", h["webhook"]["id"].as_str().unwrap().to_string())
        }
        "unit_person_remove" => {
            let p = app.register().await;
            ok(
                &w.admin.client,
                Method::POST,
                &format!("/units/{unit}/persons"),
                json!({"id_card_no": p.id_card_no, "name": "张三"}),
            )
            .await;
            ("person_id", p.me.person.unwrap().id.to_string())
        }
        "unit_admin_remove" => {
            let p = app.person().await;
            ok(
                &w.admin.client,
                Method::POST,
                &format!("/units/{unit}/admins"),
                json!({"id_card_no": p.person.id_card_no}),
            )
            .await;
            ok(
                &p.client,
                Method::POST,
                &format!("/units/{unit}/admins/{}/accept", p.account_id()),
                Value::Null,
            )
            .await;
            ("account_id", p.account_id().to_string())
        }
        "teacher_delete" => {
            let t = ok(
                &w.admin.client,
                Method::POST,
                &format!("/units/{unit}/teachers"),
                json!({"name": "李老师"}),
            )
            .await;
            ("id", id(&t))
        }
        "webhook_delete" => {
            let h = ok(
                &w.admin.client,
                Method::POST,
                "/webhooks",
                json!({"url": "https://hr.example.com/ce", "unit_id": unit}),
            )
            .await;
            ("id", h["webhook"]["id"].as_str().unwrap().to_string())
        }
        "notice_withdraw" => {
            let n = ok(
                hrss,
                Method::POST,
                "/notices",
                json!({"kind": "notice", "title": "通知", "body": "正文"}),
            )
            .await;
            ("id", id(&n))
        }
        "evaluator_revoke" => {
            let officer = app.register().await;
            let e = ok(
                hrss,
                Method::POST,
                "/evaluators",
                json!({"name": "评审委员会", "id_card_no": officer.id_card_no, "series": [w.series]}),
            )
            .await;
            ("id", id(&e))
        }
        // A record of its own for each call: a declaration found untruthful
        // stays so, and the world's certified record is needed later.
        "record_declare_untruthful" => {
            let ext = format!("authz-untruthful-{}", uuid::Uuid::now_v7());
            let pushed = ok(
                &w.platform,
                Method::POST,
                "/records/batch",
                json!({"items": [crate::push::public(&ext, &w.person.person)]}),
            )
            .await;
            (
                "id",
                pushed["items"][0]["record_id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        }
        "platform_revoke" => {
            let pf = ok(
                hrss,
                Method::POST,
                "/platforms",
                json!({"name": "平台", "categories": ["public"], "series_families": ["accounting"]}),
            )
            .await;
            ("id", id(&pf))
        }
        _ => return None,
    })
}

/// The world key that fills a path parameter of `op` at `path`.
fn key_of(op: &str, path: &str, param: &str) -> &'static str {
    match (op, param) {
        ("unit_admin_accept", "account_id") => return "invitee",
        (_, "binding_id") => return "binding",
        (_, "batch_id") => return "batch",
        (_, "delivery_id") => return "delivery",
        (_, "attachment_id") => return "notice_attachment",
        (_, "number") => return "number",
        (_, "year") => return "year",
        _ => {}
    }
    let resource = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or("");
    match resource {
        "units" => "unit",
        "persons" => "person",
        "records" => "record",
        "certificates" => "certificate",
        "attachments" => "attachment",
        "authorities" => "authority",
        "base-claims" => "base_claim",
        "classes" => "class",
        "enrollments" => "enrollment",
        "course-plans" => "plan",
        "credit-records" => "credit",
        "evaluators" => "evaluator",
        "notices" => "notice",
        "platforms" => "platform",
        "providers" => "provider",
        "qualifications" => "qualification",
        "teachers" => "teacher",
        "webhooks" => "webhook",
        other => panic!("{op}: no fixture for {{{param}}} under /{other}"),
    }
}

/// The query and body an operation is called with: valid where that is
/// cheap, never harmful to the fixtures later calls use.
fn request(op: &str, w: &World) -> (&'static str, Body) {
    let y = this_year();
    let j = |v: Value| Body::Json(v);
    let none = Body::Json(Value::Null);
    match op {
        "attachment_upload" => (
            "?filename=proof.pdf",
            Body::Raw("application/octet-stream", PDF.to_vec()),
        ),
        "legacy_import" => (
            "?kind=records",
            Body::Raw(
                "application/octet-stream",
                format!(
                    "legacy_id,id_card_no,name,year,category,course_name,hours\nOLD-1,{},李四,2018,elective,旧系统课程,10\n",
                    id_card_no()
                )
                .into_bytes(),
            ),
        ),
        "statistics_view" | "statistics_export" => ("?group_by=series", none),
        "auth_login" => (
            "",
            j(json!({"account": w.id("person_id_card"), "password": PASSWORD})),
        ),
        "auth_login_verify" => (
            "",
            j(json!({"challenge_id": uuid::Uuid::now_v7(), "code": "000000"})),
        ),
        "auth_password_reset" => ("", j(json!({"account": id_card_no()}))),
        "auth_password_reset_confirm" => (
            "",
            j(json!({"challenge_id": uuid::Uuid::now_v7(), "code": "000000", "new_password": "Another-pass-2026"})),
        ),
        "auth_register" => (
            "",
            j(json!({"name": "张三", "id_card_no": id_card_no(), "phone": phone_no(), "password": PASSWORD})),
        ),
        "auth_token" => (
            "",
            j(json!({
                "grant_type": "client_credentials",
                "client_id": w.id("client_id"), "client_secret": w.id("client_secret"),
            })),
        ),
        "authority_apply" => (
            "",
            j(json!({"name": "工程主管部门", "level": "province", "region": "440000", "series": ["engineering"]})),
        ),
        "authority_review_batch" => (
            "",
            j(json!({"ids": [w.id("authority")], "decision": "approve"})),
        ),
        "authority_review"
        | "base_claim_review"
        | "course_plan_review"
        | "qualification_review"
        | "record_review" => {
            ("", j(json!({"decision": "approve"})))
        }
        "catalogue_publish" => (
            "",
            j(json!({"series": w.series, "name": "护理质量管理", "hours": 24})),
        ),
        "base_claim_create" => (
            "",
            j(json!({"base_no": w.id("base_no"), "name": w.id("base_name"), "credit_code": credit_code()})),
        ),
        "base_claim_resubmit" => ("", j(json!({"credit_code": credit_code()}))),
        "certificate_revoke" => ("", j(json!({"reason": "核查发现错误"}))),
        "certificate_check_batch" => (
            "",
            j(json!({"applicants": [{"id_card_no": w.id("person_id_card"), "name": "张三"}]})),
        ),
        "evaluator_grant" => (
            "",
            j(json!({"name": "职称评审委员会", "id_card_no": w.id("candidate_id_card"), "series": [w.series]})),
        ),
        "record_declare_untruthful" => ("", j(json!({"reason": "记载不真实"}))),
        "class_transition" => ("", j(json!({"to": "open"}))),
        "course_plan_create" => (
            "",
            j(json!({"provider_id": w.id("provider"), "series": w.series, "year": y, "course_name": "护理安全管理"})),
        ),
        "course_plan_review_batch" => (
            "",
            j(json!({"ids": [w.id("plan")], "decision": "approve"})),
        ),
        "course_plan_update" => ("", j(json!({"description": "第二期"}))),
        "class_create" => {
            let start = today().checked_add_days(chrono::Days::new(5)).unwrap();
            let end = today().checked_add_days(chrono::Days::new(7)).unwrap();
            (
                "",
                j(json!({
                    "name": "第二期", "mode": "face_to_face", "start_date": start, "end_date": end,
                    "hours": 24, "capacity": 5, "venue": "广州",
                    "teacher_ids": [w.id("provider_teacher")],
                })),
            )
        }
        "credit_record_create" => (
            "",
            j(json!({
                "subject_type": "unit", "subject_id": w.id("unit"), "reason": "虚报学时",
                "rule": "条例 第二十七条", "severity": "minor", "found_on": today(), "published": false,
            })),
        ),
        "credit_record_update" => ("", j(json!({"published": true}))),
        "enrollment_result" => ("", j(json!({"score": 88, "passed": true}))),
        "enrollment_review" => ("", j(json!({"decision": "accept"}))),
        "binding_review" => ("", j(json!({"decision": "approve"}))),
        "notice_publish" => (
            "",
            j(json!({"kind": "notice", "title": "通知", "body": "正文"})),
        ),
        "person_update" => (
            "",
            j(json!({"series": ["accounting"], "series_year": y})),
        ),
        "binding_request" => ("", j(json!({"unit_id": w.id("unit")}))),
        "certificate_issue" => ("", j(json!({"year": y}))),
        "person_verify" => (
            "",
            j(json!({"name": "张三", "id_card_no": w.id("person_id_card")})),
        ),
        "platform_create" => (
            "",
            j(json!({"name": "平台", "categories": ["public"], "series_families": ["accounting"]})),
        ),
        "policy_defaults_set" => ("", j(json!({"default_public_deadline": "04-30"}))),
        "certificate_holder_check" => (
            "",
            j(json!({"id_card_no": "11010519491231002X", "name": "张三"})),
        ),
        "policy_set" => (
            "",
            j(json!({"groups": {"general": {"public_min": 24, "professional_min": 42, "elective_min": 24}}})),
        ),
        "provider_create" => (
            "",
            j(json!({"name": "培训中心", "credit_code": credit_code(), "level": "city"})),
        ),
        "qualification_apply" => (
            "",
            j(json!({"series": w.series, "authority_id": w.id("authority")})),
        ),
        "provider_teacher_create" | "unit_teacher_create" => ("", j(json!({"name": "王老师"}))),
        "qualification_update" => ("", j(json!({"attachment_ids": []}))),
        "record_declare" => (
            "",
            j(json!({"year": y, "category": "elective", "course_name": "职业道德", "hours": 10})),
        ),
        "record_push" => (
            "",
            j(json!({"items": [crate::push::public("authz-2", &w.person.person)]})),
        ),
        "accounting_exam_record" => (
            "",
            j(json!({"year": y, "code": "accounting_qualification_exam_subject", "subject": "中级会计实务"})),
        ),
        "record_review_batch" => (
            "",
            j(json!({"ids": [w.id("record")], "decision": "approve"})),
        ),
        "record_update" => ("", j(json!({"hours": 12}))),
        "teacher_update" => ("", j(json!({"enabled": true}))),
        "unit_create" => (
            "",
            j(json!({"name": "广州市某某医院", "credit_code": credit_code()})),
        ),
        "unit_update" => ("", j(json!({"address": "广州市天河区"}))),
        "unit_admin_invite" => ("", j(json!({"id_card_no": w.id("candidate_id_card")}))),
        "unit_person_add" => (
            "",
            j(json!({"id_card_no": w.id("person_id_card"), "name": "张三"})),
        ),
        "webhook_create" => (
            "",
            j(json!({"url": "https://hr.example.com/ce", "unit_id": w.id("unit")})),
        ),
        _ => ("", none),
    }
}

/// A token of the same caller with a new `jti`, signed with the server's key.
fn same_caller_new_token(app: &TestApp, token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let mut claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["jti"] = json!(uuid::Uuid::now_v7());
    app.forge(&claims, &app.jwt_secret)
}

/// The refresh token of a new sign-in of world `w`'s person.
async fn sign_in_refresh_token(nobody: &Client, w: &World) -> String {
    let (status, text) = send(
        nobody,
        Method::POST,
        "/api/v1/auth/login",
        &Body::Json(json!({"account": w.id("person_id_card"), "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["refresh_token"].as_str().unwrap().to_string()
}

/// The client of a caller column (`_other` columns call as world A too).
fn client_of<'a>(caller: &str, w: &'a World, hrss: &'a Client, nobody: &'a Client) -> &'a Client {
    match caller.trim_end_matches("_other") {
        "nobody" => nobody,
        "person" => &w.person.client,
        "unit_admin" => &w.admin.client,
        "provider_admin" => &w.provider,
        "authority" => &w.authority,
        "platform" => &w.platform,
        "hrss" => hrss,
        "evaluator" => &w.evaluator,
        c => unreachable!("{c}"),
    }
}

/// The path of `op` with its parameters filled from world `w` (a fresh
/// victim for a deletion).
async fn url_of(
    app: &TestApp,
    hrss: &Client,
    w: &World,
    op: &str,
    path: &str,
    platform: bool,
) -> String {
    let fresh = victim(app, hrss, w, op, platform).await;
    let mut url = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').unwrap() + open;
        let param = &rest[open + 1..close];
        url.push_str(&rest[..open]);
        let value = match &fresh {
            Some((p, v)) if *p == param => v.clone(),
            _ => match key_of(op, path, param) {
                "year" if op == "policy_set" => (this_year() + 1).to_string(),
                "year" => this_year().to_string(),
                // A platform's endpoint is its own, not the unit's.
                "webhook" if platform => w.id("platform_webhook").to_string(),
                key => w.id(key).to_string(),
            },
        };
        url.push_str(&value);
        rest = &rest[close + 1..];
    }
    url.push_str(rest);
    url
}

/// When an operation runs: reads, changes, removals, then the operations
/// that give their caller a new role.
fn phase(op: &str, method: &str) -> u8 {
    match (op, method) {
        // Approving a base claim makes its claimant (the world's person) a
        // provider admin (R-PQ-5).
        ("unit_create" | "provider_create" | "unit_admin_accept" | "base_claim_review", _) => 3,
        (_, "delete") => 2,
        ("certificate_revoke" | "certificate_reissue", _) => 2,
        (_, "get") => 0,
        _ => 1,
    }
}

/// Whether `status` belongs to `class` (`2xx`, `401`, `403`, `404`, or
/// `ok`: past authorization, i.e. neither 401, 403, 404 nor 5xx).
fn matches(class: &str, status: u16) -> bool {
    match class {
        "2xx" => (200..300).contains(&status),
        "ok" => !matches!(status, 401 | 403 | 404) && status < 500,
        n => n.parse::<u16>() == Ok(status),
    }
}

fn class_of(status: u16) -> String {
    match status {
        200..=299 => "2xx".into(),
        401 | 403 | 404 => status.to_string(),
        s if s >= 500 => format!("BUG-{s}"),
        _ => "ok".into(),
    }
}

struct Row {
    cells: BTreeMap<&'static str, String>,
}

fn parse_table() -> BTreeMap<String, Row> {
    let mut rows = BTreeMap::new();
    let mut header: Option<Vec<String>> = None;
    for line in TABLE.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<String> = line.split(',').map(|f| f.trim().to_string()).collect();
        let Some(h) = &header else {
            assert_eq!(
                fields[1..],
                CALLERS.map(String::from)[..],
                "tests/authz.csv: the header names the callers in this order"
            );
            header = Some(fields);
            continue;
        };
        assert_eq!(fields.len(), h.len(), "tests/authz.csv: {line}");
        let cells = CALLERS
            .iter()
            .zip(&fields[1..])
            .map(|(c, v)| (*c, v.clone()))
            .collect();
        assert!(
            rows.insert(fields[0].clone(), Row { cells }).is_none(),
            "tests/authz.csv: {} twice",
            fields[0]
        );
    }
    rows
}

#[tokio::test]
async fn every_operation_as_every_caller_answers_the_class_of_the_matrix() {
    let app = spawn_app_with(Options {
        mfa_required: false,
        ..Default::default()
    })
    .await;
    let spec = app.served_spec().await;
    // (phase, operationId) → (method, path)
    let mut ops = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let op_id = op["operationId"].as_str().unwrap().to_string();
            ops.insert(
                (phase(&op_id, method), op_id),
                (method.to_uppercase(), path.clone()),
            );
        }
    }
    let table = parse_table();
    let writing = std::env::var("AUTHZ_WRITE").is_ok_and(|v| v == "1");
    if !writing {
        let missing: Vec<_> = ops
            .keys()
            .filter(|(_, op)| !table.contains_key(op))
            .map(|(_, op)| op.clone())
            .collect();
        let stale: Vec<_> = table
            .keys()
            .filter(|op| !ops.keys().any(|(_, o)| o == *op))
            .collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "tests/authz.csv: operations without a row (add them): {missing:?}; \
             rows without an operation (remove them): {stale:?}"
        );
    }

    let hrss = app.hrss().await;
    let a = world(&app, &hrss, "nursing").await;
    let b = world(&app, &hrss, "engineering").await;
    let nobody = app.client.clone();

    let mut problems = vec![];
    let mut observed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut answers: Answers = BTreeMap::new();
    for ((_, op), (method, path)) in &ops {
        let row = table.get(op);
        let mut cells = vec![];
        for caller in CALLERS {
            let other = caller.ends_with("_other");
            let has_params = path.contains('{');
            let expected = row.map(|r| r.cells[caller].as_str());
            if (other && !has_params) || expected == Some("-") {
                cells.push("-".to_string());
                continue;
            }
            let w = if other { &b } else { &a };
            let client = client_of(caller, &a, &hrss, &nobody);
            // Signing out ends the token it is sent with: each caller signs
            // out a token of its own made for the call, and keeps its own.
            let signing_out;
            let client = match client.token() {
                Some(token) if op == "auth_logout" => {
                    signing_out = client.with_token(same_caller_new_token(&app, token));
                    &signing_out
                }
                _ => client,
            };
            let platform = caller.starts_with("platform");
            let mut url = url_of(&app, &hrss, w, op, path, platform).await;
            let (query, mut body) = request(op, w);
            // A refresh token works once: each call gets a new sign-in's.
            if op == "auth_refresh" {
                body =
                    Body::Json(json!({"refresh_token": sign_in_refresh_token(&nobody, w).await}));
            }
            url.push_str(query);
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let (status, text) = send(client, method.clone(), &url, &body).await;
            if (200..300).contains(&status)
                && let Ok(v) = serde_json::from_str::<Value>(&text)
            {
                answers
                    .entry(op.clone())
                    .or_default()
                    .push((caller, status, v));
            }
            cells.push(class_of(status));
            let code = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["code"].as_str().map(String::from))
                .unwrap_or_default();
            match expected {
                _ if status >= 500 => problems.push(format!(
                    "{op} as {caller}: {status} {code} ({method} {url})"
                )),
                Some(class) if !matches(class, status) => problems.push(format!(
                    "{op} as {caller}: expected {class}, got {status} {code} ({method} {url})"
                )),
                _ => {}
            }
        }
        observed.insert(op.clone(), cells);
    }

    problems.extend(check_answer_examples(&answers));
    if writing {
        let mut out = String::new();
        for line in TABLE.lines().take_while(|l| l.starts_with('#')) {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!("operation_id,{}\n", CALLERS.join(",")));
        for (op, cells) in &observed {
            out.push_str(&format!("{op},{}\n", cells.join(",")));
        }
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/authz.csv"), out).unwrap();
    }
    assert!(
        problems.is_empty(),
        "{} answers differ from tests/authz.csv:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The fields of a request body that name the world's state (ids, a
/// registered person's ID number and name, unique numbers, the year and
/// series in force, the catalogue's course names, dates inside today's
/// filing window, codes the server sent): the matrix's values replace the
/// example's there; every other field is the example's own.
fn names_state(key: &str, with_id_card: bool) -> bool {
    key.ends_with("_id")
        || key.ends_with("_ids")
        || matches!(
            key,
            "id_card_no"
                | "phone"
                | "account"
                | "password"
                | "code"
                | "credit_code"
                | "year"
                | "series"
                | "series_year"
                | "items"
                | "url"
                | "to"
                | "region"
                | "base_no"
                | "level"
                | "decision"
                | "events"
                | "category"
                | "course_name"
                | "start_date"
                | "end_date"
                | "subject_type"
        )
        || (key == "name" && with_id_card)
}

/// The example of a JSON request body: the media type's, or its schema's.
fn example_of(spec: &Value, media: &Value) -> Option<Value> {
    if let Some(e) = media.get("example") {
        return Some(e.clone());
    }
    let schema = &media["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    schema.get("example").cloned()
}

#[tokio::test]
async fn every_request_example_is_taken_by_the_server() {
    let app = spawn_app_with(Options {
        mfa_required: false,
        ..Default::default()
    })
    .await;
    let spec = app.served_spec().await;
    let table = parse_table();
    let hrss = app.hrss().await;
    let w = world(&app, &hrss, "nursing").await;
    let nobody = app.client.clone();
    // In the matrix's order, so that what one call needs is still there.
    let mut ops = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let op_id = op["operationId"].as_str().unwrap().to_string();
            ops.insert(
                (phase(&op_id, method), op_id),
                (method.clone(), path.clone(), op.clone()),
            );
        }
    }
    let (mut missing, mut refused, mut sent) = (vec![], vec![], 0);
    let (mut schemas, mut taken) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    for ((_, op_id), (method, path, op)) in &ops {
        let Some(content) = op["requestBody"]["content"].as_object() else {
            continue;
        };
        let Some(media) = content.get("application/json") else {
            // Uploads, CSV imports and the token form: raw bodies.
            continue;
        };
        let Some(example) = example_of(&spec, media) else {
            missing.push(op_id.clone());
            continue;
        };
        let schema = media["schema"]["$ref"]
            .as_str()
            .unwrap_or(op_id)
            .trim_start_matches("#/components/schemas/")
            .to_string();
        schemas.insert(schema.clone());
        let row = &table[op_id.as_str()].cells;
        // A caller the matrix lets through; for the SMS-code operations,
        // which no world can pass without a code it was sent, the 401
        // `code_invalid` proves the example was read and checked.
        let allowed = ["2xx", "ok"]
            .iter()
            .find_map(|class| {
                CALLERS
                    .iter()
                    .find(|c| !c.ends_with("_other") && row[**c] == *class)
                    .map(|c| (*c, *class))
            })
            .or_else(|| {
                row.values()
                    .all(|c| c == "401" || c == "-")
                    .then_some(("nobody", "401"))
            });
        let Some((caller, class)) = allowed else {
            // No caller of world A may (its plan is another authority's):
            // the schema's example is sent by the operations that share it.
            continue;
        };
        let client = client_of(caller, &w, &hrss, &nobody);
        let mut url = url_of(&app, &hrss, &w, op_id, path, caller == "platform").await;
        let (query, state) = request(op_id, &w);
        url.push_str(query);
        let mut body = example.clone();
        // Where a field names the world's state, the world's value, or
        // nothing when the world has none (an attachment the example names
        // does not exist here).
        if let (Value::Object(b), Body::Json(Value::Object(state))) = (&mut body, &state) {
            let example_has_id_card = b.contains_key("id_card_no");
            let keys: Vec<String> = b.keys().chain(state.keys()).cloned().collect();
            for k in keys {
                if names_state(&k, example_has_id_card) {
                    match state.get(&k) {
                        Some(v) => b.insert(k, v.clone()),
                        None => b.remove(&k),
                    };
                }
            }
        }
        // A refresh token is the world's state too: one the server issued.
        if op_id == "auth_refresh"
            && let Value::Object(b) = &mut body
        {
            b.insert(
                "refresh_token".into(),
                json!(sign_in_refresh_token(&nobody, &w).await),
            );
        }
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (status, text) = send(client, m, &url, &Body::Json(body.clone())).await;
        sent += 1;
        if matches!(status, 400 | 415 | 422) || status >= 500 || !matches(class, status) {
            refused.push(format!(
                "{op_id} as {caller}: {status} {text}\n  sent {body}"
            ));
        } else {
            taken.insert(schema);
        }
    }
    assert!(
        missing.is_empty(),
        "request bodies without an example: {missing:?}"
    );
    let untried: Vec<_> = schemas.difference(&taken).collect();
    assert!(
        untried.is_empty(),
        "examples no operation took: {untried:?}"
    );
    assert!(sent >= 40, "only {sent} examples were sent");
    assert!(
        refused.is_empty(),
        "{} examples the server refused:\n{}",
        refused.len(),
        refused.join("\n")
    );
}

/// The JSON success answers of the matrix, by operation: (caller, status,
/// body).
type Answers = BTreeMap<String, Vec<(&'static str, u16, Value)>>;

const ANSWERS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/api/spec/answers.json");

/// The shape of a JSON value: the paths of its fields (`items[].name`).
/// Keys that are data (ids, years) read as `*`.
fn shape(v: &Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let data =
                    uuid::Uuid::parse_str(k).is_ok() || k.chars().all(|c| c.is_ascii_digit());
                let path = format!("{prefix}.{}", if data { "*" } else { k });
                out.insert(path.clone());
                shape(v, &path, out);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| shape(v, &format!("{prefix}[]"), out)),
        _ => {}
    }
}

fn shape_of(v: &Value) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    shape(v, "", &mut out);
    out
}

/// An answer fit for the spec: lists cut to two items, secrets and tokens
/// replaced by a value of their form.
fn example_of_answer(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("access_token" | "refresh_token" | "challenge_token", Value::String(_)) => {
                            json!("eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzYjVmMi03YzNhLTcwMDAtOGQ0ZS0xYTJiM2M0ZDVlNmYifQ.c2lnbmF0dXJl")
                        }
                        ("client_secret" | "secret" | "signing_secret", Value::String(s)) => {
                            Value::String(placeholder_secret(s))
                        }
                        _ => example_of_answer(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().take(2).map(example_of_answer).collect()),
        v => v.clone(),
    }
}

/// A secret of the same form and length as `s` (a webhook's `whsec_`
/// kept), so the example still fits the schema's limits.
fn placeholder_secret(s: &str) -> String {
    let prefix = if s.starts_with("whsec_") {
        "whsec_"
    } else {
        ""
    };
    let fill = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwXh3bV7nQ0tEe5cR1uYk4A6dJ2sW9mFgHz";
    let body: String = fill.chars().cycle().take(s.len() - prefix.len()).collect();
    format!("{prefix}{body}")
}

/// Every JSON success answer of the matrix has an example in the spec
/// (issue 19: examples on the success answers), and the example has the
/// shape of the server's answer: each field the recorded caller is
/// answered appears in it, and it shows no field no caller is answered.
/// `EXAMPLES_WRITE=1` records them (the first caller answered 2xx).
fn check_answer_examples(answers: &Answers) -> Vec<String> {
    let writing = std::env::var("EXAMPLES_WRITE").is_ok_and(|v| v == "1");
    let stored: serde_json::Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(ANSWERS_FILE).unwrap()).unwrap();
    let mut problems = vec![];
    let mut out = serde_json::Map::new();
    for (op, seen) in answers {
        let (caller, status, first) = &seen[0];
        let recorded = stored.get(op);
        if writing {
            let keep = recorded.is_some_and(|r| {
                r["caller"] == *caller
                    && shape_of(&r["example"]) == shape_of(&example_of_answer(first))
            });
            out.insert(
                op.clone(),
                if keep {
                    recorded.unwrap().clone()
                } else {
                    json!({"caller": caller, "status": status.to_string(), "example": example_of_answer(first)})
                },
            );
            continue;
        }
        let Some(recorded) = recorded else {
            problems.push(format!(
                "{op}: answers {status} without an example in api/spec/answers.json (EXAMPLES_WRITE=1 records it)"
            ));
            continue;
        };
        let example = shape_of(&recorded["example"]);
        let by = recorded["caller"].as_str().unwrap_or_default();
        let all: std::collections::BTreeSet<String> =
            seen.iter().flat_map(|(_, _, v)| shape_of(v)).collect();
        let stale: Vec<_> = example.difference(&all).collect();
        let missing: Vec<_> = seen
            .iter()
            .filter(|(c, _, _)| *c == by)
            .flat_map(|(_, _, v)| shape_of(&example_of_answer(v)))
            .filter(|p| !example.contains(p))
            .collect();
        if !stale.is_empty() || !missing.is_empty() {
            problems.push(format!(
                "{op}: the answer example differs from the server's answer: fields no answer has {stale:?}, fields it lacks {missing:?} (EXAMPLES_WRITE=1 records it again)"
            ));
        }
    }
    if writing {
        let text = serde_json::to_string_pretty(&Value::Object(out)).unwrap();
        std::fs::write(ANSWERS_FILE, text + "\n").unwrap();
    }
    problems
}
