//! Annual certificates (R-CE-1..4) and their public verification.

use crate::routes::extract::{Json, Query};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::verify_page;
use crate::auth::Caller;
use crate::certificates::documents;
use crate::certificates::{self, CertificateFilter};
use crate::domain::certificate::CertificateStatus;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::routes::attachments::FileBytes;
use crate::routes::pagination::PageQuery;
use crate::routes::views::certificates::{
    CertificatePage, CertificateView, EvaluationCheckView, HolderCheckView, Jwks, VerifyView,
};
use crate::routes::year;
use crate::routes::{IfMatchHeader, etag, if_match, non_blank};
use crate::state::AppState;

/// Which year to certify.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"year": 2026}))]
pub struct IssueRequest {
    #[schema(minimum = 2017, maximum = 2100, example = 2026)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    #[serde(deserialize_with = "super::whole::i32")]
    pub year: i32,
}

/// Issue a year's certificate
///
/// R-CE-1: certificates are issued by the approval that completes the
/// year; this issues one on demand for a complete year that has none (the
/// person, their unit's admins, hrss).
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Person id")),
    request_body = IssueRequest,
    responses(
        (status = 201, description = "The certificate", body = CertificateView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "The certificate"))),
        (status = 409, description = "The year has a certificate (`certificate_exists`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The year is not complete (`year_incomplete`, with the missing hours) or out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/persons/{id}/certificates")]
pub async fn certificate_issue(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
    body: Json<IssueRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let c = certificates::issue(&state, &auth, id.into_inner(), year(body.year)?).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/certificates/{}", c.id)))
        .insert_header(etag(c.version))
        .json(CertificateView::from(c)))
}

/// Filters of the certificate list.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct CertificateListQuery {
    #[param(nullable = false)]
    pub person_id: Option<Uuid>,
    #[param(minimum = 2017, maximum = 2100, nullable = false)]
    #[validate(range(min = 2017, max = 2100, code = "year_invalid"))]
    pub year: Option<i32>,
    #[param(nullable = false)]
    pub status: Option<CertificateStatus>,
}

/// List certificates
///
/// A person sees their own; a unit admin those issued while the person was
/// with the unit; hrss all. Oldest first.
#[utoipa::path(
    tag = "certificates",
    params(CertificateListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of certificates", body = CertificatePage),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/certificates")]
pub async fn certificate_list(
    state: web::Data<AppState>,
    auth: Caller,
    filter: Query<CertificateListQuery>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    filter.validate()?;
    query.validate()?;
    let page = Page::try_from(&*query)?;
    let f = filter.into_inner();
    let filter = CertificateFilter {
        person_id: f.person_id,
        year: f.year.map(year).transpose()?,
        status: f.status,
    };
    Ok(HttpResponse::Ok().json(CertificatePage::from(
        certificates::list(&state, &auth, filter, page).await?,
    )))
}

/// View a certificate
///
/// The person's own, their unit's, or any for hrss; others get 404.
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Certificate id")),
    responses(
        (status = 200, description = "The certificate", body = CertificateView,
            headers(("ETag" = String, description = "Its version"))),
    )
)]
#[get("/certificates/{id}")]
pub async fn certificate_view(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let c = certificates::get(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(c.version))
        .json(CertificateView::from(c)))
}

/// Reissue a certificate
///
/// R-CE-2 重新生成证书编号: a new certificate with a new number for the same
/// year and hours; the old number then verifies as `superseded`.
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Certificate id"), IfMatchHeader),
    responses(
        (status = 201, description = "The new certificate", body = CertificateView,
            headers(("ETag" = String, description = "Its version"), ("Location" = String, description = "The new certificate"))),
        (status = 409, description = "Not valid (superseded or revoked: `illegal_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/certificates/{id}/reissue")]
pub async fn certificate_reissue(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let c = certificates::reissue(&state, &auth, id.into_inner(), expected).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/certificates/{}", c.id)))
        .insert_header(etag(c.version))
        .json(CertificateView::from(c)))
}

/// Why a certificate is withdrawn.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"reason": "学时记录经核查不实，依规撤销"}))]
pub struct RevokeRequest {
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"\S",
        example = "学时造假，见信用记录"
    )]
    #[validate(length(min = 1, max = 500))]
    pub reason: String,
}

/// Revoke a certificate
///
/// hrss withdraws a valid certificate with a reason (e.g. after a
/// credit-record finding); its number then verifies as `revoked`.
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Certificate id"), IfMatchHeader),
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "The revoked certificate", body = CertificateView,
            headers(("ETag" = String, description = "Its new version"))),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not valid (`illegal_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version (`version_mismatch`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/certificates/{id}/revoke")]
pub async fn certificate_revoke(
    state: web::Data<AppState>,
    auth: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<RevokeRequest>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    body.validate()?;
    let reason = non_blank(&body.reason, "reason")?;
    let c = certificates::revoke(&state, &auth, id.into_inner(), expected, reason).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(c.version))
        .json(CertificateView::from(c)))
}

/// Verify a certificate number
///
/// R-CE-3, public: whether the number is a `valid`, `superseded` or
/// `revoked` certificate, or `unknown`; a valid one shows its year, hours
/// and the holder's masked name and ID number. Unknown and malformed
/// numbers answer 200 in the same shape, so responses reveal nothing; a
/// path longer than any number is 400 `certificate_number_invalid`. Each
/// client address may check `limits.verify_per_minute` numbers a minute
/// (default 60). Browsers (`Accept: text/html`, e.g. after scanning the
/// QR code on a printed certificate) get the same as a page.
#[utoipa::path(
    tag = "certificates",
    params(("number" = String, Path, max_length = 64, description = "The certificate number, as printed")),
    responses(
        (status = 200, description = "What the number is: JSON, or for `Accept: text/html` a self-contained page showing the same", content(
            (VerifyView = "application/json"),
            (String = "text/html"),
        )),
        (status = 429, description = "Too many checks from this address (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[get("/verify/{number}")]
pub async fn certificate_verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    number: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // R-CE-3: numbers are checked, not enumerated.
    crate::state::check_rate(&state.verify_limiter, state.client_ip(&req))?;
    if number.chars().count() > 64 {
        return Err(ApiError::bad_request(
            "certificate_number_invalid",
            "a certificate number is at most 64 characters",
        ));
    }
    let v = VerifyView::from(
        certificates::verify(&state, &crate::oversight::legacy::ARCHIVE, &number).await?,
    );
    let mut ok = HttpResponse::Ok();
    ok.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept"));
    if wants_html(&req) {
        return Ok(ok
            .content_type("text/html; charset=utf-8")
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                verify_page::CONTENT_SECURITY_POLICY,
            ))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(verify_page::render(&v, &state.settings.issuer_name)));
    }
    Ok(ok.json(v))
}

/// The applicant a relying party names.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id_card_no": "11010519491231002X", "name": "张三"}))]
pub struct HolderCheckRequest {
    /// The applicant's resident ID number (GB 11643).
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9]{17}[0-9Xx]$",
        example = "11010519491231002X"
    )]
    #[validate(length(min = 18, max = 18, code = "id_card_invalid"))]
    pub id_card_no: String,
    /// The applicant's name as on the ID card.
    #[schema(min_length = 1, max_length = 50, example = "张三")]
    #[validate(length(min = 1, max = 50, code = "name_invalid"))]
    pub name: String,
}

/// Check who holds a certificate number
///
/// R-CE-3 for relying parties (units, industry authorities, hrss): given
/// an applicant's ID number and name, whether the certificate with this
/// number is theirs, and its status. The only way to confirm a holder's ID
/// number: the public answer, the page, the PDF and the signed credential
/// show it masked, with no hash. Each check is audited; an account may ask
/// `limits.holder_check_per_minute` (30) a minute. Unknown numbers answer
/// `unknown` with `matches: false`.
#[utoipa::path(
    tag = "certificates",
    params(("number" = String, Path, max_length = 64, description = "The certificate number, as printed")),
    request_body = HolderCheckRequest,
    responses(
        (status = 200, description = "Whether the number is the applicant's", body = HolderCheckView),
        (status = 400, description = "A path longer than any number (`certificate_number_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a unit admin, an authority or hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid ID number (`id_card_invalid`) or name (`name_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many checks from this account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/verify/{number}/holder")]
pub async fn certificate_holder_check(
    state: web::Data<AppState>,
    auth: Caller,
    number: web::Path<String>,
    body: Json<HolderCheckRequest>,
) -> Result<HttpResponse, ApiError> {
    if number.chars().count() > 64 {
        return Err(ApiError::bad_request(
            "certificate_number_invalid",
            "a certificate number is at most 64 characters",
        ));
    }
    body.validate()?;
    let id = crate::domain::IdCardNo::parse(&body.id_card_no)
        .map_err(|e| ApiError::domain("id_card_no", e))?;
    let name =
        crate::domain::PersonName::parse(&body.name).map_err(|e| ApiError::domain("name", e))?;
    let v = certificates::check_holder(
        &state,
        &crate::oversight::legacy::ARCHIVE,
        &auth,
        &number,
        &id,
        &name,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(HolderCheckView::from(v)))
}

/// Whether the client ranks `text/html` above JSON (a browser does; the
/// SDK, curl's `*/*` and a missing or unreadable `Accept` get JSON).
fn wants_html(req: &HttpRequest) -> bool {
    use actix_web::http::header::{Accept, Header};
    let Ok(accept) = Accept::parse(req) else {
        return false;
    };
    for mime in accept.ranked() {
        match (mime.type_().as_str(), mime.subtype().as_str()) {
            ("text", "html") => return true,
            ("application", "json" | "problem+json") | ("*", "*") | ("application", "*") => {
                return false;
            }
            _ => {}
        }
    }
    false
}

/// A certificate as a signed, offline-verifiable credential.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialView {
    /// Always `vc+jwt`: an Open Badges 3.0 `AchievementCredential` (a W3C
    /// Verifiable Credential) signed as a compact JWS with `alg: EdDSA`.
    #[schema(example = "vc+jwt", max_length = 16)]
    pub format: String,
    /// The compact JWS (`header.payload.signature`, base64url).
    #[schema(min_length = 1, max_length = 65536)]
    pub jws: String,
    /// The key that signed it, as listed at `/.well-known/jwks.json`.
    #[schema(min_length = 43, max_length = 43)]
    pub kid: String,
}

/// Get a certificate's signed credential
///
/// R-CE-3: the certificate as an Open Badges 3.0 `AchievementCredential`
/// with the hours as results, signed with the issuer's Ed25519 key; check
/// it offline against `/.well-known/jwks.json`. The holder's ID number
/// appears only masked, and no hash of it: nobody can confirm it offline
/// (relying parties ask `POST /verify/{number}/holder`). The person, their
/// unit and hrss; valid certificates only.
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Certificate id")),
    responses(
        (status = 200, description = "The signed credential", body = CredentialView),
        (status = 409, description = "The certificate is superseded or revoked (`certificate_not_valid`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/certificates/{id}/credential")]
pub async fn certificate_credential(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let jws = documents::credential(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(CredentialView {
            format: "vc+jwt".into(),
            jws,
            kid: state.issuer.jwk().kid.clone(),
        }))
}

/// Print a certificate
///
/// R-CE-2: the certificate as an A4 PDF in Chinese (holder, masked ID
/// number, unit, year, hours, number, issue date, and a QR code of the
/// public verify URL); a paper copy is valid with the unit's seal. The
/// person, their unit and hrss; valid certificates only.
#[utoipa::path(
    tag = "certificates",
    params(("id" = Uuid, Path, description = "Certificate id")),
    responses(
        (status = 200, description = "The printable certificate", content((FileBytes = "application/pdf")),
            headers(("Content-Disposition" = String, description = "`inline; filename=\"certificate-<number>.pdf\"`"))),
        (status = 409, description = "The certificate is superseded or revoked (`certificate_not_valid`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many documents being drawn (`server_busy`): retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[get("/certificates/{id}/pdf")]
pub async fn certificate_pdf(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (number, bytes) = documents::pdf(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"certificate-{number}.pdf\""),
        ))
        .body(bytes))
}

/// The issuer's public keys
///
/// Public: the Ed25519 keys (JWK, RFC 8037) that check certificates'
/// credentials offline.
#[utoipa::path(
    tag = "certificates",
    responses(
        (status = 200, description = "The JWK set", body = Jwks),
    ),
    security(())
)]
#[get("/.well-known/jwks.json")]
pub async fn issuer_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(Jwks::from(state.issuer.jwks()))
}

/// An applicant a title committee names.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id_card_no": "11010519491231002X", "name": "张三"}))]
pub struct ApplicantRequest {
    /// The applicant's resident ID number (GB 11643).
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9]{17}[0-9Xx]$",
        example = "11010519491231002X"
    )]
    #[validate(length(min = 18, max = 18, code = "id_card_invalid"))]
    pub id_card_no: String,
    /// The applicant's name as on the ID card.
    #[schema(min_length = 1, max_length = 50, example = "张三")]
    #[validate(length(min = 1, max = 50, code = "name_invalid"))]
    pub name: String,
}

/// A title committee's bulk check.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"applicants": [{"id_card_no": "11010519491231002X", "name": "张三"}, {"id_card_no": "440106199003071231", "name": "陈晓红"}], "years": [2026]}))]
pub struct EvaluationCheckRequest {
    /// Up to 200 applicants; answered in this order.
    #[schema(min_items = 1, max_items = 200)]
    #[validate(length(min = 1, max = 200), nested)]
    pub applicants: Vec<ApplicantRequest>,
    /// The years whose certificates are asked; leave out for the current
    /// year in China time (R-CE-4: title evaluation asks for the current
    /// year's certificate).
    #[serde(default)]
    #[schema(max_items = 10)]
    #[validate(length(max = 10))]
    pub years: Vec<AskedYear>,
}

/// A year whose certificates a committee asks for.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[schema(value_type = i32, minimum = 2017, maximum = 2100, example = 2026)]
pub struct AskedYear(pub i32);

/// Check applicants' certificates in bulk
///
/// R-CE-5, R-CE-4: a title-evaluation committee (role `evaluator`, granted
/// by hrss for the series it evaluates) names applicants by ID number and
/// name and learns, for each, `found` with their certificates of the years
/// asked (by default the current year), `name_mismatch` (the name on file
/// is never shown), or `not_found` — unknown, or holding none of the
/// committee's series in those years, as a 404 would say. Each check is
/// audited (the applicants by person id, never an ID number in clear); an
/// account may check `limits.evaluator_checks_per_minute` (10) times a
/// minute.
#[utoipa::path(
    tag = "evaluators",
    request_body = EvaluationCheckRequest,
    responses(
        (status = 200, description = "One result per applicant, in order", body = EvaluationCheckView),
        (status = 403, description = "Not an evaluator (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No applicants or more than 200, an invalid ID number (`id_card_invalid`), name (`name_invalid`) or year (`year_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many checks from this account (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/certificates/checks")]
pub async fn certificate_check_batch(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<EvaluationCheckRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    let b = body.into_inner();
    let mut applicants = Vec::with_capacity(b.applicants.len());
    for (i, a) in b.applicants.iter().enumerate() {
        let id_card_no = crate::domain::IdCardNo::parse(&a.id_card_no)
            .map_err(|e| ApiError::domain(&format!("applicants[{i}].id_card_no"), e))?;
        let name = crate::domain::PersonName::parse(&a.name)
            .map_err(|e| ApiError::domain(&format!("applicants[{i}].name"), e))?;
        applicants.push(certificates::evaluation::Applicant { id_card_no, name });
    }
    let mut years = Vec::with_capacity(b.years.len());
    for (i, y) in b.years.iter().enumerate() {
        let y = crate::domain::Year::new(y.0)
            .map_err(|e| ApiError::domain(&format!("years[{i}]"), e))?;
        years.push(y.value());
    }
    let v = certificates::evaluation::check(&state, &auth, applicants, &years, state.clock.now())
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(EvaluationCheckView::from(v)))
}
