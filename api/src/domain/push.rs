//! What became of a pushed item: a value of the batches' stored outcome
//! and of the push's answer.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What became of one item (API.md: `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Recorded now.
    Accepted,
    /// Recorded before, with the same content: nothing changed.
    Duplicate,
    /// Not recorded; see `code` and `detail`.
    Rejected,
}
