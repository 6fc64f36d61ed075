//! Who reviews what beyond the unit, and what is owed (issue 20): finance
//! departments for accountants (R-ACC-4), accounting windows (R-ACC-5),
//! when accounting duty starts (R-ACC-6), education and health routed to
//! their sector (R-RC-10), archives initial training (R-ARC-1).

use ce_sdk::{Client, call, types};
use chrono::{TimeZone, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::certificates::{accountant, accountant_without_region};
use crate::helpers::*;

/// `method /api/v1{path}`: the status and the JSON answer.
async fn raw(c: &Client, method: Method, path: &str, body: Value) -> (u16, Value) {
    let (ct, bytes) = if body.is_null() {
        (None, vec![])
    } else {
        (Some("application/json"), serde_json::to_vec(&body).unwrap())
    };
    let r = c
        .send_raw(method, &format!("/api/v1{path}"), ct, bytes)
        .await
        .unwrap();
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or_default()
}

/// The app's finance departments (registered once per app).
async fn finance(app: &TestApp) -> Finance {
    app.finance().await.clone()
}

async fn set_profile(person: &Signed, body: Value) -> types::PersonView {
    let req: types::PersonUpdateRequest = serde_json::from_value(body).unwrap();
    call!(
        person
            .client
            .api()
            .person_update(&person.person_id(), None, &req)
    )
    .expect("updating the profile")
}

async fn declare(person: &Signed, body: Value) -> (u16, Value) {
    raw(&person.client, Method::POST, "/records", body).await
}

fn paper(year: i32) -> Value {
    json!({
        "year": year,
        "category": "professional",
        "series": "accounting",
        "course_name": "论政府会计准则的实施",
        "hours": 30,
        "conversion": {"code": "paper_sole_or_first_author"},
    })
}

async fn review(c: &Client, record: &str, d: &str) -> (u16, Value) {
    raw(
        c,
        Method::POST,
        &format!("/records/{record}/review"),
        json!({"decision": d}),
    )
    .await
}

async fn pending_ids(c: &Client) -> Vec<String> {
    let page = call_ok(
        c,
        Method::GET,
        "/records?status=pending_unit_review",
        Value::Null,
    )
    .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

/// Every record of the person, as they list them.
async fn records_of(person: &Signed) -> Vec<Value> {
    call_ok(
        &person.client,
        Method::GET,
        &format!("/records?person_id={}", person.person_id()),
        Value::Null,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn compliance(c: &Client, person: Uuid, year: i32) -> Value {
    call_ok(
        c,
        Method::GET,
        &format!("/persons/{person}/compliance?year={year}"),
        Value::Null,
    )
    .await
}

async fn certificates(c: &Client, person: Uuid) -> Vec<Value> {
    call_ok(
        c,
        Method::GET,
        &format!("/certificates?person_id={person}"),
        Value::Null,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn r_acc_4_a_conversion_the_person_applies_for_is_confirmed_by_the_district_finance_department()
 {
    let app = spawn_app().await;
    let f = finance(&app).await;
    let (person, admin, _unit) = accountant_without_region(&app).await;
    // Before the person's information collection (信息采集所属区) there is
    // no department to confirm it, and the unit never does: 409, nothing
    // stored.
    let (status, e) = declare(&person, paper(this_year())).await;
    assert_eq!((status, code(&e)), (409, "region_required"), "{e}");
    assert!(records_of(&person).await.is_empty());
    assert!(pending_ids(&admin.client).await.is_empty());
    let me = set_profile(&person, json!({"region": "440104"})).await;
    assert_eq!(me.region.as_deref().map(String::as_str), Some("440104"));

    let (status, r) = declare(&person, paper(this_year())).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["authority_id"], json!(f.district_id.to_string()));
    assert_eq!(r["unit_id"], Value::Null);
    assert_eq!(r["status"], "pending_unit_review");
    let id = id_of(&r);

    // The unit never sees it for review; another district neither.
    assert!(!pending_ids(&admin.client).await.contains(&id));
    assert_eq!(review(&admin.client, &id, "approve").await.0, 404);
    assert_eq!(review(&f.other, &id, "approve").await.0, 404);
    assert_eq!(review(&f.province, &id, "approve").await.0, 404);
    // The district's department does (R-RV-1): it returns it, the person
    // resubmits, it goes back to the department, which approves it.
    assert!(pending_ids(&f.district).await.contains(&id));
    let (status, returned) = review(&f.district, &id, "reject_return").await;
    assert_eq!(status, 200, "{returned}");
    assert_eq!(returned["status"], "returned");
    let resent = call_ok(
        &person.client,
        Method::POST,
        &format!("/records/{id}/resubmit"),
        Value::Null,
    )
    .await;
    assert_eq!(resent["authority_id"], json!(f.district_id.to_string()));
    assert_eq!(resent["unit_id"], Value::Null);
    let (status, approved) = review(&f.district, &id, "approve").await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    let c = compliance(&person.client, person.person_id(), this_year()).await;
    assert_eq!(c["series"][0]["approved"], json!(30.0));
    // Its decision names the authority's role.
    let detail = call_ok(
        &person.client,
        Method::GET,
        &format!("/records/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(
        detail["reviews"][1]["reviewer_role"], "authority",
        "{detail}"
    );

    // A third decision: closing.
    let (_, second) = declare(&person, paper(this_year())).await;
    let (status, closed) = review(&f.district, &id_of(&second), "reject_close").await;
    assert_eq!((status, closed["status"].as_str()), (200, Some("closed")));

    // Hours that are no conversion stay with the unit.
    let mut unit_form = paper(this_year());
    unit_form["conversion"] = json!({"code": "face_to_face_unit_training", "quantity": 1});
    let (status, r) = declare(&person, unit_form).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["authority_id"], Value::Null);
    assert!(pending_ids(&admin.client).await.contains(&id_of(&r)));

    // A district with no finance department registered: no one to confirm.
    set_profile(&person, json!({"region": "440111"})).await;
    let (status, e) = declare(&person, paper(this_year())).await;
    assert_eq!((status, code(&e)), (409, "reviewer_missing"), "{e}");
    // A region that is no district is refused.
    let (status, e) = raw(
        &person.client,
        Method::PATCH,
        &format!("/persons/{}", person.person_id()),
        json!({"region": "440100"}),
    )
    .await;
    assert_eq!((status, code(&e)), (422, "region_invalid"), "{e}");
}

/// R-ACC-4: the unit's own face-to-face training for its accountants is
/// the unit's, then the finance department's (附件 2 第 1 项: 由用人单位…报财政
/// 部门复核; the table's `unit_then_finance_review`): the unit's approval
/// sends it to the district finance department of the person's region,
/// and only that department's approval counts.
#[tokio::test]
async fn r_acc_4_the_units_face_to_face_training_is_rechecked_by_the_district_finance_department() {
    let app = spawn_app().await;
    let f = finance(&app).await;
    let (person, admin, _unit) = accountant_without_region(&app).await;
    let mut form = paper(this_year());
    form["course_name"] = json!("本单位会计人员面授培训（3 天）");
    form["conversion"] = json!({"code": "face_to_face_unit_training", "quantity": 3});
    let (status, r) = declare(&person, form).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["authority_id"], Value::Null);
    assert_eq!(r["hours"], json!(60.0), "20 credits a day");
    let id = id_of(&r);
    // The unit decides first; the department does not see it yet.
    assert!(pending_ids(&admin.client).await.contains(&id));
    assert_eq!(review(&f.district, &id, "approve").await.0, 404);
    // Before the person's information collection there is no department
    // to send it to: the unit's approval is refused and it stays.
    let (status, e) = review(&admin.client, &id, "approve").await;
    assert_eq!((status, code(&e)), (409, "region_required"), "{e}");
    set_profile(&person, json!({"region": "440104"})).await;
    let (status, sent) = review(&admin.client, &id, "approve").await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["status"], "pending_unit_review", "{sent}");
    assert_eq!(sent["authority_id"], json!(f.district_id.to_string()));
    // Nothing counts yet, and the unit has decided: it cannot again.
    let c = compliance(&person.client, person.person_id(), this_year()).await;
    assert_eq!(c["series"][0]["approved"], json!(0.0), "{c}");
    assert!(!pending_ids(&admin.client).await.contains(&id));
    assert_eq!(review(&admin.client, &id, "approve").await.0, 404);
    // Another district's department never sees it; the person's does.
    assert_eq!(review(&f.other, &id, "approve").await.0, 404);
    assert!(pending_ids(&f.district).await.contains(&id));
    let (status, approved) = review(&f.district, &id, "approve").await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    let c = compliance(&person.client, person.person_id(), this_year()).await;
    assert_eq!(c["series"][0]["approved"], json!(60.0), "{c}");
    // Both decisions are on the record, each with its reviewer's role.
    let detail = call_ok(
        &person.client,
        Method::GET,
        &format!("/records/{id}"),
        Value::Null,
    )
    .await;
    let roles: Vec<&str> = detail["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reviewer_role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["unit_admin", "authority"], "{detail}");
}

#[tokio::test]
async fn r_acc_4_the_province_records_exam_subjects_passed_in_guangdong_without_an_application() {
    let app = spawn_app().await;
    let f = finance(&app).await;
    let (person, admin, _) = accountant_without_region(&app).await;
    let pid = person.person_id();
    let exam = json!({"year": this_year(), "code": "accounting_qualification_exam_subject", "subject": "中级会计实务"});
    let path = format!("/persons/{pid}/accounting-exams");

    // Recorded once the person completed their information collection.
    let (status, e) = raw(&f.province, Method::POST, &path, exam.clone()).await;
    assert_eq!((status, code(&e)), (409, "region_required"), "{e}");
    set_profile(&person, json!({"region": "440104"})).await;
    // Only the provincial finance department records them.
    for c in [&f.district, &admin.client, &person.client] {
        let (status, e) = raw(c, Method::POST, &path, exam.clone()).await;
        assert_eq!(status, 403, "{e}");
    }
    let (status, r) = raw(&f.province, Method::POST, &path, exam.clone()).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["status"], "approved");
    assert_eq!(r["hours"], json!(90.0));
    assert_eq!(
        r["conversion_code"],
        "accounting_qualification_exam_subject"
    );
    // R-ACC-2: the whole year, public included: certified at once.
    let c = compliance(&person.client, pid, this_year()).await;
    assert_eq!(c["status"], "complete", "{c}");
    assert_eq!(certificates(&person.client, pid).await.len(), 1);
    // Once per subject and year.
    let (status, e) = raw(&f.province, Method::POST, &path, exam.clone()).await;
    assert_eq!((status, code(&e)), (409, "exam_recorded"), "{e}");
    // Forms a person applies for are not the province's to record.
    let mut other = exam.clone();
    other["code"] = "paper_sole_or_first_author".into();
    other["subject"] = "论文".into();
    let (status, e) = raw(&f.province, Method::POST, &path, other).await;
    assert_eq!((status, code(&e)), (422, "conversion_not_allowed"), "{e}");
    // A person outside the province's region: 404; an unknown one too.
    let (stranger, _, _) = accountant(&app).await;
    set_profile(&stranger, json!({"region": "450102"})).await;
    let (status, _) = raw(
        &f.province,
        Method::POST,
        &format!("/persons/{}/accounting-exams", stranger.person_id()),
        exam.clone(),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = raw(
        &f.province,
        Method::POST,
        &format!("/persons/{}/accounting-exams", Uuid::now_v7()),
        exam,
    )
    .await;
    assert_eq!(status, 404);
    // Audited.
    let hrss = app.hrss().await;
    let events = call_ok(
        &hrss,
        Method::GET,
        &format!("/audit-events?entity_id={}", id_of(&r)),
        Value::Null,
    )
    .await;
    assert_eq!(events["items"][0]["action"], "recorded", "{events}");
}

/// Recordings of one subject racing each other land once: the province's
/// duplicate check and its insert are one step per person (on PostgreSQL
/// two transactions could both read "not recorded yet" and both insert).
#[tokio::test]
async fn r_acc_4_racing_recordings_of_one_subject_land_once() {
    let app = spawn_app().await;
    let f = finance(&app).await;
    let (person, _, _) = accountant(&app).await;
    set_profile(&person, json!({"region": "440104"})).await;
    let path = format!("/persons/{}/accounting-exams", person.person_id());
    let exam = json!({"year": this_year(), "code": "accounting_qualification_exam_subject", "subject": "财务管理"});
    let answers = futures_util::future::join_all(
        (0..8).map(|_| raw(&f.province, Method::POST, &path, exam.clone())),
    )
    .await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused = answers
        .iter()
        .filter(|(s, e)| *s == 409 && code(e) == "exam_recorded")
        .count();
    assert_eq!((created, refused), (1, 7), "{answers:?}");
    let hrss = app.hrss().await;
    let records = call_ok(
        &hrss,
        Method::GET,
        &format!(
            "/records?person_id={}&year={}",
            person.person_id(),
            this_year()
        ),
        Value::Null,
    )
    .await;
    let recorded = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["course_name"] == "财务管理")
        .count();
    assert_eq!(recorded, 1, "{records}");
}

#[tokio::test]
async fn r_acc_4_a_platform_pushes_the_cpa_institutes_whole_year_form() {
    let app = spawn_app().await;
    let (pf, _) =
        crate::push::platform(&app, &[types::Category::Professional], &["accounting"]).await;
    let (person, _, _) = accountant(&app).await;
    let pid = person.person_id();
    let done = Utc::now().to_rfc3339();
    let item = |ext: &str, conversion: &str| {
        json!({
            "external_id": ext,
            "id_card_no": person.person.id_card_no,
            "name": "张三",
            "year": this_year(),
            "category": "professional",
            "series": "accounting",
            "course_name": "注册会计师继续教育",
            "hours": 1,
            "completed_at": done,
            "conversion": conversion,
        })
    };
    let o = crate::push::push(
        &pf,
        &[
            item("cpa-1", "cpa_continuing_education"),
            item("cpa-2", "paper_sole_or_first_author"),
            item("cpa-3", "no_such_form"),
        ],
        None,
    )
    .await;
    let codes: Vec<Option<String>> = o
        .items
        .iter()
        .map(|i| i.code.as_ref().map(|c| c.to_string()))
        .collect();
    assert_eq!(
        codes,
        [
            None,
            Some("conversion_not_allowed".into()),
            Some("conversion_unknown".into())
        ]
    );
    let r = call_ok(
        &person.client,
        Method::GET,
        &format!("/records/{}", o.items[0].record_id.unwrap()),
        Value::Null,
    )
    .await;
    assert_eq!(r["record"]["hours"], json!(90.0));
    assert_eq!(r["record"]["status"], "approved");
    // 90 credits for the whole year, public included.
    let c = compliance(&person.client, pid, this_year()).await;
    assert_eq!(c["status"], "complete", "{c}");
    assert_eq!(certificates(&person.client, pid).await.len(), 1);
    // The same item again is a duplicate, not a second record.
    let again = crate::push::push(&pf, &[item("cpa-1", "cpa_continuing_education")], None).await;
    assert_eq!(again.duplicate, 1);
}

#[tokio::test]
async fn r_acc_5_accounting_credits_close_with_the_deadline_and_related_exams_count_in_their_window()
 {
    let app = spawn_app().await;
    let f = finance(&app).await;
    let (person, _, _) = accountant(&app).await;
    let pid = person.person_id();
    set_profile(
        &person,
        json!({"region": "440104", "series": ["accounting"], "series_year": 2023}),
    )
    .await;
    // 23:59 on 30 April 2024, China time: 2023's credits are still open,
    // professional ones too.
    app.clock
        .set(Utc.with_ymd_and_hms(2024, 4, 30, 15, 59, 0).unwrap());
    let (status, r) = declare(&person, paper(2023)).await;
    assert_eq!(status, 201, "{r}");
    // A related exam names when its results were published, within the
    // year's window (1 May to the deadline).
    let exam = |published: Option<&str>| {
        let mut conversion = json!({"code": "related_qualification_exam_subject"});
        if let Some(p) = published {
            conversion["results_published_on"] = p.into();
        }
        json!({
            "year": 2023,
            "category": "professional",
            "series": "accounting",
            "course_name": "税务师·税法（一）",
            "hours": 90,
            "conversion": conversion,
        })
    };
    let (status, e) = declare(&person, exam(None)).await;
    assert_eq!(
        (status, code(&e)),
        (422, "results_published_required"),
        "{e}"
    );
    let (status, e) = declare(&person, exam(Some("2023-04-30"))).await;
    assert_eq!(
        (status, code(&e)),
        (422, "results_published_outside"),
        "{e}"
    );
    let (status, r) = declare(&person, exam(Some("2023-05-01"))).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["results_published_on"], "2023-05-01");
    let mut paper_with_date = paper(2023);
    paper_with_date["course_name"] = "论管理会计的应用".into();
    paper_with_date["conversion"]["results_published_on"] = "2023-06-01".into();
    let (status, e) = declare(&person, paper_with_date).await;
    assert_eq!(
        (status, code(&e)),
        (422, "results_published_invalid"),
        "{e}"
    );

    // A minute later it is 1 May in China: 过期不办理补学补登 — declared,
    // recorded by the province or pushed, nothing more counts for 2023.
    app.clock
        .set(Utc.with_ymd_and_hms(2024, 4, 30, 16, 0, 0).unwrap());
    let mut late = paper(2023);
    late["course_name"] = "论内部控制".into();
    let (status, e) = declare(&person, late).await;
    assert_eq!(
        (status, code(&e)),
        (422, "accounting_deadline_passed"),
        "{e}"
    );
    let (status, e) = raw(
        &f.province,
        Method::POST,
        &format!("/persons/{pid}/accounting-exams"),
        json!({"year": 2023, "code": "accounting_qualification_exam_subject", "subject": "经济法"}),
    )
    .await;
    assert_eq!(
        (status, code(&e)),
        (422, "accounting_deadline_passed"),
        "{e}"
    );
    let (pf, _) =
        crate::push::platform(&app, &[types::Category::Professional], &["accounting"]).await;
    let o = crate::push::push(
        &pf,
        &[json!({
            "external_id": "2023-late",
            "id_card_no": person.person.id_card_no,
            "name": "张三",
            "year": 2023,
            "category": "professional",
            "series": "accounting",
            "course_name": "企业会计准则",
            "hours": 10,
            "completed_at": "2023-11-20T02:00:00Z",
        })],
        None,
    )
    .await;
    assert_eq!(
        o.items[0].code.as_ref().map(|c| c.to_string()).as_deref(),
        Some("accounting_deadline_passed")
    );
    app.clock.follow_system();
}

#[tokio::test]
async fn r_acc_6_a_year_before_accounting_duty_starts_is_exempt_and_gets_no_certificate() {
    let app = spawn_app().await;
    let (pf, _) =
        crate::push::platform(&app, &[types::Category::Professional], &["accounting"]).await;
    let (person, _, _) = accountant(&app).await;
    let pid = person.person_id();
    // Qualified this year: the duty starts next year.
    let me = set_profile(
        &person,
        json!({"series_terms": [{"series": "accounting", "started_on": today().to_string()}]}),
    )
    .await;
    assert_eq!(me.series_terms.len(), 1);
    let c = compliance(&person.client, pid, this_year()).await;
    assert_eq!(c["status"], "exempt", "{c}");
    assert_eq!(c["exempt_reason"], "duty_not_started");
    assert_eq!(c["complete"], false);
    // Even a whole year's credits give no certificate for a year owed nothing.
    let o = crate::push::push(
        &pf,
        &[json!({
            "external_id": "cpa",
            "id_card_no": person.person.id_card_no,
            "name": "张三",
            "year": this_year(),
            "category": "professional",
            "series": "accounting",
            "course_name": "注册会计师继续教育",
            "hours": 1,
            "completed_at": Utc::now().to_rfc3339(),
            "conversion": "cpa_continuing_education",
        })],
        None,
    )
    .await;
    assert_eq!(o.accepted, 1, "{:?}", o.items);
    assert_eq!(
        compliance(&person.client, pid, this_year()).await["status"],
        "exempt"
    );
    assert!(certificates(&person.client, pid).await.is_empty());
    // Qualified last year: this year is owed, and the year's credits
    // complete it (the year is judged again when the terms change).
    let last_year = chrono::NaiveDate::from_ymd_opt(this_year() - 1, 6, 1).unwrap();
    set_profile(
        &person,
        json!({"series_terms": [{"series": "accounting", "started_on": last_year.to_string()}]}),
    )
    .await;
    let c = compliance(&person.client, pid, this_year()).await;
    assert_eq!(c["status"], "complete", "{c}");
    assert_eq!(c["exempt_reason"], Value::Null);
    assert_eq!(certificates(&person.client, pid).await.len(), 1);
    // A student with a junior title owes nothing while studying.
    let (student, _, _) = accountant(&app).await;
    let graduation = chrono::NaiveDate::from_ymd_opt(this_year() + 2, 7, 1).unwrap();
    set_profile(
        &student,
        json!({"series_terms": [{"series": "accounting", "started_on": last_year.to_string(), "studying_until": graduation.to_string()}]}),
    )
    .await;
    let c = compliance(&student.client, student.person_id(), this_year()).await;
    assert_eq!(
        (c["status"].as_str(), c["exempt_reason"].as_str()),
        (Some("exempt"), Some("studying")),
        "{c}"
    );
    // The terms' series must exist.
    let (status, e) = raw(
        &student.client,
        Method::PATCH,
        &format!("/persons/{}", student.person_id()),
        json!({"series_terms": [{"series": "no_such_series"}]}),
    )
    .await;
    assert_eq!(status, 422, "{e}");
}

/// R-ACC-6: a year that owes nothing is neither complete nor behind — the
/// statistics count it apart and a unit's list of who is behind leaves it
/// out, as kept by the ledger and after a rebuild from the records.
#[tokio::test]
async fn r_acc_6_exempt_years_count_apart_in_statistics_and_the_units_lists() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let (admin, unit) = app.unit().await;
    let mut persons = Vec::new();
    for name in ["张三", "张三"] {
        let p = app.verified_person().await;
        call!(admin.client.api().unit_person_add(
            &unit.id,
            None,
            &types::UnitPersonAddRequest {
                id_card_no: p.person.id_card_no.parse().unwrap(),
                name: name.parse().unwrap(),
            }
        ))
        .unwrap();
        set_profile(
            &p,
            json!({"series": ["accounting"], "series_year": this_year()}),
        )
        .await;
        persons.push(p);
    }
    // The first qualified this year: nothing is owed before next year;
    // the second owes the year and has nothing yet.
    set_profile(
        &persons[0],
        json!({"series_terms": [{"series": "accounting", "started_on": today().to_string()}]}),
    )
    .await;
    let (exempt, behind) = (persons[0].person_id(), persons[1].person_id());
    let year = this_year();
    let check = |label: &'static str| {
        let (hrss, admin, unit) = (&hrss, &admin.client, unit.id);
        async move {
            let stats = call_ok(
                hrss,
                Method::GET,
                &format!("/statistics?year={year}&group_by=unit"),
                Value::Null,
            )
            .await;
            let g = stats["groups"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["key"] == unit.to_string())
                .unwrap_or_else(|| panic!("{label}: the unit's group in {stats}"))
                .clone();
            assert_eq!(
                (&g["persons"], &g["persons_complete"], &g["persons_exempt"]),
                (&json!(2), &json!(0), &json!(1)),
                "{label}: {g}"
            );
            let listed = |q: &'static str| async move {
                let page = call_ok(
                    admin,
                    Method::GET,
                    &format!("/units/{unit}/compliance?year={year}{q}"),
                    Value::Null,
                )
                .await;
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        (
                            i["standing"]["person_id"].as_str().unwrap().to_string(),
                            i["standing"]["status"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            let all = listed("").await;
            assert_eq!(all.len(), 2, "{label}: {all:?}");
            assert!(
                all.contains(&(exempt.to_string(), "exempt".into())),
                "{all:?}"
            );
            assert_eq!(
                listed("&complete=false").await,
                [(behind.to_string(), "incomplete".to_string())],
                "{label}: only who is behind"
            );
            assert!(listed("&complete=true").await.is_empty(), "{label}");
            let rows = crate::statistics::csv_of(
                crate::statistics::get(
                    admin,
                    &format!("/units/{unit}/compliance/export?year={year}&complete=false"),
                )
                .await,
                "unit-compliance-",
            )
            .await;
            assert_eq!(rows.len(), 2, "{label}: {rows:?}");
            assert_eq!(rows[0].last().unwrap(), "exempt_reason");
            assert_eq!(rows[1][0], behind.to_string());
        }
    };
    check("as the ledger keeps it").await;
    // The year owed nothing has no hours: a rebuild from the records keeps
    // its standing all the same.
    let db = crate::statistics::db(&app).await;
    rebuild_standings(&db).await;
    check("after a rebuild").await;
}

/// A verified person bound to a fresh unit, holding `series` this year,
/// with the unit's admin.
async fn member(app: &TestApp, series: &str, region: Option<&str>) -> (Signed, Signed) {
    let (admin, unit) = app.unit().await;
    let person = app.verified_person().await;
    call!(admin.client.api().unit_person_add(
        &unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: person.person.id_card_no.parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .unwrap();
    let mut profile = json!({"series": [series], "series_year": this_year()});
    if let Some(r) = region {
        profile["region"] = r.into();
    }
    set_profile(&person, profile).await;
    (person, admin)
}

fn elective(course: &str) -> Value {
    json!({
        "year": this_year(),
        "category": "elective",
        "course_name": course,
        "hours": 12,
        "provider_name": "广州市护理学会",
    })
}

#[tokio::test]
async fn r_rc_10_what_a_nurse_or_a_teacher_declares_is_reviewed_by_their_sector_not_the_unit() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let (health, h) = authority(
        &app,
        &hrss,
        types::AuthorityLevel::Province,
        "440000",
        &["nursing"],
        None,
    )
    .await;
    // The city's health authority is the most specific for Guangzhou.
    let (city_health, ch) = authority(
        &app,
        &health,
        types::AuthorityLevel::City,
        "440100",
        &["nursing"],
        Some(h.id),
    )
    .await;
    let (education, e) = authority(
        &app,
        &hrss,
        types::AuthorityLevel::Province,
        "440000",
        &["primary_secondary_teacher"],
        None,
    )
    .await;

    // A nurse who has not set their region: the unit does not review in
    // their stead (用人单位审核认定（教育、卫生除外）) — 409, nothing stored,
    // until they set it.
    let (nurse, nurse_unit) = member(&app, "nursing", None).await;
    let (status, refused) = declare(&nurse, elective("护理人文修养")).await;
    assert_eq!(
        (status, code(&refused)),
        (409, "region_required"),
        "{refused}"
    );
    assert!(records_of(&nurse).await.is_empty());
    assert!(pending_ids(&nurse_unit.client).await.is_empty());
    set_profile(&nurse, json!({"region": "440104"})).await;
    let (status, r) = declare(&nurse, elective("护理人文修养")).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["authority_id"], json!(ch.id.to_string()));
    assert_eq!(r["unit_id"], Value::Null);
    let id = id_of(&r);
    assert!(!pending_ids(&nurse_unit.client).await.contains(&id));
    assert_eq!(review(&nurse_unit.client, &id, "approve").await.0, 404);
    assert_eq!(
        review(&health, &id, "approve").await.0,
        404,
        "not the province's"
    );
    assert_eq!(review(&education, &id, "approve").await.0, 404);
    assert!(pending_ids(&city_health).await.contains(&id));
    let (status, d) = review(&city_health, &id, "approve").await;
    assert_eq!(
        (status, d["status"].as_str()),
        (200, Some("approved")),
        "{d}"
    );
    let c = compliance(&nurse.client, nurse.person_id(), this_year()).await;
    assert_eq!(c["categories"]["elective"]["approved"], json!(12.0));

    // A teacher in Shenzhen: only the province's education authority covers it.
    let (teacher, teacher_unit) = member(&app, "primary_secondary_teacher", Some("440304")).await;
    let (status, r) = declare(&teacher, elective("课堂教学设计")).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["authority_id"], json!(e.id.to_string()));
    assert_eq!(
        review(&teacher_unit.client, &id_of(&r), "approve").await.0,
        404
    );
    let (status, _) = review(&education, &id_of(&r), "approve").await;
    assert_eq!(status, 200);
    // Batch review by the sector works the same way.
    let (_, r2) = declare(&teacher, elective("班主任工作")).await;
    let batch = call_ok(
        &education,
        Method::POST,
        "/records/reviews",
        json!({"ids": [id_of(&r2)], "decision": "approve"}),
    )
    .await;
    assert_eq!(batch["results"][0]["ok"], true, "{batch}");

    // An engineer's elective hours stay with the unit.
    let (engineer, engineer_unit) = member(&app, "engineering", Some("440104")).await;
    let (status, r) = declare(&engineer, elective("项目管理")).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["authority_id"], Value::Null);
    assert_eq!(
        review(&engineer_unit.client, &id_of(&r), "approve").await.0,
        200
    );
}

#[tokio::test]
async fn r_arc_1_archives_initial_training_is_due_within_the_first_year_in_the_post() {
    let app = spawn_app().await;
    let archives = |year: i32| json!({"series": ["archives"], "series_year": year});
    // 1 October 2025, China time.
    app.clock
        .set(Utc.with_ymd_and_hms(2025, 10, 1, 2, 0, 0).unwrap());
    let (archivist, _) = member(&app, "archives", None).await;
    let pid = archivist.person_id();
    for year in [2025, 2026] {
        set_profile(&archivist, archives(year)).await;
    }
    // Started in the post on 1 September 2025, without an archives degree:
    // the first year runs to 31 August 2026, across two calendar years.
    set_profile(
        &archivist,
        json!({"series_terms": [{"series": "archives", "started_on": "2025-09-01", "has_degree": false}]}),
    )
    .await;
    let c = compliance(&archivist.client, pid, 2025).await;
    let t = &c["initial_training"];
    assert_eq!(t["status"], "due", "{c}");
    assert_eq!(t["required"], json!(80.0));
    assert_eq!(t["due_by"], "2026-08-31");
    // The next calendar year, within the first year, shows it too.
    assert_eq!(
        compliance(&archivist.client, pid, 2026).await["initial_training"]["due_by"],
        "2026-08-31"
    );
    // Initial-training hours: 80 of them, over the calendar years the
    // first year spans, meet it; hours not of initial training do not.
    archives_hours(&app, pid, 2025, 400, true).await;
    archives_hours(&app, pid, 2025, 600, false).await;
    archives_hours(&app, pid, 2026, 399, true).await;
    let c = compliance(&archivist.client, pid, 2025).await;
    assert_eq!(c["initial_training"]["status"], "due", "{c}");
    assert_eq!(c["initial_training"]["approved"], json!(79.9));
    archives_hours(&app, pid, 2026, 1, true).await;
    let c = compliance(&archivist.client, pid, 2025).await;
    assert_eq!(c["initial_training"]["status"], "met", "{c}");
    assert_eq!(c["initial_training"]["approved"], json!(80.0));
    // Outside the first year nothing is shown.
    assert!(compliance(&archivist.client, pid, 2027).await["initial_training"].is_null());

    // Started on 1 September 2023 with 50 hours: the first year ended
    // short on 31 August 2024.
    let (late, _) = member(&app, "archives", None).await;
    set_profile(&late, archives(2023)).await;
    set_profile(
        &late,
        json!({"series_terms": [{"series": "archives", "started_on": "2023-09-01", "has_degree": false}]}),
    )
    .await;
    archives_hours(&app, late.person_id(), 2023, 500, true).await;
    let c = compliance(&late.client, late.person_id(), 2023).await;
    assert_eq!(c["initial_training"]["status"], "not_met", "{c}");
    assert_eq!(c["initial_training"]["approved"], json!(50.0));
    assert_eq!(c["initial_training"]["due_by"], "2024-08-31");
    // Until 31 August 2024 the same year read as still due.
    app.clock
        .set(Utc.with_ymd_and_hms(2024, 8, 31, 15, 59, 0).unwrap());
    let c = compliance(&late.client, late.person_id(), 2023).await;
    assert_eq!(c["initial_training"]["status"], "due", "{c}");
    app.clock
        .set(Utc.with_ymd_and_hms(2024, 8, 31, 16, 0, 0).unwrap());
    let c = compliance(&late.client, late.person_id(), 2023).await;
    assert_eq!(c["initial_training"]["status"], "not_met", "{c}");
    app.clock.follow_system();

    // With an archives degree, no initial training.
    let (graduate, _) = member(&app, "archives", None).await;
    set_profile(
        &graduate,
        json!({"series_terms": [{"series": "archives", "started_on": today().to_string(), "has_degree": true}]}),
    )
    .await;
    assert!(
        compliance(&graduate.client, graduate.person_id(), this_year()).await["initial_training"]
            .is_null()
    );

    // Initial training is archives professional hours only.
    let (engineer, _) = member(&app, "engineering", None).await;
    let (status, e) = declare(
        &engineer,
        json!({"year": this_year(), "category": "professional", "series": "engineering", "course_name": "档案管理", "hours": 10, "initial_training": true}),
    )
    .await;
    assert_eq!((status, code(&e)), (422, "initial_training_invalid"), "{e}");
}

/// Approved archives professional hours, flagged as initial training or
/// not, written straight to the database (professional declarations need
/// a qualified origin; what is tested here is what compliance reads).
async fn archives_hours(app: &TestApp, person_id: Uuid, year: i32, tenths: i32, initial: bool) {
    use ce_entity::record;
    use sea_orm::{ActiveModelTrait, Set};
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let now = Utc::now();
    record::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person_id),
        year: Set(year),
        category: Set("professional".into()),
        series_code: Set(Some("archives".into())),
        invalidated_reason: Set(None),
        course_name: Set("档案管理基础".into()),
        hours_tenths: Set(tenths),
        approved_tenths: Set(tenths),
        result: Set(Some("合格".into())),
        source: Set("self_declared".into()),
        provider_id: Set(None),
        provider_name: Set(Some("广东省档案馆".into())),
        class_id: Set(None),
        platform_id: Set(None),
        external_id: Set(None),
        unit_id: Set(None),
        status: Set(ce_entity::state::RecordStatus::Approved),
        attachment_ids: Set(json!([])),
        completed_at: Set(Some(now)),
        conversion_code: Set(None),
        general_knowledge: Set(false),
        topic: Set(None),
        origin: Set(None),
        authority_id: Set(None),
        results_published_on: Set(None),
        initial_training: Set(initial),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&db)
    .await
    .unwrap();
    rebuild_standings(&db).await;
}
