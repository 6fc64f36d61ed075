//! Ports: what the use cases need from the world outside the database —
//! delivering SMS, checking an identity, running blocking work on bounded
//! pools, telling the time. Each is a trait or a small type with an embedded default; the
//! application wires the real ones in at start (`startup`).

pub mod clock;
pub mod identity;
pub mod ledger;
pub mod sms;
pub mod work;
