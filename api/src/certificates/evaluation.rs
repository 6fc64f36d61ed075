//! Title evaluation (R-CE-4, R-CE-5): a title committee (评审委员会, role
//! `evaluator`, granted by hrss for the series it evaluates) checks many
//! applicants at once by ID number and name, and learns each one's
//! certificates of the years asked — by default the current year, which
//! is what title evaluation asks for (有问有答 六: 职称申报评审材料只要求提供
//! 当年（本年度）的继续教育证书). Only persons holding one of the evaluator's
//! series in an asked year are found; anyone else reads `not_found`, as a
//! 404 would. A mismatched name never shows the name on file. Every check
//! is rate-limited per account and audited with one event naming the
//! applicants by person id (or, for unknown numbers, the keyed hash):
//! never an ID number in clear.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use ce_entity::{certificate, person, person_series};

use crate::audit::{self, Change};
use crate::auth::{Caller, Role};
use crate::authz::{orgs, require_role};
use crate::certificates::{CertificateHours, public_reason};
use crate::domain::certificate::{ApplicantStatus, CertificateStatus};
use crate::domain::{IdCardNo, PersonName};
use crate::error::ServiceError;
use crate::parties::evaluators;
use crate::state::AppState;

/// At most this many applicants a request.
pub const MAX_APPLICANTS: usize = 200;

/// An applicant a committee names.
#[derive(Debug)]
pub struct Applicant {
    pub id_card_no: IdCardNo,
    pub name: PersonName,
}

/// A certificate as a committee sees it.
#[derive(Debug, Clone)]
pub struct CheckedCertificate {
    pub number: String,
    pub year: i32,
    pub status: CertificateStatus,
    pub issued_at: DateTime<Utc>,
    pub hours: CertificateHours,
    /// Why a superseded or revoked one no longer stands, as
    /// `GET /verify/{number}` says it.
    pub reason: Option<String>,
}

/// What a committee learns of one applicant, in the order asked.
#[derive(Debug, Clone)]
pub struct ApplicantResult {
    /// The ID number as asked, masked.
    pub id_card_masked: String,
    /// The name as asked.
    pub name: String,
    pub status: ApplicantStatus,
    /// Of the years asked, oldest first; empty unless `found`.
    pub certificates: Vec<CheckedCertificate>,
}

/// The answer to one check.
#[derive(Debug, Clone)]
pub struct EvaluationCheck {
    pub years: Vec<i32>,
    /// The series the caller evaluates.
    pub series: Vec<String>,
    pub results: Vec<ApplicantResult>,
}

/// R-CE-5: checks `applicants` for the `years` asked (none: the current
/// year in China time, R-CE-4). 403 for anyone but an evaluator; 429 past
/// `limits.evaluator_checks_per_minute`.
pub async fn check(
    state: &AppState,
    auth: &Caller,
    applicants: Vec<Applicant>,
    years: &[i32],
    now: DateTime<Utc>,
) -> Result<EvaluationCheck, ServiceError> {
    require_role(
        auth,
        Role::Evaluator,
        "only title committees (role evaluator, granted by hrss) check applicants in bulk",
    )?;
    crate::state::check_account_rate(&state.evaluator_limiter, auth.account_id())?;
    let years = crate::domain::certificate::asked_years(years, now);
    let evaluator_ids = orgs(auth, Role::Evaluator);
    let series: BTreeSet<String> = evaluators::series_of(&state.db, &evaluator_ids)
        .await?
        .into_values()
        .flatten()
        .collect();
    let hashes: Vec<String> = applicants
        .iter()
        .map(|a| state.pii.hash("id_card", a.id_card_no.as_ref()))
        .collect();
    let persons: HashMap<String, person::Model> = person::Entity::find()
        .filter(person::Column::IdCardHash.is_in(hashes.iter().cloned()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id_card_hash.clone(), p))
        .collect();
    let ids: Vec<Uuid> = persons.values().map(|p| p.id).collect();
    let in_scope: HashSet<Uuid> = if ids.is_empty() || series.is_empty() {
        HashSet::new()
    } else {
        person_series::Entity::find()
            .filter(person_series::Column::PersonId.is_in(ids.iter().copied()))
            .filter(person_series::Column::Year.is_in(years.iter().copied()))
            .filter(person_series::Column::SeriesCode.is_in(series.iter().cloned()))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|s| s.person_id)
            .collect()
    };
    let mut certificates: HashMap<Uuid, Vec<CheckedCertificate>> = HashMap::new();
    if !in_scope.is_empty() {
        for c in certificate::Entity::find()
            .filter(certificate::Column::PersonId.is_in(in_scope.iter().copied()))
            .filter(certificate::Column::Year.is_in(years.iter().copied()))
            .order_by_asc(certificate::Column::Year)
            .order_by_asc(certificate::Column::IssuedAt)
            .all(&state.db)
            .await?
        {
            let reason = public_reason(&c).map(str::to_string);
            let hours = serde_json::from_value(c.hours.clone()).map_err(anyhow::Error::from)?;
            certificates
                .entry(c.person_id)
                .or_default()
                .push(CheckedCertificate {
                    number: c.number,
                    year: c.year,
                    status: c.status,
                    issued_at: c.issued_at,
                    hours,
                    reason,
                });
        }
    }
    let mut results = Vec::with_capacity(applicants.len());
    let mut trail = Vec::with_capacity(applicants.len());
    for (a, hash) in applicants.iter().zip(&hashes) {
        let found = persons.get(hash);
        let status = match found {
            Some(p) if in_scope.contains(&p.id) => {
                if p.name == a.name.as_ref() {
                    ApplicantStatus::Found
                } else {
                    ApplicantStatus::NameMismatch
                }
            }
            _ => ApplicantStatus::NotFound,
        };
        trail.push(match found {
            Some(p) => json!({"person_id": p.id, "status": status}),
            None => json!({"id_card_hash": hash, "status": status}),
        });
        results.push(ApplicantResult {
            id_card_masked: a.id_card_no.masked(),
            name: a.name.as_ref().to_string(),
            status,
            certificates: match (status, found) {
                (ApplicantStatus::Found, Some(p)) => {
                    certificates.get(&p.id).cloned().unwrap_or_default()
                }
                _ => vec![],
            },
        });
    }
    let series: Vec<String> = series.into_iter().collect();
    let txn = crate::db::begin_write(&state.db).await?;
    let change = match evaluator_ids.first() {
        Some(id) => Change::new(evaluators::ENTITY, *id, "checked"),
        None => Change::about(evaluators::ENTITY, "checked"),
    };
    audit::record(
        &txn,
        change.after(json!({
            "years": years,
            "series": series,
            "applicants": trail,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(EvaluationCheck {
        years,
        series,
        results,
    })
}
