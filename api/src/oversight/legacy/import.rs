//! Importing a legacy CSV: its rows read and checked ([`super::read`]),
//! then placed in one transaction — a key imported before with the same
//! content is `unchanged`, with other content a `conflict`; a registered
//! person's ID number under another name is refused — and the import's
//! report and audit event.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use ce_entity::{legacy_certificate, legacy_record, professional_series};

use super::read::{Bounds, Reject, Row, check_certificate, check_record, read_rows, reject};
use super::{LegacyImportReport, LegacyKind, RejectedRow};
use crate::auth::{Caller, Role};
use crate::domain::year::today_in_shanghai;
use crate::error::ServiceError;
use crate::state::AppState;

/// What an import places: a legacy record or certificate.
trait LegacyRow: Sized + Clone + Send + Sync {
    type Entity: EntityTrait<Model = Self>;
    type Active: sea_orm::ActiveModelTrait<Entity = Self::Entity>
        + sea_orm::ActiveModelBehavior
        + Send;
    /// The stored rows of these keys.
    fn by_keys(keys: &[String]) -> sea_orm::Select<Self::Entity>;
    fn key(&self) -> &str;
    fn id_card_hash(&self) -> &str;
    fn name(&self) -> &str;
    /// The same content, whatever import brought it.
    fn same(&self, other: &Self) -> bool;
    fn active(self, import_id: Uuid, by: Uuid, at: DateTime<Utc>) -> Self::Active;
}

impl LegacyRow for legacy_record::Model {
    type Entity = legacy_record::Entity;
    type Active = legacy_record::ActiveModel;
    fn by_keys(keys: &[String]) -> sea_orm::Select<Self::Entity> {
        legacy_record::Entity::find()
            .filter(legacy_record::Column::LegacyId.is_in(keys.iter().cloned()))
    }
    fn key(&self) -> &str {
        &self.legacy_id
    }
    fn id_card_hash(&self) -> &str {
        &self.id_card_hash
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn same(&self, o: &Self) -> bool {
        let strip = |m: &Self| Self {
            id: Uuid::nil(),
            import_id: Uuid::nil(),
            imported_by: Uuid::nil(),
            imported_at: DateTime::<Utc>::MIN_UTC,
            ..m.clone()
        };
        strip(self) == strip(o)
    }
    fn active(self, import_id: Uuid, by: Uuid, at: DateTime<Utc>) -> Self::Active {
        legacy_record::ActiveModel {
            id: Set(Uuid::now_v7()),
            legacy_id: Set(self.legacy_id),
            id_card_hash: Set(self.id_card_hash),
            id_card_masked: Set(self.id_card_masked),
            name: Set(self.name),
            year: Set(self.year),
            category: Set(self.category),
            series_code: Set(self.series_code),
            course_name: Set(self.course_name),
            hours_tenths: Set(self.hours_tenths),
            result: Set(self.result),
            provider_name: Set(self.provider_name),
            unit_name: Set(self.unit_name),
            completed_on: Set(self.completed_on),
            import_id: Set(import_id),
            imported_by: Set(by),
            imported_at: Set(at),
        }
    }
}

impl LegacyRow for legacy_certificate::Model {
    type Entity = legacy_certificate::Entity;
    type Active = legacy_certificate::ActiveModel;
    fn by_keys(keys: &[String]) -> sea_orm::Select<Self::Entity> {
        legacy_certificate::Entity::find()
            .filter(legacy_certificate::Column::Number.is_in(keys.iter().cloned()))
    }
    fn key(&self) -> &str {
        &self.number
    }
    fn id_card_hash(&self) -> &str {
        &self.id_card_hash
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn same(&self, o: &Self) -> bool {
        let strip = |m: &Self| Self {
            id: Uuid::nil(),
            import_id: Uuid::nil(),
            imported_by: Uuid::nil(),
            imported_at: DateTime::<Utc>::MIN_UTC,
            ..m.clone()
        };
        strip(self) == strip(o)
    }
    fn active(self, import_id: Uuid, by: Uuid, at: DateTime<Utc>) -> Self::Active {
        legacy_certificate::ActiveModel {
            id: Set(Uuid::now_v7()),
            number: Set(self.number),
            id_card_hash: Set(self.id_card_hash),
            id_card_masked: Set(self.id_card_masked),
            name: Set(self.name),
            year: Set(self.year),
            public_tenths: Set(self.public_tenths),
            professional_tenths: Set(self.professional_tenths),
            elective_tenths: Set(self.elective_tenths),
            unit_name: Set(self.unit_name),
            issued_on: Set(self.issued_on),
            import_id: Set(import_id),
            imported_by: Set(by),
            imported_at: Set(at),
        }
    }
}

/// The rows stored under these keys, by key.
async fn stored<M: LegacyRow>(
    txn: &DatabaseTransaction,
    keys: &[String],
) -> Result<HashMap<String, M>, ServiceError> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(crate::db::IN_LIST_CHUNK) {
        for m in M::by_keys(chunk).all(txn).await? {
            out.insert(m.key().to_string(), m);
        }
    }
    Ok(out)
}

/// Registered persons' names by ID hash.
async fn registered_names<C: ConnectionTrait>(
    conn: &C,
    hashes: &[String],
) -> Result<HashMap<String, String>, ServiceError> {
    Ok(crate::parties::persons::by_id_hashes(conn, hashes)
        .await?
        .into_iter()
        .map(|(hash, p)| (hash, p.name))
        .collect())
}

/// How one checked row ended.
enum Placed {
    Imported,
    Unchanged,
    Rejected(Reject),
}

/// Places the checked rows of one import inside `txn`, in file order.
async fn place_all<M>(
    txn: &DatabaseTransaction,
    checked: Vec<(usize, M)>,
    import_id: Uuid,
    by: Uuid,
) -> Result<Vec<(usize, Placed)>, ServiceError>
where
    M: LegacyRow + sea_orm::IntoActiveModel<M::Active>,
{
    let keys: Vec<String> = checked.iter().map(|(_, m)| m.key().to_string()).collect();
    let hashes = unique(checked.iter().map(|(_, m)| m.id_card_hash().to_string()));
    let names = &registered_names(txn, &hashes).await?;
    let mut stored = stored::<M>(txn, &keys).await?;
    let judge = |old: &M, new: &M| {
        if old.same(new) {
            Placed::Unchanged
        } else {
            Placed::Rejected(reject(
                "conflict",
                format!(
                    "{:?} was imported before with other content; legacy rows are never overwritten",
                    new.key()
                ),
            ))
        }
    };
    let now = Utc::now();
    let mut out = Vec::with_capacity(checked.len());
    for (i, m) in checked {
        if let Some(old) = stored.get(m.key()) {
            out.push((i, judge(old, &m)));
            continue;
        }
        if let Some(registered) = names.get(m.id_card_hash())
            && registered != m.name()
        {
            out.push((
                i,
                Placed::Rejected(reject(
                    "name_mismatch",
                    "a registered person has this ID number under another name",
                )),
            ));
            continue;
        }
        let key = m.key().to_string();
        match crate::db::insert_unless_taken(txn, m.clone().active(import_id, by, now)).await? {
            Some(row) => {
                stored.insert(key, row);
                out.push((i, Placed::Imported));
            }
            // A concurrent import stored the same key first.
            None => {
                let old = M::by_keys(std::slice::from_ref(&key))
                    .one(txn)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("a unique violation without the row"))?;
                out.push((i, judge(&old, &m)));
                stored.insert(key, old);
            }
        }
    }
    Ok(out)
}

/// 403 unless hrss: only hrss imports legacy data.
pub fn require_importer(auth: &Caller) -> Result<(), ServiceError> {
    if auth.has_role(Role::Hrss) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "forbidden",
            "legacy data are imported by hrss",
        ))
    }
}

/// Imports a legacy CSV of `kind`: every row checked on its own, all in
/// one transaction.
pub async fn import(
    state: &AppState,
    auth: &Caller,
    kind: LegacyKind,
    body: &[u8],
) -> Result<LegacyImportReport, ServiceError> {
    require_importer(auth)?;
    let rows = read_rows(kind, body)?;
    let bounds = Bounds {
        first_year: state.settings.legacy.first_year,
        last_year: state.settings.legacy.last_year,
        today: today_in_shanghai(),
    };
    let series: HashSet<String> = professional_series::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect();
    let import_id = Uuid::now_v7();
    let by = auth.account_id();
    let row_count = rows.len();
    let mut rejections: Vec<RejectedRow> = Vec::new();
    let lines: Vec<(u64, Option<String>)> = rows.iter().map(|r| (r.line, r.key.clone())).collect();
    let mut reject_row = |i: usize, r: Reject| {
        rejections.push(RejectedRow {
            line: lines[i].0,
            key: lines[i].1.clone(),
            code: r.code.into(),
            detail: r.detail,
        })
    };

    let txn = crate::db::begin_write(&state.db).await?;
    let placed = match kind {
        LegacyKind::Records => {
            let checked = check_rows(
                rows,
                |f| check_record(state, f, &bounds, &series),
                &mut reject_row,
            );
            place_all(&txn, checked, import_id, by).await?
        }
        LegacyKind::Certificates => {
            let checked = check_rows(
                rows,
                |f| check_certificate(state, f, &bounds),
                &mut reject_row,
            );
            place_all(&txn, checked, import_id, by).await?
        }
    };
    let (mut imported, mut unchanged) = (0u32, 0u32);
    for (i, p) in placed {
        match p {
            Placed::Imported => imported += 1,
            Placed::Unchanged => unchanged += 1,
            Placed::Rejected(r) => reject_row(i, r),
        }
    }
    crate::audit::record(
        &txn,
        crate::audit::Change::new("legacy_import", import_id, "imported").after(
            serde_json::json!({
                "kind": kind,
                "rows": row_count,
                "imported": imported,
                "unchanged": unchanged,
                "rejected": rejections.len(),
            }),
        ),
    )
    .await?;
    txn.commit().await?;
    rejections.sort_by_key(|r| r.line);
    Ok(LegacyImportReport {
        import_id,
        kind,
        rows: row_count as u32,
        imported,
        unchanged,
        rejected: rejections.len() as u32,
        rejections,
    })
}

/// Each readable row checked with `check`: the good ones with their index;
/// the others go to `reject`.
fn check_rows<M>(
    rows: Vec<Row>,
    check: impl Fn(&HashMap<&'static str, String>) -> Result<M, Reject>,
    reject: &mut impl FnMut(usize, Reject),
) -> Vec<(usize, M)> {
    let mut checked = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        match row.fields.and_then(|f| check(&f)) {
            Ok(m) => checked.push((i, m)),
            Err(r) => reject(i, r),
        }
    }
    checked
}

fn unique(it: impl Iterator<Item = String>) -> Vec<String> {
    it.collect::<HashSet<_>>().into_iter().collect()
}
