//! Authentication: access tokens, the caller, roles and grants, password
//! hashing. What a caller may do is `crate::authz`'s.

pub mod caller;
pub mod deny;
pub mod password;
pub mod token;

pub use caller::Caller;
pub use token::{Claims, JwtKeys};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::domain::role::Role;

/// One role held by an account, with what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
