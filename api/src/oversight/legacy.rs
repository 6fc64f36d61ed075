//! Legacy data (历史(旧系统)数据, 历史记录查询, 历史证书查询): records and
//! certificates of the old city system's years (2018 and earlier,
//! `legacy.last_year`), imported by hrss from CSV, shown read-only to the
//! person and their unit as history, and verified like current
//! certificates with a `legacy` marker.
//!
//! They live in tables of their own (`legacy_records`,
//! `legacy_certificates`), so nothing of the current records' and
//! certificates' state machines, compliance or statistics can change or
//! count them, and no endpoint but the import writes them.
//!
//! An import is one transaction. Every row is checked on its own; a bad row
//! is reported with its line, a stable `code` and a detail, and never loses
//! the good ones. Rows are keyed by the old system's own key (`legacy_id`
//! of a record, `number` of a certificate) under a unique index: a row
//! imported before with the same content is `unchanged`, with other content
//! it is rejected as `conflict` (nothing is ever overwritten). Persons are
//! matched by the keyed hash of the ID number, the same one `persons`
//! keeps, so a person who registers later finds their history there.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use ce_entity::{legacy_certificate, legacy_record, person, professional_series};

use crate::auth::{Caller, Role};
use crate::certificates::{CertificateHours, VerifyView, mask_name};
use crate::domain::certificate::CertificateStatus;
use crate::domain::legacy::{LegacyId, LegacyNumber};
use crate::domain::record::RecordCategory;
use crate::domain::year::{SHANGHAI_OFFSET, today_in_shanghai};
use crate::domain::{Hours, IdCardNo, PersonName};
use crate::error::{FieldError, ServiceError};
use crate::ledger::records::MAX_DECLARED_HOURS;
use crate::state::AppState;

/// The most data rows one import may carry (413 beyond).
pub const MAX_ROWS: usize = 10_000;

/// Which layout a legacy CSV has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegacyKind {
    /// Records of hours: `legacy_id, id_card_no, name, year, category,
    /// course_name, hours` and optionally `series, result, provider_name,
    /// unit_name, completed_on`.
    Records,
    /// Annual certificates: `number, id_card_no, name, year, public_hours,
    /// professional_hours, elective_hours, issued_on` and optionally
    /// `unit_name`.
    Certificates,
}

impl LegacyKind {
    fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            LegacyKind::Records => (
                &[
                    "legacy_id",
                    "id_card_no",
                    "name",
                    "year",
                    "category",
                    "course_name",
                    "hours",
                ],
                &[
                    "series",
                    "result",
                    "provider_name",
                    "unit_name",
                    "completed_on",
                ],
            ),
            LegacyKind::Certificates => (
                &[
                    "number",
                    "id_card_no",
                    "name",
                    "year",
                    "public_hours",
                    "professional_hours",
                    "elective_hours",
                    "issued_on",
                ],
                &["unit_name"],
            ),
        }
    }

    fn key_column(self) -> &'static str {
        match self {
            LegacyKind::Records => "legacy_id",
            LegacyKind::Certificates => "number",
        }
    }
}

/// A row the import refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RejectedRow {
    /// The row's line in the file (the header is line 1).
    #[schema(minimum = 2)]
    pub line: u64,
    /// The row's `legacy_id` or `number`, when it had one.
    #[schema(max_length = 64)]
    pub key: Option<String>,
    /// Why: `columns_missing`, `columns_extra`, `row_unreadable`,
    /// `field_required`, `legacy_id_invalid`, `certificate_number_invalid`,
    /// `number_reserved` (reads as a current number), `id_card_invalid`,
    /// `name_invalid`, `name_mismatch` (a registered person has this ID
    /// number and another name), `year_invalid`, `year_not_legacy` (after
    /// `legacy.last_year`), `category_invalid`, `series_required`,
    /// `series_unknown`, `hours_invalid`, `date_invalid`, `text_invalid`,
    /// `conflict` (the key was imported before with other content).
    #[schema(max_length = 64, example = "id_card_invalid")]
    pub code: String,
    #[schema(max_length = 1000)]
    pub detail: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LegacyImportReport {
    /// Stored on every row this import added.
    pub import_id: Uuid,
    pub kind: LegacyKind,
    /// Data rows read (the header not counted).
    #[schema(minimum = 0, maximum = 10000)]
    pub rows: u32,
    /// Rows added now.
    #[schema(minimum = 0, maximum = 10000)]
    pub imported: u32,
    /// Rows imported before with the same content: nothing changed.
    #[schema(minimum = 0, maximum = 10000)]
    pub unchanged: u32,
    #[schema(minimum = 0, maximum = 10000)]
    pub rejected: u32,
    /// Every rejected row, in file order.
    pub rejections: Vec<RejectedRow>,
}

/// A legacy record, as its holder and their unit see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LegacyRecordView {
    pub id: Uuid,
    /// The old system's id of the record.
    #[schema(max_length = 64)]
    pub legacy_id: String,
    #[schema(minimum = 1990, maximum = 2100)]
    pub year: i32,
    pub category: RecordCategory,
    #[schema(max_length = 64)]
    pub series: Option<String>,
    #[schema(max_length = 200)]
    pub course_name: String,
    #[schema(minimum = 0, maximum = 1000)]
    pub hours: f64,
    #[schema(max_length = 100)]
    pub result: Option<String>,
    #[schema(max_length = 100)]
    pub provider_name: Option<String>,
    /// The unit the old system had the person with.
    #[schema(max_length = 200)]
    pub unit_name: Option<String>,
    pub completed_on: Option<NaiveDate>,
    pub imported_at: DateTime<Utc>,
}

/// A legacy certificate, as its holder and their unit see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LegacyCertificateView {
    pub id: Uuid,
    /// The number as the old system printed it; `GET /verify/{number}`
    /// checks it.
    #[schema(min_length = 4, max_length = 40, example = "GZ2016-000123")]
    pub number: String,
    #[schema(minimum = 1990, maximum = 2100)]
    pub year: i32,
    pub hours: CertificateHours,
    #[schema(max_length = 200)]
    pub unit_name: Option<String>,
    pub issued_on: NaiveDate,
    pub imported_at: DateTime<Utc>,
}

/// A person's history from the old system, oldest year first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LegacyHistory {
    pub person_id: Uuid,
    pub records: Vec<LegacyRecordView>,
    pub certificates: Vec<LegacyCertificateView>,
}

// ---------------------------------------------------------------- reading

/// A row's rejection before it is placed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reject {
    code: &'static str,
    detail: String,
}

fn reject(code: &'static str, detail: impl Into<String>) -> Reject {
    Reject {
        code,
        detail: detail.into(),
    }
}

/// A data row: its line, its key (for the report) and its fields by column.
struct Row {
    line: u64,
    key: Option<String>,
    fields: Result<HashMap<&'static str, String>, Reject>,
}

/// Reads the CSV (UTF-8, with or without BOM; a header naming the
/// columns in any order). A header that misses a required column or names
/// an unknown one refuses the whole file (422); a row that cannot be read
/// is rejected alone.
fn read_rows(kind: LegacyKind, body: &[u8]) -> Result<Vec<Row>, ServiceError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if std::str::from_utf8(body).is_err() {
        return Err(ServiceError::invalid_field(
            "csv_encoding_invalid",
            "body",
            "the file is not UTF-8 (an export of the old system in GBK converts with `iconv -f GBK -t UTF-8`)",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            ServiceError::invalid_field(
                "csv_header_invalid",
                "body",
                format!("the header line could not be read: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let (required, optional) = kind.columns();
    let mut columns: Vec<&'static str> = Vec::with_capacity(header.len());
    let mut errors = Vec::new();
    for h in &header {
        match required.iter().chain(optional).find(|c| **c == h.as_str()) {
            Some(c) if columns.contains(c) => errors.push(FieldError {
                field: h.clone(),
                code: "column_duplicate".into(),
                message: format!("the column {h:?} appears twice"),
            }),
            Some(c) => columns.push(*c),
            None => errors.push(FieldError {
                field: if h.is_empty() {
                    "(blank)".into()
                } else {
                    h.clone()
                },
                code: "column_unknown".into(),
                message: format!(
                    "no column {h:?} in this layout; the columns are {}",
                    required
                        .iter()
                        .chain(optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
    for c in required {
        if !columns.contains(c) {
            errors.push(FieldError {
                field: (*c).into(),
                code: "column_missing".into(),
                message: format!("the header lacks the required column {c:?}"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid {
            code: "csv_header_invalid",
            detail: format!(
                "the header does not fit the {} layout: {}",
                match kind {
                    LegacyKind::Records => "records",
                    LegacyKind::Certificates => "certificates",
                },
                errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            errors,
        });
    }
    let key_at = columns.iter().position(|c| *c == kind.key_column());
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() >= MAX_ROWS {
            return Err(ServiceError::PayloadTooLarge {
                code: "import_too_large",
                detail: format!("an import carries at most {MAX_ROWS} rows: split the file"),
            });
        }
        // Without a position (never seen), the line a one-line row would be on.
        let fallback = rows.len() as u64 + 2;
        let row = match record {
            Err(e) => Row {
                line: e.position().map(|p| p.line()).unwrap_or(fallback),
                key: None,
                fields: Err(reject(
                    "row_unreadable",
                    format!("the row could not be read: {e}"),
                )),
            },
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(fallback);
                let key = key_at
                    .and_then(|i| r.get(i))
                    .filter(|k| !k.is_empty())
                    .map(|k| k.chars().take(64).collect());
                let fields = if r.len() < columns.len() {
                    Err(reject(
                        "columns_missing",
                        format!(
                            "the row has {} fields, the header {}",
                            r.len(),
                            columns.len()
                        ),
                    ))
                } else if r.len() > columns.len() {
                    Err(reject(
                        "columns_extra",
                        format!(
                            "the row has {} fields, the header {}",
                            r.len(),
                            columns.len()
                        ),
                    ))
                } else {
                    Ok(columns
                        .iter()
                        .zip(r.iter())
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(c, v)| (*c, v.to_string()))
                        .collect())
                };
                Row { line, key, fields }
            }
        };
        rows.push(row);
    }
    Ok(rows)
}

/// The limits a row is checked against.
struct Bounds {
    first_year: i32,
    last_year: i32,
    today: NaiveDate,
}

fn required<'a>(f: &'a HashMap<&'static str, String>, c: &str) -> Result<&'a str, Reject> {
    f.get(c)
        .map(String::as_str)
        .ok_or_else(|| reject("field_required", format!("{c} is required")))
}

fn text(f: &HashMap<&'static str, String>, c: &str, max: usize) -> Result<Option<String>, Reject> {
    match f.get(c) {
        Some(t) if t.chars().count() > max || t.chars().any(char::is_control) => Err(reject(
            "text_invalid",
            format!("{c} is at most {max} characters, without control characters"),
        )),
        Some(t) => Ok(Some(t.clone())),
        None => Ok(None),
    }
}

fn year(f: &HashMap<&'static str, String>, b: &Bounds) -> Result<i32, Reject> {
    let y: i32 = required(f, "year")?
        .parse()
        .map_err(|_| reject("year_invalid", "year must be a whole number such as 2016"))?;
    if y > b.last_year {
        return Err(reject(
            "year_not_legacy",
            format!(
                "legacy data are of {} and earlier; {y} is kept in this system, not imported",
                b.last_year
            ),
        ));
    }
    if y < b.first_year {
        return Err(reject(
            "year_invalid",
            format!("year must be {} or later", b.first_year),
        ));
    }
    Ok(y)
}

/// Hours from 0 to 1000 with at most one decimal place, as tenths.
fn hours(f: &HashMap<&'static str, String>, c: &str) -> Result<i32, Reject> {
    let bad = || {
        reject(
            "hours_invalid",
            format!(
                "{c} must be a number from 0 to {MAX_DECLARED_HOURS} with at most one decimal place"
            ),
        )
    };
    let v: f64 = required(f, c)?.parse().map_err(|_| bad())?;
    let h = Hours::parse_f64(v).map_err(|_| bad())?;
    if h.as_f64() > MAX_DECLARED_HOURS {
        return Err(bad());
    }
    i32::try_from(h.tenths()).map_err(|_| bad())
}

fn date(v: &str, c: &str) -> Result<NaiveDate, Reject> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| reject("date_invalid", format!("{c} must be a date YYYY-MM-DD")))
}

/// The person part every row has: ID number (GB 11643 checksum, region,
/// birth date), its hash and mask, and the name.
struct Holder {
    id_card_hash: String,
    id_card_masked: String,
    name: String,
}

fn holder(state: &AppState, f: &HashMap<&'static str, String>) -> Result<Holder, Reject> {
    let id = IdCardNo::parse(required(f, "id_card_no")?).map_err(|e| reject(e.code, e.message))?;
    let name = PersonName::parse(required(f, "name")?).map_err(|e| reject(e.code, e.message))?;
    Ok(Holder {
        id_card_hash: state.pii.hash("id_card", id.as_ref()),
        id_card_masked: id.masked(),
        name: name.as_ref().to_string(),
    })
}

/// A category by its code or the old system's Chinese name.
fn category(v: &str) -> Result<RecordCategory, Reject> {
    match v {
        "public" | "公需" | "公需科目" => Ok(RecordCategory::Public),
        "professional" | "专业" | "专业科目" => Ok(RecordCategory::Professional),
        "elective" | "选修" | "选修科目" | "个人选修科目" => {
            Ok(RecordCategory::Elective)
        }
        _ => Err(reject(
            "category_invalid",
            "category is public, professional or elective (公需科目, 专业科目, 个人选修科目)",
        )),
    }
}

/// Checks a record row; the model is complete but for the import fields.
fn check_record(
    state: &AppState,
    f: &HashMap<&'static str, String>,
    b: &Bounds,
    series: &HashSet<String>,
) -> Result<legacy_record::Model, Reject> {
    let key = LegacyId::parse(required(f, "legacy_id")?).map_err(|e| reject(e.code, e.message))?;
    let h = holder(state, f)?;
    let year = year(f, b)?;
    let category = category(required(f, "category")?)?;
    let series_code = text(f, "series", 64)?;
    match &series_code {
        Some(s) if !series.contains(s) => {
            return Err(reject("series_unknown", format!("no series {s:?}")));
        }
        None if category == RecordCategory::Professional => {
            return Err(reject(
                "series_required",
                "professional hours name the series they count for (R-PU-2)",
            ));
        }
        _ => {}
    }
    let course_name = text(f, "course_name", 200)?
        .ok_or_else(|| reject("field_required", "course_name is required"))?;
    let hours_tenths = hours(f, "hours")?;
    let completed_on = f
        .get("completed_on")
        .map(|v| date(v, "completed_on"))
        .transpose()?;
    if let Some(d) = completed_on {
        // R-RC-5, R-RC-8: hours count for the year they were completed
        // in, or a public course finished early the next year.
        if d > b.today || !(year..=year + 1).contains(&d.year()) {
            return Err(reject(
                "date_invalid",
                format!(
                    "completed_on must lie in {year} or {} and not in the future",
                    year + 1
                ),
            ));
        }
    }
    Ok(legacy_record::Model {
        id: Uuid::nil(),
        legacy_id: key.as_ref().to_string(),
        id_card_hash: h.id_card_hash,
        id_card_masked: h.id_card_masked,
        name: h.name,
        year,
        category: category.as_str().into(),
        series_code,
        course_name,
        hours_tenths,
        result: text(f, "result", 100)?,
        provider_name: text(f, "provider_name", 100)?,
        unit_name: text(f, "unit_name", 200)?,
        completed_on,
        import_id: Uuid::nil(),
        imported_by: Uuid::nil(),
        imported_at: DateTime::<Utc>::MIN_UTC,
    })
}

/// Checks a certificate row.
fn check_certificate(
    state: &AppState,
    f: &HashMap<&'static str, String>,
    b: &Bounds,
) -> Result<legacy_certificate::Model, Reject> {
    let number =
        LegacyNumber::parse(required(f, "number")?).map_err(|e| reject(e.code, e.message))?;
    let h = holder(state, f)?;
    let year = year(f, b)?;
    let public_tenths = hours(f, "public_hours")?;
    let professional_tenths = hours(f, "professional_hours")?;
    let elective_tenths = hours(f, "elective_hours")?;
    let issued_on = date(required(f, "issued_on")?, "issued_on")?;
    if issued_on > b.today || issued_on.year() < year {
        return Err(reject(
            "date_invalid",
            format!("issued_on must lie in {year} or later and not in the future"),
        ));
    }
    Ok(legacy_certificate::Model {
        id: Uuid::nil(),
        number: number.as_ref().to_string(),
        id_card_hash: h.id_card_hash,
        id_card_masked: h.id_card_masked,
        name: h.name,
        year,
        public_tenths,
        professional_tenths,
        elective_tenths,
        unit_name: text(f, "unit_name", 200)?,
        issued_on,
        import_id: Uuid::nil(),
        imported_by: Uuid::nil(),
        imported_at: DateTime::<Utc>::MIN_UTC,
    })
}

// ---------------------------------------------------------------- placing

/// What an import places: a legacy record or certificate.
trait LegacyRow: Sized + Clone + Send + Sync {
    type Entity: EntityTrait<Model = Self>;
    type Active: sea_orm::ActiveModelTrait<Entity = Self::Entity>
        + sea_orm::ActiveModelBehavior
        + Send;
    /// The stored row of a key.
    fn by_key(key: &str) -> sea_orm::Select<Self::Entity>;
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
    fn by_key(key: &str) -> sea_orm::Select<Self::Entity> {
        legacy_record::Entity::find().filter(legacy_record::Column::LegacyId.eq(key))
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
    fn by_key(key: &str) -> sea_orm::Select<Self::Entity> {
        legacy_certificate::Entity::find().filter(legacy_certificate::Column::Number.eq(key))
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

/// The rows stored under these keys.
async fn stored_records(
    txn: &DatabaseTransaction,
    keys: &[String],
) -> Result<HashMap<String, legacy_record::Model>, ServiceError> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(500) {
        for m in legacy_record::Entity::find()
            .filter(legacy_record::Column::LegacyId.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            out.insert(m.legacy_id.clone(), m);
        }
    }
    Ok(out)
}

async fn stored_certificates(
    txn: &DatabaseTransaction,
    keys: &[String],
) -> Result<HashMap<String, legacy_certificate::Model>, ServiceError> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(500) {
        for m in legacy_certificate::Entity::find()
            .filter(legacy_certificate::Column::Number.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            out.insert(m.number.clone(), m);
        }
    }
    Ok(out)
}

/// Registered persons' names by ID hash.
async fn registered_names<C: ConnectionTrait>(
    conn: &C,
    hashes: &[String],
) -> Result<HashMap<String, String>, ServiceError> {
    let mut out = HashMap::new();
    for chunk in hashes.chunks(500) {
        for p in person::Entity::find()
            .filter(person::Column::IdCardHash.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?
        {
            out.insert(p.id_card_hash, p.name);
        }
    }
    Ok(out)
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
    mut stored: HashMap<String, M>,
    names: &HashMap<String, String>,
    import_id: Uuid,
    by: Uuid,
) -> Result<Vec<(usize, Placed)>, ServiceError>
where
    M: LegacyRow + sea_orm::IntoActiveModel<M::Active>,
{
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
                let old = M::by_key(&key)
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
            let mut checked = Vec::new();
            for (i, row) in rows.into_iter().enumerate() {
                match row
                    .fields
                    .and_then(|f| check_record(state, &f, &bounds, &series))
                {
                    Ok(m) => checked.push((i, m)),
                    Err(r) => reject_row(i, r),
                }
            }
            let keys: Vec<String> = checked.iter().map(|(_, m)| m.legacy_id.clone()).collect();
            let hashes = unique(checked.iter().map(|(_, m)| m.id_card_hash.clone()));
            let names = registered_names(&txn, &hashes).await?;
            let stored = stored_records(&txn, &keys).await?;
            place_all(&txn, checked, stored, &names, import_id, by).await?
        }
        LegacyKind::Certificates => {
            let mut checked = Vec::new();
            for (i, row) in rows.into_iter().enumerate() {
                match row
                    .fields
                    .and_then(|f| check_certificate(state, &f, &bounds))
                {
                    Ok(m) => checked.push((i, m)),
                    Err(r) => reject_row(i, r),
                }
            }
            let keys: Vec<String> = checked.iter().map(|(_, m)| m.number.clone()).collect();
            let hashes = unique(checked.iter().map(|(_, m)| m.id_card_hash.clone()));
            let names = registered_names(&txn, &hashes).await?;
            let stored = stored_certificates(&txn, &keys).await?;
            place_all(&txn, checked, stored, &names, import_id, by).await?
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

fn unique(it: impl Iterator<Item = String>) -> Vec<String> {
    it.collect::<HashSet<_>>().into_iter().collect()
}

// ---------------------------------------------------------------- reading back

fn tenths(t: i32) -> f64 {
    f64::from(t) / 10.0
}

fn certificate_hours(m: &legacy_certificate::Model) -> CertificateHours {
    CertificateHours {
        public: tenths(m.public_tenths),
        professional: tenths(m.professional_tenths),
        elective: tenths(m.elective_tenths),
        total: tenths(m.public_tenths + m.professional_tenths + m.elective_tenths),
        series: vec![],
    }
}

/// A person's legacy history: for the person, an admin of the unit they
/// are bound to now, and hrss (other roles 403, other scopes 404).
pub async fn history(
    state: &AppState,
    auth: &Caller,
    person_id: Uuid,
) -> Result<LegacyHistory, ServiceError> {
    let p = crate::parties::persons::require_full_access(state, auth, person_id).await?;
    let records = legacy_record::Entity::find()
        .filter(legacy_record::Column::IdCardHash.eq(p.id_card_hash.clone()))
        .order_by_asc(legacy_record::Column::Year)
        .order_by_asc(legacy_record::Column::LegacyId)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| LegacyRecordView {
            id: m.id,
            legacy_id: m.legacy_id,
            year: m.year,
            category: RecordCategory::parse(&m.category).unwrap_or(RecordCategory::Elective),
            series: m.series_code,
            course_name: m.course_name,
            hours: tenths(m.hours_tenths),
            result: m.result,
            provider_name: m.provider_name,
            unit_name: m.unit_name,
            completed_on: m.completed_on,
            imported_at: m.imported_at,
        })
        .collect();
    let certificates = legacy_certificate::Entity::find()
        .filter(legacy_certificate::Column::IdCardHash.eq(p.id_card_hash))
        .order_by_asc(legacy_certificate::Column::Year)
        .order_by_asc(legacy_certificate::Column::Number)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| LegacyCertificateView {
            id: m.id,
            hours: certificate_hours(&m),
            number: m.number,
            year: m.year,
            unit_name: m.unit_name,
            issued_on: m.issued_on,
            imported_at: m.imported_at,
        })
        .collect();
    Ok(LegacyHistory {
        person_id: p.id,
        records,
        certificates,
    })
}

/// R-CE-3 for the old system's numbers: `None` when the number is no
/// legacy certificate's. A legacy certificate verifies as `valid` with
/// `legacy: true`.
/// The old system's certificates, as the certificates context asks.
pub struct LegacyArchive;

/// The archive there is.
pub const ARCHIVE: LegacyArchive = LegacyArchive;

impl crate::certificates::Archive for LegacyArchive {
    fn verify<'a>(
        &'a self,
        state: &'a AppState,
        number: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<Option<VerifyView>, ServiceError>> {
        Box::pin(verify(state, number))
    }

    fn holder_of<'a>(
        &'a self,
        state: &'a AppState,
        number: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<Option<(String, String)>, ServiceError>> {
        Box::pin(holder_of(state, number))
    }
}

/// The keyed hash of the ID number and the name a legacy number was
/// issued to, for a relying party's holder check.
pub async fn holder_of(
    state: &AppState,
    number: &str,
) -> Result<Option<(String, String)>, ServiceError> {
    let Ok(n) = LegacyNumber::parse(number) else {
        return Ok(None);
    };
    Ok(legacy_certificate::Entity::find()
        .filter(legacy_certificate::Column::Number.eq(n.as_ref()))
        .one(&state.db)
        .await?
        .map(|m| (m.id_card_hash, m.name)))
}

pub async fn verify(state: &AppState, number: &str) -> Result<Option<VerifyView>, ServiceError> {
    let Ok(n) = LegacyNumber::parse(number) else {
        return Ok(None);
    };
    let Some(m) = legacy_certificate::Entity::find()
        .filter(legacy_certificate::Column::Number.eq(n.as_ref()))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let issued_at = m
        .issued_on
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(SHANGHAI_OFFSET).single())
        .map(|t| t.with_timezone(&Utc));
    Ok(Some(VerifyView {
        status: CertificateStatus::Valid.as_str().into(),
        number: m.number.clone(),
        year: Some(m.year),
        hours: Some(certificate_hours(&m)),
        holder_name_masked: Some(mask_name(&m.name)),
        id_card_masked: Some(m.id_card_masked),
        issued_at,
        legacy: true,
        reason: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&'static str, &str)]) -> HashMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn headers_must_fit_the_layout() {
        // `Row` has no `Debug`: its fields hold ID numbers.
        let Err(err) = read_rows(LegacyKind::Records, b"legacy_id,id_card_no,nmae\n") else {
            panic!("accepted");
        };
        let ServiceError::Invalid { code, errors, .. } = err else {
            panic!("not invalid");
        };
        assert_eq!(code, "csv_header_invalid");
        let codes: Vec<_> = errors.iter().map(|e| e.code.as_str()).collect();
        assert!(codes.contains(&"column_unknown"));
        assert!(codes.contains(&"column_missing"));
    }

    #[test]
    fn a_bom_is_skipped_and_lines_are_counted_from_the_header() {
        let csv = "\u{FEFF}number,id_card_no,name,year,public_hours,professional_hours,elective_hours,issued_on\n\
                   A1,x,y,2016,1,2,3,2016-12-01\n\
                   A2,x\n";
        let rows = read_rows(LegacyKind::Certificates, csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert!(rows[0].fields.is_ok());
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].key.as_deref(), Some("A2"));
        assert_eq!(
            rows[1].fields.as_ref().err().map(|r| r.code),
            Some("columns_missing")
        );
    }

    #[test]
    fn gbk_is_refused_with_advice() {
        let Err(err) = read_rows(LegacyKind::Records, b"legacy_id,\xd5\xc5\n") else {
            panic!("accepted");
        };
        assert!(matches!(
            err,
            ServiceError::Invalid {
                code: "csv_encoding_invalid",
                ..
            }
        ));
    }

    #[test]
    fn years_and_hours_are_bounded() {
        let b = Bounds {
            first_year: 1990,
            last_year: 2018,
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        };
        assert_eq!(year(&fields(&[("year", "2018")]), &b), Ok(2018));
        assert_eq!(
            year(&fields(&[("year", "2019")]), &b).unwrap_err().code,
            "year_not_legacy"
        );
        assert_eq!(
            year(&fields(&[("year", "1989")]), &b).unwrap_err().code,
            "year_invalid"
        );
        assert_eq!(
            year(&fields(&[("year", "二〇一六")]), &b).unwrap_err().code,
            "year_invalid"
        );
        assert_eq!(hours(&fields(&[("hours", "0")]), "hours"), Ok(0));
        assert_eq!(hours(&fields(&[("hours", "12.5")]), "hours"), Ok(125));
        for bad in ["-1", "1000.1", "1.25", "NaN", "inf", "x"] {
            assert_eq!(
                hours(&fields(&[("hours", bad)]), "hours").unwrap_err().code,
                "hours_invalid",
                "{bad}"
            );
        }
        assert_eq!(
            hours(&fields(&[]), "hours").unwrap_err().code,
            "field_required"
        );
    }

    #[test]
    fn categories_read_codes_and_chinese_names() {
        assert_eq!(category("公需科目"), Ok(RecordCategory::Public));
        assert_eq!(category("professional"), Ok(RecordCategory::Professional));
        assert_eq!(category("选修"), Ok(RecordCategory::Elective));
        assert_eq!(category("other").unwrap_err().code, "category_invalid");
    }
}
