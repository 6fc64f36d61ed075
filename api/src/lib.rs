//! The continuing-education REST API: settings, storage, auth, routes and the
//! OpenAPI document. `main.rs` only wires telemetry, settings and
//! [`startup::Application`] together; tests start the same application on
//! port 0.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod cache;
pub mod certificates;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod idempotency;
pub mod ledger;
pub mod observe;
pub mod openapi;
pub mod outbox;
pub mod oversight;
pub mod pagination;
pub mod parties;
pub mod platforms;
pub mod ports;
pub mod proxies;
pub mod reference;
pub mod render;
pub mod review;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod training;
