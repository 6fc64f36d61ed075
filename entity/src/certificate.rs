use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub number: String,
    pub person_id: Uuid,
    pub year: i32,
    pub unit_id: Option<Uuid>,
    pub status: crate::state::CertificateStatus,
    pub hours: Json,
    /// The requirement the certificate was issued under (R-REQ-4): it is
    /// judged by it as long as it stands. `null` on certificates issued
    /// before it was kept: the policy in force applies.
    pub policy: Option<Json>,
    pub superseded_by: Option<Uuid>,
    pub revoked_reason: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
    pub issued_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
