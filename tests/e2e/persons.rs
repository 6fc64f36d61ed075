//! Persons: view, list, profile and series, real-name verification
//! (R-ID-2, R-PU-2, R-PU-4), with PII masked outside holder, unit and hrss.

use ce_sdk::{call, types};

use crate::helpers::*;

fn series_update(codes: &[&str], year: i32) -> types::PersonUpdateRequest {
    types::PersonUpdateRequest {
        name: None,
        phone: None,
        education: Some(types::Education::Bachelor),
        title: Some("工程师".parse().unwrap()),
        series: Some(codes.iter().map(|c| c.parse().unwrap()).collect()),
        series_year: Some(year),
        region: None,
        series_terms: None,
    }
}

#[tokio::test]
async fn r_pu_4_a_person_holds_two_series_in_one_year_and_one_in_another() {
    let app = spawn_app().await;
    let p = app.person().await;
    let id = p.person_id();
    call!(p.client.api().person_update(
        &id,
        None,
        &series_update(&["engineering", "accounting"], 2023)
    ))
    .unwrap();
    let v = call!(p.client.api().person_update(
        &id,
        Some(&"\"2\"".parse().unwrap()),
        &series_update(&["economics"], 2024)
    ))
    .unwrap();
    assert_eq!(v.version.get(), 3);
    assert_eq!(v.series.len(), 2);
    assert_eq!(v.series[0].year, 2024);
    assert_eq!(v.series[0].series, vec!["economics".to_string()]);
    assert_eq!(
        v.series[1].series,
        vec!["accounting".to_string(), "engineering".to_string()]
    );
    assert_eq!(v.education, Some(types::Education::Bachelor));
    // R-PU-2: the series of the title, replaced per year.
    let v = call!(
        p.client
            .api()
            .person_update(&id, None, &series_update(&["nursing"], 2023))
    )
    .unwrap();
    assert_eq!(v.series[1].series, vec!["nursing".to_string()]);
}

#[tokio::test]
async fn r_pu_2_an_unknown_series_is_422_and_a_stale_if_match_is_412() {
    let app = spawn_app().await;
    let p = app.person().await;
    let id = p.person_id();
    let err = call!(
        p.client
            .api()
            .person_update(&id, None, &series_update(&["astrology"], 2023))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("series_unknown"));
    let err = call!(p.client.api().person_update(
        &id,
        Some(&"\"7\"".parse().unwrap()),
        &series_update(&["engineering"], 2023)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(412));
}

#[tokio::test]
async fn person_update_scope_other_person_404_unit_admin_403_anonymous_401() {
    let app = spawn_app().await;
    let p = app.person().await;
    let other = app.person().await;
    let body = series_update(&["engineering"], 2023);
    let err = call!(
        other
            .client
            .api()
            .person_update(&p.person_id(), None, &body)
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let hrss = app.hrss().await;
    assert!(call!(hrss.api().person_update(&p.person_id(), None, &body)).is_ok());
    let platform_like = app.client.clone();
    assert_eq!(
        call!(
            platform_like
                .api()
                .person_update(&p.person_id(), None, &body)
        )
        .unwrap_err()
        .status(),
        Some(401)
    );
}

#[tokio::test]
async fn r_id_2_verification_needs_the_registered_name_and_number() {
    let app = spawn_app().await;
    let p = app.person().await;
    assert!(
        !call!(p.client.api().person_view(&p.person_id(), None))
            .unwrap()
            .verified
    );
    let err = call!(p.client.api().person_verify(
        &p.person_id(),
        &types::VerificationRequest {
            name: "李四".parse().unwrap(),
            id_card_no: p.person.id_card_no.parse().unwrap(),
        }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("identity_mismatch"));
    let v = call!(p.client.api().person_verify(
        &p.person_id(),
        &types::VerificationRequest {
            name: "张三".parse().unwrap(),
            id_card_no: p.person.id_card_no.parse().unwrap(),
        }
    ))
    .unwrap();
    assert!(v.verified);
    // Someone else cannot verify this person.
    let other = app.person().await;
    let err = call!(other.client.api().person_verify(
        &p.person_id(),
        &types::VerificationRequest {
            name: "张三".parse().unwrap(),
            id_card_no: p.person.id_card_no.parse().unwrap(),
        }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn a_person_sees_themself_unmasked_and_another_person_is_404() {
    let app = spawn_app().await;
    let p = app.person().await;
    let other = app.person().await;
    let me = call!(p.client.api().person_view(&p.person_id(), None)).unwrap();
    assert_eq!(me.id_card_no.to_string(), p.person.id_card_no);
    assert_eq!(
        call!(p.client.api().person_view(&other.person_id(), None))
            .unwrap_err()
            .status(),
        Some(404)
    );
    let page = call!(
        p.client
            .api()
            .person_list(None, None, None, None, None, None, None, None)
    )
    .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, p.person_id());
    assert_eq!(
        call!(app.client.api().person_view(&p.person_id(), None))
            .unwrap_err()
            .status(),
        Some(401)
    );
}

#[tokio::test]
async fn the_unit_sees_its_bound_persons_unmasked_and_not_others() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let bound = app.person().await;
    let stranger = app.person().await;
    call!(admin.client.api().unit_person_add(
        &unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: bound.person.id_card_no.parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .unwrap();
    let v = call!(admin.client.api().person_view(&bound.person_id(), None)).unwrap();
    assert_eq!(v.id_card_no.to_string(), bound.person.id_card_no);
    assert_eq!(v.phone.unwrap().to_string(), bound.person.phone);
    assert_eq!(v.current_unit_id, Some(unit.id));
    assert_eq!(
        call!(admin.client.api().person_view(&stranger.person_id(), None))
            .unwrap_err()
            .status(),
        Some(404)
    );
    let page = call!(
        admin
            .client
            .api()
            .person_list(None, None, None, None, None, None, None, None)
    )
    .unwrap();
    let ids: Vec<_> = page.items.iter().map(|p| p.id).collect();
    assert!(ids.contains(&bound.person_id()));
    assert!(!ids.contains(&stranger.person_id()));
    // Another unit's id as a filter is out of scope.
    let (_, other_unit) = app.unit().await;
    let err = call!(admin.client.api().person_list(
        None,
        None,
        None,
        None,
        None,
        Some(&other_unit.id),
        None,
        None
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn hrss_finds_a_person_by_id_number_and_a_platform_is_403() {
    let app = spawn_app().await;
    let p = app.person().await;
    let _other = app.person().await;
    let hrss = app.hrss().await;
    let id: types::PersonListIdCardNo = p.person.id_card_no.parse().unwrap();
    let page = call!(
        hrss.api()
            .person_list(None, Some(&id), None, None, None, None, None, None)
    )
    .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id_card_no.to_string(), p.person.id_card_no);
    let created = call!(hrss.api().platform_create(
        None,
        &types::CreatePlatformRequest {
            name: "P".parse().unwrap(),
            categories: vec![types::Category::Public],
            series_families: vec!["health".parse().unwrap()],
        }
    ))
    .unwrap();
    let platform = app
        .client
        .client_credentials(&created.client_id, &created.client_secret)
        .await
        .unwrap();
    assert_eq!(
        call!(platform.api().person_view(&p.person_id(), None))
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        call!(
            platform
                .api()
                .person_list(None, None, None, None, None, None, None, None)
        )
        .unwrap_err()
        .status(),
        Some(403)
    );
}
