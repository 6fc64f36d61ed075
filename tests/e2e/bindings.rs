//! Bindings of persons to units (R-PU-1, R-ID-2).

use ce_sdk::{call, types};

use crate::helpers::*;

fn review(decision: types::BindingDecision) -> types::BindingReviewRequest {
    types::BindingReviewRequest {
        decision,
        comment: Some("已核实".parse().unwrap()),
    }
}

#[tokio::test]
async fn r_pu_1_a_verified_person_asks_and_the_unit_approves() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let p = app.verified_person().await;
    let b = call!(p.client.api().binding_request(
        &p.person_id(),
        None,
        &types::BindingRequest { unit_id: unit.id }
    ))
    .unwrap();
    assert_eq!(b.status, types::BindingStatus::Pending);
    let pending = call!(admin.client.api().binding_list(
        &unit.id,
        None,
        None,
        Some(types::BindingStatus::Pending)
    ))
    .unwrap();
    assert_eq!(pending.items.len(), 1);
    let b = call!(admin.client.api().binding_review(
        &unit.id,
        &b.id,
        Some(&"\"1\"".parse().unwrap()),
        &review(types::BindingDecision::Approve)
    ))
    .unwrap();
    assert_eq!(b.status, types::BindingStatus::Approved);
    let me = call!(p.client.api().person_view(&p.person_id(), None)).unwrap();
    assert_eq!(me.current_unit_id, Some(unit.id));
}

#[tokio::test]
async fn r_id_2_an_unverified_person_cannot_bind() {
    let app = spawn_app().await;
    let (_, unit) = app.unit().await;
    let p = app.person().await;
    let err = call!(p.client.api().binding_request(
        &p.person_id(),
        None,
        &types::BindingRequest { unit_id: unit.id }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("not_verified"));
}

#[tokio::test]
async fn r_pu_1_one_current_unit_and_the_history_is_kept() {
    let app = spawn_app().await;
    let (a_admin, a) = app.unit().await;
    let (b_admin, b) = app.unit().await;
    let p = app.verified_person().await;
    let req = call!(p.client.api().binding_request(
        &p.person_id(),
        None,
        &types::BindingRequest { unit_id: a.id }
    ))
    .unwrap();
    let err = call!(p.client.api().binding_request(
        &p.person_id(),
        None,
        &types::BindingRequest { unit_id: a.id }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("binding_pending"));
    call!(a_admin.client.api().binding_review(
        &a.id,
        &req.id,
        None,
        &review(types::BindingDecision::Approve)
    ))
    .unwrap();
    // Bound to A: asking B, or B adding the person, is refused.
    let err = call!(p.client.api().binding_request(
        &p.person_id(),
        None,
        &types::BindingRequest { unit_id: b.id }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("already_bound"));
    let add = types::UnitPersonAddRequest {
        id_card_no: p.person.id_card_no.parse().unwrap(),
        name: "张三".parse().unwrap(),
    };
    assert_eq!(
        call!(b_admin.client.api().unit_person_add(&b.id, None, &add))
            .unwrap_err()
            .code(),
        Some("already_bound")
    );
    // A unbinds; B adds; the history has both.
    call!(
        a_admin
            .client
            .api()
            .unit_person_remove(&a.id, &p.person_id())
    )
    .unwrap();
    let added = call!(b_admin.client.api().unit_person_add(&b.id, None, &add)).unwrap();
    assert_eq!(added.initiated_by, types::BindingInitiator::Unit);
    let history = call!(p.client.api().binding_history(&p.person_id(), None, None)).unwrap();
    let statuses: Vec<_> = history
        .items
        .iter()
        .map(|h| (h.unit_id, h.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (b.id, types::BindingStatus::Approved),
            (a.id, types::BindingStatus::Ended)
        ]
    );
}

#[tokio::test]
async fn r_pu_1_a_rejected_request_binds_nothing() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let p = app.verified_person().await;
    let b = call!(p.client.api().binding_request(
        &p.person_id(),
        None,
        &types::BindingRequest { unit_id: unit.id }
    ))
    .unwrap();
    let b = call!(admin.client.api().binding_review(
        &unit.id,
        &b.id,
        None,
        &review(types::BindingDecision::Reject)
    ))
    .unwrap();
    assert_eq!(b.status, types::BindingStatus::Rejected);
    assert_eq!(
        call!(p.client.api().person_view(&p.person_id(), None))
            .unwrap()
            .current_unit_id,
        None
    );
    // Deciding again is an illegal transition.
    let err = call!(admin.client.api().binding_review(
        &unit.id,
        &b.id,
        None,
        &review(types::BindingDecision::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("illegal_transition"));
}

#[tokio::test]
async fn r_rv_1_two_admins_deciding_the_same_request_the_second_gets_412() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let p = app.verified_person().await;
    let b = call!(p.client.api().binding_request(
        &p.person_id(),
        None,
        &types::BindingRequest { unit_id: unit.id }
    ))
    .unwrap();
    let (approve, reject) = (
        review(types::BindingDecision::Approve),
        review(types::BindingDecision::Reject),
    );
    let v1: types::BindingReviewIfMatch = "\"1\"".parse().unwrap();
    let first = admin
        .client
        .api()
        .binding_review(&unit.id, &b.id, Some(&v1), &approve);
    let second = admin
        .client
        .api()
        .binding_review(&unit.id, &b.id, Some(&v1), &reject);
    let (r1, r2) = tokio::join!(first, second);
    let codes: Vec<u16> = [
        r1.map(|r| r.status().as_u16()),
        r2.map(|r| r.status().as_u16()),
    ]
    .into_iter()
    .map(|r| r.unwrap_or_else(|e| e.status().map(|s| s.as_u16()).unwrap_or(0)))
    .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, vec![200, 412], "{codes:?}");
}

#[tokio::test]
async fn adding_a_person_checks_registration_and_name() {
    let app = spawn_app().await;
    let (admin, unit) = app.unit().await;
    let p = app.person().await;
    let err = call!(admin.client.api().unit_person_add(
        &unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: p.person.id_card_no.parse().unwrap(),
            name: "王五".parse().unwrap(),
        }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("name_mismatch"));
    let err = call!(admin.client.api().unit_person_add(
        &unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: id_card_no().parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("person_unknown"));
}

#[tokio::test]
async fn binding_operations_scope_other_unit_404_person_403_anonymous_401() {
    let app = spawn_app().await;
    let (_, unit) = app.unit().await;
    let (other, _) = app.unit().await;
    let p = app.verified_person().await;
    let b = call!(p.client.api().binding_request(
        &p.person_id(),
        None,
        &types::BindingRequest { unit_id: unit.id }
    ))
    .unwrap();
    let approve = review(types::BindingDecision::Approve);
    let add = types::UnitPersonAddRequest {
        id_card_no: p.person.id_card_no.parse().unwrap(),
        name: "张三".parse().unwrap(),
    };
    // Another unit's admin: 404 everywhere.
    assert_eq!(
        call!(other.client.api().binding_list(&unit.id, None, None, None))
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        call!(
            other
                .client
                .api()
                .binding_review(&unit.id, &b.id, None, &approve)
        )
        .unwrap_err()
        .status(),
        Some(404)
    );
    assert_eq!(
        call!(other.client.api().unit_person_add(&unit.id, None, &add))
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        call!(
            other
                .client
                .api()
                .unit_person_remove(&unit.id, &p.person_id())
        )
        .unwrap_err()
        .status(),
        Some(404)
    );
    // A person: 403.
    assert_eq!(
        call!(p.client.api().binding_list(&unit.id, None, None, None))
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        call!(
            p.client
                .api()
                .binding_review(&unit.id, &b.id, None, &approve)
        )
        .unwrap_err()
        .status(),
        Some(403)
    );
    assert_eq!(
        call!(p.client.api().unit_person_add(&unit.id, None, &add))
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        call!(p.client.api().unit_person_remove(&unit.id, &p.person_id()))
            .unwrap_err()
            .status(),
        Some(403)
    );
    // Nobody: 401.
    assert_eq!(
        call!(app.client.api().binding_list(&unit.id, None, None, None))
            .unwrap_err()
            .status(),
        Some(401)
    );
    assert_eq!(
        call!(
            app.client
                .api()
                .binding_review(&unit.id, &b.id, None, &approve)
        )
        .unwrap_err()
        .status(),
        Some(401)
    );
    // Another person's request and history: 404.
    let q = app.verified_person().await;
    assert_eq!(
        call!(q.client.api().binding_request(
            &p.person_id(),
            None,
            &types::BindingRequest { unit_id: unit.id }
        ))
        .unwrap_err()
        .status(),
        Some(404)
    );
    assert_eq!(
        call!(q.client.api().binding_history(&p.person_id(), None, None))
            .unwrap_err()
            .status(),
        Some(404)
    );
    // A unit admin is a person too: someone else's history is 404 for them.
    assert_eq!(
        call!(
            other
                .client
                .api()
                .binding_history(&p.person_id(), None, None)
        )
        .unwrap_err()
        .status(),
        Some(404)
    );
    assert_eq!(
        call!(app.client.api().binding_history(&p.person_id(), None, None))
            .unwrap_err()
            .status(),
        Some(401)
    );
}
