//! A certificate outside the API: the signed credential anyone can check
//! offline, and the printable PDF (R-CE-2, R-CE-3). Both are made from the
//! certificate's snapshot of hours, for valid certificates only, and only
//! for those who may see the certificate (the person, their unit, hrss).

use chrono::SecondsFormat;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use ce_entity::{person, professional_series, unit};

use crate::auth::Caller;
use crate::certificates::{CertificateHours, load_visible};
use crate::domain::certificate::CertificateStatus;
use crate::error::ServiceError;
pub use crate::render::document::hours_text;
use crate::render::document::{Document, HoursLine};
use crate::state::AppState;

/// The JOSE `typ` of a credential (VC-JWT as Open Badges 3.0 uses it).
pub const CREDENTIAL_TYP: &str = "JWT";

/// Hours as printed: each category, each series' professional hours, the total.
fn lines(h: &CertificateHours, series_names: &[(String, String)]) -> Vec<HoursLine> {
    let mut out = vec![
        HoursLine {
            key: "public".into(),
            label: "公需科目".into(),
            hours: h.public,
        },
        HoursLine {
            key: "professional".into(),
            label: "专业科目".into(),
            hours: h.professional,
        },
    ];
    for s in &h.series {
        let name = series_names
            .iter()
            .find(|(code, _)| *code == s.series)
            .map_or(s.series.as_str(), |(_, name)| name.as_str());
        out.push(HoursLine {
            key: format!("series:{}", s.series),
            label: format!("　其中 {name}"),
            hours: s.hours,
        });
    }
    out.push(HoursLine {
        key: "elective".into(),
        label: "个人选修科目".into(),
        hours: h.elective,
    });
    out.push(HoursLine {
        key: "total".into(),
        label: "合计".into(),
        hours: h.total,
    });
    out
}

/// Loads what a valid certificate shows, and its holder, if the caller may
/// see it (404 otherwise); 409 `certificate_not_valid` for a superseded or
/// revoked one.
pub async fn document(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<(Document, person::Model), ServiceError> {
    let c = load_visible(state, auth, id).await?;
    if c.status != CertificateStatus::Valid {
        let why = crate::certificates::public_reason(&c)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        return Err(ServiceError::conflict(
            "certificate_not_valid",
            format!(
                "the certificate is {}{why}; only a valid one is printed or signed",
                c.status
            ),
        ));
    }
    let p = person::Entity::find_by_id(c.person_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let unit_name = match c.unit_id {
        Some(u) => unit::Entity::find_by_id(u)
            .one(&state.db)
            .await?
            .map(|u| u.name),
        None => None,
    };
    let hours: CertificateHours =
        serde_json::from_value(c.hours.clone()).map_err(anyhow::Error::from)?;
    let codes: Vec<String> = hours.series.iter().map(|s| s.series.clone()).collect();
    let series_names: Vec<(String, String)> = if codes.is_empty() {
        vec![]
    } else {
        professional_series::Entity::find()
            .filter(professional_series::Column::Code.is_in(codes))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|s| (s.code, s.name))
            .collect()
    };
    let settings = &state.settings;
    let doc = Document {
        certificate_id: c.id,
        person_id: c.person_id,
        number: c.number.clone(),
        year: c.year,
        holder_name: p.name.clone(),
        id_card_masked: p.id_card_masked.clone(),
        unit_name,
        lines: lines(&hours, &series_names),
        issued_at: c.issued_at,
        verify_url: settings.verify_url(&c.number),
        issuer_name: settings.issuer_name.clone(),
        issuer_url: settings.effective_public_url(),
    };
    Ok((doc, p))
}

/// The credential's claims: an Open Badges 3.0 `AchievementCredential`
/// (a W3C Verifiable Credential) with the VC-JWT registered claims beside
/// it. Pure, so the shape is tested without a server.
///
/// The holder's ID number appears only masked (as API.md masks it, in
/// plain text): no hash of it, salted or not, is in the credential, so
/// nobody can confirm or recover the number offline — an unkeyed hash of
/// an ID number whose region, sequence and check character are shown is
/// found in well under a second. A relying party that holds the
/// applicant's number confirms it through `POST /verify/{number}/holder`.
pub fn credential_claims(doc: &Document) -> Value {
    let issued = doc.issued_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let credential_id = format!("urn:uuid:{}", doc.certificate_id);
    let subject_id = format!("urn:uuid:{}", doc.person_id);
    let achievement_id = format!("{}/achievements/annual/{}", doc.issuer_url, doc.year);
    let descriptions: Vec<Value> = doc
        .lines
        .iter()
        .map(|l| {
            json!({
                "id": format!("{achievement_id}#{}", l.key),
                "type": ["ResultDescription"],
                "name": l.label.trim_start_matches('　'),
                "resultType": "ext:CreditHours",
            })
        })
        .collect();
    let results: Vec<Value> = doc
        .lines
        .iter()
        .map(|l| {
            json!({
                "type": ["Result"],
                "resultDescription": format!("{achievement_id}#{}", l.key),
                "value": hours_text(l.hours),
            })
        })
        .collect();
    let name = format!("{}年度专业技术人员继续教育证书", doc.year);
    json!({
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential", "AchievementCredential"],
        "name": name,
        "issuer": {
            "id": doc.issuer_url,
            "type": ["Profile"],
            "name": doc.issuer_name,
        },
        "issuanceDate": issued,
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": false,
                    "identityHash": doc.holder_name,
                },
                {
                    "type": "IdentityObject",
                    "identityType": "nationalIdentityNumber",
                    "hashed": false,
                    "identityHash": doc.id_card_masked,
                }
            ],
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": name,
                "description": "广东省专业技术人员继续教育年度学时证明",
                "criteria": {
                    "narrative": format!("{}年度继续教育学时达到规定要求", doc.year)
                },
                "resultDescription": descriptions,
            },
            "result": results,
        },
        "evidence": [{
            "id": doc.verify_url,
            "type": ["Evidence"],
            "name": format!("证书编号 {}", doc.number),
            "description": "在线核验证书状态（有效、已重新生成或已撤销）",
        }],
        "iss": doc.issuer_url,
        "jti": credential_id,
        "sub": subject_id,
        "nbf": doc.issued_at.timestamp(),
    })
}

/// R-CE-3: the certificate as a compact JWS signed with the issuer's key.
/// The same certificate always gives the same credential (Ed25519 is
/// deterministic).
pub async fn credential(state: &AppState, auth: &Caller, id: Uuid) -> Result<String, ServiceError> {
    let (doc, _) = document(state, auth, id).await?;
    let claims = credential_claims(&doc);
    Ok(state.issuer.sign(CREDENTIAL_TYP, &claims)?)
}

/// R-CE-2: the printable certificate, drawn off the async workers.
pub async fn pdf(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<(String, Vec<u8>), ServiceError> {
    let (doc, _) = document(state, auth, id).await?;
    let number = doc.number.clone();
    let bytes = state
        .blocking
        .run(move || crate::render::pdf::render(&doc))
        .await?
        .map_err(anyhow::Error::from)?;
    Ok((number, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::SeriesHours;
    use chrono::DateTime;

    fn doc() -> Document {
        let hours = CertificateHours {
            public: 30.0,
            professional: 60.0,
            elective: 0.0,
            total: 90.0,
            series: vec![SeriesHours {
                series: "accounting".into(),
                hours: 60.0,
            }],
        };
        Document {
            certificate_id: Uuid::nil(),
            person_id: Uuid::nil(),
            number: "2026-7KQ2-M9XD-3HTV".into(),
            year: 2026,
            holder_name: "张三".into(),
            id_card_masked: "440106********123X".into(),
            unit_name: Some("广州市第一人民医院".into()),
            lines: lines(&hours, &[("accounting".into(), "会计".into())]),
            issued_at: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            verify_url: "https://ce.example.cn/api/v1/verify/2026-7KQ2-M9XD-3HTV".into(),
            issuer_name: "广东省人力资源和社会保障厅".into(),
            issuer_url: "https://ce.example.cn".into(),
        }
    }

    #[test]
    fn hours_print_without_needless_decimals() {
        assert_eq!(hours_text(30.0), "30");
        assert_eq!(hours_text(2.5), "2.5");
    }

    #[test]
    fn lines_name_each_series_under_professional_hours() {
        let d = doc();
        let keys: Vec<&str> = d.lines.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "public",
                "professional",
                "series:accounting",
                "elective",
                "total"
            ]
        );
        assert!(d.lines[2].label.contains("会计"));
    }

    #[test]
    fn r_ce_3_claims_are_an_achievement_credential_with_hours_as_results() {
        let c = credential_claims(&doc());
        assert_eq!(c["type"][2], "AchievementCredential");
        assert_eq!(c["issuer"]["id"], "https://ce.example.cn");
        assert_eq!(c["iss"], c["issuer"]["id"]);
        assert_eq!(c["jti"], c["id"]);
        assert_eq!(c["sub"], c["credentialSubject"]["id"]);
        let results = c["credentialSubject"]["result"].as_array().unwrap();
        assert_eq!(results.len(), 5);
        assert_eq!(results[0]["value"], "30");
        assert_eq!(results[4]["value"], "90");
        let ids = &c["credentialSubject"]["identifier"];
        assert_eq!(ids[0]["identityHash"], "张三");
        // Masked, and no hash of the number anywhere (issue 17).
        assert_eq!(ids[1]["identityType"], "nationalIdentityNumber");
        assert_eq!(ids[1]["hashed"], false);
        assert_eq!(ids[1]["identityHash"], "440106********123X");
        let text = c.to_string();
        assert!(!text.contains("sha256"), "{text}");
        assert!(!text.contains("salt"), "{text}");
        assert_eq!(
            c["evidence"][0]["id"],
            "https://ce.example.cn/api/v1/verify/2026-7KQ2-M9XD-3HTV"
        );
    }
}
