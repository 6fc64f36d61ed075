//! Legacy data from the old city system (历史(旧系统)数据): the numbers its
//! certificates were printed with, and the keys of its records.
//!
//! A legacy certificate number is kept as printed (letters upper-case) so
//! that anyone holding the paper can check it. It can never be mistaken for
//! a current one: a number that reads as a current `YYYY-XXXX-XXXX-XXXX`
//! (see [`CertificateNumber::parse`]) is refused at import, so the two
//! numberings are disjoint and `GET /verify/{number}` knows where to look.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::DomainError;
use super::certificate::CertificateNumber;

/// A legacy certificate number: 4–40 characters of `0-9`, `A-Z` and `-`
/// (letters case-insensitive), not of the current numbering's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyNumber(String);

impl LegacyNumber {
    pub const MAX_LEN: usize = 40;

    /// # Errors
    /// `certificate_number_invalid` for the wrong characters or length;
    /// `number_reserved` when it reads as a number of the current system.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let n = s.trim().to_ascii_uppercase();
        if !(4..=Self::MAX_LEN).contains(&n.len())
            || !n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || !n.bytes().any(|b| b.is_ascii_alphanumeric())
        {
            return Err(DomainError::new(
                "certificate_number_invalid",
                format!(
                    "a legacy certificate number is 4 to {} characters of 0-9, A-Z and -",
                    Self::MAX_LEN
                ),
            ));
        }
        if CertificateNumber::parse(&n).is_ok() {
            return Err(DomainError::new(
                "number_reserved",
                "this reads as a number of the current system (YYYY-XXXX-XXXX-XXXX); legacy numbers must not",
            ));
        }
        Ok(Self(n))
    }
}

impl AsRef<str> for LegacyNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The old system's id of a record: 1–64 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyId(String);

impl LegacyId {
    /// # Errors
    /// `legacy_id_invalid` when blank, too long or not visible ASCII.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        if t.is_empty() || t.len() > 64 || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DomainError::new(
                "legacy_id_invalid",
                "legacy_id is 1 to 64 visible ASCII characters",
            ));
        }
        Ok(Self(t.to_string()))
    }
}

impl AsRef<str> for LegacyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_numbers_are_kept_as_printed_in_upper_case() {
        assert_eq!(
            LegacyNumber::parse(" gz2016-000123 ").unwrap().as_ref(),
            "GZ2016-000123"
        );
        for bad in ["", "abc", "GZ 2016", "穗2016", "----", &"A".repeat(41)] {
            assert_eq!(
                LegacyNumber::parse(bad).unwrap_err().code,
                "certificate_number_invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn numbers_of_the_current_form_are_reserved() {
        let current = CertificateNumber::generate(2016, &mut rand::thread_rng());
        let err = LegacyNumber::parse(current.as_ref()).unwrap_err();
        assert_eq!(err.code, "number_reserved");
        // Typed loosely it is still the current form.
        let loose = current.as_ref().replace('-', "").to_lowercase();
        assert_eq!(
            LegacyNumber::parse(&loose).unwrap_err().code,
            "number_reserved"
        );
    }

    #[test]
    fn legacy_ids_are_visible_ascii() {
        assert_eq!(LegacyId::parse(" R-001 ").unwrap().as_ref(), "R-001");
        assert!(LegacyId::parse("").is_err());
        assert!(LegacyId::parse("a b").is_err());
        assert!(LegacyId::parse(&"x".repeat(65)).is_err());
    }
}

/// Which layout a legacy CSV has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegacyKind {
    /// Records of hours: `legacy_id, id_card_no, name, year, category,
    /// course_name, hours` and optionally `series, result, provider_name,
    /// unit_name, completed_on`.
    Records,
    /// Annual certificates: `number, id_card_no, name, year, public_hours,
    /// professional_hours, elective_hours, issued_on` and optionally
    /// `unit_name`.
    Certificates,
}
