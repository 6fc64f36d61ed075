//! Authorization, in one vocabulary for every use case: role and scope
//! questions about the caller, answered from the grants read fresh for the
//! request, failing with `ServiceError` — 403 for a role the operation does
//! not take, 404 for a scope the caller's role is not held for (so nothing
//! reveals that another unit's data exists). The grant a check matched is
//! the one the request's audit events name (`audit::used`). Routes decide
//! nothing about who may act.

use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::error::ServiceError;

/// Whether the caller holds `role` for `org`.
/// A match is the grant the request uses (kept for its audit events).
pub fn holds(auth: &Caller, role: Role, org: Uuid) -> bool {
    auth.grants()
        .iter()
        .find(|g| g.role == role && g.scope_id() == Some(org))
        .inspect(|g| crate::audit::used(g))
        .is_some()
}

/// Whether the caller holds `role` at all; when so, its grant is the one
/// the request uses.
pub fn holds_any(auth: &Caller, role: Role) -> bool {
    let held = auth.has_role(role);
    if held {
        use_role(auth, role);
    }
    held
}

/// Notes the caller's first grant of `role` as the one the request uses.
fn use_role(auth: &Caller, role: Role) {
    if let Some(g) = auth.grants().iter().find(|g| g.role == role) {
        crate::audit::used(g);
    }
}

/// The organisations the caller holds `role` for.
pub fn orgs(auth: &Caller, role: Role) -> Vec<Uuid> {
    auth.grants()
        .iter()
        .filter(|g| g.role == role)
        .filter_map(|g| g.scope_id())
        .collect()
}

/// The caller's own person id, or 403 saying why only a person may `act`.
pub fn person_of(auth: &Caller, act: &str) -> Result<Uuid, ServiceError> {
    let person = orgs(auth, Role::Person)
        .first()
        .copied()
        .ok_or_else(|| ServiceError::forbidden("forbidden", format!("only a person {act}")))?;
    use_role(auth, Role::Person);
    Ok(person)
}

/// 403 unless the caller is a person or hrss: machine clients do not
/// register organisations or upload files.
pub fn require_human(auth: &Caller) -> Result<(), ServiceError> {
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

/// 403 (`forbidden`, saying `why`) unless the caller holds `role` (for any
/// scope).
pub fn require_role(auth: &Caller, role: Role, why: &str) -> Result<(), ServiceError> {
    if auth.has_role(role) {
        use_role(auth, role);
        Ok(())
    } else {
        Err(ServiceError::forbidden("forbidden", why.to_string()))
    }
}

/// 403 (`scope_missing`) unless a platform's token carries `scope`.
pub fn require_scope(auth: &Caller, scope: &str) -> Result<(), ServiceError> {
    if auth.scopes().iter().any(|s| s == scope) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "scope_missing",
            format!("the token lacks `{scope}`"),
        ))
    }
}

/// 403 unless the caller holds one of `roles` (for any scope).
pub fn require_any(auth: &Caller, roles: &[Role]) -> Result<(), ServiceError> {
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
    auth: &Caller,
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
mod tests {
    use super::*;
    use crate::auth::{Claims, Grant};

    fn caller(grants: Vec<Grant>, scopes: Vec<String>) -> Caller {
        Caller {
            claims: Claims {
                iss: "i".into(),
                aud: "a".into(),
                sub: Uuid::now_v7(),
                exp: 0,
                iat: 0,
                jti: Uuid::now_v7(),
                grants,
                scopes,
            },
        }
    }

    fn status(e: ServiceError) -> u16 {
        crate::error::ApiError::from(e).status().as_u16()
    }

    #[test]
    fn role_without_scope_is_forbidden_and_other_scope_is_not_found() {
        let unit = Uuid::now_v7();
        let other = Uuid::now_v7();
        let admin = caller(
            vec![Grant {
                role: Role::UnitAdmin,
                org_id: Some(unit),
                person_id: None,
            }],
            vec![],
        );
        assert!(require_scoped(&admin, Role::UnitAdmin, unit, false, "unit").is_ok());
        let err = require_scoped(&admin, Role::UnitAdmin, other, false, "unit").unwrap_err();
        assert_eq!(status(err), 404);
        let err = require_scoped(&admin, Role::ProviderAdmin, unit, true, "unit").unwrap_err();
        assert_eq!(status(err), 403);
        let err = require_role(&admin, Role::Hrss, "hrss only").unwrap_err();
        assert_eq!(status(err), 403);
    }

    #[test]
    fn scopes_are_checked() {
        let none = caller(vec![], vec![]);
        let err = require_scope(&none, "records:push").unwrap_err();
        assert_eq!(status(err), 403);
        let pushing = caller(vec![], vec!["records:push".into()]);
        assert!(require_scope(&pushing, "records:push").is_ok());
    }
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
