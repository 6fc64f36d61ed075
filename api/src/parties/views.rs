//! What the parties' services answer with, built from rows: plain structs
//! the routes turn into the wire types of `routes::views::parties`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::Grant;
use crate::domain::authority::AuthorityLevel;
pub use crate::domain::party::{Category, PrincipalKind, ProviderLevel};
use crate::domain::review::ReviewStatus;
pub use crate::parties::persons::Person;
use crate::review::Review;

/// An access token (RFC 6749 §5.1).
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u32,
    /// An account's sign-in: the token that gets the next pair.
    pub refresh_token: Option<String>,
    /// Seconds until the refresh token expires unused.
    pub refresh_expires_in: Option<u32>,
}

/// The second factor is needed: an SMS code was sent to the bound phone.
#[derive(Debug, Clone)]
pub struct MfaChallenge {
    /// Always `true`.
    pub mfa_required: bool,
    /// Send it with the code to `POST /api/v1/auth/login/verify`.
    pub challenge_id: Uuid,
}

/// The answer to a login: a token, or an SMS challenge when the second
/// factor is on.
#[derive(Debug, Clone)]
pub enum LoginResponse {
    Token(TokenResponse),
    Mfa(MfaChallenge),
}

/// A password reset was started; a code goes to the bound phone when the
/// account exists (the answer is the same either way).
#[derive(Debug, Clone)]
pub struct PasswordResetStarted {
    /// Send it with the code and the new password to `/auth/password-reset/confirm`.
    pub challenge_id: Uuid,
}

/// The caller: account (or platform), grants and person.
#[derive(Debug, Clone)]
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
    pub person: Option<Person>,
}

/// A learning platform's client (secret never shown again).
#[derive(Debug, Clone)]
pub struct Platform {
    pub id: Uuid,
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
#[derive(Debug, Clone)]
pub struct PlatformCreated {
    pub platform: Platform,
    /// Shown only here; stored hashed.
    pub client_secret: String,
}

/// A page of platforms.
#[derive(Debug, Clone)]
pub struct PlatformPage {
    pub items: Vec<Platform>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A training provider (施教机构).
#[derive(Debug, Clone)]
pub struct Provider {
    pub id: Uuid,
    pub name: String,
    /// Unified social credit code; the preloaded city bases have none yet.
    pub credit_code: Option<String>,
    pub level: ProviderLevel,
    /// Number of a city-level base (市级继续教育基地), as on its stamp (R-PQ-4).
    pub base_no: Option<String>,
    /// What a city base trains for.
    pub scope: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

/// A page of providers.
#[derive(Debug, Clone)]
pub struct ProviderPage {
    pub items: Vec<Provider>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A stored file.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub id: Uuid,
    pub filename: String,
    /// Detected from the bytes: `application/pdf`, `image/png` or `image/jpeg`.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// An industry authority (行业主管部门) and where its application stands.
#[derive(Debug, Clone)]
pub struct Authority {
    pub id: Uuid,
    pub name: String,
    pub level: AuthorityLevel,
    /// Six-digit GB/T 2260 division code.
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
    pub version: i32,
}

/// An authority with its review history.
#[derive(Debug, Clone)]
pub struct AuthorityDetail {
    pub authority: Authority,
    /// The decisions on its application, oldest first.
    pub reviews: Vec<Review>,
}

/// A page of authorities.
#[derive(Debug, Clone)]
pub struct AuthorityPage {
    pub items: Vec<Authority>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A provider's professional-training qualification (专业培训资格) in one series.
#[derive(Debug, Clone)]
pub struct Qualification {
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
    pub version: i32,
}

/// A qualification with its review history.
#[derive(Debug, Clone)]
pub struct QualificationDetail {
    pub qualification: Qualification,
    /// The decisions on it, oldest first.
    pub reviews: Vec<Review>,
}

/// A page of qualifications.
#[derive(Debug, Clone)]
pub struct QualificationPage {
    pub items: Vec<Qualification>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}
