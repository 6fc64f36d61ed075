use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub year: i32,
    pub category: String,
    pub series_code: Option<String>,
    pub course_name: String,
    pub hours_tenths: i32,
    /// Of `hours_tenths`, the part that counts as approved: all of an
    /// approved record; what was approved before a class added hours to a
    /// record now pending again (R-CL-4); none of a closed one.
    pub approved_tenths: i32,
    pub result: Option<String>,
    pub source: String,
    pub provider_id: Option<Uuid>,
    pub provider_name: Option<String>,
    pub class_id: Option<Uuid>,
    pub platform_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub unit_id: Option<Uuid>,
    pub status: crate::state::RecordStatus,
    pub attachment_ids: Json,
    pub completed_at: Option<DateTimeUtc>,
    pub conversion_code: Option<String>,
    pub general_knowledge: bool,
    /// The public-subject topic of the year the hours belong to (R-RC-8).
    pub topic: Option<String>,
    /// The approved origin a professional declaration named (R-RC-6):
    /// `provider:<id>`, `base:<number>` or `class:<id>`.
    pub origin: Option<String>,
    /// hrss's reason when it declared the record untruthful (R-RC-12).
    pub invalidated_reason: Option<String>,
    /// The authority that reviews the record instead of the unit: a
    /// finance department (R-ACC-4) or an education or health authority
    /// (R-RC-10).
    pub authority_id: Option<Uuid>,
    /// When a related exam's results were published (R-ACC-5).
    pub results_published_on: Option<Date>,
    /// Hours of archives initial training (R-ARC-1).
    pub initial_training: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
