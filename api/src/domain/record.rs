//! Continuing-education records (R-RC-1..3): categories, sources and
//! review statuses.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::review::Decision;

/// Stored in `records.status`; the type lives with the entities.
pub use ce_entity::state::RecordStatus;

macro_rules! names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

/// The three categories of hours (R-RC-1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordCategory {
    /// 公需科目.
    Public,
    /// 专业科目.
    Professional,
    /// 个人选修科目.
    Elective,
}
names!(RecordCategory { Public => "public", Professional => "professional", Elective => "elective" });

/// Where a record came from (R-RC-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordSource {
    /// The provincial public-course platform (recognised automatically).
    PublicCourse,
    /// A closed class (R-CL-3).
    ClassClosure,
    /// Declared by the person with proof.
    SelfDeclared,
    /// Pushed by a sector platform (arrives recognised).
    PlatformPush,
    /// Converted from degree education or accounting credits.
    Conversion,
}
names!(RecordSource {
    PublicCourse => "public_course",
    ClassClosure => "class_closure",
    SelfDeclared => "self_declared",
    PlatformPush => "platform_push",
    Conversion => "conversion",
});

/// What can happen to a record under the unit's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordEvent {
    /// The unit decides (R-RV-1).
    Decide(Decision),
    /// The person sends a returned record again.
    Resubmit,
    /// hrss finds the record untruthful (记载不真实, R-RC-12).
    Invalidate,
}

/// A transition the record state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event:?} a record that is {from:?}")]
pub struct IllegalRecordTransition {
    pub from: RecordStatus,
    pub event: RecordEvent,
}

/// The record state machine (R-RC-3, R-RC-4) on the stored status.
pub trait RecordTransitions: Sized {
    /// R-RC-3, R-RC-4: the unit decides a pending record; an approved one
    /// that turns out wrong can still be closed (the person declares
    /// again); a returned one goes back to the unit when resubmitted; hrss
    /// invalidates any record not yet invalid (R-RC-12).
    ///
    /// # Errors
    /// [`IllegalRecordTransition`] for any other status and event.
    fn transition(self, event: RecordEvent) -> Result<Self, IllegalRecordTransition>;
}

impl RecordTransitions for RecordStatus {
    fn transition(self, event: RecordEvent) -> Result<Self, IllegalRecordTransition> {
        use RecordStatus::*;
        match (self, event) {
            (PendingUnitReview, RecordEvent::Decide(Decision::Approve)) => Ok(Approved),
            (PendingUnitReview, RecordEvent::Decide(Decision::RejectReturn)) => Ok(Returned),
            (PendingUnitReview | Approved, RecordEvent::Decide(Decision::RejectClose)) => {
                Ok(Closed)
            }
            (Returned, RecordEvent::Resubmit) => Ok(PendingUnitReview),
            // R-RC-12: whatever the unit decided, a record found untruthful
            // is invalid (a closed one too: the finding is what counts for
            // the credit file); once invalid, nothing moves it.
            (PendingUnitReview | Approved | Returned | Closed, RecordEvent::Invalidate) => {
                Ok(Invalidated)
            }
            (from, event) => Err(IllegalRecordTransition { from, event }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_rc_3_r_rc_4_r_rc_12_every_status_and_event_exhaustively() {
        use Decision::*;
        use RecordStatus::*;
        let events = [
            RecordEvent::Decide(Approve),
            RecordEvent::Decide(RejectClose),
            RecordEvent::Decide(RejectReturn),
            RecordEvent::Resubmit,
            RecordEvent::Invalidate,
        ];
        for from in RecordStatus::ALL.iter().copied() {
            for event in events {
                let expected = match (from, event) {
                    (PendingUnitReview, RecordEvent::Decide(Approve)) => Some(Approved),
                    (PendingUnitReview, RecordEvent::Decide(RejectReturn)) => Some(Returned),
                    (PendingUnitReview, RecordEvent::Decide(RejectClose)) => Some(Closed),
                    (Approved, RecordEvent::Decide(RejectClose)) => Some(Closed),
                    (Returned, RecordEvent::Resubmit) => Some(PendingUnitReview),
                    (Invalidated, _) => None,
                    (_, RecordEvent::Invalidate) => Some(Invalidated),
                    _ => None,
                };
                assert_eq!(
                    from.transition(event).ok(),
                    expected,
                    "{from:?} + {event:?}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip_and_match_serde() {
        for c in RecordCategory::ALL {
            assert_eq!(RecordCategory::parse(c.as_str()), Some(*c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for s in RecordSource::ALL {
            assert_eq!(RecordSource::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
