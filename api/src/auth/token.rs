//! HS256 access tokens with the claims of API.md: `iss`, `aud`, `sub`,
//! `exp`, `iat`, `jti`, `grants`, and `scopes` for platforms, signed by
//! one key of a ring and naming it in the header's `kid`, so keys rotate
//! without signing anyone out (README "Rotating keys").

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Grant;
use crate::config::{AuthSettings, Settings};
use crate::crypto::load_or_create_key;

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

/// One HS256 key of the ring.
#[derive(Clone)]
struct RingKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Listed under the id derived from its secret: the key a token
    /// without `kid` (issued before tokens named their key) is tried with.
    legacy: bool,
}

/// The key id of a secret given without one (`JWT_SECRET`,
/// `DATA_DIR/jwt.key`): the first 16 hex digits of its SHA-256, so an
/// operator can name it in `auth.jwt_keys`
/// (`printf %s "$JWT_SECRET" | sha256sum | cut -c1-16`).
pub fn derived_kid(secret: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret))[..16].to_string()
}

/// Signing and verification keys with the validation rules in force: a
/// ring of HS256 keys, each with a key id; the current one signs and
/// names itself in the header's `kid`, any listed key verifies the tokens
/// that name it. A token naming a key not in the ring is invalid; one
/// naming none is tried with the legacy key only (see [`derived_kid`]).
#[derive(Clone)]
pub struct JwtKeys {
    keys: Vec<RingKey>,
    current: usize,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl JwtKeys {
    /// One key, under the id derived from it (a deployment's `JWT_SECRET`).
    pub fn new(secret: &[u8], auth: &AuthSettings) -> Self {
        Self::ring(&[(derived_kid(secret), secret.to_vec())], None, auth)
            .unwrap_or_else(|_| unreachable!("one key under its own id is a valid ring"))
    }

    /// Keys by id (`kid`, secret); `current` names the signing key, else
    /// the first signs.
    pub fn ring(
        keys: &[(String, Vec<u8>)],
        current: Option<&str>,
        auth: &AuthSettings,
    ) -> anyhow::Result<Self> {
        // Only HS256: a token with `alg: none` or any other algorithm fails.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&auth.issuer]);
        validation.set_audience(&[&auth.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        let mut ring: Vec<RingKey> = Vec::with_capacity(keys.len());
        for (kid, secret) in keys {
            let well_formed = !kid.is_empty()
                && kid.len() <= 64
                && kid
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !well_formed {
                anyhow::bail!("JWT key id `{kid}`: 1-64 letters, digits, `-` or `_`");
            }
            if ring.iter().any(|k| &k.kid == kid) {
                anyhow::bail!("JWT key id `{kid}` is listed twice");
            }
            if secret.len() < 32 {
                anyhow::bail!("the JWT secret of `{kid}` must be at least 32 characters");
            }
            ring.push(RingKey {
                kid: kid.clone(),
                encoding: EncodingKey::from_secret(secret),
                decoding: DecodingKey::from_secret(secret),
                legacy: *kid == derived_kid(secret),
            });
        }
        let current = match current {
            Some(c) => ring.iter().position(|k| k.kid == c).ok_or_else(|| {
                anyhow::anyhow!("the current JWT key `{c}` is not among the keys")
            })?,
            None if ring.is_empty() => anyhow::bail!("the JWT key list is empty"),
            None => 0,
        };
        Ok(Self {
            keys: ring,
            current,
            validation,
            issuer: auth.issuer.clone(),
            audience: auth.audience.clone(),
        })
    }

    /// The ring the settings describe: `auth.jwt_keys` when set, else
    /// `JWT_SECRET`, else the secret generated once into `DATA_DIR/jwt.key`.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let auth = &settings.auth;
        if !auth.jwt_keys.is_empty() {
            let mut keys = Vec::with_capacity(auth.jwt_keys.len());
            for entry in &auth.jwt_keys {
                let (kid, secret) = entry
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("each JWT key is written `kid:secret`"))?;
                keys.push((kid.trim().to_string(), secret.as_bytes().to_vec()));
            }
            return Self::ring(&keys, auth.jwt_current_kid.as_deref(), auth);
        }
        let secret = match &settings.jwt_secret {
            Some(s) if s.len() >= 32 => s.as_bytes().to_vec(),
            Some(_) => anyhow::bail!("JWT_SECRET must be at least 32 characters"),
            None => {
                let (key, created) = load_or_create_key(&settings.data_dir, "jwt.key")?;
                if created {
                    tracing::warn!(
                        path = %settings.data_dir.join("jwt.key").display(),
                        "JWT_SECRET is not set: generated a secret and kept it in DATA_DIR; set JWT_SECRET to share it between servers"
                    );
                }
                key
            }
        };
        Ok(Self::new(&secret, auth))
    }

    /// The id of the key that signs new tokens.
    pub fn current_kid(&self) -> &str {
        &self.keys[self.current].kid
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
        let key = &self.keys[self.current];
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &key.encoding)?)
    }

    /// Verifies signature (with the key the token names), algorithm,
    /// issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let key = match header.kid.as_deref() {
            Some(kid) => self.keys.iter().find(|k| k.kid == kid),
            None => self.keys.iter().find(|k| k.legacy),
        }
        .ok_or(TokenError::Invalid)?;
        jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation)
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

    fn kid_of(token: &str) -> Option<String> {
        jsonwebtoken::decode_header(token).unwrap().kid
    }

    fn ring(keys: &[(&str, &[u8])], current: Option<&str>) -> JwtKeys {
        let keys: Vec<(String, Vec<u8>)> = keys
            .iter()
            .map(|(k, s)| (k.to_string(), s.to_vec()))
            .collect();
        JwtKeys::ring(&keys, current, &AuthSettings::default()).unwrap()
    }

    const K1: &[u8] = b"k1-secret-k1-secret-k1-secret-k1";
    const K2: &[u8] = b"k2-secret-k2-secret-k2-secret-k2";

    #[test]
    fn tokens_name_their_key_and_verify_while_it_is_in_the_ring() {
        let old = ring(&[("k1", K1)], None);
        let t1 = old.issue(Uuid::now_v7(), grant(), vec![], 60).unwrap();
        assert_eq!(kid_of(&t1).as_deref(), Some("k1"));
        let rotated = ring(&[("k2", K2), ("k1", K1)], None);
        assert!(rotated.verify(&t1).is_ok());
        let t2 = rotated.issue(Uuid::now_v7(), grant(), vec![], 60).unwrap();
        assert_eq!(kid_of(&t2).as_deref(), Some("k2"));
        assert!(rotated.verify(&t2).is_ok());
        assert_eq!(old.verify(&t2), Err(TokenError::Invalid));
        let named = ring(&[("k1", K1), ("k2", K2)], Some("k2"));
        assert_eq!(
            kid_of(&named.issue(Uuid::now_v7(), grant(), vec![], 60).unwrap()).as_deref(),
            Some("k2")
        );
        assert_eq!(
            ring(&[("k2", K2)], None).verify(&t1),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn a_kid_that_names_another_key_is_invalid() {
        // The signature is k1's, the header claims k2: k2 does not verify it.
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let both = ring(&[("k2", K2), ("k1", K1)], Some("k1"));
        let t = both.issue(Uuid::now_v7(), grant(), vec![], 60).unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let header = e.encode(r#"{"typ":"JWT","alg":"HS256","kid":"k2"}"#);
        let swapped = format!("{header}.{}.{}", parts[1], parts[2]);
        assert_eq!(both.verify(&swapped), Err(TokenError::Invalid));
    }

    #[test]
    fn a_token_without_kid_is_tried_with_the_legacy_key_only() {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: "ce-api".into(),
            aud: "ce-api".into(),
            sub: Uuid::now_v7(),
            iat: now,
            exp: now + 60,
            jti: Uuid::now_v7(),
            grants: grant(),
            scopes: vec![],
        };
        let bare = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(K1),
        )
        .unwrap();
        // `JWT_SECRET` alone: its key is the legacy key.
        assert!(
            JwtKeys::new(K1, &AuthSettings::default())
                .verify(&bare)
                .is_ok()
        );
        // Listed under its derived id, it still is; under another name, not.
        let derived = derived_kid(K1);
        assert!(
            ring(&[("k2", K2), (derived.as_str(), K1)], None)
                .verify(&bare)
                .is_ok()
        );
        assert_eq!(
            ring(&[("k2", K2), ("k1", K1)], None).verify(&bare),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn rings_are_checked() {
        let auth = AuthSettings::default();
        let k = |kid: &str, s: &[u8]| vec![(kid.to_string(), s.to_vec())];
        assert!(JwtKeys::ring(&k("k1", b"short"), None, &auth).is_err());
        assert!(JwtKeys::ring(&k("k 1", K1), None, &auth).is_err());
        assert!(JwtKeys::ring(&k("k1", K1), Some("k2"), &auth).is_err());
        assert!(JwtKeys::ring(&[], None, &auth).is_err());
        let twice = [k("k1", K1), k("k1", K2)].concat();
        assert!(JwtKeys::ring(&twice, None, &auth).is_err());
        assert_eq!(derived_kid(K1).len(), 16);
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
        let t = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.keys[0].encoding)
            .unwrap();
        assert_eq!(k.verify(&t), Err(TokenError::Expired));
    }
}
