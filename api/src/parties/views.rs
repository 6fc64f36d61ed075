//! What the API answers with: the views services build from rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Grant;
use crate::domain::authority::AuthorityLevel;
use crate::domain::review::ReviewStatus;
pub use crate::parties::persons::PersonView;
use crate::review::ReviewView;

/// An access token (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    #[schema(minimum = 1, maximum = 86400)]
    pub expires_in: u32,
}

/// The second factor is needed: an SMS code was sent to the bound phone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MfaChallenge {
    /// Always `true`.
    pub mfa_required: bool,
    /// Send it with the code to `POST /api/v1/auth/login/verify`.
    pub challenge_id: Uuid,
}

/// The answer to a login: a token, or an SMS challenge when the second
/// factor is on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    Token(TokenResponse),
    Mfa(MfaChallenge),
}

/// A password reset was started; a code goes to the bound phone when the
/// account exists (the answer is the same either way).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetStarted {
    /// Send it with the code and the new password to `/auth/password-reset/confirm`.
    pub challenge_id: Uuid,
}

/// Who the caller is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A human account.
    Account,
    /// A learning platform's machine client.
    Platform,
}

/// The caller: account (or platform), grants and person.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// The account id, or the platform id.
    pub id: Uuid,
    /// The person behind the account (what `/persons/{id}`, records and
    /// compliance take); `null` for accounts of no person and platforms.
    pub person_id: Option<Uuid>,
    pub kind: PrincipalKind,
    /// Account name such as `hrss-admin`, when the account has one.
    pub username: Option<String>,
    /// The platform's name, for platforms.
    pub name: Option<String>,
    /// The roles the account holds, with what they are about.
    pub grants: Vec<Grant>,
    /// Platform scopes, e.g. `records:push`.
    pub scopes: Vec<String>,
    /// The person behind the account, shown to its holder unmasked.
    pub person: Option<PersonView>,
}

/// A record category (R-RC-1).
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 公需科目
    Public,
    /// 专业科目
    Professional,
    /// 个人选修科目
    Elective,
}

/// A learning platform's client (secret never shown again).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlatformView {
    pub id: Uuid,
    #[schema(max_length = 100)]
    pub name: String,
    /// Send with the secret to `POST /api/v1/auth/token`.
    pub client_id: String,
    /// Record categories it may push.
    pub categories: Vec<Category>,
    /// Series families (`education`, `health`, `accounting`, …) it may push for.
    pub series_families: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// When it was revoked; its tokens are refused from then on.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A newly created platform client with its secret, shown only this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlatformCreated {
    #[serde(flatten)]
    pub platform: PlatformView,
    /// Shown only here; stored hashed.
    pub client_secret: String,
}

/// A page of platforms.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlatformPage {
    pub items: Vec<PlatformView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A provider's affiliation level (R-PQ-1).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProviderLevel {
    /// 市级
    City,
    /// 省级
    Province,
    /// 区级: not available; a registration with it is answered 422
    /// `provider_level_district` (choose `city`).
    District,
}

impl ProviderLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderLevel::City => "city",
            ProviderLevel::Province => "province",
            ProviderLevel::District => "district",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "city" => ProviderLevel::City,
            "province" => ProviderLevel::Province,
            "district" => ProviderLevel::District,
            _ => return None,
        })
    }
}

/// A training provider (施教机构).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderView {
    pub id: Uuid,
    #[schema(max_length = 100)]
    pub name: String,
    /// Unified social credit code; the preloaded city bases have none yet.
    #[schema(max_length = 18)]
    pub credit_code: Option<String>,
    pub level: ProviderLevel,
    /// Number of a city-level base (市级继续教育基地), as on its stamp (R-PQ-4).
    #[schema(max_length = 3, example = "001")]
    pub base_no: Option<String>,
    /// What a city base trains for.
    pub scope: Option<String>,
    pub created_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

/// A page of providers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderPage {
    pub items: Vec<ProviderView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A stored file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    pub id: Uuid,
    #[schema(max_length = 200)]
    pub filename: String,
    /// Detected from the bytes: `application/pdf`, `image/png` or `image/jpeg`.
    pub content_type: String,
    #[schema(minimum = 1)]
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes.
    #[schema(min_length = 64, max_length = 64)]
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// An industry authority (行业主管部门) and where its application stands.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorityView {
    pub id: Uuid,
    #[schema(max_length = 100)]
    pub name: String,
    pub level: AuthorityLevel,
    /// Six-digit GB/T 2260 division code.
    #[schema(min_length = 6, max_length = 6, example = "440100")]
    pub region: String,
    /// Professional series codes it supervises.
    pub series: Vec<String>,
    /// The authority one level up; `null` for a province.
    pub parent_id: Option<Uuid>,
    pub status: ReviewStatus,
    /// The account that applied; it gets the `authority` grant on approval.
    pub applicant_account_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

/// An authority with its review history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorityDetail {
    #[serde(flatten)]
    pub authority: AuthorityView,
    /// The decisions on its application, oldest first.
    pub reviews: Vec<ReviewView>,
}

/// A page of authorities.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorityPage {
    pub items: Vec<AuthorityView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A provider's professional-training qualification (专业培训资格) in one series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QualificationView {
    pub id: Uuid,
    pub provider_id: Uuid,
    /// Professional series code.
    pub series: String,
    /// The authority that reviews it.
    pub authority_id: Uuid,
    pub status: ReviewStatus,
    /// Supporting documents (`POST /api/v1/attachments`).
    pub attachment_ids: Vec<Uuid>,
    /// The account that applied.
    pub submitted_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

/// A qualification with its review history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QualificationDetail {
    #[serde(flatten)]
    pub qualification: QualificationView,
    /// The decisions on it, oldest first.
    pub reviews: Vec<ReviewView>,
}

/// A page of qualifications.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QualificationPage {
    pub items: Vec<QualificationView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}
