//! Annual policies, the unit's review of records and a person's standing
//! (R-REQ-1..4, R-RC-3, R-RC-4, R-RC-8).

use ce_sdk::{call, types};

use crate::helpers::*;

#[tokio::test]
async fn r_req_1_the_seeded_policies_are_in_force_by_year() {
    let app = spawn_app().await;
    let p2023 = call!(app.client.api().policy_view(2023)).unwrap();
    let g = &p2023.groups.general;
    assert_eq!(
        (
            g.public_min,
            g.professional_min,
            g.elective_min,
            g.total_min
        ),
        (30, 42, 18, 90)
    );
    assert_eq!(p2023.groups.accounting.professional_min, 60);
    assert_eq!(
        p2023.groups.accounting.professional_general_knowledge_min,
        20
    );
    assert_eq!(p2023.groups.accounting.elective_min, 0);
    assert_eq!(
        p2023.public_deadline,
        Some(chrono::NaiveDate::from_ymd_opt(2024, 4, 30).unwrap())
    );
    assert_eq!(p2023.public_topics.len(), 2);
    let p2018 = call!(app.client.api().policy_view(2018)).unwrap();
    let g = &p2018.groups.general;
    assert_eq!(
        (
            g.public_min,
            g.professional_min,
            g.elective_min,
            g.total_min
        ),
        (18, 42, 12, 72)
    );
    // Archives had no rule in 2018: judged by the general group's.
    assert_eq!(p2018.groups.archives.professional_min, 42);
    let p2021 = call!(app.client.api().policy_view(2021)).unwrap();
    assert_eq!(p2021.groups.archives.professional_min, 60);
    assert_eq!(p2021.groups.general.effective_year, 2018);
    // The reading (issue 20): 30/42/18 is the 2023 guide's and applies from
    // 2023; 2019–2022 are judged by 2018's 18/42/12.
    for year in 2019..=2022 {
        let g = call!(app.client.api().policy_view(year))
            .unwrap()
            .groups
            .general;
        assert_eq!(
            (
                g.effective_year,
                g.public_min,
                g.professional_min,
                g.elective_min
            ),
            (2018, 18, 42, 12),
            "{year}"
        );
    }
    for year in [2023, 2024, 2026] {
        let g = call!(app.client.api().policy_view(year))
            .unwrap()
            .groups
            .general;
        assert_eq!(
            (
                g.effective_year,
                g.public_min,
                g.professional_min,
                g.elective_min
            ),
            (2023, 30, 42, 18),
            "{year}"
        );
    }
    let err = call!(app.client.api().policy_view(2017)).unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn r_req_4_hrss_sets_a_years_policy_and_later_years_follow() {
    let app = spawn_app().await;
    let body = types::PolicyUpdateRequest {
        groups: types::PolicyGroupsRequest {
            general: Some(types::GroupMinimumsRequest {
                public_min: 24,
                professional_min: 48,
                elective_min: 18,
                professional_general_knowledge_min: None,
            }),
            accounting: None,
            archives: None,
        },
        public_topics: vec![types::PublicTopicRequest {
            topic: "新质生产力".parse().unwrap(),
            hours_to_complete: 24.try_into().unwrap(),
        }],
        public_deadline: Some(chrono::NaiveDate::from_ymd_opt(2027, 4, 30).unwrap()),
    };
    let person = app.person().await;
    let err = call!(person.client.api().policy_set(2026, &body)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let hrss = app.hrss().await;
    let set = call!(hrss.api().policy_set(2026, &body)).unwrap();
    assert_eq!(set.groups.general.total_min, 90);
    assert_eq!(set.groups.general.effective_year, 2026);
    assert_eq!(set.public_topics[0].hours_to_complete.get(), 24);
    let later = call!(app.client.api().policy_view(2027)).unwrap();
    assert_eq!(later.groups.general.professional_min, 48);
    // The accounting rule was not touched.
    assert_eq!(later.groups.accounting.effective_year, 2023);
    let earlier = call!(app.client.api().policy_view(2025)).unwrap();
    assert_eq!(earlier.groups.general.professional_min, 42);
    // Topics need a deadline.
    let mut no_deadline = body;
    no_deadline.public_deadline = None;
    let err = call!(hrss.api().policy_set(2026, &no_deadline)).unwrap_err();
    assert_eq!(err.code(), Some("public_deadline_missing"));
}
