//! Identity and parties (R-ID-*, R-PU-*, R-T-1, R-PQ-1..4, R-AU-*): accounts
//! and sign-in, persons and their real-name check and series, units and
//! their admins, bindings, teachers, providers and their qualifications,
//! authorities, uploaded files. The lowest context: it depends on the
//! foundation only (domain, authz, ports, reference, review, outbox).

pub mod accounts;
pub mod attachments;
pub mod authorities;
pub mod base_claims;
pub mod bindings;
pub mod bootstrap;
pub mod evaluators;
pub mod grants;
pub mod persons;
pub mod providers;
pub mod qualifications;
pub mod sessions;
pub mod sms;
pub mod teachers;
pub mod units;
pub mod views;
