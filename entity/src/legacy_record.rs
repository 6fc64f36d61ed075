use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legacy_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub legacy_id: String,
    pub id_card_hash: String,
    pub id_card_masked: String,
    pub name: String,
    pub year: i32,
    pub category: String,
    pub series_code: Option<String>,
    pub course_name: String,
    pub hours_tenths: i32,
    pub result: Option<String>,
    pub provider_name: Option<String>,
    pub unit_name: Option<String>,
    pub completed_on: Option<Date>,
    pub import_id: Uuid,
    pub imported_by: Uuid,
    pub imported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
