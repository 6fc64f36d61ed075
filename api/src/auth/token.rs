//! HS256 access tokens with the claims of API.md: `iss`, `aud`, `sub`,
//! `exp`, `iat`, `jti`, `grants`, and `scopes` for platforms.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Grant;
use crate::config::AuthSettings;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The account id, or the platform id for platform tokens.
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    pub grants: Vec<Grant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

/// Signing and verification keys with the validation rules in force.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl JwtKeys {
    pub fn new(secret: &[u8], auth: &AuthSettings) -> Self {
        // Only HS256: a token with `alg: none` or any other algorithm fails.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&auth.issuer]);
        validation.set_audience(&[&auth.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: auth.issuer.clone(),
            audience: auth.audience.clone(),
        }
    }

    /// Issues a token for `sub` with the given grants and scopes.
    pub fn issue(
        &self,
        sub: Uuid,
        grants: Vec<Grant>,
        scopes: Vec<String>,
        ttl_seconds: u32,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub,
            iat: now,
            exp: now + i64::from(ttl_seconds),
            jti: Uuid::now_v7(),
            grants,
            scopes,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn keys(secret: &[u8]) -> JwtKeys {
        JwtKeys::new(secret, &AuthSettings::default())
    }

    fn grant() -> Vec<Grant> {
        vec![Grant {
            role: Role::Hrss,
            org_id: None,
            person_id: None,
        }]
    }

    #[test]
    fn issued_tokens_verify_with_their_claims() {
        let k = keys(b"0123456789abcdef0123456789abcdef");
        let sub = Uuid::now_v7();
        let t = k.issue(sub, grant(), vec![], 60).unwrap();
        let c = k.verify(&t).unwrap();
        assert_eq!(c.sub, sub);
        assert_eq!(c.grants, grant());
        assert_eq!(c.iss, "ce-api");
        assert_eq!(c.aud, "ce-api");
    }

    #[test]
    fn another_key_is_invalid() {
        let t = keys(b"0123456789abcdef0123456789abcdef")
            .issue(Uuid::now_v7(), grant(), vec![], 60)
            .unwrap();
        assert_eq!(
            keys(b"fedcba9876543210fedcba9876543210").verify(&t),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn alg_none_is_invalid() {
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let k = keys(b"0123456789abcdef0123456789abcdef");
        let t = k.issue(Uuid::now_v7(), grant(), vec![], 60).unwrap();
        let payload = t.split('.').nth(1).unwrap();
        let forged = format!("{}.{}.", e.encode(r#"{"alg":"none","typ":"JWT"}"#), payload);
        assert_eq!(k.verify(&forged), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_tokens_are_expired() {
        let k = keys(b"0123456789abcdef0123456789abcdef");
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: "ce-api".into(),
            aud: "ce-api".into(),
            sub: Uuid::now_v7(),
            iat: now - 7200,
            exp: now - 3600,
            jti: Uuid::now_v7(),
            grants: grant(),
            scopes: vec![],
        };
        let t = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap();
        assert_eq!(k.verify(&t), Err(TokenError::Expired));
    }
}
