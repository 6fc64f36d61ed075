//! The ledger's answers on the wire: records, standing, policies.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::compliance::{ComplianceStatus, ExemptReason, InitialTrainingStatus};
use crate::domain::record::{RecordCategory, RecordSource, RecordStatus};
use crate::ledger::{compliance, policies, records};
use crate::routes::views::review::ReviewView;

/// A record of hours.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordView {
    pub id: Uuid,
    pub person_id: Uuid,
    /// The declared year (申报年度) the hours count for.
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    pub category: RecordCategory,
    /// Series code; `null` for public subjects.
    #[schema(max_length = 64)]
    pub series: Option<String>,
    #[schema(max_length = 200)]
    pub course_name: String,
    #[schema(minimum = 0, maximum = 10000)]
    pub hours: f64,
    /// Assessment result (考核结果).
    #[schema(max_length = 100)]
    pub result: Option<String>,
    pub source: RecordSource,
    pub provider_id: Option<Uuid>,
    /// Who ran the training.
    #[schema(max_length = 100)]
    pub provider_name: Option<String>,
    /// The class that created the record (source `class_closure`).
    pub class_id: Option<Uuid>,
    /// The unit that reviews the record; `null` while the person has no
    /// unit: the record waits as `pending_unit_review` and goes to the unit
    /// the person binds to next. `null` too when an authority reviews it
    /// (`authority_id`).
    pub unit_id: Option<Uuid>,
    /// The authority that reviews the record instead of the unit: the
    /// district finance department (an authority of the accounting series)
    /// of the person's region for an accounting conversion they applied
    /// for (R-ACC-4), or the education or health authority of their series
    /// and region for what a person of those series declares (R-RC-10).
    /// Its `pending_unit_review` means: waiting for that authority.
    pub authority_id: Option<Uuid>,
    /// When a related exam's results were published (R-ACC-5).
    pub results_published_on: Option<NaiveDate>,
    /// Hours of archives initial training (初任培训, R-ARC-1).
    #[serde(default)]
    pub initial_training: bool,
    pub status: RecordStatus,
    /// The platform that pushed the record; `null` for records of other
    /// sources.
    pub platform_id: Option<Uuid>,
    /// The pushing platform's own id of the item (`external_id` of the
    /// push).
    #[schema(max_length = 128, example = "course-42/user-7")]
    pub external_id: Option<String>,
    /// The conversion form of a `conversion` record (R-RC-7, R-ACC-2).
    #[schema(max_length = 64)]
    pub conversion_code: Option<String>,
    /// A general-knowledge subject (R-ACC-1).
    pub general_knowledge: bool,
    /// hrss's reason when it found the record untruthful (status
    /// `invalidated`, R-RC-12); `null` otherwise.
    #[schema(max_length = 500)]
    pub invalidated_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<records::Record> for RecordView {
    fn from(v: records::Record) -> Self {
        Self {
            id: v.id,
            person_id: v.person_id,
            year: v.year,
            category: v.category,
            series: v.series,
            course_name: v.course_name,
            hours: v.hours,
            result: v.result,
            source: v.source,
            provider_id: v.provider_id,
            provider_name: v.provider_name,
            class_id: v.class_id,
            unit_id: v.unit_id,
            authority_id: v.authority_id,
            results_published_on: v.results_published_on,
            initial_training: v.initial_training,
            status: v.status,
            platform_id: v.platform_id,
            external_id: v.external_id,
            conversion_code: v.conversion_code,
            general_knowledge: v.general_knowledge,
            invalidated_reason: v.invalidated_reason,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// A page of records.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordPage {
    pub items: Vec<RecordView>,
    pub next_cursor: Option<String>,
}

impl From<records::RecordPage> for RecordPage {
    fn from(v: records::RecordPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// A record with its review history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordDetail {
    pub record: RecordView,
    /// The unit's decisions, oldest first.
    pub reviews: Vec<ReviewView>,
}

impl From<records::RecordDetail> for RecordDetail {
    fn from(v: records::RecordDetail) -> Self {
        Self {
            record: v.record.into(),
            reviews: v.reviews.into_iter().map(Into::into).collect(),
        }
    }
}

/// Hours of one line (one decimal place).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LineView {
    #[schema(minimum = 0)]
    pub required: f64,
    /// Approved by the unit (or arrived recognised).
    #[schema(minimum = 0)]
    pub approved: f64,
    /// Waiting for the unit: not counted yet.
    #[schema(minimum = 0)]
    pub pending: f64,
    /// Still to earn: required − approved, never below 0.
    #[schema(minimum = 0)]
    pub missing: f64,
}

impl From<compliance::LineHours> for LineView {
    fn from(v: compliance::LineHours) -> Self {
        Self {
            required: v.required,
            approved: v.approved,
            pending: v.pending,
            missing: v.missing,
        }
    }
}

/// One series' professional line (R-REQ-3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SeriesLine {
    #[schema(max_length = 64)]
    pub series: String,
    #[schema(minimum = 0)]
    pub required: f64,
    #[schema(minimum = 0)]
    pub approved: f64,
    #[schema(minimum = 0)]
    pub pending: f64,
    /// Still to earn, counting a general-knowledge shortfall too.
    #[schema(minimum = 0)]
    pub missing: f64,
    /// Of the professional hours, how many must be general-knowledge
    /// subjects (R-ACC-1; 0 where the policy asks for none).
    #[schema(minimum = 0)]
    pub general_knowledge_required: f64,
    #[schema(minimum = 0)]
    pub general_knowledge_approved: f64,
}

impl From<compliance::SeriesLine> for SeriesLine {
    fn from(v: compliance::SeriesLine) -> Self {
        Self {
            series: v.series,
            required: v.required,
            approved: v.approved,
            pending: v.pending,
            missing: v.missing,
            general_knowledge_required: v.general_knowledge_required,
            general_knowledge_approved: v.general_knowledge_approved,
        }
    }
}

/// The three categories.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryLines {
    pub public: LineView,
    pub professional: LineView,
    pub elective: LineView,
}

impl From<compliance::CategoryLines> for CategoryLines {
    fn from(v: compliance::CategoryLines) -> Self {
        Self {
            public: v.public.into(),
            professional: v.professional.into(),
            elective: v.elective.into(),
        }
    }
}

/// A person's standing in a year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComplianceView {
    pub person_id: Uuid,
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    /// Every category and series has its approved minimum.
    pub complete: bool,
    /// The year's verdict: `complete`, `incomplete`, or `exempt` — nothing
    /// is owed (`exempt_reason`, R-ACC-6): not complete, nothing missing,
    /// no certificate.
    pub status: ComplianceStatus,
    /// Why nothing is owed: `duty_not_started` (accounting duty starts the
    /// year after the qualification or first accounting job) or `studying`
    /// (a student with a junior title owes nothing while studying).
    pub exempt_reason: Option<ExemptReason>,
    /// Archives initial training (初任培训, R-ARC-1), shown to a person
    /// without an archives degree in the calendar years of their first
    /// year in the post.
    pub initial_training: Option<InitialTrainingView>,
    pub categories: CategoryLines,
    /// Professional hours per series held that year; empty when none is
    /// declared (then the general minimum applies to all professional hours).
    pub series: Vec<SeriesLine>,
}

/// Archives initial training in the first year in the post (R-ARC-1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InitialTrainingView {
    #[schema(max_length = 64, example = "archives")]
    pub series: String,
    /// The first day in the post.
    pub started_on: NaiveDate,
    /// The last day of the first year in the post.
    pub due_by: NaiveDate,
    /// Hours of archives professional subjects asked for: 80.
    #[schema(minimum = 0, maximum = 10000)]
    pub required: f64,
    /// Approved hours declared as initial training, over the calendar
    /// years the first year spans.
    #[schema(minimum = 0, maximum = 100000)]
    pub approved: f64,
    #[schema(minimum = 0, maximum = 100000)]
    pub pending: f64,
    /// `met`, `due` (still possible until `due_by`) or `not_met`.
    pub status: InitialTrainingStatus,
}

impl From<compliance::InitialTraining> for InitialTrainingView {
    fn from(v: compliance::InitialTraining) -> Self {
        Self {
            series: v.series,
            started_on: v.started_on,
            due_by: v.due_by,
            required: v.required,
            approved: v.approved,
            pending: v.pending,
            status: v.status,
        }
    }
}

impl From<compliance::Compliance> for ComplianceView {
    fn from(v: compliance::Compliance) -> Self {
        Self {
            person_id: v.person_id,
            year: v.year,
            complete: v.complete,
            status: v.status,
            exempt_reason: v.exempt_reason,
            initial_training: v.initial_training.map(Into::into),
            categories: v.categories.into(),
            series: v.series.into_iter().map(Into::into).collect(),
        }
    }
}

/// One person of the unit's list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitComplianceItem {
    /// The person (also `standing.person_id`).
    pub person_id: Uuid,
    #[schema(max_length = 50)]
    pub person_name: String,
    /// Missing hours over all categories and series.
    #[schema(minimum = 0)]
    pub missing: f64,
    pub standing: ComplianceView,
}

impl From<compliance::UnitComplianceItem> for UnitComplianceItem {
    fn from(v: compliance::UnitComplianceItem) -> Self {
        Self {
            person_id: v.standing.person_id,
            person_name: v.person_name,
            missing: v.missing,
            standing: v.standing.into(),
        }
    }
}

/// A page of the unit's persons and their standing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnitCompliancePage {
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    pub items: Vec<UnitComplianceItem>,
    /// The last person of this page; pass it as `cursor` for the next.
    pub next_cursor: Option<String>,
}

impl From<compliance::UnitCompliancePage> for UnitCompliancePage {
    fn from(v: compliance::UnitCompliancePage) -> Self {
        Self {
            year: v.year,
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// The minimum hours of one group (whole hours).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupRequirement {
    /// The sum of the three categories (R-REQ-2: the total follows from the
    /// parts, each at most 1,000).
    #[schema(minimum = 0, maximum = 3000)]
    pub total_min: u32,
    #[schema(minimum = 0, maximum = 1000)]
    pub public_min: u32,
    /// Per series held (R-REQ-3).
    #[schema(minimum = 0, maximum = 1000)]
    pub professional_min: u32,
    #[schema(minimum = 0, maximum = 1000)]
    pub elective_min: u32,
    /// Of the professional hours, at least this many in general-knowledge
    /// subjects (R-ACC-1).
    #[schema(minimum = 0, maximum = 1000)]
    pub professional_general_knowledge_min: u32,
    /// The year this rule took effect (it applies until a later one).
    #[schema(minimum = 2017, maximum = 2100)]
    pub effective_year: i32,
}

impl From<policies::GroupRequirement> for GroupRequirement {
    fn from(v: policies::GroupRequirement) -> Self {
        Self {
            total_min: v.total_min,
            public_min: v.public_min,
            professional_min: v.professional_min,
            elective_min: v.elective_min,
            professional_general_knowledge_min: v.professional_general_knowledge_min,
            effective_year: v.effective_year,
        }
    }
}

/// The requirement per group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyGroups {
    pub general: GroupRequirement,
    pub accounting: GroupRequirement,
    pub archives: GroupRequirement,
}

impl From<policies::PolicyGroups> for PolicyGroups {
    fn from(v: policies::PolicyGroups) -> Self {
        Self {
            general: v.general.into(),
            accounting: v.accounting.into(),
            archives: v.archives.into(),
        }
    }
}

/// A public-subject topic of the year (R-RC-8).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicTopic {
    #[schema(min_length = 1, max_length = 100, example = "中国式现代化")]
    pub topic: String,
    /// Hours of this topic that complete the year's public requirement.
    #[schema(minimum = 1, maximum = 1000, example = 30)]
    pub hours_to_complete: u32,
}

impl From<policies::PublicTopic> for PublicTopic {
    fn from(v: policies::PublicTopic) -> Self {
        Self {
            topic: v.topic,
            hours_to_complete: v.hours_to_complete,
        }
    }
}

/// The policy in force for a year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyView {
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    pub groups: PolicyGroups,
    pub public_topics: Vec<PublicTopic>,
    /// The last day public hours of the year are received (R-RC-8): after
    /// it the year's courses are offline and its public hours are refused
    /// whatever their completion date. The published one, or the default
    /// (`GET /policies/defaults`).
    pub public_deadline: Option<NaiveDate>,
    /// Whether `public_deadline` was published for the year (else it is
    /// the default).
    pub public_deadline_published: bool,
}

impl From<policies::YearPolicy> for PolicyView {
    fn from(v: policies::YearPolicy) -> Self {
        Self {
            year: v.year,
            groups: v.groups.into(),
            public_topics: v.public_topics.into_iter().map(Into::into).collect(),
            public_deadline: v.public_deadline,
            public_deadline_published: v.public_deadline_published,
        }
    }
}

/// What hrss keeps across years.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyDefaultsView {
    /// `MM-DD` of the next year: the public deadline of a year that has
    /// none published (R-RC-8). Default `04-30`, as the 2023 guide's.
    #[schema(
        min_length = 5,
        max_length = 5,
        pattern = r"^((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))$",
        example = "04-30"
    )]
    pub default_public_deadline: String,
}

impl From<policies::PolicyDefaults> for PolicyDefaultsView {
    fn from(v: policies::PolicyDefaults) -> Self {
        Self {
            default_public_deadline: v.default_public_deadline,
        }
    }
}
