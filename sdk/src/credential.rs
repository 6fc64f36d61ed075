//! Offline checking of a certificate's signed credential (R-CE-3).
//!
//! A credential is a compact JWS (`alg: EdDSA`) whose payload is an Open
//! Badges 3.0 `AchievementCredential`. [`verify_credential`] checks the
//! signature against the issuer's JWK set (`/.well-known/jwks.json`,
//! fetched once and kept) and returns the credential, without the network.
//! Whether the certificate is still current (not superseded or revoked) is
//! an online question: ask `GET /verify/{number}`.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Serialize;

/// Why a credential was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    /// The key set could not be read as a JWK set.
    #[error("the key set is not a JWK set: {0}")]
    KeySet(String),
    /// The credential's header is unreadable or not `EdDSA`.
    #[error("not a credential: {0}")]
    Malformed(String),
    /// No published key has the credential's `kid`.
    #[error("no published key has id {0:?}")]
    UnknownKey(Option<String>),
    /// The signature does not match: the credential was altered or forged.
    #[error("the signature does not verify: {0}")]
    BadSignature(String),
}

/// A credential whose signature checked out.
#[derive(Debug, Clone)]
pub struct VerifiedCredential {
    /// The key that signed it.
    pub kid: String,
    /// The whole payload: the `AchievementCredential` and the JWT claims.
    pub claims: serde_json::Value,
}

impl VerifiedCredential {
    /// The credential's name, e.g. `2026年度专业技术人员继续教育证书`.
    pub fn name(&self) -> Option<&str> {
        self.claims.get("name").and_then(|v| v.as_str())
    }

    /// Each result as (result description id, value), e.g.
    /// (`…/annual/2026#public`, `30`).
    pub fn results(&self) -> Vec<(String, String)> {
        self.claims
            .pointer("/credentialSubject/result")
            .and_then(|v| v.as_array())
            .map(|rs| {
                rs.iter()
                    .filter_map(|r| {
                        Some((
                            r.get("resultDescription")?.as_str()?.to_string(),
                            r.get("value")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Hours of one line: `public`, `professional`, `elective`, `total` or
    /// `series:<code>`.
    pub fn hours(&self, key: &str) -> Option<f64> {
        let suffix = format!("#{key}");
        self.results()
            .into_iter()
            .find(|(id, _)| id.ends_with(&suffix))
            .and_then(|(_, v)| v.parse().ok())
    }
}

/// Checks `jws` against the issuer's key set (`types::Jwks`, a
/// `serde_json::Value`, or anything that serializes to a JWK set), offline.
pub fn verify_credential<K: Serialize>(
    jws: &str,
    jwks: &K,
) -> Result<VerifiedCredential, CredentialError> {
    let set: JwkSet = serde_json::to_value(jwks)
        .and_then(serde_json::from_value)
        .map_err(|e| CredentialError::KeySet(e.to_string()))?;
    let header =
        jsonwebtoken::decode_header(jws).map_err(|e| CredentialError::Malformed(e.to_string()))?;
    if header.alg != Algorithm::EdDSA {
        return Err(CredentialError::Malformed(format!(
            "alg is {:?}, not EdDSA",
            header.alg
        )));
    }
    let kid = header.kid.clone();
    let jwk = kid
        .as_deref()
        .and_then(|k| set.find(k))
        .ok_or_else(|| CredentialError::UnknownKey(kid.clone()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| CredentialError::KeySet(e.to_string()))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    // A certificate does not expire; `nbf` is its issue time.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<serde_json::Value>(jws, &key, &validation)
        .map_err(|e| CredentialError::BadSignature(e.to_string()))?;
    Ok(VerifiedCredential {
        kid: kid.unwrap_or_default(),
        claims: data.claims,
    })
}
