//! Credit records (R-CR-1): findings, who reads them, the public list, and
//! a published finding that blocks a provider's plan submissions until it
//! expires.

use ce_sdk::{call, types};
use chrono::{Days, NaiveDate};

use crate::helpers::*;
use crate::training::training;

fn finding(
    t: types::SubjectType,
    id: uuid::Uuid,
    expires_on: Option<NaiveDate>,
    published: bool,
) -> types::CreditRecordRequest {
    types::CreditRecordRequest {
        subject_type: t,
        subject_id: id,
        reason: "虚报继续教育学时".parse().unwrap(),
        rule: "条例 第二十七条".parse().unwrap(),
        severity: types::Severity::Serious,
        attachment_ids: vec![],
        found_on: today().checked_sub_days(Days::new(10)).unwrap(),
        expires_on,
        published: Some(published),
    }
}

#[tokio::test]
async fn r_cr_1_a_published_finding_blocks_a_providers_submissions_until_it_expires() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let hrss = app.hrss().await;
    let until = today().checked_add_days(Days::new(30)).unwrap();
    let f = call!(hrss.api().credit_record_create(
        None,
        &finding(
            types::SubjectType::Provider,
            t.provider_view.id,
            Some(until),
            true
        )
    ))
    .unwrap();
    assert_eq!(f.subject_name.as_str(), t.provider_view.name.as_str());

    let plan = t.draft().await;
    let err = call!(t.provider.api().course_plan_submit(&plan.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("credit_blocked"));
    assert!(
        err.problem().unwrap().detail.contains(&until.to_string()),
        "the problem says until when"
    );
    // The provider reads the finding about itself.
    let own = call!(t.provider.api().credit_record_list(None, None, None, None))
        .unwrap()
        .items;
    assert_eq!(own.len(), 1);

    // Ended yesterday: submissions go through again.
    let yesterday = today().checked_sub_days(Days::new(1)).unwrap();
    call!(hrss.api().credit_record_update(
        &f.id,
        None,
        &types::CreditRecordChange {
            expires_on: Some(yesterday),
            published: None,
        }
    ))
    .unwrap();
    call!(t.provider.api().course_plan_submit(&plan.id, None)).unwrap();
    // An expired finding is off the public list.
    let public = call!(app.client.api().credit_record_public(None, None)).unwrap();
    assert!(public.items.iter().all(|p| p.id != f.id));
}

#[tokio::test]
async fn r_cr_1_the_public_list_shows_organisations_never_persons() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let person = app.verified_person().await;
    let (admin, unit) = app.unit().await;
    let on_person = call!(hrss.api().credit_record_create(
        None,
        &finding(types::SubjectType::Person, person.person_id(), None, true)
    ))
    .unwrap();
    let on_unit = call!(hrss.api().credit_record_create(
        None,
        &finding(types::SubjectType::Unit, unit.id, None, true)
    ))
    .unwrap();
    let unpublished = call!(hrss.api().credit_record_create(
        None,
        &finding(types::SubjectType::Unit, unit.id, None, false)
    ))
    .unwrap();
    let public = call!(app.client.api().credit_record_public(None, None))
        .unwrap()
        .items;
    let ids: Vec<_> = public.iter().map(|p| p.id).collect();
    assert!(ids.contains(&on_unit.id));
    assert!(!ids.contains(&on_person.id));
    assert!(!ids.contains(&unpublished.id));
    let text = serde_json::to_string(&public).unwrap();
    assert!(!text.contains(&person.person.id_card_no));
    assert!(!text.contains("person"));

    // The person sees their own finding; the unit its two; a stranger none.
    let mine = call!(
        person
            .client
            .api()
            .credit_record_list(None, None, None, None)
    )
    .unwrap()
    .items;
    assert_eq!(
        mine.iter().map(|f| f.id).collect::<Vec<_>>(),
        [on_person.id]
    );
    let units = call!(
        admin
            .client
            .api()
            .credit_record_list(None, None, None, None)
    )
    .unwrap()
    .items;
    assert_eq!(units.len(), 2);
    let stranger = app.person().await;
    assert!(
        call!(
            stranger
                .client
                .api()
                .credit_record_list(None, None, None, None)
        )
        .unwrap()
        .items
        .is_empty()
    );
    // Subjects read but do not change, nor record findings.
    let err = call!(admin.client.api().credit_record_update(
        &on_unit.id,
        None,
        &types::CreditRecordChange {
            expires_on: None,
            published: Some(false),
        }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(admin.client.api().credit_record_create(
        None,
        &finding(types::SubjectType::Unit, unit.id, None, true)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    // Out of scope is 404.
    let err = call!(stranger.client.api().credit_record_update(
        &on_unit.id,
        None,
        &types::CreditRecordChange {
            expires_on: None,
            published: Some(false),
        }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn an_authority_records_findings_only_on_providers_it_qualified() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let f = call!(t.authority.api().credit_record_create(
        None,
        &finding(
            types::SubjectType::Provider,
            t.provider_view.id,
            None,
            false
        )
    ))
    .unwrap();
    assert_eq!(f.authority_id, Some(t.authority_view.id));
    let (_, other) = app.provider_admin().await;
    let err = call!(t.authority.api().credit_record_create(
        None,
        &finding(types::SubjectType::Provider, other.id, None, false)
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("not_supervised"));
    let (_, unit) = app.unit().await;
    let err = call!(t.authority.api().credit_record_create(
        None,
        &finding(types::SubjectType::Unit, unit.id, None, false)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let hrss = app.hrss().await;
    let err = call!(hrss.api().credit_record_create(
        None,
        &finding(types::SubjectType::Unit, uuid::Uuid::now_v7(), None, false)
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("subject_unknown"));
}
