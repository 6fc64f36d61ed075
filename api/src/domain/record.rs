//! Continuing-education records (R-RC-1..3): categories, sources and
//! review statuses.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
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

/// Where a record stands in the unit's review (R-RC-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Waiting for the unit; a record of a person with no unit waits here
    /// with no unit until the person binds to one.
    PendingUnitReview,
    /// Counts towards the year.
    Approved,
    /// Back to the person to change.
    Returned,
    /// Refused for good.
    Closed,
}
names!(RecordStatus {
    PendingUnitReview => "pending_unit_review",
    Approved => "approved",
    Returned => "returned",
    Closed => "closed",
});

#[cfg(test)]
mod tests {
    use super::*;

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
        for s in RecordStatus::ALL {
            assert_eq!(RecordStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
