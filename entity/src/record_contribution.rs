use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "record_contributions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub record_id: Uuid,
    /// The record's year: with `record_id`, the key of the record on a
    /// PostgreSQL `records` partitioned by year (its foreign key is
    /// `(record_id, record_year)`).
    pub record_year: i32,
    pub class_id: Uuid,
    pub person_id: Uuid,
    pub hours_tenths: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
