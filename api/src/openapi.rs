//! The OpenAPI document: `ApiDoc` for the parts written by hand, the paths
//! collected from the registered handlers, and [`finish`], which adds the
//! responses every operation shares so no handler repeats them.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Spec, Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};

/// The bearer scheme's name in the spec.
pub const BEARER: &str = "bearer";

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Continuing education for professional and technical personnel (Guangdong)",
        description = "JSON REST API behind 专业技术人员继续教育管理系统: persons and units, providers and authorities, classes, hours records and their review, annual compliance and certificates.\n\nErrors are RFC 9457 problem details (`application/problem+json`) with a stable `code`. Lists take `limit` (1–500, default 50) and `cursor` and answer `{items, next_cursor}`. ID and phone numbers are shown masked except to their holder, the holder's unit and hrss.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "Continuing-education API team")
    ),
    servers((url = "/", description = "This server")),
    // Enums only query parameters name need registering by hand.
    components(schemas(
        Problem,
        FieldError,
        crate::domain::compliance::UnitComplianceSort
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Registration, login with SMS second factor, password reset, tokens, the caller"),
        (name = "persons", description = "Professionals: profile, series per year, real-name verification"),
        (name = "units", description = "Employer units and their admin sub-accounts"),
        (name = "bindings", description = "Persons bound to units: requests, decisions, history"),
        (name = "teachers", description = "Teacher rosters of units and providers"),
        (name = "catalogue", description = "Professional series and the professional-subject catalogue"),
        (name = "platforms", description = "Learning-platform clients that push completed hours"),
        (name = "providers", description = "Training providers, the city-level bases, and their qualifications per series"),
        (name = "authorities", description = "Industry authorities: applications province → city → district and their review"),
        (name = "course-plans", description = "Professional course plans of providers, units and authorities, and their review"),
        (name = "classes", description = "Classes under course plans: filing, lifecycle, enrolment, results, closing into records"),
        (name = "compliance", description = "Annual verification: a person's standing against the year's policy"),
        (name = "certificates", description = "Annual certificates: issue, reissue, revocation, public verification"),
        (name = "records", description = "Continuing-education records of hours"),
        (name = "legacy", description = "Legacy data of the old city system (历史(旧系统)数据): CSV imports by hrss, read-only history, certificates that verify"),
        (name = "credit", description = "Credit records (信用档案): findings on persons, units and providers; the public list"),
        (name = "audit", description = "The audit trail (R-CR-2): every change of state, who made it with which grant, and when"),
        (name = "statistics", description = "Statistics (R-ST-1): persons, completion, hours and certificates per series, unit or region; CSV exports"),
        (name = "notices", description = "Notices and policy documents (通知公告, 政策法规) for everyone"),
        (name = "webhooks", description = "Signed, retried event deliveries to platforms and units, with their logs"),
        (name = "attachments", description = "Uploaded documents (PDF, PNG, JPEG)"),
        (name = "operations", description = "Health and metrics for operators"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut Spec) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from `/api/v1/auth/login` (+ `/login/verify`) or `/api/v1/auth/token`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole document as the server publishes it.
pub fn spec() -> Spec {
    use utoipa_actix_web::AppExt;
    let (_, mut spec) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    finish(&mut spec);
    spec
}

/// The document as YAML, as committed in `openapi.yaml`.
pub fn spec_yaml() -> anyhow::Result<String> {
    Ok(spec().to_yaml()?)
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
        .into()
}

fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Adds what every operation shares: the bearer requirement unless the
/// handler declared itself public with `security(())`, and the problem
/// responses its shape implies (401/403 with a token, 400/413/415/422 with
/// a body, 400 with parameters, 404 with path parameters).
pub fn finish(spec: &mut Spec) {
    for item in spec.paths.paths.values_mut() {
        for op in operations_mut(item) {
            let public = matches!(&op.security, Some(reqs) if reqs.iter().all(|r| *r == SecurityRequirement::default()));
            op.security = Some(if public {
                vec![]
            } else {
                vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]
            });
            let params: Vec<ParameterIn> = op
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    RefOr::T(p) => Some(p.parameter_in.clone()),
                    RefOr::Ref(_) => None,
                })
                .collect();
            let has_body = op.request_body.is_some();
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem(description));
            };
            if !public {
                add(
                    "401",
                    "Missing, expired or invalid bearer token (`unauthenticated`, `token_expired`, `token_invalid`)",
                );
                add(
                    "403",
                    "The caller's role does not allow this operation (`forbidden`)",
                );
            }
            if has_body || !params.is_empty() {
                add(
                    "400",
                    "Malformed JSON, form, query or path (`malformed_request`, `query_invalid`, `path_invalid`)",
                );
            }
            if params.iter().any(|p| matches!(p, ParameterIn::Query)) {
                add(
                    "422",
                    "A query parameter is out of range or refers to nothing (`validation_failed`, `cursor_invalid`, …)",
                );
            }
            if has_body {
                add(
                    "413",
                    "Request body larger than the limit (`payload_too_large`)",
                );
                add(
                    "415",
                    "Content type not accepted (`unsupported_media_type`)",
                );
                add(
                    "422",
                    "Well-formed but invalid; the fields are listed in `errors`",
                );
            }
            if params.iter().any(|p| matches!(p, ParameterIn::Path)) {
                add(
                    "404",
                    "Unknown, or outside the caller's scope (`not_found`)",
                );
            }
            if let Some(RefOr::T(body)) = op.request_body.as_mut() {
                body.required = Some(Required::True);
            }
        }
    }
}
