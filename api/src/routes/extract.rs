//! The caller from the request: the bearer token verified and, for an
//! account, its grants as they are now — from the process's memory, which
//! forgets them when any grant changes (at once on the process that changed
//! it, within `cache.poll_ms` on every other: `crate::cache`), else one
//! indexed query — so a removed admin loses access within a second rather
//! than when the token expires; a platform's token carries its one grant and needs no
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
    // Signed out (issue 22): refused until it expires. In memory, no query.
    if state.denied.is_denied(&claims.jti) {
        return Err(ApiError::unauthorized(
            "token_revoked",
            "the token was signed out; sign in again",
        ));
    }
    let is_platform = claims.grants.iter().any(|g| g.role == Role::Platform);
    if !is_platform {
        claims.grants = crate::parties::accounts::grants_held(&state, claims.sub)
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

/// A JSON request body, read strictly (issue 19): a field of the wrong
/// type names its path, and a field the operation does not take — unknown,
/// misspelt or read-only (`verified` on a person) — is refused with 422
/// `unknown_field` naming it, instead of being dropped without a word, as
/// Stripe does. The spec says so with `additionalProperties: false`
/// (`openapi::finish`). Wrong content type is 415, too large 413, not JSON
/// 400, as with actix's `web::Json`, whose place this takes.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// Whether a content type is JSON (`application/json`, `…+json`).
fn is_json(req: &HttpRequest) -> bool {
    let Some(mime) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads `bytes` as `T`: a type error names its path, an ignored field is
/// refused.
pub fn strict_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut unknown: Vec<String> = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = {
        let tracked = serde_path_to_error::Deserializer::new(&mut de, &mut track);
        serde_ignored::deserialize(tracked, |path| unknown.push(path.to_string()))
    };
    let value: T = match parsed {
        Ok(v) => v,
        // serde_json calls some shape errors syntax (a number where an
        // enum's string belongs): well-formed JSON makes them shape errors.
        Err(e) if e.is_data() || serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => {
            let field = track.path().to_string();
            let field = if field == "." { String::new() } else { field };
            return Err(crate::error::ApiError::body_field(
                "body_invalid",
                &field,
                &e,
            ));
        }
        Err(e) => return Err(crate::error::extractors::json_body(&e)),
    };
    if let Err(e) = de.end() {
        return Err(crate::error::extractors::json_body(&e));
    }
    if !unknown.is_empty() {
        return Err(crate::error::ApiError::unknown_fields(&unknown));
    }
    Ok(value)
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(ApiError::unsupported_media_type("application/json"));
            }
            let limit = req
                .app_data::<web::Data<AppState>>()
                .map(|s| s.settings.limits.json_body_bytes)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState is not registered")))?;
            let bytes = super::read_body(&req, payload, limit).await?;
            strict_json(&bytes).map(Json)
        })
    }
}

/// A query string read as `T`, like actix's `web::Query`, except that a
/// value of the wrong type names its parameter: 400 `query_invalid` with
/// the parameter in `errors[].field` (`year: invalid digit found in
/// string`), where serde_urlencoded alone says only what was wrong. Query
/// parameters an operation does not take are ignored, as everywhere on the
/// web (one request's query is read by several extractors: filters and the
/// page).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Reads a query string as `T`, naming the parameter whose value does not fit.
pub fn query_of<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        ApiError::query_field(&field, &e.into_inner().to_string())
    })
}

impl<T: serde::de::DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(query_of(req.query_string()).map(Query))
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Q {
        year: Option<i32>,
        limit: Option<u32>,
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_parameter() {
        let e = query_of::<Q>("limit=10&year=twenty").unwrap_err();
        let p = e.problem();
        assert_eq!(p.status, 400);
        assert_eq!(p.code, "query_invalid");
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].field, "year");
        assert!(p.detail.starts_with("year: "), "{}", p.detail);
    }

    #[test]
    fn a_good_query_and_unknown_parameters_are_read() {
        let q = query_of::<Q>("year=2023&cursor=abc").unwrap();
        assert_eq!(q.year, Some(2023));
        assert_eq!(q.limit, None);
    }
}
