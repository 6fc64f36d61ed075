//! The parties' answers on the wire: accounts and tokens, persons, units
//! and their admins, bindings, teachers, platforms, providers, authorities,
//! qualifications and attachments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{self, Role};
use ce_entity::state::BindingStatus;

use crate::domain::authority::AuthorityLevel;
use crate::domain::party::{
    AdminStatus, BindingInitiator, Category, Education, OwnerType, PrincipalKind, ProviderLevel,
};
use crate::domain::review::ReviewStatus;
use crate::parties::{bindings, persons, teachers, units, views};
use crate::routes::views::review::ReviewView;

/// The series a person must satisfy in one year (R-PU-2, R-PU-4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SeriesYear {
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    /// Series codes (`engineering`, `nursing`, …).
    pub series: Vec<String>,
}

impl From<persons::SeriesYear> for SeriesYear {
    fn from(v: persons::SeriesYear) -> Self {
        Self {
            year: v.year,
            series: v.series,
        }
    }
}

/// A person. ID and phone numbers are masked (`440106********123X`,
/// `138****1234`) for everyone but the holder, their unit and hrss.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonView {
    pub id: Uuid,
    #[schema(max_length = 50)]
    pub name: String,
    /// Resident ID number, masked unless the caller may see it.
    #[schema(max_length = 18, example = "440106********123X")]
    pub id_card_no: String,
    /// Bound mobile phone, masked unless the caller may see it.
    #[schema(max_length = 11, example = "138****1234")]
    pub phone: Option<String>,
    /// Passed real-name verification (R-ID-2).
    pub verified: bool,
    pub education: Option<Education>,
    /// Professional title (职称), free text.
    #[schema(max_length = 64)]
    pub title: Option<String>,
    /// Series per year, newest first (R-PU-2, R-PU-4).
    pub series: Vec<SeriesYear>,
    /// The unit the person is bound to now (R-PU-1).
    pub current_unit_id: Option<Uuid>,
    /// The district of the person's information collection (信息采集所属区):
    /// its finance department and sector authority review what is routed
    /// to them (R-ACC-4, R-RC-10).
    #[schema(max_length = 6, example = "440106")]
    pub region: Option<String>,
    /// Per series, the terms of the person's membership (R-ACC-6, R-ARC-1).
    #[serde(default)]
    pub series_terms: Vec<SeriesTermsView>,
    pub created_at: chrono::DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

/// What a person's membership of a series says beyond the years held.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SeriesTermsView {
    #[schema(max_length = 64)]
    pub series: String,
    /// Accounting: qualification or first accounting job (duty starts the
    /// next year, R-ACC-6). Archives: first day in the post (R-ARC-1).
    pub started_on: Option<chrono::NaiveDate>,
    /// Accounting: studying until this day, owing nothing before its year
    /// (R-ACC-6).
    pub studying_until: Option<chrono::NaiveDate>,
    /// Archives: holds an archives degree (R-ARC-1).
    pub has_degree: Option<bool>,
}

impl From<persons::SeriesTerms> for SeriesTermsView {
    fn from(v: persons::SeriesTerms) -> Self {
        Self {
            series: v.series,
            started_on: v.started_on,
            studying_until: v.studying_until,
            has_degree: v.has_degree,
        }
    }
}

impl From<persons::Person> for PersonView {
    fn from(v: persons::Person) -> Self {
        Self {
            id: v.id,
            name: v.name,
            id_card_no: v.id_card_no,
            phone: v.phone,
            verified: v.verified,
            education: v.education,
            title: v.title,
            series: v.series.into_iter().map(Into::into).collect(),
            current_unit_id: v.current_unit_id,
            region: v.region,
            series_terms: v.series_terms.into_iter().map(Into::into).collect(),
            created_at: v.created_at,
            version: v.version,
        }
    }
}

/// A page of persons.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonPage {
    pub items: Vec<PersonView>,
    pub next_cursor: Option<String>,
}

impl From<persons::PersonPage> for PersonPage {
    fn from(v: persons::PersonPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// A teacher on a roster.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TeacherView {
    pub id: Uuid,
    pub owner_type: OwnerType,
    pub owner_id: Uuid,
    #[schema(max_length = 50)]
    pub name: String,
    #[schema(max_length = 64)]
    pub title: Option<String>,
    /// Only enabled teachers can teach or head a class (R-T-1).
    pub enabled: bool,
    pub created_at: chrono::DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<teachers::Teacher> for TeacherView {
    fn from(v: teachers::Teacher) -> Self {
        Self {
            id: v.id,
            owner_type: v.owner_type,
            owner_id: v.owner_id,
            name: v.name,
            title: v.title,
            enabled: v.enabled,
            created_at: v.created_at,
            version: v.version,
        }
    }
}

/// A page of teachers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TeacherPage {
    pub items: Vec<TeacherView>,
    pub next_cursor: Option<String>,
}

impl From<teachers::TeacherPage> for TeacherPage {
    fn from(v: teachers::TeacherPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// A unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitView {
    pub id: Uuid,
    #[schema(max_length = 100)]
    pub name: String,
    /// Unified social credit code (GB 32100).
    #[schema(min_length = 18, max_length = 18, example = "91350100M000100Y43")]
    pub credit_code: String,
    #[schema(max_length = 200)]
    pub address: Option<String>,
    #[schema(max_length = 20)]
    pub contact_phone: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<units::Unit> for UnitView {
    fn from(v: units::Unit) -> Self {
        Self {
            id: v.id,
            name: v.name,
            credit_code: v.credit_code,
            address: v.address,
            contact_phone: v.contact_phone,
            created_at: v.created_at,
            version: v.version,
        }
    }
}

/// A page of units.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitPage {
    pub items: Vec<UnitView>,
    pub next_cursor: Option<String>,
}

impl From<units::UnitPage> for UnitPage {
    fn from(v: units::UnitPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// An admin sub-account of a unit (子账号).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminView {
    pub account_id: Uuid,
    /// The person behind the account.
    pub name: Option<String>,
    pub status: AdminStatus,
    pub since: chrono::DateTime<Utc>,
}

impl From<units::Admin> for AdminView {
    fn from(v: units::Admin) -> Self {
        Self {
            account_id: v.account_id,
            name: v.name,
            status: v.status,
            since: v.since,
        }
    }
}

/// The admins of a unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminList {
    pub items: Vec<AdminView>,
}

impl From<units::AdminList> for AdminList {
    fn from(v: units::AdminList) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
        }
    }
}

/// A person's binding to a unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BindingView {
    pub id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    pub unit_id: Uuid,
    pub unit_name: String,
    pub status: BindingStatus,
    pub initiated_by: BindingInitiator,
    pub created_at: chrono::DateTime<Utc>,
    pub decided_at: Option<chrono::DateTime<Utc>>,
    #[schema(max_length = 500)]
    pub comment: Option<String>,
    pub ended_at: Option<chrono::DateTime<Utc>>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<bindings::Binding> for BindingView {
    fn from(v: bindings::Binding) -> Self {
        Self {
            id: v.id,
            person_id: v.person_id,
            person_name: v.person_name,
            unit_id: v.unit_id,
            unit_name: v.unit_name,
            status: v.status,
            initiated_by: v.initiated_by,
            created_at: v.created_at,
            decided_at: v.decided_at,
            comment: v.comment,
            ended_at: v.ended_at,
            version: v.version,
        }
    }
}

/// A page of bindings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BindingPage {
    pub items: Vec<BindingView>,
    pub next_cursor: Option<String>,
}

impl From<bindings::BindingPage> for BindingPage {
    fn from(v: bindings::BindingPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

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
    /// A person's or admin's sign-in only (not a platform's): send it to
    /// `POST /api/v1/auth/refresh` for the next pair before or after the
    /// access token expires. It works once; keep it as secret as a
    /// password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "rt_2vQm8Yw3kR0xLb7nTz5cHf1pJd9sGa4eUo6iNyWqXcE")]
    pub refresh_token: Option<String>,
    /// Seconds until the refresh token expires unused (with `refresh_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, example = 2592000)]
    pub refresh_expires_in: Option<u32>,
}

impl From<views::TokenResponse> for TokenResponse {
    fn from(v: views::TokenResponse) -> Self {
        Self {
            access_token: v.access_token,
            token_type: v.token_type,
            expires_in: v.expires_in,
            refresh_token: v.refresh_token,
            refresh_expires_in: v.refresh_expires_in,
        }
    }
}

/// The second factor is needed: an SMS code was sent to the bound phone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MfaChallenge {
    /// Always `true`.
    pub mfa_required: bool,
    /// Send it with the code to `POST /api/v1/auth/login/verify`.
    pub challenge_id: Uuid,
}

impl From<views::MfaChallenge> for MfaChallenge {
    fn from(v: views::MfaChallenge) -> Self {
        Self {
            mfa_required: v.mfa_required,
            challenge_id: v.challenge_id,
        }
    }
}

/// The answer to a login: a token, or an SMS challenge when the second
/// factor is on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    Token(TokenResponse),
    Mfa(MfaChallenge),
}

impl From<views::LoginResponse> for LoginResponse {
    fn from(v: views::LoginResponse) -> Self {
        match v {
            views::LoginResponse::Token(t) => Self::Token(t.into()),
            views::LoginResponse::Mfa(m) => Self::Mfa(m.into()),
        }
    }
}

/// A password reset was started; a code goes to the bound phone when the
/// account exists (the answer is the same either way).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetStarted {
    /// Send it with the code and the new password to `/auth/password-reset/confirm`.
    pub challenge_id: Uuid,
}

impl From<views::PasswordResetStarted> for PasswordResetStarted {
    fn from(v: views::PasswordResetStarted) -> Self {
        Self {
            challenge_id: v.challenge_id,
        }
    }
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

impl From<views::Me> for Me {
    fn from(v: views::Me) -> Self {
        Self {
            id: v.id,
            person_id: v.person_id,
            kind: v.kind,
            username: v.username,
            name: v.name,
            grants: v.grants.into_iter().map(Into::into).collect(),
            scopes: v.scopes,
            person: v.person.map(Into::into),
        }
    }
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

impl From<views::Platform> for PlatformView {
    fn from(v: views::Platform) -> Self {
        Self {
            id: v.id,
            name: v.name,
            client_id: v.client_id,
            categories: v.categories,
            series_families: v.series_families,
            created_at: v.created_at,
            revoked_at: v.revoked_at,
        }
    }
}

/// A newly created platform client with its secret, shown only this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlatformCreated {
    #[serde(flatten)]
    pub platform: PlatformView,
    /// Shown only here; stored hashed.
    pub client_secret: String,
}

impl From<views::PlatformCreated> for PlatformCreated {
    fn from(v: views::PlatformCreated) -> Self {
        Self {
            platform: v.platform.into(),
            client_secret: v.client_secret,
        }
    }
}

/// A page of platforms.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlatformPage {
    pub items: Vec<PlatformView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

impl From<views::PlatformPage> for PlatformPage {
    fn from(v: views::PlatformPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
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

impl From<views::Provider> for ProviderView {
    fn from(v: views::Provider) -> Self {
        Self {
            id: v.id,
            name: v.name,
            credit_code: v.credit_code,
            level: v.level,
            base_no: v.base_no,
            scope: v.scope,
            created_at: v.created_at,
            version: v.version,
        }
    }
}

/// A page of providers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderPage {
    pub items: Vec<ProviderView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

impl From<views::ProviderPage> for ProviderPage {
    fn from(v: views::ProviderPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
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

impl From<views::Attachment> for AttachmentView {
    fn from(v: views::Attachment) -> Self {
        Self {
            id: v.id,
            filename: v.filename,
            content_type: v.content_type,
            size_bytes: v.size_bytes,
            sha256: v.sha256,
            created_at: v.created_at,
        }
    }
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

impl From<views::Authority> for AuthorityView {
    fn from(v: views::Authority) -> Self {
        Self {
            id: v.id,
            name: v.name,
            level: v.level,
            region: v.region,
            series: v.series,
            parent_id: v.parent_id,
            status: v.status,
            applicant_account_id: v.applicant_account_id,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// An authority with its review history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorityDetail {
    #[serde(flatten)]
    pub authority: AuthorityView,
    /// The decisions on its application, oldest first.
    pub reviews: Vec<ReviewView>,
}

impl From<views::AuthorityDetail> for AuthorityDetail {
    fn from(v: views::AuthorityDetail) -> Self {
        Self {
            authority: v.authority.into(),
            reviews: v.reviews.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page of authorities.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorityPage {
    pub items: Vec<AuthorityView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

impl From<views::AuthorityPage> for AuthorityPage {
    fn from(v: views::AuthorityPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
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

impl From<views::Qualification> for QualificationView {
    fn from(v: views::Qualification) -> Self {
        Self {
            id: v.id,
            provider_id: v.provider_id,
            series: v.series,
            authority_id: v.authority_id,
            status: v.status,
            attachment_ids: v.attachment_ids,
            submitted_by: v.submitted_by,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// A qualification with its review history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QualificationDetail {
    #[serde(flatten)]
    pub qualification: QualificationView,
    /// The decisions on it, oldest first.
    pub reviews: Vec<ReviewView>,
}

impl From<views::QualificationDetail> for QualificationDetail {
    fn from(v: views::QualificationDetail) -> Self {
        Self {
            qualification: v.qualification.into(),
            reviews: v.reviews.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page of qualifications.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QualificationPage {
    pub items: Vec<QualificationView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

impl From<views::QualificationPage> for QualificationPage {
    fn from(v: views::QualificationPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// One role held by an account, with what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Grant {
    pub role: Role,
    /// The unit, provider, authority or platform the role is held for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Uuid>,
    /// The person, for the `person` role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Uuid>,
}

impl From<auth::Grant> for Grant {
    fn from(v: auth::Grant) -> Self {
        Self {
            role: v.role,
            org_id: v.org_id,
            person_id: v.person_id,
        }
    }
}

/// A title-evaluation committee's grant (R-CE-5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvaluatorView {
    /// The `org_id` of its `evaluator` grant.
    pub id: Uuid,
    /// The committee's name (评委会名称).
    #[schema(max_length = 100)]
    pub name: String,
    /// The account that acts for it.
    pub account_id: Uuid,
    /// The series it evaluates.
    pub series: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// When hrss revoked it; `null` while it works.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<crate::parties::evaluators::Evaluator> for EvaluatorView {
    fn from(v: crate::parties::evaluators::Evaluator) -> Self {
        Self {
            id: v.id,
            name: v.name,
            account_id: v.account_id,
            series: v.series,
            created_at: v.created_at,
            revoked_at: v.revoked_at,
        }
    }
}

/// A page of evaluators.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvaluatorPage {
    pub items: Vec<EvaluatorView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

impl From<crate::parties::evaluators::EvaluatorPage> for EvaluatorPage {
    fn from(p: crate::parties::evaluators::EvaluatorPage) -> Self {
        Self {
            items: p.items.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        }
    }
}
/// A claim to run a Guangzhou city base (R-PQ-5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BaseClaimView {
    pub id: Uuid,
    /// The base's three-digit number (R-PQ-4).
    #[schema(min_length = 3, max_length = 3, example = "001")]
    pub base_no: String,
    /// The base's provider, whose admin the claimant becomes on approval.
    pub provider_id: Uuid,
    /// The base's name as the city's list gives it.
    #[schema(max_length = 100)]
    pub base_name: String,
    /// The institution's name as the claimant gave it.
    #[schema(max_length = 100)]
    pub name: String,
    /// The institution's unified social credit code (GB 32100).
    #[schema(min_length = 18, max_length = 18)]
    pub credit_code: String,
    /// The account that claims; `provider_admin` of the base once approved.
    pub claimant_account_id: Uuid,
    pub status: ReviewStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<crate::parties::base_claims::BaseClaim> for BaseClaimView {
    fn from(v: crate::parties::base_claims::BaseClaim) -> Self {
        Self {
            id: v.id,
            base_no: v.base_no,
            provider_id: v.provider_id,
            base_name: v.base_name,
            name: v.name,
            credit_code: v.credit_code,
            claimant_account_id: v.claimant_account_id,
            status: v.status,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// A base claim with its review history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BaseClaimDetail {
    #[serde(flatten)]
    pub claim: BaseClaimView,
    /// The decisions on it, oldest first.
    pub reviews: Vec<ReviewView>,
}

impl From<crate::parties::base_claims::BaseClaimDetail> for BaseClaimDetail {
    fn from(v: crate::parties::base_claims::BaseClaimDetail) -> Self {
        Self {
            claim: v.claim.into(),
            reviews: v.reviews.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page of base claims.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BaseClaimPage {
    pub items: Vec<BaseClaimView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

impl From<crate::parties::base_claims::BaseClaimPage> for BaseClaimPage {
    fn from(v: crate::parties::base_claims::BaseClaimPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}
