//! Teacher rosters (R-T-1).

use ce_sdk::{call, types};

use crate::helpers::*;

fn teacher(name: &str) -> types::TeacherCreateRequest {
    types::TeacherCreateRequest {
        name: name.parse().unwrap(),
        title: Some("主任医师".parse().unwrap()),
    }
}

fn enabled(on: bool) -> types::TeacherUpdateRequest {
    types::TeacherUpdateRequest {
        name: None,
        title: None,
        enabled: Some(on),
    }
}

#[tokio::test]
async fn r_t_1_a_unit_adds_disables_enables_and_deletes_a_teacher() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let t = call!(
        admin
            .client
            .api()
            .unit_teacher_create(&unit.id, None, &teacher("李老师"))
    )
    .unwrap();
    assert!(t.enabled);
    let t = call!(admin.client.api().teacher_update(
        &t.id,
        Some(&"\"1\"".parse().unwrap()),
        &enabled(false)
    ))
    .unwrap();
    assert!(!t.enabled);
    let err = call!(admin.client.api().teacher_update(
        &t.id,
        Some(&"\"1\"".parse().unwrap()),
        &enabled(true)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(412));
    let t = call!(admin.client.api().teacher_update(
        &t.id,
        Some(&"\"2\"".parse().unwrap()),
        &enabled(true)
    ))
    .unwrap();
    assert!(t.enabled);
    let page = call!(admin.client.api().unit_teacher_list(&unit.id, None, None)).unwrap();
    assert_eq!(page.items.len(), 1);
    call!(admin.client.api().teacher_delete(&t.id)).unwrap();
    assert!(
        call!(admin.client.api().unit_teacher_list(&unit.id, None, None))
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn r_t_1_rosters_scope_other_unit_404_person_403_anonymous_401() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let (other, _) = app.unit().await;
    let person = app.person().await;
    let t = call!(
        admin
            .client
            .api()
            .unit_teacher_create(&unit.id, None, &teacher("李老师"))
    )
    .unwrap();
    assert_eq!(
        call!(other.client.api().unit_teacher_list(&unit.id, None, None))
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        call!(
            other
                .client
                .api()
                .unit_teacher_create(&unit.id, None, &teacher("x"))
        )
        .unwrap_err()
        .status(),
        Some(404)
    );
    assert_eq!(
        call!(
            other
                .client
                .api()
                .teacher_update(&t.id, None, &enabled(false))
        )
        .unwrap_err()
        .status(),
        Some(404)
    );
    assert_eq!(
        call!(other.client.api().teacher_delete(&t.id))
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        call!(person.client.api().unit_teacher_list(&unit.id, None, None))
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        call!(
            person
                .client
                .api()
                .unit_teacher_create(&unit.id, None, &teacher("x"))
        )
        .unwrap_err()
        .status(),
        Some(403)
    );
    assert_eq!(
        call!(
            person
                .client
                .api()
                .teacher_update(&t.id, None, &enabled(false))
        )
        .unwrap_err()
        .status(),
        Some(403)
    );
    assert_eq!(
        call!(person.client.api().teacher_delete(&t.id))
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        call!(app.client.api().unit_teacher_list(&unit.id, None, None))
            .unwrap_err()
            .status(),
        Some(401)
    );
    assert_eq!(
        call!(app.client.api().teacher_delete(&t.id))
            .unwrap_err()
            .status(),
        Some(401)
    );
    // hrss reads any roster.
    let hrss = app.hrss().await;
    assert_eq!(
        call!(hrss.api().unit_teacher_list(&unit.id, None, None))
            .unwrap()
            .items
            .len(),
        1
    );
}

#[tokio::test]
async fn r_t_1_a_provider_roster_is_managed_by_its_provider_admin_only() {
    let app = spawn_app().await;
    let (admin, provider) = app.provider_admin().await;
    let (other, _) = app.provider_admin().await;
    let (unit_admin, _) = app.unit().await;
    let t = call!(
        admin
            .api()
            .provider_teacher_create(&provider.id, None, &teacher("王老师"))
    )
    .unwrap();
    assert_eq!(t.owner_type, types::OwnerType::Provider);
    assert_eq!(
        call!(admin.api().provider_teacher_list(&provider.id, None, None))
            .unwrap()
            .items
            .len(),
        1
    );
    let off = call!(admin.api().teacher_update(&t.id, None, &enabled(false))).unwrap();
    assert!(!off.enabled);
    // Another provider's admin: 404; a unit admin: 403; nobody: 401.
    assert_eq!(
        call!(other.api().provider_teacher_list(&provider.id, None, None))
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        call!(other.api().teacher_delete(&t.id))
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        call!(
            unit_admin
                .client
                .api()
                .provider_teacher_create(&provider.id, None, &teacher("x"))
        )
        .unwrap_err()
        .status(),
        Some(403)
    );
    assert_eq!(
        call!(
            app.client
                .api()
                .provider_teacher_list(&provider.id, None, None)
        )
        .unwrap_err()
        .status(),
        Some(401)
    );
    call!(admin.api().teacher_delete(&t.id)).unwrap();
}
