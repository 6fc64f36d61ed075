//! Keys kept in `DATA_DIR` and the personal-information vault.
//!
//! ID and phone numbers (PIPL) are encrypted with XChaCha20-Poly1305 and
//! found through an HMAC-SHA256 keyed hash, so the database alone reveals
//! neither and uniqueness still holds. The encryption keys are versioned
//! (`pii_keys`, see README "Rotating keys"; [`reencrypt`] moves stored
//! ciphertexts to the current one); the lookup key derives from a master
//! that does not rotate (`pii_hash_key`, else `PII_KEY` or
//! `DATA_DIR/pii.key`).

pub mod issuer;
pub mod reencrypt;

use std::path::Path;

use anyhow::{Context, bail};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
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

/// The three bytes that open a versioned ciphertext (version 2 and up);
/// the version byte follows. Version 1 is the legacy form, `nonce ‖
/// ciphertext` with no header, so a deployment that never rotates writes
/// what older binaries read.
const MAGIC: [u8; 3] = [0xCE, b'P', b'K'];
/// Header, nonce and tag: the shortest a versioned ciphertext can be.
const VERSIONED_MIN: usize = MAGIC.len() + 1 + 24 + 16;

/// Encrypts and hashes personal information.
///
/// Encryption keys are versioned: each ciphertext names the version that
/// sealed it (a header; none for version 1), new ones are sealed with the
/// current version, and any version in the ring opens. The lookup-hash
/// key is separate and does not rotate: it derives from the lookup master
/// (`PII_HASH_KEY`, else `PII_KEY`) with its own label, so no encryption
/// key of version 2 or later says anything about it.
#[derive(Clone)]
pub struct PiiVault {
    ciphers: Vec<(u8, XChaCha20Poly1305)>,
    current: u8,
    hash_key: [u8; 32],
}

/// `HMAC(master, label)`: a key for one purpose.
fn derive(master: &[u8], label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(bytes) = hex::decode(keyed_hash(master, &[label.as_bytes()])) {
        out.copy_from_slice(&bytes[..32]);
    }
    out
}

fn long_enough(what: &str, key: &[u8]) -> anyhow::Result<()> {
    if key.len() < 32 {
        bail!("{what} must be at least 32 bytes (64 hex characters)");
    }
    Ok(())
}

impl PiiVault {
    /// From one master key of at least 32 bytes: the lookup master and the
    /// encryption key of version 1 (the form before keys were versioned).
    pub fn new(master: &[u8]) -> anyhow::Result<Self> {
        Self::with_keys(master, &[(1, master.to_vec())], 1)
    }

    /// The lookup master, and the encryption masters by version (1–255,
    /// each at least 32 bytes) with the one that seals new ciphertexts.
    pub fn with_keys(
        lookup_master: &[u8],
        keys: &[(u8, Vec<u8>)],
        current: u8,
    ) -> anyhow::Result<Self> {
        long_enough("the PII lookup key", lookup_master)?;
        let mut ciphers: Vec<(u8, XChaCha20Poly1305)> = Vec::with_capacity(keys.len());
        for (version, master) in keys {
            if *version == 0 {
                bail!("PII key versions start at 1");
            }
            if ciphers.iter().any(|(v, _)| v == version) {
                bail!("PII key version {version} is listed twice");
            }
            long_enough(&format!("PII key version {version}"), master)?;
            let enc_key = derive(master, "ce-pii-encryption");
            ciphers.push((*version, XChaCha20Poly1305::new((&enc_key).into())));
        }
        if !ciphers.iter().any(|(v, _)| *v == current) {
            bail!("the current PII key version {current} is not among the keys");
        }
        Ok(Self {
            ciphers,
            current,
            hash_key: derive(lookup_master, "ce-pii-lookup"),
        })
    }

    /// The version new ciphertexts are sealed with.
    pub fn current_version(&self) -> u8 {
        self.current
    }

    fn cipher(&self, version: u8) -> Option<&XChaCha20Poly1305> {
        self.ciphers
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, c)| c)
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

    /// Sealed with the current version: `nonce ‖ ciphertext` for version
    /// 1, `magic ‖ version ‖ nonce ‖ ciphertext` (the header
    /// authenticated as associated data) for the others.
    pub fn encrypt(&self, plain: &str) -> anyhow::Result<Vec<u8>> {
        let cipher = self
            .cipher(self.current)
            .context("the current PII key is missing")?;
        let nonce = random_bytes::<24>();
        let mut out = Vec::with_capacity(VERSIONED_MIN + plain.len());
        if self.current != 1 {
            out.extend_from_slice(&MAGIC);
            out.push(self.current);
        }
        let header_len = out.len();
        let ct = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: &out[..header_len],
                },
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn decrypt(&self, data: &[u8]) -> anyhow::Result<String> {
        self.open(data).map(|(_, plain)| plain)
    }

    /// The plain text and the version that sealed it.
    ///
    /// A legacy ciphertext's random nonce may begin with the magic bytes
    /// (once in 16 million): when the versioned reading does not
    /// authenticate, the legacy reading is tried, so either opens with the
    /// key that sealed it.
    pub fn open(&self, data: &[u8]) -> anyhow::Result<(u8, String)> {
        let mut named = None;
        if data.len() >= VERSIONED_MIN && data[..3] == MAGIC && data[3] > 1 {
            let version = data[3];
            named = Some(version);
            if let Some(cipher) = self.cipher(version) {
                let (header, rest) = data.split_at(MAGIC.len() + 1);
                let (nonce, ct) = rest.split_at(24);
                if let Ok(plain) = cipher.decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: ct,
                        aad: header,
                    },
                ) {
                    return Ok((version, utf8(plain)?));
                }
            }
        }
        if data.len() < 24 {
            bail!("ciphertext too short");
        }
        let legacy = self.cipher(1).and_then(|cipher| {
            let (nonce, ct) = data.split_at(24);
            cipher.decrypt(XNonce::from_slice(nonce), ct).ok()
        });
        match (legacy, named) {
            (Some(plain), _) => Ok((1, utf8(plain)?)),
            (None, Some(v)) if self.cipher(v).is_none() => {
                bail!("decryption failed: the PII key of version {v} is not configured")
            }
            (None, _) => bail!("decryption failed: wrong PII key or corrupted data"),
        }
    }
}

fn utf8(plain: Vec<u8>) -> anyhow::Result<String> {
    String::from_utf8(plain).context("decrypted value is not UTF-8")
}

/// Encryption masters by version.
pub type VersionedKeys = Vec<(u8, Vec<u8>)>;

/// Parses `version:hex,version:hex` (the first is current unless
/// `current` names another).
pub fn parse_pii_keys(list: &[String], current: Option<u8>) -> anyhow::Result<(VersionedKeys, u8)> {
    let mut keys = Vec::with_capacity(list.len());
    for entry in list {
        let (version, key) = entry
            .split_once(':')
            .context("each PII key is written `version:hex`")?;
        let version: u8 = version
            .trim()
            .parse()
            .with_context(|| format!("PII key version `{}` is not 1-255", version.trim()))?;
        let key = hex::decode(key.trim())
            .with_context(|| format!("PII key version {version} is not hex"))?;
        keys.push((version, key));
    }
    let Some(first) = keys.first().map(|(v, _)| *v) else {
        bail!("the PII key list is empty");
    };
    Ok((keys, current.unwrap_or(first)))
}

/// The vault the settings describe: `pii_keys` (versioned) when set, else
/// `PII_KEY` alone as version 1; the lookup master is `pii_hash_key`, else
/// `PII_KEY` (generated once into `DATA_DIR/pii.key` when unset — but
/// never generated when `pii_keys` is set: then it must exist).
pub fn pii_vault(settings: &crate::config::Settings) -> anyhow::Result<PiiVault> {
    let hex_setting =
        |name: &str, v: &str| hex::decode(v.trim()).with_context(|| format!("{name} must be hex"));
    let master = || -> anyhow::Result<Vec<u8>> {
        match &settings.pii_key {
            Some(k) => hex_setting("PII_KEY", k),
            None => Ok(load_or_create_key(&settings.data_dir, "pii.key")?.0),
        }
    };
    let lookup = match &settings.pii_hash_key {
        Some(k) => hex_setting("pii_hash_key", k)?,
        // With versioned keys a lookup master made up now would silently
        // break every stored hash (logins, one person per ID number).
        None if !settings.pii_keys.is_empty()
            && settings.pii_key.is_none()
            && !settings.data_dir.join("pii.key").exists() =>
        {
            bail!(
                "pii_keys is set but the lookup master is not: set PII_HASH_KEY (APP__PII_HASH_KEY) or PII_KEY, or keep DATA_DIR/pii.key"
            )
        }
        None => master()?,
    };
    if settings.pii_keys.is_empty() {
        return PiiVault::with_keys(&lookup, &[(1, master()?)], 1);
    }
    let (keys, current) = parse_pii_keys(&settings.pii_keys, settings.pii_current_version)?;
    PiiVault::with_keys(&lookup, &keys, current)
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

    fn ring(current: u8, versions: &[u8]) -> PiiVault {
        let keys: Vec<(u8, Vec<u8>)> = versions.iter().map(|v| (*v, vec![*v; 32])).collect();
        PiiVault::with_keys(&[1u8; 32], &keys, current).unwrap()
    }

    #[test]
    fn version_1_is_the_legacy_form_and_later_versions_name_themselves() {
        // `PiiVault::new(k)` is what every deployment ran before keys were
        // versioned: its ciphertexts have no header and open as version 1.
        let legacy = PiiVault::new(&[1u8; 32]).unwrap();
        let old = legacy.encrypt("44010619900101123X").unwrap();
        assert_eq!(old.len(), 24 + 18 + 16);
        let both = ring(2, &[2, 1]);
        assert_eq!(both.open(&old).unwrap(), (1, "44010619900101123X".into()));
        let new = both.encrypt("44010619900101123X").unwrap();
        assert_eq!(&new[..4], &[0xCE, b'P', b'K', 2]);
        assert_eq!(both.open(&new).unwrap(), (2, "44010619900101123X".into()));
        // Without version 1 the old one no longer opens; without 2 the new.
        let only_new = ring(2, &[2]);
        assert!(only_new.decrypt(&old).is_err());
        assert_eq!(only_new.decrypt(&new).unwrap(), "44010619900101123X");
        let err = legacy.decrypt(&new).unwrap_err().to_string();
        assert!(err.contains("version 2"), "{err}");
        // The lookup hashes do not change with the encryption keys.
        assert_eq!(
            legacy.hash("id_card", "44010619900101123X"),
            only_new.hash("id_card", "44010619900101123X")
        );
        assert_ne!(
            ring(2, &[2]).hash("id_card", "x"),
            PiiVault::with_keys(&[2u8; 32], &[(2, vec![2u8; 32])], 2)
                .unwrap()
                .hash("id_card", "x")
        );
    }

    #[test]
    fn the_version_header_is_authenticated() {
        let v = ring(3, &[3, 2]);
        let mut blob = v.encrypt("13800138000").unwrap();
        blob[3] = 2;
        assert!(v.decrypt(&blob).is_err());
    }

    #[test]
    fn a_legacy_nonce_that_looks_like_a_header_still_opens() {
        let legacy = PiiVault::new(&[1u8; 32]).unwrap();
        let mut nonce = [9u8; 24];
        nonce[..4].copy_from_slice(&[0xCE, b'P', b'K', 2]);
        let ct = legacy
            .cipher(1)
            .unwrap()
            .encrypt(XNonce::from_slice(&nonce), b"13800138000".as_slice())
            .unwrap();
        let blob = [nonce.as_slice(), &ct].concat();
        assert_eq!(ring(2, &[2, 1]).open(&blob).unwrap().0, 1);
    }

    #[test]
    fn rings_are_checked() {
        assert!(PiiVault::with_keys(&[1u8; 32], &[(2, vec![2u8; 32])], 3).is_err());
        assert!(PiiVault::with_keys(&[1u8; 32], &[(0, vec![2u8; 32])], 0).is_err());
        assert!(PiiVault::with_keys(&[1u8; 32], &[(2, vec![2u8; 31])], 2).is_err());
        assert!(
            PiiVault::with_keys(&[1u8; 32], &[(2, vec![2u8; 32]), (2, vec![3u8; 32])], 2).is_err()
        );
        let (keys, current) = parse_pii_keys(
            &[
                format!("2:{}", "ab".repeat(32)),
                format!("1:{}", "cd".repeat(32)),
            ],
            None,
        )
        .unwrap();
        assert_eq!(current, 2);
        assert_eq!(keys[1], (1, vec![0xcd; 32]));
        assert_eq!(
            parse_pii_keys(&[format!("2:{}", "ab".repeat(32))], Some(1))
                .unwrap()
                .1,
            1
        );
        assert!(parse_pii_keys(&["x:ab".into()], None).is_err());
        assert!(parse_pii_keys(&["abab".into()], None).is_err());
    }

    #[test]
    fn with_versioned_keys_the_lookup_master_is_never_made_up() {
        let dir = std::env::temp_dir().join(format!("ce-key-{}", uuid::Uuid::now_v7()));
        let mut s = crate::config::Settings {
            data_dir: dir.clone(),
            pii_keys: vec![format!("2:{}", "ab".repeat(32))],
            ..Default::default()
        };
        assert!(pii_vault(&s).is_err());
        assert!(!dir.join("pii.key").exists());
        s.pii_hash_key = Some("cd".repeat(32));
        let v = pii_vault(&s).unwrap();
        assert_eq!(v.current_version(), 2);
        assert_eq!(
            v.hash("id_card", "x"),
            PiiVault::new(&[0xcd; 32]).unwrap().hash("id_card", "x")
        );
        let _ = std::fs::remove_dir_all(dir);
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
