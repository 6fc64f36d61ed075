//! Platform clients and client credentials.

use ce_sdk::{call, types};
use reqwest::Method;

use crate::helpers::*;

fn new_platform(name: &str, families: &[&str]) -> types::CreatePlatformRequest {
    types::CreatePlatformRequest {
        name: name.parse().unwrap(),
        categories: vec![types::Category::Public, types::Category::Professional],
        series_families: families.iter().map(|f| f.parse().unwrap()).collect(),
    }
}

#[tokio::test]
async fn hrss_creates_a_platform_that_gets_a_token_with_records_push() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let created = call!(
        hrss.api()
            .platform_create(None, &new_platform("卫生继续教育平台", &["health"]))
    )
    .unwrap();
    assert!(created.client_secret.len() >= 40);
    assert_eq!(created.series_families, vec!["health".to_string()]);

    let platform = app
        .client
        .client_credentials(&created.client_id, &created.client_secret)
        .await
        .unwrap();
    let me = call!(platform.api().me_view()).unwrap();
    assert_eq!(me.kind, types::PrincipalKind::Platform);
    assert_eq!(me.id, created.id);
    assert_eq!(me.scopes, vec!["records:push".to_string()]);
    assert_eq!(me.grants[0].role, types::Role::Platform);

    // The listing never shows the secret again.
    let page = call!(hrss.api().platform_list(None, None)).unwrap();
    let listed = serde_json::to_string(&page).unwrap();
    assert!(!listed.contains(&created.client_secret));
}

#[tokio::test]
async fn client_credentials_work_form_encoded_as_in_rfc_6749() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let created = call!(
        hrss.api()
            .platform_create(None, &new_platform("会计平台", &["accounting"]))
    )
    .unwrap();
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        created.client_id, created.client_secret
    );
    let res = app
        .client
        .send_raw(
            Method::POST,
            "/api/v1/auth/token",
            Some("application/x-www-form-urlencoded"),
            form.into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["access_token"].as_str().unwrap().len() > 20);
}

#[tokio::test]
async fn a_wrong_secret_or_a_revoked_platform_gets_401_invalid_client() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let created = call!(
        hrss.api()
            .platform_create(None, &new_platform("教育平台", &["education"]))
    )
    .unwrap();
    let err = app
        .client
        .client_credentials(&created.client_id, "not-the-secret")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("invalid_client"));

    call!(hrss.api().platform_revoke(&created.id)).unwrap();
    let err = app
        .client
        .client_credentials(&created.client_id, &created.client_secret)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("invalid_client"));
    let view = call!(hrss.api().platform_view(&created.id)).unwrap();
    assert!(view.revoked_at.is_some());
    // Revoking again changes nothing and succeeds.
    call!(hrss.api().platform_revoke(&created.id)).unwrap();
}

#[tokio::test]
async fn a_person_may_not_create_list_or_view_platforms() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let created = call!(
        hrss.api()
            .platform_create(None, &new_platform("平台", &["health"]))
    )
    .unwrap();
    let p = app.register().await;
    let person = app.login_person(&p).await;
    let err = call!(
        person
            .api()
            .platform_create(None, &new_platform("x", &["health"]))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("forbidden"));
    assert_eq!(
        call!(person.api().platform_list(None, None))
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        call!(person.api().platform_view(&created.id))
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        call!(person.api().platform_revoke(&created.id))
            .unwrap_err()
            .status(),
        Some(403)
    );
}

#[tokio::test]
async fn a_platform_sees_itself_but_another_platform_is_404() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let a = call!(
        hrss.api()
            .platform_create(None, &new_platform("A", &["health"]))
    )
    .unwrap();
    let b = call!(
        hrss.api()
            .platform_create(None, &new_platform("B", &["education"]))
    )
    .unwrap();
    let pa = app
        .client
        .client_credentials(&a.client_id, &a.client_secret)
        .await
        .unwrap();
    assert_eq!(call!(pa.api().platform_view(&a.id)).unwrap().id, a.id);
    let err = call!(pa.api().platform_view(&b.id)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("not_found"));
}

#[tokio::test]
async fn an_unknown_series_family_is_422() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let err = call!(
        hrss.api()
            .platform_create(None, &new_platform("P", &["astrology"]))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("series_family_unknown"));
}

#[tokio::test]
async fn platforms_list_in_pages_with_a_cursor() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            call!(
                hrss.api()
                    .platform_create(None, &new_platform(&format!("P{i}"), &["health"]))
            )
            .unwrap()
            .id,
        );
    }
    let limit = std::num::NonZeroU32::new(2);
    let first = call!(hrss.api().platform_list(None, limit)).unwrap();
    assert_eq!(
        first.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        ids[..2]
    );
    let cursor: types::PlatformListCursor = first.next_cursor.clone().unwrap().parse().unwrap();
    let second = call!(hrss.api().platform_list(Some(&cursor), limit)).unwrap();
    assert_eq!(
        second.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        ids[2..]
    );
    assert!(second.next_cursor.is_none());
}

#[tokio::test]
async fn an_unknown_platform_is_404() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let err = call!(hrss.api().platform_view(&uuid::Uuid::now_v7())).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(hrss.api().platform_revoke(&uuid::Uuid::now_v7())).unwrap_err();
    assert_eq!(err.status(), Some(404));
}
