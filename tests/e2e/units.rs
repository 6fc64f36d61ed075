//! Units and their admins (R-ID-4, R-ID-5).

use ce_sdk::{call, types};
use reqwest::Method;

use crate::helpers::*;

#[tokio::test]
async fn r_id_4_a_unit_registers_with_its_credit_code_and_the_caller_becomes_admin() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    assert_eq!(unit.version.get(), 1);
    let me = call!(admin.client.api().me_view()).unwrap();
    assert!(
        me.grants
            .iter()
            .any(|g| g.role == types::Role::UnitAdmin && g.org_id == Some(unit.id))
    );
    let admins = call!(admin.client.api().unit_admin_list(&unit.id)).unwrap();
    assert_eq!(admins.items.len(), 1);
    assert_eq!(admins.items[0].account_id, admin.account_id());
    assert_eq!(admins.items[0].status, types::AdminStatus::Active);
}

#[tokio::test]
async fn r_id_4_a_wrong_check_character_is_422_credit_code_invalid() {
    let app = spawn_app().await;
    let p = app.person().await;
    let good = credit_code();
    let last = good.chars().last().unwrap();
    let bad = format!("{}{}", &good[..17], if last == '0' { '1' } else { '0' });
    let err = call!(p.client.api().unit_create(None, &unit_request(&bad))).unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("credit_code_invalid"));
}

#[tokio::test]
async fn r_id_4_a_credit_code_registered_twice_is_409() {
    let app = spawn_app().await;
    let p = app.person().await;
    let code = credit_code();
    call!(p.client.api().unit_create(None, &unit_request(&code))).unwrap();
    let q = app.person().await;
    let err = call!(q.client.api().unit_create(None, &unit_request(&code))).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("credit_code_taken"));
}

#[tokio::test]
async fn units_are_found_by_name_and_viewed_by_any_account_but_not_by_platforms_or_strangers() {
    let app = spawn_app().await;
    let (_, unit) = app.unit().await;
    let other = app.person().await;
    let q: types::UnitListQ = "某某".parse().unwrap();
    let page = call!(other.client.api().unit_list(None, None, Some(&q))).unwrap();
    assert!(page.items.iter().any(|u| u.id == unit.id));
    assert_eq!(
        call!(other.client.api().unit_view(&unit.id, None))
            .unwrap()
            .id,
        unit.id
    );
    assert_eq!(
        call!(app.client.api().unit_view(&unit.id, None))
            .unwrap_err()
            .status(),
        Some(401)
    );
    assert_eq!(
        call!(app.client.api().unit_list(None, None, None))
            .unwrap_err()
            .status(),
        Some(401)
    );
    assert_eq!(
        call!(other.client.api().unit_view(&uuid::Uuid::now_v7(), None))
            .unwrap_err()
            .status(),
        Some(404)
    );
}

fn rename(name: &str) -> types::UnitUpdateRequest {
    types::UnitUpdateRequest {
        name: Some(name.parse().unwrap()),
        address: Some("广州市越秀区".parse().unwrap()),
        contact_phone: None,
    }
}

#[tokio::test]
async fn r_id_5_an_admin_changes_details_with_if_match_and_a_stale_version_is_412() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let updated = call!(admin.client.api().unit_update(
        &unit.id,
        Some(&"\"1\"".parse().unwrap()),
        &rename("新名字")
    ))
    .unwrap();
    assert_eq!(updated.name.to_string(), "新名字");
    assert_eq!(updated.version.get(), 2);
    let err = call!(admin.client.api().unit_update(
        &unit.id,
        Some(&"\"1\"".parse().unwrap()),
        &rename("又一个")
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(412));
    assert_eq!(err.code(), Some("version_mismatch"));
}

#[tokio::test]
async fn unit_update_scope_other_units_admin_404_person_403_anonymous_401() {
    let app = spawn_app().await;
    let (_, unit) = app.unit().await;
    let (other_admin, _) = app.unit().await;
    let err = call!(
        other_admin
            .client
            .api()
            .unit_update(&unit.id, None, &rename("x"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let person = app.person().await;
    assert_eq!(
        call!(
            person
                .client
                .api()
                .unit_update(&unit.id, None, &rename("x"))
        )
        .unwrap_err()
        .status(),
        Some(403)
    );
    assert_eq!(
        call!(app.client.api().unit_update(&unit.id, None, &rename("x")))
            .unwrap_err()
            .status(),
        Some(401)
    );
}

#[tokio::test]
async fn r_id_5_invite_accept_then_remove_the_old_admin_but_never_the_last() {
    let app = spawn_app().await;
    let (old, unit) = app.unit().await;
    let new = app.person().await;
    let invite = types::AdminInviteRequest {
        id_card_no: new.person.id_card_no.parse().unwrap(),
    };
    let inv = call!(old.client.api().unit_admin_invite(&unit.id, None, &invite)).unwrap();
    assert_eq!(inv.status, types::AdminStatus::Invited);
    assert_eq!(
        call!(old.client.api().unit_admin_invite(&unit.id, None, &invite))
            .unwrap_err()
            .code(),
        Some("already_invited")
    );
    // Only the invited account may accept.
    let stranger = app.person().await;
    assert_eq!(
        call!(
            stranger
                .client
                .api()
                .unit_admin_accept(&unit.id, &new.account_id())
        )
        .unwrap_err()
        .status(),
        Some(404)
    );
    call!(
        new.client
            .api()
            .unit_admin_accept(&unit.id, &new.account_id())
    )
    .unwrap();
    // The new admin acts at once, on the same token.
    assert_eq!(
        call!(new.client.api().unit_admin_list(&unit.id))
            .unwrap()
            .items
            .len(),
        2
    );

    call!(
        new.client
            .api()
            .unit_admin_remove(&unit.id, &old.account_id())
    )
    .unwrap();
    // The removed admin loses access at once.
    assert_eq!(
        call!(old.client.api().unit_admin_list(&unit.id))
            .unwrap_err()
            .status(),
        Some(403)
    );
    let err = call!(
        new.client
            .api()
            .unit_admin_remove(&unit.id, &new.account_id())
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("last_admin"));
}

#[tokio::test]
async fn inviting_an_unregistered_id_is_422_account_unknown() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let err = call!(admin.client.api().unit_admin_invite(
        &unit.id,
        None,
        &types::AdminInviteRequest {
            id_card_no: id_card_no().parse().unwrap()
        }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("account_unknown"));
}

#[tokio::test]
async fn unit_admins_scope_other_admin_404_person_403_anonymous_401() {
    let app = spawn_app().await;
    let (_, unit) = app.unit().await;
    let (other, _) = app.unit().await;
    let person = app.person().await;
    assert_eq!(
        call!(other.client.api().unit_admin_list(&unit.id))
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        call!(person.client.api().unit_admin_list(&unit.id))
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        call!(app.client.api().unit_admin_list(&unit.id))
            .unwrap_err()
            .status(),
        Some(401)
    );
    let invite = types::AdminInviteRequest {
        id_card_no: person.person.id_card_no.parse().unwrap(),
    };
    assert_eq!(
        call!(
            other
                .client
                .api()
                .unit_admin_invite(&unit.id, None, &invite)
        )
        .unwrap_err()
        .status(),
        Some(404)
    );
    assert_eq!(
        call!(
            person
                .client
                .api()
                .unit_admin_invite(&unit.id, None, &invite)
        )
        .unwrap_err()
        .status(),
        Some(403)
    );
    assert_eq!(
        call!(
            other
                .client
                .api()
                .unit_admin_remove(&unit.id, &other.account_id())
        )
        .unwrap_err()
        .status(),
        Some(404)
    );
    assert_eq!(
        call!(
            person
                .client
                .api()
                .unit_admin_remove(&unit.id, &person.account_id())
        )
        .unwrap_err()
        .status(),
        Some(403)
    );
    assert_eq!(
        call!(
            app.client
                .api()
                .unit_admin_remove(&unit.id, &person.account_id())
        )
        .unwrap_err()
        .status(),
        Some(401)
    );
}

#[tokio::test]
async fn hrss_reads_any_units_admins_and_a_platform_may_not_create_units() {
    let app = spawn_app().await;
    let (_, unit) = app.unit().await;
    let hrss = app.hrss().await;
    assert_eq!(
        call!(hrss.api().unit_admin_list(&unit.id))
            .unwrap()
            .items
            .len(),
        1
    );
    // A unit is registered by a person's account; hrss has none.
    let err = call!(hrss.api().unit_create(None, &unit_request(&credit_code()))).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let raw = app
        .client
        .send_raw(
            Method::POST,
            "/api/v1/units",
            Some("application/json"),
            b"{\"name\":1}".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(raw.status, 401);
}
