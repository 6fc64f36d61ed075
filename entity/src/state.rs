//! The states a row stores, one enum a status column (issue 18): sea-orm
//! reads and writes them as the plain text the migrations create, and a
//! stored value none of them names fails the read (`DbErr::Type`) instead
//! of passing for another state. The names are the wire names (serde) and
//! the only place a state is spelled: SQL that needs one — a partial
//! index's predicate, a raw query — takes it from [`as_str`](RecordStatus::as_str).
//!
//! Data only: the transitions between them are rules and live in the
//! domain (`ce_api::domain`), which re-exports these types.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One enum of stored states: the sea-orm mapping (text), the serde names,
/// and `ALL`, `as_str`, `parse` and `Display` from the same list, so the
/// three spellings cannot drift apart.
macro_rules! states {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $name:tt, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum,
            Serialize, Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        #[serde(rename_all = "snake_case")]
        pub enum $ty {
            $( $(#[$vmeta])* #[sea_orm(string_value = $name)] $variant, )+
        }

        impl $ty {
            /// Every state, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stored (and wire) name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The state named `s`, if any (for input that is not a stored
            /// row, e.g. a query parameter; rows decode through sea-orm).
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

states! {
    /// Where a record stands in the unit's review (R-RC-3).
    #[derive(utoipa::ToSchema)]
    pub enum RecordStatus {
        /// Waiting for the unit; a record of a person with no unit waits here
        /// with no unit until the person binds to one.
        PendingUnitReview = "pending_unit_review",
        /// Counts towards the year.
        Approved = "approved",
        /// Back to the person to change.
        Returned = "returned",
        /// Refused for good.
        Closed = "closed",
        /// Found untruthful by hrss (记载不真实, R-RC-12): invalid, counts for
        /// nothing, and nothing moves it again.
        Invalidated = "invalidated",
    }
}

states! {
    /// Where a reviewed item stands.
    #[derive(utoipa::ToSchema)]
    pub enum ReviewStatus {
        /// Waiting for the reviewer.
        Submitted = "submitted",
        Approved = "approved",
        /// Returned to the submitter for changes.
        Returned = "returned",
        /// Closed for good.
        Closed = "closed",
    }
}

states! {
    /// Where a course plan stands.
    #[derive(utoipa::ToSchema)]
    pub enum PlanStatus {
        /// Being written by its owner; not yet seen by the authority.
        Draft = "draft",
        /// Waiting for the authority's decision.
        Submitted = "submitted",
        /// May run classes that accept enrolment.
        Approved = "approved",
        /// Returned to the owner to change and submit again.
        Returned = "returned",
        /// Refused for good.
        Closed = "closed",
    }
}

states! {
    /// Where a class stands (R-CL-1).
    #[derive(utoipa::ToSchema)]
    pub enum ClassStatus {
        /// 接受报名: persons enrol.
        Accepting = "accepting",
        /// 开班: under way; results are entered.
        Open = "open",
        /// 结班: over; the learners who passed have their records.
        Closed = "closed",
        /// 取消.
        Cancelled = "cancelled",
    }
}

states! {
    /// Where an enrolment stands (R-CL-2).
    #[derive(utoipa::ToSchema)]
    pub enum EnrollmentStatus {
        /// Waiting for the class owner (学员审核).
        Pending = "pending",
        /// A learner of the class.
        Accepted = "accepted",
        /// Cancelled by the class owner; frees the place.
        Cancelled = "cancelled",
    }
}

states! {
    /// Where a certificate stands.
    #[derive(utoipa::ToSchema)]
    pub enum CertificateStatus {
        /// The current certificate of its year.
        Valid = "valid",
        /// Replaced by a reissue; its number no longer stands.
        Superseded = "superseded",
        /// Withdrawn by hrss.
        Revoked = "revoked",
    }
}

states! {
    /// Where a binding stands.
    #[derive(utoipa::ToSchema)]
    pub enum BindingStatus {
        /// Asked by the person; the unit has not decided.
        Pending = "pending",
        /// The person's current unit.
        Approved = "approved",
        /// Refused by the unit.
        Rejected = "rejected",
        /// Unbound; kept as history.
        Ended = "ended",
    }
}

states! {
    /// Where an invitation to administer an organisation stands.
    pub enum InvitationStatus {
        /// Sent; the account has not accepted yet.
        Pending = "pending",
        /// Accepted: the account holds the admin role.
        Accepted = "accepted",
    }
}

states! {
    /// Where a webhook delivery stands.
    pub enum DeliveryStatus {
        /// Waiting to be sent.
        Pending = "pending",
        /// A receiver took it (2xx).
        Delivered = "delivered",
        /// Given up after the last attempt (it can be replayed).
        Failed = "failed",
    }
}

states! {
    /// How a line's hours count: approved, or waiting for a review.
    pub enum Counted {
        Approved = "approved",
        Pending = "pending",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ActiveEnum, Iterable};

    /// Every variant's stored value, serde name, `as_str` and `parse` agree,
    /// and `ALL` lists every variant.
    fn round_trip<T>()
    where
        T: ActiveEnum<Value = String>
            + Iterable
            + Serialize
            + for<'de> Deserialize<'de>
            + std::fmt::Display
            + std::fmt::Debug
            + PartialEq
            + Copy,
    {
        for v in T::iter() {
            let stored = v.to_value();
            assert_eq!(stored, v.to_string(), "{v:?}");
            assert_eq!(serde_json::to_value(v).unwrap(), stored, "{v:?}");
            assert_eq!(
                serde_json::from_value::<T>(serde_json::Value::String(stored.clone())).unwrap(),
                v
            );
            assert_eq!(T::try_from_value(&stored).unwrap(), v, "{v:?}");
        }
        assert!(T::try_from_value(&"frozen".to_owned()).is_err());
    }

    macro_rules! check {
        ($($ty:ident),+) => {$(
            round_trip::<$ty>();
            assert_eq!($ty::ALL.len(), $ty::iter().count());
            for v in $ty::iter() {
                assert_eq!($ty::parse(v.as_str()), Some(v));
                assert_eq!(v.to_value(), v.as_str());
            }
            assert_eq!($ty::parse("frozen"), None);
        )+};
    }

    #[test]
    fn stored_serde_and_str_names_agree() {
        check!(
            RecordStatus,
            ReviewStatus,
            PlanStatus,
            ClassStatus,
            EnrollmentStatus,
            CertificateStatus,
            BindingStatus,
            InvitationStatus,
            DeliveryStatus,
            Counted
        );
    }
}
