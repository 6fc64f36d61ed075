//! One module per resource: extract, check shape, call the service, map.
//! Handler name = `operation_id` = SDK method name.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod authorities;
pub mod base_claims;
pub mod catalogue;
pub mod certificates;
pub mod classes;
pub mod conditional;
pub mod credit;
pub mod evaluators;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod legacy;
pub mod notices;
pub mod pagination;
pub mod persons;
pub mod plans;
pub mod platforms;
pub mod policies;
pub mod providers;
pub mod records;
pub mod statistics;
pub mod teachers;
pub mod units;
pub mod verify_page;
pub mod views;
pub mod webhooks;
pub mod whole;

use actix_web::web;
use futures_util::StreamExt;
use utoipa::IntoParams;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::error::{ApiError, extractors};

/// Trims; blank text is refused (the schema says so with `pattern: \S`).
pub fn non_blank(s: &str, field: &str) -> Result<String, ApiError> {
    // Blank as the spec's `\S` pattern reads it (ECMAScript's `\s`), so
    // that a value the schema takes is not refused here: U+0085 is no
    // space there, U+FEFF is.
    let t = s.trim_matches(ecma_space);
    if t.is_empty() {
        return Err(ApiError::invalid_field(
            "text_invalid",
            field,
            "must not be blank",
        ));
    }
    Ok(t.to_string())
}

/// ECMAScript's `\s`: what the spec's patterns call white space.
fn ecma_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// A year from a path, query or body field, or 422 `year_invalid`.
pub fn year(y: i32) -> Result<crate::domain::Year, ApiError> {
    crate::domain::Year::new(y).map_err(|e| ApiError::domain("year", e))
}

/// The year asked for, or the current one in China time (R-RC-5).
pub fn year_or_current(y: Option<i32>) -> Result<crate::domain::Year, ApiError> {
    year(y.unwrap_or_else(|| crate::domain::Year::current_in_shanghai(chrono::Utc::now())))
}

/// Hours with at most one decimal place, or 422.
pub fn hours(h: f64) -> Result<crate::domain::Hours, ApiError> {
    crate::domain::Hours::parse_f64(h).map_err(|e| ApiError::domain("hours", e))
}

/// Optional free text, trimmed; blank reads as absent.
pub fn optional_text(t: Option<String>) -> Option<String> {
    t.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// For optional body fields the schema says are not nullable: absent is
/// `None` (with `#[serde(default)]`), an explicit `null` is refused as the
/// schema promises, instead of being read as absent.
pub fn no_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The `If-Match` header as a documented parameter (read by
/// [`if_match`]; optional, but not nullable, so clients get
/// a plain optional string).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// The `ETag` (version) you last read; 412 when someone changed the item since.
    #[param(
        rename = "If-Match",
        required = false,
        max_length = 16,
        pattern = r#"^(W/)?"?[0-9]{1,9}"?$"#,
        example = "\"1\""
    )]
    pub if_match: String,
}

/// The version named by `If-Match` (`"3"`, `W/"3"` or `3`), if sent.
pub fn if_match(req: &actix_web::HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(v) = req.headers().get(actix_web::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<i32>().map(Some).map_err(|_| {
        ApiError::bad_request(
            "if_match_invalid",
            "If-Match must be the ETag of the item, e.g. \"3\"",
        )
    })
}

/// The `ETag` of a version.
pub fn etag(version: i32) -> (actix_web::http::header::HeaderName, String) {
    (actix_web::http::header::ETAG, format!("\"{version}\""))
}

/// Reads a raw body up to `limit` bytes; beyond it, a 413 problem (the
/// `Bytes` extractor would answer `text/plain`). A `Content-Length` within
/// the limit sizes the buffer once, so a body is held once, not in a
/// buffer grown by doubling to nearly twice its size.
pub async fn read_body(
    req: &actix_web::HttpRequest,
    mut payload: impl futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>>
    + Unpin,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(extractors::payload_too_large(limit));
    }
    let mut buf = web::BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "malformed_request",
                format!("the body could not be read: {e}"),
            )
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(extractors::payload_too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Registers every handler (and so every path of the spec).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            // actix tries the routes in the order given, each dynamic one
            // with a regex match (and once more to name the route in
            // `observe`): the hot reads first — public verify and a
            // person's compliance (issue 21; their paths overlap no other).
            .service(certificates::certificate_verify)
            .service(policies::person_compliance)
            .service(auth::auth_register)
            .service(auth::auth_login)
            .service(auth::auth_login_verify)
            .service(auth::auth_password_reset)
            .service(auth::auth_password_reset_confirm)
            .service(auth::auth_token)
            .service(auth::auth_refresh)
            .service(auth::auth_logout)
            .service(auth::me_view)
            .service(auth::me_data)
            .service(platforms::platform_create)
            .service(platforms::platform_list)
            .service(platforms::platform_view)
            .service(platforms::platform_revoke)
            .service(persons::person_list)
            .service(persons::person_view)
            .service(persons::person_update)
            .service(persons::person_verify)
            .service(persons::binding_request)
            .service(persons::binding_history)
            .service(units::unit_create)
            .service(units::unit_list)
            .service(units::unit_view)
            .service(units::unit_update)
            .service(units::unit_admin_list)
            .service(units::unit_admin_invite)
            .service(units::unit_admin_accept)
            .service(units::unit_admin_remove)
            .service(units::binding_list)
            .service(units::binding_review)
            .service(units::unit_person_add)
            .service(units::unit_person_remove)
            .service(teachers::unit_teacher_list)
            .service(teachers::unit_teacher_create)
            .service(teachers::provider_teacher_list)
            .service(teachers::provider_teacher_create)
            .service(teachers::teacher_update)
            .service(teachers::teacher_delete)
            .service(providers::provider_create)
            .service(providers::provider_list)
            .service(providers::provider_view)
            .service(providers::qualification_apply)
            .service(providers::qualification_list)
            .service(providers::qualification_view)
            .service(providers::qualification_review)
            .service(providers::qualification_update)
            .service(providers::qualification_resubmit)
            .service(base_claims::base_claim_create)
            .service(base_claims::base_claim_list)
            .service(base_claims::base_claim_view)
            .service(base_claims::base_claim_review)
            .service(base_claims::base_claim_resubmit)
            .service(authorities::authority_apply)
            .service(authorities::authority_list)
            .service(authorities::authority_review_batch)
            .service(authorities::authority_view)
            .service(authorities::authority_review)
            .service(attachments::attachment_upload)
            .service(attachments::attachment_download)
            .service(catalogue::series_list)
            .service(catalogue::catalogue_list)
            .service(catalogue::catalogue_publish)
            .service(plans::course_plan_create)
            .service(plans::course_plan_list)
            .service(plans::course_plan_review_batch)
            .service(plans::course_plan_view)
            .service(plans::course_plan_update)
            .service(plans::course_plan_submit)
            .service(plans::course_plan_review)
            .service(plans::course_plan_file)
            .service(classes::class_create)
            .service(classes::class_list)
            .service(classes::class_view)
            .service(classes::class_transition)
            .service(classes::enrollment_create)
            .service(classes::enrollment_list)
            .service(classes::enrollment_review)
            .service(classes::enrollment_result)
            // The literal path before `/policies/{year}`, which it would match.
            .service(policies::policy_defaults_view)
            .service(policies::policy_defaults_set)
            .service(policies::policy_view)
            .service(policies::policy_set)
            .service(policies::unit_compliance)
            .service(statistics::unit_compliance_export)
            .service(statistics::statistics_view)
            .service(statistics::statistics_export)
            .service(certificates::certificate_issue)
            .service(certificates::certificate_check_batch)
            .service(evaluators::evaluator_grant)
            .service(evaluators::evaluator_list)
            .service(evaluators::evaluator_revoke)
            .service(certificates::certificate_list)
            .service(certificates::certificate_view)
            .service(certificates::certificate_reissue)
            .service(certificates::certificate_revoke)
            .service(certificates::certificate_holder_check)
            .service(certificates::certificate_credential)
            .service(certificates::certificate_pdf)
            .service(notices::notice_publish)
            .service(notices::notice_list)
            .service(notices::notice_view)
            .service(notices::notice_withdraw)
            .service(notices::notice_attachment)
            .service(audit::audit_chain_verify)
            .service(audit::audit_event_list)
            .service(credit::credit_record_create)
            .service(credit::credit_record_list)
            .service(credit::credit_record_public)
            .service(credit::credit_record_update)
            .service(webhooks::webhook_create)
            .service(webhooks::webhook_list)
            .service(webhooks::webhook_delete)
            .service(webhooks::webhook_deliveries)
            .service(webhooks::webhook_replay)
            .service(statistics::record_export)
            .service(records::record_push)
            .service(records::record_push_outcome)
            .service(records::record_list)
            .service(records::record_declare)
            .service(records::record_review_batch)
            .service(records::record_view)
            .service(records::record_update)
            .service(records::record_review)
            .service(records::record_resubmit)
            .service(records::record_withdraw)
            .service(records::record_declare_untruthful)
            .service(records::accounting_exam_record)
            .service(legacy::legacy_import)
            .service(legacy::person_legacy_history),
    )
    .service(certificates::issuer_jwks)
    .service(health::health_live)
    .service(health::health_ready)
    .service(health::metrics);
}
