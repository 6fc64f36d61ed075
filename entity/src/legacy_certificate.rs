use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legacy_certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub number: String,
    pub id_card_hash: String,
    pub id_card_masked: String,
    pub name: String,
    pub year: i32,
    pub public_tenths: i32,
    pub professional_tenths: i32,
    pub elective_tenths: i32,
    pub unit_name: Option<String>,
    pub issued_on: Date,
    pub import_id: Uuid,
    pub imported_by: Uuid,
    pub imported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
