//! Untruthful records (记载不真实, R-RC-12; 条例 第三十四条: 用人单位、施教机构
//! … 对个人专业技术档案和继续教育证书的记载不真实的，其记载内容无效，由人力资源和
//! 社会保障主管部门予以警告). hrss finds a record untruthful: in one
//! transaction the record becomes `invalidated` and stops counting, the
//! certificate of a year no longer complete without it is revoked
//! (`record_untruthful`), and a credit record (信用档案) is written against
//! whoever recorded it.
//!
//! **Reading** — who recorded it is the record's source: the person for
//! what they declared or converted; the platform for what it pushed; the
//! provider or unit that ran the class for a class's record. A class run by
//! an industry authority itself is a department's act, which the credit
//! file (on persons, units, providers and platforms) does not hold: hrss
//! supervises it otherwise, and no credit record is written.

use sea_orm::EntityTrait;
use uuid::Uuid;

use ce_entity::record;

use crate::auth::{Caller, Role};
use crate::domain::plan::OwnerType;
use crate::error::ServiceError;
use crate::ledger::records::{self, Record, Source};
use crate::oversight::credit::{self, CreditRecord, NewFinding, Severity, SubjectType};
use crate::state::AppState;

/// What the rule the credit record names says.
pub const RULE: &str = "条例 第三十四条";

/// hrss's finding, parsed.
#[derive(Debug)]
pub struct Finding {
    /// Why the record is untruthful; it becomes the record's, the credit
    /// record's and the revoked certificate's audit reason.
    pub reason: String,
    pub severity: Severity,
    /// Whether the credit record is published (the public list shows
    /// organisations' only, never a person's).
    pub published: bool,
}

/// The record found untruthful and the credit record written.
#[derive(Debug, Clone)]
pub struct Untruthful {
    pub record: Record,
    /// `None` for a class an industry authority ran itself (see the
    /// module's reading).
    pub credit_record: Option<CreditRecord>,
    /// The certificates revoked because their year is no longer complete.
    pub revoked_certificates: Vec<Uuid>,
}

/// The subject of the credit record for a record of `source`.
fn subject_of(source: Source, r: &record::Model) -> Option<(SubjectType, Uuid)> {
    match source {
        Source::Person => Some((SubjectType::Person, r.person_id)),
        Source::Platform(p) => Some((SubjectType::Platform, p)),
        Source::Class(owner) => match owner.kind {
            OwnerType::Provider => Some((SubjectType::Provider, owner.id)),
            OwnerType::Unit => Some((SubjectType::Unit, owner.id)),
            OwnerType::Authority => None,
        },
    }
}

/// R-RC-12: hrss declares the record `id` untruthful. 403 for anyone but
/// hrss; 404 for an unknown record; 412 when `expected` is not its
/// version; 409 `illegal_transition` when it is already invalid.
pub async fn declare(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    finding: Finding,
) -> Result<Untruthful, ServiceError> {
    crate::authz::require_role(
        auth,
        Role::Hrss,
        "only hrss finds a record untruthful (条例 第三十四条)",
    )?;
    let txn = crate::db::begin_write(&state.db).await?;
    let r = record::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("record"))?;
    crate::review::check_version(expected, r.version)?;
    let invalidated = records::invalidate(state, &txn, &r, &finding.reason).await?;
    let subject = subject_of(invalidated.source, &r);
    let revoked: Vec<Uuid> = invalidated.applied.revoked.iter().map(|c| c.id).collect();
    let (credit_record, noted) = match subject {
        Some((subject_type, subject_id)) => {
            let (v, summary) = credit::record_in(
                &txn,
                auth,
                NewFinding {
                    subject_type,
                    subject_id,
                    reason: finding.reason,
                    rule: RULE.into(),
                    severity: finding.severity,
                    attachment_ids: vec![],
                    found_on: crate::domain::year::today_in_shanghai(),
                    expires_on: None,
                    published: finding.published,
                },
            )
            .await?;
            (Some(v), summary)
        }
        None => (None, serde_json::Value::Null),
    };
    // One event for the request: the record invalidated, with the
    // certificates that followed and the credit record written.
    crate::audit::record(&txn, invalidated.change.also("credit_record", noted)).await?;
    txn.commit().await?;
    Ok(Untruthful {
        record: records::view(invalidated.record),
        credit_record,
        revoked_certificates: revoked,
    })
}
