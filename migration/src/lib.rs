//! Schema migrations of the continuing-education database.
//!
//! The same migrations run on SQLite and PostgreSQL; nothing here may depend
//! on one backend's quirks. Each migration has a `down()`.

pub use sea_orm_migration::prelude::*;

mod csv;
mod m20261127_000001_reference_data;
mod m20261127_000002_accounts;
mod m20261127_000003_parties;
mod m20261127_000004_catalogue;
mod m20261127_000005_training;
mod m20261127_000006_record_conversions;
mod m20261127_000007_certificates;
mod m20261127_000008_record_batches;
mod m20261127_000009_webhooks;
mod m20261127_000010_credit_records;
mod m20261127_000011_notices;
mod m20261127_000012_audit_events;
mod m20261127_000013_legacy;
mod m20261201_000014_standings;
mod m20261201_000015_public_deadlines;
mod m20261201_000016_city_base_series;
mod m20261202_000017_idempotent_requests;
mod m20261207_000018_evaluators_untruthful;
mod m20261207_000019_filing_bases;
mod m20261207_000020_finance_sectors;
mod m20261207_000021_cache_generations;
mod m20261207_000022_audit_chain;
mod m20261207_000023_sessions;
mod m20261208_000026_records_partitioned;
mod m20261208_000027_standing_exempt;
mod m20261208_000028_sqlite_item_index;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_reference_data::Migration),
            Box::new(m20261127_000002_accounts::Migration),
            Box::new(m20261127_000003_parties::Migration),
            Box::new(m20261127_000004_catalogue::Migration),
            Box::new(m20261127_000005_training::Migration),
            Box::new(m20261127_000006_record_conversions::Migration),
            Box::new(m20261127_000007_certificates::Migration),
            Box::new(m20261127_000008_record_batches::Migration),
            Box::new(m20261127_000009_webhooks::Migration),
            Box::new(m20261127_000010_credit_records::Migration),
            Box::new(m20261127_000011_notices::Migration),
            Box::new(m20261127_000012_audit_events::Migration),
            Box::new(m20261127_000013_legacy::Migration),
            Box::new(m20261201_000014_standings::Migration),
            Box::new(m20261201_000015_public_deadlines::Migration),
            Box::new(m20261201_000016_city_base_series::Migration),
            Box::new(m20261202_000017_idempotent_requests::Migration),
            Box::new(m20261207_000018_evaluators_untruthful::Migration),
            Box::new(m20261207_000019_filing_bases::Migration),
            Box::new(m20261207_000020_finance_sectors::Migration),
            Box::new(m20261207_000021_cache_generations::Migration),
            Box::new(m20261207_000022_audit_chain::Migration),
            Box::new(m20261207_000023_sessions::Migration),
            Box::new(m20261208_000026_records_partitioned::Migration),
            Box::new(m20261208_000027_standing_exempt::Migration),
            Box::new(m20261208_000028_sqlite_item_index::Migration),
        ]
    }
}
