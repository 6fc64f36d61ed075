//! Use cases over the database, independent of HTTP: each takes validated
//! domain values, runs in one transaction, and returns views or a
//! [`crate::error::ServiceError`].

pub mod accounts;
pub mod attachments;
pub mod audit_events;
pub mod authorities;
pub mod bindings;
pub mod bootstrap;
pub mod catalogue;
pub mod certificates;
pub mod classes;
pub mod compliance;
pub mod conversions;
pub mod credit;
pub mod documents;
pub mod exports;
pub mod legacy;
pub mod notices;
pub mod pagination;
pub mod persons;
pub mod plans;
pub mod platforms;
pub mod policies;
pub mod providers;
pub mod push;
pub mod qualifications;
pub mod records;
pub mod reviews;
pub mod series;
pub mod sms;
pub mod standing;
pub mod statistics;
pub mod teachers;
pub mod units;
pub mod views;
pub mod webhooks;
