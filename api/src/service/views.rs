//! What the API answers with: the views services build from rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Grant;
pub use crate::service::persons::PersonView;

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
