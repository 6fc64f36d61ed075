//! `If-None-Match` on reads (RFC 9110 §13.1.2): a `GET` whose answer
//! carries an ETag the client already holds is answered 304 with the ETag
//! and no body, so a client polling a person, a certificate or a provider
//! pays for the read but not for the transfer. Every read that answers an
//! ETag gets it (`openapi::finish` documents it on exactly those).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// Whether `if_none_match` (a header value) names `etag` by the weak
/// comparison: `*`, or one of its comma-separated tags, `W/` ignored.
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let etag = opaque(etag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || opaque(t) == etag)
}

/// The middleware (registered on the app in `startup`).
pub async fn not_modified(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let asked = match *req.method() {
        Method::GET | Method::HEAD => req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        _ => None,
    };
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(asked) = asked else {
        return Ok(res);
    };
    let etag = res
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match etag {
        Some(etag) if res.status() == StatusCode::OK && matches(&asked, &etag) => {
            let (req, _) = res.into_parts();
            let answer = HttpResponse::NotModified()
                .insert_header((header::ETAG, etag))
                .finish();
            Ok(ServiceResponse::new(req, answer))
        }
        _ => Ok(res),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn weak_comparison_of_lists_and_star() {
        assert!(matches("\"3\"", "\"3\""));
        assert!(matches("W/\"3\"", "\"3\""));
        assert!(matches("\"1\", \"3\"", "\"3\""));
        assert!(matches("*", "\"3\""));
        assert!(!matches("\"4\"", "\"3\""));
        assert!(!matches("\"31\"", "\"3\""));
    }
}
