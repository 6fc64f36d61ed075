//! Attachments: content-addressed files under `DATA_DIR/attachments`, one
//! row per upload. Readable by the uploader, hrss, and the reviewing
//! authority and the provider admins of a qualification that lists them.

use crate::audit::{self, Change};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use ce_entity::{attachment, qualification};

use crate::auth::{Caller, Role};
use crate::authz::orgs;
use crate::domain::attachment::{AttachmentType, Filename};
use crate::error::ServiceError;
use crate::parties::views::Attachment;
use crate::state::AppState;

fn view(m: attachment::Model) -> Attachment {
    Attachment {
        id: m.id,
        filename: m.filename,
        content_type: m.content_type,
        size_bytes: m.size_bytes,
        sha256: m.sha256,
        created_at: m.created_at,
    }
}

/// Where the bytes with this digest live.
fn blob_path(data_dir: &Path, sha256: &str) -> PathBuf {
    let shard = sha256.get(..2).unwrap_or("00");
    data_dir.join("attachments").join(shard).join(sha256)
}

/// Writes the bytes once: to a temporary file beside the target, then
/// renamed into place, so a reader never sees half a file.
fn write_blob(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the blob path has no directory"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}", Uuid::now_v7().simple()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Who may upload and download files: persons and hrss (machine clients do
/// not). Asked before an upload's body is read.
pub fn may_handle_files(auth: &Caller) -> Result<(), ServiceError> {
    crate::authz::require_human(auth)
}

/// Stores an upload; the type comes from the bytes.
pub async fn upload(
    state: &AppState,
    auth: &Caller,
    filename: Filename,
    bytes: impl AsRef<[u8]> + Send + 'static,
) -> Result<Attachment, ServiceError> {
    may_handle_files(auth)?;
    let account_id = auth.account_id();
    let size = bytes.as_ref().len();
    if size == 0 {
        return Err(ServiceError::invalid_field(
            "attachment_empty",
            "body",
            "the file is empty",
        ));
    }
    let Some(kind) = AttachmentType::sniff(bytes.as_ref()) else {
        return Err(ServiceError::UnsupportedType {
            code: "attachment_type_not_allowed",
            detail: "only PDF, PNG and JPEG files are accepted (detected from the content)".into(),
        });
    };
    let sha256 = hex::encode(Sha256::digest(bytes.as_ref()));
    let path = blob_path(&state.settings.data_dir, &sha256);
    let size = i64::try_from(size).map_err(anyhow::Error::from)?;
    state
        .blocking
        .run(move || write_blob(&path, bytes.as_ref()))
        .await?
        .map_err(anyhow::Error::from)?;
    let txn = crate::db::begin_write(&state.db).await?;
    let m = attachment::ActiveModel {
        id: Set(Uuid::now_v7()),
        sha256: Set(sha256),
        filename: Set(filename.as_ref().to_string()),
        content_type: Set(kind.content_type().into()),
        size_bytes: Set(size),
        uploaded_by: Set(account_id),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Change::new("attachment", m.id, "uploaded").after(json!({
            "filename": m.filename,
            "content_type": m.content_type,
            "size_bytes": m.size_bytes,
            "sha256": m.sha256,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m))
}

/// Whether the caller may read an attachment.
async fn readable(
    state: &AppState,
    auth: &Caller,
    a: &attachment::Model,
) -> Result<bool, ServiceError> {
    if a.uploaded_by == auth.account_id() || auth.has_role(Role::Hrss) {
        return Ok(true);
    }
    let authorities = orgs(auth, Role::Authority);
    let providers = orgs(auth, Role::ProviderAdmin);
    if authorities.is_empty() && providers.is_empty() {
        return Ok(false);
    }
    let rows = qualification::Entity::find()
        .filter(
            Condition::any()
                .add(qualification::Column::AuthorityId.is_in(authorities))
                .add(qualification::Column::ProviderId.is_in(providers)),
        )
        .all(&state.db)
        .await?;
    Ok(rows.iter().any(|q| {
        serde_json::from_value::<Vec<Uuid>>(q.attachment_ids.clone())
            .map(|ids| ids.contains(&a.id))
            .unwrap_or(false)
    }))
}

/// An attachment the caller may read, with its bytes.
pub async fn download(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<(Attachment, Vec<u8>), ServiceError> {
    may_handle_files(auth)?;
    let Some(a) = attachment::Entity::find_by_id(id).one(&state.db).await? else {
        return Err(ServiceError::NotFound("attachment"));
    };
    if !readable(state, auth, &a).await? {
        return Err(ServiceError::NotFound("attachment"));
    }
    read(state, a).await
}

/// An attachment's bytes, for a caller already allowed to read it.
pub async fn read(
    state: &AppState,
    a: attachment::Model,
) -> Result<(Attachment, Vec<u8>), ServiceError> {
    let id = a.id;
    let path = blob_path(&state.settings.data_dir, &a.sha256);
    let bytes = state
        .blocking
        .run(move || std::fs::read(path))
        .await?
        .map_err(|e| anyhow::anyhow!("reading attachment {id}: {e}"))?;
    Ok((view(a), bytes))
}

/// 422 `attachment_unknown` unless the caller uploaded every one of `ids`.
pub async fn require_uploaded_by(
    state: &AppState,
    account_id: Uuid,
    ids: &[Uuid],
) -> Result<(), ServiceError> {
    let mine = uploaded_by(state, account_id, ids).await?;
    match ids.iter().find(|id| !mine.contains(id)) {
        Some(unknown) => Err(ServiceError::invalid_field(
            "attachment_unknown",
            "attachment_ids",
            format!("{unknown} is not an attachment you uploaded"),
        )),
        None => Ok(()),
    }
}

/// The attachments among `ids` that `account_id` uploaded.
pub async fn uploaded_by(
    state: &AppState,
    account_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, ServiceError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(attachment::Entity::find()
        .filter(attachment::Column::Id.is_in(ids.to_vec()))
        .filter(attachment::Column::UploadedBy.eq(account_id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_content_addressed_and_written_once() {
        let dir = std::env::temp_dir().join(format!("ce-blob-{}", Uuid::now_v7()));
        let sha = hex::encode(Sha256::digest(b"%PDF-1.7"));
        let path = blob_path(&dir, &sha);
        assert_eq!(path, dir.join("attachments").join(&sha[..2]).join(&sha));
        write_blob(&path, b"%PDF-1.7").unwrap();
        write_blob(&path, b"%PDF-1.7").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1.7");
        let entries: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(entries.len(), 1, "no temporary files left behind");
        let _ = std::fs::remove_dir_all(dir);
    }
}
