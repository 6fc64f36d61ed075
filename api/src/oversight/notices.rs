//! Notices and policy documents (通知公告 / 政策法规): hrss publishes them
//! with attachments; everyone, signed in or not, lists and reads them.

use crate::audit::{self, Change};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use ce_entity::{attachment, notice};

use crate::auth::{Caller, Role};
use crate::error::ServiceError;
use crate::pagination::Page;
use crate::parties::views::Attachment;
use crate::state::AppState;

pub use crate::domain::oversight::NoticeKind;

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Notice => "notice",
            NoticeKind::Policy => "policy",
        }
    }
}

/// A published notice or policy document.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: Uuid,
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    /// Download each at `/notices/{id}/attachments/{attachment_id}`.
    pub attachment_ids: Vec<Uuid>,
    pub published_at: DateTime<Utc>,
}

/// A page of notices.
#[derive(Debug, Clone)]
pub struct NoticePage {
    pub items: Vec<Notice>,
    pub next_cursor: Option<String>,
}

fn view(m: notice::Model) -> Notice {
    Notice {
        id: m.id,
        kind: if m.kind == "policy" {
            NoticeKind::Policy
        } else {
            NoticeKind::Notice
        },
        title: m.title,
        body: m.body,
        attachment_ids: serde_json::from_value(m.attachment_ids).unwrap_or_default(),
        published_at: m.published_at,
    }
}

fn require_hrss(auth: &Caller) -> Result<(), ServiceError> {
    if auth.has_role(Role::Hrss) {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "forbidden",
            "notices are published by hrss",
        ))
    }
}

/// hrss publishes a notice; its attachments must be hrss's uploads.
pub async fn publish(
    state: &AppState,
    auth: &Caller,
    kind: NoticeKind,
    title: String,
    body: String,
    attachment_ids: Vec<Uuid>,
) -> Result<Notice, ServiceError> {
    require_hrss(auth)?;
    let ids = crate::parties::qualifications::dedup(attachment_ids);
    crate::parties::attachments::require_uploaded_by(state, auth.account_id(), &ids).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let m = notice::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind.as_str().into()),
        title: Set(title),
        body: Set(body),
        attachment_ids: Set(serde_json::to_value(&ids).map_err(anyhow::Error::from)?),
        published_at: Set(Utc::now()),
        created_by: Set(auth.account_id()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Change::new("notice", m.id, "published").after(json!({
            "kind": m.kind,
            "title": m.title,
            "attachment_ids": m.attachment_ids,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m))
}

/// Notices, newest first, of one kind or all.
pub async fn list(
    state: &AppState,
    kind: Option<NoticeKind>,
    page: Page,
) -> Result<NoticePage, ServiceError> {
    let mut q = notice::Entity::find();
    if let Some(k) = kind {
        q = q.filter(notice::Column::Kind.eq(k.as_str()));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, notice::Column::Id, true, |n| n.id)
        .await?;
    Ok(NoticePage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

async fn load(state: &AppState, id: Uuid) -> Result<notice::Model, ServiceError> {
    notice::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("notice"))
}

/// One notice.
pub async fn get(state: &AppState, id: Uuid) -> Result<Notice, ServiceError> {
    load(state, id).await.map(view)
}

/// hrss withdraws a notice.
pub async fn withdraw(state: &AppState, auth: &Caller, id: Uuid) -> Result<(), ServiceError> {
    require_hrss(auth)?;
    let n = load(state, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    notice::Entity::delete_by_id(n.id).exec(&txn).await?;
    audit::record(
        &txn,
        Change::new("notice", n.id, "withdrawn").before(json!({"kind": n.kind, "title": n.title})),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An attachment of a notice, for anyone; 404 for one the notice does not list.
pub async fn attachment(
    state: &AppState,
    id: Uuid,
    attachment_id: Uuid,
) -> Result<(Attachment, Vec<u8>), ServiceError> {
    let n = view(load(state, id).await?);
    if !n.attachment_ids.contains(&attachment_id) {
        return Err(ServiceError::NotFound("attachment"));
    }
    let a = attachment::Entity::find_by_id(attachment_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("attachment"))?;
    crate::parties::attachments::read(state, a).await
}
