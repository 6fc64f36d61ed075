//! Title-evaluation committees (R-CE-4, R-CE-5): hrss grants the
//! `evaluator` role for the series a committee evaluates; the committee
//! checks applicants' certificates in bulk, audited and rate-limited; a
//! revoked grant stops at once.

use ce_sdk::{call, types};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

fn applicant(id_card_no: &str, name: &str) -> types::ApplicantRequest {
    types::ApplicantRequest {
        id_card_no: id_card_no.parse().unwrap(),
        name: name.parse().unwrap(),
    }
}

fn check(applicants: Vec<types::ApplicantRequest>, years: &[i32]) -> types::EvaluationCheckRequest {
    types::EvaluationCheckRequest {
        applicants,
        years: years.iter().map(|y| types::AskedYear(*y)).collect(),
    }
}

/// hrss grants `officer`'s account the role for `series`.
async fn grant(hrss: &ce_sdk::Client, officer: &Signed, series: &[&str]) -> types::EvaluatorView {
    call!(hrss.api().evaluator_grant(
        None,
        &types::EvaluatorGrantRequest {
            name: "广州市会计系列高级职称评审委员会".parse().unwrap(),
            id_card_no: officer.person.id_card_no.parse().unwrap(),
            series: series.iter().map(|s| s.parse().unwrap()).collect(),
        }
    ))
    .expect("granting the evaluator role")
}

#[tokio::test]
async fn r_ce_5_evaluator_checks_in_bulk() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let y = this_year();
    // A certified accountant; an engineer, whom an accounting committee
    // does not evaluate.
    let (accountant, _, _) = crate::certificates::certified_accountant(&app).await;
    let issued = call!(
        accountant
            .client
            .api()
            .certificate_list(None, None, None, None, None)
    )
    .unwrap()
    .items;
    assert_eq!(issued.len(), 1);
    let engineer = app.verified_person().await;
    call!(engineer.client.api().person_update(
        &engineer.person_id(),
        None,
        &types::PersonUpdateRequest {
            name: None,
            phone: None,
            education: None,
            title: None,
            series: Some(vec!["engineering".parse().unwrap()]),
            series_year: Some(y),
            region: None,
            series_terms: None,
        }
    ))
    .unwrap();

    let officer = app.person().await;
    // Before the grant, the officer is a person: 403.
    let batch = check(
        vec![
            applicant(&accountant.person.id_card_no, "张三"),
            applicant(&engineer.person.id_card_no, "张三"),
            applicant(&accountant.person.id_card_no, "李四"),
            applicant(&id_card_no(), "王五"),
        ],
        &[y],
    );
    let err = call!(officer.client.api().certificate_check_batch(&batch)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("forbidden"));

    let evaluator = grant(&hrss, &officer, &["accounting"]).await;
    assert_eq!(evaluator.series, vec!["accounting".to_string()]);
    assert_eq!(evaluator.account_id, officer.account_id());
    // Grants are read per request: the same token now checks.
    let answer = call!(officer.client.api().certificate_check_batch(&batch)).unwrap();
    assert_eq!(answer.years, vec![y]);
    assert_eq!(answer.series, vec!["accounting".to_string()]);
    let statuses: Vec<_> = answer.results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        vec![
            types::ApplicantStatus::Found,
            types::ApplicantStatus::NotFound,
            types::ApplicantStatus::NameMismatch,
            types::ApplicantStatus::NotFound,
        ]
    );
    let found = &answer.results[0];
    assert_eq!(found.certificates.len(), 1);
    assert_eq!(
        found.certificates[0].number.as_str(),
        issued[0].number.as_str()
    );
    assert_eq!(
        found.certificates[0].status,
        types::CertificateStatus::Valid
    );
    assert_eq!(found.certificates[0].year, y);
    assert_eq!(found.certificates[0].hours.total, issued[0].hours.total);
    // Nothing about the others; the name on file is never shown.
    assert!(
        answer.results[1..]
            .iter()
            .all(|r| r.certificates.is_empty())
    );
    assert_eq!(answer.results[2].name.as_str(), "李四");
    let text = serde_json::to_string(&answer).unwrap();
    assert!(!text.contains(&accountant.person.id_card_no));
    assert_eq!(
        answer.results[0].id_card_masked.as_str(),
        format!(
            "{}********{}",
            &accountant.person.id_card_no[..6],
            &accountant.person.id_card_no[14..]
        )
    );
    // Another year has no certificate.
    let earlier = call!(officer.client.api().certificate_check_batch(&check(
        vec![applicant(&accountant.person.id_card_no, "张三")],
        &[y - 1]
    )))
    .unwrap();
    // Out of scope that year (no series held): not found.
    assert_eq!(earlier.results[0].status, types::ApplicantStatus::NotFound);

    // One audit event per check, naming the applicants by person id and
    // never an ID number in clear.
    let events = call_ok(
        &hrss,
        Method::GET,
        &format!(
            "/audit-events?entity_type=evaluator&entity_id={}",
            evaluator.id
        ),
        Value::Null,
    )
    .await;
    let checked: Vec<&Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "checked")
        .collect();
    assert_eq!(checked.len(), 2, "{events}");
    // (newest first: the bulk check is the older one)
    let trail = checked
        .iter()
        .find(|e| e["after"]["applicants"].as_array().map(Vec::len) == Some(4))
        .expect("the bulk check's event")
        .to_string();
    assert!(
        trail.contains(&accountant.person_id().to_string()),
        "{trail}"
    );
    assert!(trail.contains(&engineer.person_id().to_string()), "{trail}");
    for id in [&accountant.person.id_card_no, &engineer.person.id_card_no] {
        assert!(!events.to_string().contains(id.as_str()));
    }

    // Others: 403; bad input: 422.
    let err = call!(accountant.client.api().certificate_check_batch(&batch)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(hrss.api().certificate_check_batch(&batch)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let wrong = with_wrong_check(&accountant.person.id_card_no);
    let err = call_raw(
        &officer.client,
        serde_json::json!({"applicants": [{"id_card_no": wrong, "name": "张三"}]}),
    )
    .await;
    assert_eq!(err.0, 422, "{}", err.1);
    assert!(err.1.contains("applicants[0].id_card_no"), "{}", err.1);
    let many: Vec<Value> = (0..201)
        .map(|_| serde_json::json!({"id_card_no": id_card_no(), "name": "张三"}))
        .collect();
    assert_eq!(
        call_raw(&officer.client, serde_json::json!({"applicants": many}))
            .await
            .0,
        422
    );
    assert_eq!(
        call_raw(
            &officer.client,
            serde_json::json!({"applicants": [], "years": [y]})
        )
        .await
        .0,
        422
    );

    // hrss lists it; the evaluator sees its own.
    let own = call!(officer.client.api().evaluator_list(None, None))
        .unwrap()
        .items;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].id, evaluator.id);
    let err = call!(accountant.client.api().evaluator_list(None, None)).unwrap_err();
    assert_eq!(err.status(), Some(403));

    // Only hrss grants and revokes.
    let err = call!(officer.client.api().evaluator_revoke(&evaluator.id)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(officer.client.api().evaluator_grant(
        None,
        &types::EvaluatorGrantRequest {
            name: "评委会".parse().unwrap(),
            id_card_no: officer.person.id_card_no.parse().unwrap(),
            series: vec!["accounting".parse().unwrap()],
        }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(hrss.api().evaluator_grant(
        None,
        &types::EvaluatorGrantRequest {
            name: "评委会".parse().unwrap(),
            id_card_no: id_card_no().parse().unwrap(),
            series: vec!["accounting".parse().unwrap()],
        }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("account_unknown"));
    let err = call!(hrss.api().evaluator_revoke(&uuid::Uuid::now_v7())).unwrap_err();
    assert_eq!(err.status(), Some(404));

    // Revoked: the same token no longer checks, at once.
    call!(hrss.api().evaluator_revoke(&evaluator.id)).unwrap();
    let err = call!(officer.client.api().certificate_check_batch(&batch)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let listed = call!(hrss.api().evaluator_list(None, None)).unwrap().items;
    assert!(
        listed
            .iter()
            .any(|e| e.id == evaluator.id && e.revoked_at.is_some())
    );
    // Revoking again changes nothing.
    call!(hrss.api().evaluator_revoke(&evaluator.id)).unwrap();
}

#[tokio::test]
async fn r_ce_5_checks_are_rate_limited_per_account() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let officer = app.person().await;
    grant(&hrss, &officer, &["nursing"]).await;
    let batch = check(vec![applicant(&id_card_no(), "张三")], &[2024]);
    let mut limited = None;
    for _ in 0..30 {
        match call!(officer.client.api().certificate_check_batch(&batch)) {
            Ok(a) => assert_eq!(a.results[0].status, types::ApplicantStatus::NotFound),
            Err(e) => {
                limited = Some(e);
                break;
            }
        }
    }
    let e = limited.expect("a 429 within 30 checks a minute");
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.code(), Some("rate_limited"));
}

/// A raw check, for bodies the SDK's types refuse to build.
async fn call_raw(c: &ce_sdk::Client, body: Value) -> (u16, String) {
    let r = c
        .send_raw(
            Method::POST,
            "/api/v1/certificates/checks",
            Some("application/json"),
            serde_json::to_vec(&body).unwrap(),
        )
        .await
        .unwrap();
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}
