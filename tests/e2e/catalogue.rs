//! Reference series and the professional-subject catalogue (R-CP-2).

use ce_sdk::{call, types};

use crate::helpers::*;

fn course(series: &str, name: &str) -> types::CourseCreateRequest {
    types::CourseCreateRequest {
        series: series.parse().unwrap(),
        name: name.parse().unwrap(),
        hours: Some(12.5),
    }
}

#[tokio::test]
async fn the_series_are_public_reference_data_from_the_seed() {
    let app = spawn_app().await;
    let list = call!(app.client.api().series_list()).unwrap();
    assert_eq!(list.items.len(), 38);
    let nursing = list
        .items
        .iter()
        .find(|s| s.code.as_str() == "nursing")
        .unwrap();
    assert_eq!(nursing.family.as_str(), "health");
    assert_eq!(nursing.public_course_platform.as_str(), "health");
    let accounting = list
        .items
        .iter()
        .find(|s| s.code.as_str() == "accounting")
        .unwrap();
    assert_eq!(accounting.requirement_group.as_str(), "accounting");
}

#[tokio::test]
async fn r_cp_2_an_authority_of_the_series_publishes_and_everyone_signed_in_reads() {
    let app = spawn_app().await;
    let (authority, approved) = app.province_authority(&["nursing"]).await;
    let c = call!(authority.api().catalogue_publish(
        2023,
        None,
        &course("nursing", "护理安全管理")
    ))
    .unwrap();
    assert_eq!(c.category, "professional");
    assert_eq!(c.hours, Some(12.5));
    assert_eq!(c.authority_id, approved.id);
    assert_eq!(c.level, types::AuthorityLevel::Province);
    let reader = app.person().await;
    let series: types::CatalogueListSeries = "nursing".parse().unwrap();
    let page = call!(
        reader
            .client
            .api()
            .catalogue_list(2023, None, None, Some(&series))
    )
    .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(
        call!(reader.client.api().catalogue_list(2024, None, None, None))
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        call!(app.client.api().catalogue_list(2023, None, None, None))
            .unwrap_err()
            .status(),
        Some(401)
    );
    // The same name twice in a year and series is a conflict.
    let err = call!(authority.api().catalogue_publish(
        2023,
        None,
        &course("nursing", "护理安全管理")
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("course_exists"));
}

#[tokio::test]
async fn r_cp_2_only_an_authority_of_that_series_may_publish() {
    let app = spawn_app().await;
    let (authority, _) = app.province_authority(&["nursing"]).await;
    let err = call!(authority.api().catalogue_publish(
        2023,
        None,
        &course("engineering", "结构设计")
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("series_not_supervised"));
    let person = app.person().await;
    let err = call!(
        person
            .client
            .api()
            .catalogue_publish(2023, None, &course("nursing", "x"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("forbidden"));
    assert_eq!(
        call!(
            app.client
                .api()
                .catalogue_publish(2023, None, &course("nursing", "x"))
        )
        .unwrap_err()
        .status(),
        Some(401)
    );
    let err = call!(
        authority
            .api()
            .catalogue_publish(2023, None, &course("astrology", "x"))
    )
    .unwrap_err();
    assert_eq!(err.code(), Some("series_unknown"));
    let err = call!(
        authority
            .api()
            .catalogue_publish(2016, None, &course("nursing", "x"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("year_invalid"));
}

#[tokio::test]
async fn r_cp_2_only_the_provincial_authority_of_the_series_publishes() {
    let app = spawn_app().await;
    let (province, province_view) = app.province_authority(&["nursing"]).await;
    // A Guangzhou authority of the same series, approved by the province.
    let p = app.register().await;
    let city = app.login_person(&p).await;
    let applied = call!(city.api().authority_apply(
        None,
        &authority_application(
            types::AuthorityLevel::City,
            "440100",
            &["nursing"],
            Some(province_view.id),
        )
    ))
    .unwrap();
    call!(
        province
            .api()
            .authority_review(&applied.id, None, &decision(types::Decision::Approve))
    )
    .unwrap();
    // 每年度专业科目及学习指南，由省行业主管部门于当年第一季度发布 (问答 一).
    let err = call!(
        city.api()
            .catalogue_publish(2023, None, &course("nursing", "护理安全管理"))
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("provincial_authority_only"));
    // A provincial authority of another series may not either.
    let (engineering, _) = app.province_authority(&["engineering"]).await;
    let err = call!(engineering.api().catalogue_publish(
        2023,
        None,
        &course("nursing", "护理安全管理")
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("series_not_supervised"));
    // Nothing was published; the province of the series still may.
    let reader = app.person().await;
    assert!(
        call!(reader.client.api().catalogue_list(2023, None, None, None))
            .unwrap()
            .items
            .is_empty()
    );
    let c = call!(
        province
            .api()
            .catalogue_publish(2023, None, &course("nursing", "护理安全管理"))
    )
    .unwrap();
    assert_eq!(c.level, types::AuthorityLevel::Province);
}
