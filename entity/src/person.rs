use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persons")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub id_card_hash: String,
    pub id_card_enc: Vec<u8>,
    pub id_card_masked: String,
    pub phone_hash: Option<String>,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_masked: Option<String>,
    pub verified: bool,
    pub education: Option<String>,
    pub title: Option<String>,
    /// The district of the person's information collection (信息采集所属区).
    pub region: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_one = "super::account::Entity")]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
