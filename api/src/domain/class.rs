//! Classes (培训班) and their enrolments (R-CP-3, R-CP-4, R-CL-1, R-CL-2):
//! the class lifecycle and the enrolment decision as pure state machines,
//! and the face-to-face filing window as a pure function of dates.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::DomainError;

/// How a class is taught (R-CP-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClassMode {
    /// 面授: filed within the window of R-CP-3.
    FaceToFace,
    /// 远程 (网络) training.
    Online,
}

impl ClassMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ClassMode::FaceToFace => "face_to_face",
            ClassMode::Online => "online",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ClassMode::FaceToFace, ClassMode::Online]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// Stored in `classes.status`; the type lives with the entities.
pub use ce_entity::state::ClassStatus;

/// A transition R-CL-1 does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a class cannot go from {from:?} to {to:?}")]
pub struct IllegalClassTransition {
    pub from: ClassStatus,
    pub to: ClassStatus,
}

/// The class lifecycle (R-CL-1) on the stored status.
pub trait ClassTransitions: Sized {
    /// R-CL-1: `accepting → open → closed`; `cancelled` from `accepting`
    /// or `open`; nothing else.
    ///
    /// # Errors
    /// [`IllegalClassTransition`] for any other step.
    fn transition(self, to: ClassStatus) -> Result<ClassStatus, IllegalClassTransition>;
}

impl ClassTransitions for ClassStatus {
    fn transition(self, to: ClassStatus) -> Result<ClassStatus, IllegalClassTransition> {
        use ClassStatus::*;
        match (self, to) {
            (Accepting, Open) | (Open, Closed) | (Accepting | Open, Cancelled) => Ok(to),
            (from, to) => Err(IllegalClassTransition { from, to }),
        }
    }
}

/// Stored in `enrollments.status`; the type lives with the entities.
pub use ce_entity::state::EnrollmentStatus;

/// The class owner's decision on an enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentDecision {
    /// 接受报名.
    Accept,
    /// 取消报名.
    Cancel,
}

impl EnrollmentDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentDecision::Accept => "accept",
            EnrollmentDecision::Cancel => "cancel",
        }
    }
}

/// A decision the enrolment state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {decision:?} an enrolment that is {from:?}")]
pub struct IllegalEnrollmentTransition {
    pub from: EnrollmentStatus,
    pub decision: EnrollmentDecision,
}

/// The enrolment decision (R-CL-2) on the stored status.
pub trait EnrollmentTransitions: Sized {
    /// R-CL-2: a pending enrolment is accepted or cancelled; an accepted
    /// one can still be cancelled; a cancelled one is final.
    ///
    /// # Errors
    /// [`IllegalEnrollmentTransition`] for any other status and decision.
    fn decide(
        self,
        decision: EnrollmentDecision,
    ) -> Result<EnrollmentStatus, IllegalEnrollmentTransition>;
}

impl EnrollmentTransitions for EnrollmentStatus {
    fn decide(
        self,
        decision: EnrollmentDecision,
    ) -> Result<EnrollmentStatus, IllegalEnrollmentTransition> {
        use EnrollmentDecision::*;
        use EnrollmentStatus::*;
        match (self, decision) {
            (Pending, Accept) => Ok(Accepted),
            (Pending | Accepted, Cancel) => Ok(Cancelled),
            (from, decision) => Err(IllegalEnrollmentTransition { from, decision }),
        }
    }
}

/// R-CP-3 (reading of DOMAIN.md): a face-to-face class is filed no later
/// than its start date and no earlier than `window_days` before it. Online
/// classes have no window.
///
/// # Errors
/// `filing_window` when `today` (China time) is outside the window.
pub fn check_filing_window(
    mode: ClassMode,
    start: NaiveDate,
    today: NaiveDate,
    window_days: u32,
) -> Result<(), DomainError> {
    if mode == ClassMode::Online {
        return Ok(());
    }
    let latest = today
        .checked_add_days(Days::new(u64::from(window_days)))
        .unwrap_or(NaiveDate::MAX);
    if start < today || start > latest {
        return Err(DomainError::new(
            "filing_window",
            format!(
                "a face-to-face class is filed within {window_days} days before it starts \
                 (开班前{window_days}日内): its start date must lie between {today} and {latest}"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ClassStatus::*;

    #[test]
    fn r_cl_1_every_transition_exhaustively() {
        for from in ClassStatus::ALL.iter().copied() {
            for to in ClassStatus::ALL.iter().copied() {
                let allowed = matches!(
                    (from, to),
                    (Accepting, Open) | (Open, Closed) | (Accepting, Cancelled) | (Open, Cancelled)
                );
                assert_eq!(from.transition(to).is_ok(), allowed, "{from:?} -> {to:?}");
                if allowed {
                    assert_eq!(from.transition(to), Ok(to));
                }
            }
        }
    }

    #[test]
    fn r_cl_2_enrolment_decisions_exhaustively() {
        use EnrollmentDecision::*;
        use EnrollmentStatus::*;
        for from in EnrollmentStatus::ALL.iter().copied() {
            for d in [Accept, Cancel] {
                let expected = match (from, d) {
                    (Pending, Accept) => Some(Accepted),
                    (Pending, Cancel) | (Accepted, Cancel) => Some(Cancelled),
                    _ => None,
                };
                assert_eq!(from.decide(d).ok(), expected, "{from:?} + {d:?}");
            }
        }
    }

    #[test]
    fn r_cp_3_face_to_face_classes_are_filed_within_the_window() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let day = |d: i64| today + chrono::Duration::days(d);
        let f2f = ClassMode::FaceToFace;
        assert!(check_filing_window(f2f, day(0), today, 30).is_ok());
        assert!(check_filing_window(f2f, day(30), today, 30).is_ok());
        let err = check_filing_window(f2f, day(31), today, 30).unwrap_err();
        assert_eq!(err.code, "filing_window");
        assert!(check_filing_window(f2f, day(-1), today, 30).is_err());
        // The window is policy: a longer one admits a later start.
        assert!(check_filing_window(f2f, day(31), today, 45).is_ok());
        // Online classes are not filed against a window.
        assert!(check_filing_window(ClassMode::Online, day(200), today, 30).is_ok());
        assert!(check_filing_window(ClassMode::Online, day(-5), today, 30).is_ok());
    }

    #[test]
    fn names_round_trip() {
        for s in ClassStatus::ALL.iter().copied() {
            assert_eq!(ClassStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in EnrollmentStatus::ALL.iter().copied() {
            assert_eq!(EnrollmentStatus::parse(s.as_str()), Some(s));
        }
        for m in [ClassMode::FaceToFace, ClassMode::Online] {
            assert_eq!(ClassMode::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
    }
}
