//! Resident identity card number (R-ID-1, GB 11643-1999).

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::DomainError;

const CODE: &str = "id_card_invalid";

/// Number of characters in an identity card number (R-ID-1).
const LEN: usize = 18;

/// ISO 7064 MOD 11-2 weights for the first 17 digits (R-ID-1).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check characters indexed by `sum % 11` (R-ID-1).
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Province-level region codes (first two digits) accepted (R-ID-1).
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, // North China
    21, 22, 23, // North-east
    31, 32, 33, 34, 35, 36, 37, // East
    41, 42, 43, 44, 45, 46, // Central-south
    50, 51, 52, 53, 54, // South-west
    61, 62, 63, 64, 65, // North-west
    71, // Taiwan
    81, 82, 83, // Hong Kong, Macao, Taiwan residence permits
];

/// A validated 18-character mainland China resident identity card number.
///
/// The value is stored normalised (trimmed, check character `X` upper-case).
/// This is personal information: [`fmt::Debug`] prints only the masked form
/// (see [`IdCardNo::masked`]). [`fmt::Display`] and [`AsRef<str>`] give the
/// full number and must only be used where the full number is required
/// (storage, comparison), never for logging.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNo {
    value: String,
    birth_date: NaiveDate,
}

impl IdCardNo {
    /// Parses and validates an identity card number, using today's date in
    /// Asia/Shanghai as the upper bound for the birth date.
    ///
    /// # Errors
    /// Returns `id_card_invalid` if the length, characters, region code,
    /// birth date or check character is wrong.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::parse_at(s, super::year::today_in_shanghai())
    }

    /// Like [`IdCardNo::parse`] but with an explicit `today`, so the birth
    /// date check is deterministic.
    ///
    /// # Errors
    /// Returns `id_card_invalid` if the length, characters, region code,
    /// birth date or check character is wrong.
    pub fn parse_at(s: &str, today: NaiveDate) -> Result<Self, DomainError> {
        let s = s.trim();

        // R-ID-1: exactly 18 characters.
        let len = s.chars().count();
        if len != LEN {
            return Err(err(format!(
                "the identity card number must be {LEN} characters long, got {len}"
            )));
        }

        // R-ID-1: 17 digits followed by a digit or X (lower-case x accepted).
        let bytes = s.as_bytes(); // 18 chars and checked to be ASCII below
        let (body, last) = (&bytes[..LEN - 1], bytes[LEN - 1]);
        if !body.iter().all(u8::is_ascii_digit) {
            return Err(err(
                "the first 17 characters of the identity card number must be digits",
            ));
        }
        let last = last.to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == b'X') {
            return Err(err(
                "the last character of the identity card number must be a digit or X",
            ));
        }

        // R-ID-1: the first two digits must be a province-level region code.
        let province = digits_value(&body[0..2]);
        if !PROVINCES.iter().any(|&p| u32::from(p) == province) {
            return Err(err(format!(
                "the region code starts with {province:02}, which is not a valid province-level code"
            )));
        }

        // R-ID-1: digits 7-14 are the birth date YYYYMMDD: a real date,
        // year >= 1900, not in the future.
        let year = digits_value(&body[6..10]);
        let month = digits_value(&body[10..12]);
        let day = digits_value(&body[12..14]);
        let Some(birth_date) = i32::try_from(year)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        else {
            return Err(err(format!(
                "the birth date {year:04}-{month:02}-{day:02} is not a real calendar date"
            )));
        };
        if birth_date.year() < 1900 {
            return Err(err("the birth year must be 1900 or later"));
        }
        if birth_date > today {
            return Err(err("the birth date must not be in the future"));
        }

        // R-ID-1: ISO 7064 MOD 11-2 check character.
        let expected = check_char_of(body);
        if last != expected {
            return Err(err(format!(
                "the check character should be {}",
                char::from(expected)
            )));
        }

        let mut value = String::with_capacity(LEN);
        value.push_str(&s[..LEN - 1]);
        value.push(char::from(last));
        Ok(Self { value, birth_date })
    }

    /// The masked form: first 6 characters, 8 `*`, last 4 characters
    /// (e.g. `440106********123X`). Safe to log and display.
    pub fn masked(&self) -> String {
        let mut out = String::with_capacity(LEN);
        out.push_str(&self.value[..6]);
        out.push_str("********");
        out.push_str(&self.value[14..]);
        out
    }

    /// The holder's date of birth encoded in digits 7-14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }
}

/// Computes the ISO 7064 MOD 11-2 check character for 17 ASCII digits
/// (R-ID-1).
fn check_char_of(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Decimal value of a slice of ASCII digits.
fn digits_value(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

fn err(message: impl Into<String>) -> DomainError {
    DomainError::new(CODE, message)
}

impl AsRef<str> for IdCardNo {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl fmt::Debug for IdCardNo {
    /// Prints only the masked form: the full number must never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdCardNo").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()
    }

    /// Appends the correct check character to 17 digits.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", char::from(check_char_of(first17.as_bytes())))
    }

    fn parse_err(s: &str) -> DomainError {
        let err = IdCardNo::parse_at(s, today()).unwrap_err();
        assert_eq!(err.code, "id_card_invalid");
        err
    }

    #[test]
    fn check_char_helper_matches_known_values() {
        assert_eq!(with_check("11010519491231002"), "11010519491231002X");
        assert_eq!(with_check("44010619900101123"), "440106199001011235");
        assert_eq!(with_check("44030519851120456"), "440305198511204563");
    }

    #[test]
    fn accepts_well_known_sample() {
        let id = IdCardNo::parse_at("11010519491231002X", today()).unwrap();
        assert_eq!(id.as_ref(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
    }

    #[test]
    fn accepts_guangdong_numbers() {
        for s in [
            "440106199001011235",
            "440305198511204563",
            "44010619900101126X",
            "440106200002290016", // leap day
            "440106190001010012", // earliest allowed year
            "440106202403150013", // born "today"
        ] {
            let id = IdCardNo::parse_at(s, today()).unwrap();
            assert_eq!(id.to_string(), s);
        }
    }

    #[test]
    fn parse_uses_current_date() {
        assert!(IdCardNo::parse("440106199001011235").is_ok());
    }

    #[test]
    fn lowercase_x_is_normalised() {
        let id = IdCardNo::parse_at("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_ref(), "11010519491231002X");
        assert_eq!(
            id,
            IdCardNo::parse_at("11010519491231002X", today()).unwrap()
        );
    }

    #[test]
    fn trims_whitespace() {
        let id = IdCardNo::parse_at("  440106199001011235\n", today()).unwrap();
        assert_eq!(id.as_ref(), "440106199001011235");
    }

    #[test]
    fn masked_and_debug_hide_middle() {
        let id = IdCardNo::parse_at("44010619900101126X", today()).unwrap();
        assert_eq!(id.masked(), "440106********126X");
        let debug = format!("{id:?}");
        assert_eq!(debug, "IdCardNo(\"440106********126X\")");
        assert!(!debug.contains("19900101"));
    }

    #[test]
    fn rejects_wrong_length() {
        for s in [
            "",
            "44010619900101123",
            "4401061990010112350",
            "44010619900101",
        ] {
            let err = parse_err(s);
            assert!(err.message.contains("18 characters"), "{err}");
        }
        // Multi-byte characters are counted as characters, not bytes.
        let err = parse_err("４４０１０６１９９００１０１１２３５");
        assert!(err.message.contains("digits"), "{err}");
    }

    #[test]
    fn rejects_bad_characters() {
        let err = parse_err("44010619900101A235");
        assert!(err.message.contains("first 17 characters"), "{err}");
        let err = parse_err("44010619900101123Y");
        assert!(err.message.contains("digit or X"), "{err}");
        let err = parse_err("4401061990010112X5");
        assert!(err.message.contains("first 17 characters"), "{err}");
    }

    #[test]
    fn rejects_unknown_province() {
        for first17 in [
            "99010619900101001",
            "00010619900101001",
            "72010619900101001",
        ] {
            let err = parse_err(&with_check(first17));
            assert!(err.message.contains("province-level"), "{err}");
        }
        assert!(IdCardNo::parse_at(&with_check("81000019900101001"), today()).is_ok());
    }

    #[test]
    fn rejects_impossible_birth_date() {
        for first17 in [
            "44010619900230001", // 30 February
            "44010619901301001", // month 13
            "44010619900100001", // day 0
            "44010619010229001", // 1901 is not a leap year
        ] {
            let err = parse_err(&with_check(first17));
            assert!(err.message.contains("not a real calendar date"), "{err}");
        }
    }

    #[test]
    fn rejects_birth_year_before_1900() {
        let err = parse_err(&with_check("44010618991231001"));
        assert!(err.message.contains("1900"), "{err}");
    }

    #[test]
    fn rejects_future_birth_date() {
        let err = parse_err(&with_check("44010620240316001"));
        assert!(err.message.contains("future"), "{err}");
    }

    #[test]
    fn rejects_wrong_check_character() {
        let err = parse_err("440106199001011234");
        assert_eq!(err.message, "the check character should be 5");
        let err = parse_err("110105194912310021");
        assert_eq!(err.message, "the check character should be X");
    }

    #[test]
    fn error_messages_do_not_leak_the_number() {
        let err = parse_err("440106199001011234");
        assert!(!err.message.contains("4401061990"));
    }
}
