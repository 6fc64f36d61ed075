//! Untruthful records (R-RC-12, 条例 第三十四条): hrss declares a record
//! untruthful; it stops counting, the certificate that relied on it is
//! revoked with that reason, and a credit record is written against
//! whoever recorded it.

use ce_sdk::{Client, call, types};
use chrono::Utc;
use uuid::Uuid;

use crate::helpers::*;

fn finding(reason: &str) -> types::UntruthfulRequest {
    types::UntruthfulRequest {
        reason: reason.parse().unwrap(),
        severity: None,
        published: None,
    }
}

async fn certificates(c: &Client) -> Vec<types::CertificateView> {
    call!(c.api().certificate_list(None, None, None, None, None))
        .unwrap()
        .items
}

async fn findings_on(
    hrss: &Client,
    t: types::SubjectType,
    id: Uuid,
) -> Vec<types::CreditRecordView> {
    call!(
        hrss.api()
            .credit_record_list(None, None, Some(&id), Some(t))
    )
    .unwrap()
    .items
}

#[tokio::test]
async fn r_rc_12_a_pushed_record_found_untruthful_revokes_the_certificate_and_marks_the_platform() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let (pf, pf_id) = crate::push::platform(
        &app,
        &[types::Category::Public, types::Category::Professional],
        &["accounting"],
    )
    .await;
    let (person, _, _) = crate::certificates::accountant(&app).await;
    let item = |ext: &str, category: &str, hours: f64| {
        serde_json::json!({
            "external_id": ext,
            "id_card_no": person.person.id_card_no,
            "name": "张三",
            "year": this_year(),
            "category": category,
            "series": "accounting",
            "course_name": "企业会计准则",
            "hours": hours,
            "completed_at": Utc::now().to_rfc3339(),
        })
    };
    let mut ethics = item("a2", "professional", 20.0);
    ethics["general_knowledge"] = true.into();
    let o = crate::push::push(
        &pf,
        &[
            item("a1", "professional", 40.0),
            ethics,
            item("p1", "public", 30.0),
        ],
        None,
    )
    .await;
    assert_eq!(o.accepted, 3, "{:?}", o.items);
    let certs = certificates(&person.client).await;
    assert_eq!(certs.len(), 1);
    let number = certs[0].number.to_string();
    let record = o.items[0].record_id.unwrap();

    // Only hrss declares; unknown records are 404.
    let err = call!(
        person
            .client
            .api()
            .record_declare_untruthful(&record, None, &finding("假"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(
        pf.api()
            .record_declare_untruthful(&record, None, &finding("假"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(
        hrss.api()
            .record_declare_untruthful(&Uuid::now_v7(), None, &finding("假"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));

    let reason = "核查发现培训未实际举办，学时记载不真实";
    let v = call!(
        hrss.api()
            .record_declare_untruthful(&record, None, &finding(reason))
    )
    .unwrap();
    assert_eq!(v.record.status, types::RecordStatus::Invalidated);
    assert_eq!(
        v.record.invalidated_reason.as_deref().map(String::as_str),
        Some(reason)
    );
    assert_eq!(v.revoked_certificates, vec![certs[0].id]);
    let credit = v.credit_record.expect("a credit record");
    assert_eq!(credit.subject_type, types::SubjectType::Platform);
    assert_eq!(credit.subject_id, pf_id);
    assert_eq!(credit.rule.as_str(), "条例 第三十四条");
    assert_eq!(credit.reason.as_str(), reason);

    // The year is no longer complete: 20 professional credits count.
    let c = call!(
        person
            .client
            .api()
            .person_compliance(&person.person_id(), Some(this_year()))
    )
    .unwrap();
    assert!(!c.complete);
    // The certificate is revoked with the reason, and verification says so.
    let after = certificates(&person.client).await;
    assert_eq!(after[0].status, types::CertificateStatus::Revoked);
    assert_eq!(
        after[0].revoked_reason.as_deref().map(String::as_str),
        Some("record_untruthful")
    );
    let verified = call!(
        app.client
            .api()
            .certificate_verify(&number.parse().unwrap())
    )
    .unwrap();
    assert_eq!(verified.status.as_str(), "revoked");
    assert_eq!(verified.reason.as_deref(), Some("record_untruthful"));
    // The finding is on the platform's file, which the platform reads.
    let on_file = findings_on(&hrss, types::SubjectType::Platform, pf_id).await;
    assert_eq!(on_file.len(), 1);
    assert_eq!(
        call!(pf.api().credit_record_list(None, None, None, None))
            .unwrap()
            .items
            .len(),
        1
    );
    // The platform reads its record back invalidated; it cannot withdraw it.
    let back = call!(pf.api().record_view(&record, None)).unwrap();
    assert_eq!(back.record.status, types::RecordStatus::Invalidated);
    let err = call!(pf.api().record_withdraw(&record, None)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    // Once invalid, it stays so.
    let err = call!(
        hrss.api()
            .record_declare_untruthful(&record, None, &finding(reason))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("illegal_transition"));
    // The standing the ledger kept is what the records make.
    crate::standing::assert_standings_equal_a_rebuild(&app.database_url).await;
}

#[tokio::test]
async fn r_rc_12_a_declared_record_found_untruthful_is_on_the_persons_file() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let (person, admin, _) = crate::certificates::certified_accountant(&app).await;
    let records = call!(
        person
            .client
            .api()
            .record_list(None, None, None, None, None, None, None, None, None)
    )
    .unwrap()
    .items;
    let record = records[0].id;
    let v = call!(hrss.api().record_declare_untruthful(
        &record,
        None,
        &types::UntruthfulRequest {
            reason: "考试成绩证明系伪造".parse().unwrap(),
            severity: Some(types::Severity::Serious),
            published: None,
        }
    ))
    .unwrap();
    let credit = v.credit_record.expect("a credit record");
    assert_eq!(credit.subject_type, types::SubjectType::Person);
    assert_eq!(credit.subject_id, person.person_id());
    assert_eq!(credit.severity, types::Severity::Serious);
    assert_eq!(v.revoked_certificates.len(), 1);
    let certs = certificates(&person.client).await;
    assert_eq!(certs[0].status, types::CertificateStatus::Revoked);
    assert_eq!(
        certs[0].revoked_reason.as_deref().map(String::as_str),
        Some("record_untruthful")
    );
    // The person reads the finding on their own file; the finance
    // department that confirmed the record cannot review it again, and the
    // unit never could (R-ACC-4).
    let own = call!(
        person
            .client
            .api()
            .credit_record_list(None, None, None, None)
    )
    .unwrap()
    .items;
    assert_eq!(own.len(), 1);
    let err = call!(app.finance().await.district.api().record_review(
        &record,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    let err = call!(admin.client.api().record_review(
        &record,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    // A unit admin may not declare.
    let err = call!(
        admin
            .client
            .api()
            .record_declare_untruthful(&record, None, &finding("假"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
}
