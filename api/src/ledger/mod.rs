//! The ledger (R-RC-*, R-REQ-*, R-ACC-1..3): records and their review,
//! declarations and conversions, the standing of each person's year
//! (`standing`) and the compliance read from it, the yearly policies.
//! Depends on parties; what follows a judgement (the certificates) it
//! calls through `ports::ledger`.

pub mod compliance;
pub mod conversions;
pub mod policies;
pub mod records;
pub mod standing;
