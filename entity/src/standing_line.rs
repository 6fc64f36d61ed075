use sea_orm::entity::prelude::*;

/// One line of a person's year: the hours of the records that share a
/// category, series, counted status, conversion form, general-knowledge
/// flag and public topic. Absent parts are `''`, so the key is total.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "standing_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub category: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub series_code: String,
    /// `approved` or `pending`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub counted: crate::state::Counted,
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversion_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub general_knowledge: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub topic: String,
    pub hours_tenths: i64,
    /// How many records give hours to the line.
    pub records: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
