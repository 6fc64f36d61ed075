//! The standing (年度学时汇总): what each record gives to its person's
//! year, line by line. Pure; the ledger (`ledger::standing`) keeps the
//! lines in the database by adding and taking away these contributions in
//! the transaction of every change, and the compliance calculator
//! (`domain::compliance`) judges them.
//!
//! A line is the hours of the records of one person and year that share a
//! category, series, counted status, conversion form, general-knowledge
//! flag and public topic: everything the calculator tells apart, so it
//! judges a year from a handful of lines however many records it holds.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::Hours;
use super::compliance::{Conversion, Fact};
use super::record::{RecordCategory, RecordStatus};

/// Stored in `standing_lines.counted`; the type lives with the entities.
pub use ce_entity::state::Counted;

/// The key of one line. Absent parts are empty strings, as stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey {
    pub person_id: Uuid,
    pub year: i32,
    pub category: RecordCategory,
    pub series: String,
    pub counted: Counted,
    pub conversion: String,
    pub general_knowledge: bool,
    pub topic: String,
}

/// What the ledger reads of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHours<'a> {
    pub person_id: Uuid,
    pub year: i32,
    pub category: RecordCategory,
    pub series: Option<&'a str>,
    pub status: RecordStatus,
    pub hours_tenths: i64,
    /// The part already approved (all of an approved record; what was
    /// approved before a class added hours, R-CL-4).
    pub approved_tenths: i64,
    pub conversion: Option<&'a str>,
    pub general_knowledge: bool,
    pub topic: Option<&'a str>,
}

/// What a record gives to its year (R-RC-3): an approved record all its
/// hours as approved; a pending one its approved part (R-CL-4: hours a
/// class added wait without withdrawing those approved before) and the
/// rest as pending; a returned one its approved part; a closed or an
/// invalidated one (R-RC-12) nothing. Only lines with hours.
pub fn contributions(r: &RecordHours<'_>) -> Vec<(LineKey, i64)> {
    let hours = r.hours_tenths.max(0);
    let part = r.approved_tenths.clamp(0, hours);
    let (approved, pending) = match r.status {
        RecordStatus::Approved => (hours, 0),
        RecordStatus::PendingUnitReview => (part, hours - part),
        RecordStatus::Returned => (part, 0),
        RecordStatus::Closed | RecordStatus::Invalidated => (0, 0),
    };
    let key = |counted| LineKey {
        person_id: r.person_id,
        year: r.year,
        category: r.category,
        series: r.series.unwrap_or_default().to_string(),
        counted,
        conversion: r.conversion.unwrap_or_default().to_string(),
        general_knowledge: r.general_knowledge,
        topic: r.topic.unwrap_or_default().to_string(),
    };
    let mut out = Vec::with_capacity(2);
    if approved > 0 {
        out.push((key(Counted::Approved), approved));
    }
    if pending > 0 {
        out.push((key(Counted::Pending), pending));
    }
    out
}

/// Changes of lines — hours and records — gathered over a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deltas(BTreeMap<LineKey, (i64, i64)>);

impl Deltas {
    /// A record changed from `before` to `after` (either absent: created
    /// or gone): its old contributions leave, its new ones arrive.
    pub fn replace(&mut self, before: Option<&RecordHours<'_>>, after: Option<&RecordHours<'_>>) {
        for (key, hours) in before.map(contributions).unwrap_or_default() {
            let e = self.0.entry(key).or_default();
            e.0 -= hours;
            e.1 -= 1;
        }
        for (key, hours) in after.map(contributions).unwrap_or_default() {
            let e = self.0.entry(key).or_default();
            e.0 += hours;
            e.1 += 1;
        }
    }

    /// The changes that change something, in key order (the order rows
    /// are locked in, so concurrent writers never wait on each other in a
    /// circle).
    pub fn changes(&self) -> impl Iterator<Item = (&LineKey, i64, i64)> {
        self.0
            .iter()
            .filter(|(_, (h, n))| *h != 0 || *n != 0)
            .map(|(k, (h, n))| (k, *h, *n))
    }

    /// The person-years the changes touch.
    pub fn person_years(&self) -> BTreeSet<(Uuid, i32)> {
        self.changes()
            .map(|(k, _, _)| (k.person_id, k.year))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.changes().next().is_none()
    }
}

/// One stored line, as the calculator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub key: LineKey,
    pub hours_tenths: i64,
}

/// The calculator's facts of a year's lines; `conversion` tells what a
/// form code counts as (from the reference table).
pub fn facts(lines: &[Line], conversion: impl Fn(&str) -> Option<Conversion>) -> Vec<Fact> {
    lines
        .iter()
        .filter(|l| l.hours_tenths > 0)
        .map(|l| Fact {
            year: l.key.year,
            category: l.key.category,
            series: (!l.key.series.is_empty()).then(|| l.key.series.clone()),
            hours: Hours::from_tenths(u32::try_from(l.hours_tenths).unwrap_or(u32::MAX)),
            status: match l.key.counted {
                Counted::Approved => RecordStatus::Approved,
                Counted::Pending => RecordStatus::PendingUnitReview,
            },
            conversion: (!l.key.conversion.is_empty())
                .then(|| conversion(&l.key.conversion))
                .flatten(),
            general_knowledge: l.key.general_knowledge,
            topic: (!l.key.topic.is_empty()).then(|| l.key.topic.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(status: RecordStatus, hours: i64, approved: i64) -> RecordHours<'static> {
        RecordHours {
            person_id: Uuid::nil(),
            year: 2026,
            category: RecordCategory::Professional,
            series: Some("engineering"),
            status,
            hours_tenths: hours,
            approved_tenths: approved,
            conversion: None,
            general_knowledge: false,
            topic: None,
        }
    }

    fn by_counted(d: &[(LineKey, i64)]) -> (i64, i64) {
        d.iter().fold((0, 0), |(a, p), (k, h)| match k.counted {
            Counted::Approved => (a + h, p),
            Counted::Pending => (a, p + h),
        })
    }

    #[test]
    fn r_rc_3_only_approved_hours_count_and_pending_ones_wait() {
        use RecordStatus::*;
        assert_eq!(by_counted(&contributions(&rec(Approved, 30, 30))), (30, 0));
        assert_eq!(
            by_counted(&contributions(&rec(PendingUnitReview, 30, 0))),
            (0, 30)
        );
        assert_eq!(by_counted(&contributions(&rec(Returned, 30, 0))), (0, 0));
        assert_eq!(by_counted(&contributions(&rec(Closed, 30, 30))), (0, 0));
    }

    #[test]
    fn r_cl_4_hours_added_to_an_approved_record_wait_without_withdrawing_it() {
        use RecordStatus::*;
        // 10 approved, then a class adds 8: 10 still count, 8 wait.
        assert_eq!(
            by_counted(&contributions(&rec(PendingUnitReview, 18, 10))),
            (10, 8)
        );
        // Returned to the class owner: the approved 10 still count.
        assert_eq!(by_counted(&contributions(&rec(Returned, 18, 10))), (10, 0));
    }

    #[test]
    fn replacing_a_record_moves_its_hours_between_lines() {
        let mut d = Deltas::default();
        let pending = rec(RecordStatus::PendingUnitReview, 30, 0);
        d.replace(None, Some(&pending));
        let approved = rec(RecordStatus::Approved, 30, 30);
        d.replace(Some(&pending), Some(&approved));
        let changes: Vec<_> = d.changes().collect();
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].0.counted, Counted::Approved);
        assert_eq!((changes[0].1, changes[0].2), (30, 1));
        // And away again: nothing left to change.
        d.replace(Some(&approved), None);
        assert!(d.is_empty());
        assert_eq!(d.person_years().len(), 0);
    }
}
