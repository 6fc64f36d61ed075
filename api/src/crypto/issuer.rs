//! The issuer's Ed25519 key: it signs certificates' credentials as compact
//! JWS (`alg: EdDSA`), and its public half is published as a JWK set so
//! anyone can check a credential offline (R-CE-3).
//!
//! The 32-byte seed lives in `DATA_DIR/issuer-ed25519.key`, created on
//! first start, unless `issuer_keys` lists the keys: then the first signs
//! and the retired ones stay published (README "Rotating keys"). A key id
//! is the RFC 7638 thumbprint of the public JWK.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::load_or_create_key;

/// The file in `DATA_DIR` that holds the seed.
pub const SEED_FILE: &str = "issuer-ed25519.key";

/// RFC 8410 PKCS#8 v1 prefix of an Ed25519 private key; the 32-byte seed follows.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// A public key as a JWK (RFC 8037 `OKP` / `Ed25519`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    /// Always `OKP`.
    pub kty: String,
    /// Always `Ed25519`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// The key id credentials name in their header: the RFC 7638 thumbprint.
    pub kid: String,
    /// Always `EdDSA`.
    pub alg: String,
    /// Always `sig`.
    pub use_: String,
}

/// The issuer's published keys.
#[derive(Debug, Clone)]
pub struct Jwks {
    pub keys: Vec<PublicJwk>,
}

/// The signing key and its public description, with the retired keys
/// still published so the credentials they signed keep verifying.
pub struct IssuerKey {
    encoding: EncodingKey,
    jwk: PublicJwk,
    retired: Vec<PublicJwk>,
}

/// The public JWK of an Ed25519 public key (32 bytes).
fn public_jwk(public: &[u8; 32]) -> PublicJwk {
    let x = URL_SAFE_NO_PAD.encode(public);
    // RFC 7638: the required members, in lexicographic order, no spaces.
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    PublicJwk {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x,
        kid,
        alg: "EdDSA".into(),
        use_: "sig".into(),
    }
}

/// A retired key as `issuer_keys` lists it: a 64-hex-character seed, or
/// `x:` and the public key in base64url (the JWK's `x`).
fn retired_jwk(entry: &str) -> anyhow::Result<PublicJwk> {
    let entry = entry.trim();
    if let Some(x) = entry.strip_prefix("x:") {
        let bytes = URL_SAFE_NO_PAD
            .decode(x.trim())
            .context("a retired issuer key `x:` is base64url")?;
        let Ok(public) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            bail!("an Ed25519 public key is 32 bytes, not {}", bytes.len());
        };
        ed25519_dalek::VerifyingKey::from_bytes(&public)
            .context("a retired issuer key is not an Ed25519 point")?;
        return Ok(public_jwk(&public));
    }
    Ok(IssuerKey::from_seed(&seed_of(entry)?)?.jwk)
}

fn seed_of(entry: &str) -> anyhow::Result<Vec<u8>> {
    let seed = hex::decode(entry.trim()).context("an issuer key seed is 64 hex characters")?;
    seed.get(..32)
        .map(<[u8]>::to_vec)
        .context("an issuer key seed is 64 hex characters")
}

impl IssuerKey {
    /// From a 32-byte seed.
    pub fn from_seed(seed: &[u8]) -> anyhow::Result<Self> {
        let Ok(seed) = <[u8; 32]>::try_from(seed) else {
            bail!("an Ed25519 seed is 32 bytes, not {}", seed.len());
        };
        let public = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        let mut der = PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        Ok(Self {
            encoding: EncodingKey::from_ed_der(&der),
            jwk: public_jwk(&public),
            retired: Vec::new(),
        })
    }

    /// The keys `issuer_keys` lists: the first (a seed) signs, the others
    /// are retired and only published; a key listed twice is refused.
    pub fn from_list(list: &[String]) -> anyhow::Result<Self> {
        let Some((current, retired)) = list.split_first() else {
            bail!("the issuer key list is empty");
        };
        let mut key = Self::from_seed(&seed_of(current)?)
            .context("the first issuer key signs, so it is a seed")?;
        for entry in retired {
            let jwk = retired_jwk(entry)?;
            if jwk.kid == key.jwk.kid || key.retired.iter().any(|k| k.kid == jwk.kid) {
                bail!("issuer key {} is listed twice", jwk.kid);
            }
            key.retired.push(jwk);
        }
        Ok(key)
    }

    /// The keys the settings describe: `issuer_keys` when set, else the
    /// key of `DATA_DIR`.
    pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Self> {
        if settings.issuer_keys.is_empty() {
            Self::load_or_create(&settings.data_dir)
        } else {
            Self::from_list(&settings.issuer_keys)
        }
    }

    /// The key of `DATA_DIR`, created on first start.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let (seed, created) = load_or_create_key(dir, SEED_FILE)?;
        if created {
            tracing::info!(path = %dir.join(SEED_FILE).display(), "created the issuer's signing key");
        }
        let seed = seed.get(..32).context("the issuer key is too short")?;
        Self::from_seed(seed)
    }

    /// The public key, as published.
    pub fn jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    /// The published set: the signing key first, then the retired ones.
    pub fn jwks(&self) -> Jwks {
        let mut keys = vec![self.jwk.clone()];
        keys.extend(self.retired.iter().cloned());
        Jwks { keys }
    }

    /// A compact JWS of `claims`, typed `typ`, naming this key.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.into());
        header.kid = Some(self.jwk.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).context("signing a credential")
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;

    #[test]
    fn signatures_verify_with_the_published_key_only() {
        let key = IssuerKey::from_seed(&[7u8; 32]).unwrap();
        let jws = key.sign("JWT", &serde_json::json!({"a": 1})).unwrap();
        let mut v = Validation::new(Algorithm::EdDSA);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let dk = DecodingKey::from_ed_components(&key.jwk().x).unwrap();
        let data = jsonwebtoken::decode::<serde_json::Value>(&jws, &dk, &v).unwrap();
        assert_eq!(data.claims["a"], 1);
        assert_eq!(data.header.kid.as_deref(), Some(key.jwk().kid.as_str()));
        let other = IssuerKey::from_seed(&[8u8; 32]).unwrap();
        let dk = DecodingKey::from_ed_components(&other.jwk().x).unwrap();
        assert!(jsonwebtoken::decode::<serde_json::Value>(&jws, &dk, &v).is_err());
    }

    #[test]
    fn the_key_id_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of its example key.
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        assert_eq!(
            URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        // RFC 8037 appendix A.1/A.2: that example's seed gives that public key.
        let seed = URL_SAFE_NO_PAD
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap();
        assert_eq!(IssuerKey::from_seed(&seed).unwrap().jwk().x, x);
    }

    #[test]
    fn retired_keys_stay_published_and_the_first_signs() {
        let a = IssuerKey::from_seed(&[7u8; 32]).unwrap();
        let b_seed = hex::encode([8u8; 32]);
        let rotated = IssuerKey::from_list(&[b_seed.clone(), hex::encode([7u8; 32])]).unwrap();
        let jwks = rotated.jwks();
        let kids: Vec<&str> = jwks.keys.iter().map(|k| k.kid.as_str()).collect();
        let b = IssuerKey::from_seed(&[8u8; 32]).unwrap();
        assert_eq!(kids, [b.jwk().kid.as_str(), a.jwk().kid.as_str()]);
        assert_eq!(rotated.jwk(), b.jwk());
        // A retired key may be listed by its public half alone.
        let public = IssuerKey::from_list(&[b_seed.clone(), format!("x:{}", a.jwk().x)]).unwrap();
        assert_eq!(public.jwks().keys[1], *a.jwk());
        assert!(IssuerKey::from_list(&[format!("x:{}", a.jwk().x)]).is_err());
        assert!(IssuerKey::from_list(&[b_seed.clone(), b_seed]).is_err());
        assert!(IssuerKey::from_list(&[]).is_err());
    }

    #[test]
    fn a_seed_of_the_wrong_length_is_refused() {
        assert!(IssuerKey::from_seed(&[1u8; 31]).is_err());
    }
}
