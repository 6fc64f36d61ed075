//! PostgreSQL at scale (issue 21): the world seeded by `COPY` through the
//! server's own driver (sqlx's `copy_in_raw` on sea-orm's pool), so that
//! 1,000,000 persons and 10,000,000 records take minutes, not hours.
//!
//! Selected by `CE_BENCH_DATABASE_URL` (a PostgreSQL server; the benchmark
//! makes and drops its own database there), with `CE_BENCH_PERSONS` and
//! `CE_BENCH_RECORDS` (ten a person). Every seeded person is a copy of one
//! template person written the ordinary way (`seed`) whose standings the
//! server's own rebuild computed: the same five years of history, the same
//! standings and standing lines, a fresh id, ID number, record ids and item
//! keys each. The per-lesson persons likewise from a template of theirs.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context, anyhow, bail, ensure};
use ce_api::crypto::PiiVault;
use ce_entity::{person_series, record, record_key, standing, standing_line};
use chrono::Utc;
use sea_orm::sea_query::Value;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Iterable,
    QueryFilter,
};
use sea_orm::{IdenStatic, sqlx::postgres::PgPoolCopyExt};
use uuid::Uuid;

use crate::rows;

/// Persons per round of `COPY`s (one per table).
const CHUNK: usize = 10_000;

/// One value in `COPY … (FORMAT text)`.
fn put(out: &mut String, v: &Value) -> anyhow::Result<()> {
    fn text(out: &mut String, s: &str) {
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    }
    const NULL: &str = "\\N";
    match v {
        Value::Bool(b) => out.push_str(b.map_or(NULL, |b| if b { "t" } else { "f" })),
        Value::Int(n) => match n {
            Some(n) => write!(out, "{n}")?,
            None => out.push_str(NULL),
        },
        Value::BigInt(n) => match n {
            Some(n) => write!(out, "{n}")?,
            None => out.push_str(NULL),
        },
        Value::String(s) => match s {
            Some(s) => text(out, s),
            None => out.push_str(NULL),
        },
        Value::Bytes(b) => match b {
            Some(b) => {
                out.push_str("\\\\x");
                for byte in b {
                    write!(out, "{byte:02x}")?;
                }
            }
            None => out.push_str(NULL),
        },
        Value::Json(j) => match j {
            Some(j) => text(out, &j.to_string()),
            None => out.push_str(NULL),
        },
        Value::ChronoDate(d) => match d {
            Some(d) => write!(out, "{}", d.format("%Y-%m-%d"))?,
            None => out.push_str(NULL),
        },
        Value::ChronoDateTimeUtc(t) => match t {
            Some(t) => out.push_str(&t.to_rfc3339()),
            None => out.push_str(NULL),
        },
        Value::Uuid(u) => match u {
            Some(u) => write!(out, "{u}")?,
            None => out.push_str(NULL),
        },
        other => bail!("no COPY text for {other:?}"),
    }
    Ok(())
}

/// Rows of one table, as `COPY` takes them.
struct Copy<E: EntityTrait> {
    text: String,
    rows: u64,
    _entity: std::marker::PhantomData<E>,
}

impl<E: EntityTrait> Copy<E> {
    fn new() -> Self {
        Copy {
            text: String::new(),
            rows: 0,
            _entity: std::marker::PhantomData,
        }
    }

    fn push(&mut self, m: &E::ActiveModel) -> anyhow::Result<()>
    where
        E::ActiveModel: ActiveModelTrait<Entity = E>,
    {
        for (i, c) in E::Column::iter().enumerate() {
            if i > 0 {
                self.text.push('\t');
            }
            let v = m.get(c).into_value().ok_or_else(|| {
                anyhow!("{}.{} is not set", E::default().table_name(), c.as_str())
            })?;
            put(&mut self.text, &v)?;
        }
        self.text.push('\n');
        self.rows += 1;
        Ok(())
    }

    async fn send(&mut self, db: &DatabaseConnection) -> anyhow::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let columns: Vec<&str> = E::Column::iter().map(|c| c.as_str()).collect();
        let table = E::default().table_name().to_string();
        let sql = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
        let mut copy = db
            .get_postgres_connection_pool()
            .copy_in_raw(&sql)
            .await
            .with_context(|| sql.clone())?;
        copy.send(std::mem::take(&mut self.text).into_bytes())
            .await?;
        let n = copy.finish().await.with_context(|| table.clone())?;
        ensure!(n == self.rows, "{table}: {n} of {} rows copied", self.rows);
        self.rows = 0;
        Ok(())
    }
}

/// One seeded person as the server left them: the person's series,
/// records, standings and standing lines.
struct Template {
    series: Vec<person_series::Model>,
    records: Vec<record::Model>,
    standings: Vec<standing::Model>,
    lines: Vec<standing_line::Model>,
}

impl Template {
    async fn read(db: &DatabaseConnection, person: Uuid) -> anyhow::Result<Self> {
        let t = Template {
            series: person_series::Entity::find()
                .filter(person_series::Column::PersonId.eq(person))
                .all(db)
                .await?,
            records: record::Entity::find()
                .filter(record::Column::PersonId.eq(person))
                .all(db)
                .await?,
            standings: standing::Entity::find()
                .filter(standing::Column::PersonId.eq(person))
                .all(db)
                .await?,
            lines: standing_line::Entity::find()
                .filter(standing_line::Column::PersonId.eq(person))
                .all(db)
                .await?,
        };
        ensure!(
            !t.records.is_empty() && !t.standings.is_empty(),
            "the template person has {} records and {} standings",
            t.records.len(),
            t.standings.len()
        );
        Ok(t)
    }
}

/// Copies of `template` for the ID numbers `ids` (the `n`-th of them is
/// the seeded person `first + n`): their ids, in order.
async fn copies(
    db: &DatabaseConnection,
    vault: &PiiVault,
    ids: &[String],
    first: usize,
    template: &Template,
) -> anyhow::Result<Vec<Uuid>> {
    let now = Utc::now();
    let mut out = Vec::with_capacity(ids.len());
    for (c, chunk) in ids.chunks(CHUNK).enumerate() {
        let mut persons = Copy::<ce_entity::person::Entity>::new();
        let mut series = Copy::<person_series::Entity>::new();
        let mut records = Copy::<record::Entity>::new();
        let mut keys = Copy::<record_key::Entity>::new();
        let mut standings = Copy::<standing::Entity>::new();
        let mut lines = Copy::<standing_line::Entity>::new();
        for (j, id) in chunk.iter().enumerate() {
            let i = first + c * CHUNK + j;
            let pid = Uuid::now_v7();
            out.push(pid);
            persons.push(&rows::verified_person(
                pid,
                "张三",
                rows::StoredIdCard {
                    hash: vault.hash("id_card", id),
                    enc: vault.encrypt(id)?,
                    masked: format!("{}********{}", &id[..6], &id[14..]),
                },
                now,
            ))?;
            for s in &template.series {
                series.push(
                    &person_series::Model {
                        person_id: pid,
                        ..s.clone()
                    }
                    .into_active_model(),
                )?;
            }
            for r in &template.records {
                let ext = r.external_id.as_ref().map(|e| format!("{e}-p{i}"));
                let m = record::Model {
                    id: Uuid::now_v7(),
                    person_id: pid,
                    external_id: ext.clone(),
                    ..r.clone()
                };
                if let (Some(platform_id), Some(external_id)) = (m.platform_id, ext) {
                    keys.push(
                        &record_key::Model {
                            platform_id,
                            external_id,
                            record_id: m.id,
                            year: m.year,
                        }
                        .into_active_model(),
                    )?;
                }
                records.push(&m.into_active_model())?;
            }
            for s in &template.standings {
                standings.push(
                    &standing::Model {
                        person_id: pid,
                        ..s.clone()
                    }
                    .into_active_model(),
                )?;
            }
            for l in &template.lines {
                lines.push(
                    &standing_line::Model {
                        person_id: pid,
                        ..l.clone()
                    }
                    .into_active_model(),
                )?;
            }
        }
        persons.send(db).await?;
        series.send(db).await?;
        records.send(db).await?;
        keys.send(db).await?;
        standings.send(db).await?;
        lines.send(db).await?;
    }
    Ok(out)
}

/// Seeds `ids` (history of `SEEDED_PER_PERSON` records each) and
/// `lesson_ids` (the per-lesson persons) by `COPY`, from one template
/// person of each kind written by [`crate::seed`] and
/// [`crate::seed_lessons`], their standings rebuilt by the server's code.
/// Returns the ids of the persons of `ids`, in order.
pub async fn seed_by_copy(
    db: &DatabaseConnection,
    vault: &PiiVault,
    ids: &[String],
    lesson_ids: &[String],
    history: Uuid,
) -> anyhow::Result<Vec<Uuid>> {
    ensure!(!ids.is_empty(), "no persons to seed");
    let started = Instant::now();
    let mut person_ids = crate::seed(db, vault, &ids[..1], history).await?;
    let lesson_template = match lesson_ids.first() {
        Some(_) => crate::seed_lessons(db, vault, &lesson_ids[..1], history)
            .await?
            .first()
            .copied(),
        None => None,
    };
    ce_api::ledger::standing::rebuild(db)
        .await
        .map_err(|e| anyhow!("rebuilding the templates' standings: {e}"))?;
    let template = Template::read(db, person_ids[0]).await?;
    person_ids.extend(copies(db, vault, &ids[1..], 1, &template).await?);
    println!(
        "  {} persons with {} records each copied in {:.1} s",
        ids.len(),
        template.records.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(t) = lesson_template {
        let started = Instant::now();
        let template = Template::read(db, t).await?;
        let first = ids.len() + 1;
        copies(db, vault, &lesson_ids[1..], first, &template).await?;
        println!(
            "  {} per-lesson persons with {} records each copied in {:.1} s",
            lesson_ids.len(),
            template.records.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(person_ids)
}
