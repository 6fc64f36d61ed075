//! The audit trail proves itself (issue 22): events are sealed in order
//! into a chain of keyed hashes, behind the writers.
//!
//! - `audit_events.seq`: the event's place in the chain (1, 2, …), set
//!   once by the sealer; unique, so two sealers cannot give one place
//!   twice.
//! - `audit_events.chain_hash`: HMAC-SHA256 of the previous event's
//!   `chain_hash` and this event's canonical bytes, under a key kept
//!   outside the database (`DATA_DIR/audit.key` or `APP__AUDIT__CHAIN_KEY`).
//! - `audit_chain_heads`: one row, the last sealed place and its hash;
//!   the sealers of every server process lock it (PostgreSQL: `FOR
//!   UPDATE`; SQLite: the write transaction), so the chain never forks.
//!
//! The append-only triggers of `m20261127_000012_audit_events` are
//! replaced by ones that allow exactly one change: setting `seq` and
//! `chain_hash` from null, every other column unchanged. `DELETE` stays
//! refused.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Seq,
    ChainHash,
}

#[derive(DeriveIden)]
enum AuditChainHeads {
    Table,
    Id,
    Seq,
    ChainHash,
    SealedAt,
}

/// The columns of `audit_events` the seal must leave as they were.
const KEPT: &[&str] = &[
    "id",
    "occurred_at",
    "request_id",
    "operation",
    "actor_type",
    "actor_id",
    "grant_role",
    "grant_scope_id",
    "entity_type",
    "entity_id",
    "action",
    "before",
    "after",
    "person_id",
    "unit_id",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            ColumnDef::new(AuditEvents::Seq)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(AuditEvents::ChainHash)
                .string_len(64)
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_audit_events_seq")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditChainHeads::Table)
                    .col(integer(AuditChainHeads::Id).primary_key())
                    .col(big_integer(AuditChainHeads::Seq))
                    .col(string_len(AuditChainHeads::ChainHash, 64))
                    .col(timestamp_with_time_zone_null(AuditChainHeads::SealedAt))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // The events waiting for their seal, in sealing order (partial: the
        // sealed millions are not in it).
        db.execute_unprepared(
            "CREATE INDEX ix_audit_events_unsealed ON audit_events (occurred_at, id) \
             WHERE seq IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO audit_chain_heads (id, seq, chain_hash) VALUES (1, 0, '')",
        )
        .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                // `json` has no equality: compare the rows as jsonb, the
                // seal columns taken out.
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ \
                     BEGIN \
                       IF TG_OP = 'UPDATE' \
                          AND OLD.seq IS NULL AND OLD.chain_hash IS NULL \
                          AND NEW.seq IS NOT NULL AND NEW.chain_hash IS NOT NULL \
                          AND (to_jsonb(NEW) - 'seq' - 'chain_hash') \
                              = (to_jsonb(OLD) - 'seq' - 'chain_hash') THEN \
                         RETURN NEW; \
                       END IF; \
                       RAISE EXCEPTION 'audit events are append-only'; \
                     END; $$ LANGUAGE plpgsql",
                )
                .await?;
            }
            _ => {
                let same = KEPT
                    .iter()
                    .map(|c| format!("NEW.{c} IS OLD.{c}"))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                // One call, so one connection: SQLite's migrations run
                // outside a transaction, on any connection of the pool, and
                // another connection's schema may not know the drop yet
                // when it parses the creation ("already exists").
                db.execute_unprepared(&format!(
                    "DROP TRIGGER audit_events_no_UPDATE; \
                     CREATE TRIGGER audit_events_no_UPDATE BEFORE UPDATE ON audit_events \
                     WHEN NOT (OLD.seq IS NULL AND OLD.chain_hash IS NULL \
                               AND NEW.seq IS NOT NULL AND NEW.chain_hash IS NOT NULL \
                               AND {same}) \
                     BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'audit events are append-only'; END; \
                     $$ LANGUAGE plpgsql",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "DROP TRIGGER audit_events_no_UPDATE; \
                     CREATE TRIGGER audit_events_no_UPDATE BEFORE UPDATE ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
                )
                .await?;
            }
        }
        db.execute_unprepared("DROP INDEX ix_audit_events_unsealed")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ux_audit_events_seq")
                    .table(AuditEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AuditChainHeads::Table).to_owned())
            .await?;
        for col in [AuditEvents::ChainHash, AuditEvents::Seq] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
