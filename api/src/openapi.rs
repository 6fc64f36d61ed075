//! The OpenAPI document: `ApiDoc` for the parts written by hand, the paths
//! collected from the registered handlers, and [`finish`], which adds the
//! responses every operation shares so no handler repeats them.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityRequirement,
    SecurityScheme,
};
use utoipa::openapi::{Content, OpenApi as Spec, Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};

/// The bearer scheme's name in the spec.
pub const BEARER: &str = "bearer";

/// The OAuth 2.0 client-credentials scheme's name: how a learning platform
/// gets its bearer token. Operations a platform calls declare it beside
/// the bearer scheme (`security(("bearer" = []), ("client_credentials" =
/// ["records:push"]))`), so generators and Swagger UI's Authorize can fetch
/// the token themselves.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// The one scope of a platform's token.
pub const PUSH_SCOPE: &str = "records:push";

/// Where a platform gets its token.
pub const TOKEN_URL: &str = "/api/v1/auth/token";

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
        crate::domain::event::RecordEvent,
        crate::domain::event::CertificateEvent,
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
        (name = "credit", description = "Credit records (信用档案): findings on persons, units, providers and platforms; the public list"),
        (name = "evaluators", description = "Title-evaluation committees (评审委员会, role `evaluator`): hrss's grants, and their bulk checks of applicants' certificates"),
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
        components.add_security_scheme(
            CLIENT_CREDENTIALS,
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    TOKEN_URL,
                    Scopes::one(
                        PUSH_SCOPE,
                        "Push completed hours, read them and their batches back, manage the platform's webhooks",
                    ),
                ))],
                "For learning platforms: the `client_id` and `client_secret` from `POST /api/v1/platforms`, sent as a form to the token URL (RFC 6749 §4.4); the answer's `access_token` is then sent as a bearer token",
            )),
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
    close_request_objects(&mut spec);
    spec.webhooks = Some(webhooks());
    spec
}

/// Every event a webhook endpoint receives (OpenAPI 3.1 `webhooks`): one
/// `POST` per event type, its body, the Standard Webhooks signature
/// headers, and what the answer means.
fn webhooks() -> utoipa::openapi::Paths {
    use crate::domain::event::EventType;
    use utoipa::openapi::HttpMethod;
    use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, PathItem};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(string_schema(1, 1000, None)))
            .build()
    };
    let mut paths = utoipa::openapi::Paths::new();
    for event in EventType::ALL {
        let name = event.as_str();
        let (schema, about) = if name.starts_with("record.") {
            ("RecordEvent", "the record and its new state")
        } else {
            ("CertificateEvent", "the certificate")
        };
        let op = OperationBuilder::new()
            .operation_id(Some(format!("webhook_{}", name.replace('.', "_"))))
            .tag("webhooks")
            .summary(Some(format!("The `{name}` event")))
            .description(Some(format!(
                "Sent to every endpoint subscribed to `{name}` (`POST /api/v1/webhooks`) as a JSON `POST` with {about}. Verify `webhook-signature`: base64 HMAC-SHA256, keyed with the endpoint's secret (the base64 after `whsec_`, decoded), of `{{webhook-id}}.{{webhook-timestamp}}.{{body}}` (Standard Webhooks). The same event keeps its `webhook-id` on every retry and replay: use it to drop duplicates."
            )))
            .parameter(header("webhook-id", "The event's id, the same on every attempt"))
            .parameter(header("webhook-timestamp", "Unix seconds when this attempt was signed"))
            .parameter(header(
                "webhook-signature",
                "`v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}`",
            ))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(schema))),
                    )
                    .required(Some(Required::True))
                    .build(),
            ))
            .response(
                "200",
                ResponseBuilder::new().description(
                    "Any 2xx acknowledges the delivery; anything else, or no answer within the timeout, is retried with backoff",
                ),
            )
            .build();
        // The receiver authenticates the sender by the signature, not by
        // a scheme of this API.
        let mut op = op;
        op.security = Some(Vec::new());
        paths
            .paths
            .insert(name.to_string(), PathItem::new(HttpMethod::Post, op));
    }
    paths
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
    let examples = answer_examples();
    for (path, item) in spec.paths.paths.iter_mut() {
        let answers_from_memory = IN_MEMORY.contains(&path.as_str());
        for op in operations_mut(item) {
            if !answers_from_memory {
                document_database_faults(op);
            }
            let public = matches!(&op.security, Some(reqs) if reqs.iter().all(|r| *r == SecurityRequirement::default()));
            let for_platforms = op
                .security
                .iter()
                .flatten()
                .any(|r| *r == SecurityRequirement::new(CLIENT_CREDENTIALS, [PUSH_SCOPE]));
            op.security = Some(if public {
                vec![]
            } else if for_platforms {
                vec![
                    SecurityRequirement::new(BEARER, Vec::<String>::new()),
                    SecurityRequirement::new(CLIENT_CREDENTIALS, [PUSH_SCOPE]),
                ]
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
                    "Missing, expired, invalid or signed-out bearer token (`unauthenticated`, `token_expired`, `token_invalid`, `token_revoked`)",
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
            attach_answer_example(op, &examples);
        }
        if let Some(op) = item.post.as_mut()
            && crate::routes::idempotency::creates(&actix_web::http::Method::POST, op)
        {
            document_idempotency(op);
        }
        if let Some(op) = item.get.as_mut() {
            document_conditional_get(op);
        }
    }
}

/// Examples of the success answers, by operation id: real answers of the
/// server, recorded from the authorization matrix's world (the e2e test
/// `authz::every_operation_as_every_caller_answers_the_class_of_the_matrix`
/// writes them with `EXAMPLES_WRITE=1`, lists cut to two items, and fails
/// when an example no longer has the shape of the server's answer).
const ANSWER_EXAMPLES: &str = include_str!("../spec/answers.json");

/// The recorded answers, `{operationId: {"status": "200", "example": …}}`.
pub fn answer_examples() -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_str(ANSWER_EXAMPLES).expect("api/spec/answers.json is a JSON object")
}

/// Puts an operation's recorded answer on its JSON success response.
fn attach_answer_example(
    op: &mut Operation,
    examples: &serde_json::Map<String, serde_json::Value>,
) {
    let Some(recorded) = op.operation_id.as_ref().and_then(|id| examples.get(id)) else {
        return;
    };
    let (Some(status), Some(example)) = (recorded["status"].as_str(), recorded.get("example"))
    else {
        return;
    };
    if let Some(RefOr::T(response)) = op.responses.responses.get_mut(status)
        && let Some(RefOr::T(content)) = response.content.get_mut("application/json")
    {
        content.example = Some(example.clone());
    }
}

/// The `$ref`s to component schemas anywhere in `value`, by name.
fn schema_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    out.push(name.to_string());
                }
                schema_refs(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| schema_refs(v, out)),
        _ => {}
    }
}

/// `additionalProperties: false` on every object a JSON request body can
/// hold: the server refuses fields an operation does not take
/// (`routes::extract::Json`). The push's body is read item by item (an
/// item with a field it does not take is rejected as `item_invalid` and the
/// others still count), so its envelope is left as `PushItem` declares it.
pub fn close_request_objects(spec: &mut Spec) {
    let mut todo: Vec<String> = Vec::new();
    for item in spec.paths.paths.values() {
        for (method, op) in [
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
        ] {
            let Some(op) = op else { continue };
            if method == "post" && op.operation_id.as_deref() == Some("record_push") {
                continue;
            }
            let Some(RefOr::T(body)) = &op.request_body else {
                continue;
            };
            if let Some(json) = body.content.get("application/json")
                && let Ok(v) = serde_json::to_value(json)
            {
                schema_refs(&v, &mut todo);
            }
        }
    }
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(schema) = components.schemas.get_mut(&name) else {
            continue;
        };
        if let Ok(v) = serde_json::to_value(&*schema) {
            schema_refs(&v, &mut todo);
        }
        if let RefOr::T(utoipa::openapi::Schema::Object(object)) = schema
            && !object.properties.is_empty()
            && object.additional_properties.is_none()
        {
            object.additional_properties = Some(Box::new(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        }
    }
}

fn string_schema(min: usize, max: usize, pattern: Option<&str>) -> utoipa::openapi::Schema {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(pattern)
        .into()
}

/// The `Idempotency-Key` of a creating operation (`routes::idempotency`
/// applies it to exactly these).
fn document_idempotency(op: &mut Operation) {
    use utoipa::openapi::path::ParameterBuilder;
    let param = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Any unique string per creation (a UUID, say). Sent again by the same caller with the same request within 24 hours, it replays the first answer (with `Idempotency-Replayed: true`) instead of creating a second resource; with another request it is 409 `idempotency_key_reused`, and while the first is still being answered 409 `idempotency_key_in_use`. Answers other than 2xx are not kept: a corrected request may reuse its key.",
        ))
        .schema(Some(string_schema(1, 255, Some(r"^[\x21-\x7E]+$"))))
        .example(Some(serde_json::json!("0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79")))
        .build();
    op.parameters
        .get_or_insert_with(Vec::new)
        .push(param.into());
    let reuse = "The `Idempotency-Key` was used for another request (`idempotency_key_reused`), or a request with it is still being answered (`idempotency_key_in_use`: retry after `Retry-After`)";
    match op.responses.responses.get_mut("409") {
        Some(RefOr::T(r)) => r.description = format!("{}; or: {reuse}", r.description),
        _ => {
            op.responses
                .responses
                .insert("409".to_string(), problem(reuse));
        }
    }
    if let Some(RefOr::T(created)) = op.responses.responses.get_mut("201") {
        created.headers.insert(
            crate::routes::idempotency::REPLAYED.to_string(),
            utoipa::openapi::HeaderBuilder::new()
                .schema(Some(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::Type::String)
                        .enum_values(Some(["true"])),
                ))
                .description(Some(
                    "`true` when this is the kept answer of an earlier request with the same `Idempotency-Key`",
                ))
                .build()
                .into(),
        );
    }
}

/// Operations answered without the database (the process's own state).
const IN_MEMORY: [&str; 3] = ["/health/live", "/metrics", "/.well-known/jwks.json"];

/// The 503 of a database fault the client should retry (`db::fault`), on
/// every operation that reads or writes the database; added to the
/// operation's own 503 where it has one.
fn document_database_faults(op: &mut Operation) {
    const FAULTS: &str = "The database cannot take the request now: unreachable or restarting (`database_unavailable`), locked by another writer (`database_busy`) or full (`database_full`); retry after `Retry-After` seconds";
    match op.responses.responses.get_mut("503") {
        Some(RefOr::T(r)) => {
            if !r.description.contains("database_unavailable") {
                r.description = format!("{}; or: {FAULTS}", r.description);
            }
        }
        _ => {
            let mut response = problem(FAULTS);
            if let RefOr::T(r) = &mut response {
                r.headers.insert(
                    "Retry-After".to_string(),
                    utoipa::openapi::HeaderBuilder::new()
                        .schema(Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::Type::String),
                        ))
                        .description(Some("Seconds to wait"))
                        .build()
                        .into(),
                );
            }
            op.responses.responses.insert("503".to_string(), response);
        }
    }
}

/// `If-None-Match` on a read that answers an ETag: 304 when it matches
/// (`routes::conditional`).
fn document_conditional_get(op: &mut Operation) {
    use utoipa::openapi::path::ParameterBuilder;
    let has_etag = matches!(op.responses.responses.get("200"),
        Some(RefOr::T(ok)) if ok.headers.contains_key("ETag"));
    if !has_etag {
        return;
    }
    op.parameters.get_or_insert_with(Vec::new).push(
        ParameterBuilder::new()
            .name("If-None-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "The ETag of a copy the client holds (or several, comma-separated): 304 without a body when it is still current",
            ))
            // No length limit: the header only ever narrows the answer to a
            // 304, and a tag list that matches nothing reads the copy.
            .schema(Some(
                utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String),
            ))
            .example(Some(serde_json::json!("\"3\"")))
            .build()
            .into(),
    );
    op.responses.responses.insert(
        "304".to_string(),
        ResponseBuilder::new()
            .description("The copy named by `If-None-Match` is still current")
            .header(
                "ETag",
                utoipa::openapi::HeaderBuilder::new()
                    .schema(Some(string_schema(1, 100, None)))
                    .description(Some("The current version"))
                    .build(),
            )
            .build()
            .into(),
    );
}
