//! Verification year (R-REQ-1).

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, Utc};

use super::DomainError;

const CODE: &str = "year_invalid";

/// The fixed UTC+8 offset of Asia/Shanghai (China has no daylight saving time).
pub const SHANGHAI_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    // Evaluated at compile time: 8 hours is always a valid offset.
    None => panic!("UTC+8 is a valid fixed offset"),
};

/// A calendar year for which continuing-education hours are verified.
///
/// R-REQ-1: verification is done per calendar year starting in 2017, so only
/// years in `2017..=2100` are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Year(i32);

impl Year {
    /// The first year that can be verified (R-REQ-1).
    pub const MIN: i32 = 2017;
    /// The last year accepted (sanity upper bound).
    pub const MAX: i32 = 2100;

    /// Validates `value` as a verification year.
    ///
    /// # Errors
    /// Returns `year_invalid` if `value` is outside `2017..=2100`.
    pub fn new(value: i32) -> Result<Self, DomainError> {
        // R-REQ-1: verification per calendar year since 2017.
        if !(Self::MIN..=Self::MAX).contains(&value) {
            return Err(DomainError::new(
                CODE,
                format!(
                    "the year must be between {} and {}, got {value}",
                    Self::MIN,
                    Self::MAX
                ),
            ));
        }
        Ok(Self(value))
    }

    /// The year as an integer.
    pub fn value(self) -> i32 {
        self.0
    }

    /// The calendar year of the instant `now` as seen in Asia/Shanghai (UTC+8).
    pub fn current_in_shanghai(now: DateTime<Utc>) -> i32 {
        date_in_shanghai(now).year()
    }
}

/// The calendar day of an instant in Asia/Shanghai: dates and year
/// boundaries are China time (R-RC-5).
pub fn date_in_shanghai(at: DateTime<Utc>) -> chrono::NaiveDate {
    at.with_timezone(&SHANGHAI_OFFSET).date_naive()
}

/// Today in China time (R-RC-5).
pub fn today_in_shanghai() -> chrono::NaiveDate {
    date_in_shanghai(Utc::now())
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<Year> for i32 {
    fn from(year: Year) -> Self {
        year.0
    }
}

impl TryFrom<i32> for Year {
    type Error = DomainError;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn accepts_bounds() {
        assert_eq!(Year::new(2017).unwrap().value(), 2017);
        assert_eq!(Year::new(2100).unwrap().value(), 2100);
        assert_eq!(Year::new(2024).unwrap().to_string(), "2024");
    }

    #[test]
    fn rejects_out_of_range() {
        for bad in [2016, 2101, 0, -1, i32::MIN, i32::MAX] {
            let err = Year::new(bad).unwrap_err();
            assert_eq!(err.code, "year_invalid");
            assert!(err.message.contains("between 2017 and 2100"), "{err}");
        }
    }

    #[test]
    fn try_from_and_into() {
        let year: Year = 2020.try_into().unwrap();
        assert_eq!(i32::from(year), 2020);
        assert!(Year::try_from(2000).is_err());
    }

    #[test]
    fn shanghai_year_rolls_over_before_utc() {
        let now = Utc.with_ymd_and_hms(2023, 12, 31, 16, 30, 0).unwrap();
        assert_eq!(Year::current_in_shanghai(now), 2024);
        let before = Utc.with_ymd_and_hms(2023, 12, 31, 15, 59, 59).unwrap();
        assert_eq!(Year::current_in_shanghai(before), 2023);
    }

    #[test]
    fn ordering() {
        assert!(Year::new(2018).unwrap() < Year::new(2019).unwrap());
    }
}
