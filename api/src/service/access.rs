//! Role and scope questions services ask about the caller, answered from
//! the grants read fresh for this request.

use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::error::ServiceError;

/// Whether the caller holds `role` for `org`.
/// A match is the grant the request uses (kept for its audit events).
pub fn holds(auth: &AuthUser, role: Role, org: Uuid) -> bool {
    auth.grants()
        .iter()
        .find(|g| g.role == role && g.scope_id() == Some(org))
        .inspect(|g| crate::audit::used(g))
        .is_some()
}

/// Whether the caller holds `role` at all; when so, its grant is the one
/// the request uses.
pub fn holds_any(auth: &AuthUser, role: Role) -> bool {
    let held = auth.has_role(role);
    if held {
        use_role(auth, role);
    }
    held
}

/// Notes the caller's first grant of `role` as the one the request uses.
fn use_role(auth: &AuthUser, role: Role) {
    if let Some(g) = auth.grants().iter().find(|g| g.role == role) {
        crate::audit::used(g);
    }
}

/// The organisations the caller holds `role` for.
pub fn orgs(auth: &AuthUser, role: Role) -> Vec<Uuid> {
    auth.grants()
        .iter()
        .filter(|g| g.role == role)
        .filter_map(|g| g.scope_id())
        .collect()
}

/// The caller's own person id, or 403 saying why only a person may `act`.
pub fn person_of(auth: &AuthUser, act: &str) -> Result<Uuid, ServiceError> {
    let person = orgs(auth, Role::Person)
        .first()
        .copied()
        .ok_or_else(|| ServiceError::forbidden("forbidden", format!("only a person {act}")))?;
    use_role(auth, Role::Person);
    Ok(person)
}

/// 403 unless the caller is a person or hrss: machine clients do not
/// register organisations or upload files.
pub fn require_human(auth: &AuthUser) -> Result<(), ServiceError> {
    if let Some(role) = [Role::Hrss, Role::Person]
        .into_iter()
        .find(|r| auth.has_role(*r))
    {
        use_role(auth, role);
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
    if let Some(role) = roles.iter().find(|r| auth.has_role(**r)) {
        use_role(auth, *role);
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

/// The role-and-scope rule every scoped operation follows: hrss passes when
/// `hrss_too`; a caller without `role` gets 403; a caller holding `role`
/// only for other scopes gets 404 (`what` not found), so nothing reveals
/// that another unit's or person's data exists.
pub fn require_scoped(
    auth: &AuthUser,
    role: Role,
    scope: Uuid,
    hrss_too: bool,
    what: &'static str,
) -> Result<(), ServiceError> {
    if hrss_too && auth.has_role(Role::Hrss) {
        use_role(auth, Role::Hrss);
        return Ok(());
    }
    if !auth.has_role(role) {
        return Err(ServiceError::forbidden(
            "forbidden",
            format!("this operation needs the {} role", role.as_str()),
        ));
    }
    if holds(auth, role, scope) {
        Ok(())
    } else {
        Err(ServiceError::NotFound(what))
    }
}

/// A LIKE pattern matching `text` anywhere, with `%`, `_` and `\` taken
/// literally (use with `.escape('\\')`).
pub fn like_contains(text: &str) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(format!("%{}%", escape_like(text))).escape('\\')
}

/// A LIKE pattern matching text that starts with `text`, literally.
pub fn like_prefix(text: &str) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(format!("{}%", escape_like(text))).escape('\\')
}

fn escape_like(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod like_tests {
    use super::escape_like;

    #[test]
    fn wildcards_and_the_escape_character_are_literal() {
        assert_eq!(escape_like("50%_off\\x"), "50\\%\\_off\\\\x");
        assert_eq!(escape_like("广州"), "广州");
    }
}
