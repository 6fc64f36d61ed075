//! The one place where failures become HTTP statuses: RFC 9457
//! `application/problem+json` bodies with a stable machine-readable `code`.
//!
//! Services return [`ServiceError`]; routes and extractors return
//! [`ApiError`]; `From<ServiceError> for ApiError` is the mapping. Unexpected
//! errors are logged with their cause chain and answered with an opaque 500.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::DomainError;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the request, e.g. `id_card_no`.
    pub field: String,
    /// Stable machine-readable reason, e.g. `id_card_invalid`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI reference naming the problem type: `urn:ce:problem:{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// Explanation of this occurrence.
    pub detail: String,
    /// Stable machine-readable code, e.g. `already_registered`.
    pub code: String,
    /// Field errors: for a 422, each invalid field; for a 409 duplicate,
    /// the field whose value is taken.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Errors of the use cases, independent of HTTP.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Unknown, or outside the caller's scope.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Duplicate or illegal state; `field` names the request's field whose
    /// value is taken, for a duplicate.
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        field: Option<&'static str>,
    },
    /// The caller's grants do not allow this.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// Well-formed but invalid.
    #[error("{detail}")]
    Invalid {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The request carries more than one operation takes (413).
    #[error("{detail}")]
    PayloadTooLarge { code: &'static str, detail: String },
    /// The body is of a type this operation does not keep.
    #[error("{detail}")]
    UnsupportedType { code: &'static str, detail: String },
    /// Wrong credentials or code.
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    /// `If-Match` named a version that is no longer current.
    #[error("the item changed since version {expected}")]
    PreconditionFailed { expected: i32, current: Option<i32> },
    /// The account is locked until the given time.
    #[error("account locked")]
    Locked {
        until: chrono::DateTime<chrono::Utc>,
    },
    /// The caller used up an allowance (429 with `Retry-After`).
    #[error("rate limited; retry in {retry_after:?}")]
    RateLimited { retry_after: std::time::Duration },
    /// More work in flight than the server takes on (a full hashing or
    /// rendering queue): try again after `retry_after` (503).
    #[error("the server is busy; retry in {retry_after:?}")]
    Busy {
        code: &'static str,
        retry_after: std::time::Duration,
    },
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::ports::work::PoolError> for ServiceError {
    fn from(e: crate::ports::work::PoolError) -> Self {
        match e {
            crate::ports::work::PoolError::Busy { retry_after, .. } => ServiceError::Busy {
                code: "server_busy",
                retry_after,
            },
            lost @ crate::ports::work::PoolError::Lost { .. } => {
                ServiceError::Internal(lost.into())
            }
        }
    }
}

impl From<crate::ports::work::PoolError> for ApiError {
    fn from(e: crate::ports::work::PoolError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<crate::auth::password::HashError> for ServiceError {
    fn from(e: crate::auth::password::HashError) -> Self {
        match e {
            crate::auth::password::HashError::Pool(p) => p.into(),
            crate::auth::password::HashError::Hash(h) => ServiceError::Internal(h),
        }
    }
}

impl ServiceError {
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
            field: None,
        }
    }

    /// 409: the value of `field` is taken (a duplicate).
    pub fn taken(field: &'static str, code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
            field: Some(field),
        }
    }

    pub fn invalid_field(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Invalid {
            code,
            detail: message.clone(),
            errors: vec![FieldError {
                field: field.into(),
                code: code.into(),
                message,
            }],
        }
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            detail: detail.into(),
        }
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(e.into())
    }
}

/// What a unique index means to the client when a write runs into it: the
/// index, and the 409 (naming the field that is taken) to answer.
pub type Taken = (
    &'static crate::db::unique::UniqueIndex,
    fn() -> ServiceError,
);

/// Turns a unique-index violation into the 409 of the index it hit, which
/// names the field that is taken; any other database error stays internal,
/// and so does a violation of an index the call site did not expect (a
/// bug, not a client's duplicate). The one helper for duplicates, so no
/// handler matches error strings.
pub trait UniqueViolation<T> {
    fn on_unique(self, taken: &[Taken]) -> Result<T, ServiceError>;
}

impl<T> UniqueViolation<T> for Result<T, sea_orm::DbErr> {
    fn on_unique(self, taken: &[Taken]) -> Result<T, ServiceError> {
        self.map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) => taken
                .iter()
                .find(|(index, _)| index.is_named_in(&message))
                .map(|(_, answer)| answer())
                .unwrap_or_else(|| {
                    ServiceError::Internal(anyhow::Error::from(e).context(format!(
                        "a unique index this write did not expect: {message}"
                    )))
                }),
            _ => ServiceError::from(e),
        })
    }
}

/// Turns a foreign-key violation into the given answer (SQLite does not
/// say which key failed, so the call site, which knows what it referred
/// to, says what it means); any other error stays as it is.
pub trait ForeignKeyViolation<T> {
    fn on_foreign_key(self, answer: fn() -> ServiceError) -> Result<T, ServiceError>;
}

impl<T> ForeignKeyViolation<T> for Result<T, sea_orm::DbErr> {
    fn on_foreign_key(self, answer: fn() -> ServiceError) -> Result<T, ServiceError> {
        self.map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => answer(),
            _ => ServiceError::from(e),
        })
    }
}

/// Whether the database refused a write for a unique index.
pub fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    detail: String,
    errors: Vec<FieldError>,
    headers: Vec<(HeaderName, String)>,
    /// Kept for the log only; never sent.
    source: Option<anyhow::Error>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
            source: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(code: &'static str, retry_after_seconds: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            code,
            format!("too many requests from this address; retry in {retry_after_seconds} s"),
        )
        .with_header(header::RETRY_AFTER, retry_after_seconds.max(1).to_string())
    }

    /// 400: the request could not be read.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401 with the RFC 6750 challenge.
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let error = if code == "unauthenticated" {
            String::new()
        } else {
            format!(
                ", error=\"invalid_token\", error_description=\"{}\"",
                detail.replace('"', "'")
            )
        };
        Self::new(StatusCode::UNAUTHORIZED, code, detail).with_header(
            header::WWW_AUTHENTICATE,
            format!("Bearer realm=\"ce-api\"{error}"),
        )
    }

    /// 403: the caller's role does not allow this.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// 404: unknown, or outside the caller's scope.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 422 from one field.
    pub fn invalid_field(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        ServiceError::invalid_field(code, field, message).into()
    }

    /// 422 from a domain newtype's parse error.
    pub fn domain(field: &str, e: DomainError) -> Self {
        Self::invalid_field(e.code, field, e.message)
    }

    /// 422 from several domain parse errors at once.
    pub fn domain_fields(errors: Vec<(&str, DomainError)>) -> Self {
        let fields: Vec<FieldError> = errors
            .into_iter()
            .map(|(field, e)| FieldError {
                field: field.into(),
                code: e.code.into(),
                message: e.message,
            })
            .collect();
        Self::from_field_errors(fields)
    }

    /// 422 whose `code` is the fields' shared code when they share one
    /// (`id_card_invalid`), else `validation_failed`.
    fn from_field_errors(errors: Vec<FieldError>) -> Self {
        let code: Cow<'static, str> = match errors.first() {
            Some(first)
                if errors.iter().all(|e| e.code == first.code)
                    && !GENERIC_CODES.contains(&first.code.as_str()) =>
            {
                Cow::Owned(first.code.clone())
            }
            _ => Cow::Borrowed("validation_failed"),
        };
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!(
                "{} fields are invalid: {}",
                many.len(),
                many.iter()
                    .map(|e| e.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail).with_errors(errors)
    }

    /// 422 `body_invalid` for a JSON value of the wrong type or shape at
    /// `field` (its path, e.g. `items[0].hours`; empty for the whole body).
    pub fn body_field(code: &'static str, field: &str, e: &serde_json::Error) -> Self {
        // serde's message without its " at line 1 column 9".
        let full = e.to_string();
        let message = full
            .rsplit_once(" at line ")
            .map_or(full.as_str(), |(m, _)| m)
            .to_string();
        let detail = if field.is_empty() {
            format!("the JSON does not fit the schema: {message}")
        } else {
            format!("{field}: {message}")
        };
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail).with_errors(vec![FieldError {
            field: field.to_string(),
            code: code.to_string(),
            message,
        }])
    }

    /// 400 `query_invalid` for a query parameter whose value does not fit
    /// its type (`field` empty when serde could not say which).
    pub fn query_field(field: &str, message: &str) -> Self {
        let detail = if field.is_empty() {
            format!("the query string is invalid: {message}")
        } else {
            format!("{field}: {message}")
        };
        let errors = if field.is_empty() {
            Vec::new()
        } else {
            vec![FieldError {
                field: field.to_string(),
                code: "query_invalid".into(),
                message: message.to_string(),
            }]
        };
        Self::bad_request("query_invalid", detail).with_errors(errors)
    }

    /// 422 `unknown_field`: fields the operation does not take (unknown,
    /// misspelt or read-only), each named.
    pub fn unknown_fields(paths: &[String]) -> Self {
        let errors: Vec<FieldError> = paths
            .iter()
            .map(|p| FieldError {
                field: p.clone(),
                code: "unknown_field".into(),
                message: "this operation does not take this field (unknown, misspelt or read-only)"
                    .into(),
            })
            .collect();
        let detail = format!("fields this operation does not take: {}", paths.join(", "));
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_field", detail).with_errors(errors)
    }

    /// 415 naming what is accepted.
    pub fn unsupported_media_type(accepted: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("the body must be {accepted}"),
        )
    }

    /// 503: a dependency is down; the cause is logged, not sent.
    pub fn unavailable(code: &'static str, e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, code, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            "a dependency is unavailable; try again shortly",
        )
        .with_header(header::RETRY_AFTER, "1")
    }

    /// 503 with `Retry-After`: more work in flight than the server takes on.
    pub fn busy(code: &'static str, retry_after: std::time::Duration) -> Self {
        let secs = retry_after.as_secs().max(1);
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            format!("the server is busy; retry in {secs} s"),
        )
        .with_header(header::RETRY_AFTER, secs.to_string())
    }

    /// 500: logged with its cause chain here, opaque to the client — unless
    /// the cause is a database fault the client should retry (unreachable,
    /// busy, full: `db::fault`), which is a 503 with `Retry-After` and its
    /// own code.
    pub fn internal(e: anyhow::Error) -> Self {
        if let Some(fault) = crate::db::fault::of(&e) {
            tracing::warn!(
                error = format!("{e:#}"),
                code = fault.code(),
                "database fault"
            );
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                fault.code(),
                format!(
                    "the database cannot take this request now; retry in {} s",
                    fault.retry_after()
                ),
            )
            .with_header(header::RETRY_AFTER, fault.retry_after().to_string());
        }
        let mut me = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an unexpected error occurred; it has been logged",
        );
        me.source = Some(e);
        me
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    fn title(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("Error")
    }

    /// The problem body.
    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:ce:problem:{}", self.code),
            title: self.title().into(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            errors: self.errors.clone(),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::Conflict {
                code,
                detail,
                field,
            } => {
                let errors = field
                    .map(|field| FieldError {
                        field: field.into(),
                        code: code.into(),
                        message: detail.clone(),
                    })
                    .into_iter()
                    .collect();
                ApiError::new(StatusCode::CONFLICT, code, detail).with_errors(errors)
            }
            ServiceError::Forbidden { code, detail } => ApiError::forbidden(code, detail),
            ServiceError::Invalid {
                code,
                detail,
                errors,
            } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail).with_errors(errors),
            ServiceError::PayloadTooLarge { code, detail } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, detail)
            }
            ServiceError::UnsupportedType { code, detail } => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, code, detail)
            }
            ServiceError::Unauthorized { code, detail } => ApiError::unauthorized(code, detail),
            ServiceError::PreconditionFailed { expected, current } => {
                let e = ApiError::new(
                    StatusCode::PRECONDITION_FAILED,
                    "version_mismatch",
                    format!(
                        "the item is no longer at version {expected}: someone changed it first; read it again"
                    ),
                );
                match current {
                    Some(c) => e.with_header(header::ETAG, format!("\"{c}\"")),
                    None => e,
                }
            }
            ServiceError::Locked { until } => {
                let retry = (until - chrono::Utc::now()).num_seconds().max(1);
                ApiError::new(
                    StatusCode::LOCKED,
                    "account_locked",
                    format!(
                        "the account is locked after repeated failures until {}; reset the password to unlock it now",
                        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                )
                .with_header(header::RETRY_AFTER, retry.to_string())
            }
            ServiceError::Busy { code, retry_after } => ApiError::busy(code, retry_after),
            ServiceError::RateLimited { retry_after } => {
                ApiError::too_many_requests("rate_limited", retry_after.as_secs().max(1))
            }
            ServiceError::Internal(e) => ApiError::internal(e),
        }
    }
}

impl From<DomainError> for ServiceError {
    fn from(e: DomainError) -> Self {
        ServiceError::Invalid {
            code: e.code,
            detail: e.message.clone(),
            errors: Vec::new(),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(e: validator::ValidationErrors) -> Self {
        let mut errors = Vec::new();
        collect_validation_errors("", &e, &mut errors);
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::from_field_errors(errors)
    }
}

/// validator's own codes, which say how a field is wrong but not what it is.
const GENERIC_CODES: &[&str] = &[
    "length", "range", "email", "url", "regex", "required", "contains", "custom",
];

fn collect_validation_errors(
    prefix: &str,
    e: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind;
    for (field, kind) in e.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for fe in list {
                    out.push(FieldError {
                        field: path.clone(),
                        code: fe.code.to_string(),
                        message: fe
                            .message
                            .as_ref()
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| describe(fe)),
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_validation_errors(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect_validation_errors(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}

/// A readable message for a validator error without one of its own.
fn describe(fe: &validator::ValidationError) -> String {
    let p = |k: &str| fe.params.get(k).map(|v| v.to_string());
    match fe.code.as_ref() {
        "length" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "length is out of range".into(),
        },
        "range" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "out of range".into(),
        },
        other => format!("is invalid ({other})"),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(source) = &self.source {
            // `{:#}` prints the whole cause chain.
            tracing::error!(error = %format!("{source:#}"), "internal error");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_else(|_| b"{}".to_vec());
        let mut res = HttpResponse::build(self.status);
        res.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                res.insert_header((name.clone(), v));
            }
        }
        res.body(body)
    }
}

/// actix's extractor failures as problems: malformed JSON, wrong content
/// type and oversized bodies, bad queries and paths. Installed in
/// `startup` so no extractor answers `text/plain`.
pub mod extractors {
    use actix_web::error::{
        JsonPayloadError, PathError, PayloadError, QueryPayloadError, UrlencodedError,
    };
    use actix_web::{Error, HttpRequest};

    use super::*;

    fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than the limit of {limit} bytes"),
        )
    }

    /// A JSON body serde could not read: 422 `body_invalid` when it is JSON
    /// of the wrong shape, 400 `malformed_request` when it is not JSON.
    pub fn json_body(de: &serde_json::Error) -> ApiError {
        if de.is_data() {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "body_invalid",
                format!("the JSON does not fit the schema: {de}"),
            )
        } else {
            ApiError::bad_request(
                "malformed_request",
                format!("the JSON body could not be read: {de}"),
            )
        }
    }

    pub fn json(limit: usize) -> impl Fn(JsonPayloadError, &HttpRequest) -> Error + Clone {
        move |e, _| {
            let api = match &e {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => too_large(limit),
                JsonPayloadError::ContentType => {
                    ApiError::unsupported_media_type("application/json")
                }
                JsonPayloadError::Deserialize(de) => json_body(de),
                JsonPayloadError::Payload(PayloadError::Overflow) => too_large(limit),
                _ => ApiError::bad_request(
                    "malformed_request",
                    format!("the JSON body could not be read: {e}"),
                ),
            };
            api.into()
        }
    }

    pub fn form(limit: usize) -> impl Fn(UrlencodedError, &HttpRequest) -> Error + Clone {
        move |e, _| {
            let api = match &e {
                UrlencodedError::Overflow { .. } => too_large(limit),
                UrlencodedError::ContentType => {
                    ApiError::unsupported_media_type("application/x-www-form-urlencoded")
                }
                _ => ApiError::bad_request(
                    "malformed_request",
                    format!("the form body could not be read: {e}"),
                ),
            };
            api.into()
        }
    }

    pub fn query(e: QueryPayloadError, _: &HttpRequest) -> Error {
        ApiError::bad_request("query_invalid", format!("the query string is invalid: {e}")).into()
    }

    pub fn path(e: PathError, _: &HttpRequest) -> Error {
        ApiError::bad_request("path_invalid", format!("the path is invalid: {e}")).into()
    }

    pub fn payload_too_large(limit: usize) -> ApiError {
        too_large(limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn problems_are_rfc9457_with_a_code() {
        let res = ApiError::from(ServiceError::conflict(
            "already_registered",
            "the ID number is already registered",
        ))
        .error_response();
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        let body = res.into_body().try_into_bytes().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "already_registered");
        assert_eq!(v["status"], 409);
        assert_eq!(v["type"], "urn:ce:problem:already_registered");
        assert_eq!(v["title"], "Conflict");
        assert!(v.get("errors").is_none());
    }

    #[test]
    fn internal_errors_are_opaque() {
        let e = ApiError::internal(anyhow::anyhow!("secret table exploded"));
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("secret"));
    }

    #[test]
    fn unauthorized_carries_a_bearer_challenge() {
        let res = ApiError::unauthorized("token_expired", "the token has expired").error_response();
        let www = res
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(www.starts_with("Bearer realm=\"ce-api\""));
        assert!(www.contains("invalid_token"));
    }
}
