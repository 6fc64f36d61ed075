//! The clock: what time it is, for rules that depend on the date (R-RC-8,
//! R-RC-11: when public hours are *received*). The server reads the system
//! clock; tests set a [`SettableClock`] to a day of their choosing, so no
//! test depends on today's date.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// What time it is.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock until a test sets it; then the time set, standing
/// still, until it is set again or [`follow_system`](Self::follow_system).
#[derive(Debug, Default)]
pub struct SettableClock {
    fixed: Mutex<Option<DateTime<Utc>>>,
}

impl SettableClock {
    /// From now on, `now()` answers `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.fixed.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
    }

    /// Back to the system clock.
    pub fn follow_system(&self) {
        *self.fixed.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

impl Clock for SettableClock {
    fn now(&self) -> DateTime<Utc> {
        self.fixed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(Utc::now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_set_clock_stands_still_until_it_follows_the_system_again() {
        let c = SettableClock::default();
        let at = Utc.with_ymd_and_hms(2019, 6, 30, 15, 0, 0).unwrap();
        c.set(at);
        assert_eq!(c.now(), at);
        assert_eq!(c.now(), at);
        c.follow_system();
        assert!(c.now() > at);
    }
}
