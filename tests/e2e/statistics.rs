//! Statistics (R-ST-1) and the CSV exports: figures agree with a count made
//! here from the rows the test wrote; completion agrees with the compliance
//! calculator (`GET /persons/{id}/compliance`); scope and roles; CSV
//! encoding and quoting.

use std::collections::BTreeMap;

use ce_entity::{binding, certificate, person_series, record, unit};
use sea_orm::{ActiveModelTrait, Database, DatabaseConnection, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::*;

/// 2023's requirements are in force (R-REQ-1).
const YEAR: i32 = 2024;

pub(crate) async fn db(app: &TestApp) -> DatabaseConnection {
    Database::connect(&app.database_url)
        .await
        .expect("connecting to the test database")
}

pub(crate) async fn insert_unit(db: &DatabaseConnection, name: &str, region: &str) -> Uuid {
    let id = Uuid::now_v7();
    let now = chrono::Utc::now();
    // GB 32100: characters 3–8 are the registering authority's division code.
    let code = format!(
        "91{region}{}",
        &id.simple().to_string()[22..32].to_uppercase()
    );
    unit::ActiveModel {
        id: Set(id),
        name: Set(name.into()),
        credit_code: Set(code),
        address: Set(None),
        contact_phone: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(db)
    .await
    .expect("unit");
    id
}

pub(crate) async fn insert_person(db: &DatabaseConnection, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    let now = chrono::Utc::now();
    crate::rows::verified_person(id, name, crate::rows::StoredIdCard::dummy(id), now)
        .insert(db)
        .await
        .expect("person");
    id
}

pub(crate) async fn bind(db: &DatabaseConnection, person_id: Uuid, unit_id: Uuid) {
    let now = chrono::Utc::now();
    binding::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person_id),
        unit_id: Set(unit_id),
        status: Set(ce_entity::state::BindingStatus::Approved),
        initiated_by: Set("unit".into()),
        requested_by: Set(Uuid::now_v7()),
        decided_by: Set(None),
        decided_at: Set(Some(now)),
        comment: Set(None),
        ended_by: Set(None),
        ended_at: Set(None),
        created_at: Set(now),
        version: Set(1),
    }
    .insert(db)
    .await
    .expect("binding");
}

async fn hold(db: &DatabaseConnection, person_id: Uuid, series: &str) {
    person_series::ActiveModel {
        person_id: Set(person_id),
        year: Set(YEAR),
        series_code: Set(series.into()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(db)
    .await
    .expect("series");
}

/// A record as the test writes it.
#[derive(Clone)]
struct Rec {
    year: i32,
    category: &'static str,
    series: Option<&'static str>,
    tenths: i32,
    status: &'static str,
    conversion: Option<&'static str>,
    gk: bool,
    course: &'static str,
}

fn rec(category: &'static str, series: Option<&'static str>, hours: i32) -> Rec {
    Rec {
        year: YEAR,
        category,
        series,
        tenths: hours * 10,
        status: "approved",
        conversion: None,
        gk: false,
        course: "课程",
    }
}

async fn insert_record(db: &DatabaseConnection, person_id: Uuid, r: &Rec) {
    let now = chrono::Utc::now();
    record::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person_id),
        year: Set(r.year),
        category: Set(r.category.into()),
        series_code: Set(r.series.map(str::to_string)),
        course_name: Set(r.course.into()),
        hours_tenths: Set(r.tenths),
        approved_tenths: Set(if r.status == "approved" { r.tenths } else { 0 }),
        result: Set(None),
        source: Set(if r.conversion.is_some() {
            "conversion".into()
        } else {
            "self_declared".into()
        }),
        provider_id: Set(None),
        provider_name: Set(None),
        class_id: Set(None),
        platform_id: Set(None),
        external_id: Set(None),
        unit_id: Set(None),
        status: Set(ce_entity::state::RecordStatus::parse(r.status).expect("a record status")),
        attachment_ids: Set(serde_json::json!([])),
        completed_at: Set(None),
        conversion_code: Set(r.conversion.map(str::to_string)),
        general_knowledge: Set(r.gk),
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
    .insert(db)
    .await
    .expect("record");
}

async fn insert_certificate(db: &DatabaseConnection, person_id: Uuid, status: &str) {
    let now = chrono::Utc::now();
    let id = Uuid::now_v7();
    certificate::ActiveModel {
        id: Set(id),
        number: Set(format!("T{}", &id.simple().to_string()[14..32])),
        person_id: Set(person_id),
        year: Set(YEAR),
        unit_id: Set(None),
        status: Set(
            ce_entity::state::CertificateStatus::parse(status).expect("a certificate status")
        ),
        hours: Set(serde_json::json!({})),
        policy: Set(None),
        superseded_by: Set(None),
        revoked_reason: Set(None),
        revoked_at: Set(None),
        issued_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(db)
    .await
    .expect("certificate");
}

/// A person as the test arranged them.
struct P {
    id: Uuid,
    unit: Option<usize>,
    series: Vec<&'static str>,
    records: Vec<Rec>,
    certificates: i64,
    complete: bool,
}

struct World {
    /// (id, name, region)
    units: Vec<(Uuid, String, String)>,
    persons: Vec<P>,
}

/// A person to write: unit, series held, records, certificates' statuses,
/// and whether the year is complete.
type Spec = (
    Option<usize>,
    Vec<&'static str>,
    Vec<Rec>,
    Vec<&'static str>,
    bool,
);

/// Eleven persons in three units (two in Guangzhou, one in Shenzhen) and
/// none, holding engineering, accounting, archives, nursing, two series
/// or none, some complete and some not for reasons the calculator knows.
async fn arrange(app: &TestApp) -> World {
    let db = db(app).await;
    let units = vec![
        (
            insert_unit(&db, "越秀区第一医院", "440104").await,
            "越秀区第一医院".to_string(),
            "440104".to_string(),
        ),
        (
            insert_unit(&db, "天河区设计院", "440106").await,
            "天河区设计院".to_string(),
            "440106".to_string(),
        ),
        (
            insert_unit(&db, "深圳市南山区档案馆", "440305").await,
            "深圳市南山区档案馆".to_string(),
            "440305".to_string(),
        ),
    ];
    let gk = |h: i32| Rec {
        gk: true,
        ..rec("professional", Some("accounting"), h)
    };
    let specs: Vec<Spec> = vec![
        // Complete: 30 / 42 / 18 (R-REQ-1, 2023 general).
        (
            Some(0),
            vec!["engineering"],
            vec![
                rec("public", None, 30),
                rec("professional", Some("engineering"), 42),
                rec("elective", None, 18),
            ],
            vec!["valid"],
            true,
        ),
        // Two professional hours short; a pending record does not count.
        (
            Some(0),
            vec!["engineering"],
            vec![
                rec("public", None, 30),
                rec("professional", Some("engineering"), 40),
                Rec {
                    status: "pending_unit_review",
                    ..rec("professional", Some("engineering"), 10)
                },
                rec("elective", None, 18),
            ],
            vec![],
            false,
        ),
        // Accounting: 60 professional with 20 general-knowledge (R-ACC-1).
        (
            Some(1),
            vec!["accounting"],
            vec![
                rec("public", None, 30),
                rec("professional", Some("accounting"), 40),
                gk(20),
            ],
            vec!["valid", "superseded"],
            true,
        ),
        // Accounting with only 10 general-knowledge credits.
        (
            Some(1),
            vec!["accounting"],
            vec![
                rec("public", None, 30),
                rec("professional", Some("accounting"), 50),
                gk(10),
            ],
            vec![],
            false,
        ),
        // A passed exam subject completes the year, public included (R-ACC-2).
        (
            Some(2),
            vec!["accounting"],
            vec![Rec {
                conversion: Some("accounting_qualification_exam_subject"),
                ..rec("professional", Some("accounting"), 90)
            }],
            vec!["valid"],
            true,
        ),
        // Two series: archives one hour short (R-REQ-3).
        (
            Some(2),
            vec!["engineering", "archives"],
            vec![
                rec("public", None, 30),
                rec("elective", None, 18),
                rec("professional", Some("engineering"), 42),
                rec("professional", Some("archives"), 59),
            ],
            vec![],
            false,
        ),
        // Two series, each with its own 42.
        (
            Some(2),
            vec!["engineering", "nursing"],
            vec![
                rec("public", None, 30),
                rec("elective", None, 18),
                rec("professional", Some("engineering"), 42),
                rec("professional", Some("nursing"), 42),
            ],
            vec!["revoked"],
            true,
        ),
        // No series, no unit: the general minimum over all professional
        // hours; degree education counts up to 72 elective hours (R-RC-7).
        (
            None,
            vec![],
            vec![
                rec("public", None, 30),
                rec("professional", Some("engineering"), 42),
                Rec {
                    conversion: Some("degree_education"),
                    ..rec("elective", None, 100)
                },
            ],
            vec!["valid"],
            true,
        ),
        // Nothing at all.
        (Some(0), vec![], vec![], vec![], false),
        // Last year's hours do not count this year (R-RC-5); returned ones neither.
        (
            Some(0),
            vec!["engineering"],
            vec![
                Rec {
                    year: YEAR - 1,
                    ..rec("public", None, 30)
                },
                Rec {
                    year: YEAR - 1,
                    ..rec("professional", Some("engineering"), 42)
                },
                Rec {
                    status: "returned",
                    ..rec("elective", None, 18)
                },
            ],
            vec![],
            false,
        ),
        // Archives: 30 / 60, no elective.
        (
            Some(1),
            vec!["archives"],
            vec![
                rec("public", None, 30),
                rec("professional", Some("archives"), 60),
            ],
            vec!["valid"],
            true,
        ),
    ];
    let mut persons = Vec::new();
    for (i, (u, series, records, certs, complete)) in specs.into_iter().enumerate() {
        let id = insert_person(&db, &format!("测试人员{i}")).await;
        if let Some(u) = u {
            bind(&db, id, units[u].0).await;
        }
        for s in &series {
            hold(&db, id, s).await;
        }
        for r in &records {
            insert_record(&db, id, r).await;
        }
        for c in &certs {
            insert_certificate(&db, id, c).await;
        }
        persons.push(P {
            id,
            unit: u,
            series,
            records,
            certificates: certs.iter().filter(|c| **c == "valid").count() as i64,
            complete,
        });
    }
    rebuild_standings(&db).await;
    db.close().await.ok();
    World { units, persons }
}

/// One group's figures, hours in tenths.
#[derive(Debug, Default, PartialEq, Eq, Clone)]
struct Fig {
    persons: i64,
    complete: i64,
    public: i64,
    professional: i64,
    elective: i64,
    certificates: i64,
}

fn approved(p: &P, category: &str, series: Option<&[&str]>) -> i64 {
    p.records
        .iter()
        .filter(|r| r.year == YEAR && r.status == "approved" && r.category == category)
        .filter(|r| series.is_none_or(|s| r.series.is_some_and(|x| s.contains(&x))))
        .map(|r| i64::from(r.tenths))
        .sum()
}

/// An authority's scope: its series and the leading digits of its region.
type Within<'a> = (&'a [&'a str], Option<&'a str>);

/// The figures counted here from the rows written, for hrss (`None`) or
/// the union of some authorities' scopes.
fn expected(w: &World, group_by: &str, scopes: Option<&[Within]>) -> BTreeMap<Option<String>, Fig> {
    let mut out: BTreeMap<Option<String>, Fig> = BTreeMap::new();
    let all_series: Option<Vec<&str>> =
        scopes.map(|list| list.iter().flat_map(|(s, _)| s.iter().copied()).collect());
    for p in &w.persons {
        let unit = p.unit.map(|u| &w.units[u]);
        let in_region = |prefix: Option<&str>| {
            prefix.is_none_or(|prefix| unit.is_some_and(|u| u.2.starts_with(prefix)))
        };
        let keys: Vec<(Option<String>, i64)> = match group_by {
            "series" => {
                if p.series.is_empty() {
                    if scopes.is_some() {
                        continue;
                    }
                    vec![(None, approved(p, "professional", None))]
                } else {
                    p.series
                        .iter()
                        .filter(|s| {
                            scopes.is_none_or(|list| {
                                list.iter().any(|(series, region)| {
                                    series.contains(s) && in_region(*region)
                                })
                            })
                        })
                        .map(|s| {
                            (
                                Some(s.to_string()),
                                approved(p, "professional", Some(&[*s])),
                            )
                        })
                        .collect()
                }
            }
            _ => {
                if let Some(list) = scopes
                    && !list.iter().any(|(series, region)| {
                        p.series.iter().any(|s| series.contains(s)) && in_region(*region)
                    })
                {
                    continue;
                }
                let key = match group_by {
                    "unit" => unit.map(|u| u.0.to_string()),
                    _ => unit.map(|u| u.2.clone()),
                };
                vec![(key, approved(p, "professional", all_series.as_deref()))]
            }
        };
        for (key, professional) in keys {
            let f = out.entry(key).or_default();
            f.persons += 1;
            f.complete += i64::from(p.complete);
            f.public += approved(p, "public", None);
            f.professional += professional;
            f.elective += approved(p, "elective", None);
            f.certificates += p.certificates;
        }
    }
    out
}

fn tenths(v: &Value) -> i64 {
    (v.as_f64().expect("hours") * 10.0).round() as i64
}

fn figures(body: &Value) -> BTreeMap<Option<String>, Fig> {
    body["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["key"].as_str().map(str::to_string),
                Fig {
                    persons: g["persons"].as_i64().unwrap(),
                    complete: g["persons_complete"].as_i64().unwrap(),
                    public: tenths(&g["approved_hours"]["public"]),
                    professional: tenths(&g["approved_hours"]["professional"]),
                    elective: tenths(&g["approved_hours"]["elective"]),
                    certificates: g["valid_certificates"].as_i64().unwrap(),
                },
            )
        })
        .collect()
}

pub(crate) async fn get(client: &ce_sdk::Client, path_and_query: &str) -> reqwest::Response {
    let mut req =
        reqwest::Client::new().get(format!("{}/api/v1{path_and_query}", client.base_url()));
    if let Some(t) = client.token() {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request")
}

async fn statistics(client: &ce_sdk::Client, group_by: &str) -> Value {
    let res = get(
        client,
        &format!("/statistics?year={YEAR}&group_by={group_by}"),
    )
    .await;
    assert_eq!(res.status(), 200, "{group_by}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn r_st_1_statistics_agree_with_the_rows_and_the_calculator() {
    let app = spawn_app().await;
    let w = arrange(&app).await;
    let hrss = app.hrss().await;
    // The arrangement's completion is the calculator's (R-REQ-2, R-REQ-3).
    for (i, p) in w.persons.iter().enumerate() {
        let res = get(&hrss, &format!("/persons/{}/compliance?year={YEAR}", p.id)).await;
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["complete"], p.complete, "person {i}: {v}");
    }
    for group_by in ["series", "unit", "region"] {
        let body = statistics(&hrss, group_by).await;
        assert_eq!(body["year"], YEAR);
        assert_eq!(body["group_by"], group_by);
        assert_eq!(
            figures(&body),
            expected(&w, group_by, None),
            "{group_by}: {body}"
        );
        // The null group comes last.
        let groups = body["groups"].as_array().unwrap();
        assert!(
            groups[..groups.len() - 1]
                .iter()
                .all(|g| !g["key"].is_null())
        );
    }
    let by_series = statistics(&hrss, "series").await;
    let eng = by_series["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "engineering")
        .unwrap();
    assert_eq!(eng["name"], "工程技术人员系列");
    let by_unit = statistics(&hrss, "unit").await;
    assert!(
        by_unit["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "越秀区第一医院")
    );
}

#[tokio::test]
async fn r_st_1_an_authority_sees_its_series_and_region_only() {
    let app = spawn_app().await;
    let w = arrange(&app).await;
    let (province, province_view) = app.province_authority(&["engineering"]).await;
    for group_by in ["series", "unit", "region"] {
        let body = statistics(&province, group_by).await;
        assert_eq!(
            figures(&body),
            expected(&w, group_by, Some(&[(&["engineering"], None)])),
            "province {group_by}: {body}"
        );
    }
    // A Guangzhou (440100) authority under it: only units registered in Guangzhou.
    let p = app.register().await;
    let city = app.login_person(&p).await;
    let applied = ce_sdk::call!(city.api().authority_apply(
        None,
        &authority_application(
            ce_sdk::types::AuthorityLevel::City,
            "440100",
            &["engineering"],
            Some(province_view.id),
        )
    ))
    .expect("applying");
    ce_sdk::call!(province.api().authority_review(
        &applied.id,
        None,
        &decision(ce_sdk::types::Decision::Approve)
    ))
    .expect("approving");
    for group_by in ["series", "unit", "region"] {
        let body = statistics(&city, group_by).await;
        let want = expected(&w, group_by, Some(&[(&["engineering"], Some("4401"))]));
        assert_eq!(figures(&body), want, "city {group_by}: {body}");
    }
    let regions = figures(&statistics(&city, "region").await);
    assert!(
        regions
            .keys()
            .all(|k| k.as_deref().is_some_and(|r| r.starts_with("4401")))
    );
    assert!(!regions.is_empty());
    // The same account also becomes the Shenzhen (440300) accounting
    // authority: it sees the union of both scopes.
    let (accounting, accounting_view) = app.province_authority(&["accounting"]).await;
    let applied = ce_sdk::call!(city.api().authority_apply(
        None,
        &authority_application(
            ce_sdk::types::AuthorityLevel::City,
            "440300",
            &["accounting"],
            Some(accounting_view.id),
        )
    ))
    .expect("applying again");
    ce_sdk::call!(accounting.api().authority_review(
        &applied.id,
        None,
        &decision(ce_sdk::types::Decision::Approve)
    ))
    .expect("approving");
    for group_by in ["series", "unit", "region"] {
        let body = statistics(&city, group_by).await;
        let want = expected(
            &w,
            group_by,
            Some(&[
                (&["engineering"], Some("4401")),
                (&["accounting"], Some("4403")),
            ]),
        );
        assert_eq!(figures(&body), want, "two grants {group_by}: {body}");
    }
}

#[tokio::test]
async fn r_st_1_other_roles_are_refused_and_bad_queries_are_problems() {
    let app = spawn_app().await;
    let person = app.person().await;
    let (admin, _unit) = app.unit().await;
    let platform = app.platform().await;
    for client in [&person.client, &admin.client, &platform] {
        for path in [
            "/statistics?group_by=series",
            "/statistics/export?group_by=unit",
        ] {
            let res = get(client, path).await;
            assert_eq!(res.status(), 403, "{path}");
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["code"], "forbidden");
        }
    }
    let hrss = app.hrss().await;
    for (q, status, code) in [
        ("group_by=province", 400, "query_invalid"),
        ("group_by=series&year=abc", 400, "query_invalid"),
        ("year=2024", 400, "query_invalid"),
        ("group_by=series&year=1999", 422, "year_invalid"),
        ("group_by=series&year=2101", 422, "year_invalid"),
    ] {
        for path in ["/statistics", "/statistics/export"] {
            let res = get(&hrss, &format!("{path}?{q}")).await;
            assert_eq!(res.status(), status, "{path}?{q}");
            assert_eq!(
                res.headers()["content-type"].to_str().unwrap(),
                "application/problem+json"
            );
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["code"], code, "{path}?{q}");
        }
    }
    let res = get(&app.client, "/statistics?group_by=series").await;
    assert_eq!(res.status(), 401);
}

/// The body of a CSV download, checked for its headers and BOM; the lines
/// parsed.
pub(crate) async fn csv_of(res: reqwest::Response, filename_prefix: &str) -> Vec<Vec<String>> {
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"{filename_prefix}")),
        "{disposition}"
    );
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "the BOM comes first");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    parse_csv(text)
}

/// RFC 4180 as spreadsheet programs read it.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[tokio::test]
async fn unit_compliance_export_has_the_rows_of_the_list_and_quotes_text() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let (other_admin, _) = app.unit().await;
    let db = db(&app).await;
    let tricky = "王,\"小明\"";
    let a = insert_person(&db, tricky).await;
    bind(&db, a, unit.id).await;
    hold(&db, a, "engineering").await;
    insert_record(&db, a, &rec("public", None, 30)).await;
    insert_record(&db, a, &rec("professional", Some("engineering"), 42)).await;
    insert_record(&db, a, &rec("elective", None, 18)).await;
    let b = insert_person(&db, "李四").await;
    bind(&db, b, unit.id).await;
    insert_record(&db, b, &rec("public", None, 12)).await;
    rebuild_standings(&db).await;
    db.close().await.ok();

    let rows = csv_of(
        get(
            &admin.client,
            &format!("/units/{}/compliance/export?year={YEAR}", unit.id),
        )
        .await,
        "unit-compliance-2024",
    )
    .await;
    assert_eq!(
        rows[0],
        [
            "person_id",
            "person_name",
            "id_card_masked",
            "year",
            "public_required",
            "public_approved",
            "public_missing",
            "professional_required",
            "professional_approved",
            "professional_missing",
            "elective_required",
            "elective_approved",
            "elective_missing",
            "complete",
            "exempt_reason"
        ]
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][0], a.to_string());
    assert_eq!(rows[1][1], tricky);
    assert_eq!(rows[1][2], "440106********123X");
    assert_eq!(rows[1][13], "true");
    assert_eq!(rows[2][1], "李四");
    assert_eq!(&rows[2][4..7], ["30", "12", "18"]);
    assert_eq!(rows[2][13], "false");
    // The same rows as the JSON list.
    let list: Value = get(
        &admin.client,
        &format!("/units/{}/compliance?year={YEAR}", unit.id),
    )
    .await
    .json()
    .await
    .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for (item, row) in items.iter().zip(&rows[1..]) {
        assert_eq!(item["standing"]["person_id"], row[0].as_str());
        assert_eq!(item["standing"]["complete"].to_string(), row[13]);
    }
    // Only the incomplete.
    let rows = csv_of(
        get(
            &admin.client,
            &format!(
                "/units/{}/compliance/export?year={YEAR}&complete=false",
                unit.id
            ),
        )
        .await,
        "unit-compliance",
    )
    .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], b.to_string());
    // hrss may; another unit's admin gets 404, a person 403.
    let hrss = app.hrss().await;
    let rows = csv_of(
        get(
            &hrss,
            &format!("/units/{}/compliance/export?year={YEAR}", unit.id),
        )
        .await,
        "unit-compliance",
    )
    .await;
    assert_eq!(rows.len(), 3);
    let res = get(
        &other_admin.client,
        &format!("/units/{}/compliance/export?year={YEAR}", unit.id),
    )
    .await;
    assert_eq!(res.status(), 404);
    let person = app.person().await;
    let res = get(
        &person.client,
        &format!("/units/{}/compliance/export?year={YEAR}", unit.id),
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = get(
        &hrss,
        &format!("/units/{}/compliance/export?year={YEAR}", Uuid::now_v7()),
    )
    .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn records_export_follows_the_list_scope_and_filters() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let db = db(&app).await;
    let mine = insert_person(&db, "张三").await;
    bind(&db, mine, unit.id).await;
    let course = "安全生产, \"双碳\" 与\n新质生产力";
    for i in 0..3 {
        let mut r = rec("professional", Some("engineering"), 10 + i);
        r.course = course;
        insert_record(&db, mine, &r).await;
    }
    insert_record(
        &db,
        mine,
        &Rec {
            year: YEAR - 1,
            ..rec("public", None, 30)
        },
    )
    .await;
    let stranger = insert_person(&db, "外单位").await;
    insert_record(&db, stranger, &rec("public", None, 30)).await;
    // Records sent to the unit carry its id (R-RC-3).
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    record::Entity::update_many()
        .col_expr(
            record::Column::UnitId,
            sea_orm::sea_query::Expr::value(unit.id),
        )
        .filter(record::Column::PersonId.eq(mine))
        .exec(&db)
        .await
        .unwrap();
    db.close().await.ok();

    let hrss = app.hrss().await;
    let all = csv_of(get(&hrss, "/records/export").await, "records.csv").await;
    assert_eq!(
        all[0][..4],
        ["id", "person_id", "person_name", "id_card_masked"]
    );
    assert_eq!(all.len(), 1 + 5);
    let rows = csv_of(
        get(
            &hrss,
            &format!("/records/export?year={YEAR}&category=professional"),
        )
        .await,
        "records-2024.csv",
    )
    .await;
    assert_eq!(rows.len(), 1 + 3);
    for r in &rows[1..] {
        assert_eq!(r[7], course, "commas, quotes and a newline survive");
        assert_eq!(r[2], "张三");
        assert_eq!(r[5], "professional");
    }
    assert_eq!(rows[1][8], "10");
    // The unit admin sees its person's records only, as in `GET /records`.
    let unit_rows = csv_of(get(&admin.client, "/records/export").await, "records").await;
    assert_eq!(unit_rows.len(), 1 + 4);
    assert!(unit_rows[1..].iter().all(|r| r[1] == mine.to_string()));
    let list: Value = get(&admin.client, "/records?limit=500")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let exported: Vec<&str> = unit_rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, exported);
    // A person with no records gets a header only; so does a platform
    // that pushed none (it exports its own records, issue 19).
    let person = app.person().await;
    let rows = csv_of(get(&person.client, "/records/export").await, "records").await;
    assert_eq!(rows.len(), 1);
    let platform = app.platform().await;
    let rows = csv_of(get(&platform, "/records/export").await, "records").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        get(&hrss, "/records/export?status=bogus").await.status(),
        400
    );
}

#[tokio::test]
async fn statistics_export_is_the_json_figures_as_csv() {
    let app = spawn_app().await;
    let _w = arrange(&app).await;
    let hrss = app.hrss().await;
    for group_by in ["series", "unit", "region"] {
        let body = statistics(&hrss, group_by).await;
        let rows = csv_of(
            get(
                &hrss,
                &format!("/statistics/export?year={YEAR}&group_by={group_by}"),
            )
            .await,
            &format!("statistics-{YEAR}-{group_by}.csv"),
        )
        .await;
        assert_eq!(
            rows[0],
            [
                "year",
                "group_by",
                "key",
                "name",
                "persons",
                "persons_complete",
                "public_hours",
                "professional_hours",
                "elective_hours",
                "valid_certificates",
                "persons_exempt"
            ]
        );
        let groups = body["groups"].as_array().unwrap();
        assert_eq!(rows.len(), groups.len() + 1);
        for (g, r) in groups.iter().zip(&rows[1..]) {
            assert_eq!(r[0], YEAR.to_string());
            assert_eq!(r[1], group_by);
            assert_eq!(r[2], g["key"].as_str().unwrap_or(""));
            assert_eq!(r[3], g["name"].as_str().unwrap_or(""));
            assert_eq!(r[4], g["persons"].to_string());
            assert_eq!(r[5], g["persons_complete"].to_string());
            assert_eq!(r[9], g["valid_certificates"].to_string());
            assert_eq!(r[10], g["persons_exempt"].to_string());
        }
    }
}
