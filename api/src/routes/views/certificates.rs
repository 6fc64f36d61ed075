//! Certificates on the wire: issued ones, what a number verifies as, and
//! whether a number is a named person's, and the issuer's public keys.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::certificates::{self, evaluation};
use crate::crypto::issuer;
use crate::domain::certificate::{ApplicantStatus, CertificateStatus};

/// One series' approved professional hours on a certificate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SeriesHours {
    #[schema(max_length = 64)]
    pub series: String,
    #[schema(minimum = 0)]
    pub hours: f64,
}

impl From<certificates::SeriesHours> for SeriesHours {
    fn from(v: certificates::SeriesHours) -> Self {
        Self {
            series: v.series,
            hours: v.hours,
        }
    }
}

/// The approved hours a certificate was issued for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateHours {
    #[schema(minimum = 0)]
    pub public: f64,
    #[schema(minimum = 0)]
    pub professional: f64,
    #[schema(minimum = 0)]
    pub elective: f64,
    #[schema(minimum = 0)]
    pub total: f64,
    pub series: Vec<SeriesHours>,
}

impl From<certificates::CertificateHours> for CertificateHours {
    fn from(v: certificates::CertificateHours) -> Self {
        Self {
            public: v.public,
            professional: v.professional,
            elective: v.elective,
            total: v.total,
            series: v.series.into_iter().map(Into::into).collect(),
        }
    }
}

/// An annual certificate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateView {
    pub id: Uuid,
    /// `YYYY-XXXX-XXXX-XXXX`: the year, eleven random characters and a
    /// check character from Crockford base 32 (no I, L, O, U).
    #[schema(min_length = 19, max_length = 19, example = "2026-7KQ2-M9XD-3HTV")]
    pub number: String,
    pub person_id: Uuid,
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    pub status: CertificateStatus,
    pub hours: CertificateHours,
    /// The person's unit when it was issued.
    pub unit_id: Option<Uuid>,
    /// The certificate that replaced this one.
    pub superseded_by: Option<Uuid>,
    /// Why hrss or the ledger revoked it (`hours_withdrawn`: a change left
    /// its year incomplete; `record_untruthful`: a record it relied on was
    /// found untruthful, R-RC-12); `null` unless revoked.
    #[schema(max_length = 500)]
    pub revoked_reason: Option<String>,
    /// Why it no longer stands: `reissued`, `hours_corrected` (superseded
    /// by one stating the hours that count now), `hours_withdrawn`,
    /// `record_untruthful`, or hrss's reason; `null` while valid.
    #[schema(max_length = 500)]
    pub status_reason: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<certificates::Certificate> for CertificateView {
    fn from(v: certificates::Certificate) -> Self {
        Self {
            id: v.id,
            number: v.number,
            person_id: v.person_id,
            year: v.year,
            status: v.status,
            hours: v.hours.into(),
            unit_id: v.unit_id,
            superseded_by: v.superseded_by,
            revoked_reason: v.revoked_reason,
            status_reason: v.status_reason,
            revoked_at: v.revoked_at,
            issued_at: v.issued_at,
            version: v.version,
        }
    }
}

/// A page of certificates.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificatePage {
    pub items: Vec<CertificateView>,
    pub next_cursor: Option<String>,
}

impl From<certificates::CertificatePage> for CertificatePage {
    fn from(v: certificates::CertificatePage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// What anyone holding a number learns (R-CE-3). Unknown numbers answer
/// the same shape; only a valid certificate shows whose it is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerifyView {
    /// `valid`, `superseded`, `revoked` or `unknown`.
    #[schema(example = "valid")]
    pub status: String,
    /// The number as asked, normalised when it is well-formed.
    #[schema(max_length = 64)]
    pub number: String,
    pub year: Option<i32>,
    pub hours: Option<CertificateHours>,
    #[schema(example = "张*")]
    pub holder_name_masked: Option<String>,
    #[schema(example = "440106********123X")]
    pub id_card_masked: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    /// A certificate of the old city system (历史证书), imported with its
    /// printed number; it verifies like a current one.
    #[serde(default)]
    pub legacy: bool,
    /// Why a superseded or revoked number no longer stands: `reissued`
    /// (a new number was asked for), `hours_corrected` (replaced by one
    /// stating the hours that count now), `hours_withdrawn` (its year no
    /// longer counts as complete), `record_untruthful` (a record of its
    /// year was found untruthful, R-RC-12), `revoked_by_hrss`.
    #[serde(default)]
    #[schema(example = "hours_withdrawn")]
    pub reason: Option<String>,
}

impl From<certificates::Verification> for VerifyView {
    fn from(v: certificates::Verification) -> Self {
        Self {
            status: v.status,
            number: v.number,
            year: v.year,
            hours: v.hours.map(Into::into),
            holder_name_masked: v.holder_name_masked,
            id_card_masked: v.id_card_masked,
            issued_at: v.issued_at,
            legacy: v.legacy,
            reason: v.reason,
        }
    }
}

/// Whether a number's holder is the person a relying party names.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HolderCheckView {
    /// The number as asked, normalised when it is well-formed.
    #[schema(max_length = 64)]
    pub number: String,
    /// `valid`, `superseded`, `revoked` or `unknown`, as `GET /verify/{number}`.
    #[schema(example = "valid")]
    pub status: String,
    /// The certificate is that person's: the ID number and the name both
    /// match its holder's. `false` for unknown numbers.
    pub matches: bool,
}

impl From<certificates::HolderCheck> for HolderCheckView {
    fn from(v: certificates::HolderCheck) -> Self {
        Self {
            number: v.number,
            status: v.status,
            matches: v.matches,
        }
    }
}

/// A public key as a JWK (RFC 8037 `OKP` / `Ed25519`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicJwk {
    /// Always `OKP`.
    #[schema(example = "OKP", max_length = 8)]
    pub kty: String,
    /// Always `Ed25519`.
    #[schema(example = "Ed25519", max_length = 16)]
    pub crv: String,
    /// The public key, base64url without padding.
    #[schema(min_length = 43, max_length = 43)]
    pub x: String,
    /// The key id credentials name in their header: the RFC 7638 thumbprint.
    #[schema(min_length = 43, max_length = 43)]
    pub kid: String,
    /// Always `EdDSA`.
    #[schema(example = "EdDSA", max_length = 8)]
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    #[schema(example = "sig", max_length = 8)]
    pub use_: String,
}

impl From<issuer::PublicJwk> for PublicJwk {
    fn from(v: issuer::PublicJwk) -> Self {
        Self {
            kty: v.kty,
            crv: v.crv,
            x: v.x,
            kid: v.kid,
            alg: v.alg,
            use_: v.use_,
        }
    }
}

/// The issuer's published keys.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Jwks {
    pub keys: Vec<PublicJwk>,
}

impl From<issuer::Jwks> for Jwks {
    fn from(v: issuer::Jwks) -> Self {
        Self {
            keys: v.keys.into_iter().map(Into::into).collect(),
        }
    }
}

/// A certificate as a title committee sees it (R-CE-5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckedCertificateView {
    #[schema(max_length = 32, example = "2026-7KQ3-M9XD-2HFA")]
    pub number: String,
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    pub status: CertificateStatus,
    pub issued_at: DateTime<Utc>,
    pub hours: CertificateHours,
    /// Why a superseded or revoked one no longer stands, as
    /// `GET /verify/{number}` says it (`reissued`, `hours_corrected`,
    /// `hours_withdrawn`, `record_untruthful`, `revoked_by_hrss`).
    #[schema(max_length = 32, example = "record_untruthful")]
    pub reason: Option<String>,
}

impl From<evaluation::CheckedCertificate> for CheckedCertificateView {
    fn from(v: evaluation::CheckedCertificate) -> Self {
        Self {
            number: v.number,
            year: v.year,
            status: v.status,
            issued_at: v.issued_at,
            hours: v.hours.into(),
            reason: v.reason,
        }
    }
}

/// What a title committee learns of one applicant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicantResultView {
    /// The ID number as asked, masked.
    #[schema(max_length = 18, example = "110105********002X")]
    pub id_card_masked: String,
    /// The name as asked (never the name on file).
    #[schema(max_length = 50, example = "张三")]
    pub name: String,
    pub status: ApplicantStatus,
    /// The certificates of the years asked, oldest first; empty unless
    /// `found` (and when the person has none of those years).
    pub certificates: Vec<CheckedCertificateView>,
}

impl From<evaluation::ApplicantResult> for ApplicantResultView {
    fn from(v: evaluation::ApplicantResult) -> Self {
        Self {
            id_card_masked: v.id_card_masked,
            name: v.name,
            status: v.status,
            certificates: v.certificates.into_iter().map(Into::into).collect(),
        }
    }
}

/// The answer to a title committee's check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvaluationCheckView {
    /// The years asked (the current year when none was named, R-CE-4).
    pub years: Vec<i32>,
    /// The series the committee evaluates.
    pub series: Vec<String>,
    /// One per applicant, in the order asked.
    pub results: Vec<ApplicantResultView>,
}

impl From<evaluation::EvaluationCheck> for EvaluationCheckView {
    fn from(v: evaluation::EvaluationCheck) -> Self {
        Self {
            years: v.years,
            series: v.series,
            results: v.results.into_iter().map(Into::into).collect(),
        }
    }
}
