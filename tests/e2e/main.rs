//! End-to-end tests: each test spawns the real server on port 0 with a
//! fresh database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` names a
//! server) and drives it through the `ce-sdk` client.

mod helpers;
mod integrators;

#[path = "../common/rows.rs"]
mod rows;

mod attachments;
mod audit;
mod audit_chain;
mod auth;
mod authorities;
mod authz;
mod backup;
mod bindings;
mod browser;
mod catalogue;
mod certificates;
mod compliance;
mod crash;
mod credit;
mod errors;
mod evaluators;
mod faults;
mod finance;
mod keys;
mod legacy;
mod load;
mod notices;
mod operations;
mod outage;
mod partitions;
mod personal_data;
mod persons;
mod platforms;
mod process;
mod providers;
mod push;
mod push_cli;
mod replica;
mod resources;
mod scale;
mod security;
mod sessions;
mod spec;
mod standing;
mod states;
mod statistics;
mod teachers;
mod training;
mod units;
mod untruthful;
mod webhooks;
