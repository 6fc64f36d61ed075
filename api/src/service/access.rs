//! Role and scope questions services ask about the caller, answered from
//! the grants read fresh for this request.

use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::error::ServiceError;

/// Whether the caller holds `role` for `org`.
pub fn holds(auth: &AuthUser, role: Role, org: Uuid) -> bool {
    auth.grants()
        .iter()
        .any(|g| g.role == role && g.scope_id() == Some(org))
}

/// The organisations the caller holds `role` for.
pub fn orgs(auth: &AuthUser, role: Role) -> Vec<Uuid> {
    auth.grants()
        .iter()
        .filter(|g| g.role == role)
        .filter_map(|g| g.scope_id())
        .collect()
}

/// 403 unless the caller is a person or hrss: machine clients do not
/// register organisations or upload files.
pub fn require_human(auth: &AuthUser) -> Result<(), ServiceError> {
    if auth.has_role(Role::Person) || auth.has_role(Role::Hrss) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "forbidden",
            "this operation needs a person's or hrss account",
        ))
    }
}

/// 403 unless the caller holds one of `roles` (for any scope).
pub fn require_any(auth: &AuthUser, roles: &[Role]) -> Result<(), ServiceError> {
    if roles.iter().any(|r| auth.has_role(*r)) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "forbidden",
            format!(
                "this operation needs one of the roles {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}
