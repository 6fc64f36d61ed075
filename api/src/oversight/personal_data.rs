//! A person's copy of their own data (PIPL 第四十五条: 个人有权向个人信息处理者
//! 查阅、复制其个人信息): the profile with their own ID and phone numbers
//! in clear, their records, certificates, the credit records about them and
//! the audit events about them, as one document. Only the person role, and
//! only their own: the person comes from the token, never from a parameter.
//!
//! Bounded: each part holds at most [`MAX_ITEMS`] items (a person has
//! hundreds of records in a working life, not thousands); a part cut there
//! is named in `truncated`, and the rest is read through the lists
//! (`GET /records`, `GET /audit-events`, …). The export is itself an audit
//! event (`person` `data_exported`), written before the document is
//! answered.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use ce_entity::{audit_event, certificate, credit_record, person, record};

use crate::audit::{self, Change};
use crate::auth::Caller;
use crate::certificates::Certificate;
use crate::domain::oversight::SubjectType;
use crate::error::ServiceError;
use crate::ledger::records::Record;
use crate::oversight::audit_events::AuditEvent;
use crate::oversight::credit::CreditRecord;
use crate::parties::persons::Person;
use crate::state::AppState;

/// The most items of each part in one document.
pub const MAX_ITEMS: u64 = 10_000;

/// Everything held about one person, for them.
#[derive(Debug, Clone)]
pub struct PersonalData {
    pub generated_at: DateTime<Utc>,
    pub person: Person,
    pub records: Vec<Record>,
    pub certificates: Vec<Certificate>,
    pub credit_records: Vec<CreditRecord>,
    pub audit_events: Vec<AuditEvent>,
    /// The parts cut at [`MAX_ITEMS`] (empty: the document is whole).
    pub truncated: Vec<&'static str>,
}

fn cut<T>(mut items: Vec<T>, part: &'static str, truncated: &mut Vec<&'static str>) -> Vec<T> {
    if items.len() as u64 > MAX_ITEMS {
        items.truncate(MAX_ITEMS as usize);
        truncated.push(part);
    }
    items
}

/// `GET /me/data`: the caller's own data; 403 for any caller without the
/// person role.
pub async fn export(state: &AppState, auth: &Caller) -> Result<PersonalData, ServiceError> {
    let person_id = crate::authz::person_of(auth, "downloads their own data")?;
    let p = person::Entity::find_by_id(person_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let person = crate::parties::persons::view(state, &state.db, &p, true).await?;
    let mut truncated = Vec::new();
    let records = record::Entity::find()
        .filter(record::Column::PersonId.eq(person_id))
        .order_by_asc(record::Column::CreatedAt)
        .order_by_asc(record::Column::Id)
        .limit(MAX_ITEMS + 1)
        .all(&state.db)
        .await?;
    let records = cut(records, "records", &mut truncated)
        .into_iter()
        .map(crate::ledger::records::view)
        .collect::<Vec<_>>();
    let certificates = certificate::Entity::find()
        .filter(certificate::Column::PersonId.eq(person_id))
        .order_by_asc(certificate::Column::IssuedAt)
        .order_by_asc(certificate::Column::Id)
        .limit(MAX_ITEMS + 1)
        .all(&state.db)
        .await?;
    let certificates = cut(certificates, "certificates", &mut truncated)
        .into_iter()
        .map(crate::certificates::view)
        .collect::<Vec<_>>();
    let credit_records = credit_record::Entity::find()
        .filter(credit_record::Column::SubjectType.eq(SubjectType::Person.as_str()))
        .filter(credit_record::Column::SubjectId.eq(person_id))
        .order_by_asc(credit_record::Column::CreatedAt)
        .order_by_asc(credit_record::Column::Id)
        .limit(MAX_ITEMS + 1)
        .all(&state.db)
        .await?;
    let credit_records = cut(credit_records, "credit_records", &mut truncated)
        .into_iter()
        .map(crate::oversight::credit::view)
        .collect::<Vec<_>>();
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::PersonId.eq(person_id))
        .order_by_asc(audit_event::Column::OccurredAt)
        .order_by_asc(audit_event::Column::Id)
        .limit(MAX_ITEMS + 1)
        .all(&state.db)
        .await?;
    let audit_events = cut(events, "audit_events", &mut truncated)
        .into_iter()
        .map(crate::oversight::audit_events::view)
        .collect::<Vec<_>>();
    audit::record(
        &state.db,
        Change::new("person", person_id, "data_exported")
            .after(json!({
                "records": records.len(),
                "certificates": certificates.len(),
                "credit_records": credit_records.len(),
                "audit_events": audit_events.len(),
                "truncated": truncated,
            }))
            .person(person_id),
    )
    .await?;
    Ok(PersonalData {
        generated_at: state.clock.now(),
        person,
        records,
        certificates,
        credit_records,
        audit_events,
        truncated,
    })
}
