use sea_orm::entity::prelude::*;

/// A person's year as the ledger maintains it (年度学时汇总): the
/// calculator's judgement of the lines in `standing_lines`, kept in the
/// transaction of every change that moves hours.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "standings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub complete: bool,
    /// Why the year owes nothing (`duty_not_started`, `studying`: every
    /// series held that year is exempt, R-ACC-6); `None` when it is owed.
    pub exempt: Option<String>,
    /// Approved hours per category, in tenths, as recorded (before the
    /// calculator's caps and topic rule).
    pub public_tenths: i64,
    pub professional_tenths: i64,
    pub elective_tenths: i64,
    /// Hours waiting for a review, in tenths.
    pub pending_tenths: i64,
    /// What the year still misses over all categories and series, in tenths.
    pub missing_tenths: i64,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
