//! The audit trail (R-CR-2): every change of state is one append-only
//! event, written with the change; hrss reads all, a person and a unit
//! their own.

use std::collections::{BTreeMap, BTreeSet};

use ce_sdk::{Client, call};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::helpers::{call_ok as ok, id_of as id};

const PDF: &[u8] = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj <<>> endobj\n%%EOF\n";

/// Sends `body` as JSON (or nothing for `Null`) and insists on a 2xx.
/// `(method, route) → count` of 2xx answers, from the server's metrics.
async fn successes(app: &TestApp) -> BTreeMap<(String, String), u64> {
    let text = app
        .client
        .send_raw(Method::GET, "/metrics", None, vec![])
        .await
        .unwrap()
        .body;
    let text = String::from_utf8(text).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("http_requests_total{") else {
            continue;
        };
        let (labels, n) = rest.split_once("} ").unwrap();
        let label = |k: &str| {
            labels
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{k}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
                .unwrap()
        };
        if label("status").starts_with('2') {
            *out.entry((label("method"), label("route"))).or_default() += n.parse::<u64>().unwrap();
        }
    }
    out
}

/// `operation → number of audit events`, straight from the table.
async fn events_by_operation(app: &TestApp) -> BTreeMap<String, u64> {
    let db = Database::connect(&app.database_url).await.unwrap();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT operation, COUNT(*) AS n FROM audit_events GROUP BY operation",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let op: Option<String> = r.try_get("", "operation").unwrap();
            let n: i64 = r.try_get("", "n").unwrap();
            (op.unwrap_or_default(), n as u64)
        })
        .collect()
}

/// The mutating operations of the spec the server serves.
async fn mutating_operations(app: &TestApp) -> BTreeSet<(String, String)> {
    let spec = app.served_spec().await;
    let mut out = BTreeSet::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if ["post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Drives every mutating operation of the API at least once, successfully.
async fn every_operation(app: &TestApp) {
    let hrss = app.hrss().await;
    // Authorities, catalogue, providers, qualifications, teachers.
    let t = crate::training::training(app).await;
    // Units, verification, binding by the unit, series, a declaration and
    // its approval, which issues the year's certificate.
    let (person, admin, unit) = crate::certificates::certified_accountant(app).await;
    let pid = person.person_id();

    // Plans, classes, enrolments, results, closing.
    let class = t.class(5).await;
    let learner = app.verified_person().await;
    t.run(&class, &[(&learner, true)]).await;
    let plan = t.draft().await;
    ok(
        &t.provider,
        Method::PATCH,
        &format!("/course-plans/{}", plan.id),
        json!({"description": "第二期"}),
    )
    .await;
    ok(
        &t.provider,
        Method::POST,
        &format!("/course-plans/{}/submit", plan.id),
        Value::Null,
    )
    .await;
    ok(
        &t.authority,
        Method::POST,
        "/course-plans/reviews",
        json!({"ids": [plan.id], "decision": "approve"}),
    )
    .await;

    // A returned qualification, changed and sent again.
    let (provider2, provider2_view) = app.provider_admin().await;
    let q = ok(
        &provider2,
        Method::POST,
        &format!("/providers/{}/qualifications", provider2_view.id),
        json!({"series": t.series, "authority_id": t.authority_view.id}),
    )
    .await;
    ok(
        &t.authority,
        Method::POST,
        &format!("/qualifications/{}/review", id(&q)),
        json!({"decision": "reject_return", "comment": "缺少材料"}),
    )
    .await;
    ok(
        &provider2,
        Method::PATCH,
        &format!("/qualifications/{}", id(&q)),
        json!({"attachment_ids": []}),
    )
    .await;
    ok(
        &provider2,
        Method::POST,
        &format!("/qualifications/{}/resubmit", id(&q)),
        Value::Null,
    )
    .await;

    // R-PQ-5: a claim to a city base returned, corrected, sent again and
    // confirmed by hrss.
    let claimant = app.person().await;
    let claim = ok(
        &claimant.client,
        Method::POST,
        "/base-claims",
        json!({"base_no": "008", "name": "广州市胸科医院", "credit_code": credit_code()}),
    )
    .await;
    ok(
        &hrss,
        Method::POST,
        &format!("/base-claims/{}/review", id(&claim)),
        json!({"decision": "reject_return", "comment": "请核对统一社会信用代码"}),
    )
    .await;
    ok(
        &claimant.client,
        Method::POST,
        &format!("/base-claims/{}/resubmit", id(&claim)),
        json!({"credit_code": credit_code()}),
    )
    .await;
    ok(
        &hrss,
        Method::POST,
        &format!("/base-claims/{}/review", id(&claim)),
        json!({"decision": "approve"}),
    )
    .await;

    // An authority approved in a batch.
    let applicant = app.person().await;
    let a = ok(
        &applicant.client,
        Method::POST,
        "/authorities",
        json!({"name": "工程主管部门", "level": "province", "region": "440000", "series": ["engineering"]}),
    )
    .await;
    ok(
        &hrss,
        Method::POST,
        "/authorities/reviews",
        json!({"ids": [id(&a)], "decision": "approve"}),
    )
    .await;

    // A unit's endpoint, a declaration returned, changed, sent again and
    // approved in a batch, its delivery replayed, the endpoint removed.
    let hook = ok(
        &admin.client,
        Method::POST,
        "/webhooks",
        json!({"url": "https://hr.example.com/ce", "unit_id": unit}),
    )
    .await;
    let hook_id = hook["webhook"]["id"].as_str().unwrap().to_string();
    let r = person
        .client
        .send_raw(
            Method::POST,
            "/api/v1/attachments?filename=proof.pdf",
            Some("application/octet-stream"),
            PDF.to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let attachment: Value = serde_json::from_slice(&r.body).unwrap();
    let record = ok(
        &person.client,
        Method::POST,
        "/records",
        json!({
            "year": this_year(), "category": "elective", "course_name": "职业道德",
            "hours": 10, "attachment_ids": [id(&attachment)],
        }),
    )
    .await;
    let rid = id(&record);
    ok(
        &admin.client,
        Method::POST,
        &format!("/records/{rid}/review"),
        json!({"decision": "reject_return", "comment": "学时不符"}),
    )
    .await;
    ok(
        &person.client,
        Method::PATCH,
        &format!("/records/{rid}"),
        json!({"hours": 12}),
    )
    .await;
    ok(
        &person.client,
        Method::POST,
        &format!("/records/{rid}/resubmit"),
        Value::Null,
    )
    .await;
    ok(
        &admin.client,
        Method::POST,
        "/records/reviews",
        json!({"ids": [rid], "decision": "approve"}),
    )
    .await;
    let deliveries = ok(
        &admin.client,
        Method::GET,
        &format!("/webhooks/{hook_id}/deliveries"),
        Value::Null,
    )
    .await;
    let delivery = deliveries["items"][0]["id"]
        .as_str()
        .expect("a delivery")
        .to_string();
    ok(
        &admin.client,
        Method::POST,
        &format!("/webhooks/{hook_id}/deliveries/{delivery}/replay"),
        Value::Null,
    )
    .await;
    ok(
        &admin.client,
        Method::DELETE,
        &format!("/webhooks/{hook_id}"),
        Value::Null,
    )
    .await;

    // Certificates: reissued, revoked, issued again on demand.
    let list = ok(
        &person.client,
        Method::GET,
        &format!("/certificates?person_id={pid}"),
        Value::Null,
    )
    .await;
    let first = id(&list["items"][0]);
    let second = ok(
        &person.client,
        Method::POST,
        &format!("/certificates/{first}/reissue"),
        Value::Null,
    )
    .await;
    ok(
        &hrss,
        Method::POST,
        &format!("/certificates/{}/revoke", id(&second)),
        json!({"reason": "核查发现错误"}),
    )
    .await;
    let issued = ok(
        &person.client,
        Method::POST,
        &format!("/persons/{pid}/certificates"),
        json!({"year": this_year()}),
    )
    .await;
    // A relying party asks whether the number is the applicant's.
    ok(
        &admin.client,
        Method::POST,
        &format!("/verify/{}/holder", issued["number"].as_str().unwrap()),
        json!({"id_card_no": person.person.id_card_no, "name": "张三"}),
    )
    .await;
    // A title committee (R-CE-5): granted, checks in bulk, revoked.
    let officer = app.person().await;
    let evaluator = ok(
        &hrss,
        Method::POST,
        "/evaluators",
        json!({"name": "会计系列高级职称评审委员会", "id_card_no": officer.person.id_card_no, "series": ["accounting"]}),
    )
    .await;
    ok(
        &officer.client,
        Method::POST,
        "/certificates/checks",
        json!({"applicants": [{"id_card_no": person.person.id_card_no, "name": "张三"}], "years": [this_year()]}),
    )
    .await;
    ok(
        &hrss,
        Method::DELETE,
        &format!("/evaluators/{}", evaluator["id"].as_str().unwrap()),
        Value::Null,
    )
    .await;

    // The unit: its profile, another admin invited, accepting, removed.
    ok(
        &admin.client,
        Method::PATCH,
        &format!("/units/{unit}"),
        json!({"address": "广州市天河区"}),
    )
    .await;
    let other = app.person().await;
    ok(
        &admin.client,
        Method::POST,
        &format!("/units/{unit}/admins"),
        json!({"id_card_no": other.person.id_card_no}),
    )
    .await;
    let other_account = other.account_id();
    ok(
        &other.client,
        Method::POST,
        &format!("/units/{unit}/admins/{other_account}/accept"),
        Value::Null,
    )
    .await;
    ok(
        &admin.client,
        Method::DELETE,
        &format!("/units/{unit}/admins/{other_account}"),
        Value::Null,
    )
    .await;

    // The unit's roster.
    let teacher = ok(
        &admin.client,
        Method::POST,
        &format!("/units/{unit}/teachers"),
        json!({"name": "李老师"}),
    )
    .await;
    ok(
        &admin.client,
        Method::PATCH,
        &format!("/teachers/{}", id(&teacher)),
        json!({"enabled": false}),
    )
    .await;
    ok(
        &admin.client,
        Method::DELETE,
        &format!("/teachers/{}", id(&teacher)),
        Value::Null,
    )
    .await;

    // A person asks to join; the unit accepts, later ends it.
    let joiner = app.verified_person().await;
    let jid = joiner.person_id();
    let b = ok(
        &joiner.client,
        Method::POST,
        &format!("/persons/{jid}/binding"),
        json!({"unit_id": unit}),
    )
    .await;
    ok(
        &admin.client,
        Method::POST,
        &format!("/units/{unit}/bindings/{}/review", id(&b)),
        json!({"decision": "approve"}),
    )
    .await;
    ok(
        &admin.client,
        Method::DELETE,
        &format!("/units/{unit}/persons/{jid}"),
        Value::Null,
    )
    .await;

    // Credit findings and notices.
    let finding = ok(
        &hrss,
        Method::POST,
        "/credit-records",
        json!({
            "subject_type": "unit", "subject_id": unit, "reason": "虚报学时",
            "rule": "条例 第二十七条", "severity": "minor", "found_on": today(), "published": true,
        }),
    )
    .await;
    ok(
        &hrss,
        Method::PATCH,
        &format!("/credit-records/{}", id(&finding)),
        json!({"published": false}),
    )
    .await;
    let notice = ok(
        &hrss,
        Method::POST,
        "/notices",
        json!({"kind": "notice", "title": "关于继续教育的通知", "body": "请按时完成学时。"}),
    )
    .await;
    ok(
        &hrss,
        Method::DELETE,
        &format!("/notices/{}", id(&notice)),
        Value::Null,
    )
    .await;

    // Next year's policy.
    ok(
        &hrss,
        Method::PUT,
        &format!("/policies/{}", this_year() + 1),
        json!({"groups": {"general": {"public_min": 24, "professional_min": 42, "elective_min": 24}}}),
    )
    .await;

    // The default public deadline.
    ok(
        &hrss,
        Method::PUT,
        "/policies/defaults",
        json!({"default_public_deadline": "04-30"}),
    )
    .await;

    // A platform: created, its token, a push, revoked.
    let pf = ok(
        &hrss,
        Method::POST,
        "/platforms",
        json!({"name": "公需课平台", "categories": ["public"], "series_families": ["accounting"]}),
    )
    .await;
    let token = ok(
        &app.client,
        Method::POST,
        "/auth/token",
        json!({
            "grant_type": "client_credentials",
            "client_id": pf["client_id"], "client_secret": pf["client_secret"],
        }),
    )
    .await;
    let platform = app
        .client
        .with_token(token["access_token"].as_str().unwrap());
    let pushed = ok(
        &platform,
        Method::POST,
        "/records/batch",
        json!({"items": [crate::push::public("audit-1", &person.person)]}),
    )
    .await;
    ok(
        &platform,
        Method::POST,
        &format!(
            "/records/{}/withdraw",
            pushed["items"][0]["record_id"].as_str().unwrap()
        ),
        Value::Null,
    )
    .await;
    // hrss finds another pushed record untruthful (R-RC-12).
    let pushed = ok(
        &platform,
        Method::POST,
        "/records/batch",
        json!({"items": [crate::push::public("audit-2", &person.person)]}),
    )
    .await;
    ok(
        &hrss,
        Method::POST,
        &format!(
            "/records/{}/untruthful",
            pushed["items"][0]["record_id"].as_str().unwrap()
        ),
        json!({"reason": "核查发现学时记载不真实"}),
    )
    .await;
    ok(
        &hrss,
        Method::DELETE,
        &format!(
            "/platforms/{}",
            pf["id"].as_str().or(pf["platform"]["id"].as_str()).unwrap()
        ),
        Value::Null,
    )
    .await;

    // History from the old system.
    let csv = format!(
        "legacy_id,id_card_no,name,year,category,course_name,hours\nOLD-1,{},李四,2018,elective,旧系统课程,10\n",
        id_card_no()
    );
    let r = hrss
        .send_raw(
            Method::POST,
            "/api/v1/legacy/imports?kind=records",
            Some("application/octet-stream"),
            csv.into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // R-ACC-4: the provincial finance department records an exam subject
    // a person passed in Guangdong.
    let (finance, _) = app.province_authority(&["accounting"]).await;
    ok(
        &person.client,
        Method::PATCH,
        &format!("/persons/{pid}"),
        json!({"region": "440104"}),
    )
    .await;
    ok(
        &finance,
        Method::POST,
        &format!("/persons/{pid}/accounting-exams"),
        json!({"year": crate::helpers::this_year(), "code": "accounting_qualification_exam_subject", "subject": "财务管理"}),
    )
    .await;

    // A forgotten password.
    let started = ok(
        &app.client,
        Method::POST,
        "/auth/password-reset",
        json!({"account": other.person.id_card_no}),
    )
    .await;
    let code = app.phone.last_code(Some(&other.person.phone));
    ok(
        &app.client,
        Method::POST,
        "/auth/password-reset/confirm",
        json!({"challenge_id": started["challenge_id"], "code": code, "new_password": "Another-pass-2026"}),
    )
    .await;

    // A session: signed in, refreshed, signed out (issue 22).
    let challenge = ok(
        &app.client,
        Method::POST,
        "/auth/login",
        json!({"account": other.person.id_card_no, "password": "Another-pass-2026"}),
    )
    .await;
    let code = app.phone.last_code(Some(&other.person.phone));
    let tokens = ok(
        &app.client,
        Method::POST,
        "/auth/login/verify",
        json!({"challenge_id": challenge["challenge_id"], "code": code}),
    )
    .await;
    let next = ok(
        &app.client,
        Method::POST,
        "/auth/refresh",
        json!({"refresh_token": tokens["refresh_token"]}),
    )
    .await;
    let session = app
        .client
        .with_token(next["access_token"].as_str().unwrap().to_string());
    let res = session
        .send_raw(Method::POST, "/api/v1/auth/logout", None, vec![])
        .await
        .unwrap();
    assert_eq!(res.status, 204);
}

#[tokio::test]
async fn r_cr_2_every_mutating_operation_leaves_exactly_one_audit_event() {
    let app = spawn_app().await;
    every_operation(&app).await;

    let ok = successes(&app).await;
    let events = events_by_operation(&app).await;
    let mut missing = vec![];
    let mut wrong = vec![];
    for (method, path) in mutating_operations(&app).await {
        let n = ok
            .get(&(method.clone(), path.clone()))
            .copied()
            .unwrap_or(0);
        let op = format!("{method} {path}");
        let e = events.get(&op).copied().unwrap_or(0);
        if n == 0 {
            missing.push(op);
        } else if e != n {
            wrong.push(format!("{op}: {n} successful calls, {e} events"));
        }
    }
    assert!(
        missing.is_empty(),
        "operations this test does not drive (add them): {missing:#?}"
    );
    assert!(
        wrong.is_empty(),
        "one event per successful call: {wrong:#?}"
    );
    // Reads leave none.
    for op in events.keys() {
        assert!(!op.starts_with("GET "), "a read left an event: {op}");
    }
}

async fn events(c: &Client, query: &str) -> Vec<Value> {
    ok(
        c,
        Method::GET,
        &format!("/audit-events?{query}"),
        Value::Null,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn r_cr_2_an_event_says_who_with_which_grant_what_changed_and_in_which_request() {
    let app = spawn_app().await;
    let (person, admin, unit) = crate::certificates::accountant(&app).await;
    let record = crate::certificates::elective(&person, "职业道德").await;
    let r = admin
        .client
        .send_raw(
            Method::POST,
            &format!("/api/v1/records/{}/review", record.id),
            Some("application/json"),
            serde_json::to_vec(&json!({"decision": "reject_return", "comment": "请补充成绩单"}))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let request_id = r.headers["x-request-id"].to_str().unwrap().to_string();

    let hrss = app.hrss().await;
    let found = events(&hrss, &format!("request_id={request_id}")).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    let e = &found[0];
    assert_eq!(e["operation"], "POST /api/v1/records/{id}/review");
    assert_eq!(e["entity_type"], "record");
    assert_eq!(e["entity_id"], json!(record.id));
    assert_eq!(e["action"], "reviewed");
    assert_eq!(e["actor_type"], "account");
    assert_eq!(e["actor_id"], json!(admin.account_id()));
    assert_eq!(e["grant"], json!({"role": "unit_admin", "scope_id": unit}));
    assert_eq!(e["before"]["status"], "pending_unit_review");
    assert_eq!(e["after"]["status"], "returned");
    assert_eq!(e["after"]["comment"], "请补充成绩单");
    assert_eq!(e["person_id"], json!(person.person_id()));
    assert!(e["occurred_at"].as_str().is_some());

    // The record's whole story, newest first, for hrss, the person and the unit.
    let story = format!("entity_type=record&entity_id={}", record.id);
    let actions = |v: &[Value]| {
        v.iter()
            .map(|e| e["action"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        actions(&events(&hrss, &story).await),
        ["reviewed", "declared"]
    );
    assert_eq!(
        actions(&events(&person.client, &story).await),
        ["reviewed", "declared"]
    );
    assert_eq!(
        actions(&events(&admin.client, &story).await),
        ["reviewed", "declared"]
    );
    // The person's own trail holds their registration and logins too, and
    // never another person's events.
    let own = events(&person.client, "limit=500").await;
    assert!(own.iter().any(|e| e["action"] == "registered"));
    assert!(
        own.iter()
            .all(|e| e["person_id"] == json!(person.person_id()))
    );

    // Outside one's scope: nothing (another person, another unit's admin);
    // a platform is not a reader at all.
    let stranger = app.person().await;
    assert!(events(&stranger.client, &story).await.is_empty());
    let (other_admin, _) = app.unit().await;
    assert!(events(&other_admin.client, &story).await.is_empty());
    let platform = app.platform().await;
    let err = call!(
        platform
            .api()
            .audit_event_list(None, None, None, None, None, None, None)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(
        app.client
            .api()
            .audit_event_list(None, None, None, None, None, None, None)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn r_cr_2_a_refused_change_leaves_no_event_and_a_lock_out_leaves_one() {
    let app = spawn_app().await;
    let (person, admin, _unit) = crate::certificates::accountant(&app).await;
    let record = crate::certificates::elective(&person, "职业道德").await;
    let hrss = app.hrss().await;
    let before = events(&hrss, "limit=500").await.len();
    // The person may not review their own record; an unknown decision is 422.
    for (c, body) in [
        (&person.client, json!({"decision": "approve"})),
        (&admin.client, json!({"decision": "maybe"})),
    ] {
        let r = c
            .send_raw(
                Method::POST,
                &format!("/api/v1/records/{}/review", record.id),
                Some("application/json"),
                serde_json::to_vec(&body).unwrap(),
            )
            .await
            .unwrap();
        assert!((400..500).contains(&r.status));
    }
    assert_eq!(events(&hrss, "limit=500").await.len(), before);

    // Repeated wrong passwords lock the account: one `locked` event.
    let victim = app.register().await;
    for _ in 0..10 {
        if let Err(e) = app
            .client
            .login(&victim.id_card_no, "Wrong-password-1")
            .await
            && e.status() == Some(423)
        {
            break;
        }
    }
    let locked = events(
        &hrss,
        &format!(
            "entity_type=account&entity_id={}&action=locked",
            victim.me.id
        ),
    )
    .await;
    assert_eq!(locked.len(), 1, "{locked:#?}");
    assert_eq!(locked[0]["actor_type"], "anonymous");
    assert!(locked[0]["after"]["locked_until"].is_string());
}

#[tokio::test]
async fn r_cr_2_the_trail_is_append_only_in_the_database() {
    let app = spawn_app().await;
    app.register().await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let backend = db.get_database_backend();
    for sql in [
        "UPDATE audit_events SET action = 'forged'",
        "DELETE FROM audit_events",
    ] {
        let err = db
            .execute_raw(Statement::from_string(backend, sql))
            .await
            .expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let n = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'registered'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.try_get::<i64>("", "n").unwrap(), 1);
}
