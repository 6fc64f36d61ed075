//! The roles an account holds, read fresh: by the caller's extractor on
//! every request, by a sign-in and by a refresh.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use ce_entity::grant;

use crate::auth::{Grant, Role};
use crate::error::ServiceError;

/// The roles an account holds now.
pub async fn grants_of<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
) -> Result<Vec<Grant>, ServiceError> {
    let rows = grant::Entity::find()
        .filter(grant::Column::AccountId.eq(account_id))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|g| {
            Some(Grant {
                role: Role::parse(&g.role)?,
                org_id: g.org_id,
                person_id: g.person_id,
            })
        })
        .collect())
}
