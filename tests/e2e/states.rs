//! Stored states are typed (issue 18): a status the code does not know is
//! an error — a 500 `internal` problem, logged — never shown as another
//! state.

use ce_entity::certificate;
use ce_entity::state::CertificateStatus;
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, Set};
use uuid::Uuid;

use crate::helpers::*;

async fn get(c: &ce_sdk::Client, path: &str) -> ce_sdk::RawResponse {
    c.send_raw(Method::GET, path, None, Vec::new())
        .await
        .unwrap()
}

/// A 500 `internal` problem that names no state.
fn assert_internal(res: &ce_sdk::RawResponse) {
    let body = String::from_utf8_lossy(&res.body);
    assert_eq!(res.status, 500, "{body}");
    assert_eq!(res.content_type(), "application/problem+json");
    assert_eq!(res.problem().expect("a problem body").code, "internal");
    for state in [
        "frozen",
        "approved",
        "closed",
        "valid",
        "revoked",
        "superseded",
    ] {
        assert!(!body.contains(state), "{state} in {body}");
    }
}

/// Writes `frozen` over every row's status of `table`: the test's
/// database holds only the rows the test made.
async fn freeze(database_url: &str, table: &str) {
    let db = Database::connect(database_url).await.unwrap();
    db.execute_unprepared(&format!("UPDATE {table} SET status = 'frozen'"))
        .await
        .unwrap();
    db.close().await.ok();
}

#[tokio::test]
async fn an_unknown_record_status_is_an_internal_error_not_another_state() {
    let app = spawn_app().await;
    let p = app.person().await;
    app.public_hours(p.person_id(), this_year(), 30).await;

    let ok = get(&p.client, "/api/v1/records").await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let page: serde_json::Value = serde_json::from_slice(&ok.body).unwrap();
    assert_eq!(page["items"][0]["status"], "approved");
    let id = id_of(&page["items"][0]);

    freeze(&app.database_url, "records").await;
    assert_internal(&get(&p.client, "/api/v1/records").await);
    assert_internal(&get(&p.client, &format!("/api/v1/records/{id}")).await);
}

#[tokio::test]
async fn an_unknown_certificate_status_is_an_internal_error_not_another_state() {
    let app = spawn_app().await;
    let p = app.person().await;
    let hrss = app.hrss().await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let (id, now) = (Uuid::now_v7(), chrono::Utc::now());
    let number = format!("T{}", &id.simple().to_string()[14..32]);
    certificate::ActiveModel {
        id: Set(id),
        number: Set(number.clone()),
        person_id: Set(p.person_id()),
        year: Set(this_year() - 1),
        unit_id: Set(None),
        status: Set(CertificateStatus::Valid),
        hours: Set(serde_json::json!({})),
        policy: Set(None),
        superseded_by: Set(None),
        revoked_reason: Set(None),
        revoked_at: Set(None),
        issued_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&db)
    .await
    .unwrap();
    db.close().await.ok();

    let list = format!("/api/v1/certificates?person_id={}", p.person_id());
    let ok = get(&hrss, &list).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let page: serde_json::Value = serde_json::from_slice(&ok.body).unwrap();
    assert_eq!(page["items"][0]["status"], "valid");

    freeze(&app.database_url, "certificates").await;
    assert_internal(&get(&hrss, &list).await);
    assert_internal(&get(&hrss, &format!("/api/v1/certificates/{id}")).await);
}
