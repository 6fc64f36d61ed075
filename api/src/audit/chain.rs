//! The audit chain (issue 22): whoever can drop the append-only triggers
//! can rewrite `audit_events`, but not unseen.
//!
//! Writers insert events unsealed, as always ([`super::record`], in the
//! change's transaction): nobody waits on a chain head. A background
//! sealer ([`run_sealer`], started with the server) takes the events that
//! wait, in a stable order (`occurred_at`, then `id`), gives each the next
//! place (`seq`) and `chain_hash = HMAC(key, previous chain_hash ‖ event)`
//! ([`crate::domain::audit_chain::link`]), and moves the head
//! (`audit_chain_heads`) — all in one write transaction that holds the
//! head's lock (PostgreSQL `FOR UPDATE`; SQLite's single writer), so the
//! sealers of several server processes never fork the chain.
//!
//! The key is kept outside the database (`DATA_DIR/audit.key`, or
//! `APP__AUDIT__CHAIN_KEY`): with the database alone the hashes cannot be
//! recomputed. [`verify`] walks the chain by place and reports the first
//! broken or missing link.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ce_entity::{audit_chain_head, audit_event};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::config::Settings;
pub use crate::domain::audit_chain::ChainBreakKind;
use crate::domain::audit_chain::link;

/// The name of the key's file in `DATA_DIR`.
pub const KEY_FILE: &str = "audit.key";

/// The key of the chain's hashes.
pub struct ChainKey(Vec<u8>);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(…)")
    }
}

impl ChainKey {
    pub fn new(key: Vec<u8>) -> anyhow::Result<Self> {
        anyhow::ensure!(key.len() >= 32, "the audit chain key needs 32 bytes");
        Ok(Self(key))
    }

    /// The server's key: the setting, else `DATA_DIR/audit.key`, created
    /// on the first start.
    pub fn load_or_create(settings: &Settings) -> anyhow::Result<Self> {
        match &settings.audit.chain_key {
            Some(hex_key) => Self::from_hex(hex_key),
            None => {
                let (key, created) =
                    crate::crypto::load_or_create_key(&settings.data_dir, KEY_FILE)?;
                if created {
                    tracing::warn!(
                        path = %settings.data_dir.join(KEY_FILE).display(),
                        "APP__AUDIT__CHAIN_KEY is not set: generated the audit chain key into DATA_DIR; back it up apart from the database"
                    );
                }
                Self::new(key)
            }
        }
    }

    /// The key to verify with: the setting, else `DATA_DIR/audit.key`,
    /// which must exist (a new key would call every link broken).
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        match &settings.audit.chain_key {
            Some(hex_key) => Self::from_hex(hex_key),
            None => {
                let path = settings.data_dir.join(KEY_FILE);
                Self::from_file(&path)
            }
        }
    }

    fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "reading the audit chain key {} (set APP__AUDIT__CHAIN_KEY or DATA_DIR)",
                path.display()
            )
        })?;
        Self::from_hex(&text)
    }

    fn from_hex(text: &str) -> anyhow::Result<Self> {
        Self::new(hex::decode(text.trim()).context("the audit chain key must be hex")?)
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Seals up to `batch` waiting events; answers how many it sealed.
pub async fn seal_pending(
    db: &DatabaseConnection,
    key: &ChainKey,
    batch: u64,
) -> Result<u64, DbErr> {
    // A look first, outside any write transaction: with nothing waiting,
    // SQLite's writers are not queued behind an empty seal.
    let waiting: Option<Uuid> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Id)
        .filter(audit_event::Column::Seq.is_null())
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    if waiting.is_none() {
        return Ok(0);
    }
    let txn = crate::db::begin_write(db).await?;
    let head = match txn.get_database_backend() {
        // Another process's sealer waits here until this one commits, then
        // reads the head it moved.
        DbBackend::Postgres => {
            audit_chain_head::Entity::find_by_id(1)
                .lock_exclusive()
                .one(&txn)
                .await?
        }
        // SQLite: the write transaction is the lock.
        _ => audit_chain_head::Entity::find_by_id(1).one(&txn).await?,
    }
    .ok_or_else(|| DbErr::RecordNotFound("audit_chain_heads 1".into()))?;
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Seq.is_null())
        .order_by_asc(audit_event::Column::OccurredAt)
        .order_by_asc(audit_event::Column::Id)
        .limit(batch.max(1))
        .all(&txn)
        .await?;
    let mut seq = head.seq;
    let mut prev = head.chain_hash.clone();
    for row in &rows {
        seq += 1;
        let hash = link(key.bytes(), &prev, row);
        audit_event::Entity::update_many()
            .col_expr(audit_event::Column::Seq, Expr::value(seq))
            .col_expr(audit_event::Column::ChainHash, Expr::value(hash.clone()))
            .filter(audit_event::Column::Id.eq(row.id))
            .filter(audit_event::Column::Seq.is_null())
            .exec(&txn)
            .await?;
        prev = hash;
    }
    let sealed = rows.len() as u64;
    if sealed > 0 {
        let mut head: audit_chain_head::ActiveModel = head.into();
        head.seq = Set(seq);
        head.chain_hash = Set(prev);
        head.sealed_at = Set(Some(Utc::now()));
        head.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(sealed)
}

/// Seals waiting events every `interval`, in batches of `batch`, until the
/// process ends. A failed round (the database away) is logged and tried
/// again at the next tick; nothing is lost, the events wait unsealed.
pub async fn run_sealer(
    db: DatabaseConnection,
    key: Arc<ChainKey>,
    interval: Duration,
    batch: u64,
) {
    let mut tick = tokio::time::interval(interval.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            match seal_pending(&db, &key, batch).await {
                // A full batch: more may wait.
                Ok(n) if n >= batch.max(1) => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "sealing audit events failed; trying again");
                    break;
                }
            }
        }
    }
}

/// The first broken or missing link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The place.
    pub seq: i64,
    /// The event at that place; for `missing`, the first event after the
    /// gap (`None` when the chain's end is gone).
    pub event_id: Option<Uuid>,
    pub kind: ChainBreakKind,
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Sealed events whose links verified, from the first place on, up to
    /// the first break.
    pub checked: u64,
    /// The last place sealed (the chain head's).
    pub sealed_up_to: i64,
    /// Events still waiting for their seal.
    pub unsealed: u64,
    /// `None` when every link verified.
    pub first_break: Option<ChainBreak>,
}

/// Events read at a time.
const PAGE: u64 = 1000;

/// Walks the chain by place, from 1, and reports the first broken or
/// missing link.
pub async fn verify<C: ConnectionTrait>(db: &C, key: &ChainKey) -> Result<ChainReport, DbErr> {
    let head = audit_chain_head::Entity::find_by_id(1).one(db).await?;
    let sealed_up_to = head.as_ref().map_or(0, |h| h.seq);
    let unsealed = audit_event::Entity::find()
        .filter(audit_event::Column::Seq.is_null())
        .count(db)
        .await?;
    let mut prev = String::new();
    let mut expected: i64 = 1;
    let mut after: Option<i64> = None;
    let mut first_break = None;
    'walk: loop {
        // Up to the head read above: events sealed while the walk runs
        // belong to the next check (else `checked` could pass
        // `sealed_up_to`, and a report mix two moments).
        let mut q = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.is_not_null())
            .filter(audit_event::Column::Seq.lte(sealed_up_to));
        if let Some(a) = after {
            q = q.filter(audit_event::Column::Seq.gt(a));
        }
        let rows = q
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for row in rows {
            let seq = row.seq.unwrap_or_default();
            if seq > expected {
                first_break = Some(ChainBreak {
                    seq: expected,
                    event_id: Some(row.id),
                    kind: ChainBreakKind::Missing,
                });
                break 'walk;
            }
            let want = link(key.bytes(), &prev, &row);
            let stored = row.chain_hash.as_deref().unwrap_or_default();
            if seq < expected || !crate::crypto::digest_eq(&want, stored) {
                let kind = if sealed_elsewhere(db, key, &row).await? {
                    ChainBreakKind::Reordered
                } else {
                    ChainBreakKind::Edited
                };
                first_break = Some(ChainBreak {
                    seq,
                    event_id: Some(row.id),
                    kind,
                });
                break 'walk;
            }
            prev = stored.to_string();
            expected += 1;
        }
    }
    // The chain's end deleted: the head remembers places no event holds.
    if first_break.is_none() && sealed_up_to >= expected {
        first_break = Some(ChainBreak {
            seq: expected,
            event_id: None,
            kind: ChainBreakKind::Missing,
        });
    }
    Ok(ChainReport {
        checked: (expected - 1).max(0) as u64,
        sealed_up_to,
        unsealed,
        first_break,
    })
}

/// Whether `row`'s own hash links it after some other place (or the
/// start): the event is intact, but not where it was sealed. Reads the
/// chain once more; only ever done for the first break.
async fn sealed_elsewhere<C: ConnectionTrait>(
    db: &C,
    key: &ChainKey,
    row: &audit_event::Model,
) -> Result<bool, DbErr> {
    let Some(stored) = row.chain_hash.as_deref() else {
        return Ok(false);
    };
    if crate::crypto::digest_eq(&link(key.bytes(), "", row), stored) {
        return Ok(true);
    }
    let mut after: Option<i64> = None;
    loop {
        let mut q = audit_event::Entity::find()
            .select_only()
            .column(audit_event::Column::Seq)
            .column(audit_event::Column::ChainHash)
            .filter(audit_event::Column::Seq.is_not_null());
        if let Some(a) = after {
            q = q.filter(audit_event::Column::Seq.gt(a));
        }
        let page: Vec<(i64, Option<String>)> = q
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .into_tuple()
            .all(db)
            .await?;
        let Some((last, _)) = page.last() else {
            return Ok(false);
        };
        after = Some(*last);
        for (_, hash) in page {
            if let Some(h) = hash
                && Some(h.as_str()) != row.chain_hash.as_deref()
                && crate::crypto::digest_eq(&link(key.bytes(), &h, row), stored)
            {
                return Ok(true);
            }
        }
    }
}

/// Starts the sealer for `db` (called once per server process).
pub fn start(db: DatabaseConnection, key: Arc<ChainKey>, settings: &Settings) {
    tokio::spawn(run_sealer(
        db,
        key,
        Duration::from_millis(settings.audit.seal_interval_ms),
        settings.audit.seal_batch,
    ));
}
