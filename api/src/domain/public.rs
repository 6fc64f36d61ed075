//! Public subjects (公需科目, R-RC-8, R-RC-9): when a public-course
//! completion may still count, and from which platform. Pure checks the
//! platform push calls before it records public hours.

use chrono::{DateTime, NaiveDate, Utc};

use super::DomainError;

/// The provincial public-course platform's name in
/// `professional_series.public_course_platform`.
pub const PROVINCIAL: &str = "provincial";

/// R-RC-8: the deadline closes registration (过期不办理补学补登): a public
/// completion for `year` *received* (China time) after the year's
/// deadline is refused, whatever completion date it carries.
///
/// # Errors
/// `public_deadline_passed` when `received_at` falls after `deadline`.
pub fn check_received(
    year: i32,
    received_at: DateTime<Utc>,
    deadline: NaiveDate,
) -> Result<(), DomainError> {
    let day = super::year::date_in_shanghai(received_at);
    if day > deadline {
        return Err(DomainError::new(
            "public_deadline_passed",
            format!(
                "public hours of {year} were received until {deadline}: registration is closed \
                 and there is no make-up, whatever the completion date (R-RC-8)"
            ),
        ));
    }
    Ok(())
}

/// The default deadline rule: a month and day of the year after the one
/// the hours are for (`04-30`: the 2023 guide's, 2023's courses went
/// offline after 2024-04-30).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDay {
    month: u32,
    day: u32,
}

impl MonthDay {
    /// `MM-DD`, a day that exists in every year (not `02-29`).
    ///
    /// # Errors
    /// `month_day_invalid` otherwise.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = || {
            DomainError::new(
                "month_day_invalid",
                "expected MM-DD, a day of every year (e.g. 04-30; not 02-29)",
            )
        };
        let (m, d) = s.split_once('-').ok_or_else(bad)?;
        if m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let month: u32 = m.parse().map_err(|_| bad())?;
        let day: u32 = d.parse().map_err(|_| bad())?;
        // 2023 is not a leap year: a day valid in it is valid in every year.
        NaiveDate::from_ymd_opt(2023, month, day).ok_or_else(bad)?;
        Ok(Self { month, day })
    }

    /// The day in `year`.
    pub fn in_year(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }
}

impl std::fmt::Display for MonthDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// R-RC-9: persons in the education, health and accounting series take
/// public courses on their sector's platform. `platforms` are the
/// `public_course_platform`s of the series the person holds that year;
/// `source` is the platform family pushing the completion.
///
/// # Errors
/// `public_platform_mismatch` when the provincial platform pushes for a
/// person routed to a sector platform, or a sector platform for a person it
/// does not serve.
pub fn check_platform(platforms: &[&str], source: &str) -> Result<(), DomainError> {
    let sectors: Vec<&str> = platforms
        .iter()
        .copied()
        .filter(|p| *p != PROVINCIAL)
        .collect();
    let ok = if source == PROVINCIAL {
        sectors.is_empty()
    } else {
        sectors.contains(&source)
    };
    if ok {
        Ok(())
    } else {
        let expected = if sectors.is_empty() {
            PROVINCIAL.to_string()
        } else {
            sectors.join(" or ")
        };
        Err(DomainError::new(
            "public_platform_mismatch",
            format!(
                "this person takes public courses on the {expected} platform, not {source} (R-RC-9)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn r_rc_8_hours_received_after_the_deadline_are_refused_in_china_time() {
        let deadline = NaiveDate::from_ymd_opt(2024, 4, 30).unwrap();
        // 2024-04-30 23:30 in Shanghai is 15:30 UTC: still on time.
        let late_evening = Utc.with_ymd_and_hms(2024, 4, 30, 15, 30, 0).unwrap();
        assert!(check_received(2023, late_evening, deadline).is_ok());
        // 2024-05-01 00:30 in Shanghai is 16:30 UTC on the 30th: too late.
        let after_midnight = Utc.with_ymd_and_hms(2024, 4, 30, 16, 30, 0).unwrap();
        let err = check_received(2023, after_midnight, deadline).unwrap_err();
        assert_eq!(err.code, "public_deadline_passed");
    }

    #[test]
    fn r_rc_8_the_default_deadline_is_a_day_of_every_year() {
        let d = MonthDay::parse("04-30").unwrap();
        assert_eq!(d.to_string(), "04-30");
        assert_eq!(d.in_year(2024), NaiveDate::from_ymd_opt(2024, 4, 30));
        for bad in ["02-29", "4-30", "13-01", "04-31", "0430", "", "aa-bb"] {
            assert_eq!(
                MonthDay::parse(bad).unwrap_err().code,
                "month_day_invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn r_rc_9_sector_series_take_public_courses_on_their_platform() {
        assert!(check_platform(&[], PROVINCIAL).is_ok());
        assert!(check_platform(&["provincial"], PROVINCIAL).is_ok());
        let err = check_platform(&["health"], PROVINCIAL).unwrap_err();
        assert_eq!(err.code, "public_platform_mismatch");
        assert!(check_platform(&["health"], "health").is_ok());
        assert!(check_platform(&["provincial", "accounting"], "accounting").is_ok());
        assert!(check_platform(&["provincial", "accounting"], PROVINCIAL).is_err());
        assert!(check_platform(&["provincial"], "education").is_err());
    }
}
