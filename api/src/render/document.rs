//! What a printed or signed certificate shows, as the renderers take it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One line of hours as printed: a label and its hours.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursLine {
    /// A stable id for the line: `public`, `professional`, `elective`,
    /// `total`, or `series:<code>`.
    pub key: String,
    pub label: String,
    pub hours: f64,
}

/// Everything a printed or signed certificate shows.
#[derive(Debug, Clone)]
pub struct Document {
    pub certificate_id: Uuid,
    pub person_id: Uuid,
    pub number: String,
    pub year: i32,
    pub holder_name: String,
    pub id_card_masked: String,
    /// The unit at issue, if any.
    pub unit_name: Option<String>,
    pub lines: Vec<HoursLine>,
    pub issued_at: DateTime<Utc>,
    pub verify_url: String,
    pub issuer_name: String,
    pub issuer_url: String,
}

/// Hours as text: `30` or `2.5`.
pub fn hours_text(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h:.1}")
    }
}
