//! Password strength rule applied at registration.

use std::fmt;

use super::DomainError;

const CODE: &str = "password_weak";

/// Minimum password length in characters.
const MIN_LEN: usize = 8;
/// Maximum password length in characters.
const MAX_LEN: usize = 128;
/// How many of the four character classes must be present.
const MIN_CLASSES: usize = 3;

/// A plain-text password that satisfies the registration strength rule.
///
/// The value is secret: [`fmt::Debug`] prints `Password(***)`, and there is
/// deliberately no `Display` or `AsRef<str>`; use [`Password::expose`] where
/// the plain text is genuinely needed (hashing).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Password(String);

impl Password {
    /// Checks `s` against the strength rule. The input is taken verbatim (no
    /// trimming).
    ///
    /// # Errors
    /// Returns `password_weak` if `s` is not 8 to 128 characters long, is a
    /// single repeated character, or uses fewer than 3 of the 4 character
    /// classes (lower-case letters, upper-case letters, digits, others).
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let len = s.chars().count();
        if len < MIN_LEN {
            return Err(err(format!(
                "the password must be at least {MIN_LEN} characters long, got {len}"
            )));
        }
        if len > MAX_LEN {
            return Err(err(format!(
                "the password must be at most {MAX_LEN} characters long, got {len}"
            )));
        }

        let mut chars = s.chars();
        if let Some(first) = chars.next()
            && chars.all(|c| c == first)
        {
            return Err(err("the password must not be a single repeated character"));
        }

        let (mut lower, mut upper, mut digit, mut other) = (false, false, false, false);
        for c in s.chars() {
            if c.is_lowercase() {
                lower = true;
            } else if c.is_uppercase() {
                upper = true;
            } else if c.is_ascii_digit() {
                digit = true;
            } else {
                other = true;
            }
        }
        let classes = [lower, upper, digit, other]
            .into_iter()
            .filter(|&present| present)
            .count();
        if classes < MIN_CLASSES {
            return Err(err(format!(
                "the password must contain at least {MIN_CLASSES} of: lower-case letters, \
                 upper-case letters, digits, other characters (it has {classes})"
            )));
        }

        Ok(Self(s.to_owned()))
    }

    /// The plain-text password. Never log or display this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn err(message: impl Into<String>) -> DomainError {
    DomainError::new(CODE, message)
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(s: &str) -> DomainError {
        let err = Password::parse(s).unwrap_err();
        assert_eq!(err.code, "password_weak");
        err
    }

    #[test]
    fn accepts_three_classes() {
        for s in [
            "abcDEF12",
            "abcdef1!",
            "ABCDEF1!",
            "abcDEF!?",
            "Passw0rd!",
            "密码Abc123",
        ] {
            assert_eq!(Password::parse(s).unwrap().expose(), s);
        }
    }

    #[test]
    fn accepts_length_bounds() {
        assert!(Password::parse("aB1aB1aB").is_ok());
        let max = "aB1".repeat(42) + "aB"; // 128 chars
        assert!(Password::parse(&max).is_ok());
    }

    #[test]
    fn rejects_too_short() {
        let err = parse_err("aB1!aB1");
        assert!(err.message.contains("at least 8"), "{err}");
        assert!(parse_err("").message.contains("got 0"));
    }

    #[test]
    fn rejects_too_long() {
        let long = "aB1".repeat(43); // 129 chars
        assert!(parse_err(&long).message.contains("at most 128"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 7 characters but 19 bytes.
        assert!(parse_err("密码密码aB1").message.contains("at least 8"));
    }

    #[test]
    fn rejects_repeated_character() {
        assert!(parse_err("aaaaaaaa").message.contains("repeated"));
        assert!(parse_err("!!!!!!!!!!").message.contains("repeated"));
    }

    #[test]
    fn rejects_fewer_than_three_classes() {
        for s in ["abcdefgh", "abcdefg1", "ABCDEFGh", "12345678", "1234!@#$"] {
            assert!(parse_err(s).message.contains("at least 3 of"), "{s}");
        }
    }

    #[test]
    fn debug_hides_value() {
        let p = Password::parse("Secret123").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert!(!format!("{:?}", Some(&p)).contains("Secret"));
    }
}
