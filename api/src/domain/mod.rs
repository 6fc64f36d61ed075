//! Validated domain types.
//!
//! Each type is a newtype with a private field that can only be built through
//! a validating constructor (`parse`, `new`, ...), so holding a value is proof
//! that it satisfies the corresponding business rule. All validation failures
//! are reported as a [`DomainError`] carrying a stable machine-readable code.

pub mod actor;
pub mod attachment;
pub mod audit_chain;
pub mod authority;
pub mod certificate;
pub mod class;
pub mod compliance;
pub mod credit_code;
pub mod event;
pub mod hours;
pub mod id_card;
pub mod legacy;
pub mod name;
pub mod oversight;
pub mod party;
pub mod password;
pub mod phone;
pub mod plan;
pub mod public;
pub mod push;
pub mod record;
pub mod review;
pub mod role;
pub mod routing;
pub mod standing;
pub mod year;

pub use credit_code::CreditCode;
pub use hours::Hours;
pub use id_card::IdCardNo;
pub use name::PersonName;
pub use password::Password;
pub use phone::Phone;
pub use year::Year;

/// A domain validation failure.
///
/// `code` is a stable snake_case identifier returned to API clients (for
/// example `id_card_invalid`); `message` is a human-readable English
/// explanation of exactly what is wrong. Messages never contain the rejected
/// value itself, so they are safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DomainError {
    /// Stable machine-readable error code (snake_case).
    pub code: &'static str,
    /// Human-readable description of the problem.
    pub message: String,
}

impl DomainError {
    /// Builds an error with the given stable `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}
