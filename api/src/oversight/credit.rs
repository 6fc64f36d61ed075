//! Credit records (信用档案 / 失信信息, R-CR-1): findings against persons,
//! units, providers and learning platforms that broke the rules (a
//! platform's: records it pushed found untruthful, R-RC-12). hrss records any; an authority
//! records findings on providers it qualified. A person sees their own, a
//! unit or provider admin theirs; published findings on organisations (never
//! on persons) are public until they expire, and one against a provider
//! blocks its plan submissions meanwhile.

use crate::audit::{self, Change};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use ce_entity::{credit_record, person, platform, provider, qualification, unit};

use crate::auth::{Caller, Role};
use crate::authz::{holds, orgs};
use crate::domain::year::today_in_shanghai;
use crate::error::ServiceError;
use crate::pagination::Page;
use crate::review::{self as reviews, Versioned};
use crate::state::AppState;

pub use crate::domain::oversight::SubjectType;

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Person => "person",
            SubjectType::Unit => "unit",
            SubjectType::Provider => "provider",
            SubjectType::Platform => "platform",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            SubjectType::Person,
            SubjectType::Unit,
            SubjectType::Provider,
            SubjectType::Platform,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

pub use crate::domain::oversight::Severity;

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Serious => "serious",
        }
    }
}

/// A finding, as its subject and the supervisors see it.
#[derive(Debug, Clone)]
pub struct CreditRecord {
    pub id: Uuid,
    pub subject_type: SubjectType,
    pub subject_id: Uuid,
    pub subject_name: String,
    pub reason: String,
    /// The rule broken, e.g. `条例 第二十七条`.
    pub rule: String,
    pub severity: Severity,
    pub attachment_ids: Vec<Uuid>,
    pub found_on: NaiveDate,
    /// The last day it counts; none: until lifted.
    pub expires_on: Option<NaiveDate>,
    pub published: bool,
    /// The authority that recorded it; none: hrss.
    pub authority_id: Option<Uuid>,
    pub created_at: chrono::DateTime<Utc>,
    pub version: i32,
}

/// A published finding on an organisation, as the public sees it.
#[derive(Debug, Clone)]
pub struct PublicCredit {
    pub id: Uuid,
    /// `unit`, `provider` or `platform`: findings on persons are never
    /// public.
    pub subject_type: SubjectType,
    pub subject_id: Uuid,
    pub subject_name: String,
    pub reason: String,
    pub rule: String,
    pub severity: Severity,
    pub found_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
}

/// A page of findings.
#[derive(Debug, Clone)]
pub struct CreditRecordPage {
    pub items: Vec<CreditRecord>,
    pub next_cursor: Option<String>,
}

/// A page of public findings.
#[derive(Debug, Clone)]
pub struct PublicCreditPage {
    pub items: Vec<PublicCredit>,
    pub next_cursor: Option<String>,
}

/// A new finding, parsed.
#[derive(Debug)]
pub struct NewFinding {
    pub subject_type: SubjectType,
    pub subject_id: Uuid,
    pub reason: String,
    pub rule: String,
    pub severity: Severity,
    pub attachment_ids: Vec<Uuid>,
    pub found_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub published: bool,
}

/// A change to a finding: its end and whether it is published.
#[derive(Debug, Default)]
pub struct FindingChange {
    pub expires_on: Option<Option<NaiveDate>>,
    pub published: Option<bool>,
}

const COLS: Versioned<credit_record::Column> = Versioned {
    id: credit_record::Column::Id,
    version: credit_record::Column::Version,
    updated_at: credit_record::Column::UpdatedAt,
};

pub(crate) fn view(m: credit_record::Model) -> CreditRecord {
    CreditRecord {
        id: m.id,
        subject_type: SubjectType::parse(&m.subject_type).unwrap_or(SubjectType::Person),
        subject_id: m.subject_id,
        subject_name: m.subject_name,
        reason: m.reason,
        rule: m.rule,
        severity: if m.severity == "serious" {
            Severity::Serious
        } else {
            Severity::Minor
        },
        attachment_ids: serde_json::from_value(m.attachment_ids).unwrap_or_default(),
        found_on: m.found_on,
        expires_on: m.expires_on,
        published: m.published,
        authority_id: m.authority_id,
        created_at: m.created_at,
        version: m.version,
    }
}

/// The subject's name, or 422 when there is no such subject.
async fn subject_name(state: &AppState, t: SubjectType, id: Uuid) -> Result<String, ServiceError> {
    subject_name_in(&state.db, t, id).await
}

/// The subject's name read through `conn`, or 422 when there is none.
async fn subject_name_in<C: sea_orm::ConnectionTrait>(
    conn: &C,
    t: SubjectType,
    id: Uuid,
) -> Result<String, ServiceError> {
    let name = match t {
        SubjectType::Person => person::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|p| p.name),
        SubjectType::Unit => unit::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|u| u.name),
        SubjectType::Provider => provider::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|p| p.name),
        SubjectType::Platform => platform::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|p| p.name),
    };
    name.ok_or_else(|| {
        ServiceError::invalid_field(
            "subject_unknown",
            "subject_id",
            format!("no {} with this id", t.as_str()),
        )
    })
}

/// The authority the caller records for: `None` for hrss; an authority
/// only on providers it qualified.
async fn recorder(
    state: &AppState,
    auth: &Caller,
    t: SubjectType,
    subject: Uuid,
) -> Result<Option<Uuid>, ServiceError> {
    if auth.has_role(Role::Hrss) {
        return Ok(None);
    }
    let authorities = orgs(auth, Role::Authority);
    if authorities.is_empty() {
        return Err(ServiceError::forbidden(
            "forbidden",
            "credit records are kept by hrss and industry authorities",
        ));
    }
    if t != SubjectType::Provider {
        return Err(ServiceError::forbidden(
            "forbidden",
            "an authority records findings on providers it qualified; hrss on persons and units",
        ));
    }
    let q = qualification::Entity::find()
        .filter(qualification::Column::ProviderId.eq(subject))
        .filter(qualification::Column::AuthorityId.is_in(authorities))
        .filter(qualification::Column::Status.eq(ce_entity::state::ReviewStatus::Approved))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ServiceError::forbidden(
                "not_supervised",
                "this provider holds no qualification your authority approved",
            )
        })?;
    Ok(Some(q.authority_id))
}

/// R-CR-1: records a finding.
pub async fn create(
    state: &AppState,
    auth: &Caller,
    f: NewFinding,
) -> Result<CreditRecord, ServiceError> {
    let authority_id = recorder(state, auth, f.subject_type, f.subject_id).await?;
    let name = subject_name(state, f.subject_type, f.subject_id).await?;
    if f.expires_on.is_some_and(|e| e < f.found_on) {
        return Err(ServiceError::invalid_field(
            "expires_before_found",
            "expires_on",
            "a finding cannot expire before it was found",
        ));
    }
    let ids = crate::parties::qualifications::dedup(f.attachment_ids);
    crate::parties::attachments::require_uploaded_by(state, auth.account_id(), &ids).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let f = NewFinding {
        attachment_ids: ids,
        ..f
    };
    let m = insert(&txn, auth.account_id(), authority_id, name, f).await?;
    audit::record(&txn, finding_change(&m, "recorded").after(summary(&m))).await?;
    txn.commit().await?;
    Ok(view(m))
}

/// A finding as the audit trail keeps it.
fn summary(m: &credit_record::Model) -> serde_json::Value {
    json!({
        "id": m.id,
        "subject_type": m.subject_type,
        "subject_id": m.subject_id,
        "rule": m.rule,
        "severity": m.severity,
        "found_on": m.found_on,
        "expires_on": m.expires_on,
        "published": m.published,
    })
}

/// Writes the finding `f` on the subject named `name` inside `conn`'s
/// transaction (the caller writes the audit event).
async fn insert<C: sea_orm::ConnectionTrait>(
    conn: &C,
    recorded_by: Uuid,
    authority_id: Option<Uuid>,
    name: String,
    f: NewFinding,
) -> Result<credit_record::Model, ServiceError> {
    let now = Utc::now();
    let m = credit_record::ActiveModel {
        id: Set(Uuid::now_v7()),
        subject_type: Set(f.subject_type.as_str().into()),
        subject_id: Set(f.subject_id),
        subject_name: Set(name),
        reason: Set(f.reason),
        rule: Set(f.rule),
        severity: Set(f.severity.as_str().into()),
        attachment_ids: Set(serde_json::to_value(&f.attachment_ids).map_err(anyhow::Error::from)?),
        found_on: Set(f.found_on),
        expires_on: Set(f.expires_on),
        published: Set(f.published),
        recorded_by: Set(recorded_by),
        authority_id: Set(authority_id),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(conn)
    .await?;
    Ok(m)
}

/// R-RC-12: hrss's finding against whoever recorded an untruthful record,
/// written in the transaction that invalidates it (`txn`), whose one audit
/// event carries it: answers the finding and its summary for that event.
pub(crate) async fn record_in(
    txn: &sea_orm::DatabaseTransaction,
    auth: &Caller,
    f: NewFinding,
) -> Result<(CreditRecord, serde_json::Value), ServiceError> {
    let name = subject_name_in(txn, f.subject_type, f.subject_id).await?;
    let m = insert(txn, auth.account_id(), None, name, f).await?;
    let summary = summary(&m);
    Ok((view(m), summary))
}

/// A change of the finding `m`: a person or unit it is about reads it.
fn finding_change(m: &credit_record::Model, action: &'static str) -> Change {
    let change = Change::new("credit_record", m.id, action);
    match SubjectType::parse(&m.subject_type) {
        Some(SubjectType::Person) => change.person(m.subject_id),
        Some(SubjectType::Unit) => change.unit(m.subject_id),
        _ => change,
    }
}

/// Whether the caller may read a finding: hrss, the recording authority,
/// the person it is about, an admin of the unit or provider, or the
/// platform.
fn may_read(auth: &Caller, m: &credit_record::Model) -> bool {
    auth.has_role(Role::Hrss)
        || m.authority_id
            .is_some_and(|a| holds(auth, Role::Authority, a))
        || match SubjectType::parse(&m.subject_type) {
            Some(SubjectType::Person) => holds(auth, Role::Person, m.subject_id),
            Some(SubjectType::Unit) => holds(auth, Role::UnitAdmin, m.subject_id),
            Some(SubjectType::Provider) => holds(auth, Role::ProviderAdmin, m.subject_id),
            Some(SubjectType::Platform) => holds(auth, Role::Platform, m.subject_id),
            None => false,
        }
}

/// The findings the caller may read, oldest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    subject_type: Option<SubjectType>,
    subject_id: Option<Uuid>,
    page: Page,
) -> Result<CreditRecordPage, ServiceError> {
    let mut q = credit_record::Entity::find();
    if !auth.has_role(Role::Hrss) {
        let mine = |t: SubjectType, role: Role| {
            sea_orm::Condition::all()
                .add(credit_record::Column::SubjectType.eq(t.as_str()))
                .add(credit_record::Column::SubjectId.is_in(orgs(auth, role)))
        };
        q = q.filter(
            sea_orm::Condition::any()
                .add(credit_record::Column::AuthorityId.is_in(orgs(auth, Role::Authority)))
                .add(mine(SubjectType::Person, Role::Person))
                .add(mine(SubjectType::Unit, Role::UnitAdmin))
                .add(mine(SubjectType::Provider, Role::ProviderAdmin))
                .add(mine(SubjectType::Platform, Role::Platform)),
        );
    }
    if let Some(t) = subject_type {
        q = q.filter(credit_record::Column::SubjectType.eq(t.as_str()));
    }
    if let Some(id) = subject_id {
        q = q.filter(credit_record::Column::SubjectId.eq(id));
    }
    // A list: the replica's when one serves (`AppState::read_db`).
    let (rows, next_cursor) = page
        .load(state.read_db(), q, credit_record::Column::Id, false, |r| {
            r.id
        })
        .await?;
    Ok(CreditRecordPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

/// Published findings on organisations still in force, for anyone.
pub async fn public(state: &AppState, page: Page) -> Result<PublicCreditPage, ServiceError> {
    let q = credit_record::Entity::find()
        .filter(credit_record::Column::Published.eq(true))
        .filter(credit_record::Column::SubjectType.is_in([
            SubjectType::Unit.as_str(),
            SubjectType::Provider.as_str(),
            SubjectType::Platform.as_str(),
        ]))
        .filter(
            sea_orm::Condition::any()
                .add(credit_record::Column::ExpiresOn.is_null())
                .add(credit_record::Column::ExpiresOn.gte(today_in_shanghai())),
        );
    // A list: the replica's when one serves (`AppState::read_db`).
    let (rows, next_cursor) = page
        .load(state.read_db(), q, credit_record::Column::Id, false, |r| {
            r.id
        })
        .await?;
    Ok(PublicCreditPage {
        items: rows
            .into_iter()
            .map(view)
            .map(|v| PublicCredit {
                id: v.id,
                subject_type: v.subject_type,
                subject_id: v.subject_id,
                subject_name: v.subject_name,
                reason: v.reason,
                rule: v.rule,
                severity: v.severity,
                found_on: v.found_on,
                expires_on: v.expires_on,
            })
            .collect(),
        next_cursor,
    })
}

/// hrss or the recording authority changes a finding's end or publication.
pub async fn update(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    change: FindingChange,
) -> Result<CreditRecord, ServiceError> {
    let m = credit_record::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|m| may_read(auth, m))
        .ok_or(ServiceError::NotFound("credit record"))?;
    let may_change = auth.has_role(Role::Hrss)
        || m.authority_id
            .is_some_and(|a| holds(auth, Role::Authority, a));
    if !may_change {
        return Err(ServiceError::forbidden(
            "forbidden",
            "only hrss or the authority that recorded it changes a finding",
        ));
    }
    reviews::check_version(expected, m.version)?;
    let mut sets = vec![];
    let mut after = serde_json::Map::new();
    if let Some(e) = change.expires_on {
        after.insert("expires_on".into(), json!(e));
        if e.is_some_and(|e| e < m.found_on) {
            return Err(ServiceError::invalid_field(
                "expires_before_found",
                "expires_on",
                "a finding cannot expire before it was found",
            ));
        }
        sets.push((credit_record::Column::ExpiresOn, Expr::value(e)));
    }
    if let Some(p) = change.published {
        after.insert("published".into(), json!(p));
        sets.push((credit_record::Column::Published, Expr::value(p)));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    if !sets.is_empty() {
        reviews::write_versioned::<credit_record::Entity, _>(&txn, COLS, m.id, m.version, sets)
            .await?;
    }
    audit::record(
        &txn,
        finding_change(&m, "updated")
            .before(json!({"expires_on": m.expires_on, "published": m.published}))
            .after(after.into()),
    )
    .await?;
    txn.commit().await?;
    credit_record::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .map(view)
        .ok_or(ServiceError::NotFound("credit record"))
}
