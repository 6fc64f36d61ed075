//! Platform push (R-RC-2, R-RC-8, R-RC-9, R-ACC-3): a learning platform
//! sends up to 1,000 completions at once; each item is accepted, a
//! duplicate of one sent before, or rejected with a code, and one bad item
//! never loses the others.
//!
//! Exactly once, across processes: an item's key `(platform_id,
//! external_id)` is unique, claimed in the same transaction as the record,
//! so a racing push of the same item (another request, another server)
//! waits on the key, finds it taken and makes this one a `duplicate`,
//! never a second record. On PostgreSQL the key lives beside `records`, in
//! `record_keys` (its primary key), claimed before the record, because a
//! `records` partitioned by year can only be unique on keys that include
//! the year; SQLite's `records` is not partitioned and keeps the key in its
//! own unique index `ux_records_platform_item` (two B-tree entries a record
//! fewer, [`crate::db::KeysApart`]). The whole
//! batch (its records, the certificates it completes, its stored outcome)
//! is one transaction: after a crash an item is there once or not at all.
//! With an `Idempotency-Key`, a retried request replays the stored outcome.

use crate::audit::{self, Change};
use serde_json::json;
use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Datelike, SubsecRound, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set, TryInsertResult,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use ce_entity::{
    person, person_series, platform, public_subject, record, record_batch, record_key,
};

use crate::auth::{Caller, Role};
use crate::domain::id_card::IdCardNo;
use crate::domain::name::PersonName;
use crate::domain::public::{PROVINCIAL, check_platform, check_received};
use crate::domain::record::{RecordCategory, RecordSource, RecordStatus};
use crate::domain::year::date_in_shanghai;
use crate::domain::{Hours, Year};
use crate::error::ServiceError;
use crate::ledger::records::MAX_DECLARED_HOURS;
use crate::ledger::standing::Ledger;
use crate::parties::persons::current_units;
use crate::platforms::clients::SCOPE_RECORDS_PUSH;
use crate::ports::ledger::Applied;
use crate::state::AppState;

/// The most items one batch may carry (413 beyond).
pub const MAX_ITEMS: usize = 1000;

/// Rows per INSERT statement: 23 columns each keeps a statement's bind
/// parameters (11,500) under SQLite's and PostgreSQL's limits.
const INSERT_ROWS: usize = 500;

/// Series families whose platforms are their sector's own system: what they
/// push arrives recognised (R-RC-2, R-ACC-3).
pub const SECTOR_FAMILIES: [&str; 3] = ["education", "health", "accounting"];

/// One completion, as a platform sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushItem {
    /// The platform's own id of this completion: sending it again never
    /// adds hours twice.
    pub external_id: String,
    /// The learner's resident ID number (GB 11643).
    pub id_card_no: String,
    /// The learner's name as on the ID card.
    pub name: String,
    /// The year the hours count for.
    pub year: i32,
    pub category: RecordCategory,
    /// The series professional hours count for (required for them; ignored
    /// on public hours, which count for every series).
    #[serde(default)]
    pub series: Option<String>,
    pub course_name: String,
    pub hours: f64,
    /// The assessment result (考核结果), e.g. `合格`.
    #[serde(default)]
    pub result: Option<String>,
    /// When the learner completed the course.
    pub completed_at: DateTime<Utc>,
    /// A general-knowledge subject (专业通识知识: ethics, law, reform) of
    /// an accounting series (R-ACC-1); professional hours only.
    #[serde(default)]
    pub general_knowledge: bool,
    /// The public topic of the year the hours belong to (R-RC-8); public
    /// hours only. Without it, a `course_name` that is one of the year's
    /// topics names it; a year that publishes topics refuses public hours
    /// of none (`public_topic_unknown`).
    #[serde(default)]
    pub topic: Option<String>,
    /// An accounting conversion form the pushing system confirms itself
    /// (R-ACC-2, R-ACC-4: `institute_push`, `platform_push`); `hours` is
    /// then its quantity.
    #[serde(default)]
    pub conversion: Option<String>,
}

/// The `confirmed_by` of the conversion forms a platform may push: the
/// system that confirms them is the one that sends them (R-ACC-4:
/// 平台直接回传; 由省注协继续教育系统回传).
pub const PUSHED_CONVERSIONS: [&str; 2] = ["institute_push", "platform_push"];

pub use crate::domain::push::ItemOutcome;

/// The outcome of one item, in the order sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemResult {
    /// The item's position in the batch, from 0.
    pub index: u32,
    /// The item's `external_id`, when it had a readable one.
    pub external_id: Option<String>,
    /// What became of the item.
    // Batches stored before the field was renamed kept it as `status`.
    #[serde(alias = "status")]
    pub outcome: ItemOutcome,
    /// The record, when accepted or a duplicate.
    pub record_id: Option<Uuid>,
    /// The record's own state when accepted or a duplicate: `approved`
    /// (recognised: counts now) or `pending_unit_review` (waits for the
    /// person's unit). A batch read again says the record's state now.
    #[serde(default)]
    pub record_status: Option<RecordStatus>,
    /// Why it was rejected: `item_invalid`, `id_card_invalid`,
    /// `hours_invalid`, `person_unknown`, `name_mismatch`,
    /// `category_not_allowed`, `series_required`, `series_unknown`,
    /// `series_not_allowed`, `year_mismatch`, `completed_in_future`,
    /// `public_deadline_passed` (R-RC-8), `public_platform_mismatch`
    /// (R-RC-9), `conversion_unknown`, `conversion_not_allowed` (R-ACC-4),
    /// `accounting_deadline_passed` (R-ACC-5), `conflict` (the `external_id` was sent before with other
    /// content).
    // Left out of the stored batch when absent (most items): a thousand
    // items' outcome is built inside the push's transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A batch's outcome, stored and readable again.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    pub batch_id: Uuid,
    pub platform_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub accepted: u32,
    pub duplicate: u32,
    pub rejected: u32,
    pub items: Vec<ItemResult>,
}

/// A push as received: each item's raw JSON text, borrowed from the body
/// (each is read on its own, so one malformed item is rejected alone, and
/// no item is held twice as a JSON tree), and the hash of the body.
#[derive(Debug)]
pub struct Push<'a> {
    pub items: Vec<&'a serde_json::value::RawValue>,
    pub body_hash: String,
    pub idempotency_key: Option<String>,
}

/// The SHA-256 of a request body, hex.
pub fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn rejected(
    index: usize,
    external_id: Option<String>,
    code: &str,
    detail: impl Into<String>,
) -> ItemResult {
    ItemResult {
        index: index as u32,
        external_id,
        outcome: ItemOutcome::Rejected,
        record_id: None,
        record_status: None,
        code: Some(code.into()),
        detail: Some(detail.into()),
    }
}

fn done(index: usize, external_id: String, outcome: ItemOutcome, r: &record::Model) -> ItemResult {
    ItemResult {
        index: index as u32,
        external_id: Some(external_id),
        outcome,
        record_id: Some(r.id),
        record_status: Some(r.status),
        code: None,
        detail: None,
    }
}

/// An item that passed the checks that need no database.
#[derive(Debug, Clone)]
struct Checked {
    external_id: String,
    id_card_hash: String,
    name: String,
    year: i32,
    category: RecordCategory,
    series: Option<String>,
    course_name: String,
    hours_tenths: i32,
    result: Option<String>,
    completed_at: DateTime<Utc>,
    general_knowledge: bool,
    topic: Option<String>,
    conversion: Option<String>,
}

/// The checks of one item that need no database; `Err` is its rejection.
fn check_shape(
    state: &AppState,
    index: usize,
    raw: &serde_json::value::RawValue,
    now: DateTime<Utc>,
) -> Result<Checked, ItemResult> {
    let item = match serde_json::from_str::<PushItem>(raw.get()) {
        Ok(item) => item,
        Err(e) => {
            /// What a malformed item may still tell: its external id.
            #[derive(Deserialize)]
            struct Named {
                external_id: Option<String>,
            }
            let external_id = serde_json::from_str::<Named>(raw.get())
                .ok()
                .and_then(|n| n.external_id)
                .map(|s| s.chars().take(128).collect::<String>());
            return Err(rejected(
                index,
                external_id,
                "item_invalid",
                format!("the item does not match PushItem: {e}"),
            ));
        }
    };
    let external_id = Some(item.external_id.chars().take(128).collect::<String>());
    let reject = |code: &str, detail: String| rejected(index, external_id.clone(), code, detail);
    let ext = item.external_id.trim();
    if ext.is_empty() || ext.chars().count() > 128 {
        return Err(reject(
            "item_invalid",
            "external_id must be 1 to 128 characters".into(),
        ));
    }
    let id = IdCardNo::parse(&item.id_card_no).map_err(|e| reject(e.code, e.message))?;
    let name = PersonName::parse(&item.name).map_err(|e| reject(e.code, e.message))?;
    Year::new(item.year).map_err(|e| reject(e.code, e.message))?;
    let hours = Hours::parse_f64(item.hours).map_err(|e| reject(e.code, e.message))?;
    if hours.tenths() == 0 || hours.as_f64() > MAX_DECLARED_HOURS {
        return Err(reject(
            "hours_invalid",
            format!("hours must be from 0.1 to {MAX_DECLARED_HOURS}"),
        ));
    }
    let course = item.course_name.trim();
    if course.is_empty() || course.chars().count() > 200 {
        return Err(reject(
            "item_invalid",
            "course_name must be 1 to 200 characters".into(),
        ));
    }
    let result = item
        .result
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if result.as_ref().is_some_and(|r| r.chars().count() > 100) {
        return Err(reject(
            "item_invalid",
            "result must be at most 100 characters".into(),
        ));
    }
    if item.completed_at > now + chrono::Duration::minutes(5) {
        return Err(reject(
            "completed_in_future",
            format!("completed_at {} is in the future", item.completed_at),
        ));
    }
    // R-RC-5: the year is China time's; hours never move to another year.
    // R-RC-8: a public course may be finished in the next year, up to the
    // deadline checked later.
    let done_year = date_in_shanghai(item.completed_at).year();
    let allowed = if item.category == RecordCategory::Public {
        done_year == item.year || done_year == item.year + 1
    } else {
        done_year == item.year
    };
    if !allowed {
        return Err(reject(
            "year_mismatch",
            format!(
                "completed in {done_year} (China time), which cannot count for {}",
                item.year
            ),
        ));
    }
    // Public hours count for every series: a `series` on a public item is
    // ignored (API.md), not an error.
    let series = item
        .series
        .map(|s| s.trim().to_string())
        .filter(|_| item.category != RecordCategory::Public);
    if item.category == RecordCategory::Professional && series.is_none() {
        return Err(reject(
            "series_required",
            "professional hours name the series they count for (R-REQ-3)".into(),
        ));
    }
    if item.general_knowledge && item.category != RecordCategory::Professional {
        return Err(reject(
            "item_invalid",
            "general-knowledge subjects are professional hours (R-ACC-1)".into(),
        ));
    }
    let topic = item
        .topic
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if topic.is_some() && item.category != RecordCategory::Public {
        return Err(reject(
            "item_invalid",
            "a topic belongs to public hours only (R-RC-8)".into(),
        ));
    }
    if topic.as_ref().is_some_and(|t| t.chars().count() > 100) {
        return Err(reject(
            "item_invalid",
            "topic must be at most 100 characters".into(),
        ));
    }
    let conversion = item.conversion.map(|c| c.trim().to_string());
    if let Some(c) = &conversion {
        if c.is_empty() || c.chars().count() > 64 {
            return Err(reject(
                "item_invalid",
                "conversion must be 1 to 64 characters".into(),
            ));
        }
        if item.category != RecordCategory::Professional {
            return Err(reject(
                "conversion_not_allowed",
                "accounting forms convert to professional credits (R-ACC-2)".into(),
            ));
        }
    }
    Ok(Checked {
        external_id: ext.to_string(),
        id_card_hash: state.pii.hash("id_card", id.as_ref()),
        name: name.as_ref().to_string(),
        year: item.year,
        category: item.category,
        series,
        course_name: course.to_string(),
        hours_tenths: hours.tenths() as i32,
        result,
        completed_at: item.completed_at.trunc_subsecs(6),
        general_knowledge: item.general_knowledge,
        topic,
        conversion,
    })
}

/// Whether a stored record says the same as the item.
fn same_content(r: &record::Model, c: &Checked, person_id: Option<Uuid>) -> bool {
    Some(r.person_id) == person_id
        && r.year == c.year
        && r.category == c.category.as_str()
        && r.series_code == c.series
        && r.course_name == c.course_name
        && r.hours_tenths == c.hours_tenths
        && r.result == c.result
        && r.general_knowledge == c.general_knowledge
        && r.conversion_code == c.conversion
        && r.completed_at.map(|t| t.trunc_subsecs(6)) == Some(c.completed_at)
}

/// The platform as it pushes: what it may send, and whether it is a
/// sector's own system.
struct Pusher {
    id: Uuid,
    name: String,
    categories: Vec<String>,
    families: Vec<String>,
}

impl Pusher {
    fn sector(&self) -> bool {
        self.families
            .iter()
            .any(|f| SECTOR_FAMILIES.contains(&f.as_str()))
    }

    /// The public-course platform it is, for R-RC-9: its sector's, or the
    /// provincial one.
    fn public_platforms(&self) -> Vec<&str> {
        let sectors: Vec<&str> = self
            .families
            .iter()
            .map(String::as_str)
            .filter(|f| SECTOR_FAMILIES.contains(f))
            .collect();
        if sectors.is_empty() {
            vec![PROVINCIAL]
        } else {
            sectors
        }
    }
}

/// What the checks of a batch need beyond the item, read for all its items
/// at once (a few queries per batch, not per item).
struct Lookups<'a> {
    /// The series and the accounting conversion forms (R-ACC-2): the
    /// process's reference data, which only migrations write.
    reference: &'a crate::reference::Reference,
    /// The public-course platforms of the series each person holds in a year.
    public_platforms: HashMap<(Uuid, i32), Vec<String>>,
    /// The last day a year's public hours are received (R-RC-8).
    deadlines: HashMap<i32, chrono::NaiveDate>,
    /// A year's public topics (R-RC-8).
    topics: HashMap<i32, Vec<String>>,
    /// The unit each person is bound to now.
    units: HashMap<Uuid, Uuid>,
}

impl<'a> Lookups<'a> {
    /// Reads what `checked`'s items need, for the persons found.
    async fn read<C: ConnectionTrait>(
        conn: &C,
        reference: &'a crate::reference::Reference,
        persons: &HashMap<String, person::Model>,
        checked: &[(usize, Checked)],
    ) -> Result<Self, ServiceError> {
        let ids: Vec<Uuid> = persons.values().map(|p| p.id).collect();
        let public_years: BTreeSet<i32> = checked
            .iter()
            .filter(|(_, c)| c.category == RecordCategory::Public)
            .map(|(_, c)| c.year)
            .collect();
        let mut public_platforms: HashMap<(Uuid, i32), Vec<String>> = HashMap::new();
        let mut deadlines = HashMap::new();
        let mut topics: HashMap<i32, Vec<String>> = HashMap::new();
        if !public_years.is_empty() {
            for chunk in ids.chunks(crate::db::IN_LIST_CHUNK) {
                for h in person_series::Entity::find()
                    .filter(person_series::Column::PersonId.is_in(chunk.iter().copied()))
                    .filter(person_series::Column::Year.is_in(public_years.iter().copied()))
                    .all(conn)
                    .await?
                {
                    if let Some(s) = reference.series_of(&h.series_code) {
                        public_platforms
                            .entry((h.person_id, h.year))
                            .or_default()
                            .push(s.public_course_platform.clone());
                    }
                }
            }
            let years: Vec<i32> = public_years.iter().copied().collect();
            deadlines = crate::ledger::policies::public_deadlines(conn, &years)
                .await?
                .into_iter()
                .map(|(y, (d, _))| (y, d))
                .collect();
            for s in public_subject::Entity::find()
                .filter(public_subject::Column::Year.is_in(years))
                .all(conn)
                .await?
            {
                topics.entry(s.year).or_default().push(s.topic);
            }
        }
        // R-ACC-5: accounting professional credits close with the year's
        // deadline too.
        let accounting_years: Vec<i32> = checked
            .iter()
            .filter(|(_, c)| {
                c.category == RecordCategory::Professional
                    && c.series
                        .as_ref()
                        .and_then(|s| reference.series_of(s))
                        .is_some_and(|s| s.requirement_group == "accounting")
            })
            .map(|(_, c)| c.year)
            .filter(|y| !deadlines.contains_key(y))
            .collect::<BTreeSet<i32>>()
            .into_iter()
            .collect();
        if !accounting_years.is_empty() {
            deadlines.extend(
                crate::ledger::policies::public_deadlines(conn, &accounting_years)
                    .await?
                    .into_iter()
                    .map(|(y, (d, _))| (y, d)),
            );
        }
        let mut units = HashMap::new();
        for chunk in ids.chunks(crate::db::IN_LIST_CHUNK) {
            units.extend(current_units(conn, chunk).await?);
        }
        Ok(Lookups {
            reference,
            public_platforms,
            deadlines,
            topics,
            units,
        })
    }
}

/// The platform's records already stored under these external ids: their
/// keys first, then the records by id and year (one partition a year on
/// PostgreSQL, not every partition's index).
async fn existing<C: ConnectionTrait>(
    conn: &C,
    platform_id: Uuid,
    ids: &[String],
) -> Result<HashMap<String, record::Model>, ServiceError> {
    let mut out = HashMap::new();
    if !crate::db::KeysApart::on(conn) {
        for chunk in ids.chunks(crate::db::IN_LIST_CHUNK) {
            for r in record::Entity::find()
                .filter(record::Column::PlatformId.eq(platform_id))
                .filter(record::Column::ExternalId.is_in(chunk.iter().cloned()))
                .all(conn)
                .await?
            {
                if let Some(e) = r.external_id.clone() {
                    out.insert(e, r);
                }
            }
        }
        return Ok(out);
    }
    for chunk in ids.chunks(crate::db::IN_LIST_CHUNK) {
        let keys: Vec<(Uuid, i32)> = record_key::Entity::find()
            .select_only()
            .column(record_key::Column::RecordId)
            .column(record_key::Column::Year)
            .filter(record_key::Column::PlatformId.eq(platform_id))
            .filter(record_key::Column::ExternalId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(conn)
            .await?;
        if keys.is_empty() {
            continue;
        }
        let years: BTreeSet<i32> = keys.iter().map(|(_, y)| *y).collect();
        for r in record::Entity::find()
            .filter(record::Column::Id.is_in(keys.iter().map(|(id, _)| *id)))
            .filter(record::Column::Year.is_in(years))
            .all(conn)
            .await?
        {
            if let Some(e) = r.external_id.clone() {
                out.insert(e, r);
            }
        }
    }
    Ok(out)
}

/// A stored batch as its outcome, with its items.
fn outcome_with(m: &record_batch::Model, items: Vec<ItemResult>) -> BatchOutcome {
    BatchOutcome {
        batch_id: m.id,
        platform_id: m.platform_id,
        received_at: m.created_at,
        accepted: m.accepted as u32,
        duplicate: m.duplicate as u32,
        rejected: m.rejected as u32,
        items,
    }
}

/// A stored batch's outcome, its items read back from the row.
fn outcome_of(mut m: record_batch::Model) -> Result<BatchOutcome, ServiceError> {
    let items = serde_json::from_value(m.items.take()).map_err(anyhow::Error::from)?;
    Ok(outcome_with(&m, items))
}

/// The stored outcome of an earlier request with the same key: a replay
/// when the body is the same, 409 when the key is reused for another body.
async fn replay<C: ConnectionTrait>(
    conn: &C,
    platform_id: Uuid,
    key: &str,
    body_hash: &str,
) -> Result<Option<BatchOutcome>, ServiceError> {
    let Some(m) = record_batch::Entity::find()
        .filter(record_batch::Column::PlatformId.eq(platform_id))
        .filter(record_batch::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if m.request_hash != body_hash {
        return Err(ServiceError::conflict(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request body; use a new key for a new batch",
        ));
    }
    read_back(conn, m).await.map(Some)
}

/// A stored batch read again: its items, each accepted or duplicate one
/// with its record's state now.
async fn read_back<C: ConnectionTrait>(
    conn: &C,
    m: record_batch::Model,
) -> Result<BatchOutcome, ServiceError> {
    let mut o = outcome_of(m)?;
    let ids: Vec<Uuid> = o.items.iter().filter_map(|i| i.record_id).collect();
    let mut now: HashMap<Uuid, RecordStatus> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(crate::db::IN_LIST_CHUNK) {
        let rows: Vec<(Uuid, RecordStatus)> = record::Entity::find()
            .select_only()
            .column(record::Column::Id)
            .column(record::Column::Status)
            .filter(record::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        now.extend(rows);
    }
    for item in &mut o.items {
        if let Some(id) = item.record_id {
            item.record_status = now.get(&id).copied();
        }
    }
    Ok(o)
}

/// 403 unless the caller is a platform whose token carries `records:push`.
pub fn require_pusher(auth: &Caller) -> Result<(), ServiceError> {
    crate::authz::require_role(auth, Role::Platform, "only learning platforms push records")?;
    crate::authz::require_scope(auth, SCOPE_RECORDS_PUSH)
}

async fn pusher(state: &AppState, auth: &Caller) -> Result<Pusher, ServiceError> {
    require_pusher(auth)?;
    let p = platform::Entity::find_by_id(auth.account_id())
        .one(&state.db)
        .await?
        .filter(|p| p.revoked_at.is_none())
        .ok_or_else(|| {
            ServiceError::forbidden("platform_revoked", "this platform has been revoked")
        })?;
    Ok(Pusher {
        id: p.id,
        name: p.name,
        categories: serde_json::from_value(p.categories).unwrap_or_default(),
        families: serde_json::from_value(p.series_families).unwrap_or_default(),
    })
}

/// Runs a push: `Ok((outcome, replayed))`.
pub async fn push(
    state: &AppState,
    auth: &Caller,
    push: Push<'_>,
) -> Result<(BatchOutcome, bool), ServiceError> {
    let me = pusher(state, auth).await?;
    if let Some(key) = &push.idempotency_key
        && let Some(o) = replay(&state.db, me.id, key, &push.body_hash).await?
    {
        return Ok((o, true));
    }
    // When the items are received (R-RC-8, R-RC-11): the clock's.
    let now = state.clock.now();
    let mut results: Vec<Option<ItemResult>> = vec![None; push.items.len()];
    let mut checked = check_items(state, &push, now, &mut results);
    let hashes = distinct(&checked, |c| &c.id_card_hash);
    let persons = crate::parties::persons::by_id_hashes(&state.db, &hashes).await?;

    // Inserting in key order makes concurrent pushes that share items lock
    // them in the same order: they wait for each other, never deadlock.
    checked.sort_by(|a, b| a.1.external_id.cmp(&b.1.external_id));
    // Judged before the write transaction: on SQLite every millisecond
    // inside it is one every other writer waits (issue 21). What another
    // request stores meanwhile is caught by the insert's key (step 4).
    let judged = judge_items(
        &state.db,
        &state.reference,
        &me,
        &persons,
        checked,
        now,
        &mut results,
    )
    .await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let inserted = insert_fresh(&txn, &judged.fresh).await?;
    rejudge_raced(&txn, me.id, &persons, &judged, &inserted, &mut results).await?;
    // The standings of the persons pushed for, and with them their
    // certificates (R-CE-1: the push that completes a year issues it).
    let mut ledger = Ledger::new();
    for m in judged.fresh.iter().filter(|m| inserted.contains(&m.id)) {
        ledger.record(None, Some(m))?;
    }
    let applied = ledger
        .apply(&txn, &state.reference, &*state.follower)
        .await?;
    let items: Vec<ItemResult> = results.into_iter().flatten().collect();
    store_batch(state, txn, &me, &push, items, &applied, now).await
}

/// Step 1: the checks that need no database; an item that fails them has
/// its result now, the others are returned with their index.
fn check_items(
    state: &AppState,
    push: &Push<'_>,
    now: DateTime<Utc>,
    results: &mut [Option<ItemResult>],
) -> Vec<(usize, Checked)> {
    let mut checked = Vec::with_capacity(push.items.len());
    for (i, raw) in push.items.iter().copied().enumerate() {
        match check_shape(state, i, raw, now) {
            Ok(c) => checked.push((i, c)),
            Err(r) => results[i] = Some(r),
        }
    }
    checked
}

/// The distinct values of one field of the checked items.
fn distinct(checked: &[(usize, Checked)], field: impl Fn(&Checked) -> &String) -> Vec<String> {
    checked
        .iter()
        .map(|(_, c)| field(c).clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect()
}

/// What step 2 decided: the new records, and the items judged against one
/// of them (the item itself, and later items of the batch with the same
/// external id), to judge again if another request stored that id first.
struct Judged {
    fresh: Vec<record::Model>,
    against_fresh: Vec<(usize, Checked)>,
}

/// Step 2: each item against what the platform stored before and against
/// the rules that need the database: a duplicate, a conflict, a rejection,
/// or a new record. Read before the write transaction: an item a
/// concurrent push stores after the read is judged again in step 4 (its key
/// is taken); one rejected here stores nothing, as if this push had come
/// first.
async fn judge_items<C: ConnectionTrait>(
    conn: &C,
    reference: &crate::reference::Reference,
    me: &Pusher,
    persons: &HashMap<String, person::Model>,
    checked: Vec<(usize, Checked)>,
    now: DateTime<Utc>,
    results: &mut [Option<ItemResult>],
) -> Result<Judged, ServiceError> {
    let lookups = Lookups::read(conn, reference, persons, &checked).await?;
    // R-ACC-2: a form's credits replace the quantity sent, before the item
    // is compared with what was sent before.
    let checked: Vec<(usize, Checked)> = checked
        .into_iter()
        .map(|(i, mut c)| {
            if let Some(form) = c
                .conversion
                .as_ref()
                .and_then(|k| lookups.reference.form(k))
            {
                let quantity = Hours::from_tenths(u32::try_from(c.hours_tenths).unwrap_or(0));
                let credits = crate::ledger::conversions::credits(form, quantity);
                c.hours_tenths = i32::try_from(credits.tenths()).unwrap_or(i32::MAX);
            }
            (i, c)
        })
        .collect();
    let mut stored = existing(conn, me.id, &distinct(&checked, |c| &c.external_id)).await?;
    let mut judged = Judged {
        fresh: Vec::new(),
        against_fresh: Vec::new(),
    };
    let mut fresh_ids: HashSet<String> = HashSet::new();
    for (i, c) in checked {
        let person = persons.get(&c.id_card_hash);
        if let Some(r) = stored.get(&c.external_id) {
            results[i] = Some(judge(i, r, &c, person.map(|p| p.id)));
            if fresh_ids.contains(&c.external_id) {
                judged.against_fresh.push((i, c));
            }
            continue;
        }
        match decide(me, person, &lookups, &c, now) {
            Err((code, detail)) => {
                results[i] = Some(rejected(i, Some(c.external_id.clone()), code, detail));
            }
            Ok(m) => {
                results[i] = Some(done(i, c.external_id.clone(), ItemOutcome::Accepted, &m));
                fresh_ids.insert(c.external_id.clone());
                stored.insert(c.external_id.clone(), m.clone());
                judged.fresh.push(m);
                judged.against_fresh.push((i, c));
            }
        }
    }
    Ok(judged)
}

/// Step 3: the new records in a few statements; the ids actually inserted.
/// Each record's key is claimed with it (`ON CONFLICT DO NOTHING`): a key
/// another request stored first is skipped, not an error, and so is its
/// record; step 4 judges its items. On PostgreSQL the keys are claimed
/// first, in `record_keys`, and only the records whose key was claimed
/// are inserted.
async fn insert_fresh(
    txn: &DatabaseTransaction,
    fresh: &[record::Model],
) -> Result<HashSet<Uuid>, ServiceError> {
    let mut inserted: HashSet<Uuid> = HashSet::with_capacity(fresh.len());
    if !crate::db::KeysApart::on(txn) {
        for chunk in fresh.chunks(INSERT_ROWS) {
            let rows = chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model);
            if let TryInsertResult::Inserted(ids) = record::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([record::Column::PlatformId, record::Column::ExternalId])
                        // The index's own predicate.
                        .target_and_where(record::Column::PlatformId.is_not_null())
                        .do_nothing()
                        .to_owned(),
                )
                .try_insert()
                .exec_with_returning_keys(txn)
                .await?
            {
                inserted.extend(ids);
            }
        }
        return Ok(inserted);
    }
    for chunk in fresh.chunks(INSERT_ROWS) {
        let keys = chunk.iter().filter_map(|m| {
            Some(record_key::ActiveModel {
                platform_id: Set(m.platform_id?),
                external_id: Set(m.external_id.clone()?),
                record_id: Set(m.id),
                year: Set(m.year),
            })
        });
        let TryInsertResult::Inserted(claimed) = record_key::Entity::insert_many(keys)
            .on_conflict(
                OnConflict::columns([
                    record_key::Column::PlatformId,
                    record_key::Column::ExternalId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .try_insert()
            .exec_with_returning_many(txn)
            .await?
        else {
            continue;
        };
        let claimed: HashSet<Uuid> = claimed.into_iter().map(|k| k.record_id).collect();
        let rows: Vec<record::ActiveModel> = chunk
            .iter()
            .filter(|m| claimed.contains(&m.id))
            .cloned()
            .map(IntoActiveModel::into_active_model)
            .collect();
        if rows.is_empty() {
            continue;
        }
        record::Entity::insert_many(rows).exec(txn).await?;
        inserted.extend(claimed);
    }
    Ok(inserted)
}

/// Step 4: the items of a record another request stored first are judged
/// against that request's row instead.
async fn rejudge_raced(
    txn: &DatabaseTransaction,
    platform_id: Uuid,
    persons: &HashMap<String, person::Model>,
    judged: &Judged,
    inserted: &HashSet<Uuid>,
    results: &mut [Option<ItemResult>],
) -> Result<(), ServiceError> {
    let raced: Vec<String> = judged
        .fresh
        .iter()
        .filter(|m| !inserted.contains(&m.id))
        .filter_map(|m| m.external_id.clone())
        .collect();
    if raced.is_empty() {
        return Ok(());
    }
    let theirs = existing(txn, platform_id, &raced).await?;
    for (i, c) in &judged.against_fresh {
        if let Some(r) = theirs.get(&c.external_id) {
            let person = persons.get(&c.id_card_hash).map(|p| p.id);
            results[*i] = Some(judge(*i, r, c, person));
        }
    }
    Ok(())
}

/// Step 5: the batch row with every item's outcome and its audit event,
/// then the commit. The same idempotency key raced in from another request:
/// that request's outcome stands.
async fn store_batch(
    state: &AppState,
    txn: DatabaseTransaction,
    me: &Pusher,
    push: &Push<'_>,
    items: Vec<ItemResult>,
    applied: &Applied,
    now: DateTime<Utc>,
) -> Result<(BatchOutcome, bool), ServiceError> {
    let count = |s: ItemOutcome| items.iter().filter(|r| r.outcome == s).count() as i32;
    let m = record_batch::Model {
        id: Uuid::now_v7(),
        platform_id: me.id,
        idempotency_key: push.idempotency_key.clone(),
        request_hash: push.body_hash.clone(),
        item_count: items.len() as i32,
        accepted: count(ItemOutcome::Accepted),
        duplicate: count(ItemOutcome::Duplicate),
        rejected: count(ItemOutcome::Rejected),
        // Written as text below, not kept.
        items: serde_json::Value::Null,
        // As stored (microseconds), so the answer and a replay agree.
        created_at: now.trunc_subsecs(6),
    };
    match insert_batch(&txn, &m, &items).await {
        Ok(()) => {
            // One event for the batch (R-CR-2): its items are in the batch
            // row, which keeps every item's outcome.
            audit::record(
                &txn,
                applied.note(Change::new("record_batch", m.id, "pushed").after(json!({
                    "items": m.item_count,
                    "accepted": m.accepted,
                    "duplicate": m.duplicate,
                    "rejected": m.rejected,
                    "idempotency_key": m.idempotency_key,
                    "certificates_issued": applied.issued.len(),
                }))),
            )
            .await?;
            txn.commit().await?;
            Ok((outcome_with(&m, items), false))
        }
        Err(e) if crate::error::is_unique_violation(&e) => {
            txn.rollback().await?;
            let key = push.idempotency_key.as_deref().unwrap_or_default();
            match replay(&state.db, me.id, key, &push.body_hash).await? {
                Some(o) => Ok((o, true)),
                None => Err(ServiceError::conflict(
                    "idempotency_key_in_use",
                    "retry the request",
                )),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// The batch row, its items written as JSON text: a thousand items'
/// outcome is serialised once, straight to text (not built as a JSON tree
/// for the driver to serialise again), and not read back (`RETURNING`
/// would parse it once more) — inside the push's transaction, where every
/// millisecond is one the next push waits.
async fn insert_batch(
    txn: &DatabaseTransaction,
    m: &record_batch::Model,
    items: &[ItemResult],
) -> Result<(), sea_orm::DbErr> {
    use record_batch::Column as C;
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let text = serde_json::to_string(items).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    let backend = txn.get_database_backend();
    let items = match backend {
        sea_orm::DbBackend::Postgres => Expr::val(text).cast_as("json"),
        _ => Expr::val(text),
    };
    let stmt = Query::insert()
        .into_table(record_batch::Entity)
        .columns([
            C::Id,
            C::PlatformId,
            C::IdempotencyKey,
            C::RequestHash,
            C::ItemCount,
            C::Accepted,
            C::Duplicate,
            C::Rejected,
            C::Items,
            C::CreatedAt,
        ])
        .values_panic([
            m.id.into(),
            m.platform_id.into(),
            m.idempotency_key.clone().into(),
            m.request_hash.clone().into(),
            m.item_count.into(),
            m.accepted.into(),
            m.duplicate.into(),
            m.rejected.into(),
            items,
            m.created_at.into(),
        ])
        .to_owned();
    txn.execute_raw(backend.build(&stmt)).await?;
    Ok(())
}

/// An item whose external id the platform sent before: a duplicate when
/// the content is the same, else rejected as a `conflict`.
fn judge(i: usize, r: &record::Model, c: &Checked, person_id: Option<Uuid>) -> ItemResult {
    if same_content(r, c, person_id) {
        done(i, c.external_id.clone(), ItemOutcome::Duplicate, r)
    } else {
        rejected(
            i,
            Some(c.external_id.clone()),
            "conflict",
            format!(
                "external_id {:?} was sent before with other content (record {}); send changes under a new external_id",
                c.external_id, r.id
            ),
        )
    }
}

/// The record a new item makes, or why it is rejected (`code`, `detail`).
fn decide(
    me: &Pusher,
    person: Option<&person::Model>,
    lookups: &Lookups,
    c: &Checked,
    now: DateTime<Utc>,
) -> Result<record::Model, (&'static str, String)> {
    let Some(person) = person else {
        return Err((
            "person_unknown",
            "no registered person has this ID number".into(),
        ));
    };
    if person.name != c.name {
        return Err((
            "name_mismatch",
            "the name does not match the ID number".into(),
        ));
    }
    if !me.categories.iter().any(|k| k == c.category.as_str()) {
        return Err((
            "category_not_allowed",
            format!("this platform may not push {} hours", c.category.as_str()),
        ));
    }
    if let Some(code) = &c.series {
        let Some(s) = lookups.reference.series_of(code) else {
            return Err(("series_unknown", format!("no series {code:?}")));
        };
        if !me.families.contains(&s.family) {
            return Err((
                "series_not_allowed",
                format!(
                    "this platform may not push for the {} family ({code})",
                    s.family
                ),
            ));
        }
    }
    let accounting = c.category == RecordCategory::Professional
        && c.series
            .as_ref()
            .and_then(|s| lookups.reference.series_of(s))
            .is_some_and(|s| s.requirement_group == "accounting");
    if accounting && let Some(deadline) = lookups.deadlines.get(&c.year) {
        crate::domain::public::check_accounting_received(c.year, now, *deadline)
            .map_err(|e| (e.code, e.message))?;
    }
    if let Some(code) = &c.conversion {
        let Some(form) = lookups.reference.form(code) else {
            return Err((
                "conversion_unknown",
                format!("no conversion form {code:?} in the accounting table"),
            ));
        };
        if !PUSHED_CONVERSIONS.contains(&form.confirmed_by.as_str()) {
            return Err((
                "conversion_not_allowed",
                format!(
                    "{code} is confirmed by {}: a person applies for it and their finance \
                     department confirms it; platforms push only the forms they confirm \
                     (R-ACC-4)",
                    form.confirmed_by
                ),
            ));
        }
        if !accounting {
            return Err((
                "conversion_not_allowed",
                "accounting forms convert to credits of an accounting series (R-ACC-2)".into(),
            ));
        }
        if c.hours_tenths > (MAX_DECLARED_HOURS as i32) * 10 {
            return Err((
                "hours_invalid",
                format!("the form's credits exceed {MAX_DECLARED_HOURS}"),
            ));
        }
    }
    let mut topic = None;
    if c.category == RecordCategory::Public {
        // R-RC-8: the deadline closes registration: what counts is when
        // the hours are received, not the completion date they carry.
        if let Some(deadline) = lookups.deadlines.get(&c.year) {
            check_received(c.year, now, *deadline).map_err(|e| (e.code, e.message))?;
        }
        // R-RC-8: public hours belong to a topic of the year, when the
        // year publishes topics.
        topic = match lookups.topics.get(&c.year) {
            Some(topics) if !topics.is_empty() => {
                let named = c.topic.as_ref().unwrap_or(&c.course_name);
                if !topics.contains(named) {
                    return Err((
                        "public_topic_unknown",
                        format!(
                            "{} publishes the topics {}: name one in `topic` or `course_name` (R-RC-8)",
                            c.year,
                            topics.join(", ")
                        ),
                    ));
                }
                Some(named.clone())
            }
            _ => c.topic.clone(),
        };
        // R-RC-9: sector series take public courses on their own platform.
        let held: Vec<&str> = lookups
            .public_platforms
            .get(&(person.id, c.year))
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let ok = me
            .public_platforms()
            .iter()
            .any(|src| check_platform(&held, src).is_ok());
        if !ok {
            let src = me.public_platforms().first().copied().unwrap_or(PROVINCIAL);
            check_platform(&held, src).map_err(|e| (e.code, e.message))?;
        }
    }
    // R-RC-2, R-ACC-3: public courses and sector platforms arrive
    // recognised; other platforms' hours wait for the unit (R-RC-3).
    let recognised = c.category == RecordCategory::Public || me.sector();
    Ok(record::Model {
        id: Uuid::now_v7(),
        person_id: person.id,
        year: c.year,
        category: c.category.as_str().into(),
        series_code: c.series.clone(),
        course_name: c.course_name.clone(),
        hours_tenths: c.hours_tenths,
        approved_tenths: if recognised { c.hours_tenths } else { 0 },
        result: c.result.clone(),
        source: if c.category == RecordCategory::Public {
            RecordSource::PublicCourse.as_str().into()
        } else {
            RecordSource::PlatformPush.as_str().into()
        },
        provider_id: None,
        provider_name: Some(me.name.clone()),
        class_id: None,
        platform_id: Some(me.id),
        external_id: Some(c.external_id.clone()),
        unit_id: lookups.units.get(&person.id).copied(),
        status: if recognised {
            RecordStatus::Approved
        } else {
            RecordStatus::PendingUnitReview
        },
        attachment_ids: serde_json::json!([]),
        completed_at: Some(c.completed_at),
        conversion_code: c.conversion.clone(),
        general_knowledge: c.general_knowledge,
        topic,
        origin: None,
        invalidated_reason: None,
        authority_id: None,
        results_published_on: None,
        initial_training: false,
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

/// A stored outcome: the platform that pushed it, or hrss; 404 otherwise.
pub async fn outcome(
    state: &AppState,
    auth: &Caller,
    batch_id: Uuid,
) -> Result<BatchOutcome, ServiceError> {
    // Other roles are told 403, not "not found" (API.md).
    crate::authz::require_any(auth, &[Role::Platform, Role::Hrss])?;
    let m = record_batch::Entity::find_by_id(batch_id)
        .one(&state.db)
        .await?
        .filter(|b| {
            auth.has_role(Role::Hrss)
                || (auth.has_role(Role::Platform) && auth.account_id() == b.platform_id)
        })
        .ok_or(ServiceError::NotFound("batch"))?;
    read_back(&state.db, m).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pusher(families: &[&str]) -> Pusher {
        Pusher {
            id: Uuid::nil(),
            name: "x".into(),
            categories: vec!["public".into()],
            families: families.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn r_rc_2_sector_platforms_are_recognised_and_public_courses_come_from_them() {
        assert!(pusher(&["health"]).sector());
        assert!(pusher(&["accounting", "economics"]).sector());
        assert!(!pusher(&["engineering"]).sector());
        assert_eq!(
            pusher(&["engineering"]).public_platforms(),
            vec![PROVINCIAL]
        );
        assert_eq!(
            pusher(&["health", "law"]).public_platforms(),
            vec!["health"]
        );
    }

    #[test]
    fn body_hashes_tell_bodies_apart() {
        assert_eq!(body_hash(b"a"), body_hash(b"a"));
        assert_ne!(body_hash(b"a"), body_hash(b"b"));
        assert_eq!(body_hash(b"").len(), 64);
    }
}
