//! Providers, the city bases, and qualifications (R-PQ-1, R-PQ-2, R-PQ-4,
//! R-RV-1).

use std::num::NonZeroU32;

use ce_sdk::{Client, call, types};
use types::Decision as D;

use crate::helpers::*;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n";

async fn upload(c: &Client, name: &str) -> types::AttachmentView {
    call!(
        c.api()
            .attachment_upload(&name.parse().unwrap(), None, PDF.to_vec())
    )
    .expect("uploading")
}

fn application(
    series: &str,
    authority_id: uuid::Uuid,
    attachments: &[uuid::Uuid],
) -> types::ApplyQualificationRequest {
    types::ApplyQualificationRequest {
        series: series.parse().unwrap(),
        authority_id,
        attachment_ids: Some(attachments.to_vec()),
    }
}

/// A provider admin, an approved engineering authority, and a submitted
/// qualification with one attachment.
struct Setup {
    admin: Client,
    provider: types::ProviderView,
    authority: Client,
    authority_view: types::AuthorityView,
    qualification: types::QualificationView,
    attachment: types::AttachmentView,
}

async fn setup(app: &TestApp) -> Setup {
    let (authority, authority_view) = app.province_authority(&["engineering"]).await;
    let (admin, provider) = app.provider_admin().await;
    let attachment = upload(&admin, "办学许可证.pdf").await;
    let qualification = call!(admin.api().qualification_apply(
        &provider.id,
        None,
        &application("engineering", authority_view.id, &[attachment.id])
    ))
    .expect("applying for a qualification");
    Setup {
        admin,
        provider,
        authority,
        authority_view,
        qualification,
        attachment,
    }
}

fn qm(v: u32) -> types::QualificationReviewIfMatch {
    format!("\"{v}\"").parse().unwrap()
}

#[tokio::test]
async fn r_pq_4_the_59_city_bases_are_providers() {
    let app = spawn_app().await;
    let p = app.register().await;
    let c = app.login_person(&p).await;
    let page = call!(c.api().provider_list(
        None,
        None,
        Some(types::ProviderLevel::City),
        NonZeroU32::new(500),
        None
    ))
    .unwrap();
    let bases: Vec<_> = page
        .items
        .iter()
        .filter(|p| p.base_no.is_some() && p.level == types::ProviderLevel::City)
        .collect();
    assert_eq!(bases.len(), 59);

    let first = call!(
        c.api()
            .provider_list(Some(&"001".parse().unwrap()), None, None, None, None)
    )
    .unwrap();
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.items[0].name.as_str(), "广州大学");
    let found =
        call!(
            c.api()
                .provider_list(None, None, None, None, Some(&"广州大学".parse().unwrap()))
        )
        .unwrap();
    assert!(found.items.iter().any(|p| p.id == first.items[0].id));
    // `%` is text, not a wildcard.
    let none = call!(
        c.api()
            .provider_list(None, None, None, None, Some(&"%".parse().unwrap()))
    )
    .unwrap();
    assert!(none.items.is_empty());
    let view = call!(c.api().provider_view(&first.items[0].id, None)).unwrap();
    assert_eq!(view.base_no.as_deref().map(String::as_str), Some("001"));

    // Paging walks the directory without repeats.
    let p1 = call!(
        c.api()
            .provider_list(None, None, None, NonZeroU32::new(40), None)
    )
    .unwrap();
    let cursor = p1.next_cursor.clone().unwrap();
    let p2 = call!(c.api().provider_list(
        None,
        Some(&cursor.parse().unwrap()),
        None,
        NonZeroU32::new(40),
        None
    ))
    .unwrap();
    assert_eq!(p1.items.len() + p2.items.len(), 59);
    assert!(p2.next_cursor.is_none());
}

#[tokio::test]
async fn r_pq_1_a_person_registers_a_provider_and_becomes_its_admin() {
    let app = spawn_app().await;
    let p = app.register().await;
    let c = app.login_person(&p).await;
    let body = new_provider("广州市继续教育培训中心", &credit_code());
    let res = c.api().provider_create(None, &body).await.unwrap();
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(res.headers().get("etag").unwrap(), "\"1\"");
    let provider = res.into_inner();
    assert_eq!(provider.level, types::ProviderLevel::City);
    assert_eq!(provider.version.get(), 1);
    let me = call!(c.api().me_view()).unwrap();
    assert!(
        me.grants
            .iter()
            .any(|g| g.role == types::Role::ProviderAdmin && g.org_id == Some(provider.id))
    );
    // hrss may register one too.
    let hrss = app.hrss().await;
    let mut province = new_provider("省级施教机构", &credit_code());
    province.level = types::ProviderLevel::Province;
    call!(hrss.api().provider_create(None, &province)).unwrap();
}

#[tokio::test]
async fn r_pq_1_a_district_level_provider_is_422() {
    let app = spawn_app().await;
    let (c, _) = app.provider_admin().await;
    let mut body = new_provider("区级机构", &credit_code());
    body.level = types::ProviderLevel::District;
    let err = call!(c.api().provider_create(None, &body)).unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("provider_level_district"));
    assert!(err.problem().unwrap().detail.contains("city"));
}

#[tokio::test]
async fn r_pq_1_a_wrong_credit_code_is_422_and_a_taken_one_is_409() {
    let app = spawn_app().await;
    let (c, _) = app.provider_admin().await;
    let good = credit_code();
    let wrong_check = {
        let last = good.chars().last().unwrap();
        let other = if last == '0' { '1' } else { '0' };
        format!("{}{other}", &good[..17])
    };
    let err = call!(
        c.api()
            .provider_create(None, &new_provider("机构", &wrong_check))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("credit_code_invalid"));

    call!(c.api().provider_create(None, &new_provider("机构", &good))).unwrap();
    let err = call!(
        c.api()
            .provider_create(None, &new_provider("另一机构", &good))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("credit_code_taken"));

    // R-PQ-5: nobody takes a base number by registering: a base of the
    // list is claimed by its institution, any other number is no base.
    let mut taken = new_provider("机构", &credit_code());
    taken.base_no = Some("001".parse().unwrap());
    let err = call!(c.api().provider_create(None, &taken)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("base_claim_required"));
    let mut unused = new_provider("机构", &credit_code());
    unused.base_no = Some("060".parse().unwrap());
    let err = call!(c.api().provider_create(None, &unused)).unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("base_no_unknown"));
    let mut province = new_provider("机构", &credit_code());
    province.level = types::ProviderLevel::Province;
    province.base_no = Some("099".parse().unwrap());
    let err = call!(c.api().provider_create(None, &province)).unwrap_err();
    assert_eq!(err.code(), Some("base_no_city_only"));
}

#[tokio::test]
async fn providers_need_a_person_or_hrss_to_register_and_a_token_to_read() {
    let app = spawn_app().await;
    let platform = app.platform().await;
    let body = new_provider("机构", &credit_code());
    let err = call!(platform.api().provider_create(None, &body)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(app.client.api().provider_create(None, &body)).unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = call!(app.client.api().provider_list(None, None, None, None, None)).unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = call!(app.client.api().provider_view(&uuid::Uuid::now_v7(), None)).unwrap_err();
    assert_eq!(err.status(), Some(401));
    let hrss = app.hrss().await;
    let err = call!(hrss.api().provider_view(&uuid::Uuid::now_v7(), None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn r_pq_2_a_provider_applies_and_its_authority_approves() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    assert_eq!(s.qualification.status, types::ReviewStatus::Submitted);
    assert_eq!(s.qualification.provider_id, s.provider.id);
    assert_eq!(s.qualification.attachment_ids, vec![s.attachment.id]);

    // The authority sees it addressed to it and can read the attachment.
    let listed = call!(s.authority.api().qualification_list(
        None,
        None,
        None,
        Some(types::ReviewStatus::Submitted)
    ))
    .unwrap();
    assert_eq!(listed.items.len(), 1);
    let res = s
        .authority
        .api()
        .attachment_download(&s.attachment.id)
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    let res = s
        .authority
        .api()
        .qualification_review(&s.qualification.id, Some(&qm(1)), &decision(D::Approve))
        .await
        .unwrap();
    assert_eq!(res.headers().get("etag").unwrap(), "\"2\"");
    assert_eq!(res.into_inner().status, types::ReviewStatus::Approved);

    let view = call!(s.admin.api().qualification_view(&s.qualification.id, None)).unwrap();
    assert_eq!(view.status, types::ReviewStatus::Approved);
    assert_eq!(view.reviews.len(), 1);
    assert_eq!(view.reviews[0].reviewer_role, types::Role::Authority);
    let hrss = app.hrss().await;
    let all = call!(hrss.api().qualification_list(None, None, None, None)).unwrap();
    assert_eq!(all.items.len(), 1);

    // One open qualification per series.
    let err = call!(s.admin.api().qualification_apply(
        &s.provider.id,
        None,
        &application("engineering", s.authority_view.id, &[])
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("qualification_exists"));
}

#[tokio::test]
async fn r_pq_2_applying_is_for_the_providers_admins_with_a_fitting_authority() {
    let app = spawn_app().await;
    let (authority, authority_view) = app.province_authority(&["engineering"]).await;
    let (admin, provider) = app.provider_admin().await;
    let (other_admin, _) = app.provider_admin().await;
    let body = application("engineering", authority_view.id, &[]);

    let err = call!(
        other_admin
            .api()
            .qualification_apply(&provider.id, None, &body)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let p = app.register().await;
    let person = app.login_person(&p).await;
    let err = call!(person.api().qualification_apply(&provider.id, None, &body)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(
        app.client
            .api()
            .qualification_apply(&provider.id, None, &body)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(401));

    // The authority must be approved and hold the series.
    let err = call!(admin.api().qualification_apply(
        &provider.id,
        None,
        &application("nursing", authority_view.id, &[])
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("authority_not_for_series"));
    let (_, pending) = {
        let p = app.register().await;
        let c = app.login_person(&p).await;
        let a = call!(c.api().authority_apply(
            None,
            &authority_application(
                types::AuthorityLevel::Province,
                "440000",
                &["engineering"],
                None
            )
        ))
        .unwrap();
        (c, a)
    };
    let err = call!(admin.api().qualification_apply(
        &provider.id,
        None,
        &application("engineering", pending.id, &[])
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("authority_not_for_series"));
    let err = call!(admin.api().qualification_apply(
        &provider.id,
        None,
        &application("no_such_series", authority_view.id, &[])
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("series_unknown"));

    // Attachments must be the caller's own uploads.
    let theirs = upload(&authority, "别人的.pdf").await;
    let err = call!(admin.api().qualification_apply(
        &provider.id,
        None,
        &application("engineering", authority_view.id, &[theirs.id])
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("attachment_unknown"));

    call!(admin.api().qualification_apply(&provider.id, None, &body)).unwrap();
}

#[tokio::test]
async fn r_pq_2_a_qualification_reviewed_by_the_wrong_authority_is_404() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (other, _) = app.province_authority(&["engineering"]).await;
    let approve = decision(D::Approve);
    let err = call!(
        other
            .api()
            .qualification_review(&s.qualification.id, None, &approve)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(
        s.admin
            .api()
            .qualification_review(&s.qualification.id, None, &approve)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(
        app.client
            .api()
            .qualification_review(&s.qualification.id, None, &approve)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(401));
    // Nor may the other authority see it or its attachment.
    let err = call!(other.api().qualification_view(&s.qualification.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(other.api().attachment_download(&s.attachment.id))
        .err()
        .unwrap();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn qualifications_are_listed_and_viewed_within_scope() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (other_admin, _) = app.provider_admin().await;
    let (other_authority, _) = app.province_authority(&["engineering"]).await;

    let mine = call!(s.admin.api().qualification_list(None, None, None, None)).unwrap();
    assert_eq!(mine.items.len(), 1);
    for c in [&other_admin, &other_authority] {
        let none = call!(c.api().qualification_list(None, None, None, None)).unwrap();
        assert!(none.items.is_empty());
        let filtered = call!(
            c.api()
                .qualification_list(None, None, Some(&s.provider.id), None)
        )
        .unwrap();
        assert!(filtered.items.is_empty());
        let err = call!(c.api().qualification_view(&s.qualification.id, None)).unwrap_err();
        assert_eq!(err.status(), Some(404));
    }
    let p = app.register().await;
    let person = app.login_person(&p).await;
    let err = call!(person.api().qualification_list(None, None, None, None)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(person.api().qualification_view(&s.qualification.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(app.client.api().qualification_list(None, None, None, None)).unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = call!(
        app.client
            .api()
            .qualification_view(&s.qualification.id, None)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let view = call!(
        s.authority
            .api()
            .qualification_view(&s.qualification.id, None)
    )
    .unwrap();
    assert_eq!(view.id, s.qualification.id);
}

#[tokio::test]
async fn r_rv_1_returned_qualification_is_edited_and_resubmitted() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    // Not returned yet: not editable.
    let change = types::UpdateQualificationRequest {
        authority_id: None,
        attachment_ids: Some(vec![]),
    };
    let err = call!(
        s.admin
            .api()
            .qualification_update(&s.qualification.id, None, &change)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("not_editable"));

    let returned = call!(s.authority.api().qualification_review(
        &s.qualification.id,
        None,
        &types::ReviewRequest {
            decision: D::RejectReturn,
            comment: Some("缺少师资证明".parse().unwrap()),
        }
    ))
    .unwrap();
    assert_eq!(returned.status, types::ReviewStatus::Returned);

    // Other admins and persons may not touch it.
    let (other_admin, _) = app.provider_admin().await;
    let err = call!(
        other_admin
            .api()
            .qualification_update(&s.qualification.id, None, &change)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(
        other_admin
            .api()
            .qualification_resubmit(&s.qualification.id, None)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(
        s.authority
            .api()
            .qualification_update(&s.qualification.id, None, &change)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(
        s.authority
            .api()
            .qualification_resubmit(&s.qualification.id, None)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(
        app.client
            .api()
            .qualification_update(&s.qualification.id, None, &change)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = call!(
        app.client
            .api()
            .qualification_resubmit(&s.qualification.id, None)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(401));

    // The admin adds a document, with If-Match.
    let more = upload(&s.admin, "师资证明.pdf").await;
    let stale: types::QualificationUpdateIfMatch = "\"1\"".parse().unwrap();
    let err = call!(s.admin.api().qualification_update(
        &s.qualification.id,
        Some(&stale),
        &types::UpdateQualificationRequest {
            authority_id: None,
            attachment_ids: Some(vec![s.attachment.id, more.id]),
        }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(412));
    let current: types::QualificationUpdateIfMatch =
        format!("\"{}\"", returned.version).parse().unwrap();
    let edited = call!(s.admin.api().qualification_update(
        &s.qualification.id,
        Some(&current),
        &types::UpdateQualificationRequest {
            authority_id: Some(s.authority_view.id),
            attachment_ids: Some(vec![s.attachment.id, more.id]),
        }
    ))
    .unwrap();
    assert_eq!(edited.attachment_ids, vec![s.attachment.id, more.id]);
    assert_eq!(edited.status, types::ReviewStatus::Returned);

    let resubmitted = call!(
        s.admin
            .api()
            .qualification_resubmit(&s.qualification.id, None)
    )
    .unwrap();
    assert_eq!(resubmitted.status, types::ReviewStatus::Submitted);
    let approved = call!(s.authority.api().qualification_review(
        &s.qualification.id,
        None,
        &decision(D::Approve)
    ))
    .unwrap();
    assert_eq!(approved.status, types::ReviewStatus::Approved);
    let view = call!(s.admin.api().qualification_view(&s.qualification.id, None)).unwrap();
    let decisions: Vec<&str> = view.reviews.iter().map(|r| r.decision.as_str()).collect();
    assert_eq!(decisions, vec!["reject_return", "approve"]);
    assert_eq!(view.reviews[0].comment.as_deref(), Some("缺少师资证明"));
    // The authority sees the added document too.
    call!(s.authority.api().attachment_download(&more.id)).unwrap();
}

#[tokio::test]
async fn r_rv_1_a_closed_qualification_can_be_neither_edited_nor_resubmitted() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    call!(s.authority.api().qualification_review(
        &s.qualification.id,
        None,
        &decision(D::RejectClose)
    ))
    .unwrap();
    let err = call!(s.authority.api().qualification_review(
        &s.qualification.id,
        None,
        &decision(D::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("illegal_transition"));
    let err = call!(s.admin.api().qualification_update(
        &s.qualification.id,
        None,
        &types::UpdateQualificationRequest {
            authority_id: None,
            attachment_ids: None
        }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("not_editable"));
    let err = call!(
        s.admin
            .api()
            .qualification_resubmit(&s.qualification.id, None)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("illegal_transition"));
    // Closed frees the series for a new application.
    call!(s.admin.api().qualification_apply(
        &s.provider.id,
        None,
        &application("engineering", s.authority_view.id, &[])
    ))
    .unwrap();
}

#[tokio::test]
async fn r_pq_2_two_reviews_with_the_same_if_match_the_second_gets_412() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let m = qm(1);
    let (approve, ret) = (decision(D::Approve), decision(D::RejectReturn));
    let (r1, r2) = tokio::join!(
        async {
            call!(
                s.authority
                    .api()
                    .qualification_review(&s.qualification.id, Some(&m), &approve)
            )
        },
        async {
            call!(
                s.authority
                    .api()
                    .qualification_review(&s.qualification.id, Some(&m), &ret)
            )
        },
    );
    let mut statuses = [&r1, &r2].map(|r| match r {
        Ok(_) => 200,
        Err(e) => e.status().unwrap_or(0),
    });
    statuses.sort();
    assert_eq!(statuses, [200, 412], "{r1:?} {r2:?}");
    let view = call!(s.admin.api().qualification_view(&s.qualification.id, None)).unwrap();
    assert_eq!(view.reviews.len(), 1);
}

fn claim(base_no: &str, name: &str, code: &str) -> types::CreateBaseClaimRequest {
    types::CreateBaseClaimRequest {
        base_no: base_no.parse().unwrap(),
        name: name.parse().unwrap(),
        credit_code: code.parse().unwrap(),
    }
}

/// A Guangzhou city authority of `series` under the province one.
async fn guangzhou_authority(
    app: &TestApp,
    province: &Client,
    province_view: &types::AuthorityView,
    series: &[&str],
) -> Client {
    let p = app.register().await;
    let c = app.login_person(&p).await;
    let applied = call!(c.api().authority_apply(
        None,
        &authority_application(
            types::AuthorityLevel::City,
            "440100",
            series,
            Some(province_view.id)
        )
    ))
    .expect("applying as the Guangzhou authority");
    call!(
        province
            .api()
            .authority_review(&applied.id, None, &decision(D::Approve))
    )
    .expect("approving the city authority");
    c
}

#[tokio::test]
async fn r_pq_5_a_base_is_claimed_by_its_institution_and_confirmed_by_the_city_authority() {
    let app = spawn_app().await;
    let (province, province_view) = app.province_authority(&["nursing"]).await;
    let gz = guangzhou_authority(&app, &province, &province_view, &["nursing"]).await;
    let hrss = app.hrss().await;
    let claimant = app.person().await;
    let c = &claimant.client;
    // 007 广州卫生职业技术学院 (卫生系列护理学专业): nursing.
    let base = call!(
        c.api()
            .provider_list(Some(&"007".parse().unwrap()), None, None, None, None)
    )
    .unwrap()
    .items
    .remove(0);
    assert_eq!(base.credit_code, None);
    let name = "广州卫生职业技术学院";
    let code = credit_code();

    // Refused: another institution's name, a number that is no base, a
    // credit code another provider registered, a caller that is no person.
    let err = call!(
        c.api()
            .base_claim_create(None, &claim("007", "广州某培训公司", &code))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("base_name_mismatch"));
    let err = call!(c.api().base_claim_create(None, &claim("099", name, &code))).unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("base_no_unknown"));
    let (_, registered) = app.provider_admin().await;
    let err = call!(c.api().base_claim_create(
        None,
        &claim("007", name, registered.credit_code.as_deref().unwrap())
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("credit_code_taken"));
    let platform = app.platform().await;
    let err = call!(
        platform
            .api()
            .base_claim_create(None, &claim("007", name, &code))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));

    // The institution's claim, and an impostor's under the same name.
    let mine = call!(c.api().base_claim_create(None, &claim("007", name, &code))).unwrap();
    assert_eq!(mine.status, types::ReviewStatus::Submitted);
    assert_eq!(mine.provider_id, base.id);
    assert_eq!(mine.base_name.as_str(), name);
    let err = call!(c.api().base_claim_create(None, &claim("007", name, &code))).unwrap_err();
    assert_eq!(err.code(), Some("claim_pending"));
    let impostor = app.person().await;
    let theirs = call!(
        impostor
            .client
            .api()
            .base_claim_create(None, &claim("007", name, &credit_code()))
    )
    .unwrap();

    // Who decides: the Guangzhou authority of the base's series, or hrss;
    // not the province authority (404), not the claimant (403).
    let approve = decision(D::Approve);
    let err = call!(province.api().base_claim_review(&mine.id, None, &approve)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(province.api().base_claim_view(&mine.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(c.api().base_claim_review(&mine.id, None, &approve)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(impostor.client.api().base_claim_view(&mine.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let listed = call!(gz.api().base_claim_list(
        Some(&"007".parse().unwrap()),
        None,
        None,
        Some(types::ReviewStatus::Submitted)
    ))
    .unwrap();
    assert_eq!(listed.items.len(), 2);
    let own = call!(c.api().base_claim_list(None, None, None, None)).unwrap();
    assert_eq!(own.items.len(), 1);
    assert_eq!(own.items[0].id, mine.id);

    // The impostor's is closed; the institution's returned, corrected and
    // sent again (R-RV-1).
    call!(
        gz.api()
            .base_claim_review(&theirs.id, None, &decision(D::RejectClose))
    )
    .unwrap();
    let returned = call!(gz.api().base_claim_review(
        &mine.id,
        None,
        &types::ReviewRequest {
            decision: D::RejectReturn,
            comment: Some("请核对统一社会信用代码".parse().unwrap()),
        }
    ))
    .unwrap();
    assert_eq!(returned.status, types::ReviewStatus::Returned);
    let code = credit_code();
    let again = call!(c.api().base_claim_resubmit(
        &mine.id,
        None,
        &types::ResubmitBaseClaimRequest {
            name: None,
            credit_code: Some(code.parse().unwrap()),
        }
    ))
    .unwrap();
    assert_eq!(again.status, types::ReviewStatus::Submitted);
    assert_eq!(again.credit_code.as_str(), code);
    let stale = format!("\"{}\"", again.version.get() - 1);
    let err = call!(
        gz.api()
            .base_claim_review(&mine.id, Some(&stale.parse().unwrap()), &approve)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(412));
    let approved = call!(gz.api().base_claim_review(&mine.id, None, &approve)).unwrap();
    assert_eq!(approved.status, types::ReviewStatus::Approved);
    let detail = call!(hrss.api().base_claim_view(&mine.id, None)).unwrap();
    assert_eq!(detail.reviews.len(), 2);

    // The base runs under its institution's credit code, the claimant is
    // its admin, and nobody else takes it.
    let run = call!(c.api().provider_view(&base.id, None)).unwrap();
    assert_eq!(
        run.credit_code.as_deref().map(String::as_str),
        Some(code.as_str())
    );
    let me = call!(c.api().me_view()).unwrap();
    assert!(
        me.grants
            .iter()
            .any(|g| g.role == types::Role::ProviderAdmin && g.org_id == Some(base.id))
    );
    let late = app.person().await;
    let err = call!(
        late.client
            .api()
            .base_claim_create(None, &claim("007", name, &credit_code()))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("base_claimed"));
    let err = call!(hrss.api().base_claim_review(&theirs.id, None, &approve)).unwrap_err();
    assert_eq!(err.code(), Some("illegal_transition"));

    // Its courses count as professional within its scope: it plans nursing
    // courses without a qualification, in Guangzhou, reviewed by the city
    // authority; engineering is outside its scope.
    let year = this_year();
    call!(province.api().catalogue_publish(
        year,
        None,
        &types::CourseCreateRequest {
            series: "nursing".parse().unwrap(),
            name: "护理安全管理".parse().unwrap(),
            hours: Some(24.0),
        }
    ))
    .unwrap();
    let plan = |series: &str| types::CreatePlanRequest {
        provider_id: Some(base.id),
        unit_id: None,
        authority_id: None,
        series: series.parse().unwrap(),
        year,
        course_name: "护理安全管理".parse().unwrap(),
        region: None,
        description: None,
    };
    let p = call!(c.api().course_plan_create(None, &plan("nursing"))).unwrap();
    assert_eq!(p.region.as_str(), "440100");
    let submitted = call!(c.api().course_plan_submit(&p.id, None)).unwrap();
    let gz_id = call!(gz.api().me_view())
        .unwrap()
        .grants
        .iter()
        .find(|g| g.role == types::Role::Authority)
        .and_then(|g| g.org_id);
    assert_eq!(submitted.reviewer_authority_id, gz_id);
    let err = call!(c.api().course_plan_create(None, &plan("engineering"))).unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("not_qualified"));

    // Every step is in the audit trail.
    let events = call_ok(
        &hrss,
        reqwest::Method::GET,
        &format!("/audit-events?entity_type=base_claim&entity_id={}", mine.id),
        serde_json::Value::Null,
    )
    .await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["created", "reviewed", "resubmitted"] {
        assert!(actions.contains(&a), "{actions:?}");
    }
}

#[tokio::test]
async fn r_pq_5_hrss_confirms_a_claim_and_two_approvals_leave_one_institution() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let name = "广州市建设职业培训学校";
    let a = app.person().await;
    let b = app.person().await;
    let first = call!(
        a.client
            .api()
            .base_claim_create(None, &claim("021", name, &credit_code()))
    )
    .unwrap();
    let second = call!(
        b.client
            .api()
            .base_claim_create(None, &claim("021", name, &credit_code()))
    )
    .unwrap();
    let approve = decision(D::Approve);
    call!(hrss.api().base_claim_review(&first.id, None, &approve)).unwrap();
    let err = call!(hrss.api().base_claim_review(&second.id, None, &approve)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("base_claimed"));
    let still = call!(hrss.api().base_claim_view(&second.id, None)).unwrap();
    assert_eq!(still.status, types::ReviewStatus::Submitted);
    // A unit admin or provider admin decides nothing.
    let (admin, _) = app.unit().await;
    let err = call!(
        admin
            .client
            .api()
            .base_claim_review(&second.id, None, &approve)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
}

/// Found by fuzzing as a provider admin (issue 22): `authority_id` of a
/// qualification's change, and `parent_id` of an authority's application,
/// are optional but not nullable in the spec; an explicit `null` was read
/// as absent, so the change went on to its version check (412) instead of
/// being refused as the schema promises.
#[tokio::test]
async fn an_explicit_null_for_a_field_the_spec_says_is_not_nullable_is_refused() {
    let app = spawn_app_with(Options {
        mfa_required: false,
        ..Options::default()
    })
    .await;
    let s = setup(&app).await;
    let r = s
        .admin
        .send_raw(
            reqwest::Method::PATCH,
            &format!("/api/v1/qualifications/{}", s.qualification.id),
            Some("application/json"),
            br#"{"authority_id": null}"#.to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let applicant = app.person().await;
    let r = applicant
        .client
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/authorities",
            Some("application/json"),
            serde_json::to_vec(&serde_json::json!({
                "name": "行业主管部门", "level": "province", "region": "440000",
                "series": ["engineering"], "parent_id": null,
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
}
