//! Which addresses the server may call (no loopback, private or metadata
//! networks unless `webhooks.allow_private_addresses`): checked when an
//! endpoint is registered and again, on what the name resolves to, before
//! each delivery.

use crate::error::ServiceError;

/// Whether an address is on the public internet: not loopback, private,
/// link-local (cloud metadata), shared, unspecified, broadcast or multicast.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The host and port an endpoint address names.
pub(super) fn host_port(url: &str) -> Option<(String, u16)> {
    let u = reqwest::Url::parse(url).ok()?;
    let host = u.host_str()?.trim_matches(['[', ']']).to_string();
    Some((host, u.port_or_known_default()?))
}

/// Refuses an endpoint on the server's own networks when registering
/// (literal addresses and `localhost`), unless
/// `webhooks.allow_private_addresses`.
pub(super) fn check_public_literal(url: &str, allow_private: bool) -> Result<(), ServiceError> {
    if allow_private {
        return Ok(());
    }
    let Some((host, _)) = host_port(url) else {
        return Err(ServiceError::invalid_field(
            "url_invalid",
            "url",
            "not a valid address",
        ));
    };
    let lower = host.to_ascii_lowercase();
    let private = lower == "localhost"
        || lower.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| !is_public(ip));
    if private {
        return Err(ServiceError::invalid_field(
            "url_not_allowed",
            "url",
            "the address is on a loopback or private network",
        ));
    }
    Ok(())
}

/// Where a delivery connects: the host's name and the addresses it was
/// checked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Resolved {
    pub host: String,
    pub addrs: Vec<std::net::SocketAddr>,
}

/// Before each delivery: every address the host resolves to must be public
/// (a name can point anywhere after registration). The delivery then
/// connects to exactly these addresses ([`client_for`]), never resolving
/// the name again: between a check and a second lookup the name could be
/// pointed at the server's own network (DNS rebinding).
pub(super) async fn check_resolved(url: &str, allow_private: bool) -> Result<Resolved, String> {
    let (host, port) = host_port(url).ok_or("not a valid address")?;
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("the host does not resolve: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err("the host resolves to no address".into());
    }
    if !allow_private && let Some(a) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(format!(
            "refused: {host} resolves to {}, a loopback or private address",
            a.ip()
        ));
    }
    Ok(Resolved { host, addrs })
}

/// A client that reaches `resolved.host` only at the addresses checked
/// (TLS still names the host), with the worker's timeout and no redirects
/// (a redirect would lead to an address nobody checked).
pub(super) fn client_for(
    resolved: &Resolved,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none());
    // A literal address is connected to as it is.
    let builder = if resolved.host.parse::<std::net::IpAddr>().is_ok() {
        builder
    } else {
        builder.resolve_to_addrs(&resolved.host, &resolved.addrs)
    };
    builder.build().map_err(|e| e.to_string())
}

/// Checks an endpoint address: absolute `http` or `https` with a host, no
/// credentials, at most 2,000 characters.
pub fn check_url(url: &str) -> Result<String, ServiceError> {
    let bad = |why: &str| ServiceError::invalid_field("url_invalid", "url", why.to_string());
    let url = url.trim();
    if url.len() > 2000 {
        return Err(bad("at most 2000 characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("no spaces or control characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&format!("not an address: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("an http:// or https:// address"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("the address names no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("no user or password in the address"));
    }
    Ok(url.to_string())
}
