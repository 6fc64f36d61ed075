//! A person's copy of their own data (PIPL 第四十五条, issue 22).

use ce_sdk::{call, types};
use chrono::Days;

use crate::certificates::certified_accountant;
use crate::helpers::*;

fn finding(id: uuid::Uuid, reason: &str) -> types::CreditRecordRequest {
    types::CreditRecordRequest {
        subject_type: types::SubjectType::Person,
        subject_id: id,
        reason: reason.parse().unwrap(),
        rule: "条例 第二十七条".parse().unwrap(),
        severity: types::Severity::Minor,
        attachment_ids: vec![],
        found_on: today().checked_sub_days(Days::new(10)).unwrap(),
        expires_on: None,
        published: Some(false),
    }
}

#[tokio::test]
async fn a_person_downloads_their_own_data_and_nobody_elses() {
    let app = spawn_app().await;
    let (person, _admin, _unit) = certified_accountant(&app).await;
    let other = app.verified_person().await;
    app.public_hours(other.person_id(), this_year(), 120).await;
    let hrss = app.hrss().await;
    call!(
        hrss.api()
            .credit_record_create(None, &finding(person.person_id(), "虚报学时"))
    )
    .unwrap();
    call!(
        hrss.api()
            .credit_record_create(None, &finding(other.person_id(), "他人的记录"))
    )
    .unwrap();

    let data = call!(person.client.api().me_data()).unwrap();
    assert_eq!(data.person.id, person.person_id());
    // Their own ID number, in clear.
    assert_eq!(data.person.id_card_no.to_string(), person.person.id_card_no);
    assert!(!data.records.is_empty());
    assert!(
        data.records
            .iter()
            .all(|r| r.person_id == person.person_id())
    );
    assert!(!data.certificates.is_empty());
    assert!(
        data.certificates
            .iter()
            .all(|c| c.person_id == person.person_id())
    );
    assert_eq!(data.credit_records.len(), 1);
    assert_eq!(data.credit_records[0].subject_id, person.person_id());
    assert!(
        data.audit_events
            .iter()
            .any(|e| e.action.as_str() == "registered")
    );
    assert!(
        data.audit_events
            .iter()
            .all(|e| e.person_id == Some(person.person_id()))
    );
    assert!(data.truncated.is_empty());

    // Nothing of the other person is in the document.
    let res = person
        .client
        .send_raw(reqwest::Method::GET, "/api/v1/me/data", None, vec![])
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    let disposition = res
        .headers
        .get(reqwest::header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let body = String::from_utf8(res.body.to_vec()).unwrap();
    for secret in [
        other.person_id().to_string(),
        other.person.id_card_no.clone(),
        other.person.phone.clone(),
        "他人的记录".to_string(),
    ] {
        assert!(!body.contains(&secret), "{secret} is in the document");
    }
    // The download is an audit event about the person.
    let again = call!(person.client.api().me_data()).unwrap();
    assert!(
        again
            .audit_events
            .iter()
            .any(|e| e.action.as_str() == "data_exported")
    );
}

#[tokio::test]
async fn callers_without_the_person_role_are_403() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let e = call!(hrss.api().me_data()).unwrap_err();
    assert_eq!(e.status(), Some(403));
    assert_eq!(e.code(), Some("forbidden"));
    let platform = app.platform().await;
    let e = call!(platform.api().me_data()).unwrap_err();
    assert_eq!(e.status(), Some(403));
    let e = call!(app.client.api().me_data()).unwrap_err();
    assert_eq!(e.status(), Some(401));
}
