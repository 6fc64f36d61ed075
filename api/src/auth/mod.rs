//! Authentication: access tokens, the caller, roles and grants, password
//! hashing. What a caller may do is `crate::authz`'s.

pub mod caller;
pub mod password;
pub mod token;

pub use caller::Caller;
pub use token::{Claims, JwtKeys};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

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
            _ => return None,
        })
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

impl Grant {
    /// The id this grant is scoped to: the person for `person`, else the organisation.
    pub fn scope_id(&self) -> Option<Uuid> {
        match self.role {
            Role::Person => self.person_id,
            _ => self.org_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in [
            Role::Person,
            Role::UnitAdmin,
            Role::ProviderAdmin,
            Role::Authority,
            Role::Hrss,
            Role::Platform,
        ] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(Role::parse("root"), None);
    }
}
