//! Oversight on the wire: the audit trail, credit findings, notices,
//! statistics, legacy imports and histories.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::ActorType;
use crate::auth::Role;
use crate::domain::audit_chain::ChainBreakKind;
use crate::domain::legacy::LegacyKind;
use crate::domain::oversight::{GroupBy, NoticeKind, Severity, SubjectType};
use crate::domain::record::RecordCategory;
use crate::oversight::{audit_events, credit, legacy, notices, personal_data, statistics};
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

/// The grant an actor used.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsedGrant {
    pub role: Role,
    /// The person, unit, provider, authority or platform it is held for;
    /// `null` for hrss.
    pub scope_id: Option<Uuid>,
}

impl From<audit_events::UsedGrant> for UsedGrant {
    fn from(v: audit_events::UsedGrant) -> Self {
        Self {
            role: v.role,
            scope_id: v.scope_id,
        }
    }
}

/// One change of state, as it was kept.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The `X-Request-Id` of the request that made the change.
    #[schema(max_length = 64)]
    pub request_id: Option<String>,
    /// Method and route of the operation, e.g. `POST /api/v1/records/{id}/review`.
    #[schema(max_length = 200)]
    pub operation: Option<String>,
    pub actor_type: ActorType,
    /// The account, or the platform for platform tokens.
    pub actor_id: Option<Uuid>,
    /// The grant the authorization check used.
    pub grant: Option<UsedGrant>,
    /// What kind of entity changed: `record`, `binding`, `certificate`, …
    #[schema(max_length = 40, example = "record")]
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    /// What happened to it: `declared`, `reviewed`, `issued`, `logged_in`, …
    #[schema(max_length = 60, example = "reviewed")]
    pub action: String,
    /// A summary of the entity before (absent for creations). Never a full
    /// ID number, a password or a secret.
    pub before: Option<Value>,
    /// A summary of the entity after.
    pub after: Option<Value>,
    /// The person whose entity it is.
    pub person_id: Option<Uuid>,
    /// The unit whose entity it is.
    pub unit_id: Option<Uuid>,
}

impl From<audit_events::AuditEvent> for AuditEventView {
    fn from(v: audit_events::AuditEvent) -> Self {
        Self {
            id: v.id,
            occurred_at: v.occurred_at,
            request_id: v.request_id,
            operation: v.operation,
            actor_type: v.actor_type,
            actor_id: v.actor_id,
            grant: v.grant.map(Into::into),
            entity_type: v.entity_type,
            entity_id: v.entity_id,
            action: v.action,
            before: v.before,
            after: v.after,
            person_id: v.person_id,
            unit_id: v.unit_id,
        }
    }
}

/// A page of audit events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEventPage {
    pub items: Vec<AuditEventView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

impl From<audit_events::AuditEventPage> for AuditEventPage {
    fn from(v: audit_events::AuditEventPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// A finding, as its subject and the supervisors see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreditRecordView {
    pub id: Uuid,
    pub subject_type: SubjectType,
    pub subject_id: Uuid,
    #[schema(max_length = 200)]
    pub subject_name: String,
    #[schema(max_length = 1000)]
    pub reason: String,
    /// The rule broken, e.g. `条例 第二十七条`.
    #[schema(max_length = 200)]
    pub rule: String,
    pub severity: Severity,
    pub attachment_ids: Vec<Uuid>,
    pub found_on: NaiveDate,
    /// The last day it counts; none: until lifted.
    pub expires_on: Option<NaiveDate>,
    pub published: bool,
    /// The authority that recorded it; none: hrss.
    pub authority_id: Option<Uuid>,
    pub created_at: chrono::DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<credit::CreditRecord> for CreditRecordView {
    fn from(v: credit::CreditRecord) -> Self {
        Self {
            id: v.id,
            subject_type: v.subject_type,
            subject_id: v.subject_id,
            subject_name: v.subject_name,
            reason: v.reason,
            rule: v.rule,
            severity: v.severity,
            attachment_ids: v.attachment_ids,
            found_on: v.found_on,
            expires_on: v.expires_on,
            published: v.published,
            authority_id: v.authority_id,
            created_at: v.created_at,
            version: v.version,
        }
    }
}

/// A published finding on an organisation, as the public sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicCreditView {
    pub id: Uuid,
    /// `unit`, `provider` or `platform`: findings on persons are never
    /// public.
    pub subject_type: SubjectType,
    pub subject_id: Uuid,
    #[schema(max_length = 200)]
    pub subject_name: String,
    #[schema(max_length = 1000)]
    pub reason: String,
    #[schema(max_length = 200)]
    pub rule: String,
    pub severity: Severity,
    pub found_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
}

impl From<credit::PublicCredit> for PublicCreditView {
    fn from(v: credit::PublicCredit) -> Self {
        Self {
            id: v.id,
            subject_type: v.subject_type,
            subject_id: v.subject_id,
            subject_name: v.subject_name,
            reason: v.reason,
            rule: v.rule,
            severity: v.severity,
            found_on: v.found_on,
            expires_on: v.expires_on,
        }
    }
}

/// A page of findings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreditRecordPage {
    pub items: Vec<CreditRecordView>,
    pub next_cursor: Option<String>,
}

impl From<credit::CreditRecordPage> for CreditRecordPage {
    fn from(v: credit::CreditRecordPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// A page of public findings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicCreditPage {
    pub items: Vec<PublicCreditView>,
    pub next_cursor: Option<String>,
}

impl From<credit::PublicCreditPage> for PublicCreditPage {
    fn from(v: credit::PublicCreditPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// A published notice or policy document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoticeView {
    pub id: Uuid,
    pub kind: NoticeKind,
    #[schema(max_length = 200)]
    pub title: String,
    #[schema(max_length = 20000)]
    pub body: String,
    /// Download each at `/notices/{id}/attachments/{attachment_id}`.
    pub attachment_ids: Vec<Uuid>,
    pub published_at: DateTime<Utc>,
}

impl From<notices::Notice> for NoticeView {
    fn from(v: notices::Notice) -> Self {
        Self {
            id: v.id,
            kind: v.kind,
            title: v.title,
            body: v.body,
            attachment_ids: v.attachment_ids,
            published_at: v.published_at,
        }
    }
}

/// A page of notices.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoticePage {
    pub items: Vec<NoticeView>,
    pub next_cursor: Option<String>,
}

impl From<notices::NoticePage> for NoticePage {
    fn from(v: notices::NoticePage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// Approved hours per category (one decimal place).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryHours {
    #[schema(minimum = 0)]
    pub public: f64,
    #[schema(minimum = 0)]
    pub professional: f64,
    #[schema(minimum = 0)]
    pub elective: f64,
}

impl From<statistics::CategoryHours> for CategoryHours {
    fn from(v: statistics::CategoryHours) -> Self {
        Self {
            public: v.public,
            professional: v.professional,
            elective: v.elective,
        }
    }
}

/// One group's figures.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatisticsGroup {
    /// The series code, unit id or six-digit region code; `null` for the
    /// persons holding no series (or bound to no unit) that year.
    #[schema(max_length = 64)]
    pub key: Option<String>,
    /// The series' or unit's name; `null` for regions and the `null` group.
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(minimum = 0)]
    pub persons: i64,
    /// Persons whose year is complete (R-REQ-2, R-REQ-3).
    #[schema(minimum = 0)]
    pub persons_complete: i64,
    /// Persons whose year owes nothing (R-ACC-6: accounting duty not yet
    /// started, or studying): neither complete nor behind; no certificate.
    #[schema(minimum = 0)]
    pub persons_exempt: i64,
    /// Approved hours of the year (records' hours as declared; the
    /// calculator's 72-hour cap on degree education applies to completion
    /// only).
    pub approved_hours: CategoryHours,
    /// Valid (not superseded or revoked) certificates of the year.
    #[schema(minimum = 0)]
    pub valid_certificates: i64,
}

impl From<statistics::StatisticsGroup> for StatisticsGroup {
    fn from(v: statistics::StatisticsGroup) -> Self {
        Self {
            key: v.key,
            name: v.name,
            persons: v.persons,
            persons_complete: v.persons_complete,
            persons_exempt: v.persons_exempt,
            approved_hours: v.approved_hours.into(),
            valid_certificates: v.valid_certificates,
        }
    }
}

/// The statistics of a year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatisticsView {
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    pub group_by: GroupBy,
    /// Ordered by key, the `null` group last.
    pub groups: Vec<StatisticsGroup>,
}

impl From<statistics::Statistics> for StatisticsView {
    fn from(v: statistics::Statistics) -> Self {
        Self {
            year: v.year,
            group_by: v.group_by,
            groups: v.groups.into_iter().map(Into::into).collect(),
        }
    }
}

/// A record found untruthful (R-RC-12) and what followed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UntruthfulView {
    /// The record, now `invalidated` with hrss's reason.
    pub record: crate::routes::views::ledger::RecordView,
    /// The finding against whoever recorded it: the person (declared or
    /// converted), the platform (pushed), or the provider or unit that ran
    /// the class; `null` for a class an industry authority ran itself.
    pub credit_record: Option<CreditRecordView>,
    /// The certificates revoked because their year is no longer complete
    /// without it (reason `record_untruthful`).
    pub revoked_certificates: Vec<Uuid>,
}

impl From<crate::oversight::untruthful::Untruthful> for UntruthfulView {
    fn from(v: crate::oversight::untruthful::Untruthful) -> Self {
        Self {
            record: v.record.into(),
            credit_record: v.credit_record.map(Into::into),
            revoked_certificates: v.revoked_certificates,
        }
    }
}

/// A person's copy of their own data (PIPL 第四十五条).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonalDataView {
    /// When the document was made.
    pub generated_at: DateTime<Utc>,
    /// The profile, with the person's own ID and phone numbers in clear.
    pub person: crate::routes::views::parties::PersonView,
    /// Every record of the person, oldest first.
    #[schema(max_items = 10000)]
    pub records: Vec<crate::routes::views::ledger::RecordView>,
    /// Every certificate of the person, superseded and revoked ones too.
    #[schema(max_items = 10000)]
    pub certificates: Vec<crate::routes::views::certificates::CertificateView>,
    /// The credit records about the person, published or not.
    #[schema(max_items = 10000)]
    pub credit_records: Vec<CreditRecordView>,
    /// The audit events about the person, oldest first (their own
    /// sign-ins and exports, and every change to their entities).
    #[schema(max_items = 10000)]
    pub audit_events: Vec<AuditEventView>,
    /// The parts cut at 10,000 items (`records`, `certificates`,
    /// `credit_records`, `audit_events`); empty when the document is whole.
    pub truncated: Vec<String>,
}

impl From<personal_data::PersonalData> for PersonalDataView {
    fn from(v: personal_data::PersonalData) -> Self {
        Self {
            generated_at: v.generated_at,
            person: v.person.into(),
            records: v.records.into_iter().map(Into::into).collect(),
            certificates: v.certificates.into_iter().map(Into::into).collect(),
            credit_records: v.credit_records.into_iter().map(Into::into).collect(),
            audit_events: v.audit_events.into_iter().map(Into::into).collect(),
            truncated: v.truncated.into_iter().map(String::from).collect(),
        }
    }
}

/// The first broken or missing link of the audit chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditChainBreak {
    /// The place in the chain.
    #[schema(minimum = 1, example = 1042)]
    pub seq: i64,
    /// The event at that place; for `missing`, the first event after the
    /// gap (`null` when the chain's end is gone).
    pub event_id: Option<Uuid>,
    pub kind: ChainBreakKind,
}

/// What a walk of the audit chain found.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditChainReport {
    /// Sealed events whose links verified, from the first place up to the
    /// first break.
    #[schema(minimum = 0, example = 1041)]
    pub checked: u64,
    /// The last place sealed.
    #[schema(minimum = 0, example = 1200)]
    pub sealed_up_to: i64,
    /// Events written but not sealed yet (sealed within
    /// `audit.seal_interval_ms`).
    #[schema(minimum = 0, example = 3)]
    pub unsealed: u64,
    /// `null` when every link verified.
    pub first_break: Option<AuditChainBreak>,
}

impl From<crate::audit::chain::ChainReport> for AuditChainReport {
    fn from(v: crate::audit::chain::ChainReport) -> Self {
        Self {
            checked: v.checked,
            sealed_up_to: v.sealed_up_to,
            unsealed: v.unsealed,
            first_break: v.first_break.map(|b| AuditChainBreak {
                seq: b.seq,
                event_id: b.event_id,
                kind: b.kind,
            }),
        }
    }
}
