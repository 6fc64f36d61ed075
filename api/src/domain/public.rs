//! Public subjects (公需科目, R-RC-8, R-RC-9): when a public-course
//! completion may still count, and from which platform. Pure checks the
//! platform push calls before it records public hours.

use chrono::{DateTime, NaiveDate, Utc};

use super::DomainError;

/// The provincial public-course platform's name in
/// `professional_series.public_course_platform`.
pub const PROVINCIAL: &str = "provincial";

/// R-RC-8: a completion for year Y counts only up to Y's deadline (the day
/// the year's courses go offline, China time); there is no make-up. A year
/// with no deadline published accepts completions.
///
/// # Errors
/// `public_deadline_passed` when `completed_at` falls after `deadline`.
pub fn check_deadline(
    year: i32,
    completed_at: DateTime<Utc>,
    deadline: Option<NaiveDate>,
) -> Result<(), DomainError> {
    let Some(deadline) = deadline else {
        return Ok(());
    };
    let day = super::year::date_in_shanghai(completed_at);
    if day > deadline {
        return Err(DomainError::new(
            "public_deadline_passed",
            format!(
                "public courses of {year} went offline after {deadline}; a completion on {day} \
                 does not count and there is no make-up (R-RC-8)"
            ),
        ));
    }
    Ok(())
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
    fn r_rc_8_completions_after_the_deadline_are_refused_in_china_time() {
        let deadline = NaiveDate::from_ymd_opt(2024, 4, 30);
        // 2024-04-30 23:30 in Shanghai is 15:30 UTC: still on time.
        let late_evening = Utc.with_ymd_and_hms(2024, 4, 30, 15, 30, 0).unwrap();
        assert!(check_deadline(2023, late_evening, deadline).is_ok());
        // 2024-05-01 00:30 in Shanghai is 16:30 UTC on the 30th: too late.
        let after_midnight = Utc.with_ymd_and_hms(2024, 4, 30, 16, 30, 0).unwrap();
        let err = check_deadline(2023, after_midnight, deadline).unwrap_err();
        assert_eq!(err.code, "public_deadline_passed");
        assert!(check_deadline(2026, after_midnight, None).is_ok());
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
