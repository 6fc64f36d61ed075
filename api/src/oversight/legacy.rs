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
//!
//! [`read`] reads a CSV and checks its rows (no database); [`import`]
//! places them; this file has the kinds, the views, the reading back and
//! the verification of legacy certificates.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use ce_entity::{legacy_certificate, legacy_record};

use crate::auth::Caller;
use crate::certificates::{CertificateHours, Verification, mask_name};
use crate::domain::certificate::CertificateStatus;
use crate::domain::legacy::LegacyNumber;
use crate::domain::record::RecordCategory;
use crate::domain::year::SHANGHAI_OFFSET;
use crate::error::ServiceError;
use crate::state::AppState;

mod import;
mod read;

pub use import::{import, require_importer};

/// The most data rows one import may carry (413 beyond).
pub const MAX_ROWS: usize = 10_000;

pub use crate::domain::legacy::LegacyKind;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// The row's `legacy_id` or `number`, when it had one.
    pub key: Option<String>,
    /// Why: `columns_missing`, `columns_extra`, `row_unreadable`,
    /// `field_required`, `legacy_id_invalid`, `certificate_number_invalid`,
    /// `number_reserved` (reads as a current number), `id_card_invalid`,
    /// `name_invalid`, `name_mismatch` (a registered person has this ID
    /// number and another name), `year_invalid`, `year_not_legacy` (after
    /// `legacy.last_year`), `category_invalid`, `series_required`,
    /// `series_unknown`, `hours_invalid`, `date_invalid`, `text_invalid`,
    /// `conflict` (the key was imported before with other content).
    pub code: String,
    pub detail: String,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct LegacyImportReport {
    /// Stored on every row this import added.
    pub import_id: Uuid,
    pub kind: LegacyKind,
    /// Data rows read (the header not counted).
    pub rows: u32,
    /// Rows added now.
    pub imported: u32,
    /// Rows imported before with the same content: nothing changed.
    pub unchanged: u32,
    pub rejected: u32,
    /// Every rejected row, in file order.
    pub rejections: Vec<RejectedRow>,
}

/// A legacy record, as its holder and their unit see it.
#[derive(Debug, Clone)]
pub struct LegacyRecord {
    pub id: Uuid,
    /// The old system's id of the record.
    pub legacy_id: String,
    pub year: i32,
    pub category: RecordCategory,
    pub series: Option<String>,
    pub course_name: String,
    pub hours: f64,
    pub result: Option<String>,
    pub provider_name: Option<String>,
    /// The unit the old system had the person with.
    pub unit_name: Option<String>,
    pub completed_on: Option<NaiveDate>,
    pub imported_at: DateTime<Utc>,
}

/// A legacy certificate, as its holder and their unit see it.
#[derive(Debug, Clone)]
pub struct LegacyCertificate {
    pub id: Uuid,
    /// The number as the old system printed it; `GET /verify/{number}`
    /// checks it.
    pub number: String,
    pub year: i32,
    pub hours: CertificateHours,
    pub unit_name: Option<String>,
    pub issued_on: NaiveDate,
    pub imported_at: DateTime<Utc>,
}

/// A person's history from the old system, oldest year first.
#[derive(Debug, Clone)]
pub struct LegacyHistory {
    pub person_id: Uuid,
    pub records: Vec<LegacyRecord>,
    pub certificates: Vec<LegacyCertificate>,
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
        .map(|m| LegacyRecord {
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
        .map(|m| LegacyCertificate {
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
    ) -> futures_util::future::BoxFuture<'a, Result<Option<Verification>, ServiceError>> {
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

pub async fn verify(state: &AppState, number: &str) -> Result<Option<Verification>, ServiceError> {
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
    Ok(Some(Verification {
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
