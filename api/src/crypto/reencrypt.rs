//! Online re-encryption (`ce-api reencrypt`): moves every stored PII
//! ciphertext to the vault's current key version while servers keep
//! running with the old and the new key both readable.
//!
//! Each encrypted column is walked in pages in the order of its key
//! (keyset pagination, never an offset); a page's ciphertexts of another
//! version are opened and sealed again with the current one, and written
//! in one short transaction, each only if the row still holds the
//! ciphertext that was read (a server that changed it meanwhile wrote the
//! current version already). Rows on the current version are left as they
//! are, so stopping the command and running it again resumes: the second
//! run only rewrites what the first did not reach. Each page that
//! rewrote rows writes one audit event (`pii_keys` `reencrypted`) in its
//! transaction. The lookup hashes are not touched: their key does not
//! rotate.

use ce_entity::{idempotent_request, person, sms_outbox, webhook};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::PiiVault;
use crate::audit::{self, Change};

/// How the command walks the columns.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Rows per page (and per transaction).
    pub batch_size: u64,
    /// Stop after this many pages in all (a run in slices; `None`: to the end).
    pub max_batches: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            batch_size: 500,
            max_batches: None,
        }
    }
}

/// One page done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// `table.column`.
    pub column: &'static str,
    /// Ciphertexts read on the page.
    pub scanned: u64,
    /// Of those, rewritten with the current version.
    pub rewritten: u64,
    /// Of those on another version, changed by a server meanwhile (so
    /// already on the current version) and left alone.
    pub changed_meanwhile: u64,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub batches: u64,
    pub scanned: u64,
    pub rewritten: u64,
    pub changed_meanwhile: u64,
    /// Whether every column was walked to its end (false: stopped by
    /// `max_batches`; run again to go on).
    pub complete: bool,
}

impl Report {
    fn add(&mut self, b: &Batch) {
        self.batches += 1;
        self.scanned += b.scanned;
        self.rewritten += b.rewritten;
        self.changed_meanwhile += b.changed_meanwhile;
    }

    fn exhausted(&self, opts: &Options) -> bool {
        opts.max_batches.is_some_and(|m| self.batches >= m)
    }
}

/// A ciphertext to replace: the row's key, what it held, what it gets.
struct Reseal<K> {
    key: K,
    old: Vec<u8>,
    new: Vec<u8>,
}

/// Opens each ciphertext; those not on the current version are sealed again.
fn reseal<K>(vault: &PiiVault, page: Vec<(K, Option<Vec<u8>>)>) -> anyhow::Result<Vec<Reseal<K>>> {
    let current = vault.current_version();
    let mut out = Vec::new();
    for (key, blob) in page {
        let Some(old) = blob else { continue };
        let (version, plain) = vault.open(&old)?;
        if version != current {
            let new = vault.encrypt(&plain)?;
            out.push(Reseal { key, old, new });
        }
    }
    Ok(out)
}

/// Re-encrypts every PII column; `progress` hears of each page.
pub async fn run(
    db: &DatabaseConnection,
    vault: &PiiVault,
    opts: Options,
    mut progress: impl FnMut(&Batch),
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let mut p = |b: &Batch, r: &mut Report| {
        r.add(b);
        progress(b);
    };
    macro_rules! by_id {
        ($entity:ident, $col:ident, $name:literal) => {
            if !by_id::<$entity::Entity>(
                db,
                vault,
                opts,
                $name,
                $entity::Column::Id,
                $entity::Column::$col,
                &mut report,
                &mut p,
            )
            .await?
            {
                return Ok(report);
            }
        };
    }
    by_id!(person, IdCardEnc, "persons.id_card_enc");
    by_id!(person, PhoneEnc, "persons.phone_enc");
    by_id!(sms_outbox, PhoneEnc, "sms_outbox.phone_enc");
    by_id!(webhook, SecretEnc, "webhooks.secret_enc");
    if !idempotent_answers(db, vault, opts, &mut report, &mut p).await? {
        return Ok(report);
    }
    report.complete = true;
    Ok(report)
}

/// A column of a table keyed by one UUID. Answers false when stopped by
/// `max_batches` before the column's end.
#[allow(clippy::too_many_arguments)]
async fn by_id<E: EntityTrait>(
    db: &DatabaseConnection,
    vault: &PiiVault,
    opts: Options,
    name: &'static str,
    id: E::Column,
    column: E::Column,
    report: &mut Report,
    progress: &mut impl FnMut(&Batch, &mut Report),
) -> anyhow::Result<bool> {
    let mut after: Option<Uuid> = None;
    loop {
        if report.exhausted(&opts) {
            return Ok(false);
        }
        let mut q = E::find()
            .select_only()
            .column(id)
            .column(column)
            .order_by_asc(id)
            .limit(opts.batch_size.max(1));
        if let Some(a) = after {
            q = q.filter(id.gt(a));
        }
        let page: Vec<(Uuid, Option<Vec<u8>>)> = q.into_tuple().all(db).await?;
        let Some(last) = page.last().map(|(k, _)| *k) else {
            return Ok(true);
        };
        after = Some(last);
        let scanned = page.iter().filter(|(_, b)| b.is_some()).count() as u64;
        let todo = reseal(vault, page)?;
        let mut rewritten = 0;
        if !todo.is_empty() {
            let txn = crate::db::begin_write(db).await?;
            for r in &todo {
                rewritten += E::update_many()
                    .col_expr(column, Expr::value(r.new.clone()))
                    .filter(id.eq(r.key))
                    .filter(column.eq(r.old.clone()))
                    .exec(&txn)
                    .await?
                    .rows_affected;
            }
            audit_page(&txn, vault, name, rewritten).await?;
            txn.commit().await?;
        }
        progress(
            &Batch {
                column: name,
                scanned,
                rewritten,
                changed_meanwhile: todo.len() as u64 - rewritten,
            },
            report,
        );
    }
}

/// The kept answers of `Idempotency-Key` requests, keyed by caller and key.
async fn idempotent_answers(
    db: &DatabaseConnection,
    vault: &PiiVault,
    opts: Options,
    report: &mut Report,
    progress: &mut impl FnMut(&Batch, &mut Report),
) -> anyhow::Result<bool> {
    use idempotent_request::Column as C;
    const NAME: &str = "idempotent_requests.response";
    let mut after: Option<(Uuid, String)> = None;
    loop {
        if report.exhausted(&opts) {
            return Ok(false);
        }
        let mut q = idempotent_request::Entity::find()
            .select_only()
            .column(C::CallerId)
            .column(C::IdempotencyKey)
            .column(C::Response)
            .order_by_asc(C::CallerId)
            .order_by_asc(C::IdempotencyKey)
            .limit(opts.batch_size.max(1));
        if let Some((caller, key)) = &after {
            q = q.filter(
                Condition::any().add(C::CallerId.gt(*caller)).add(
                    Condition::all()
                        .add(C::CallerId.eq(*caller))
                        .add(C::IdempotencyKey.gt(key.clone())),
                ),
            );
        }
        let rows: Vec<(Uuid, String, Option<Vec<u8>>)> = q.into_tuple().all(db).await?;
        let Some((c, k, _)) = rows.last() else {
            return Ok(true);
        };
        after = Some((*c, k.clone()));
        let scanned = rows.iter().filter(|(_, _, b)| b.is_some()).count() as u64;
        let page = rows.into_iter().map(|(c, k, b)| ((c, k), b)).collect();
        let todo = reseal(vault, page)?;
        let mut rewritten = 0;
        if !todo.is_empty() {
            let txn = crate::db::begin_write(db).await?;
            for r in &todo {
                rewritten += idempotent_request::Entity::update_many()
                    .col_expr(C::Response, Expr::value(r.new.clone()))
                    .filter(C::CallerId.eq(r.key.0))
                    .filter(C::IdempotencyKey.eq(r.key.1.clone()))
                    .filter(C::Response.eq(r.old.clone()))
                    .exec(&txn)
                    .await?
                    .rows_affected;
            }
            audit_page(&txn, vault, NAME, rewritten).await?;
            txn.commit().await?;
        }
        progress(
            &Batch {
                column: NAME,
                scanned,
                rewritten,
                changed_meanwhile: todo.len() as u64 - rewritten,
            },
            report,
        );
    }
}

/// The page's audit event, in its transaction (none when nothing changed).
async fn audit_page(
    txn: &sea_orm::DatabaseTransaction,
    vault: &PiiVault,
    column: &str,
    rewritten: u64,
) -> anyhow::Result<()> {
    if rewritten > 0 {
        audit::record(
            txn,
            Change::about("pii_keys", "reencrypted").after(json!({
                "column": column,
                "rewritten": rewritten,
                "version": vault.current_version(),
            })),
        )
        .await?;
    }
    Ok(())
}
