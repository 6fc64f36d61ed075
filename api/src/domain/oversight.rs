//! Values of oversight whose spelling is the contract: whom a credit
//! finding is about and how serious it is, the kinds of notice, and how
//! statistics are grouped.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whom a finding is about: a person, a unit, a training provider, or a
/// learning platform (a machine client whose pushed records were found
/// untruthful, R-RC-12; an addition to the contract of issue 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    Person,
    Unit,
    Provider,
    Platform,
}

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 一般失信.
    Minor,
    /// 严重失信.
    Serious,
}

/// What kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 通知公告.
    Notice,
    /// 政策法规.
    Policy,
}

/// What the statistics are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Professional series held in the year (a person holding two counts in both).
    Series,
    /// The unit the person is bound to now.
    Unit,
    /// The GB/T 2260 division code of the unit's credit code.
    Region,
}
