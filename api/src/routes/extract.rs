//! The caller from the request: the bearer token verified and, for an
//! account, its grants read fresh from the database on every request (one
//! indexed query), so a removed admin loses access at once rather than when
//! the token expires; a platform's token carries its one grant and needs no
//! query, which keeps pushes cheap. The services take the plain
//! [`Caller`].

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::token::TokenError;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// The caller, if a token was sent (a bad token is still a 401).
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

/// Verifies the token of a request; `None` when there is no token.
async fn authenticate(req: HttpRequest) -> Result<Option<Caller>, ApiError> {
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
        claims.grants = crate::parties::accounts::grants_of(&state.db, claims.sub)
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
    Ok(Some(Caller { claims }))
}

impl FromRequest for Caller {
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

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(MaybeCaller) })
    }
}
