//! The identity port (R-ID-2): the check of a name and an ID number
//! against the national ID service, outside this system.

use futures_util::future::BoxFuture;

use crate::domain::{IdCardNo, PersonName};

/// Checks a person's name and ID number against the national ID service
/// (R-ID-2). That service is outside this system; the embedded default
/// accepts any name and number that passed format and check-digit parsing.
pub trait IdentityVerifier: Send + Sync {
    fn verify<'a>(
        &'a self,
        name: &'a PersonName,
        id: &'a IdCardNo,
    ) -> BoxFuture<'a, anyhow::Result<bool>>;
}

/// The embedded verifier: format and check character only.
pub struct FormatVerifier;

impl IdentityVerifier for FormatVerifier {
    fn verify<'a>(
        &'a self,
        _: &'a PersonName,
        _: &'a IdCardNo,
    ) -> BoxFuture<'a, anyhow::Result<bool>> {
        Box::pin(async { Ok(true) })
    }
}
