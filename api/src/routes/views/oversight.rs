//! Oversight on the wire: legacy imports and histories.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::legacy::LegacyKind;
use crate::domain::record::RecordCategory;
use crate::oversight::legacy;
use crate::routes::views::certificates::CertificateHours;

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

impl From<legacy::RejectedRow> for RejectedRow {
    fn from(v: legacy::RejectedRow) -> Self {
        Self {
            line: v.line,
            key: v.key,
            code: v.code,
            detail: v.detail,
        }
    }
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

impl From<legacy::LegacyImportReport> for LegacyImportReport {
    fn from(v: legacy::LegacyImportReport) -> Self {
        Self {
            import_id: v.import_id,
            kind: v.kind,
            rows: v.rows,
            imported: v.imported,
            unchanged: v.unchanged,
            rejected: v.rejected,
            rejections: v.rejections.into_iter().map(Into::into).collect(),
        }
    }
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

impl From<legacy::LegacyRecord> for LegacyRecordView {
    fn from(v: legacy::LegacyRecord) -> Self {
        Self {
            id: v.id,
            legacy_id: v.legacy_id,
            year: v.year,
            category: v.category,
            series: v.series,
            course_name: v.course_name,
            hours: v.hours,
            result: v.result,
            provider_name: v.provider_name,
            unit_name: v.unit_name,
            completed_on: v.completed_on,
            imported_at: v.imported_at,
        }
    }
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

impl From<legacy::LegacyCertificate> for LegacyCertificateView {
    fn from(v: legacy::LegacyCertificate) -> Self {
        Self {
            id: v.id,
            number: v.number,
            year: v.year,
            hours: v.hours.into(),
            unit_name: v.unit_name,
            issued_on: v.issued_on,
            imported_at: v.imported_at,
        }
    }
}

/// A person's history from the old system, oldest year first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LegacyHistory {
    pub person_id: Uuid,
    pub records: Vec<LegacyRecordView>,
    pub certificates: Vec<LegacyCertificateView>,
}

impl From<legacy::LegacyHistory> for LegacyHistory {
    fn from(v: legacy::LegacyHistory) -> Self {
        Self {
            person_id: v.person_id,
            records: v.records.into_iter().map(Into::into).collect(),
            certificates: v.certificates.into_iter().map(Into::into).collect(),
        }
    }
}
