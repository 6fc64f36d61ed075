//! The roles a grant gives: a value of `grants.role`, of access tokens and
//! of reviews (`reviewer_role`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role a grant gives (DOMAIN §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A professional: own profile, enrolments, records, certificates.
    Person,
    /// Admin of an employer unit (`org_id` is the unit).
    UnitAdmin,
    /// Admin of a training provider (`org_id` is the provider).
    ProviderAdmin,
    /// An industry authority (`org_id` is the authority).
    Authority,
    /// The HR and social security department.
    Hrss,
    /// A learning platform's machine client (`org_id` is the platform).
    Platform,
    /// A title-evaluation committee (评审委员会, R-CE-5), granted by hrss:
    /// `org_id` is the evaluator (`GET /evaluators`), which names the
    /// series it evaluates. Checks applicants' certificates in bulk.
    Evaluator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Person => "person",
            Role::UnitAdmin => "unit_admin",
            Role::ProviderAdmin => "provider_admin",
            Role::Authority => "authority",
            Role::Hrss => "hrss",
            Role::Platform => "platform",
            Role::Evaluator => "evaluator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "person" => Role::Person,
            "unit_admin" => Role::UnitAdmin,
            "provider_admin" => Role::ProviderAdmin,
            "authority" => Role::Authority,
            "hrss" => Role::Hrss,
            "platform" => Role::Platform,
            "evaluator" => Role::Evaluator,
            _ => return None,
        })
    }
}
