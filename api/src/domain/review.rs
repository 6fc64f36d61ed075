//! The review decision used everywhere (R-RV-1): `approve`, `reject_close`
//! (final), `reject_return` (back to the submitter, who edits and submits
//! again). A pure state machine; services persist its result.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A reviewer's decision (R-RV-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 同意
    Approve,
    /// 不同意并结案: final, cannot be edited.
    RejectClose,
    /// 不同意并退案: back to the submitter to change and submit again.
    RejectReturn,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::RejectClose => "reject_close",
            Decision::RejectReturn => "reject_return",
        }
    }
}

/// Stored in `authorities.status` and `qualifications.status`; the type
/// lives with the entities.
pub use ce_entity::state::ReviewStatus;

/// What can happen to a reviewed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewEvent {
    Decide(Decision),
    /// The submitter sends a returned item again.
    Resubmit,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event:?} an item that is {from:?}")]
pub struct IllegalTransition {
    pub from: ReviewStatus,
    pub event: ReviewEvent,
}

/// The review state machine (R-RV-1) on the stored status.
pub trait ReviewTransitions: Sized {
    /// R-RV-1: only a submitted item can be decided; only a returned one
    /// can be resubmitted (and edited).
    ///
    /// # Errors
    /// [`IllegalTransition`] for any other status and event.
    fn transition(self, event: ReviewEvent) -> Result<Self, IllegalTransition>;

    /// Whether the submitter may change the item.
    fn editable(self) -> bool;
}

impl ReviewTransitions for ReviewStatus {
    fn transition(self, event: ReviewEvent) -> Result<Self, IllegalTransition> {
        use ReviewStatus::*;
        match (self, event) {
            (Submitted, ReviewEvent::Decide(Decision::Approve)) => Ok(Approved),
            (Submitted, ReviewEvent::Decide(Decision::RejectClose)) => Ok(Closed),
            (Submitted, ReviewEvent::Decide(Decision::RejectReturn)) => Ok(Returned),
            (Returned, ReviewEvent::Resubmit) => Ok(Submitted),
            (from, event) => Err(IllegalTransition { from, event }),
        }
    }

    fn editable(self) -> bool {
        self == ReviewStatus::Returned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;
    use ReviewStatus::*;

    const ALL_STATUSES: [ReviewStatus; 4] = [Submitted, Approved, Returned, Closed];
    const ALL_EVENTS: [ReviewEvent; 4] = [
        ReviewEvent::Decide(Approve),
        ReviewEvent::Decide(RejectClose),
        ReviewEvent::Decide(RejectReturn),
        ReviewEvent::Resubmit,
    ];

    #[test]
    fn r_rv_1_every_status_and_event_exhaustively() {
        for from in ALL_STATUSES {
            for event in ALL_EVENTS {
                let expected = match (from, event) {
                    (Submitted, ReviewEvent::Decide(Approve)) => Some(Approved),
                    (Submitted, ReviewEvent::Decide(RejectClose)) => Some(Closed),
                    (Submitted, ReviewEvent::Decide(RejectReturn)) => Some(Returned),
                    (Returned, ReviewEvent::Resubmit) => Some(Submitted),
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
    fn r_rv_1_returned_items_are_editable_closed_ones_are_not() {
        assert!(Returned.editable());
        assert!(!Closed.editable());
        assert!(!Submitted.editable());
        assert!(!Approved.editable());
    }
}
