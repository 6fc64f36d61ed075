use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_type: String,
    pub owner_id: Uuid,
    pub series_code: String,
    pub year: i32,
    pub course_name: String,
    pub region: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub reviewer_authority_id: Option<Uuid>,
    pub status: crate::state::PlanStatus,
    pub created_by: Uuid,
    pub submitted_at: Option<DateTimeUtc>,
    /// When hrss filed the approved plan (备案, R-CP-5); `None` until then.
    pub filed_at: Option<DateTimeUtc>,
    /// The hrss account that filed it.
    pub filed_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
