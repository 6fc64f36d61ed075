//! Mainland China mobile phone number.

use std::fmt;

use super::DomainError;

const CODE: &str = "phone_invalid";

/// Number of digits in a mainland mobile number.
const LEN: usize = 11;

/// A validated mainland China mobile number, stored as 11 digits.
///
/// This is personal information: [`fmt::Debug`] prints only the masked form
/// (see [`Phone::masked`]). [`fmt::Display`] and [`AsRef<str>`] give the full
/// number and must never be used for logging.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses a mainland mobile number. Spaces and hyphens are removed and an
    /// optional `+86` or `86` country prefix is stripped; the result must be
    /// 11 digits starting with `1` followed by a digit from 3 to 9.
    ///
    /// # Errors
    /// Returns `phone_invalid` if the number has other characters, the wrong
    /// length or an invalid prefix.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let compact: String = s.trim().chars().filter(|&c| c != ' ' && c != '-').collect();
        let digits = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("86"))
            .unwrap_or(&compact);

        if digits.is_empty() {
            return Err(err("the phone number must not be empty"));
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(err(
                "the phone number may contain only digits, spaces, hyphens and a leading +86",
            ));
        }
        if digits.len() != LEN {
            return Err(err(format!(
                "the phone number must have {LEN} digits, got {}",
                digits.len()
            )));
        }
        // Mainland mobile numbers: 1 followed by 3-9.
        let bytes = digits.as_bytes();
        if bytes[0] != b'1' || !(b'3'..=b'9').contains(&bytes[1]) {
            return Err(err(
                "the phone number must start with 1 followed by a digit from 3 to 9",
            ));
        }
        Ok(Self(digits.to_owned()))
    }

    /// The masked form: first 3 digits, 4 `*`, last 4 digits
    /// (e.g. `138****1234`). Safe to log and display.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

fn err(message: impl Into<String>) -> DomainError {
    DomainError::new(CODE, message)
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Phone {
    /// Prints only the masked form: the full number must never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(s: &str) -> DomainError {
        let err = Phone::parse(s).unwrap_err();
        assert_eq!(err.code, "phone_invalid");
        err
    }

    #[test]
    fn accepts_plain_number() {
        let phone = Phone::parse("13812341234").unwrap();
        assert_eq!(phone.as_ref(), "13812341234");
        assert_eq!(phone.to_string(), "13812341234");
    }

    #[test]
    fn normalises_prefix_and_separators() {
        for s in [
            "+86 138 1234 1234",
            "+86-138-1234-1234",
            "86 13812341234",
            "8613812341234",
            " 138-1234-1234 ",
        ] {
            assert_eq!(Phone::parse(s).unwrap().as_ref(), "13812341234", "{s}");
        }
    }

    #[test]
    fn accepts_all_second_digits_3_to_9() {
        for d in 3..=9 {
            assert!(Phone::parse(&format!("1{d}012345678")).is_ok());
        }
    }

    #[test]
    fn masked_and_debug() {
        let phone = Phone::parse("13812341234").unwrap();
        assert_eq!(phone.masked(), "138****1234");
        let debug = format!("{phone:?}");
        assert_eq!(debug, "Phone(\"138****1234\")");
        assert!(!debug.contains("13812341234"));
    }

    #[test]
    fn rejects_empty() {
        assert!(parse_err("").message.contains("empty"));
        assert!(parse_err(" +86 ").message.contains("empty"));
    }

    #[test]
    fn rejects_non_digits() {
        for s in [
            "1381234123a",
            "(138)12341234",
            "138.1234.1234",
            "１３８１２３４１２３４",
        ] {
            assert!(parse_err(s).message.contains("only digits"), "{s}");
        }
    }

    #[test]
    fn rejects_wrong_length() {
        for s in ["1381234123", "138123412345", "+861381234123"] {
            assert!(parse_err(s).message.contains("11 digits"), "{s}");
        }
    }

    #[test]
    fn rejects_bad_prefix() {
        for s in ["12812341234", "10812341234", "23812341234", "02012345678"] {
            assert!(parse_err(s).message.contains("start with 1"), "{s}");
        }
    }
}
