//! `AuthUser` (token required) and `MaybeAuthUser` (token optional).
//!
//! Handlers check role *and* scope: `auth.require(Role::UnitAdmin, unit_id)?`.
//! A caller without the role gets 403; a caller with the role for another
//! scope gets 404, so nothing reveals that another unit's data exists.
//!
//! An account's grants are read fresh from the database on every request
//! (one indexed query), so a removed admin loses access at once rather than
//! when the token expires. Platform tokens carry their one grant and need no
//! query, which keeps pushes cheap.

use futures_util::future::LocalBoxFuture;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use uuid::Uuid;

use super::token::TokenError;
use super::{Claims, Grant, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// The verified caller.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub claims: Claims,
}

/// The verified caller, if a token was sent (a bad token is still a 401).
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl AuthUser {
    /// The account id (the platform id for platform tokens).
    pub fn account_id(&self) -> Uuid {
        self.claims.sub
    }

    pub fn grants(&self) -> &[Grant] {
        &self.claims.grants
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.claims.grants.iter().any(|g| g.role == role)
    }

    /// The first grant of `role`, or 403.
    pub fn require_role(&self, role: Role) -> Result<&Grant, ApiError> {
        self.claims
            .grants
            .iter()
            .find(|g| g.role == role)
            .inspect(|g| crate::audit::used(g))
            .ok_or_else(|| {
                ApiError::forbidden(
                    "forbidden",
                    format!("this operation needs the {} role", role.as_str()),
                )
            })
    }

    /// The grant of `role` for `scope`: 403 without the role, 404 when the
    /// role is held only for other scopes.
    pub fn require(&self, role: Role, scope: Uuid) -> Result<&Grant, ApiError> {
        self.require_role(role)?;
        self.claims
            .grants
            .iter()
            .find(|g| g.role == role && g.scope_id() == Some(scope))
            .inspect(|g| crate::audit::used(g))
            .ok_or_else(|| ApiError::not_found("resource"))
    }

    /// 403 unless a platform token carries `scope` (e.g. `records:push`).
    pub fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        if self.claims.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "insufficient_scope",
                format!("this operation needs the {scope} scope"),
            ))
        }
    }
}

/// Verifies the token of a request; `None` when there is no token.
async fn authenticate(req: HttpRequest) -> Result<Option<AuthUser>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION).cloned() else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState is not registered")))?;
    let value = value.to_str().map_err(|_| {
        ApiError::unauthorized("token_invalid", "the Authorization header is not readable")
    })?;
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(ApiError::unauthorized(
                "token_invalid",
                "the Authorization header must be `Bearer <token>`",
            ));
        }
    };
    let mut claims = match state.jwt.verify(token) {
        Ok(claims) => claims,
        Err(TokenError::Expired) => {
            return Err(ApiError::unauthorized(
                "token_expired",
                "the token has expired",
            ));
        }
        Err(TokenError::Invalid) => {
            return Err(ApiError::unauthorized(
                "token_invalid",
                "the token is not valid",
            ));
        }
    };
    let is_platform = claims.grants.iter().any(|g| g.role == Role::Platform);
    if !is_platform {
        claims.grants = crate::service::accounts::grants_of(&state.db, claims.sub)
            .await
            .map_err(ApiError::from)?;
        if claims.grants.is_empty() {
            return Err(ApiError::unauthorized(
                "token_invalid",
                "the account behind the token has no roles",
            ));
        }
    }
    crate::audit::authenticated(&claims);
    Ok(Some(AuthUser { claims }))
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(req).await?.ok_or_else(|| {
                ApiError::unauthorized("unauthenticated", "a bearer token is required")
            })
        })
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(MaybeAuthUser) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(grants: Vec<Grant>) -> AuthUser {
        AuthUser {
            claims: Claims {
                iss: "i".into(),
                aud: "a".into(),
                sub: Uuid::now_v7(),
                exp: 0,
                iat: 0,
                jti: Uuid::now_v7(),
                grants,
                scopes: vec![],
            },
        }
    }

    #[test]
    fn role_without_scope_is_forbidden_and_other_scope_is_not_found() {
        let unit = Uuid::now_v7();
        let other = Uuid::now_v7();
        let u = user(vec![Grant {
            role: Role::UnitAdmin,
            org_id: Some(unit),
            person_id: None,
        }]);
        assert!(u.require(Role::UnitAdmin, unit).is_ok());
        assert_eq!(
            u.require(Role::UnitAdmin, other)
                .unwrap_err()
                .status()
                .as_u16(),
            404
        );
        assert_eq!(
            u.require(Role::Hrss, unit).unwrap_err().status().as_u16(),
            403
        );
    }

    #[test]
    fn scopes_are_checked() {
        let mut u = user(vec![]);
        assert_eq!(
            u.require_scope("records:push")
                .unwrap_err()
                .status()
                .as_u16(),
            403
        );
        u.claims.scopes.push("records:push".into());
        assert!(u.require_scope("records:push").is_ok());
    }
}
