//! Certificates (继续教育电子证书, R-CE-1..4) — a context of its own above the
//! ledger: issued in the same
//! transaction as the approval that completes a person's year, exactly
//! once; reissued with a new number (the old one then verifies as
//! superseded); revoked by hrss; verified by anyone holding the number.

pub mod documents;
pub mod evaluation;

use crate::audit::{self, Change};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType, QueryFilter,
    QuerySelect, Set, TryInsertResult,
};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

use ce_entity::{certificate, person};

use crate::auth::{Caller, Role};
use crate::authz::{holds, orgs, require_any};
use crate::domain::Year;
pub use crate::domain::certificate::{CertificateHours, SeriesHours, Verification};
use crate::domain::certificate::{CertificateNumber, CertificateStatus, RECORD_UNTRUTHFUL};
use crate::domain::compliance::{Assessment, Policy};
use crate::error::ServiceError;
use crate::ledger::standing;
use crate::outbox::{self, EventType, Subscriber};
use crate::pagination::Page;
use crate::parties::persons::{current_unit, current_units};
use crate::ports::ledger::{Applied, Follower, Judged, SeriesChanged};
use crate::review::{self as reviews, Versioned};
use crate::state::AppState;

/// An annual certificate.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub id: Uuid,
    /// `YYYY-XXXX-XXXX-XXXX`: the year, eleven random characters and a
    /// check character from Crockford base 32 (no I, L, O, U).
    pub number: String,
    pub person_id: Uuid,
    pub year: i32,
    pub status: CertificateStatus,
    pub hours: CertificateHours,
    /// The person's unit when it was issued.
    pub unit_id: Option<Uuid>,
    /// The certificate that replaced this one.
    pub superseded_by: Option<Uuid>,
    /// Why hrss or the ledger revoked it (`hours_withdrawn`: a change left
    /// its year incomplete; `record_untruthful`: a record it relied on was
    /// found untruthful, R-RC-12); `null` unless revoked.
    pub revoked_reason: Option<String>,
    /// Why it no longer stands: `reissued`, `hours_corrected` (superseded
    /// by one stating the hours that count now), `hours_withdrawn`, or
    /// hrss's reason; `null` while valid.
    pub status_reason: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
    pub version: i32,
}

/// A page of certificates.
#[derive(Debug, Clone)]
pub struct CertificatePage {
    pub items: Vec<Certificate>,
    pub next_cursor: Option<String>,
}

const COLS: Versioned<certificate::Column> = Versioned {
    id: certificate::Column::Id,
    version: certificate::Column::Version,
    updated_at: certificate::Column::UpdatedAt,
};

pub(crate) fn view(m: certificate::Model) -> Certificate {
    Certificate {
        id: m.id,
        number: m.number,
        person_id: m.person_id,
        year: m.year,
        status: m.status,
        hours: serde_json::from_value(m.hours).unwrap_or(CertificateHours {
            public: 0.0,
            professional: 0.0,
            elective: 0.0,
            total: 0.0,
            series: vec![],
        }),
        unit_id: m.unit_id,
        superseded_by: m.superseded_by,
        revoked_reason: (m.status == CertificateStatus::Revoked)
            .then(|| m.revoked_reason.clone())
            .flatten(),
        status_reason: m.revoked_reason,
        revoked_at: m.revoked_at,
        issued_at: m.issued_at,
        version: m.version,
    }
}

/// Whether the person holds a valid certificate for the year (R-PU-3).
pub async fn has_valid<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
    year: i32,
) -> Result<bool, ServiceError> {
    Ok(valid_of(conn, person_id, year).await?.is_some())
}

async fn valid_of<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
    year: i32,
) -> Result<Option<certificate::Model>, ServiceError> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::PersonId.eq(person_id))
        .filter(certificate::Column::Year.eq(year))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .one(conn)
        .await?)
}

/// Tells the unit the certificate was issued with (webhooks).
async fn announce<C: ConnectionTrait>(
    conn: &C,
    event: EventType,
    c: &certificate::Model,
) -> Result<(), ServiceError> {
    let Some(unit) = c.unit_id else {
        return Ok(());
    };
    outbox::emit(conn, event, &[Subscriber::Unit(unit)], event_data(c)?).await
}

/// What a certificate's event says of it.
fn event_data(c: &certificate::Model) -> Result<serde_json::Value, ServiceError> {
    Ok(
        serde_json::to_value(crate::domain::event::CertificateEventData {
            certificate_id: c.id,
            number: c.number.clone(),
            person_id: c.person_id,
            year: c.year,
            status: c.status,
            unit_id: c.unit_id,
        })
        .map_err(anyhow::Error::from)?,
    )
}

/// A new valid certificate with a fresh number, stating `hours` under
/// `policy` (R-REQ-4: it is judged by that policy while it stands).
fn valid_row(
    person_id: Uuid,
    year: i32,
    unit_id: Option<Uuid>,
    hours: &CertificateHours,
    policy: Option<&serde_json::Value>,
) -> Result<certificate::ActiveModel, ServiceError> {
    let now = Utc::now();
    Ok(certificate::ActiveModel {
        id: Set(Uuid::now_v7()),
        number: Set(CertificateNumber::generate(year, &mut rand::thread_rng())
            .as_ref()
            .to_string()),
        person_id: Set(person_id),
        year: Set(year),
        unit_id: Set(unit_id),
        status: Set(CertificateStatus::Valid),
        hours: Set(serde_json::to_value(hours).map_err(anyhow::Error::from)?),
        policy: Set(policy.cloned()),
        superseded_by: Set(None),
        revoked_reason: Set(None),
        revoked_at: Set(None),
        issued_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
}

/// Inserts a valid certificate for the person's current unit: `None` when
/// a concurrent transaction issued the year's first.
async fn insert_valid(
    txn: &DatabaseTransaction,
    person_id: Uuid,
    year: i32,
    hours: &CertificateHours,
    policy: Option<&serde_json::Value>,
) -> Result<Option<certificate::Model>, ServiceError> {
    let unit = current_unit(txn, person_id).await?;
    let row = valid_row(person_id, year, unit, hours, policy)?;
    Ok(insert_valid_rows(txn, vec![row]).await?.pop())
}

/// Inserts valid certificates in one statement and announces them. One a
/// concurrent transaction issued first (same person and year) is skipped
/// by the one-valid-per-year index, not an error; the caller's
/// transaction goes on.
async fn insert_valid_rows(
    txn: &DatabaseTransaction,
    rows: Vec<certificate::ActiveModel>,
) -> Result<Vec<certificate::Model>, ServiceError> {
    let TryInsertResult::Inserted(made) = certificate::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([certificate::Column::PersonId, certificate::Column::Year])
                // The index's own predicate, as a literal: a bound value
                // would not match it.
                .target_and_where(Expr::cust(format!(
                    "status = '{}'",
                    CertificateStatus::Valid.as_str()
                )))
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec_with_returning_many(txn)
        .await?
    else {
        return Ok(Vec::new());
    };
    // One query for the endpoints of all their units.
    let mut events = Vec::with_capacity(made.len());
    for c in &made {
        if let Some(unit) = c.unit_id {
            events.push((Subscriber::Unit(unit), event_data(c)?));
        }
    }
    outbox::emit_each(txn, EventType::CertificateIssued, events).await?;
    Ok(made)
}

/// The policy a certificate was issued under, or the one in force for
/// certificates issued before it was kept.
fn policy_of(c: &certificate::Model) -> Option<Policy> {
    c.policy
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// Supersedes the valid certificate `old` by a new number stating
/// `hours` under the same policy; `reason` says why (`reissued`,
/// `hours_corrected`). Answers the new certificate.
async fn replace_valid(
    txn: &DatabaseTransaction,
    old: &certificate::Model,
    hours: &CertificateHours,
    reason: &str,
) -> Result<certificate::Model, ServiceError> {
    let now = Utc::now();
    let res = certificate::Entity::update_many()
        .col_expr(
            certificate::Column::Status,
            Expr::value(CertificateStatus::Superseded.as_str()),
        )
        .col_expr(certificate::Column::RevokedReason, Expr::value(reason))
        .col_expr(
            certificate::Column::Version,
            Expr::col(certificate::Column::Version).add(1),
        )
        .col_expr(certificate::Column::UpdatedAt, Expr::value(now))
        .filter(certificate::Column::Id.eq(old.id))
        .filter(certificate::Column::Version.eq(old.version))
        .exec(txn)
        .await?;
    reviews::updated_once(res.rows_affected, old.version)?;
    // The old number's verify answer changes (issue 21).
    crate::cache::bump(txn, crate::cache::Kind::Certificates).await?;
    let new = insert_valid(txn, old.person_id, old.year, hours, old.policy.as_ref())
        .await?
        .ok_or_else(|| ServiceError::conflict("certificate_exists", "replaced meanwhile"))?;
    certificate::Entity::update_many()
        .col_expr(certificate::Column::SupersededBy, Expr::value(new.id))
        .filter(certificate::Column::Id.eq(old.id))
        .exec(txn)
        .await?;
    Ok(new)
}

/// Revokes the valid certificate `c` for `reason`, and says so to its unit.
async fn revoke_valid(
    txn: &DatabaseTransaction,
    c: &certificate::Model,
    reason: &str,
) -> Result<certificate::Model, ServiceError> {
    let res = certificate::Entity::update_many()
        .col_expr(
            certificate::Column::Status,
            Expr::value(CertificateStatus::Revoked.as_str()),
        )
        .col_expr(certificate::Column::RevokedReason, Expr::value(reason))
        .col_expr(certificate::Column::RevokedAt, Expr::value(Utc::now()))
        .col_expr(
            certificate::Column::Version,
            Expr::col(certificate::Column::Version).add(1),
        )
        .col_expr(certificate::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(certificate::Column::Id.eq(c.id))
        .filter(certificate::Column::Version.eq(c.version))
        .exec(txn)
        .await?;
    reviews::updated_once(res.rows_affected, c.version)?;
    // Its verify answer changes (issue 21).
    crate::cache::bump(txn, crate::cache::Kind::Certificates).await?;
    let revoked = certificate::Entity::find_by_id(c.id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound("certificate"))?;
    announce(txn, EventType::CertificateRevoked, &revoked).await?;
    Ok(revoked)
}

/// Why the ledger revokes a certificate whose year no longer counts as
/// complete.
pub const HOURS_WITHDRAWN: &str = "hours_withdrawn";
/// Why the ledger supersedes a certificate that states more than counts.
pub const HOURS_CORRECTED: &str = "hours_corrected";
/// Why a certificate was superseded on request (R-CE-2).
pub const REISSUED: &str = "reissued";

/// R-CE-1: certificates follow the standing, inside the transaction of
/// the change (the standings of `judged`, all of one year, are locked):
///
/// - a certified year that no longer counts as complete under the policy
///   its certificate was issued under (R-REQ-4) has it revoked
///   (`hours_withdrawn`, or `record_untruthful` when the change was a
///   record found untruthful, R-RC-12);
/// - a certified year still complete whose counted hours fell below what
///   the certificate states has it superseded by one stating the hours
///   that count now (`hours_corrected`); hours added after completion
///   leave it alone;
/// - a year that has just become complete, with no valid certificate,
///   gets one (exactly once: the one-valid-per-year index decides between
///   racing transactions).
pub(crate) async fn follow(
    txn: &DatabaseTransaction,
    policy: Option<&Policy>,
    judged: &[Judged],
) -> Result<Applied, ServiceError> {
    let mut applied = Applied::default();
    let Some(first) = judged.first() else {
        return Ok(applied);
    };
    let year = first.year.year;
    let persons: Vec<Uuid> = judged.iter().map(|j| j.year.person_id).collect();
    let valid: HashMap<Uuid, certificate::Model> = certificate::Entity::find()
        .filter(certificate::Column::PersonId.is_in(persons.iter().copied()))
        .filter(certificate::Column::Year.eq(year))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.person_id, c))
        .collect();
    let mut to_issue: Vec<(Uuid, CertificateHours)> = Vec::new();
    for j in judged {
        let p = j.year.person_id;
        match valid.get(&p) {
            Some(c) => {
                let a = match policy_of(c) {
                    Some(theirs) => compliance_assess(&theirs, j),
                    None => match &j.assessment {
                        Some(a) => a.clone(),
                        None => continue,
                    },
                };
                if !a.complete {
                    // R-RC-12: the reason the change gives (a record found
                    // untruthful), or the hours withdrawn.
                    let reason = j.cause.unwrap_or(HOURS_WITHDRAWN);
                    applied.revoked.push(revoke_valid(txn, c, reason).await?);
                    continue;
                }
                let now = CertificateHours::of(&a);
                let stated: CertificateHours =
                    serde_json::from_value(c.hours.clone()).map_err(anyhow::Error::from)?;
                if now.below(&stated) {
                    let new = replace_valid(txn, c, &now, HOURS_CORRECTED).await?;
                    applied.superseded.push((c.clone(), new));
                }
            }
            None => {
                if let Some(a) = &j.assessment
                    && a.complete
                    && !j.was_complete
                {
                    to_issue.push((p, CertificateHours::of(a)));
                }
            }
        }
    }
    if !to_issue.is_empty() {
        let snapshot = policy
            .map(serde_json::to_value)
            .transpose()
            .map_err(anyhow::Error::from)?;
        let ids: Vec<Uuid> = to_issue.iter().map(|(p, _)| *p).collect();
        let units = current_units(txn, &ids).await?;
        let mut rows = Vec::with_capacity(to_issue.len());
        for (p, hours) in &to_issue {
            rows.push(valid_row(
                *p,
                year,
                units.get(p).copied(),
                hours,
                snapshot.as_ref(),
            )?);
        }
        applied.issued.extend(insert_valid_rows(txn, rows).await?);
    }
    Ok(applied)
}

/// The certificates as what follows the ledger's judgements (R-CE-1), and
/// a change of the series held (R-REQ-3).
pub struct FollowTheStanding;

impl Follower for FollowTheStanding {
    fn follow<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        policy: Option<&'a Policy>,
        judged: &'a [Judged],
    ) -> futures_util::future::BoxFuture<'a, Result<Applied, ServiceError>> {
        Box::pin(follow(txn, policy, judged))
    }
}

impl SeriesChanged for FollowTheStanding {
    fn rejudge<'a>(
        &'a self,
        reference: &'a crate::reference::Reference,
        txn: &'a DatabaseTransaction,
        person_id: Uuid,
        year: i32,
    ) -> futures_util::future::BoxFuture<'a, Result<serde_json::Value, ServiceError>> {
        Box::pin(async move {
            let mut ledger = standing::Ledger::new();
            ledger.rejudge(person_id, year);
            let applied = ledger.apply(txn, reference, self).await?;
            Ok(applied.to_json())
        })
    }
}

fn compliance_assess(policy: &Policy, j: &Judged) -> Assessment {
    crate::domain::compliance::assess(policy, &j.year.series, &j.year.facts)
}

/// R-CE-1: issues the certificate of a complete year on demand (the
/// person, their unit's admins, hrss).
pub async fn issue(
    state: &AppState,
    auth: &Caller,
    person_id: Uuid,
    year: Year,
) -> Result<Certificate, ServiceError> {
    crate::parties::persons::require_full_access(state, auth, person_id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(c) = valid_of(&txn, person_id, year.value()).await? {
        return Err(ServiceError::conflict(
            "certificate_exists",
            format!("{} has a certificate already: {}", year.value(), c.number),
        ));
    }
    let policy = crate::reference::in_force(&txn, year).await?;
    let (_, a) = standing::assess(&txn, &state.reference, &policy, person_id).await?;
    if !a.complete {
        return Err(ServiceError::invalid_field(
            "year_incomplete",
            "year",
            format!(
                "{} is not complete: missing public {}, professional {}, elective {} hours",
                year.value(),
                a.public.missing,
                a.professional.missing,
                a.elective.missing
            ),
        ));
    }
    let snapshot = serde_json::to_value(&policy).map_err(anyhow::Error::from)?;
    let m = insert_valid(
        &txn,
        person_id,
        year.value(),
        &CertificateHours::of(&a),
        Some(&snapshot),
    )
    .await?
    .ok_or_else(|| ServiceError::conflict("certificate_exists", "issued meanwhile"))?;
    audit::record(
        &txn,
        Change::new("certificate", m.id, "issued")
            .after(
                json!({"number": m.number, "year": m.year, "status": m.status, "hours": m.hours}),
            )
            .person(person_id),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m))
}

/// Filters of the list.
#[derive(Debug, Default)]
pub struct CertificateFilter {
    pub person_id: Option<Uuid>,
    pub year: Option<Year>,
    pub status: Option<CertificateStatus>,
}

/// hrss sees all; a person their own; a unit admin those issued while the
/// person was with the unit.
fn visible(auth: &Caller, c: &certificate::Model) -> bool {
    auth.has_role(Role::Hrss)
        || holds(auth, Role::Person, c.person_id)
        || c.unit_id.is_some_and(|u| holds(auth, Role::UnitAdmin, u))
}

/// A page of the certificates the caller may see, oldest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    filter: CertificateFilter,
    page: Page,
) -> Result<CertificatePage, ServiceError> {
    require_any(auth, &[Role::Person, Role::UnitAdmin, Role::Hrss])?;
    let mut q = certificate::Entity::find();
    if !auth.has_role(Role::Hrss) {
        q = q.filter(
            sea_orm::Condition::any()
                .add(certificate::Column::PersonId.is_in(orgs(auth, Role::Person)))
                .add(certificate::Column::UnitId.is_in(orgs(auth, Role::UnitAdmin))),
        );
    }
    if let Some(p) = filter.person_id {
        q = q.filter(certificate::Column::PersonId.eq(p));
    }
    if let Some(y) = filter.year {
        q = q.filter(certificate::Column::Year.eq(y.value()));
    }
    if let Some(s) = filter.status {
        q = q.filter(certificate::Column::Status.eq(s.as_str()));
    }
    // A list: the replica's when one serves (`AppState::read_db`).
    let (rows, next_cursor) = page
        .load(state.read_db(), q, certificate::Column::Id, false, |r| r.id)
        .await?;
    Ok(CertificatePage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

pub(crate) async fn load_visible(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<certificate::Model, ServiceError> {
    require_any(auth, &[Role::Person, Role::UnitAdmin, Role::Hrss])?;
    certificate::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|c| visible(auth, c))
        .ok_or(ServiceError::NotFound("certificate"))
}

/// One certificate, if the caller may see it.
pub async fn get(state: &AppState, auth: &Caller, id: Uuid) -> Result<Certificate, ServiceError> {
    load_visible(state, auth, id).await.map(view)
}

fn not_valid(c: &certificate::Model, what: &str) -> ServiceError {
    ServiceError::conflict(
        "illegal_transition",
        format!("cannot {what} a certificate that is {}", c.status),
    )
}

/// R-CE-2: a new number for the same year, stating the hours that count
/// now (judged under the policy the certificate was issued under); the
/// old certificate is superseded and its number no longer stands.
pub async fn reissue(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
) -> Result<Certificate, ServiceError> {
    let old = load_visible(state, auth, id).await?;
    reviews::check_version(expected, old.version)?;
    if old.status != CertificateStatus::Valid {
        return Err(not_valid(&old, "reissue"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let policy = match policy_of(&old) {
        Some(p) => p,
        None => crate::reference::in_force(&txn, Year::new(old.year)?).await?,
    };
    let (_, a) = standing::assess(&txn, &state.reference, &policy, old.person_id).await?;
    if !a.complete {
        return Err(ServiceError::conflict(
            "year_incomplete",
            format!(
                "{} no longer counts as complete: the certificate cannot be reissued",
                old.year
            ),
        ));
    }
    let new = replace_valid(&txn, &old, &CertificateHours::of(&a), REISSUED).await?;
    audit::record(
        &txn,
        Change::new("certificate", old.id, "reissued")
            .before(json!({"number": old.number, "status": old.status}))
            .after(json!({
                "status": CertificateStatus::Superseded.as_str(),
                "superseded_by": {"id": new.id, "number": new.number},
                "hours": new.hours,
            }))
            .person(old.person_id),
    )
    .await?;
    txn.commit().await?;
    Ok(view(new))
}

/// hrss withdraws a valid certificate with a reason.
pub async fn revoke(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    expected: Option<i32>,
    reason: String,
) -> Result<Certificate, ServiceError> {
    crate::authz::require_role(auth, Role::Hrss, "certificates are revoked by hrss")?;
    let c = certificate::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("certificate"))?;
    reviews::check_version(expected, c.version)?;
    if c.status != CertificateStatus::Valid {
        return Err(not_valid(&c, "revoke"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    reviews::write_versioned::<certificate::Entity, _>(
        &txn,
        COLS,
        c.id,
        c.version,
        vec![
            (
                certificate::Column::Status,
                Expr::value(CertificateStatus::Revoked.as_str()),
            ),
            (certificate::Column::RevokedReason, Expr::value(reason)),
            (certificate::Column::RevokedAt, Expr::value(Utc::now())),
        ],
    )
    .await?;
    // Its verify answer changes (issue 21).
    crate::cache::bump(&txn, crate::cache::Kind::Certificates).await?;
    let revoked = certificate::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("certificate"))?;
    announce(&txn, EventType::CertificateRevoked, &revoked).await?;
    audit::record(
        &txn,
        Change::new("certificate", c.id, "revoked")
            .before(json!({"number": c.number, "status": c.status}))
            .after(json!({"status": revoked.status, "reason": revoked.revoked_reason}))
            .person(c.person_id),
    )
    .await?;
    txn.commit().await?;
    Ok(view(revoked))
}

/// Whether a number's holder is the person a relying party names.
#[derive(Debug, Clone)]
pub struct HolderCheck {
    /// The number as asked, normalised when it is well-formed.
    pub number: String,
    /// `valid`, `superseded`, `revoked` or `unknown`, as `GET /verify/{number}`.
    pub status: String,
    /// The certificate is that person's: the ID number and the name both
    /// match its holder's. `false` for unknown numbers.
    pub matches: bool,
}

/// Certificates issued outside this system (the old city system's,
/// 历史证书): the oversight context keeps them and answers for their
/// numbers, which never read as current ones.
pub trait Archive: Sync {
    fn verify<'a>(
        &'a self,
        state: &'a AppState,
        number: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<Option<Verification>, ServiceError>>;

    /// The keyed hash of the ID number and the name a number was issued to.
    fn holder_of<'a>(
        &'a self,
        state: &'a AppState,
        number: &'a str,
    ) -> futures_util::future::BoxFuture<'a, Result<Option<(String, String)>, ServiceError>>;
}

/// The roles that may ask who holds a number: organisations that receive
/// certificates (units, industry authorities, hrss; title committees get
/// a role of their own, R-CE-5).
const RELYING_PARTIES: &[Role] = &[Role::UnitAdmin, Role::Authority, Role::Hrss];

/// R-CE-3: a relying party that holds an applicant's ID number and name
/// asks whether a number is theirs — the only way to confirm a holder's
/// number, online, rate-limited per account and audited; the number
/// itself is never shown and nothing public lets anyone confirm it.
pub async fn check_holder(
    state: &AppState,
    archive: &dyn Archive,
    auth: &Caller,
    number: &str,
    id_card_no: &crate::domain::IdCardNo,
    name: &crate::domain::PersonName,
) -> Result<HolderCheck, ServiceError> {
    require_any(auth, RELYING_PARTIES)?;
    crate::state::check_account_rate(&state.holder_limiter, auth.account_id())?;
    let hash = state.pii.hash("id_card", id_card_no.as_ref());
    let normalised = CertificateNumber::parse(number)
        .map(|n| n.as_ref().to_string())
        .unwrap_or_else(|_| number.chars().take(64).collect());
    let current = certificate::Entity::find()
        .filter(certificate::Column::Number.eq(&normalised))
        .one(&state.db)
        .await?;
    let (status, matches, subject) = match current {
        Some(c) => {
            let holder = person::Entity::find_by_id(c.person_id)
                .one(&state.db)
                .await?
                .ok_or(ServiceError::NotFound("person"))?;
            let matches = holder.id_card_hash == hash && holder.name == name.as_ref();
            (c.status.to_string(), matches, Some((c.id, c.person_id)))
        }
        None => match archive.holder_of(state, number).await? {
            Some((legacy_hash, legacy_name)) => (
                CertificateStatus::Valid.as_str().to_string(),
                legacy_hash == hash && legacy_name == name.as_ref(),
                None,
            ),
            None => ("unknown".to_string(), false, None),
        },
    };
    let txn = crate::db::begin_write(&state.db).await?;
    let change = match subject {
        Some((id, person_id)) => Change::new("certificate", id, "holder_checked").person(person_id),
        None => Change::about("certificate", "holder_checked"),
    };
    audit::record(
        &txn,
        change.after(json!({"number": normalised, "status": status, "matches": matches})),
    )
    .await?;
    txn.commit().await?;
    Ok(HolderCheck {
        number: normalised,
        status,
        matches,
    })
}

/// What the public may learn of why a number no longer stands: the
/// system's reasons as they are, hrss's own words never.
pub(crate) fn public_reason(c: &certificate::Model) -> Option<&'static str> {
    reason_of(c.status, c.revoked_reason.as_deref())
}

fn reason_of(status: CertificateStatus, reason: Option<&str>) -> Option<&'static str> {
    if status == CertificateStatus::Superseded {
        return Some(match reason {
            Some(HOURS_CORRECTED) => HOURS_CORRECTED,
            _ => REISSUED,
        });
    }
    if status == CertificateStatus::Revoked {
        return Some(match reason {
            Some(HOURS_WITHDRAWN) => HOURS_WITHDRAWN,
            Some(RECORD_UNTRUTHFUL) => RECORD_UNTRUTHFUL,
            _ => "revoked_by_hrss",
        });
    }
    None
}

/// A name with all but its first character masked.
pub(crate) fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// R-CE-3: what a number says, for anyone. Malformed and unknown numbers
/// answer `unknown` in the same shape.
pub async fn verify(
    state: &AppState,
    archive: &dyn Archive,
    number: &str,
) -> Result<Verification, ServiceError> {
    let unknown = |n: String| Verification {
        status: "unknown".into(),
        number: n,
        year: None,
        hours: None,
        holder_name_masked: None,
        id_card_masked: None,
        issued_at: None,
        legacy: false,
        reason: None,
    };
    let Ok(parsed) = CertificateNumber::parse(number) else {
        // Legacy numbers never read as current ones, so only these can be.
        if let Some(v) = archive.verify(state, number).await? {
            return Ok(v);
        }
        return Ok(unknown(number.chars().take(64).collect()));
    };
    // From the process's memory when it holds the answer (issue 21: it
    // forgets it when the certificate is superseded or revoked, at once
    // here and within `cache.poll_ms` on every other process); else one
    // query: the certificate with its holder's name and masked ID number.
    let key = parsed.as_ref().to_string();
    if let Some(v) = state.verified.get(&key) {
        return Ok(v);
    }
    let ticket = state.verified.ticket();
    let holder = certificate::Entity::belongs_to(person::Entity)
        .from(certificate::Column::PersonId)
        .to(person::Column::Id)
        .into();
    let Some((number, status, year, hours, issued_at, reason, name, id_card_masked)) =
        certificate::Entity::find()
            .select_only()
            .columns([
                certificate::Column::Number,
                certificate::Column::Status,
                certificate::Column::Year,
                certificate::Column::Hours,
                certificate::Column::IssuedAt,
                certificate::Column::RevokedReason,
            ])
            .column(person::Column::Name)
            .column(person::Column::IdCardMasked)
            .join(JoinType::InnerJoin, holder)
            .filter(certificate::Column::Number.eq(parsed.as_ref()))
            .into_tuple::<(
                String,
                CertificateStatus,
                i32,
                serde_json::Value,
                DateTime<Utc>,
                Option<String>,
                String,
                String,
            )>()
            .one(&state.db)
            .await?
    else {
        return Ok(unknown(parsed.as_ref().to_string()));
    };
    let mut v = unknown(number);
    v.year = Some(year);
    if status == CertificateStatus::Valid {
        v.holder_name_masked = Some(mask_name(&name));
        v.id_card_masked = Some(id_card_masked);
        v.issued_at = Some(issued_at);
        v.hours = serde_json::from_value(hours).ok();
    }
    v.reason = reason_of(status, reason.as_deref()).map(str::to_string);
    v.status = status.as_str().into();
    // Unknown numbers are not held: issuing one needs no bump.
    state.verified.put(ticket, key, v.clone());
    Ok(v)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_keep_their_first_character() {
        assert_eq!(super::mask_name("张三丰"), "张**");
        assert_eq!(super::mask_name("李"), "李");
        assert_eq!(super::mask_name(""), "");
    }
}
