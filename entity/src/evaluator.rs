use sea_orm::entity::prelude::*;

/// A title-evaluation committee's access (R-CE-5): the `evaluator` grant's
/// `org_id`; its series are in `evaluator_series`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluators")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The committee's name (评委会名称).
    pub name: String,
    /// The account that acts for it.
    pub account_id: Uuid,
    /// The hrss account that granted it.
    pub granted_by: Uuid,
    pub created_at: DateTimeUtc,
    /// When hrss revoked it; its grant is gone from then on.
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
