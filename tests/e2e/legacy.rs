//! Legacy data (历史(旧系统)数据): hrss imports the old city system's records
//! and certificates from CSV, bad rows reported and good ones kept, twice
//! without duplicates; the person (registered later) and their unit read
//! them as history; their certificates verify with a legacy marker; they
//! never count towards compliance and no record endpoint reaches them.

use ce_sdk::{call, types};

use crate::helpers::*;

const RECORDS_HEADER: &str =
    "legacy_id,id_card_no,name,year,category,series,course_name,hours,completed_on";

/// Three good rows (two for `id`, one for `other`) and five bad ones, each
/// with the line it is on.
fn records_csv(id: &str, other: &str) -> String {
    let bad_check = with_wrong_check(id);
    format!(
        "\u{FEFF}{RECORDS_HEADER}\n\
         R-1,{id},张三,2016,专业科目,engineering,结构设计规范,24,2016-05-01\n\
         R-2,{id},张三,2017,public,,\"公需课, 第一讲\",12.5,\n\
         R-3,{bad_check},张三,2016,elective,,讲座,6,\n\
         R-4,{id},张三,2019,elective,,讲座,6,\n\
         R-5,{id},张三,2016,elective,,讲座,-3,\n\
         R-6,{id},张三,2016,professional,no_such_series,讲座,6,\n\
         R-7,{id},张三\n\
         R-8,{other},李四,2018,elective,,讲座,6,2018-03-01\n"
    )
}

const CERTIFICATES_HEADER: &str = "number,id_card_no,name,year,public_hours,professional_hours,elective_hours,issued_on,unit_name";

fn certificates_csv(id: &str, reserved: &str) -> String {
    format!(
        "{CERTIFICATES_HEADER}\r\n\
         gz2016-000123,{id},张三,2016,12,42,18,2017-01-15,广州市某某医院\r\n\
         {reserved},{id},张三,2016,12,42,18,2017-01-15,\r\n\
         GZ2019-000001,{id},张三,2019,12,42,18,2020-01-15,\r\n"
    )
}

async fn import(
    c: &ce_sdk::Client,
    kind: types::LegacyKind,
    csv: &str,
) -> Result<types::LegacyImportReport, ce_sdk::Error> {
    call!(c.api().legacy_import(kind, csv.as_bytes().to_vec()))
}

fn lines_and_codes(r: &types::LegacyImportReport) -> Vec<(i64, String)> {
    r.rejections
        .iter()
        .map(|x| (x.line, x.code.to_string()))
        .collect()
}

/// Registers the holder of `id` (as 张三) and signs them in.
async fn register_as(app: &TestApp, id: &str) -> Signed {
    let phone = phone_no();
    let me = call!(app.client.api().auth_register(&registration(id, &phone))).unwrap();
    let person = Person {
        id_card_no: id.to_string(),
        phone,
        password: PASSWORD.into(),
        me,
    };
    let client = app.login_person(&person).await;
    Signed { person, client }
}

#[tokio::test]
async fn a_legacy_csv_with_bad_rows_imports_the_good_ones_and_reports_the_bad_twice_without_duplicates()
 {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let (id, other) = (id_card_no(), id_card_no());
    let csv = records_csv(&id, &other);

    let first = import(&hrss, types::LegacyKind::Records, &csv)
        .await
        .unwrap();
    assert_eq!(
        (first.rows, first.imported, first.unchanged, first.rejected),
        (8, 3, 0, 5)
    );
    let expected: Vec<(i64, String)> = [
        (4, "id_card_invalid"),
        (5, "year_not_legacy"),
        (6, "hours_invalid"),
        (7, "series_unknown"),
        (8, "columns_missing"),
    ]
    .iter()
    .map(|(l, c)| (*l, c.to_string()))
    .collect();
    assert_eq!(lines_and_codes(&first), expected);
    assert_eq!(
        first.rejections[0].key.as_ref().map(|k| k.as_str()),
        Some("R-3")
    );
    assert!(first.rejections.iter().all(|r| !r.detail.is_empty()));
    // The report never echoes an ID number.
    let text = serde_json::to_string(&first).unwrap();
    assert!(!text.contains(&id) && !text.contains(&other));

    // The same file again changes nothing.
    let again = import(&hrss, types::LegacyKind::Records, &csv)
        .await
        .unwrap();
    assert_eq!(
        (again.rows, again.imported, again.unchanged, again.rejected),
        (8, 0, 3, 5)
    );
    assert_eq!(lines_and_codes(&again), expected);
    assert_ne!(again.import_id, first.import_id);

    // A changed row under a key imported before is refused, not overwritten.
    let changed = format!(
        "{RECORDS_HEADER}\nR-1,{id},张三,2016,专业科目,engineering,结构设计规范,30,2016-05-01\n"
    );
    let conflict = import(&hrss, types::LegacyKind::Records, &changed)
        .await
        .unwrap();
    assert_eq!((conflict.imported, conflict.rejected), (0, 1));
    assert_eq!(
        lines_and_codes(&conflict),
        vec![(2, "conflict".to_string())]
    );

    // Certificates: one good, one of the current numbering, one of 2019.
    let current =
        ce_api::domain::certificate::CertificateNumber::generate(2016, &mut rand::thread_rng());
    let certs = certificates_csv(&id, current.as_ref());
    let c1 = import(&hrss, types::LegacyKind::Certificates, &certs)
        .await
        .unwrap();
    assert_eq!((c1.imported, c1.unchanged, c1.rejected), (1, 0, 2));
    let codes: Vec<String> = c1.rejections.iter().map(|r| r.code.to_string()).collect();
    assert_eq!(codes, vec!["number_reserved", "year_not_legacy"]);
    let c2 = import(&hrss, types::LegacyKind::Certificates, &certs)
        .await
        .unwrap();
    assert_eq!((c2.imported, c2.unchanged, c2.rejected), (0, 1, 2));

    // The holder registers afterwards and finds their history, once.
    let person = register_as(&app, &id).await;
    let h = call!(
        person
            .client
            .api()
            .person_legacy_history(&person.person_id())
    )
    .unwrap();
    let keys: Vec<&str> = h.records.iter().map(|r| r.legacy_id.as_str()).collect();
    assert_eq!(keys, vec!["R-1", "R-2"]);
    assert_eq!(h.records[0].hours, 24.0);
    assert_eq!(h.records[0].category, types::RecordCategory::Professional);
    assert_eq!(h.records[1].course_name.as_str(), "公需课, 第一讲");
    assert_eq!(h.certificates.len(), 1);
    assert_eq!(h.certificates[0].number.as_str(), "GZ2016-000123");
    assert_eq!(h.certificates[0].hours.total, 72.0);
}

#[tokio::test]
async fn legacy_history_is_for_the_person_their_unit_and_hrss() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let person = app.verified_person().await;
    let id = person.person.id_card_no.clone();
    import(
        &hrss,
        types::LegacyKind::Records,
        &records_csv(&id, &id_card_no()),
    )
    .await
    .unwrap();

    let (admin, unit) = app.unit().await;
    call!(admin.client.api().unit_person_add(
        &unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: id.parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .unwrap();
    let pid = person.person_id();
    let seen = call!(admin.client.api().person_legacy_history(&pid)).unwrap();
    assert_eq!(seen.records.len(), 2);
    let by_hrss = call!(hrss.api().person_legacy_history(&pid)).unwrap();
    assert_eq!(by_hrss.records.len(), 2);

    let (other_admin, _) = app.unit().await;
    let err = call!(other_admin.client.api().person_legacy_history(&pid)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let stranger = app.person().await;
    let err = call!(stranger.client.api().person_legacy_history(&pid)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let platform = app.platform().await;
    let err = call!(platform.api().person_legacy_history(&pid)).unwrap_err();
    assert_eq!(err.status(), Some(403));

    // Only hrss imports.
    for c in [&person.client, &admin.client, &platform] {
        let err = import(c, types::LegacyKind::Records, RECORDS_HEADER)
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(403));
    }
}

#[tokio::test]
async fn a_legacy_certificate_verifies_like_a_new_one_marked_as_legacy() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let id = id_card_no();
    let r = import(
        &hrss,
        types::LegacyKind::Certificates,
        &certificates_csv(&id, "GZ2016-000124"),
    )
    .await
    .unwrap();
    assert_eq!(r.imported, 2);

    // As printed, or typed in lower case.
    for typed in ["GZ2016-000123", "gz2016-000123"] {
        let v = call!(app.client.api().certificate_verify(&typed.parse().unwrap())).unwrap();
        assert_eq!(v.status.as_str(), "valid");
        assert_eq!(v.legacy, Some(true));
        assert_eq!(v.number.as_str(), "GZ2016-000123");
        assert_eq!(v.year, Some(2016));
        assert_eq!(v.holder_name_masked.as_deref(), Some("张*"));
        let masked = v.id_card_masked.unwrap();
        assert!(masked.contains("********") && !masked.contains(&id[6..14]));
        assert_eq!(v.hours.unwrap().total, 72.0);
    }
    let unknown = call!(
        app.client
            .api()
            .certificate_verify(&"GZ2016-999999".parse().unwrap())
    )
    .unwrap();
    assert_eq!(unknown.status.as_str(), "unknown");
    assert_ne!(unknown.legacy, Some(true));

    let url = format!("{}/api/v1/verify/GZ2016-000123", app.client.base_url());
    let html = reqwest::Client::new()
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("有效") && html.contains("历史证书"), "{html}");
}

#[tokio::test]
async fn legacy_records_never_count_and_no_record_endpoint_reaches_them() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    let person = app.verified_person().await;
    let id = person.person.id_card_no.clone();
    let csv = format!(
        "{RECORDS_HEADER}\n\
         P-1,{id},张三,2018,public,,公需课,30,\n\
         P-2,{id},张三,2018,professional,engineering,专业课,60,\n\
         P-3,{id},张三,2018,elective,,选修课,30,\n"
    );
    assert_eq!(
        import(&hrss, types::LegacyKind::Records, &csv)
            .await
            .unwrap()
            .imported,
        3
    );
    let pid = person.person_id();
    let c = &person.client;
    for year in [2018, this_year()] {
        let s = call!(c.api().person_compliance(&pid, Some(year))).unwrap();
        assert_eq!(s.categories.public.approved, 0.0, "{year}");
        assert_eq!(s.categories.professional.approved, 0.0, "{year}");
        assert_eq!(s.categories.elective.approved, 0.0, "{year}");
        assert!(!s.complete);
    }
    let records = call!(
        c.api()
            .record_list(None, None, None, None, None, None, None, None, None)
    )
    .unwrap();
    assert!(records.items.is_empty());
    let h = call!(c.api().person_legacy_history(&pid)).unwrap();
    let legacy_id = h.records[0].id;
    let err = call!(c.api().record_view(&legacy_id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = call!(c.api().record_update(
        &legacy_id,
        None,
        &types::UpdateRecordRequest {
            course_name: None,
            hours: Some(1.0),
            result: None,
            provider_name: None,
            attachment_ids: vec![],
        }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    // Not even the person's unit can review (close) one.
    let (admin, unit) = app.unit().await;
    call!(admin.client.api().unit_person_add(
        &unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: id.parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .unwrap();
    let err = call!(admin.client.api().record_review(
        &legacy_id,
        None,
        &decision(types::Decision::RejectClose)
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(
        call!(admin.client.api().person_legacy_history(&pid))
            .unwrap()
            .records
            .len(),
        3
    );
    // No certificate came of the legacy hours.
    let certs = call!(c.api().certificate_list(None, None, None, None, None)).unwrap();
    assert!(certs.items.is_empty());
}

#[tokio::test]
async fn a_file_that_does_not_fit_is_refused_whole() {
    let app = spawn_app().await;
    let hrss = app.hrss().await;
    // A header without `hours` and with a misspelt column.
    let err = import(
        &hrss,
        types::LegacyKind::Records,
        "legacy_id,id_card_no,name,year,category,course_nmae\n",
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("csv_header_invalid"));
    let fields: Vec<String> = err
        .problem()
        .unwrap()
        .errors
        .iter()
        .map(|e| format!("{}:{}", e.field, e.code))
        .collect();
    assert!(
        fields.contains(&"hours:column_missing".to_string()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"course_nmae:column_unknown".to_string()),
        "{fields:?}"
    );
    // GBK is not UTF-8.
    let err = call!(hrss.api().legacy_import(
        types::LegacyKind::Records,
        b"legacy_id,\xd5\xc5\xc8\xfd\n".to_vec()
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("csv_encoding_invalid"));
    // Over the body limit: 413 problem.
    let big = vec![b'a'; app.settings.limits.legacy_import_bytes + 1];
    let err = call!(hrss.api().legacy_import(types::LegacyKind::Records, big)).unwrap_err();
    assert_eq!(err.status(), Some(413));
    assert_eq!(err.code(), Some("payload_too_large"));
}
