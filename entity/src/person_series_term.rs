use sea_orm::entity::prelude::*;

/// What a person's membership of a series says beyond the years held
/// (R-ACC-6, R-ARC-1).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_series_terms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub series_code: String,
    /// Accounting: the day of the qualification or of the first accounting
    /// job (duty starts the next year). Archives: the first day in the post.
    pub started_on: Option<Date>,
    /// Accounting: a student who earned a junior title at school studies
    /// until this day and owes nothing while studying.
    pub studying_until: Option<Date>,
    /// Archives: holds an archives degree (大专以上).
    pub has_degree: Option<bool>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
