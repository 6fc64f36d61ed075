//! Platforms (R-RC-2, R-RC-8, R-RC-9, R-ACC-3): machine clients and their
//! credentials, the batch push, and webhooks (registration, address
//! policy, delivery). Depends on parties and the ledger.

pub mod clients;
pub mod push;
pub mod webhooks;
