//! Continuing-education hours, stored exactly as tenths of an hour.

use std::fmt;
use std::iter::Sum;
use std::ops::Add;

use super::DomainError;

const CODE: &str = "hours_invalid";

/// A non-negative number of hours with at most one decimal place.
///
/// Hours are held as an integer number of tenths so that sums are exact
/// (credits are accounted at 2.5 per hour, so half-hours and tenths occur).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hours(u32);

impl Hours {
    /// Zero hours.
    pub const ZERO: Self = Self(0);

    /// The largest value accepted by [`Hours::parse_f64`].
    pub const MAX_F64: f64 = 10_000.0;

    /// Builds hours from an integer number of tenths of an hour
    /// (e.g. `25` is 2.5 hours).
    pub fn from_tenths(tenths: u32) -> Self {
        Self(tenths)
    }

    /// Converts a floating-point number of hours, tolerating float noise
    /// (e.g. `0.1 + 0.2`).
    ///
    /// # Errors
    /// Returns `hours_invalid` if `value` is NaN or infinite, negative,
    /// greater than 10000, or has more than one decimal place.
    pub fn parse_f64(value: f64) -> Result<Self, DomainError> {
        if !value.is_finite() {
            return Err(err("hours must be a finite number"));
        }
        if value < 0.0 {
            return Err(err("hours must not be negative"));
        }
        if value > Self::MAX_F64 {
            return Err(err(format!("hours must be at most {}", Self::MAX_F64)));
        }
        let scaled = value * 10.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 {
            return Err(err("hours may have at most one decimal place"));
        }
        // 0 <= rounded <= 100_000, so the conversion is exact.
        Ok(Self(rounded as u32))
    }

    /// The number of hours as a float (e.g. `2.5`).
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10.0
    }

    /// The number of tenths of an hour (e.g. `25` for 2.5 hours).
    pub fn tenths(self) -> u32 {
        self.0
    }

    /// Adds two values, returning `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }
}

fn err(message: impl Into<String>) -> DomainError {
    DomainError::new(CODE, message)
}

impl Add for Hours {
    type Output = Self;

    /// Saturates at `u32::MAX` tenths instead of overflowing.
    fn add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
}

impl Sum for Hours {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Hours> for Hours {
    fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.copied().sum()
    }
}

impl fmt::Display for Hours {
    /// Whole hours print without a decimal point (`42`), others with one
    /// decimal place (`2.5`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, tenth) = (self.0 / 10, self.0 % 10);
        if tenth == 0 {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{tenth}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(v: f64) -> DomainError {
        let err = Hours::parse_f64(v).unwrap_err();
        assert_eq!(err.code, "hours_invalid");
        err
    }

    #[test]
    fn parses_whole_and_tenths() {
        assert_eq!(Hours::parse_f64(42.0).unwrap().tenths(), 420);
        assert_eq!(Hours::parse_f64(2.5).unwrap().tenths(), 25);
        assert_eq!(Hours::parse_f64(0.0).unwrap(), Hours::ZERO);
        assert_eq!(Hours::parse_f64(-0.0).unwrap(), Hours::ZERO);
        assert_eq!(Hours::parse_f64(10_000.0).unwrap().tenths(), 100_000);
    }

    #[test]
    fn tolerates_float_noise() {
        assert_eq!(Hours::parse_f64(0.1 + 0.2).unwrap().tenths(), 3);
        assert_eq!(Hours::parse_f64(1.1 * 3.0).unwrap().tenths(), 33);
    }

    #[test]
    fn rejects_non_finite() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(parse_err(v).message.contains("finite"));
        }
    }

    #[test]
    fn rejects_negative() {
        assert!(parse_err(-0.1).message.contains("negative"));
        assert!(parse_err(-5.0).message.contains("negative"));
    }

    #[test]
    fn rejects_too_large() {
        assert!(parse_err(10_000.1).message.contains("at most 10000"));
        assert!(parse_err(1e12).message.contains("at most 10000"));
    }

    #[test]
    fn rejects_two_decimal_places() {
        for v in [2.25, 0.01, 9999.99] {
            assert!(parse_err(v).message.contains("one decimal place"), "{v}");
        }
    }

    #[test]
    fn conversions() {
        let h = Hours::from_tenths(25);
        assert_eq!(h.tenths(), 25);
        assert!((h.as_f64() - 2.5).abs() < f64::EPSILON);
    }

    #[test]
    fn display() {
        assert_eq!(Hours::from_tenths(420).to_string(), "42");
        assert_eq!(Hours::from_tenths(25).to_string(), "2.5");
        assert_eq!(Hours::from_tenths(3).to_string(), "0.3");
        assert_eq!(Hours::ZERO.to_string(), "0");
    }

    #[test]
    fn add_sum_and_order() {
        let a = Hours::from_tenths(25);
        let b = Hours::from_tenths(15);
        assert_eq!(a + b, Hours::from_tenths(40));
        let all = [a, b, Hours::from_tenths(10)];
        assert_eq!(all.iter().sum::<Hours>(), Hours::from_tenths(50));
        assert_eq!(all.into_iter().sum::<Hours>(), Hours::from_tenths(50));
        assert_eq!(std::iter::empty::<Hours>().sum::<Hours>(), Hours::ZERO);
        assert!(b < a);
        assert_eq!(all.iter().max(), Some(&a));
    }

    #[test]
    fn add_saturates_and_checked_add_detects_overflow() {
        let max = Hours::from_tenths(u32::MAX);
        assert_eq!(max + Hours::from_tenths(1), max);
        assert_eq!(max.checked_add(Hours::from_tenths(1)), None);
        assert_eq!(
            Hours::from_tenths(1).checked_add(Hours::from_tenths(2)),
            Some(Hours::from_tenths(3))
        );
    }
}
