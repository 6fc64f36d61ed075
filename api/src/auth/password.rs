//! Password hashing with argon2id on the bounded hashing pool.
//!
//! Parameters: argon2id, version 0x13, m = 19,456 KiB (19 MiB), t = 2,
//! p = 1, a 16-byte random salt and a 32-byte output, in the PHC string
//! format — the argon2 crate's defaults and OWASP's recommendation; stored
//! hashes carry their own parameters and are verified with them.
//!
//! Each hash needs its 19 MiB of work memory. Allocated per hash, under
//! glibc that memory stays resident in the allocating thread's arena (19 MiB
//! per thread that ever hashed); here every hashing thread keeps one buffer
//! and reuses it, so the hashing pool holds threads × 19 MiB, whatever the
//! number of logins. [`hash_on`] and [`verify_on`] run on that pool.

use std::cell::RefCell;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};

use crate::ports::work::{PoolError, WorkPool};

/// The largest work memory a stored hash may ask for (KiB): four times
/// today's, so a future stronger setting verifies, and a corrupt hash
/// cannot make a thread hold gigabytes.
const MAX_M_COST: u32 = 4 * Params::DEFAULT_M_COST;

thread_local! {
    /// This thread's argon2 work memory, grown once and reused.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2id with `params` over this thread's reused work memory.
fn argon2_into(
    params: &Params,
    version: Version,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> anyhow::Result<()> {
    if params.m_cost() > MAX_M_COST {
        anyhow::bail!(
            "the stored hash asks for {} KiB of memory (at most {MAX_M_COST})",
            params.m_cost()
        );
    }
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < params.block_count() {
            memory.resize(params.block_count(), Block::default());
        }
        Argon2::new(Algorithm::Argon2id, version, params.clone())
            .hash_password_into_with_memory(
                password,
                salt,
                out,
                &mut memory[..params.block_count()],
            )
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
}

/// A PHC-format argon2id hash of `password`, on the calling thread.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&crate::crypto::random_bytes::<16>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let params = Params::default();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(
        &params,
        Version::V0x13,
        password.as_bytes(),
        salt_bytes,
        &mut out,
    )?;
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the stored hash, on the calling thread. A
/// malformed stored hash is an error, not a mismatch.
pub fn verify(password: &str, stored: &str) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    if parsed.algorithm != ARGON2ID_IDENT {
        anyhow::bail!("stored hash: not argon2id but {}", parsed.algorithm);
    }
    let params = Params::try_from(&parsed).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?,
        None => Version::default(),
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        anyhow::bail!("stored hash: no salt or no output");
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    let mut out = vec![0u8; expected.len()];
    argon2_into(&params, version, password.as_bytes(), salt_bytes, &mut out)?;
    let got = Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?;
    // `Output`'s equality is constant-time.
    Ok(got == expected)
}

/// A hash of a password nobody has, verified against when the account is
/// unknown, so a login takes as long whether or not the account exists.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no-such-account-Password-1").unwrap_or_default())
}

/// [`hash`] on the hashing pool, waiting for room up to a minute (start-up:
/// the bootstrap account's password must not be refused as busy).
pub async fn hash_patiently(pool: &WorkPool, password: String) -> Result<String, HashError> {
    Ok(pool
        .run_patiently(move || hash(&password), std::time::Duration::from_secs(60))
        .await??)
}

/// [`hash`] on the hashing pool.
pub async fn hash_on(pool: &WorkPool, password: String) -> Result<String, HashError> {
    Ok(pool.run(move || hash(&password)).await??)
}

/// [`verify`] on the hashing pool.
pub async fn verify_on(
    pool: &WorkPool,
    password: String,
    stored: String,
) -> Result<bool, HashError> {
    Ok(pool.run(move || verify(&password, &stored)).await??)
}

/// The same work as [`verify_on`] for an account that does not exist.
pub async fn verify_nobody_on(pool: &WorkPool, password: String) -> Result<(), HashError> {
    pool.run(move || verify(&password, dummy_hash())).await??;
    Ok(())
}

/// Why hashing did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The pool is full or lost the work.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// argon2 or the stored hash failed.
    #[error(transparent)]
    Hash(#[from] anyhow::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("Correct-Horse-9").unwrap();
        let b = hash("Correct-Horse-9").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert!(verify("Correct-Horse-9", &a).unwrap());
        assert!(!verify("correct-horse-9", &a).unwrap());
        assert!(verify("x", "not a hash").is_err());
    }

    #[test]
    fn hashes_are_the_argon2_crates_own() {
        // What this module writes, the crate's verifier accepts, and what
        // the crate wrote before (stored hashes) this module accepts.
        let ours = hash("Correct-Horse-9").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"Correct-Horse-9", &parsed)
                .is_ok()
        );
        let theirs = {
            use argon2::PasswordHasher;
            let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
            Argon2::default()
                .hash_password(b"Correct-Horse-9", &salt)
                .unwrap()
                .to_string()
        };
        assert!(verify("Correct-Horse-9", &theirs).unwrap());
        assert!(!verify("Correct-Horse-8", &theirs).unwrap());
    }

    #[test]
    fn a_hash_asking_for_too_much_memory_is_an_error() {
        let greedy = "$argon2id$v=19$m=1048576,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$\
                      bXlfb3V0cHV0X2lzXzMyX2J5dGVzX2xvbmdfX19fXw";
        assert!(verify("x", greedy).is_err());
    }

    #[test]
    fn a_thread_keeps_one_buffer() {
        std::thread::spawn(|| {
            hash("Correct-Horse-9").unwrap();
            let ptr = MEMORY.with(|m| m.borrow().as_ptr());
            hash("Correct-Horse-9").unwrap();
            assert_eq!(ptr, MEMORY.with(|m| m.borrow().as_ptr()));
            assert_eq!(
                MEMORY.with(|m| m.borrow().len()),
                Params::default().block_count()
            );
        })
        .join()
        .unwrap();
    }
}
