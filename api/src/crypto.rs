//! Keys kept in `DATA_DIR` and the personal-information vault.
//!
//! ID and phone numbers (PIPL) are encrypted with XChaCha20-Poly1305 and
//! found through an HMAC-SHA256 keyed hash, so the database alone reveals
//! neither and uniqueness still holds. Both keys derive from one 32-byte
//! master key (`PII_KEY` or `DATA_DIR/pii.key`).

pub mod issuer;

use std::path::Path;

use anyhow::{Context, bail};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Random bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// Reads a hex key from `dir/name`, or creates one with owner-only
/// permissions. Returns the key and whether it was just created.
pub fn load_or_create_key(dir: &Path, name: &str) -> anyhow::Result<(Vec<u8>, bool)> {
    let path = dir.join(name);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let key =
            hex::decode(text.trim()).with_context(|| format!("{} is not hex", path.display()))?;
        if key.len() < 32 {
            bail!("{} holds fewer than 32 bytes", path.display());
        }
        return Ok((key, false));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let key = random_bytes::<32>().to_vec();
    write_private(&path, &hex::encode(&key))?;
    Ok((key, true))
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("creating {}", path.display()))
}

/// HMAC-SHA256 of `parts` under `key`, hex-encoded.
pub fn keyed_hash(key: &[u8], parts: &[&[u8]]) -> String {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time comparison of two hex digests.
pub fn digest_eq(a: &str, b: &str) -> bool {
    use subtle_eq::ct_eq;
    ct_eq(a.as_bytes(), b.as_bytes())
}

mod subtle_eq {
    /// Compares without an early exit, so timing reveals nothing but length.
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Encrypts and hashes personal information.
#[derive(Clone)]
pub struct PiiVault {
    cipher: XChaCha20Poly1305,
    hash_key: [u8; 32],
}

impl PiiVault {
    /// From a master key of at least 32 bytes.
    pub fn new(master: &[u8]) -> anyhow::Result<Self> {
        if master.len() < 32 {
            bail!("the PII key must be at least 32 bytes (64 hex characters)");
        }
        let derive = |label: &str| -> [u8; 32] {
            let mut out = [0u8; 32];
            if let Ok(bytes) = hex::decode(keyed_hash(master, &[label.as_bytes()])) {
                out.copy_from_slice(&bytes[..32]);
            }
            out
        };
        let enc_key = derive("ce-pii-encryption");
        Ok(Self {
            cipher: XChaCha20Poly1305::new((&enc_key).into()),
            hash_key: derive("ce-pii-lookup"),
        })
    }

    /// The lookup hash of a value of the given kind (`id_card`, `phone`).
    pub fn hash(&self, kind: &str, value: &str) -> String {
        keyed_hash(&self.hash_key, &[kind.as_bytes(), value.as_bytes()])
    }

    /// A keyed hash for secrets that are random already (client secrets,
    /// one-time codes): fast, so token issue stays cheap under load.
    pub fn secret_hash(&self, purpose: &str, parts: &[&[u8]]) -> String {
        let mut all: Vec<&[u8]> = vec![purpose.as_bytes()];
        all.extend_from_slice(parts);
        keyed_hash(&self.hash_key, &all)
    }

    /// Nonce ‖ ciphertext.
    pub fn encrypt(&self, plain: &str) -> anyhow::Result<Vec<u8>> {
        let nonce = random_bytes::<24>();
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn decrypt(&self, data: &[u8]) -> anyhow::Result<String> {
        if data.len() < 24 {
            bail!("ciphertext too short");
        }
        let (nonce, ct) = data.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| anyhow::anyhow!("decryption failed: wrong PII key or corrupted data"))?;
        String::from_utf8(plain).context("decrypted value is not UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_round_trips_and_is_randomised() {
        let v = PiiVault::new(&[7u8; 32]).unwrap();
        let a = v.encrypt("44010619900101123X").unwrap();
        let b = v.encrypt("44010619900101123X").unwrap();
        assert_ne!(a, b);
        assert_eq!(v.decrypt(&a).unwrap(), "44010619900101123X");
        assert!(!String::from_utf8_lossy(&a).contains("440106"));
    }

    #[test]
    fn another_key_cannot_decrypt() {
        let a = PiiVault::new(&[7u8; 32]).unwrap().encrypt("x").unwrap();
        assert!(PiiVault::new(&[8u8; 32]).unwrap().decrypt(&a).is_err());
    }

    #[test]
    fn hashes_are_stable_keyed_and_separated_by_kind() {
        let v = PiiVault::new(&[7u8; 32]).unwrap();
        assert_eq!(
            v.hash("phone", "13800138000"),
            v.hash("phone", "13800138000")
        );
        assert_ne!(
            v.hash("phone", "13800138000"),
            v.hash("id_card", "13800138000")
        );
        let w = PiiVault::new(&[9u8; 32]).unwrap();
        assert_ne!(
            v.hash("phone", "13800138000"),
            w.hash("phone", "13800138000")
        );
    }

    #[test]
    fn keys_are_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("ce-key-{}", uuid::Uuid::now_v7()));
        let (k1, created1) = load_or_create_key(&dir, "k").unwrap();
        let (k2, created2) = load_or_create_key(&dir, "k").unwrap();
        assert!(created1 && !created2);
        assert_eq!(k1, k2);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn digest_comparison() {
        assert!(digest_eq("abc", "abc"));
        assert!(!digest_eq("abc", "abd"));
        assert!(!digest_eq("abc", "ab"));
    }
}
