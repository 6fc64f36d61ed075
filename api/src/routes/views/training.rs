//! Training's answers on the wire: course plans, the catalogue, classes and
//! enrollments.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::authority::AuthorityLevel;
use crate::domain::class::{ClassMode, ClassStatus, EnrollmentStatus};
use crate::domain::plan::{OwnerType, PlanStatus};
use crate::routes::views::review::ReviewView;
use crate::training::{catalogue, classes, plans};

/// A course plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    pub owner_type: OwnerType,
    pub owner_id: Uuid,
    /// Set when a provider owns the plan.
    pub provider_id: Option<Uuid>,
    /// Set when a unit owns the plan.
    pub unit_id: Option<Uuid>,
    /// Set when an authority owns the plan (R-AU-3).
    pub authority_id: Option<Uuid>,
    /// Series code.
    #[schema(max_length = 64)]
    pub series: String,
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    /// A course of the year's catalogue for the series (R-CP-2).
    #[schema(max_length = 200)]
    pub course_name: String,
    /// Six-digit division code the plan is run in; it chooses the reviewer.
    #[schema(min_length = 6, max_length = 6, example = "440100")]
    pub region: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// The authority the plan was submitted to; `null` while a draft.
    pub reviewer_authority_id: Option<Uuid>,
    pub status: PlanStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    /// When hrss filed the approved plan (备案, R-CP-5); `null` until then.
    /// Only classes of a filed plan close and credit their learners' hours.
    pub filed_at: Option<DateTime<Utc>>,
    /// The hrss account that filed it.
    pub filed_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<plans::Plan> for PlanView {
    fn from(v: plans::Plan) -> Self {
        Self {
            id: v.id,
            owner_type: v.owner_type,
            owner_id: v.owner_id,
            provider_id: v.provider_id,
            unit_id: v.unit_id,
            authority_id: v.authority_id,
            series: v.series,
            year: v.year,
            course_name: v.course_name,
            region: v.region,
            description: v.description,
            reviewer_authority_id: v.reviewer_authority_id,
            status: v.status,
            submitted_at: v.submitted_at,
            filed_at: v.filed_at,
            filed_by: v.filed_by,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// A plan with its review history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanDetail {
    pub plan: PlanView,
    /// Decisions, oldest first.
    pub reviews: Vec<ReviewView>,
}

impl From<plans::PlanDetail> for PlanDetail {
    fn from(v: plans::PlanDetail) -> Self {
        Self {
            plan: v.plan.into(),
            reviews: v.reviews.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page of plans.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanPage {
    pub items: Vec<PlanView>,
    pub next_cursor: Option<String>,
}

impl From<plans::PlanPage> for PlanPage {
    fn from(v: plans::PlanPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// A course of the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CourseView {
    pub id: Uuid,
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    /// Series code.
    #[schema(max_length = 64)]
    pub series: String,
    #[schema(max_length = 200)]
    pub name: String,
    /// Always `professional`: the catalogue lists professional subjects.
    #[schema(example = "professional")]
    pub category: String,
    /// Suggested hours.
    #[schema(minimum = 0, maximum = 10000)]
    pub hours: Option<f64>,
    /// Level of the publishing authority.
    pub level: AuthorityLevel,
    pub authority_id: Uuid,
    pub created_at: chrono::DateTime<Utc>,
}

impl From<catalogue::Course> for CourseView {
    fn from(v: catalogue::Course) -> Self {
        Self {
            id: v.id,
            year: v.year,
            series: v.series,
            name: v.name,
            category: v.category,
            hours: v.hours,
            level: v.level,
            authority_id: v.authority_id,
            created_at: v.created_at,
        }
    }
}

/// A page of courses.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CoursePage {
    pub items: Vec<CourseView>,
    pub next_cursor: Option<String>,
}

impl From<catalogue::CoursePage> for CoursePage {
    fn from(v: catalogue::CoursePage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// A class with its capacity and enrolled count (R-CP-4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClassView {
    pub id: Uuid,
    pub plan_id: Uuid,
    /// The plan's series.
    #[schema(max_length = 64)]
    pub series: String,
    /// The plan's year: the year the hours count for.
    #[schema(minimum = 2017, maximum = 2100)]
    pub year: i32,
    /// The plan's course: the course name of the learners' records.
    #[schema(max_length = 200)]
    pub course_name: String,
    pub owner_type: OwnerType,
    pub owner_id: Uuid,
    /// Set when a provider runs the class.
    pub provider_id: Option<Uuid>,
    #[schema(max_length = 200)]
    pub name: String,
    pub mode: ClassMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Hours each learner who passes receives.
    #[schema(minimum = 0.1, maximum = 10000)]
    pub hours: f64,
    /// 拟招人数.
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: i32,
    /// 已报名人数: pending and accepted enrolments.
    #[schema(minimum = 0, maximum = 100000)]
    pub enrolled_count: i32,
    #[schema(max_length = 200)]
    pub venue: Option<String>,
    #[schema(max_length = 2000)]
    pub content: Option<String>,
    pub teacher_ids: Vec<Uuid>,
    pub head_teacher_id: Option<Uuid>,
    pub status: ClassStatus,
    /// Whether the plan is approved, so the class may take enrolments.
    pub plan_approved: bool,
    /// Whether hrss filed the plan (备案, R-CP-5): only then does closing
    /// credit the learners' hours.
    pub plan_filed: bool,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<classes::Class> for ClassView {
    fn from(v: classes::Class) -> Self {
        Self {
            id: v.id,
            plan_id: v.plan_id,
            series: v.series,
            year: v.year,
            course_name: v.course_name,
            owner_type: v.owner_type,
            owner_id: v.owner_id,
            provider_id: v.provider_id,
            name: v.name,
            mode: v.mode,
            start_date: v.start_date,
            end_date: v.end_date,
            hours: v.hours,
            capacity: v.capacity,
            enrolled_count: v.enrolled_count,
            venue: v.venue,
            content: v.content,
            teacher_ids: v.teacher_ids,
            head_teacher_id: v.head_teacher_id,
            status: v.status,
            plan_approved: v.plan_approved,
            plan_filed: v.plan_filed,
            closed_at: v.closed_at,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// A page of classes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClassPage {
    pub items: Vec<ClassView>,
    pub next_cursor: Option<String>,
}

impl From<classes::ClassPage> for ClassPage {
    fn from(v: classes::ClassPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}

/// An enrolment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentView {
    pub id: Uuid,
    pub class_id: Uuid,
    pub person_id: Uuid,
    /// The learner's name (for the class owner's review).
    #[schema(max_length = 50)]
    pub person_name: String,
    pub status: EnrollmentStatus,
    /// Assessment score, entered while the class is open.
    #[schema(minimum = 0, maximum = 100)]
    pub score: Option<i32>,
    /// Whether the learner passed; only those who passed get a record.
    pub passed: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub version: i32,
}

impl From<classes::Enrollment> for EnrollmentView {
    fn from(v: classes::Enrollment) -> Self {
        Self {
            id: v.id,
            class_id: v.class_id,
            person_id: v.person_id,
            person_name: v.person_name,
            status: v.status,
            score: v.score,
            passed: v.passed,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

/// A page of enrolments.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentPage {
    pub items: Vec<EnrollmentView>,
    pub next_cursor: Option<String>,
}

impl From<classes::EnrollmentPage> for EnrollmentPage {
    fn from(v: classes::EnrollmentPage) -> Self {
        Self {
            items: v.items.into_iter().map(Into::into).collect(),
            next_cursor: v.next_cursor,
        }
    }
}
