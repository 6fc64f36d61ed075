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

/// R-ACC-5: accounting credits of `year`, professional as well as
/// public, are confirmed until the year's deadline (2023年度公需科目及专业科目
/// 继续教育学分确认截止时间为2024年4月30日，过期不办理补学补登, 广州市财政局
/// 2023 通知 三): what is received (China time) after it is refused.
///
/// # Errors
/// `accounting_deadline_passed` when `received_at` falls after `deadline`.
pub fn check_accounting_received(
    year: i32,
    received_at: DateTime<Utc>,
    deadline: NaiveDate,
) -> Result<(), DomainError> {
    if super::year::date_in_shanghai(received_at) > deadline {
        return Err(DomainError::new(
            "accounting_deadline_passed",
            format!(
                "accounting credits of {year} were confirmed until {deadline}: registration is \
                 closed, professional credits too (R-ACC-5)"
            ),
        ));
    }
    Ok(())
}

/// R-ACC-5: a related exam (资产评估师、税务师…) counts for `year` when its
/// results were published from May 1 of the year to the year's deadline
/// (2023: 在 2023 年 5 月 1 日至 2024 年 4 月 30 日期间公布成绩的).
///
/// # Errors
/// `results_published_outside` when `published_on` lies outside the window.
pub fn check_results_published(
    year: i32,
    published_on: NaiveDate,
    deadline: NaiveDate,
) -> Result<(), DomainError> {
    let from = NaiveDate::from_ymd_opt(year, 5, 1).unwrap_or(NaiveDate::MIN);
    if published_on < from || published_on > deadline {
        return Err(DomainError::new(
            "results_published_outside",
            format!(
                "a related exam counts for {year} when its results were published from {from} \
                 to {deadline} (R-ACC-5)"
            ),
        ));
    }
    Ok(())
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

    #[test]
    fn r_acc_5_accounting_credits_close_with_the_deadline_and_exams_count_in_the_window() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let deadline = d(2024, 4, 30);
        // 2024-04-30 23:59 in China is still on time; 2024-05-01 00:00 is not.
        let on_time: DateTime<Utc> = "2024-04-30T15:59:00Z".parse().unwrap();
        let late: DateTime<Utc> = "2024-04-30T16:00:00Z".parse().unwrap();
        assert!(check_accounting_received(2023, on_time, deadline).is_ok());
        assert_eq!(
            check_accounting_received(2023, late, deadline)
                .unwrap_err()
                .code,
            "accounting_deadline_passed"
        );
        for ok in [d(2023, 5, 1), d(2023, 11, 20), d(2024, 4, 30)] {
            assert!(check_results_published(2023, ok, deadline).is_ok(), "{ok}");
        }
        for out in [d(2023, 4, 30), d(2024, 5, 1)] {
            assert_eq!(
                check_results_published(2023, out, deadline)
                    .unwrap_err()
                    .code,
                "results_published_outside"
            );
        }
    }
}
