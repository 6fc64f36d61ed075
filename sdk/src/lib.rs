//! Client for the continuing-education API.
//!
//! [`generated`] is produced from `openapi.yaml` by progenitor at build time
//! (one method per operation, named like the operation: `auth_register`,
//! `platform_create`, …). This hand-written layer adds what a generator
//! cannot: [`Client::new`], token handling, login and client-credentials
//! helpers, and [`Error`] carrying the server's problem details.
//!
//! Learning platforms push completions with [`PlatformClient`] (batches,
//! retries, a token kept fresh; see [`platform`]), or from the command line
//! with `ce-push` (feature `cli`, on by default; see `cli`, and
//! `examples/push.rs`):
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let client = ce_sdk::PlatformClient::new("https://ce.example.org", "client-id", "secret");
//! let items: Vec<ce_sdk::types::PushItem> = Vec::new(); // or serde_json::Value
//! let report = client.push_all(&items).await?;
//! println!("{} accepted, {} duplicate", report.accepted, report.duplicate);
//! # Ok(())
//! # }
//! ```

#[allow(clippy::all, unused, dead_code, unreachable_pub, missing_docs)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
}

pub use generated::types;

pub mod credential;
pub use credential::{CredentialError, VerifiedCredential, verify_credential};

pub mod platform;
pub use platform::{PlatformClient, PushError, PushOptions, PushReport, ReportItem};

#[cfg(feature = "cli")]
pub mod cli;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde::Deserialize;

/// One invalid field, from a problem's `errors`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// An RFC 9457 problem the server answered with.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub problem_type: String,
    #[serde(default)]
    pub title: String,
    pub status: u16,
    #[serde(default)]
    pub detail: String,
    pub code: String,
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// What a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a problem.
    #[error("{} {}: {}", .0.status, .0.code, .0.detail)]
    Problem(Problem),
    /// The server answered with something that is not a problem.
    #[error("unexpected response {status}: {body}")]
    Unexpected { status: u16, body: String },
    /// The request did not get an answer.
    #[error("transport: {0}")]
    Transport(String),
}

impl Error {
    /// The problem, if the server sent one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Problem(p) => Some(p),
            _ => None,
        }
    }

    /// The HTTP status, if there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Problem(p) => Some(p.status),
            Error::Unexpected { status, .. } => Some(*status),
            Error::Transport(_) => None,
        }
    }

    /// The problem's `code`, if any.
    pub fn code(&self) -> Option<&str> {
        self.problem().map(|p| p.code.as_str())
    }
}

fn decode(status: u16, bytes: &[u8]) -> Error {
    match serde_json::from_slice::<Problem>(bytes) {
        Ok(p) => Error::Problem(p),
        Err(_) => Error::Unexpected {
            status,
            body: String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

/// Turns progenitor's error into [`Error`], reading problem bodies.
pub async fn from_progenitor<E: ErrorBody>(e: progenitor_client::Error<E>) -> Error {
    use progenitor_client::Error as P;
    match e {
        P::ErrorResponse(rv) => {
            let status = rv.status().as_u16();
            match rv.into_inner().bytes().await {
                Ok(bytes) => decode(status, &bytes),
                Err(e) => Error::Transport(e),
            }
        }
        P::UnexpectedResponse(resp) => {
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await.unwrap_or_default();
            decode(status, &bytes)
        }
        P::InvalidResponsePayload(bytes, e) => Error::Unexpected {
            status: 0,
            body: format!("{e}: {}", String::from_utf8_lossy(&bytes)),
        },
        P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => {
            Error::Transport(e.to_string())
        }
        P::InvalidRequest(s) | P::Custom(s) => Error::Transport(s),
    }
}

/// The body of a documented error response, as progenitor hands it over.
pub trait ErrorBody {
    fn bytes(self) -> futures_util::future::BoxFuture<'static, Result<Vec<u8>, String>>;
}

impl ErrorBody for progenitor_client::ByteStream {
    fn bytes(self) -> futures_util::future::BoxFuture<'static, Result<Vec<u8>, String>> {
        use futures_util::TryStreamExt;
        Box::pin(async move {
            let chunks: Vec<_> = self
                .into_inner()
                .try_collect()
                .await
                .map_err(|e| e.to_string())?;
            Ok(chunks.concat())
        })
    }
}

impl ErrorBody for () {
    fn bytes(self) -> futures_util::future::BoxFuture<'static, Result<Vec<u8>, String>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// Awaits a generated call and maps its error.
#[macro_export]
macro_rules! call {
    ($e:expr) => {
        match $e.await {
            Ok(v) => Ok(v.into_inner()),
            Err(e) => Err($crate::from_progenitor(e).await),
        }
    };
}

/// The API client: base URL, an optional bearer token, and the generated
/// operations behind [`Client::api`].
#[derive(Clone)]
pub struct Client {
    base_url: String,
    token: Option<String>,
    http: reqwest::Client,
    api: generated::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("authenticated", &self.token.is_some())
            .finish()
    }
}

/// The result of [`Client::login`].
#[derive(Debug, Clone)]
pub enum Login {
    /// Signed in; the client carries the token.
    Done(Client),
    /// A code was sent by SMS; finish with [`Client::login_verify`].
    CodeSent { challenge_id: uuid::Uuid },
}

impl Client {
    /// An anonymous client for `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::build(base_url.into(), None)
    }

    fn build(base_url: String, token: Option<String>) -> Self {
        let mut headers = HeaderMap::new();
        if let Some(t) = &token
            && let Ok(v) = HeaderValue::from_str(&format!("Bearer {t}"))
        {
            headers.insert(AUTHORIZATION, v);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        let api = generated::Client::new_with_client(&base_url, http.clone());
        Self {
            base_url,
            token,
            http,
            api,
        }
    }

    /// The same server with a bearer token.
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Self::build(self.base_url.clone(), Some(token.into()))
    }

    /// The token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every operation of the API, as generated.
    pub fn api(&self) -> &generated::Client {
        &self.api
    }

    /// Signs in with account (ID number, phone or account name) and password.
    pub async fn login(&self, account: &str, password: &str) -> Result<Login, Error> {
        let body = types::LoginRequest {
            account: account
                .parse()
                .map_err(|e| Error::Transport(format!("account: {e}")))?,
            password: password
                .parse()
                .map_err(|e| Error::Transport(format!("password: {e}")))?,
        };
        match call!(self.api.auth_login(&body))? {
            types::LoginResponse::TokenResponse(t) => {
                Ok(Login::Done(self.with_token(t.access_token)))
            }
            types::LoginResponse::MfaChallenge(c) => Ok(Login::CodeSent {
                challenge_id: c.challenge_id,
            }),
        }
    }

    /// Finishes a login with the SMS code.
    pub async fn login_verify(
        &self,
        challenge_id: uuid::Uuid,
        code: &str,
    ) -> Result<Client, Error> {
        let body = types::LoginVerifyRequest {
            challenge_id,
            code: code
                .parse()
                .map_err(|e| Error::Transport(format!("code: {e}")))?,
        };
        let t = call!(self.api.auth_login_verify(&body))?;
        Ok(self.with_token(t.access_token))
    }

    /// A platform's client from its client credentials.
    pub async fn client_credentials(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Client, Error> {
        let body = types::TokenRequest {
            grant_type: types::GrantType::ClientCredentials,
            client_id: client_id
                .parse()
                .map_err(|e| Error::Transport(format!("client_id: {e}")))?,
            client_secret: client_secret
                .parse()
                .map_err(|e| Error::Transport(format!("client_secret: {e}")))?,
            scope: None,
        };
        let t = call!(self.api.auth_token(&body))?;
        Ok(self.with_token(t.access_token))
    }

    /// Sends arbitrary bytes to a path, for what the typed operations cannot
    /// express (hostile-input tests, debugging). Returns the status and body.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<RawResponse, Error> {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base_url, path));
        if let Some(ct) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?
            .to_vec();
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }
}

/// An answer to [`Client::send_raw`].
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The body as a problem, if it is one.
    pub fn problem(&self) -> Option<Problem> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}
