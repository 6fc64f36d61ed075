//! Authorities: applications province → city → district and their review
//! (R-AU-1, R-AU-2, R-RV-1).

use ce_sdk::{Client, call, types};
use types::{AuthorityLevel as L, Decision as D};

use crate::helpers::*;

/// A fresh person's application; returns the person's client and the application.
async fn apply(
    app: &TestApp,
    level: L,
    region: &str,
    series: &[&str],
    parent: Option<uuid::Uuid>,
) -> (Client, types::AuthorityView) {
    let p = app.register().await;
    let c = app.login_person(&p).await;
    let a = call!(
        c.api()
            .authority_apply(None, &authority_application(level, region, series, parent))
    )
    .expect("applying");
    (c, a)
}

fn if_match(v: u32) -> types::AuthorityReviewIfMatch {
    format!("\"{v}\"").parse().unwrap()
}

#[tokio::test]
async fn r_au_1_hrss_approves_a_province_authority_and_the_applicant_becomes_it() {
    let app = spawn_app().await;
    let (applicant, applied) = apply(&app, L::Province, "440000", &["engineering"], None).await;
    assert_eq!(applied.status, types::ReviewStatus::Submitted);
    assert_eq!(applied.version.get(), 1);
    assert_eq!(applied.series, vec!["engineering".to_string()]);

    let hrss = app.hrss().await;
    let res = hrss
        .api()
        .authority_review(
            &applied.id,
            Some(&if_match(1)),
            &types::ReviewRequest {
                decision: D::Approve,
                comment: Some("材料齐全".parse().unwrap()),
            },
        )
        .await
        .unwrap();
    assert_eq!(res.headers().get("etag").unwrap(), "\"2\"");
    let decided = res.into_inner();
    assert_eq!(decided.status, types::ReviewStatus::Approved);
    assert_eq!(decided.version.get(), 2);

    // Grants are read per request: the same token now carries the role.
    let me = call!(applicant.api().me_view()).unwrap();
    assert!(
        me.grants
            .iter()
            .any(|g| g.role == types::Role::Authority && g.org_id == Some(applied.id))
    );
    let view = call!(applicant.api().authority_view(&applied.id, None)).unwrap();
    assert_eq!(view.reviews.len(), 1);
    assert_eq!(view.reviews[0].decision, "approve");
    assert_eq!(view.reviews[0].comment.as_deref(), Some("材料齐全"));
    assert_eq!(view.reviews[0].reviewer_role, types::Role::Hrss);
}

#[tokio::test]
async fn r_au_1_a_city_authority_under_an_unapproved_parent_is_422() {
    let app = spawn_app().await;
    let (_, province) = apply(&app, L::Province, "440000", &["engineering"], None).await;
    let p = app.register().await;
    let c = app.login_person(&p).await;
    let err = call!(c.api().authority_apply(
        None,
        &authority_application(L::City, "440100", &["engineering"], Some(province.id))
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("parent_not_approved"));
}

#[tokio::test]
async fn r_au_1_parent_level_series_and_region_rules_are_422() {
    let app = spawn_app().await;
    let (_, province) = app.province_authority(&["engineering", "nursing"]).await;
    let p = app.register().await;
    let c = app.login_person(&p).await;
    let cases: Vec<(types::ApplyAuthorityRequest, &str)> = vec![
        (
            authority_application(L::Province, "440000", &["engineering"], Some(province.id)),
            "parent_invalid",
        ),
        (
            authority_application(L::City, "440100", &["engineering"], None),
            "parent_invalid",
        ),
        (
            authority_application(
                L::City,
                "440100",
                &["engineering"],
                Some(uuid::Uuid::now_v7()),
            ),
            "parent_invalid",
        ),
        (
            authority_application(L::District, "440106", &["engineering"], Some(province.id)),
            "parent_invalid",
        ),
        (
            authority_application(L::City, "440100", &["accounting"], Some(province.id)),
            "series_not_in_parent",
        ),
        (
            authority_application(L::City, "450100", &["engineering"], Some(province.id)),
            "region_outside_parent",
        ),
        (
            authority_application(L::City, "440000", &["engineering"], Some(province.id)),
            "region_invalid",
        ),
        (
            authority_application(L::Province, "440100", &["engineering"], None),
            "region_invalid",
        ),
        (
            authority_application(L::Province, "440000", &["no_such_series"], None),
            "series_unknown",
        ),
    ];
    for (body, code) in cases {
        let err = call!(c.api().authority_apply(None, &body)).unwrap_err();
        assert_eq!(err.status(), Some(422), "{code}");
        assert_eq!(err.code(), Some(code), "{body:?}");
    }
}

#[tokio::test]
async fn r_au_1_a_city_application_is_decided_by_its_parent_only() {
    let app = spawn_app().await;
    let (gd, gd_view) = app.province_authority(&["engineering"]).await;
    let (other, _) = app.province_authority(&["engineering"]).await;
    let (city_client, city) =
        apply(&app, L::City, "440100", &["engineering"], Some(gd_view.id)).await;
    let approve = decision(D::Approve);

    // Another authority: not its business → 404.
    let err = call!(other.api().authority_review(&city.id, None, &approve)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    // hrss decides provinces only; a person decides nothing → 403.
    let hrss = app.hrss().await;
    let err = call!(hrss.api().authority_review(&city.id, None, &approve)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(city_client.api().authority_review(&city.id, None, &approve)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    // No token → 401.
    let err = call!(app.client.api().authority_review(&city.id, None, &approve)).unwrap_err();
    assert_eq!(err.status(), Some(401));

    let decided = call!(gd.api().authority_review(&city.id, None, &approve)).unwrap();
    assert_eq!(decided.status, types::ReviewStatus::Approved);

    // The city now decides a district under it (province → city → district).
    let (_, district) = apply(&app, L::District, "440106", &["engineering"], Some(city.id)).await;
    let err = call!(gd.api().authority_review(&district.id, None, &approve)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let decided = call!(
        city_client
            .api()
            .authority_review(&district.id, None, &approve)
    )
    .unwrap();
    assert_eq!(decided.status, types::ReviewStatus::Approved);
    let view = call!(city_client.api().authority_view(&district.id, None)).unwrap();
    assert_eq!(view.reviews[0].reviewer_role, types::Role::Authority);
}

#[tokio::test]
async fn r_rv_1_a_decided_application_cannot_be_decided_again() {
    let app = spawn_app().await;
    let (_, a) = apply(&app, L::Province, "440000", &["engineering"], None).await;
    let hrss = app.hrss().await;
    call!(
        hrss.api()
            .authority_review(&a.id, None, &decision(D::RejectClose))
    )
    .unwrap();
    let err = call!(
        hrss.api()
            .authority_review(&a.id, None, &decision(D::Approve))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("illegal_transition"));
}

#[tokio::test]
async fn r_au_1_two_reviewers_with_the_same_if_match_the_second_gets_412() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let other_hrss = app.hrss().await;

    // One after the other.
    let (_, a) = apply(&app, L::Province, "440000", &["engineering"], None).await;
    call!(
        hrss.api()
            .authority_review(&a.id, Some(&if_match(1)), &decision(D::Approve))
    )
    .unwrap();
    let err = call!(other_hrss.api().authority_review(
        &a.id,
        Some(&if_match(1)),
        &decision(D::RejectReturn)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(412));
    assert_eq!(err.code(), Some("version_mismatch"));

    // At the same time: exactly one wins.
    let (_, b) = apply(&app, L::Province, "440000", &["engineering"], None).await;
    let m = if_match(1);
    let (approve, close) = (decision(D::Approve), decision(D::RejectClose));
    let (r1, r2) = tokio::join!(
        async { call!(hrss.api().authority_review(&b.id, Some(&m), &approve)) },
        async { call!(other_hrss.api().authority_review(&b.id, Some(&m), &close)) },
    );
    let statuses = [&r1, &r2].map(|r| match r {
        Ok(_) => 200,
        Err(e) => e.status().unwrap_or(0),
    });
    let mut sorted = statuses;
    sorted.sort();
    assert_eq!(sorted, [200, 412], "{r1:?} {r2:?}");
    let view = call!(hrss.api().authority_view(&b.id, None)).unwrap();
    assert_eq!(view.reviews.len(), 1);
    assert_eq!(view.version.get(), 2);
}

#[tokio::test]
async fn r_au_2_batch_review_decides_each_id_on_its_own() {
    let app = spawn_app().await;
    let (gd, gd_view) = app.province_authority(&["engineering"]).await;
    let (_, other_view) = app.province_authority(&["engineering"]).await;
    let (_, c1) = apply(&app, L::City, "440100", &["engineering"], Some(gd_view.id)).await;
    let (_, c2) = apply(&app, L::City, "440300", &["engineering"], Some(gd_view.id)).await;
    let (_, foreign) = apply(
        &app,
        L::City,
        "440400",
        &["engineering"],
        Some(other_view.id),
    )
    .await;
    let unknown = uuid::Uuid::now_v7();
    let body = types::BatchReviewRequest {
        ids: vec![c1.id, foreign.id, unknown, c2.id],
        decision: D::Approve,
        comment: Some("批量同意".parse().unwrap()),
    };
    let res = call!(gd.api().authority_review_batch(&body)).unwrap();
    let got: Vec<(bool, Option<&str>, Option<&str>)> = res
        .results
        .iter()
        .map(|r| (r.ok, r.status.as_deref(), r.code.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (true, Some("approved"), None),
            (false, None, Some("not_found")),
            (false, None, Some("not_found")),
            (true, Some("approved"), None),
        ]
    );
    assert_eq!(res.results[3].id, c2.id);

    // Again: already decided.
    let again = call!(gd.api().authority_review_batch(&types::BatchReviewRequest {
        ids: vec![c1.id],
        decision: D::RejectClose,
        comment: None,
    }))
    .unwrap();
    assert_eq!(again.results[0].code.as_deref(), Some("illegal_transition"));

    // A person may not; no token is 401.
    let p = app.register().await;
    let person = app.login_person(&p).await;
    let err = call!(person.api().authority_review_batch(&body)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(app.client.api().authority_review_batch(&body)).unwrap_err();
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn authorities_are_listed_with_filters_and_viewed_by_any_signed_in_account() {
    let app = spawn_app().await;
    let (_, gd) = app.province_authority(&["engineering", "nursing"]).await;
    let (_, city) = apply(&app, L::City, "440100", &["nursing"], Some(gd.id)).await;
    let (person, _) = apply(&app, L::Province, "440000", &["accounting"], None).await;

    let all = call!(
        person
            .api()
            .authority_list(None, None, None, None, None, None)
    )
    .unwrap();
    assert_eq!(all.items.len(), 3);
    let submitted = call!(person.api().authority_list(
        None,
        None,
        None,
        None,
        None,
        Some(types::ReviewStatus::Submitted)
    ))
    .unwrap();
    assert_eq!(submitted.items.len(), 2);
    let children = call!(
        person
            .api()
            .authority_list(None, None, None, Some(&gd.id), None, None)
    )
    .unwrap();
    assert_eq!(children.items.len(), 1);
    assert_eq!(children.items[0].id, city.id);
    let nursing = call!(person.api().authority_list(
        None,
        Some(L::Province),
        None,
        None,
        Some(&"nursing".parse().unwrap()),
        None
    ))
    .unwrap();
    assert_eq!(nursing.items.len(), 1);
    assert_eq!(nursing.items[0].id, gd.id);
    let page = call!(person.api().authority_list(
        None,
        None,
        Some(std::num::NonZeroU32::new(2).unwrap()),
        None,
        None,
        None
    ))
    .unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.next_cursor.is_some());

    let view = call!(person.api().authority_view(&city.id, None)).unwrap();
    assert_eq!(view.parent_id, Some(gd.id));
    assert_eq!(view.series, vec!["nursing".to_string()]);
    let err = call!(person.api().authority_view(&uuid::Uuid::now_v7(), None)).unwrap_err();
    assert_eq!(err.status(), Some(404));

    let err = call!(
        app.client
            .api()
            .authority_list(None, None, None, None, None, None)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = call!(app.client.api().authority_view(&city.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn only_persons_and_hrss_apply_and_no_token_is_401() {
    let app = spawn_app().await;
    let body = authority_application(L::Province, "440000", &["engineering"], None);
    let platform = app.platform().await;
    let err = call!(platform.api().authority_apply(None, &body)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = call!(app.client.api().authority_apply(None, &body)).unwrap_err();
    assert_eq!(err.status(), Some(401));
}

#[tokio::test]
async fn other_methods_on_the_batch_path_are_405_not_a_bad_id() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let res = hrss
        .send_raw(
            reqwest::Method::GET,
            "/api/v1/authorities/reviews",
            None,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(res.status, 405);
    assert_eq!(res.headers.get("allow").unwrap(), "POST");
    assert_eq!(res.problem().unwrap().code, "method_not_allowed");
    // A malformed id is still a 400.
    let res = hrss
        .send_raw(
            reqwest::Method::GET,
            "/api/v1/authorities/nope",
            None,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(res.status, 400);
}
