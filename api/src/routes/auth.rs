//! Registration, login, SMS second factor, password reset, client
//! credentials and `GET /me` (R-ID-1, R-ID-3).

use crate::routes::extract::Json;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::domain::{IdCardNo, Password, PersonName, Phone};
use crate::error::{ApiError, Problem};
use crate::parties::accounts::{self, Registration};
use crate::parties::sessions;
use crate::platforms::clients;
use crate::routes::views::oversight::PersonalDataView;
use crate::routes::views::parties::{LoginResponse, Me, PasswordResetStarted, TokenResponse};
use crate::state::AppState;

/// A person's self-registration.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"name": "陈晓红", "id_card_no": "440106199003071231", "phone": "13800138000", "password": "Correct-horse-2026"}))]
pub struct RegisterRequest {
    /// The name on the ID card.
    #[schema(min_length = 1, max_length = 50, example = "张三")]
    #[validate(length(min = 1, max = 50, code = "name_invalid"))]
    pub name: String,
    /// 18-character resident ID number (GB 11643, check character by ISO 7064 MOD 11-2).
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9]{17}[0-9Xx]$",
        example = "11010519491231002X"
    )]
    #[validate(length(min = 18, max = 18, code = "id_card_invalid"))]
    pub id_card_no: String,
    /// Mainland mobile number; codes are sent to it.
    #[schema(min_length = 11, max_length = 20, example = "13800138000")]
    #[validate(length(min = 11, max = 20, code = "phone_invalid"))]
    pub phone: String,
    /// 8–128 characters with at least three of: lower case, upper case, digits, other.
    #[schema(min_length = 8, max_length = 128, format = Password)]
    #[validate(length(min = 8, max = 128, code = "password_weak"))]
    pub password: String,
}

impl TryFrom<RegisterRequest> for Registration {
    type Error = ApiError;

    fn try_from(r: RegisterRequest) -> Result<Self, Self::Error> {
        let mut errors = Vec::new();
        let name = PersonName::parse(&r.name)
            .map_err(|e| errors.push(("name", e)))
            .ok();
        let id_card_no = IdCardNo::parse(&r.id_card_no)
            .map_err(|e| errors.push(("id_card_no", e)))
            .ok();
        let phone = Phone::parse(&r.phone)
            .map_err(|e| errors.push(("phone", e)))
            .ok();
        let password = Password::parse(&r.password)
            .map_err(|e| errors.push(("password", e)))
            .ok();
        match (name, id_card_no, phone, password) {
            (Some(name), Some(id_card_no), Some(phone), Some(password)) => Ok(Registration {
                name,
                id_card_no,
                phone,
                password,
            }),
            _ => Err(ApiError::domain_fields(errors)),
        }
    }
}

/// Register as a person
///
/// Creates the person (R-ID-1: one ID number, one person), an account that
/// signs in with the ID number or phone, and the `person` grant. The person
/// still has to pass real-name verification before doing business (R-ID-2).
///
/// No `Idempotency-Key`: registration has no caller to key it by, and it is
/// idempotent by the ID number instead — sent again, it answers 409
/// `already_registered` and creates nothing; the person then signs in.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered: the new account with its person", body = Me,
            headers(("Location" = String, description = "`/api/v1/me`"))),
        (status = 409, description = "The ID number is already registered (`already_registered`) or the phone is bound to another account (`phone_taken`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field: `id_card_invalid`, `phone_invalid`, `password_weak`, `name_invalid`",
            body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this address (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        (status = 503, description = "Too many password checks in flight (`server_busy`): retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[post("/auth/register")]
pub async fn auth_register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    crate::state::check_rate(&state.register_limiter, state.client_ip(&req))?;
    let body = body.into_inner();
    body.validate()?;
    let me = accounts::register(&state, body.try_into()?).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, "/api/v1/me"))
        .json(Me::from(me)))
}

/// Account and password.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"account": "440106199003071231", "password": "Correct-horse-2026"}))]
pub struct LoginRequest {
    /// The ID number, the bound phone, or an account name such as `hrss-admin`.
    #[schema(min_length = 1, max_length = 64, example = "13800138000")]
    #[validate(length(min = 1, max = 64))]
    pub account: String,
    #[schema(min_length = 1, max_length = 128, format = Password)]
    #[validate(length(min = 1, max = 128))]
    pub password: String,
}

/// Sign in with account and password
///
/// With the second factor on (`MFA_REQUIRED`, the default) the answer is
/// `{mfa_required: true, challenge_id}` and a code goes to the bound phone;
/// finish with `POST /api/v1/auth/login/verify`. Otherwise the answer is the
/// token. Five consecutive failures lock the account for 15 minutes (R-ID-3).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A token, or an SMS challenge when the second factor is on", body = LoginResponse),
        (status = 401, description = "Wrong account or password (`invalid_credentials`)", body = Problem, content_type = "application/problem+json"),
        (status = 423, description = "Locked after repeated failures (`account_locked`); `Retry-After` says for how long",
            body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        (status = 503, description = "Too many password checks in flight (`server_busy`): retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn auth_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    crate::state::check_rate(&state.login_limiter, state.client_ip(&req))?;
    body.validate()?;
    let res = accounts::login(&state, &body.account, &body.password).await?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(LoginResponse::from(res)))
}

/// The SMS code of a login challenge.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"challenge_id": "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79", "code": "482913"}))]
pub struct LoginVerifyRequest {
    pub challenge_id: Uuid,
    /// The six digits sent by SMS.
    #[schema(
        min_length = 6,
        max_length = 6,
        pattern = "^[0-9]{6}$",
        example = "123456"
    )]
    #[validate(length(min = 6, max = 6, code = "code_invalid"))]
    pub code: String,
}

/// Finish a login with the SMS code
///
/// A wrong code counts as a failed login towards the lock-out; a code works
/// once, for a few minutes.
#[utoipa::path(
    tag = "auth",
    request_body = LoginVerifyRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong, used or expired code (`code_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 423, description = "Locked after repeated failures (`account_locked`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[post("/auth/login/verify")]
pub async fn auth_login_verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    crate::state::check_rate(&state.login_limiter, state.client_ip(&req))?;
    body.validate()?;
    let res = accounts::login_verify(&state, body.challenge_id, &body.code).await?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(TokenResponse::from(res)))
}

/// Which account forgot its password.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"account": "13800138000"}))]
pub struct PasswordResetRequest {
    /// The ID number, the bound phone, or an account name.
    #[schema(min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = 64))]
    pub account: String,
}

/// Start a password reset
///
/// Sends a code to the account's bound phone (密码找回). The answer is the
/// same whether or not the account exists, so it cannot be used to find
/// accounts.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "A code was sent if the account exists", body = PasswordResetStarted),
        (status = 429, description = "Too many attempts from this address (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[post("/auth/password-reset")]
pub async fn auth_password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    crate::state::check_rate(&state.login_limiter, state.client_ip(&req))?;
    body.validate()?;
    let res = accounts::password_reset_start(&state, &body.account).await?;
    Ok(HttpResponse::Accepted().json(PasswordResetStarted::from(res)))
}

/// The code and the new password.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"challenge_id": "0190f5b2-8d6e-7c3a-9b1f-3e2d4c5b6a79", "code": "482913", "new_password": "Another-horse-2027"}))]
pub struct PasswordResetConfirmRequest {
    pub challenge_id: Uuid,
    #[schema(min_length = 6, max_length = 6, pattern = "^[0-9]{6}$")]
    #[validate(length(min = 6, max = 6, code = "code_invalid"))]
    pub code: String,
    /// 8–128 characters with at least three of: lower case, upper case, digits, other.
    #[schema(min_length = 8, max_length = 128, format = Password)]
    #[validate(length(min = 8, max = 128, code = "password_weak"))]
    pub new_password: String,
}

/// Set a new password with the reset code
///
/// Sets the password and unlocks the account (R-ID-3).
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetConfirmRequest,
    responses(
        (status = 204, description = "Password changed; the account is unlocked"),
        (status = 401, description = "Wrong, used or expired code (`code_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password is too weak (`password_weak`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        (status = 503, description = "Too many password checks in flight (`server_busy`): retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[post("/auth/password-reset/confirm")]
pub async fn auth_password_reset_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<PasswordResetConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    crate::state::check_rate(&state.login_limiter, state.client_ip(&req))?;
    body.validate()?;
    let pw =
        Password::parse(&body.new_password).map_err(|e| ApiError::domain("new_password", e))?;
    accounts::password_reset_confirm(&state, body.challenge_id, &body.code, pw).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The OAuth 2.0 grant type; only client credentials.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    ClientCredentials,
}

/// Client credentials (RFC 6749 §4.4), form-encoded or JSON.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"grant_type": "client_credentials", "client_id": "pf_ab9c09c59f6125c16d28e8ca", "client_secret": "kq3Jx0V2mH8yTnR5bW7cZ1pL4sD6fG9hA0eU2iO3uYt", "scope": "records:push"}))]
pub struct TokenRequest {
    pub grant_type: GrantType,
    #[schema(min_length = 1, max_length = 64)]
    #[validate(length(min = 1, max = 64))]
    pub client_id: String,
    #[schema(min_length = 1, max_length = 128, format = Password)]
    #[validate(length(min = 1, max = 128))]
    pub client_secret: String,
    /// Space-separated scopes asked for (RFC 6749 §3.3). Optional: a
    /// platform's token always carries its one scope, `records:push`; any
    /// other scope is 400 `invalid_scope`.
    #[schema(max_length = 200, example = "records:push")]
    #[validate(length(max = 200))]
    pub scope: Option<String>,
}

/// Get a platform token with client credentials
///
/// For learning platforms: `grant_type=client_credentials` with the
/// `client_id` and `client_secret` from `POST /api/v1/platforms`, as
/// `application/x-www-form-urlencoded` as RFC 6749 §4.4 writes it. The same
/// fields as a JSON object (`Content-Type: application/json`) are accepted
/// too, for clients written before the form was the declared body; the spec
/// declares the form alone so that generators build one call. The token
/// carries role `platform` and scope `records:push`. Cheap: one indexed read
/// and one HMAC, no password hashing.
#[utoipa::path(
    tag = "auth",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The platform's token", body = TokenResponse),
        (status = 400, description = "An unreadable form (`malformed_request`), or a scope other than `records:push` (`invalid_scope`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown client, wrong secret or revoked client (`invalid_client`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[post("/auth/token")]
pub async fn auth_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    crate::state::check_rate(&state.token_limiter, state.client_ip(&req))?;
    let body = super::read_body(&req, payload, state.settings.limits.json_body_bytes).await?;
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let parsed: TokenRequest = match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            serde_urlencoded::from_bytes(&body).map_err(|e| {
                ApiError::bad_request(
                    "malformed_request",
                    format!("the form could not be read: {e}"),
                )
            })?
        }
        "application/json" => serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(
                "malformed_request",
                format!("the JSON could not be read: {e}"),
            )
        })?,
        _ => {
            return Err(ApiError::unsupported_media_type(
                "application/x-www-form-urlencoded or application/json",
            ));
        }
    };
    parsed.validate()?;
    if let Some(scope) = &parsed.scope
        && scope
            .split(' ')
            .any(|s| !s.is_empty() && s != crate::openapi::PUSH_SCOPE)
    {
        return Err(ApiError::bad_request(
            "invalid_scope",
            format!(
                "a platform token carries the scope {} only",
                crate::openapi::PUSH_SCOPE
            ),
        ));
    }
    let res = clients::token(&state, &parsed.client_id, &parsed.client_secret).await?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(TokenResponse::from(res)))
}

/// The refresh token of a sign-in.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[schema(example = json!({"refresh_token": "rt_2vQm8Yw3kR0xLb7nTz5cHf1pJd9sGa4eUo6iNyWqXcE"}))]
pub struct RefreshRequest {
    /// The `refresh_token` of the last token response.
    #[schema(min_length = 1, max_length = 128, format = Password)]
    #[validate(length(min = 1, max = 128))]
    pub refresh_token: String,
}

/// Exchange a refresh token for a new token pair
///
/// For a person's or admin's session (SPA and mobile clients): the refresh
/// token of the last token response buys a new access token and a new
/// refresh token; the one sent is spent. Presenting a spent refresh token
/// again means a copy is in someone else's hands: the whole session is
/// revoked — the newest refresh token too — and the answer is 401
/// `refresh_token_reused`; sign in again. Anonymous by design: the refresh
/// token is the credential (the access token may have expired).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "The next access token and refresh token", body = TokenResponse),
        (status = 401, description = "Unknown (`refresh_token_invalid`), expired (`refresh_token_expired`), signed out or revoked (`refresh_token_revoked`), or spent before: the session is now revoked (`refresh_token_reused`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address (`rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    ),
    security(())
)]
#[post("/auth/refresh")]
pub async fn auth_refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    crate::state::check_rate(&state.token_limiter, state.client_ip(&req))?;
    body.validate()?;
    let res = sessions::refresh(&state, &body.refresh_token).await?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(TokenResponse::from(res)))
}

/// Sign out
///
/// Ends the caller's session: the access token sent is refused from now on
/// (401 `token_revoked`) until it would have expired — at once on this
/// server, within `auth.deny_list_refresh_ms` (1 s) on the others — and the
/// refresh token it came with (its whole family) no longer works. Any
/// caller may sign out its own token, a platform too.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    responses(
        (status = 204, description = "Signed out"),
    )
)]
#[post("/auth/logout")]
pub async fn auth_logout(
    state: web::Data<AppState>,
    auth: Caller,
) -> Result<HttpResponse, ApiError> {
    sessions::sign_out(&state, &auth).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who am I
///
/// The account (or platform) behind the token, its grants, and its person
/// with ID and phone numbers unmasked (the caller is their holder).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = []), ("client_credentials" = ["records:push"])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 404, description = "The account behind the token no longer exists (`not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn me_view(state: web::Data<AppState>, auth: Caller) -> Result<HttpResponse, ApiError> {
    let me = accounts::me(&state, &auth).await?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(Me::from(me)))
}

/// Download my data
///
/// A person's copy of everything held about them (PIPL 第四十五条), as one
/// JSON document to keep: the profile with their own ID and phone numbers
/// in clear, their records, certificates, the credit records about them
/// and the audit events about them. Each part holds at most 10,000 items
/// (`truncated` names a part cut there). The person role only, and only
/// the caller's own data; the download is itself an audit event.
#[utoipa::path(
    tag = "persons",
    responses(
        (status = 200, description = "The document", body = PersonalDataView,
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"personal-data-<person id>.json\"`"))),
        (status = 403, description = "The caller is not a person (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/data")]
pub async fn me_data(state: web::Data<AppState>, auth: Caller) -> Result<HttpResponse, ApiError> {
    let data = crate::oversight::personal_data::export(&state, &auth).await?;
    let filename = format!("personal-data-{}.json", data.person.id);
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .json(PersonalDataView::from(data)))
}

fn no_store() -> (header::HeaderName, &'static str) {
    (header::CACHE_CONTROL, "no-store")
}
