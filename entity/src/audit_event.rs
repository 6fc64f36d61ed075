use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub request_id: Option<String>,
    pub operation: Option<String>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub grant_role: Option<String>,
    pub grant_scope_id: Option<Uuid>,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub action: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
    pub person_id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
    /// The event's place in the audit chain; `None` until sealed.
    pub seq: Option<i64>,
    /// HMAC of the previous place's hash and this event (hex); `None`
    /// until sealed.
    pub chain_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
