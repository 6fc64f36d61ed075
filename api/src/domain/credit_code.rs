//! Unified social credit code of an organisation (R-ID-4, GB 32100-2015).

use std::fmt;

use super::DomainError;

const CODE: &str = "credit_code_invalid";

/// Number of characters in a unified social credit code (R-ID-4).
const LEN: usize = 18;

/// The 31 characters allowed in a code; a character's value is its index
/// (R-ID-4: no I, O, Z, S, V).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights for the first 17 character values (R-ID-4).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A validated 18-character unified social credit code (统一社会信用代码).
///
/// Stored normalised: trimmed and upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses and validates a unified social credit code. Surrounding
    /// whitespace is trimmed and lower-case letters are accepted.
    ///
    /// # Errors
    /// Returns `credit_code_invalid` if the length, a character, the
    /// administrative division code or the check character is wrong.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let value = s.trim().to_ascii_uppercase();

        // R-ID-4: exactly 18 characters.
        let len = value.chars().count();
        if len != LEN {
            return Err(err(format!(
                "the unified social credit code must be {LEN} characters long, got {len}"
            )));
        }

        // R-ID-4: every character from the 31-character set.
        if let Some((pos, bad)) = value
            .chars()
            .enumerate()
            .find(|&(_, c)| char_value(c).is_none())
        {
            return Err(err(format!(
                "character {} ('{}') is not allowed; only digits and the letters \
                 A-H, J-N, P-R, T, U, W-Y may be used",
                pos + 1,
                bad.escape_debug()
            )));
        }

        // All characters are in the (ASCII) charset, so byte indexing is safe.
        let bytes = value.as_bytes();

        // R-ID-4: characters 3-8 are the administrative division code.
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(err(
                "characters 3-8 (the administrative division code) must be digits",
            ));
        }

        // R-ID-4: last character is the mod-31 check character.
        let expected = check_char(&value[..LEN - 1]);
        if expected != Some(char::from(bytes[LEN - 1])) {
            return Err(match expected {
                Some(c) => err(format!("the check character should be {c}")),
                None => err("the check character could not be computed"),
            });
        }

        Ok(Self(value))
    }

    /// Computes the GB 32100 check character for the first 17 characters of a
    /// code (R-ID-4). Lower-case letters are accepted.
    ///
    /// Returns `None` unless `first17` is exactly 17 characters from the
    /// allowed character set.
    pub fn check_char(first17: &str) -> Option<char> {
        check_char(first17)
    }
}

/// See [`CreditCode::check_char`].
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut count = 0usize;
    for c in first17.chars() {
        let w = WEIGHTS.get(count)?;
        sum += char_value(c)? * w;
        count += 1;
    }
    if count != WEIGHTS.len() {
        return None;
    }
    // R-ID-4: check = (31 - sum % 31) % 31, char = charset[check].
    let check = (31 - sum % 31) % 31;
    CHARSET.get(check as usize).map(|&b| char::from(b))
}

/// The value (index in the charset) of a character, case-insensitive.
fn char_value(c: char) -> Option<u32> {
    let c = c.to_ascii_uppercase();
    if !c.is_ascii() {
        return None;
    }
    CHARSET
        .iter()
        .position(|&b| char::from(b) == c)
        .and_then(|i| u32::try_from(i).ok())
}

fn err(message: impl Into<String>) -> DomainError {
    DomainError::new(CODE, message)
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "91350100M000100Y43";

    fn parse_err(s: &str) -> DomainError {
        let err = CreditCode::parse(s).unwrap_err();
        assert_eq!(err.code, "credit_code_invalid");
        err
    }

    #[test]
    fn accepts_known_sample() {
        let code = CreditCode::parse(SAMPLE).unwrap();
        assert_eq!(code.as_ref(), SAMPLE);
        assert_eq!(code.to_string(), SAMPLE);
    }

    #[test]
    fn check_char_helper() {
        assert_eq!(check_char("91350100M000100Y4"), Some('3'));
        assert_eq!(CreditCode::check_char("91440101MA59ABCDE"), Some('M'));
        assert_eq!(check_char("91440101ma59abcde"), Some('M'));
        assert_eq!(check_char("12100000400000000"), Some('W'));
        assert_eq!(check_char("91350100M000100Y"), None); // 16 chars
        assert_eq!(check_char("91350100M000100Y43"), None); // 18 chars
        assert_eq!(check_char("91350100I000100Y4"), None); // bad char
        let built = format!(
            "91440101MA59ABCDE{}",
            check_char("91440101MA59ABCDE").unwrap()
        );
        assert!(CreditCode::parse(&built).is_ok());
    }

    #[test]
    fn lowercase_and_whitespace_normalised() {
        let code = CreditCode::parse(" 91350100m000100y43\t").unwrap();
        assert_eq!(code.as_ref(), SAMPLE);
        assert_eq!(code, CreditCode::parse(SAMPLE).unwrap());
    }

    #[test]
    fn rejects_wrong_check_char() {
        let err = parse_err("91350100M000100Y44");
        assert_eq!(err.message, "the check character should be 3");
    }

    #[test]
    fn rejects_disallowed_characters() {
        for (s, pos) in [
            ("91350100I000100Y43", "character 9 "),
            ("91350100O000100Y43", "character 9 "),
            ("9135010ZM000100Y43", "character 8 "),
            ("91350100M000100S43", "character 16 "),
            ("91350100M000100V43", "character 16 "),
            ("91350100M000100Y4-", "character 18 "),
            ("91350100M000100Y4中", "character 18 "),
        ] {
            let err = parse_err(s);
            assert!(err.message.starts_with(pos), "{s}: {err}");
        }
    }

    #[test]
    fn rejects_non_digit_division_code() {
        let first17 = "913A0100M000100Y4";
        let s = format!("{first17}{}", check_char(first17).unwrap());
        let err = parse_err(&s);
        assert!(err.message.contains("administrative division"), "{err}");
    }

    #[test]
    fn rejects_wrong_length() {
        for s in ["", "91350100M000100Y4", "91350100M000100Y430"] {
            let err = parse_err(s);
            assert!(err.message.contains("18 characters"), "{err}");
        }
    }
}
