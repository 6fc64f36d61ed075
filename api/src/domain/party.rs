//! Value types of the parties whose spelling is the contract: the kind of
//! caller, record categories a platform may push, provider levels,
//! education, roster owners, admin and binding states.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who the caller is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A human account.
    Account,
    /// A learning platform's machine client.
    Platform,
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

/// Highest education (学历).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Education {
    Secondary,
    JuniorCollege,
    Bachelor,
    Master,
    Doctorate,
    Other,
}

/// Whose roster a teacher is on.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OwnerType {
    Unit,
    Provider,
}

/// Whether an admin has accepted.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AdminStatus {
    /// Holds the `unit_admin` role.
    Active,
    /// Invited; the account has not accepted yet.
    Invited,
}

/// Who started a binding.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BindingInitiator {
    Person,
    Unit,
}

/// A unit's decision on a binding request.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BindingDecision {
    Approve,
    Reject,
}
