//! PostgreSQL at scale (issue 21): `records` partitioned by year, and the
//! rules a partitioned table cannot keep held beside it — a platform's item
//! once (`record_keys`), a contribution's record by `(id, year)`. SQLite's
//! `records` stays one table and keeps the item's key in its own unique
//! index (`m20261208_000028`: two B-tree entries a pushed record fewer).

use ce_migration::{Migrator, MigratorTrait};
use ce_sdk::types;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryTrait, Statement, TransactionTrait,
};

use crate::helpers::*;
use crate::push::{platform, public, push};
use crate::training::{learner_of, training};

const MIGRATION: &str = "m20261208_000026_records_partitioned";

/// The migrations from this to the last, as `down` counts them.
fn from_the_partitioning_on() -> u32 {
    let all = Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name() == MIGRATION)
        .expect("the partitioning migration is listed");
    (all.len() - at) as u32
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql}: no row"))
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// The rows of `record_keys` on PostgreSQL; on SQLite, that the table is
/// gone and `records`' unique index on the items is there (`None`).
async fn item_keys(db: &DatabaseConnection) -> Option<i64> {
    if db.get_database_backend() == DbBackend::Postgres {
        return Some(scalar(db, "SELECT COUNT(*) FROM record_keys").await);
    }
    assert!(
        db.execute_unprepared("SELECT COUNT(*) FROM record_keys")
            .await
            .is_err(),
        "SQLite keeps no record_keys"
    );
    assert_eq!(
        scalar(
            db,
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'ux_records_platform_item'"
        )
        .await,
        1
    );
    None
}

/// Whether `records` is a partitioned table (always false on SQLite).
async fn partitioned(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
        && scalar(
            db,
            "SELECT COUNT(*) FROM pg_partitioned_table WHERE partrelid = 'records'::regclass",
        )
        .await
            == 1
}

#[tokio::test]
async fn a_database_in_use_moves_to_partitions_with_every_record_item_key_and_contribution() {
    let app = spawn_app().await;
    let (pf, _) = platform(&app, &[types::Category::Public], &["engineering"]).await;
    let p = app.verified_person().await;
    let items: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|e| public(e, &p.person))
        .collect();
    assert_eq!(push(&pf, &items, None).await.accepted, 3);
    // A class's record and its contribution (R-CL-3).
    let t = training(&app).await;
    let (admin, unit) = app.unit().await;
    let learner = learner_of(&app, &admin, &unit).await;
    let class = t.class(5).await;
    t.run(&class, &[(&learner, true)]).await;

    let db = Database::connect(&app.database_url).await.unwrap();
    let records = scalar(&db, "SELECT COUNT(*) FROM records").await;
    assert!(records >= 4, "{records} records");
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM record_contributions").await,
        1
    );
    let on_postgres = db.get_database_backend() == DbBackend::Postgres;
    assert_eq!(item_keys(&db).await, on_postgres.then_some(3));
    assert_eq!(partitioned(&db).await, on_postgres);

    // Back to the database as it was before the migration: one table,
    // the unique index, no keys…
    Migrator::down(&db, Some(from_the_partitioning_on()))
        .await
        .expect("migrating down");
    assert!(!partitioned(&db).await);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM records").await, records);
    assert!(
        db.execute_unprepared("SELECT COUNT(*) FROM record_keys")
            .await
            .is_err(),
        "record_keys outlived its migration's down"
    );

    // …and up again, with its rows in place.
    Migrator::up(&db, None).await.expect("migrating up");
    assert_eq!(partitioned(&db).await, on_postgres);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM records").await, records);
    assert_eq!(item_keys(&db).await, on_postgres.then_some(3));
    if on_postgres {
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM record_keys k JOIN records r ON r.id = k.record_id \
                 AND r.year = k.year AND r.platform_id = k.platform_id AND r.external_id = k.external_id"
            )
            .await,
            3,
            "every key names its record"
        );
    }
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM record_contributions c JOIN records r \
             ON r.id = c.record_id AND r.year = c.record_year"
        )
        .await,
        1,
        "the contribution carries its record's year"
    );
    if on_postgres {
        // A partition a year, 2015–2035, and the default.
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'records'::regclass"
            )
            .await,
            22
        );
    }
    db.close().await.ok();

    // A server started on the migrated database still counts each item
    // once, and takes new ones.
    let second = app.second_server().await;
    let pf2 = second.with_token(pf.token().unwrap());
    let mut again = items.clone();
    again.push(public("d", &p.person));
    let o = push(&pf2, &again, None).await;
    assert_eq!((o.accepted, o.duplicate, o.rejected), (1, 3, 0));
}

#[tokio::test]
async fn an_item_key_must_name_a_record_and_a_contribution_its_records_year() {
    let app = spawn_app().await;
    let (pf, platform_id) = platform(&app, &[types::Category::Public], &["engineering"]).await;
    let p = app.verified_person().await;
    assert_eq!(
        push(&pf, &[public("k1", &p.person)], None).await.accepted,
        1
    );
    let db = Database::connect(&app.database_url).await.unwrap();
    let r = ce_entity::record::Entity::find()
        .filter(ce_entity::record::Column::PlatformId.eq(platform_id))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    if db.get_database_backend() == DbBackend::Sqlite {
        // The same item twice: refused by `records`' own unique index.
        let mut twice: ce_entity::record::ActiveModel = r.clone().into();
        twice.id = sea_orm::Set(uuid::Uuid::now_v7());
        assert!(
            ce_entity::record::Entity::insert(twice)
                .exec(&db)
                .await
                .is_err(),
            "a second record of one item"
        );
        return;
    }

    // A key whose record was never written: refused at the commit (the
    // foreign key is deferred because the push writes the key first).
    let txn = db.begin().await.unwrap();
    let orphan = ce_entity::record_key::ActiveModel {
        platform_id: sea_orm::Set(platform_id),
        external_id: sea_orm::Set("no-record".into()),
        record_id: sea_orm::Set(uuid::Uuid::now_v7()),
        year: sea_orm::Set(this_year()),
    };
    ce_entity::record_key::Entity::insert(orphan)
        .exec(&txn)
        .await
        .expect("deferred: the insert itself passes");
    assert!(
        txn.commit().await.is_err(),
        "a key naming no record was committed"
    );

    // The same item twice: refused by the key's primary key.
    let twice = ce_entity::record_key::ActiveModel {
        platform_id: sea_orm::Set(platform_id),
        external_id: sea_orm::Set("k1".into()),
        record_id: sea_orm::Set(r.id),
        year: sea_orm::Set(r.year),
    };
    assert!(
        ce_entity::record_key::Entity::insert(twice)
            .exec(&db)
            .await
            .is_err()
    );

    if db.get_database_backend() == DbBackend::Postgres {
        // A contribution naming the record with another year names no
        // record: the composite foreign key refuses it. (The class is
        // needed for its own foreign key.)
        let t = training(&app).await;
        let (admin, unit) = app.unit().await;
        let learner = learner_of(&app, &admin, &unit).await;
        let class = t.class(5).await;
        t.run(&class, &[(&learner, true)]).await;
        let c = ce_entity::record_contribution::Entity::find()
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let wrong = format!(
            "UPDATE record_contributions SET record_year = record_year - 1 WHERE id = '{}'",
            c.id
        );
        let e = db.execute_unprepared(&wrong).await.unwrap_err();
        assert!(
            e.to_string().contains("fk_record_contributions_record"),
            "{e}"
        );
    }
    db.close().await.ok();
}

#[tokio::test]
async fn reads_by_person_and_year_touch_one_partition_and_any_year_has_a_place() {
    let app = spawn_app().await;
    let p = app.verified_person().await;
    // A year without a partition of its own is kept, not refused.
    app.public_hours(p.person_id(), 2011, 10).await;
    app.public_hours(p.person_id(), 2024, 10).await;
    let db = Database::connect(&app.database_url).await.unwrap();
    assert_eq!(
        ce_entity::record::Entity::find()
            .filter(ce_entity::record::Column::PersonId.eq(p.person_id()))
            .count(&db)
            .await
            .unwrap(),
        2
    );
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM records_default").await, 1);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM records_2024").await, 1);
    // The standing's and compliance's read, as the ledger builds it.
    let q = ce_entity::record::Entity::find()
        .filter(ce_entity::record::Column::PersonId.eq(p.person_id()))
        .filter(ce_entity::record::Column::Year.eq(2024))
        .build(DbBackend::Postgres);
    let plan: Vec<String> = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("EXPLAIN {}", q.sql),
            q.values.expect("the filter's values"),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    let plan = plan.join("\n");
    let touched: Vec<&str> = plan
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("records_"))
        .filter(|w| !w.starts_with("records_2024_") && !w.ends_with("_idx"))
        .collect();
    assert!(
        !touched.is_empty() && touched.iter().all(|w| *w == "records_2024"),
        "the plan touches {touched:?}:\n{plan}"
    );
    db.close().await.ok();
}
