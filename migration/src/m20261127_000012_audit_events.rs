//! The audit trail (R-CR-2): one append-only row per change of state,
//! written in the transaction of the change. Triggers refuse `UPDATE` and
//! `DELETE` on both backends, so not even a bug in the server can rewrite
//! history.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    RequestId,
    Operation,
    ActorType,
    ActorId,
    GrantRole,
    GrantScopeId,
    EntityType,
    EntityId,
    Action,
    Before,
    After,
    PersonId,
    UnitId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(string_len_null(AuditEvents::RequestId, 64))
                    .col(string_len_null(AuditEvents::Operation, 200))
                    .col(string_len(AuditEvents::ActorType, 16))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string_len_null(AuditEvents::GrantRole, 32))
                    .col(uuid_null(AuditEvents::GrantScopeId))
                    .col(string_len(AuditEvents::EntityType, 40))
                    .col(uuid_null(AuditEvents::EntityId))
                    .col(string_len(AuditEvents::Action, 60))
                    .col(json_null(AuditEvents::Before))
                    .col(json_null(AuditEvents::After))
                    .col(uuid_null(AuditEvents::PersonId))
                    .col(uuid_null(AuditEvents::UnitId))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_audit_events_entity",
                &[AuditEvents::EntityType, AuditEvents::EntityId][..],
            ),
            ("ix_audit_events_person", &[AuditEvents::PersonId][..]),
            ("ix_audit_events_unit", &[AuditEvents::UnitId][..]),
            ("ix_audit_events_actor", &[AuditEvents::ActorId][..]),
            ("ix_audit_events_request", &[AuditEvents::RequestId][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditEvents::Table);
            for c in cols {
                index.col(*c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'audit events are append-only'; END; \
                     $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE \
                     ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
                )
                .await?;
            }
            _ => {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER audit_events_no_{op} BEFORE {op} ON audit_events \
                         BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events; \
                     DROP FUNCTION IF EXISTS audit_events_append_only()",
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}
