//! Every failure is a problem+json with a stable code, including actix's own.

use reqwest::Method;

use crate::helpers::*;

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    ct: Option<&str>,
    body: &[u8],
) -> ce_sdk::RawResponse {
    app.client
        .send_raw(method, path, ct, body.to_vec())
        .await
        .unwrap()
}

fn assert_problem(res: &ce_sdk::RawResponse, status: u16, code: &str) {
    assert_eq!(res.status, status, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.content_type(), "application/problem+json");
    let p = res.problem().expect("a problem body");
    assert_eq!(p.status, status);
    assert_eq!(p.code, code);
    assert!(!p.detail.is_empty());
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/register",
        Some("application/json"),
        b"{\"name\": ",
    )
    .await;
    assert_problem(&res, 400, "malformed_request");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_422() {
    let app = spawn_app().await;
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        Some("application/json"),
        br#"{"account": 5}"#,
    )
    .await;
    assert_problem(&res, 422, "body_invalid");
}

#[tokio::test]
async fn a_wrong_content_type_is_415() {
    let app = spawn_app().await;
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        Some("text/plain"),
        b"hello",
    )
    .await;
    assert_problem(&res, 415, "unsupported_media_type");
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/token",
        Some("text/plain"),
        b"hello",
    )
    .await;
    assert_problem(&res, 415, "unsupported_media_type");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let big = format!(
        "{{\"account\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(300 * 1024)
    );
    let res = raw(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        Some("application/json"),
        big.as_bytes(),
    )
    .await;
    assert_problem(&res, 413, "payload_too_large");
}

#[tokio::test]
async fn an_unknown_route_is_404_and_a_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let res = raw(&app, Method::GET, "/api/v1/no-such-thing", None, b"").await;
    assert_problem(&res, 404, "not_found");
    let res = raw(&app, Method::GET, "/api/v1/auth/register", None, b"").await;
    assert_problem(&res, 405, "method_not_allowed");
    assert_eq!(res.headers.get("allow").unwrap(), "POST");
    let res = raw(
        &app,
        Method::PUT,
        "/api/v1/platforms/0193c7f0-0000-7000-8000-000000000000",
        None,
        b"",
    )
    .await;
    assert_problem(&res, 405, "method_not_allowed");
}

#[tokio::test]
async fn a_bad_path_or_query_is_400_and_a_limit_out_of_range_is_422() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let res = hrss
        .send_raw(Method::GET, "/api/v1/platforms/not-a-uuid", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 400, "path_invalid");
    let res = hrss
        .send_raw(Method::GET, "/api/v1/platforms?limit=abc", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 400, "query_invalid");
    // The problem names the parameter (issue 19), as a body's does.
    let p = res.problem().unwrap();
    assert_eq!(p.errors.len(), 1, "{p:?}");
    assert_eq!(p.errors[0].field, "limit");
    assert!(p.detail.starts_with("limit: "), "{}", p.detail);
    let res = hrss
        .send_raw(Method::GET, "/api/v1/records?year=twenty", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 400, "query_invalid");
    assert_eq!(res.problem().unwrap().errors[0].field, "year");
    let res = hrss
        .send_raw(Method::GET, "/api/v1/platforms?limit=501", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 422, "validation_failed");
    let res = hrss
        .send_raw(Method::GET, "/api/v1/platforms?cursor=zzz", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 422, "cursor_invalid");
}

#[tokio::test]
async fn a_garbage_authorization_header_is_401() {
    let app = spawn_app().await;
    let res = app
        .client
        .with_token("x.y.z")
        .send_raw(Method::GET, "/api/v1/me", None, vec![])
        .await
        .unwrap();
    assert_problem(&res, 401, "token_invalid");
}

/// Every unique index the code answers for (`ce_api::db::unique`) exists
/// under that name with those columns, on this backend: a migration that
/// renamed one would otherwise turn a client's duplicate into a 500.
#[tokio::test]
async fn every_unique_index_the_code_names_exists_with_its_columns() {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
    let app = spawn_app().await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let backend = db.get_database_backend();
    for index in ce_api::db::unique::ALL {
        let columns: Vec<String> = match backend {
            DbBackend::Postgres => {
                let row = db
                    .query_one_raw(Statement::from_sql_and_values(
                        backend,
                        "SELECT indexdef FROM pg_indexes WHERE indexname = $1 AND tablename = $2",
                        [index.name.into(), index.table.into()],
                    ))
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("no index {} on {}", index.name, index.table));
                let def: String = row.try_get("", "indexdef").unwrap();
                assert!(def.starts_with("CREATE UNIQUE INDEX"), "{def}");
                let open = def.find('(').unwrap();
                let close = def[open..].find(')').unwrap() + open;
                def[open + 1..close]
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .collect()
            }
            _ => {
                // SQLite names a column's own unique index itself: find the
                // unique index of the table with exactly these columns.
                let unique = db
                    .query_all_raw(Statement::from_sql_and_values(
                        backend,
                        "SELECT name FROM pragma_index_list(?) WHERE \"unique\" = 1",
                        [index.table.into()],
                    ))
                    .await
                    .unwrap();
                let mut found = None;
                for row in unique {
                    let name: String = row.try_get("", "name").unwrap();
                    let cols: Vec<String> = db
                        .query_all_raw(Statement::from_sql_and_values(
                            backend,
                            "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                            [name.clone().into()],
                        ))
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|r| r.try_get::<String>("", "name").unwrap())
                        .collect();
                    if cols == index.columns {
                        found = Some(cols);
                    }
                }
                found.unwrap_or_else(|| {
                    panic!("no unique index on {}{:?}", index.table, index.columns)
                })
            }
        };
        assert_eq!(columns, index.columns, "{}", index.name);
    }
}

/// A write that runs into a unique index answers for the index it hit,
/// naming the field (issue 18), read from the database's own message on
/// either backend; an index the call site did not expect is a fault, not a
/// duplicate.
#[tokio::test]
async fn a_unique_violation_answers_for_the_index_it_hit() {
    use ce_api::db::unique;
    use ce_api::error::{ServiceError, UniqueViolation};
    use ce_entity::person;
    use sea_orm::{ActiveModelTrait, Database, EntityTrait, IntoActiveModel, Set};
    let app = spawn_app().await;
    app.register().await;
    let db = Database::connect(&app.database_url).await.unwrap();
    let stored = person::Entity::find().one(&db).await.unwrap().unwrap();
    // Another person with the same phone.
    let mut copy = stored.clone().into_active_model();
    copy.id = Set(uuid::Uuid::now_v7());
    // Another hash of the same length (the column is 64 characters).
    copy.id_card_hash = Set(stored.id_card_hash.chars().rev().collect());
    let taken = copy
        .clone()
        .insert(&db)
        .await
        .on_unique(&[
            (&unique::PERSON_ID_NUMBER, || {
                ServiceError::taken("id_card_no", "already_registered", "id")
            }),
            (&unique::PERSON_PHONE, ce_api::parties::persons::phone_taken),
        ])
        .unwrap_err();
    match taken {
        ServiceError::Conflict { code, field, .. } => {
            assert_eq!(code, "phone_taken");
            assert_eq!(field, Some("phone"));
        }
        other => panic!("{other:?}"),
    }
    let unexpected = copy
        .insert(&db)
        .await
        .on_unique(&[(&unique::PERSON_ID_NUMBER, || {
            ServiceError::taken("id_card_no", "already_registered", "id")
        })])
        .unwrap_err();
    assert!(
        matches!(unexpected, ServiceError::Internal(_)),
        "{unexpected:?}"
    );
}
