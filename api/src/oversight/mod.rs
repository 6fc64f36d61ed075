//! Oversight (R-CR-*, R-ST-1): the audit trail's reads, credit records,
//! statistics, CSV exports, notices, and the legacy import. The highest
//! context: it reads what the others keep.

pub mod audit_events;
pub mod credit;
pub mod exports;
pub mod legacy;
pub mod notices;
pub mod personal_data;
pub mod statistics;
pub mod untruthful;
