//! Course plans, classes, enrolment and closing into records (R-CP-1..4,
//! R-CL-1..4, R-PQ-3, R-AU-3, R-RV-1).

use ce_sdk::{Client, call, types};
use chrono::{Days, NaiveDate};
use uuid::Uuid;

use crate::helpers::*;

const COURSE: &str = "护理安全管理";

fn year() -> i32 {
    this_year()
}

fn in_days(n: i64) -> NaiveDate {
    if n >= 0 {
        today().checked_add_days(Days::new(n as u64)).unwrap()
    } else {
        today().checked_sub_days(Days::new((-n) as u64)).unwrap()
    }
}

fn qm(v: i32) -> String {
    format!("\"{v}\"")
}

/// A province authority of a series with a catalogue course, and a provider
/// it qualified in that series, with one enabled teacher.
pub(crate) struct Training {
    pub(crate) authority: Client,
    pub(crate) authority_view: types::AuthorityView,
    pub(crate) provider: Client,
    pub(crate) provider_view: types::ProviderView,
    pub(crate) teacher: Uuid,
    /// The series of the authority, the qualification and the plans.
    pub(crate) series: &'static str,
    /// hrss, who files approved plans (R-CP-5).
    pub(crate) hrss: Client,
}

/// The arrangement in engineering (工程技术人员系列), a series whose
/// learners' declarations their unit reviews (R-RC-3). Education and health
/// series are the sector's to review (R-RC-10): `training_in(app, "nursing")`.
pub(crate) async fn training(app: &TestApp) -> Training {
    training_in(app, "engineering").await
}

/// The same arrangement in another series (one province authority reviews
/// a series' plans, so a second arrangement in one app needs its own).
pub(crate) async fn training_in(app: &TestApp, series: &'static str) -> Training {
    let (authority, authority_view) = app.province_authority(&[series]).await;
    publish(&authority, series, COURSE).await;
    let (provider, provider_view) = app.provider_admin().await;
    let q = call!(provider.api().qualification_apply(
        &provider_view.id,
        None,
        &types::ApplyQualificationRequest {
            series: series.parse().unwrap(),
            authority_id: authority_view.id,
            attachment_ids: None,
        }
    ))
    .expect("applying");
    call!(
        authority
            .api()
            .qualification_review(&q.id, None, &decision(types::Decision::Approve))
    )
    .expect("qualifying");
    let teacher = call!(provider.api().provider_teacher_create(
        &provider_view.id,
        None,
        &types::TeacherCreateRequest {
            name: "王老师".parse().unwrap(),
            title: None,
        }
    ))
    .expect("teacher")
    .id;
    Training {
        authority,
        authority_view,
        provider,
        provider_view,
        teacher,
        series,
        hrss: app.hrss().await,
    }
}

async fn publish(authority: &Client, series: &str, name: &str) {
    call!(authority.api().catalogue_publish(
        year(),
        None,
        &types::CourseCreateRequest {
            series: series.parse().unwrap(),
            name: name.parse().unwrap(),
            hours: Some(24.0),
        }
    ))
    .expect("publishing a course");
}

fn plan_for(provider_id: Uuid, series: &str) -> types::CreatePlanRequest {
    types::CreatePlanRequest {
        provider_id: Some(provider_id),
        unit_id: None,
        authority_id: None,
        series: series.parse().unwrap(),
        year: year(),
        course_name: COURSE.parse().unwrap(),
        region: None,
        description: None,
    }
}

fn class_req(
    mode: types::ClassMode,
    start: NaiveDate,
    capacity: u32,
    teachers: &[Uuid],
) -> types::CreateClassRequest {
    types::CreateClassRequest {
        name: "第一期".parse().unwrap(),
        mode,
        start_date: start,
        end_date: start.checked_add_days(Days::new(2)).unwrap(),
        hours: 24.0,
        capacity: capacity.try_into().unwrap(),
        venue: Some("广州".parse().unwrap()),
        content: None,
        teacher_ids: teachers.to_vec(),
        head_teacher_id: teachers.first().copied(),
    }
}

fn to(t: types::ClassTarget) -> types::TransitionRequest {
    types::TransitionRequest { to: t }
}

impl Training {
    /// A draft plan of the provider's.
    pub(crate) async fn draft(&self) -> types::PlanView {
        call!(
            self.provider
                .api()
                .course_plan_create(None, &plan_for(self.provider_view.id, self.series))
        )
        .expect("drafting a plan")
    }

    /// A plan the authority approved and hrss filed (R-CP-5).
    async fn approved_plan(&self) -> types::PlanView {
        let plan = self.unfiled_plan().await;
        self.file(&plan.id).await
    }

    /// A plan the authority approved, not filed yet.
    async fn unfiled_plan(&self) -> types::PlanView {
        let plan = self.draft().await;
        call!(self.provider.api().course_plan_submit(&plan.id, None)).expect("submitting");
        call!(self.authority.api().course_plan_review(
            &plan.id,
            None,
            &decision(types::Decision::Approve)
        ))
        .expect("approving")
    }

    /// hrss files an approved plan (备案, R-CP-5).
    pub(crate) async fn file(&self, plan: &Uuid) -> types::PlanView {
        call!(self.hrss.api().course_plan_file(plan, None)).expect("filing")
    }

    /// An accepting face-to-face class of an approved plan.
    pub(crate) async fn class(&self, capacity: u32) -> types::ClassView {
        let plan = self.approved_plan().await;
        self.class_of(&plan, capacity).await
    }

    async fn class_of(&self, plan: &types::PlanView, capacity: u32) -> types::ClassView {
        call!(self.provider.api().class_create(
            &plan.id,
            None,
            &class_req(
                types::ClassMode::FaceToFace,
                in_days(5),
                capacity,
                &[self.teacher]
            )
        ))
        .expect("filing a class")
    }

    /// Enrols, accepts, opens, enters results, closes.
    pub(crate) async fn run(&self, class: &types::ClassView, learners: &[(&Signed, bool)]) {
        self.open_with(class, learners).await;
        call!(self.provider.api().class_transition(
            &class.id,
            None,
            &to(types::ClassTarget::Closed)
        ))
        .expect("closing");
    }

    /// Enrols, accepts, opens, enters results.
    async fn open_with(&self, class: &types::ClassView, learners: &[(&Signed, bool)]) {
        for (l, passed) in learners {
            let e = call!(l.client.api().enrollment_create(&class.id, None)).expect("enrolling");
            call!(self.provider.api().enrollment_review(
                &e.id,
                None,
                &types::EnrollmentReviewRequest {
                    decision: types::EnrollmentDecision::Accept
                }
            ))
            .expect("accepting");
            let _ = passed;
        }
        call!(
            self.provider
                .api()
                .class_transition(&class.id, None, &to(types::ClassTarget::Open))
        )
        .expect("opening");
        let enrolments = call!(
            self.provider
                .api()
                .enrollment_list(&class.id, None, None, None)
        )
        .unwrap();
        for (l, passed) in learners {
            let e = enrolments
                .items
                .iter()
                .find(|e| e.person_id == l.person_id())
                .unwrap();
            call!(self.provider.api().enrollment_result(
                &e.id,
                None,
                &types::ResultRequest {
                    score: Some(if *passed { 88 } else { 40 }),
                    passed: *passed,
                }
            ))
            .expect("entering a result");
        }
    }
}

/// A verified person bound to the unit of `admin`.
pub(crate) async fn learner_of(app: &TestApp, admin: &Signed, unit: &types::UnitView) -> Signed {
    let l = app.verified_person().await;
    call!(admin.client.api().unit_person_add(
        &unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: l.person.id_card_no.parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .expect("binding the learner");
    l
}

async fn records_of(client: &Client) -> Vec<types::RecordView> {
    call!(
        client
            .api()
            .record_list(None, None, None, None, None, None, None, None, None)
    )
    .unwrap()
    .items
}

#[tokio::test]
async fn r_cl_3_r_cl_4_from_qualification_to_closed_class_each_unit_receives_its_records() {
    let app = spawn_app().await;
    let t = training_in(&app, "nursing").await;
    let (admin_a, unit_a) = app.unit().await;
    let (admin_b, unit_b) = app.unit().await;
    let passes = learner_of(&app, &admin_a, &unit_a).await;
    let repeats = learner_of(&app, &admin_b, &unit_b).await;
    let fails = learner_of(&app, &admin_a, &unit_a).await;

    // R-CP-1: draft → submitted (to the nursing authority) → approved.
    let plan = t.draft().await;
    assert_eq!(plan.status, types::PlanStatus::Draft);
    assert_eq!(plan.provider_id, Some(t.provider_view.id));
    assert_eq!(plan.reviewer_authority_id, None);
    let submitted = call!(t.provider.api().course_plan_submit(&plan.id, None)).unwrap();
    assert_eq!(submitted.status, types::PlanStatus::Submitted);
    assert_eq!(submitted.reviewer_authority_id, Some(t.authority_view.id));
    let approved = call!(t.authority.api().course_plan_review(
        &plan.id,
        Some(&qm(2).parse().unwrap()),
        &decision(types::Decision::Approve)
    ))
    .unwrap();
    assert_eq!(approved.status, types::PlanStatus::Approved);
    // R-CP-5: hrss files it, so its classes credit hours on closing.
    let approved = t.file(&plan.id).await;
    let detail = call!(t.provider.api().course_plan_view(&plan.id, None)).unwrap();
    assert_eq!(detail.reviews.len(), 1);

    // An earlier class of the same course gives `repeats` a record already.
    let earlier = t.class_of(&approved, 10).await;
    t.run(&earlier, &[(&repeats, true)]).await;
    let before = records_of(&repeats.client).await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].hours, 24.0);

    // The class: three places, three learners.
    let class = t.class_of(&approved, 3).await;
    assert_eq!(class.status, types::ClassStatus::Accepting);
    assert_eq!(class.capacity.get(), 3);
    assert_eq!(class.enrolled_count, 0);
    assert!(class.plan_approved);
    t.run(
        &class,
        &[(&passes, true), (&repeats, true), (&fails, false)],
    )
    .await;
    let closed = call!(t.provider.api().class_view(&class.id, None)).unwrap();
    assert_eq!(closed.status, types::ClassStatus::Closed);
    assert_eq!(closed.enrolled_count, 3);
    assert!(closed.closed_at.is_some());

    // Unit A receives the record of the learner who passed, none for the
    // one who failed.
    let a = records_of(&admin_a.client).await;
    assert_eq!(a.len(), 1, "{a:?}");
    let r = &a[0];
    assert_eq!(r.person_id, passes.person_id());
    assert_eq!(r.unit_id, Some(unit_a.id));
    assert_eq!(r.year, year());
    assert_eq!(r.category, types::RecordCategory::Professional);
    assert_eq!(r.series.as_ref().map(|s| s.as_str()), Some("nursing"));
    assert_eq!(r.course_name.as_str(), COURSE);
    assert_eq!(r.hours, 24.0);
    assert_eq!(r.source, types::RecordSource::ClassClosure);
    assert_eq!(r.status, types::RecordStatus::PendingUnitReview);
    assert_eq!(r.provider_id, Some(t.provider_view.id));
    assert_eq!(r.class_id, Some(class.id));
    assert!(records_of(&fails.client).await.is_empty());

    // R-CL-4: unit B's learner has one record with both classes' hours.
    let b = records_of(&admin_b.client).await;
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].id, before[0].id);
    assert_eq!(b[0].hours, 48.0);
    assert_eq!(b[0].unit_id, Some(unit_b.id));
    assert_eq!(b[0].status, types::RecordStatus::PendingUnitReview);

    // Closing twice never doubles hours.
    let err = call!(t.provider.api().class_transition(
        &class.id,
        None,
        &to(types::ClassTarget::Closed)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("illegal_transition"));
    let again = call!(repeats.client.api().record_view(&b[0].id, None)).unwrap();
    assert_eq!(again.record.hours, 48.0);

    // Records are scoped: unit B cannot read unit A's record.
    let err = call!(admin_b.client.api().record_view(&r.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let hrss = app.hrss().await;
    assert_eq!(records_of(&hrss).await.len(), 2);
}

#[tokio::test]
async fn r_cl_3_a_learner_without_a_unit_gets_the_record_when_they_bind() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let loner = app.verified_person().await;
    let class = t.class(5).await;
    t.run(&class, &[(&loner, true)]).await;
    let mine = records_of(&loner.client).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].unit_id, None);
    assert_eq!(mine[0].status, types::RecordStatus::PendingUnitReview);

    let (admin, unit) = app.unit().await;
    assert!(records_of(&admin.client).await.is_empty());
    call!(admin.client.api().unit_person_add(
        &unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: loner.person.id_card_no.parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .unwrap();
    let theirs = records_of(&admin.client).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].id, mine[0].id);
    assert_eq!(theirs[0].unit_id, Some(unit.id));
}

#[tokio::test]
async fn r_pq_3_a_provider_plans_only_in_a_series_it_is_qualified_for() {
    let app = spawn_app().await;
    let t = training_in(&app, "nursing").await;
    let (engineering, _) = app.province_authority(&["engineering"]).await;
    publish(&engineering, "engineering", COURSE).await;
    let err = call!(
        t.provider
            .api()
            .course_plan_create(None, &plan_for(t.provider_view.id, "engineering"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("not_qualified"));

    // R-CP-2: the course must be in the year's catalogue.
    let mut off = plan_for(t.provider_view.id, "nursing");
    off.course_name = "不在目录中的课程".parse().unwrap();
    let err = call!(t.provider.api().course_plan_create(None, &off)).unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("course_not_in_catalogue"));

    // Exactly one owner.
    let mut two = plan_for(t.provider_view.id, "nursing");
    two.unit_id = Some(Uuid::now_v7());
    let err = call!(t.provider.api().course_plan_create(None, &two)).unwrap_err();
    assert_eq!(err.code(), Some("owner_invalid"));

    // Another provider's admin: 404; a person: 403.
    let (other, _) = app.provider_admin().await;
    let err = call!(
        other
            .api()
            .course_plan_create(None, &plan_for(t.provider_view.id, "nursing"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let person = app.person().await;
    let err = call!(
        person
            .client
            .api()
            .course_plan_create(None, &plan_for(t.provider_view.id, "nursing"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn r_cp_3_face_to_face_classes_are_filed_within_the_window() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let plan = t.approved_plan().await;
    for start in [in_days(31), in_days(-1)] {
        let err = call!(t.provider.api().class_create(
            &plan.id,
            None,
            &class_req(types::ClassMode::FaceToFace, start, 10, &[t.teacher])
        ))
        .unwrap_err();
        assert_eq!(err.status(), Some(422), "{start}");
        assert_eq!(err.code(), Some("filing_window"));
    }
    for start in [in_days(0), in_days(30)] {
        call!(t.provider.api().class_create(
            &plan.id,
            None,
            &class_req(types::ClassMode::FaceToFace, start, 10, &[t.teacher])
        ))
        .unwrap();
    }
    // Online classes are not filed against the window.
    let online = call!(t.provider.api().class_create(
        &plan.id,
        None,
        &class_req(types::ClassMode::Online, in_days(60), 10, &[t.teacher])
    ))
    .unwrap();
    assert_eq!(online.mode, types::ClassMode::Online);
    // End before start.
    let mut bad = class_req(types::ClassMode::FaceToFace, in_days(3), 10, &[t.teacher]);
    bad.end_date = in_days(2);
    let err = call!(t.provider.api().class_create(&plan.id, None, &bad)).unwrap_err();
    assert_eq!(err.code(), Some("dates_invalid"));
}

#[tokio::test]
async fn r_cp_4_teachers_are_enabled_teachers_of_the_owner() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let plan = t.approved_plan().await;
    let (other, other_view) = app.provider_admin().await;
    let stranger = call!(other.api().provider_teacher_create(
        &other_view.id,
        None,
        &types::TeacherCreateRequest {
            name: "外人".parse().unwrap(),
            title: None,
        }
    ))
    .unwrap();
    let err = call!(t.provider.api().class_create(
        &plan.id,
        None,
        &class_req(types::ClassMode::FaceToFace, in_days(3), 10, &[stranger.id])
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("teacher_invalid"));

    // A disabled teacher of the owner is refused too.
    call!(t.provider.api().teacher_update(
        &t.teacher,
        None,
        &types::TeacherUpdateRequest {
            enabled: Some(false),
            name: None,
            title: None,
        }
    ))
    .unwrap();
    let err = call!(t.provider.api().class_create(
        &plan.id,
        None,
        &class_req(types::ClassMode::FaceToFace, in_days(3), 10, &[t.teacher])
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("teacher_invalid"));
}

#[tokio::test]
async fn r_t_1_a_teacher_a_class_names_cannot_be_deleted() {
    let app = spawn_app().await;
    let t = training(&app).await;
    t.class(5).await;
    let err = call!(t.provider.api().teacher_delete(&t.teacher)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("teacher_in_use"));
    let spare = call!(t.provider.api().provider_teacher_create(
        &t.provider_view.id,
        None,
        &types::TeacherCreateRequest {
            name: "备用".parse().unwrap(),
            title: None,
        }
    ))
    .unwrap();
    call!(t.provider.api().teacher_delete(&spare.id)).unwrap();
}

#[tokio::test]
async fn r_cl_1_illegal_transitions_are_refused() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let class = t.class(5).await;
    let step = |target| {
        let api = t.provider.api();
        let id = class.id;
        async move { call!(api.class_transition(&id, None, &to(target))) }
    };
    let err = step(types::ClassTarget::Closed).await.unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("illegal_transition"));
    let open = step(types::ClassTarget::Open).await.unwrap();
    assert_eq!(open.status, types::ClassStatus::Open);
    assert_eq!(
        step(types::ClassTarget::Open).await.unwrap_err().code(),
        Some("illegal_transition")
    );
    let cancelled = step(types::ClassTarget::Cancelled).await.unwrap();
    assert_eq!(cancelled.status, types::ClassStatus::Cancelled);
    for target in [
        types::ClassTarget::Open,
        types::ClassTarget::Closed,
        types::ClassTarget::Cancelled,
    ] {
        assert_eq!(
            step(target).await.unwrap_err().code(),
            Some("illegal_transition")
        );
    }
    // A stale If-Match is 412.
    let err = call!(t.provider.api().class_transition(
        &class.id,
        Some(&qm(1).parse().unwrap()),
        &to(types::ClassTarget::Open)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(412));
    // Only the owner moves a class: another provider gets 404.
    let (other, _) = app.provider_admin().await;
    let err = call!(
        other
            .api()
            .class_transition(&class.id, None, &to(types::ClassTarget::Open))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn r_cl_2_full_classes_and_double_enrolment_are_refused() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let class = t.class(2).await;
    let one = app.verified_person().await;
    let two = app.verified_person().await;
    let three = app.verified_person().await;
    let e1 = call!(one.client.api().enrollment_create(&class.id, None)).unwrap();
    assert_eq!(e1.status, types::EnrollmentStatus::Pending);
    let err = call!(one.client.api().enrollment_create(&class.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("already_enrolled"));
    call!(two.client.api().enrollment_create(&class.id, None)).unwrap();
    let err = call!(three.client.api().enrollment_create(&class.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("class_full"));
    let seen = call!(three.client.api().class_view(&class.id, None)).unwrap();
    assert_eq!(seen.enrolled_count, 2);

    // Cancelling an enrolment frees the place.
    call!(t.provider.api().enrollment_review(
        &e1.id,
        None,
        &types::EnrollmentReviewRequest {
            decision: types::EnrollmentDecision::Cancel
        }
    ))
    .unwrap();
    call!(three.client.api().enrollment_create(&class.id, None)).unwrap();
    // A person sees only their own enrolment; the owner sees all three.
    let own = call!(
        three
            .client
            .api()
            .enrollment_list(&class.id, None, None, None)
    )
    .unwrap();
    assert_eq!(own.items.len(), 1);
    let all = call!(
        t.provider
            .api()
            .enrollment_list(&class.id, None, None, None)
    )
    .unwrap();
    assert_eq!(all.items.len(), 3);
    let reviewing = call!(
        t.authority
            .api()
            .enrollment_list(&class.id, None, None, None)
    )
    .unwrap();
    assert_eq!(reviewing.items.len(), 3);

    // An unverified person cannot enrol.
    let unverified = app.person().await;
    let err = call!(unverified.client.api().enrollment_create(&class.id, None)).unwrap_err();
    assert_eq!(err.code(), Some("not_verified"));
}

#[tokio::test]
async fn r_cp_1_classes_of_unapproved_plans_take_no_enrolment() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let plan = t.draft().await;
    let class = t.class_of(&plan, 5).await;
    assert!(!class.plan_approved);
    let person = app.verified_person().await;
    let err = call!(person.client.api().enrollment_create(&class.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("plan_not_approved"));
    // Nor can it open, and others do not see it.
    let err = call!(t.provider.api().class_transition(
        &class.id,
        None,
        &to(types::ClassTarget::Open)
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("plan_not_approved"));
    let err = call!(person.client.api().class_view(&class.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let listed = call!(
        person
            .client
            .api()
            .class_list(None, None, None, None, None, None, None, None)
    )
    .unwrap();
    assert!(listed.items.iter().all(|c| c.id != class.id));
    let mine = call!(t.provider.api().class_list(
        None,
        None,
        None,
        Some(&plan.id),
        None,
        None,
        None,
        None
    ))
    .unwrap();
    assert_eq!(mine.items.len(), 1);
}

#[tokio::test]
async fn r_rv_1_an_authority_of_another_series_cannot_review() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let plan = t.draft().await;
    call!(t.provider.api().course_plan_submit(&plan.id, None)).unwrap();
    let (engineering, _) = app.province_authority(&["engineering"]).await;
    let err = call!(engineering.api().course_plan_review(
        &plan.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(engineering.api().course_plan_view(&plan.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let batch = types::BatchReviewRequest {
        ids: vec![plan.id],
        decision: types::Decision::Approve,
        comment: None,
    };
    let res = call!(engineering.api().course_plan_review_batch(&batch)).unwrap();
    assert!(!res.results[0].ok);
    assert_eq!(res.results[0].code.as_deref(), Some("not_found"));
    // The plan's own authority decides in batch; a second batch finds
    // nothing left to decide.
    let res = call!(t.authority.api().course_plan_review_batch(&batch)).unwrap();
    assert!(res.results[0].ok);
    assert_eq!(res.results[0].status.as_deref(), Some("approved"));
    let res = call!(t.authority.api().course_plan_review_batch(&batch)).unwrap();
    assert_eq!(res.results[0].code.as_deref(), Some("illegal_transition"));
    // A provider is no reviewer.
    let err = call!(t.provider.api().course_plan_review(
        &plan.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn r_rv_1_a_returned_plan_is_edited_and_submitted_again() {
    let app = spawn_app().await;
    let t = training_in(&app, "nursing").await;
    publish(&t.authority, "nursing", "感染控制").await;
    let plan = t.draft().await;
    call!(t.provider.api().course_plan_submit(&plan.id, None)).unwrap();
    let change = types::UpdatePlanRequest {
        course_name: Some("感染控制".parse().unwrap()),
        description: None,
        region: None,
        series: None,
        year: None,
    };
    let err = call!(t.provider.api().course_plan_update(&plan.id, None, &change)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("not_editable"));
    let returned = call!(t.authority.api().course_plan_review(
        &plan.id,
        None,
        &types::ReviewRequest {
            decision: types::Decision::RejectReturn,
            comment: Some("请修改课程".parse().unwrap()),
        }
    ))
    .unwrap();
    assert_eq!(returned.status, types::PlanStatus::Returned);
    let changed = call!(t.provider.api().course_plan_update(
        &plan.id,
        Some(&qm(returned.version.get() as i32).parse().unwrap()),
        &change
    ))
    .unwrap();
    assert_eq!(changed.course_name.as_str(), "感染控制");
    let again = call!(t.provider.api().course_plan_submit(&plan.id, None)).unwrap();
    assert_eq!(again.status, types::PlanStatus::Submitted);
    let closed = call!(t.authority.api().course_plan_review(
        &plan.id,
        None,
        &decision(types::Decision::RejectClose)
    ))
    .unwrap();
    assert_eq!(closed.status, types::PlanStatus::Closed);
    // A closed plan can neither change nor hold classes.
    let err = call!(t.provider.api().course_plan_update(&plan.id, None, &change)).unwrap_err();
    assert_eq!(err.code(), Some("not_editable"));
    let err = call!(t.provider.api().class_create(
        &plan.id,
        None,
        &class_req(types::ClassMode::FaceToFace, in_days(3), 10, &[t.teacher])
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("plan_closed"));
    let detail = call!(t.provider.api().course_plan_view(&plan.id, None)).unwrap();
    let decisions: Vec<_> = detail.reviews.iter().map(|r| r.decision.as_str()).collect();
    assert_eq!(decisions, ["reject_return", "reject_close"]);
    assert_eq!(detail.reviews[0].comment.as_deref(), Some("请修改课程"));
}

#[tokio::test]
async fn r_au_3_an_authority_declares_plans_and_runs_classes_itself() {
    let app = spawn_app().await;
    let t = training_in(&app, "nursing").await;
    let plan = call!(t.authority.api().course_plan_create(
        None,
        &types::CreatePlanRequest {
            provider_id: None,
            unit_id: None,
            authority_id: Some(t.authority_view.id),
            series: "nursing".parse().unwrap(),
            year: year(),
            course_name: COURSE.parse().unwrap(),
            region: None,
            description: None,
        }
    ))
    .unwrap();
    assert_eq!(plan.authority_id, Some(t.authority_view.id));
    assert_eq!(plan.region.as_str(), "440000");
    let submitted = call!(t.authority.api().course_plan_submit(&plan.id, None)).unwrap();
    assert_eq!(submitted.reviewer_authority_id, Some(t.authority_view.id));
    call!(t.authority.api().course_plan_review(
        &plan.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap();
    // Authorities keep no roster: any enabled teacher may teach.
    let class = call!(t.authority.api().class_create(
        &plan.id,
        None,
        &class_req(types::ClassMode::Online, in_days(1), 10, &[t.teacher])
    ))
    .unwrap();
    assert_eq!(class.owner_type, types::OwnerType::Authority);
    // An authority of another series may not declare in nursing.
    let (engineering, engineering_view) = app.province_authority(&["engineering"]).await;
    let err = call!(engineering.api().course_plan_create(
        None,
        &types::CreatePlanRequest {
            provider_id: None,
            unit_id: None,
            authority_id: Some(engineering_view.id),
            series: "nursing".parse().unwrap(),
            year: year(),
            course_name: COURSE.parse().unwrap(),
            region: None,
            description: None,
        }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("series_not_supervised"));
}

#[tokio::test]
async fn r_cp_1_a_units_plan_goes_to_the_most_local_authority_of_its_series() {
    let app = spawn_app().await;
    let t = training_in(&app, "nursing").await;
    // A Guangzhou (city) nursing authority under the province one.
    let p = app.register().await;
    let city = app.login_person(&p).await;
    let applied = call!(city.api().authority_apply(
        None,
        &authority_application(
            types::AuthorityLevel::City,
            "440100",
            &["nursing"],
            Some(t.authority_view.id)
        )
    ))
    .unwrap();
    call!(t.authority.api().authority_review(
        &applied.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap();
    let (admin, unit) = app.unit().await;
    let plan = |region: Option<&str>| types::CreatePlanRequest {
        provider_id: None,
        unit_id: Some(unit.id),
        authority_id: None,
        series: "nursing".parse().unwrap(),
        year: year(),
        course_name: COURSE.parse().unwrap(),
        region: region.map(|r| r.parse().unwrap()),
        description: None,
    };
    let in_tianhe = call!(
        admin
            .client
            .api()
            .course_plan_create(None, &plan(Some("440106")))
    )
    .unwrap();
    let s = call!(admin.client.api().course_plan_submit(&in_tianhe.id, None)).unwrap();
    assert_eq!(s.reviewer_authority_id, Some(applied.id));
    let provincial = call!(admin.client.api().course_plan_create(None, &plan(None))).unwrap();
    assert_eq!(provincial.region.as_str(), "440000");
    let s = call!(admin.client.api().course_plan_submit(&provincial.id, None)).unwrap();
    assert_eq!(s.reviewer_authority_id, Some(t.authority_view.id));
    // The city authority sees only the plan submitted to it.
    let seen = call!(
        city.api()
            .course_plan_list(None, None, None, None, None, None, None)
    )
    .unwrap();
    assert_eq!(seen.items.len(), 1);
    assert_eq!(seen.items[0].id, in_tianhe.id);
    // Another unit's admin cannot read the plan.
    let (other, _) = app.unit().await;
    let err = call!(other.client.api().course_plan_view(&in_tianhe.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(other.client.api().course_plan_submit(&in_tianhe.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn r_cl_2_results_are_entered_while_the_class_is_open() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let class = t.class(5).await;
    let learner = app.verified_person().await;
    let e = call!(learner.client.api().enrollment_create(&class.id, None)).unwrap();
    let result = types::ResultRequest {
        score: Some(90),
        passed: true,
    };
    // Not accepted yet, and not open.
    let err = call!(t.provider.api().enrollment_result(&e.id, None, &result)).unwrap_err();
    assert_eq!(err.code(), Some("class_not_open"));
    call!(t.provider.api().enrollment_review(
        &e.id,
        None,
        &types::EnrollmentReviewRequest {
            decision: types::EnrollmentDecision::Accept
        }
    ))
    .unwrap();
    let err = call!(t.provider.api().enrollment_review(
        &e.id,
        None,
        &types::EnrollmentReviewRequest {
            decision: types::EnrollmentDecision::Accept
        }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("illegal_transition"));
    call!(
        t.provider
            .api()
            .class_transition(&class.id, None, &to(types::ClassTarget::Open))
    )
    .unwrap();
    let done = call!(t.provider.api().enrollment_result(&e.id, None, &result)).unwrap();
    assert_eq!(done.score, Some(90));
    assert_eq!(done.passed, Some(true));
    // Enrolment closes when the class opens.
    let late = app.verified_person().await;
    let err = call!(late.client.api().enrollment_create(&class.id, None)).unwrap_err();
    assert_eq!(err.code(), Some("class_not_accepting"));
    // Only the class owner enters results.
    let (other, _) = app.provider_admin().await;
    let err = call!(other.api().enrollment_result(&e.id, None, &result)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(learner.client.api().enrollment_result(&e.id, None, &result)).unwrap_err();
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn r_rc_3_the_unit_reviews_class_records_and_the_standing_follows() {
    let app = spawn_app().await;
    let t = training_in(&app, "nursing").await;
    let (admin, unit) = app.unit().await;
    let learner = learner_of(&app, &admin, &unit).await;
    call!(learner.client.api().person_update(
        &learner.person_id(),
        None,
        &types::PersonUpdateRequest {
            name: None,
            phone: None,
            education: None,
            title: None,
            series: Some(vec!["nursing".parse().unwrap()]),
            series_year: Some(year()),
            region: None,
            series_terms: None,
        }
    ))
    .unwrap();
    let class = t.class(5).await;
    t.run(&class, &[(&learner, true)]).await;
    let standing = |c| standing(c, learner.person_id());
    let before = standing(&learner.client).await;
    assert!(!before.complete);
    assert_eq!(before.series.len(), 1);
    assert_eq!(before.series[0].series.as_str(), "nursing");
    assert_eq!(before.series[0].required, 42.0);
    assert_eq!(before.series[0].pending, 24.0);
    assert_eq!(before.series[0].approved, 0.0);
    assert_eq!(before.categories.professional.missing, 42.0);

    let record = records_of(&admin.client).await.remove(0);
    // Another unit cannot decide it (404; batch `not_found`), nor can the person.
    let (other, _) = app.unit().await;
    let err = call!(other.client.api().record_review(
        &record.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let batch = types::BatchReviewRequest {
        ids: vec![record.id],
        decision: types::Decision::Approve,
        comment: None,
    };
    let res = call!(other.client.api().record_review_batch(&batch)).unwrap();
    assert_eq!(res.results[0].code.as_deref(), Some("not_found"));
    let err = call!(learner.client.api().record_review(
        &record.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    // The unit approves in batch: the hours count.
    let res = call!(admin.client.api().record_review_batch(&batch)).unwrap();
    assert!(res.results[0].ok, "{res:?}");
    let after = standing(&admin.client).await;
    assert_eq!(after.series[0].approved, 24.0);
    assert_eq!(after.series[0].pending, 0.0);
    assert_eq!(after.series[0].missing, 18.0);
    // R-RC-4: an approved record that turns out wrong is closed; it stops counting.
    let closed = call!(admin.client.api().record_review(
        &record.id,
        Some(&qm(2).parse().unwrap()),
        &types::ReviewRequest {
            decision: types::Decision::RejectClose,
            comment: Some("学时有误".parse().unwrap()),
        }
    ))
    .unwrap();
    assert_eq!(closed.status, types::RecordStatus::Closed);
    let detail = call!(learner.client.api().record_view(&record.id, None)).unwrap();
    assert_eq!(detail.reviews.len(), 2);
    assert_eq!(standing(&learner.client).await.series[0].approved, 0.0);
    let err = call!(admin.client.api().record_review(
        &record.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("illegal_transition"));
    // Another person's standing is not for a stranger.
    let stranger = app.person().await;
    let err = call!(
        stranger
            .client
            .api()
            .person_compliance(&learner.person_id(), Some(year()))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(
        other
            .client
            .api()
            .person_compliance(&learner.person_id(), Some(year()))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

async fn standing(c: &Client, person: Uuid) -> types::ComplianceView {
    call!(c.api().person_compliance(&person, Some(year()))).unwrap()
}

fn declaration(
    year: i32,
    category: types::RecordCategory,
    series: Option<&str>,
    course: &str,
) -> types::DeclareRequest {
    types::DeclareRequest {
        year,
        category,
        series: series.map(|s| s.parse().unwrap()),
        course_name: course.parse().unwrap(),
        hours: 12.0,
        result: Some("合格".parse().unwrap()),
        provider_name: Some("某培训机构".parse().unwrap()),
        attachment_ids: vec![],
        conversion: None,
        general_knowledge: false,
        provider_id: None,
        base_no: None,
        class_id: None,
        initial_training: false,
    }
}

/// A verified person bound to a fresh unit, holding `series` in `year`,
/// with the unit's admin.
async fn member(app: &TestApp, series: &[&str], in_year: i32) -> (Signed, Signed) {
    let (admin, unit) = app.unit().await;
    let person = learner_of(app, &admin, &unit).await;
    call!(person.client.api().person_update(
        &person.person_id(),
        None,
        &types::PersonUpdateRequest {
            name: None,
            phone: None,
            education: None,
            title: None,
            series: Some(series.iter().map(|s| s.parse().unwrap()).collect()),
            series_year: Some(in_year),
            region: None,
            series_terms: None,
        }
    ))
    .unwrap();
    (person, admin)
}

/// Declares and has the unit approve.
/// A training certificate the person uploads as proof.
async fn proof(person: &Signed) -> Uuid {
    call!(person.client.api().attachment_upload(
        &"培训证书.pdf".parse().unwrap(),
        None,
        b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj <<>> endobj\n%%EOF\n".to_vec()
    ))
    .expect("uploading proof")
    .id
}

/// `d` with a city base as its origin and a certificate as proof (R-RC-6).
async fn from_base(
    person: &Signed,
    mut d: types::DeclareRequest,
    base: &str,
) -> types::DeclareRequest {
    d.base_no = Some(base.parse().unwrap());
    d.attachment_ids = vec![proof(person).await];
    d
}

async fn approved(person: &Signed, admin: &Signed, d: &types::DeclareRequest) -> types::RecordView {
    let r = call!(person.client.api().record_declare(None, d)).expect("declaring");
    call!(
        admin
            .client
            .api()
            .record_review(&r.id, None, &decision(types::Decision::Approve))
    )
    .expect("approving")
}

/// Declares and has the finance department of the person's district
/// confirm (R-ACC-4).
async fn confirmed(app: &TestApp, person: &Signed, d: &types::DeclareRequest) -> types::RecordView {
    let r = call!(person.client.api().record_declare(None, d)).expect("declaring");
    crate::certificates::confirm(app, r.id).await
}

async fn standing_in(c: &Client, person: Uuid, y: i32) -> types::ComplianceView {
    call!(c.api().person_compliance(&person, Some(y))).unwrap()
}

#[tokio::test]
async fn r_rc_1_r_rc_2_r_rc_6_declarations_are_checked_and_a_returned_one_resubmitted_r_rc_4() {
    use types::RecordCategory::{Elective, Professional, Public};
    let app = spawn_app().await;
    // The engineering catalogue lists COURSE; its provider is qualified in
    // engineering, a series whose declarations the unit reviews (R-RC-3).
    let catalogue = training(&app).await;
    let (admin, unit) = app.unit().await;
    let person = learner_of(&app, &admin, &unit).await;
    call!(person.client.api().person_update(
        &person.person_id(),
        None,
        &types::PersonUpdateRequest {
            name: None,
            phone: None,
            education: None,
            title: None,
            series: Some(vec!["engineering".parse().unwrap()]),
            series_year: Some(year()),
            region: None,
            series_terms: None,
        }
    ))
    .unwrap();
    let api = person.client.api();
    let code =
        |r: Result<types::RecordView, ce_sdk::Error>| r.unwrap_err().code().map(String::from);
    // R-RC-5: not for a future year.
    let r = call!(api.record_declare(None, &declaration(year() + 1, Elective, None, "x")));
    assert_eq!(code(r).as_deref(), Some("year_in_future"));
    // R-RC-2: public hours are not declared.
    let r = call!(api.record_declare(None, &declaration(year(), Public, None, "x")));
    assert_eq!(code(r).as_deref(), Some("public_not_declarable"));
    // R-PU-4: only a series held that year.
    let r = call!(api.record_declare(
        None,
        &declaration(year(), Professional, Some("nursing"), COURSE)
    ));
    assert_eq!(code(r).as_deref(), Some("series_not_held"));
    // R-RC-6: professional hours need an approved origin; a course name
    // found in the catalogue is not one (问答 九, 十六)…
    let r = call!(api.record_declare(
        None,
        &declaration(year(), Professional, Some("engineering"), COURSE)
    ));
    assert_eq!(code(r).as_deref(), Some("origin_required"));
    let r = call!(api.record_declare(
        None,
        &declaration(year(), Professional, Some("engineering"), "自学笔记")
    ));
    assert_eq!(code(r).as_deref(), Some("origin_required"));
    // …so the hours may be elective.
    call!(api.record_declare(None, &declaration(year(), Elective, None, "自学笔记"))).unwrap();
    // A provider not qualified in the series, or a base whose scope does
    // not cover it, is no origin for it.
    let (_, unqualified) = app.provider_admin().await;
    let mut d = declaration(year(), Professional, Some("engineering"), COURSE);
    d.provider_id = Some(unqualified.id);
    d.attachment_ids = vec![proof(&person).await];
    let r = call!(api.record_declare(None, &d));
    assert_eq!(code(r).as_deref(), Some("origin_not_qualified"));
    let d = from_base(
        &person,
        declaration(year(), Professional, Some("engineering"), COURSE),
        "007",
    )
    .await;
    let r = call!(api.record_declare(None, &d));
    assert_eq!(code(r).as_deref(), Some("origin_not_qualified"));
    // The qualified provider is one, with the training certificate.
    let mut d = declaration(year(), Professional, Some("engineering"), COURSE);
    d.provider_id = Some(catalogue.provider_view.id);
    let r = call!(api.record_declare(None, &d));
    assert_eq!(code(r).as_deref(), Some("proof_required"));
    d.attachment_ids = vec![proof(&person).await];
    call!(api.record_declare(None, &d)).unwrap();
    // So is a class of an approved engineering plan that credited nothing itself.
    let class = catalogue.class(5).await;
    let mut d = declaration(year(), Professional, Some("engineering"), COURSE);
    d.class_id = Some(class.id);
    d.attachment_ids = vec![proof(&person).await];
    call!(api.record_declare(None, &d)).unwrap();
    // So is an engineering base (027 广州市机电技师学院, 工程系列机械专业),
    // for any of its courses.
    let d = call!(
        api.record_declare(
            None,
            &from_base(
                &person,
                declaration(year(), Professional, Some("engineering"), "数控机床维修"),
                "027"
            )
            .await
        )
    )
    .unwrap();
    assert_eq!(d.source, types::RecordSource::SelfDeclared);
    assert_eq!(d.status, types::RecordStatus::PendingUnitReview);
    assert_eq!(d.unit_id, Some(unit.id));

    // R-RC-4: no editing under review.
    let change = types::UpdateRecordRequest {
        course_name: None,
        hours: Some(16.0),
        result: None,
        provider_name: None,
        attachment_ids: vec![],
    };
    let err = call!(api.record_update(&d.id, None, &change)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("under_review"));
    // The unit returns it; the person edits and resubmits; the unit approves.
    call!(
        admin
            .client
            .api()
            .record_review(&d.id, None, &decision(types::Decision::RejectReturn))
    )
    .unwrap();
    let edited = call!(api.record_update(&d.id, None, &change)).unwrap();
    assert_eq!(edited.hours, 16.0);
    assert_eq!(edited.status, types::RecordStatus::Returned);
    let again = call!(api.record_resubmit(&d.id, None)).unwrap();
    assert_eq!(again.status, types::RecordStatus::PendingUnitReview);
    let approved = call!(admin.client.api().record_review(
        &d.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap();
    assert_eq!(approved.status, types::RecordStatus::Approved);
    assert_eq!(
        standing(&person.client, person.person_id()).await.series[0].approved,
        16.0
    );
    // Someone else's record is not there for them.
    let stranger = app.verified_person().await;
    let err = call!(stranger.client.api().record_update(&d.id, None, &change)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    // A person with no unit cannot declare.
    let loner = app.verified_person().await;
    let err = call!(
        loner
            .client
            .api()
            .record_declare(None, &declaration(year(), Elective, None, "x"))
    )
    .unwrap_err();
    assert_eq!(err.code(), Some("not_bound"));
}

#[tokio::test]
async fn r_req_2_the_unit_sees_who_is_behind_and_by_how_much() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let (admin, unit) = app.unit().await;
    let ahead = learner_of(&app, &admin, &unit).await;
    let behind_a = learner_of(&app, &admin, &unit).await;
    let behind_b = learner_of(&app, &admin, &unit).await;
    let class = t.class(5).await;
    t.run(&class, &[(&ahead, true)]).await;
    let record = records_of(&admin.client).await.remove(0);
    call!(
        admin
            .client
            .api()
            .record_review(&record.id, None, &decision(types::Decision::Approve))
    )
    .unwrap();

    let api = admin.client.api();
    let all = call!(api.unit_compliance(
        &unit.id,
        Some(false),
        None,
        None,
        Some(types::UnitComplianceSort::MostMissing),
        Some(year())
    ))
    .unwrap();
    assert_eq!(all.items.len(), 3);
    // No series declared: the general 30/42/18 applies; the learner with
    // 24 approved professional hours is least behind.
    assert_eq!(all.items[0].missing, 90.0);
    assert_eq!(all.items[2].standing.person_id, ahead.person_id());
    // The person is named at the item's top level too (issue 19).
    assert_eq!(all.items[2].person_id, ahead.person_id());
    assert_eq!(all.items[2].missing, 66.0);
    assert_eq!(all.items[2].person_name.as_str(), "张三");
    // Paged: two, then one.
    let first = call!(api.unit_compliance(
        &unit.id,
        None,
        None,
        Some(2.try_into().unwrap()),
        Some(types::UnitComplianceSort::MostMissing),
        Some(year())
    ))
    .unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor: types::UnitComplianceCursor =
        first.next_cursor.as_deref().unwrap().parse().unwrap();
    let second = call!(api.unit_compliance(
        &unit.id,
        None,
        Some(&cursor),
        Some(2.try_into().unwrap()),
        Some(types::UnitComplianceSort::MostMissing),
        Some(year())
    ))
    .unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.next_cursor, None);
    let mut seen: Vec<Uuid> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|i| i.standing.person_id)
        .collect();
    seen.sort();
    let mut expected = vec![
        ahead.person_id(),
        behind_a.person_id(),
        behind_b.person_id(),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    // Nobody is complete.
    let done =
        call!(api.unit_compliance(&unit.id, Some(true), None, None, None, Some(year()))).unwrap();
    assert!(done.items.is_empty());
    // Another unit's admin: 404; a person: 403.
    let (other, _) = app.unit().await;
    let err =
        call!(
            other
                .client
                .api()
                .unit_compliance(&unit.id, None, None, None, None, Some(year()))
        )
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err =
        call!(
            ahead
                .client
                .api()
                .unit_compliance(&unit.id, None, None, None, None, Some(year()))
        )
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn r_rc_7_73_hours_of_degree_education_count_as_72() {
    use types::RecordCategory::Elective;
    let app = spawn_app().await;
    let (person, admin) = member(&app, &["engineering"], year()).await;
    let mut d = declaration(year(), Elective, None, "工程硕士在读");
    d.hours = 73.0;
    d.conversion = Some(types::ConversionRequest {
        code: "degree_education".parse().unwrap(),
        quantity: None,
        results_published_on: None,
    });
    let r = approved(&person, &admin, &d).await;
    assert_eq!(r.source, types::RecordSource::Conversion);
    assert_eq!(r.hours, 73.0);
    let s = standing_in(&person.client, person.person_id(), year()).await;
    assert_eq!(s.categories.elective.approved, 72.0);
    assert_eq!(s.categories.elective.missing, 0.0);

    // Not in the education or health series.
    let (nurse, _) = member(&app, &["nursing"], year()).await;
    let err = call!(nurse.client.api().record_declare(None, &d)).unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("conversion_not_allowed"));
    // Degree education is elective only.
    let mut pro = d.clone();
    pro.category = types::RecordCategory::Professional;
    pro.series = Some("engineering".parse().unwrap());
    let err = call!(person.client.api().record_declare(None, &pro)).unwrap_err();
    assert_eq!(err.code(), Some("conversion_category"));
}

#[tokio::test]
async fn r_acc_2_an_accountant_completes_the_year_with_a_passed_exam_subject() {
    use types::RecordCategory::Professional;
    let app = spawn_app().await;
    let (person, _, _) = crate::certificates::accountant(&app).await;
    let before = standing_in(&person.client, person.person_id(), year()).await;
    assert_eq!(before.categories.public.required, 30.0);
    assert_eq!(before.series[0].required, 60.0);
    assert_eq!(before.categories.elective.required, 0.0);
    let mut d = declaration(year(), Professional, Some("accounting"), "中级会计实务");
    d.conversion = Some(types::ConversionRequest {
        code: "accounting_qualification_exam_subject".parse().unwrap(),
        quantity: None,
        results_published_on: None,
    });
    // Passed outside Guangdong: applied for, and confirmed by the finance
    // department of the accountant's district (R-ACC-4).
    let r = confirmed(&app, &person, &d).await;
    assert_eq!(
        r.hours, 90.0,
        "the form's credits replace the declared hours"
    );
    assert_eq!(
        r.conversion_code.as_deref().map(|c| c.as_str()),
        Some("accounting_qualification_exam_subject")
    );
    let after = standing_in(&person.client, person.person_id(), year()).await;
    assert!(after.complete, "{after:?}");
    assert_eq!(after.categories.public.required, 0.0, "public-exempt");

    // A paper is worth 30 professional credits and no more.
    let (other, _, _) = crate::certificates::accountant(&app).await;
    let mut paper = declaration(year(), Professional, Some("accounting"), "论文");
    paper.conversion = Some(types::ConversionRequest {
        code: "paper_sole_or_first_author".parse().unwrap(),
        quantity: Some(1.0),
        results_published_on: None,
    });
    confirmed(&app, &other, &paper).await;
    let s = standing_in(&other.client, other.person_id(), year()).await;
    assert_eq!(s.series[0].approved, 30.0);
    assert!(!s.complete);
    // A quantity cannot make a declaration of thousands of hours.
    paper.conversion = Some(types::ConversionRequest {
        code: "paper_sole_or_first_author".parse().unwrap(),
        quantity: Some(1000.0),
        results_published_on: None,
    });
    let err = call!(other.client.api().record_declare(None, &paper)).unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("quantity_invalid"));
    // Accounting forms are for accounting series only.
    let (engineer, _) = member(&app, &["engineering"], year()).await;
    let mut wrong = d.clone();
    wrong.series = Some("engineering".parse().unwrap());
    let err = call!(engineer.client.api().record_declare(None, &wrong)).unwrap_err();
    assert_eq!(err.code(), Some("conversion_not_allowed"));
    let mut unknown = d;
    unknown.conversion = Some(types::ConversionRequest {
        code: "astrology".parse().unwrap(),
        quantity: None,
        results_published_on: None,
    });
    let err = call!(person.client.api().record_declare(None, &unknown)).unwrap_err();
    assert_eq!(err.code(), Some("conversion_unknown"));
}

#[tokio::test]
async fn r_req_1_a_2018_person_is_judged_by_18_42_12() {
    use types::RecordCategory::{Elective, Professional};
    let app = spawn_app().await;
    let (authority, _) = app.province_authority(&["engineering"]).await;
    call!(authority.api().catalogue_publish(
        2018,
        None,
        &types::CourseCreateRequest {
            series: "engineering".parse().unwrap(),
            name: "结构设计".parse().unwrap(),
            hours: None,
        }
    ))
    .unwrap();
    let (person, admin) = member(&app, &["engineering"], 2018).await;
    let mut pro = from_base(
        &person,
        declaration(2018, Professional, Some("engineering"), "结构设计"),
        "027",
    )
    .await;
    pro.hours = 42.0;
    approved(&person, &admin, &pro).await;
    let mut el = declaration(2018, Elective, None, "管理");
    el.hours = 12.0;
    approved(&person, &admin, &el).await;
    let s = standing_in(&person.client, person.person_id(), 2018).await;
    assert_eq!(s.categories.public.required, 18.0);
    assert_eq!(s.series[0].required, 42.0);
    assert_eq!(s.categories.elective.required, 12.0);
    assert_eq!(s.series[0].missing, 0.0);
    assert_eq!(s.categories.elective.missing, 0.0);
    // Only the public 18 hours are missing; they come from the public-course
    // platforms, not declarations.
    assert_eq!(s.categories.public.missing, 18.0);
    assert!(!s.complete);
    // The same hours do not count for another year (R-RC-5).
    let s2019 = standing_in(&person.client, person.person_id(), 2019).await;
    assert_eq!(s2019.categories.elective.approved, 0.0);
}

#[tokio::test]
async fn r_req_3_a_two_series_person_needs_42_in_each() {
    use types::RecordCategory::Professional;
    let app = spawn_app().await;
    let (authority, _) = app.province_authority(&["engineering", "economics"]).await;
    publish(&authority, "engineering", "结构设计").await;
    publish(&authority, "economics", "宏观经济").await;
    let (person, admin) = member(&app, &["engineering", "economics"], year()).await;
    let mut eng = from_base(
        &person,
        declaration(year(), Professional, Some("engineering"), "结构设计"),
        "027",
    )
    .await;
    eng.hours = 84.0;
    approved(&person, &admin, &eng).await;
    let s = standing_in(&person.client, person.person_id(), year()).await;
    assert_eq!(s.categories.professional.required, 84.0);
    assert_eq!(s.categories.professional.missing, 42.0);
    let economics = s
        .series
        .iter()
        .find(|l| l.series.as_str() == "economics")
        .unwrap();
    assert_eq!(economics.missing, 42.0);
    let mut eco = from_base(
        &person,
        declaration(year(), Professional, Some("economics"), "宏观经济"),
        "058",
    )
    .await;
    eco.hours = 42.0;
    approved(&person, &admin, &eco).await;
    let s = standing_in(&person.client, person.person_id(), year()).await;
    assert_eq!(s.categories.professional.missing, 0.0);
}

#[tokio::test]
async fn r_rc_3_a_unit_sees_the_records_of_its_own_persons_only() {
    use types::RecordCategory::Elective;
    let app = spawn_app().await;
    let (person, old_admin) = member(&app, &["engineering"], year()).await;
    let old_unit = call!(person.client.api().me_view())
        .unwrap()
        .person
        .unwrap()
        .current_unit_id
        .unwrap();
    let r = call!(
        person
            .client
            .api()
            .record_declare(None, &declaration(year(), Elective, None, "管理"))
    )
    .unwrap();
    assert_eq!(records_of(&old_admin.client).await.len(), 1);
    // The person leaves: the old unit no longer sees or decides the record.
    call!(
        old_admin
            .client
            .api()
            .unit_person_remove(&old_unit, &person.person_id())
    )
    .unwrap();
    assert!(records_of(&old_admin.client).await.is_empty());
    let err = call!(old_admin.client.api().record_view(&r.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(old_admin.client.api().record_review(
        &r.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    // The new unit receives the pending record when the person binds.
    let (new_admin, new_unit) = app.unit().await;
    call!(new_admin.client.api().unit_person_add(
        &new_unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: person.person.id_card_no.parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .unwrap();
    let theirs = records_of(&new_admin.client).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].unit_id, Some(new_unit.id));
    call!(
        new_admin
            .client
            .api()
            .record_review(&r.id, None, &decision(types::Decision::Approve))
    )
    .unwrap();
}

#[tokio::test]
async fn r_req_2_a_general_person_completes_2023_with_a_class_a_declaration_and_public_hours() {
    use types::RecordCategory::Elective;
    let app = spawn_app().await;
    // A 2023 engineering plan and class (hours go to the plan's year).
    let (authority, authority_view) = app.province_authority(&["engineering"]).await;
    call!(authority.api().catalogue_publish(
        2023,
        None,
        &types::CourseCreateRequest {
            series: "engineering".parse().unwrap(),
            name: COURSE.parse().unwrap(),
            hours: None,
        }
    ))
    .unwrap();
    let t = training(&app).await;
    let plan = call!(t.provider.api().course_plan_create(
        None,
        &types::CreatePlanRequest {
            year: 2023,
            ..plan_for(t.provider_view.id, "engineering")
        }
    ))
    .unwrap();
    call!(t.provider.api().course_plan_submit(&plan.id, None)).unwrap();
    // Two engineering authorities cover the province: whichever got the plan decides.
    let reviewer = if plan_reviewer(&t, &plan.id).await == authority_view.id {
        &authority
    } else {
        &t.authority
    };
    call!(
        reviewer
            .api()
            .course_plan_review(&plan.id, None, &decision(types::Decision::Approve))
    )
    .unwrap();
    let approved_plan = t.file(&plan.id).await;
    let (person, admin) = member(&app, &["engineering"], 2023).await;
    let mut class = class_req(types::ClassMode::Online, in_days(1), 10, &[t.teacher]);
    class.hours = 42.0;
    let class = call!(
        t.provider
            .api()
            .class_create(&approved_plan.id, None, &class)
    )
    .unwrap();
    t.run(&class, &[(&person, true)]).await;
    let from_class = records_of(&admin.client).await.remove(0);
    assert_eq!(from_class.year, 2023);
    call!(admin.client.api().record_review(
        &from_class.id,
        None,
        &decision(types::Decision::Approve)
    ))
    .unwrap();
    // 18 elective hours declared and approved.
    let mut el = declaration(2023, Elective, None, "项目管理");
    el.hours = 18.0;
    approved(&person, &admin, &el).await;
    let s = standing_in(&person.client, person.person_id(), 2023).await;
    assert!(!s.complete);
    assert_eq!(s.categories.public.missing, 30.0);
    // 30 public hours arrive from the public-course platform.
    app.public_hours(person.person_id(), 2023, 300).await;
    let s = standing_in(&person.client, person.person_id(), 2023).await;
    assert!(s.complete, "{s:?}");
    assert_eq!(
        (
            s.categories.public.approved,
            s.categories.professional.approved,
            s.categories.elective.approved
        ),
        (30.0, 42.0, 18.0)
    );
    // The unit's list agrees.
    let unit_id = call!(person.client.api().me_view())
        .unwrap()
        .person
        .unwrap()
        .current_unit_id
        .unwrap();
    let done = call!(admin.client.api().unit_compliance(
        &unit_id,
        Some(true),
        None,
        None,
        None,
        Some(2023)
    ))
    .unwrap();
    assert_eq!(done.items.len(), 1);
}

async fn plan_reviewer(t: &Training, plan: &Uuid) -> Uuid {
    call!(t.provider.api().course_plan_view(plan, None))
        .unwrap()
        .plan
        .reviewer_authority_id
        .unwrap()
}

#[tokio::test]
async fn r_cp_5_only_classes_of_filed_plans_credit_hours_on_closing() {
    let app = spawn_app().await;
    let t = training(&app).await;
    let (admin, unit) = app.unit().await;
    let learner = learner_of(&app, &admin, &unit).await;

    // A draft is not filed: only approved plans are.
    let draft = t.draft().await;
    let err = call!(t.hrss.api().course_plan_file(&draft.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("plan_not_approved"));
    let err = call!(t.hrss.api().course_plan_file(&Uuid::now_v7(), None)).unwrap_err();
    assert_eq!(err.status(), Some(404));

    // Approved but not filed: the class runs, but does not close into records.
    let plan = t.unfiled_plan().await;
    assert_eq!(plan.filed_at, None);
    let class = t.class_of(&plan, 5).await;
    assert!(class.plan_approved);
    assert!(!class.plan_filed);
    t.open_with(&class, &[(&learner, true)]).await;
    let err = call!(t.provider.api().class_transition(
        &class.id,
        None,
        &to(types::ClassTarget::Closed)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("plan_not_filed"));
    assert!(records_of(&learner.client).await.is_empty());
    let still = call!(t.provider.api().class_view(&class.id, None)).unwrap();
    assert_eq!(still.status, types::ClassStatus::Open);

    // Nor is the class of an unfiled plan an origin for a declaration (R-RC-6).
    let (member, _) = member(&app, &[t.series], year()).await;
    let mut d = declaration(
        year(),
        types::RecordCategory::Professional,
        Some(t.series),
        COURSE,
    );
    d.class_id = Some(class.id);
    d.attachment_ids = vec![proof(&member).await];
    let err = call!(member.client.api().record_declare(None, &d)).unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("origin_not_qualified"));

    // hrss lists the plans awaiting filing; the filed ones are not among them.
    let awaiting = |filed: bool| {
        let hrss = &t.hrss;
        async move {
            call!(hrss.api().course_plan_list(
                None,
                Some(filed),
                None,
                None,
                None,
                Some(types::PlanStatus::Approved),
                None
            ))
            .unwrap()
            .items
            .into_iter()
            .map(|p| p.id)
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(awaiting(false).await, vec![plan.id]);
    assert!(awaiting(true).await.is_empty());

    // Nobody but hrss files: not the owner, not the authority that approved it.
    for c in [&t.provider, &t.authority, &admin.client, &learner.client] {
        let err = call!(c.api().course_plan_file(&plan.id, None)).unwrap_err();
        assert_eq!(err.status(), Some(403), "{err:?}");
    }

    // hrss files it (with the version it read); filing again is a conflict.
    let stale = format!("\"{}\"", plan.version.get() + 1);
    let err = call!(
        t.hrss
            .api()
            .course_plan_file(&plan.id, Some(&stale.parse().unwrap()))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(412));
    let filed = t.file(&plan.id).await;
    assert!(filed.filed_at.is_some());
    assert_eq!(
        filed.filed_by,
        Some(call!(t.hrss.api().me_view()).unwrap().id)
    );
    assert_eq!(filed.status, types::PlanStatus::Approved);
    let err = call!(t.hrss.api().course_plan_file(&plan.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("already_filed"));
    assert_eq!(awaiting(true).await, vec![plan.id]);
    assert!(awaiting(false).await.is_empty());

    // Filed, the class is an origin.
    call!(member.client.api().record_declare(None, &d))
        .expect("declaring from a filed plan's class");

    // Now closing credits the learner's hours, to the unit for review.
    let closed = call!(t.provider.api().class_transition(
        &class.id,
        None,
        &to(types::ClassTarget::Closed)
    ))
    .unwrap();
    assert_eq!(closed.status, types::ClassStatus::Closed);
    assert!(closed.plan_filed);
    let mine = records_of(&learner.client).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].hours, 24.0);
    assert_eq!(mine[0].source, types::RecordSource::ClassClosure);
    assert_eq!(mine[0].status, types::RecordStatus::PendingUnitReview);

    // The filing is in the audit trail.
    let events = call_ok(
        &t.hrss,
        reqwest::Method::GET,
        &format!(
            "/audit-events?entity_type=course_plan&entity_id={}",
            plan.id
        ),
        serde_json::Value::Null,
    )
    .await;
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "filed"),
        "{events}"
    );
}

#[tokio::test]
async fn r_pq_5_a_base_is_an_origin_within_its_scope_once_its_institution_runs_it() {
    let app = spawn_app().await;
    let (engineer, _) = member(&app, &["engineering"], year()).await;
    // 027 广州市机电技师学院: 工程系列机械专业.
    let base = call!(engineer.client.api().provider_list(
        Some(&"027".parse().unwrap()),
        None,
        None,
        None,
        None
    ))
    .unwrap()
    .items
    .remove(0);
    let mut d = declaration(
        year(),
        types::RecordCategory::Professional,
        Some("engineering"),
        "数控机床维修",
    );
    d.provider_id = Some(base.id);
    d.attachment_ids = vec![proof(&engineer).await];
    // Not run by its institution yet: not an origin as a provider.
    let err = call!(engineer.client.api().record_declare(None, &d)).unwrap_err();
    assert_eq!(err.code(), Some("origin_not_qualified"));

    let claimant = app.person().await;
    let claim = call!(claimant.client.api().base_claim_create(
        None,
        &types::CreateBaseClaimRequest {
            base_no: "027".parse().unwrap(),
            name: "广州市机电技师学院".parse().unwrap(),
            credit_code: credit_code().parse().unwrap(),
        }
    ))
    .unwrap();
    let hrss = app.hrss().await;
    call!(
        hrss.api()
            .base_claim_review(&claim.id, None, &decision(types::Decision::Approve))
    )
    .unwrap();
    let r = call!(engineer.client.api().record_declare(None, &d)).expect("declaring from the base");
    assert_eq!(r.category, types::RecordCategory::Professional);
    assert_eq!(r.provider_id, Some(base.id));
    // Outside its scope it is no origin.
    let (nurse, _) = member(&app, &["nursing"], year()).await;
    let mut e = declaration(
        year(),
        types::RecordCategory::Professional,
        Some("nursing"),
        "护理安全管理",
    );
    e.provider_id = Some(base.id);
    e.attachment_ids = vec![proof(&nurse).await];
    let err = call!(nurse.client.api().record_declare(None, &e)).unwrap_err();
    assert_eq!(err.code(), Some("origin_not_qualified"));
}
