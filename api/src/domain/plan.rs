//! Course plans (R-CP-1): drafted by their owner, submitted to the
//! authority of their series and region, decided by it (R-RV-1). A pure
//! state machine; services persist its result.

use super::review::Decision;

/// Stored in `course_plans.status`; the type lives with the entities.
pub use ce_entity::state::PlanStatus;

/// What can happen to a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanEvent {
    /// The owner sends a draft or a returned plan to the authority.
    Submit,
    Decide(Decision),
}

/// A transition the plan state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event:?} a plan that is {from:?}")]
pub struct IllegalPlanTransition {
    pub from: PlanStatus,
    pub event: PlanEvent,
}

/// The plan state machine (R-CP-1, R-RV-1) on the stored status.
pub trait PlanTransitions: Sized {
    /// R-CP-1, R-RV-1: drafts and returned plans are submitted; only a
    /// submitted plan is decided.
    ///
    /// # Errors
    /// [`IllegalPlanTransition`] for any other status and event.
    fn transition(self, event: PlanEvent) -> Result<Self, IllegalPlanTransition>;

    /// The owner may change the plan only while it is a draft or returned.
    fn editable(self) -> bool;
}

impl PlanTransitions for PlanStatus {
    fn transition(self, event: PlanEvent) -> Result<Self, IllegalPlanTransition> {
        use PlanStatus::*;
        match (self, event) {
            (Draft | Returned, PlanEvent::Submit) => Ok(Submitted),
            (Submitted, PlanEvent::Decide(Decision::Approve)) => Ok(Approved),
            (Submitted, PlanEvent::Decide(Decision::RejectClose)) => Ok(Closed),
            (Submitted, PlanEvent::Decide(Decision::RejectReturn)) => Ok(Returned),
            (from, event) => Err(IllegalPlanTransition { from, event }),
        }
    }

    fn editable(self) -> bool {
        matches!(self, PlanStatus::Draft | PlanStatus::Returned)
    }
}

/// Who owns a plan and runs its classes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OwnerType {
    Provider,
    Unit,
    Authority,
}

impl OwnerType {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerType::Provider => "provider",
            OwnerType::Unit => "unit",
            OwnerType::Authority => "authority",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [OwnerType::Provider, OwnerType::Unit, OwnerType::Authority]
            .into_iter()
            .find(|o| o.as_str() == s)
    }

    /// The role whose holders act for an owner of this type.
    pub fn role(self) -> crate::auth::Role {
        match self {
            OwnerType::Provider => crate::auth::Role::ProviderAdmin,
            OwnerType::Unit => crate::auth::Role::UnitAdmin,
            OwnerType::Authority => crate::auth::Role::Authority,
        }
    }
}

/// A plan's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub kind: OwnerType,
    pub id: uuid::Uuid,
}

impl Owner {
    /// The owner a plan stores: its type's name and its id.
    pub fn parse(owner_type: &str, id: uuid::Uuid) -> Option<Self> {
        OwnerType::parse(owner_type).map(|kind| Self { kind, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;
    use PlanStatus::*;

    const ALL_EVENTS: [PlanEvent; 4] = [
        PlanEvent::Submit,
        PlanEvent::Decide(Approve),
        PlanEvent::Decide(RejectClose),
        PlanEvent::Decide(RejectReturn),
    ];

    #[test]
    fn r_cp_1_every_status_and_event_exhaustively() {
        for from in PlanStatus::ALL.iter().copied() {
            for event in ALL_EVENTS {
                let expected = match (from, event) {
                    (Draft, PlanEvent::Submit) | (Returned, PlanEvent::Submit) => Some(Submitted),
                    (Submitted, PlanEvent::Decide(Approve)) => Some(Approved),
                    (Submitted, PlanEvent::Decide(RejectClose)) => Some(Closed),
                    (Submitted, PlanEvent::Decide(RejectReturn)) => Some(Returned),
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
    fn r_rv_1_only_drafts_and_returned_plans_are_editable() {
        for s in PlanStatus::ALL.iter().copied() {
            assert_eq!(s.editable(), matches!(s, Draft | Returned), "{s:?}");
        }
    }
}
