//! Annual certificates: automatic issue, reissue, revocation, the series
//! lock and public verification (R-CE-1..3, R-PU-3).

use ce_sdk::{Client, call, types};
use uuid::Uuid;

use crate::helpers::*;

/// A verified accountant bound to a fresh unit, with the unit's admin,
/// who has not set their region (信息采集所属区) yet: what the finance
/// departments confirm cannot be declared (R-ACC-4).
pub(crate) async fn accountant_without_region(app: &TestApp) -> (Signed, Signed, Uuid) {
    accountant_in(app, None).await
}

/// A verified accountant bound to a fresh unit, with the unit's admin, who
/// collected their information in Yuexiu (`ACCOUNTANTS_REGION`), whose
/// finance department (`TestApp::finance`) confirms what they apply for.
pub(crate) async fn accountant(app: &TestApp) -> (Signed, Signed, Uuid) {
    app.finance().await;
    accountant_in(app, Some(ACCOUNTANTS_REGION)).await
}

async fn accountant_in(app: &TestApp, region: Option<&str>) -> (Signed, Signed, Uuid) {
    let (admin, unit) = app.unit().await;
    let person = app.verified_person().await;
    call!(admin.client.api().unit_person_add(
        &unit.id,
        None,
        &types::UnitPersonAddRequest {
            id_card_no: person.person.id_card_no.parse().unwrap(),
            name: "张三".parse().unwrap(),
        }
    ))
    .unwrap();
    let profile = types::PersonUpdateRequest {
        region: region.map(|r| r.parse().unwrap()),
        ..series(&["accounting"])
    };
    call!(
        person
            .client
            .api()
            .person_update(&person.person_id(), None, &profile)
    )
    .unwrap();
    (person, admin, unit.id)
}

/// An accountant whose year is complete and certified, with the unit's
/// admin and the unit.
pub(crate) async fn certified_accountant(app: &TestApp) -> (Signed, Signed, Uuid) {
    let (person, admin, unit) = accountant(app).await;
    let r = exam_subject(&person, "中级会计实务").await;
    confirm(app, r.id).await;
    (person, admin, unit)
}

fn series(codes: &[&str]) -> types::PersonUpdateRequest {
    types::PersonUpdateRequest {
        name: None,
        phone: None,
        education: None,
        title: None,
        series: Some(codes.iter().map(|c| c.parse().unwrap()).collect()),
        series_year: Some(this_year()),
        region: None,
        series_terms: None,
    }
}

/// A passed exam subject, applied for by the accountant (passed outside
/// Guangdong: 由会计人员自行申请, R-ACC-4): pending with the finance
/// department of their district; confirmed, it alone completes their year
/// (R-ACC-2).
pub(crate) async fn exam_subject(person: &Signed, name: &str) -> types::RecordView {
    call!(person.client.api().record_declare(
        None,
        &types::DeclareRequest {
            year: this_year(),
            category: types::RecordCategory::Professional,
            series: Some("accounting".parse().unwrap()),
            course_name: name.parse().unwrap(),
            hours: 90.0,
            result: None,
            provider_name: None,
            attachment_ids: vec![],
            conversion: Some(types::ConversionRequest {
                code: "accounting_qualification_exam_subject".parse().unwrap(),
                quantity: None,
                results_published_on: None,
            }),
            general_knowledge: false,
            provider_id: None,
            base_no: None,
            class_id: None,
            initial_training: false,
        }
    ))
    .expect("declaring an exam subject")
}

/// Elective hours the person's unit reviews (R-RC-3).
pub(crate) async fn elective(person: &Signed, name: &str) -> types::RecordView {
    call!(person.client.api().record_declare(
        None,
        &types::DeclareRequest {
            year: this_year(),
            category: types::RecordCategory::Elective,
            series: None,
            course_name: name.parse().unwrap(),
            hours: 12.0,
            result: None,
            provider_name: Some("广州市会计学会".parse().unwrap()),
            attachment_ids: vec![],
            conversion: None,
            general_knowledge: false,
            provider_id: None,
            base_no: None,
            class_id: None,
            initial_training: false,
        }
    ))
    .expect("declaring elective hours")
}

/// The finance department of the accountants' district (`accountant`)
/// confirms what one applied for (R-ACC-4).
pub(crate) async fn confirm(app: &TestApp, record: Uuid) -> types::RecordView {
    call!(app.finance().await.district.api().record_review(
        &record,
        None,
        &decision(types::Decision::Approve)
    ))
    .expect("the finance department confirming")
}

pub(crate) async fn certificates_of(c: &Client, person: Uuid) -> Vec<types::CertificateView> {
    call!(
        c.api()
            .certificate_list(None, None, Some(&person), None, None)
    )
    .unwrap()
    .items
}

async fn verify(app: &TestApp, number: &str) -> types::VerifyView {
    call!(
        app.client
            .api()
            .certificate_verify(&number.parse().unwrap())
    )
    .unwrap()
}

#[tokio::test]
async fn r_ce_1_the_approval_that_completes_the_year_issues_its_certificate() {
    let app = spawn_app().await;
    let (person, admin, unit_id) = accountant(&app).await;
    let r = exam_subject(&person, "中级会计实务").await;
    assert!(
        certificates_of(&person.client, person.person_id())
            .await
            .is_empty()
    );
    confirm(&app, r.id).await;
    let certs = certificates_of(&person.client, person.person_id()).await;
    assert_eq!(certs.len(), 1);
    let c = &certs[0];
    assert_eq!(c.status, types::CertificateStatus::Valid);
    assert_eq!(c.year, this_year());
    assert_eq!(c.unit_id, Some(unit_id));
    assert_eq!(c.hours.professional, 90.0);
    assert_eq!(c.hours.series[0].series.as_str(), "accounting");
    // The unit and hrss see it too; a stranger does not.
    assert_eq!(
        certificates_of(&admin.client, person.person_id())
            .await
            .len(),
        1
    );
    let stranger = app.person().await;
    let err = call!(stranger.client.api().certificate_view(&c.id, None)).unwrap_err();
    assert_eq!(err.status(), Some(404));

    // Anyone can check the number.
    let v = verify(&app, c.number.as_str()).await;
    assert_eq!(v.status, "valid");
    assert_eq!(v.year, Some(this_year()));
    assert_eq!(v.holder_name_masked.as_deref(), Some("张*"));
    let masked = v.id_card_masked.unwrap();
    assert!(masked.contains('*'));
    assert_ne!(masked, person.person.id_card_no);
    assert_eq!(v.hours.unwrap().professional, 90.0);
    // Typed loosely, it still verifies.
    let loose = c.number.as_str().replace('-', "").to_lowercase();
    assert_eq!(verify(&app, &loose).await.status, "valid");

    // On demand: the year has one already; an incomplete year has none to give.
    let err = call!(person.client.api().certificate_issue(
        &person.person_id(),
        None,
        &types::IssueRequest { year: this_year() }
    ))
    .unwrap_err();
    assert_eq!(err.code(), Some("certificate_exists"));
    let err = call!(person.client.api().certificate_issue(
        &person.person_id(),
        None,
        &types::IssueRequest { year: 2023 }
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("year_incomplete"));
}

#[tokio::test]
async fn r_ce_1_racing_approvals_issue_exactly_one_certificate() {
    let app = spawn_app().await;
    let (person, _, _) = accountant(&app).await;
    let a = exam_subject(&person, "中级会计实务").await;
    let b = exam_subject(&person, "财务管理").await;
    let (x, y) = tokio::join!(confirm(&app, a.id), confirm(&app, b.id));
    let _ = (x, y);
    let certs = certificates_of(&person.client, person.person_id()).await;
    assert_eq!(certs.len(), 1, "{certs:?}");
}

#[tokio::test]
async fn r_ce_2_reissue_supersedes_and_hrss_revokes() {
    let app = spawn_app().await;
    let (person, _, _) = accountant(&app).await;
    let r = exam_subject(&person, "中级会计实务").await;
    confirm(&app, r.id).await;
    let old = certificates_of(&person.client, person.person_id())
        .await
        .remove(0);
    let new = call!(person.client.api().certificate_reissue(&old.id, None, None)).unwrap();
    assert_ne!(new.number, old.number);
    assert_eq!(new.status, types::CertificateStatus::Valid);
    assert_eq!(new.hours.professional, old.hours.professional);
    let was = call!(person.client.api().certificate_view(&old.id, None)).unwrap();
    assert_eq!(was.status, types::CertificateStatus::Superseded);
    assert_eq!(was.superseded_by, Some(new.id));
    // The old number says superseded, and nothing personal.
    let v = verify(&app, old.number.as_str()).await;
    assert_eq!(v.status, "superseded");
    assert_eq!(v.holder_name_masked, None);
    assert_eq!(v.id_card_masked, None);
    assert_eq!(verify(&app, new.number.as_str()).await.status, "valid");
    // A superseded certificate is not reissued again.
    let err = call!(person.client.api().certificate_reissue(&old.id, None, None)).unwrap_err();
    assert_eq!(err.code(), Some("illegal_transition"));

    // Only hrss revokes.
    let why = types::RevokeRequest {
        reason: "学时造假".parse().unwrap(),
    };
    let err = call!(person.client.api().certificate_revoke(&new.id, None, &why)).unwrap_err();
    assert_eq!(err.status(), Some(403));
    let hrss = app.hrss().await;
    let revoked = call!(hrss.api().certificate_revoke(&new.id, None, &why)).unwrap();
    assert_eq!(revoked.status, types::CertificateStatus::Revoked);
    let v = verify(&app, new.number.as_str()).await;
    assert_eq!(v.status, "revoked");
    assert_eq!(v.holder_name_masked, None);
}

#[tokio::test]
async fn r_ce_3_unknown_and_malformed_numbers_answer_the_same_shape() {
    let app = spawn_app().await;
    // A well-formed number nobody holds: a real one with one character
    // changed and the check character that makes it valid again (the
    // server echoes the number normalised only when it is well-formed).
    let (person, _, _) = accountant(&app).await;
    let r = exam_subject(&person, "中级会计实务").await;
    confirm(&app, r.id).await;
    let real = certificates_of(&person.client, person.person_id())
        .await
        .remove(0);
    let mut unknown = None;
    for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ".chars() {
        for d in "0123456789ABCDEFGHJKMNPQRSTVWXYZ".chars() {
            let mut s: Vec<char> = real.number.as_str().chars().collect();
            if s[5] == c {
                continue;
            }
            s[5] = c;
            s[18] = d;
            let candidate: String = s.into_iter().collect();
            let v = verify(&app, &candidate).await;
            if v.number.as_str() == candidate {
                unknown = Some(v);
                break;
            }
        }
        if unknown.is_some() {
            break;
        }
    }
    let v = unknown.expect("a well-formed unissued number");
    assert_eq!(v.status, "unknown");
    assert_eq!(v.year, None);
    assert_eq!(v.holder_name_masked, None);
    let v = verify(&app, "not-a-number").await;
    assert_eq!(v.status, "unknown");
    assert!(v.hours.is_none());
}

#[tokio::test]
async fn r_pu_3_a_certified_year_keeps_its_series() {
    let app = spawn_app().await;
    let (person, _, _) = accountant(&app).await;
    let r = exam_subject(&person, "中级会计实务").await;
    confirm(&app, r.id).await;
    let err = call!(person.client.api().person_update(
        &person.person_id(),
        None,
        &series(&["accounting", "economics"])
    ))
    .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("certificate_exists"));
    // The same series again changes nothing and is fine.
    call!(
        person
            .client
            .api()
            .person_update(&person.person_id(), None, &series(&["accounting"]))
    )
    .unwrap();
}

#[tokio::test]
async fn r_ce_3_checks_are_rate_limited_per_address() {
    let app = spawn_app_with(Options {
        verify_per_minute: 3,
        ..Options::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(verify(&app, "2026-0000-0000-0000").await.status, "unknown");
    }
    let err = call!(
        app.client
            .api()
            .certificate_verify(&"2026-0000-0000-0000".parse().unwrap())
    )
    .unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.code(), Some("rate_limited"));
}

/// Changes the hours of the first result in a credential's payload and
/// puts it back together with the original signature.
fn with_forged_hours(jws: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = jws.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["credentialSubject"]["result"][0]["value"] = "999".into();
    let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    format!("{}.{}.{}", parts[0], forged, parts[2])
}

#[tokio::test]
async fn r_ce_3_the_signed_credential_verifies_offline_and_not_when_altered() {
    let app = spawn_app().await;
    let (person, admin, _) = accountant(&app).await;
    let r = exam_subject(&person, "中级会计实务").await;
    confirm(&app, r.id).await;
    let c = certificates_of(&person.client, person.person_id())
        .await
        .remove(0);
    let cred = call!(person.client.api().certificate_credential(&c.id)).unwrap();
    assert_eq!(cred.format.as_str(), "vc+jwt");
    // The key set is public.
    let jwks = call!(app.client.api().issuer_jwks()).unwrap();
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(jwks.keys[0].kid.as_str(), cred.kid.as_str());

    let ok = ce_sdk::verify_credential(cred.jws.as_str(), &jwks).expect("a genuine credential");
    assert_eq!(ok.kid, cred.kid.as_str());
    assert_eq!(ok.claims["type"][2], "AchievementCredential");
    assert_eq!(ok.hours("professional"), Some(90.0));
    assert_eq!(ok.hours("series:accounting"), Some(90.0));
    assert_eq!(ok.hours("total"), Some(90.0));
    let evidence = ok.claims["evidence"][0]["id"].as_str().unwrap();
    assert!(evidence.ends_with(&format!("/api/v1/verify/{}", c.number.as_str())));
    // The ID number appears only hashed.
    assert!(!ok.claims.to_string().contains(&person.person.id_card_no));
    // The same certificate gives the same credential; the unit may fetch it.
    let again = call!(admin.client.api().certificate_credential(&c.id)).unwrap();
    assert_eq!(again.jws, cred.jws);

    // One byte changed anywhere, and it no longer verifies.
    let forged = with_forged_hours(cred.jws.as_str());
    assert!(matches!(
        ce_sdk::verify_credential(&forged, &jwks),
        Err(ce_sdk::CredentialError::BadSignature(_))
    ));
    let mut bytes = cred.jws.as_str().as_bytes().to_vec();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(bytes).unwrap();
    assert!(ce_sdk::verify_credential(&flipped, &jwks).is_err());
    // Another issuer's key set does not vouch for it.
    let mut other = serde_json::to_value(&jwks).unwrap();
    other["keys"][0]["x"] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into();
    assert!(ce_sdk::verify_credential(cred.jws.as_str(), &other).is_err());

    // Strangers get 404; a superseded certificate is not signed any more.
    let stranger = app.person().await;
    let err = call!(stranger.client.api().certificate_credential(&c.id)).unwrap_err();
    assert_eq!(err.status(), Some(404));
    call!(person.client.api().certificate_reissue(&c.id, None, None)).unwrap();
    let err = call!(person.client.api().certificate_credential(&c.id)).unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("certificate_not_valid"));
}

#[tokio::test]
async fn r_ce_3_verify_answers_a_page_to_browsers_and_json_to_programs() {
    let app = spawn_app().await;
    let (person, _, _) = certified_accountant(&app).await;
    let c = certificates_of(&person.client, person.person_id())
        .await
        .remove(0);
    let url = format!(
        "{}/api/v1/verify/{}",
        app.client.base_url(),
        c.number.as_str()
    );
    let http = reqwest::Client::new();
    let get = |accept: &'static str| http.get(&url).header("accept", accept).send();
    let page = get("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let ct = page.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"), "{ct}");
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    // Caches keep the page and the JSON apart (CORS adds its own names).
    let vary = page.headers()["vary"].to_str().unwrap();
    assert!(vary.split(',').any(|v| v.trim() == "Accept"), "{vary}");
    let html = page.text().await.unwrap();
    assert!(html.contains("有效") && html.contains(c.number.as_str()));
    for accept in [
        "application/json",
        "*/*",
        "application/json, text/html;q=0.5",
    ] {
        let r = get(accept).await.unwrap();
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(ct, "application/json", "{accept}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["status"], "valid");
    }
    // What is asked is never echoed unescaped.
    let r = http
        .get(format!(
            "{}/api/v1/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            app.client.base_url()
        ))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("未查到"));
    assert!(!html.contains("<script>"), "{html}");
}

/// Fetches a certificate's PDF through the SDK: content type and bytes.
async fn pdf_of(c: &Client, id: &Uuid) -> (String, Vec<u8>) {
    use futures_util::TryStreamExt;
    let res = c.api().certificate_pdf(id).await.expect("the PDF");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let chunks: Vec<_> = res.into_inner().into_inner().try_collect().await.unwrap();
    (ct, chunks.concat())
}

/// The embedded fonts of a PDF: (BaseFont, has ToUnicode) and the sizes of
/// their TrueType programs.
fn fonts_of(doc: &lopdf::Document) -> (Vec<(String, bool)>, Vec<usize>) {
    let mut fonts = vec![];
    let mut programs = vec![];
    for obj in doc.objects.values() {
        let dict = match obj {
            lopdf::Object::Dictionary(d) => d,
            lopdf::Object::Stream(s) => &s.dict,
            _ => continue,
        };
        if dict.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"Font".as_slice())
            && let Ok(name) = dict.get(b"BaseFont").and_then(|n| n.as_name())
        {
            fonts.push((
                String::from_utf8_lossy(name).into_owned(),
                dict.has(b"ToUnicode"),
            ));
        }
        if let Ok(r) = dict.get(b"FontFile2").and_then(|r| r.as_reference()) {
            let s = doc.get_object(r).and_then(|o| o.as_stream()).unwrap();
            programs.push(
                s.decompressed_content()
                    .unwrap_or_else(|_| s.content.clone())
                    .len(),
            );
        }
    }
    (fonts, programs)
}

#[tokio::test]
async fn r_ce_2_the_printable_pdf_holds_the_certificate_in_a_font_subset() {
    let app = spawn_app().await;
    let (person, admin, unit_id) = certified_accountant(&app).await;
    let c = certificates_of(&person.client, person.person_id())
        .await
        .remove(0);
    let unit = call!(admin.client.api().unit_view(&unit_id, None)).unwrap();
    let (ct, pdf) = pdf_of(&person.client, &c.id).await;
    assert_eq!(ct, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.len() < 200 * 1024, "{} bytes", pdf.len());

    // Kept as an artefact of the run, to look at.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("certificate.pdf"), &pdf).unwrap();

    let doc = lopdf::Document::load_mem(&pdf).expect("a PDF lopdf reads");
    let text = doc.extract_text(&[1]).expect("its text");
    for needle in [
        "专业技术人员继续教育证书",
        "张三",
        c.number.as_str(),
        unit.name.as_str(),
        "专业科目",
        "90",
        &format!("{}年度", this_year()),
        "扫码核验证书真伪",
    ] {
        assert!(text.contains(needle), "{needle:?} is not in:\n{text}");
    }
    // The ID number is masked on paper too.
    assert!(!text.contains(&person.person.id_card_no), "{text}");
    // Only the glyphs used are embedded: a tagged subset with a ToUnicode map.
    let (fonts, programs) = fonts_of(&doc);
    assert!(!fonts.is_empty());
    for (name, to_unicode) in &fonts {
        let (tag, _) = name.split_once('+').expect("a subset tag");
        assert!(
            tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()),
            "{name}"
        );
        assert!(to_unicode, "{name} has no ToUnicode map");
    }
    assert!(!programs.is_empty());
    assert!(programs.iter().all(|&n| n < 200 * 1024), "{programs:?}");

    // The unit and hrss print it too; a stranger cannot.
    assert_eq!(pdf_of(&admin.client, &c.id).await.0, "application/pdf");
    let hrss = app.hrss().await;
    assert_eq!(pdf_of(&hrss, &c.id).await.0, "application/pdf");
    let stranger = app.person().await;
    let err = call!(stranger.client.api().certificate_pdf(&c.id))
        .err()
        .unwrap();
    assert_eq!(err.status(), Some(404));
    // A revoked certificate is not printed.
    let why = types::RevokeRequest {
        reason: "学时造假".parse().unwrap(),
    };
    call!(hrss.api().certificate_revoke(&c.id, None, &why)).unwrap();
    let err = call!(person.client.api().certificate_pdf(&c.id))
        .err()
        .unwrap();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("certificate_not_valid"));
}

/// R-CE-3 and issue 17: nothing public lets anyone confirm an ID number
/// offline — the credential shows it masked, with no hash — and a
/// relying party that holds an applicant's number and name asks the API,
/// which audits and rate-limits every check.
#[tokio::test]
async fn r_ce_3_the_holder_is_confirmed_online_only_never_from_a_hash() {
    let app = spawn_app().await;
    let (person, admin, _) = certified_accountant(&app).await;
    let cert = certificates_of(&person.client, person.person_id()).await[0].clone();
    let id_card_no = person.person.id_card_no.clone();

    // The signed credential: the masked number, no hash, no salt.
    let jws = call!(person.client.api().certificate_credential(&cert.id))
        .unwrap()
        .jws
        .to_string();
    let payload = jws.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    let text = claims.to_string();
    assert!(!text.contains(&id_card_no));
    assert!(!text.contains("sha256") && !text.contains("salt"), "{text}");
    let ids = &claims["credentialSubject"]["identifier"];
    assert_eq!(ids[1]["hashed"], false);
    let masked = ids[1]["identityHash"].as_str().unwrap();
    assert_eq!(masked.len(), 18);
    assert_eq!(&masked[6..14], "********");

    // The unit's admin confirms the applicant, and is told of a stranger.
    let check = |c: &Client, id: String, name: &str| {
        let (c, number) = (c.clone(), cert.number.to_string());
        let name = name.to_string();
        async move {
            c.send_raw(
                reqwest::Method::POST,
                &format!("/api/v1/verify/{number}/holder"),
                Some("application/json"),
                serde_json::to_vec(&serde_json::json!({"id_card_no": id, "name": name})).unwrap(),
            )
            .await
            .unwrap()
        }
    };
    let r = check(&admin.client, id_card_no.clone(), "张三").await;
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["matches"], true);
    assert_eq!(v["status"], "valid");
    let r = check(&admin.client, id_card_no.clone(), "李四").await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["matches"], false);
    let r = check(&admin.client, crate::helpers::id_card_no(), "张三").await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["matches"], false);
    // A person may not ask; nobody without a token either.
    let r = check(&person.client, id_card_no.clone(), "张三").await;
    assert_eq!(r.status, 403);
    let r = check(&app.client, id_card_no.clone(), "张三").await;
    assert_eq!(r.status, 401);
    // Every check is in the audit trail, never with the number asked.
    let hrss = app.hrss().await;
    let events = call_ok(
        &hrss,
        reqwest::Method::GET,
        &format!("/audit-events?action=holder_checked&entity_id={}", cert.id),
        serde_json::Value::Null,
    )
    .await;
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{events}");
    assert!(!events.to_string().contains(&id_card_no));
    // 30 a minute per account (the three above count).
    let mut last = 0;
    for _ in 0..28 {
        last = check(&admin.client, id_card_no.clone(), "张三")
            .await
            .status;
    }
    assert_eq!(last, 429);
}
