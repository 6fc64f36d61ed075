//! Annual requirements (R-REQ-1, R-REQ-4) and public subjects (R-RC-8):
//! the policy in force for a year, read from `annual_requirements` and
//! `public_subjects` (seeded from `../shared/data`), set by hrss.

use crate::audit::{self, Change};
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde_json::json;

use ce_entity::{annual_requirement, policy_default, public_deadline, public_subject};

use crate::auth::{Caller, Role};
use crate::domain::Year;
use crate::domain::compliance::{Group, Requirement};
use crate::domain::public::MonthDay;
use crate::error::ServiceError;
use crate::reference::in_force;
use crate::state::AppState;

/// The minimum hours of one group (whole hours).
#[derive(Debug, Clone, Serialize)]
pub struct GroupRequirement {
    /// The sum of the three categories (R-REQ-2: the total follows from the parts).
    pub total_min: u32,
    pub public_min: u32,
    /// Per series held (R-REQ-3).
    pub professional_min: u32,
    pub elective_min: u32,
    /// Of the professional hours, at least this many in general-knowledge
    /// subjects (R-ACC-1).
    pub professional_general_knowledge_min: u32,
    /// The year this rule took effect (it applies until a later one).
    pub effective_year: i32,
}

/// The requirement per group.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyGroups {
    pub general: GroupRequirement,
    pub accounting: GroupRequirement,
    pub archives: GroupRequirement,
}

/// A public-subject topic of the year (R-RC-8).
#[derive(Debug, Clone, Serialize)]
pub struct PublicTopic {
    pub topic: String,
    /// Hours of this topic that complete the year's public requirement.
    pub hours_to_complete: u32,
}

/// The policy in force for a year (serialized as the audit event's
/// before and after).
#[derive(Debug, Clone, Serialize)]
pub struct YearPolicy {
    pub year: i32,
    pub groups: PolicyGroups,
    pub public_topics: Vec<PublicTopic>,
    /// The last day public hours of the year are received (R-RC-8): after
    /// it the year's courses are offline and its public hours are refused
    /// whatever their completion date. The published one, or the default
    /// (`GET /policies/defaults`).
    pub public_deadline: Option<NaiveDate>,
    /// Whether `public_deadline` was published for the year (else it is
    /// the default).
    pub public_deadline_published: bool,
}

/// What hrss keeps across years.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyDefaults {
    /// `MM-DD` of the next year: the public deadline of a year that has
    /// none published (R-RC-8). Default `04-30`, as the 2023 guide's.
    pub default_public_deadline: String,
}

/// A group's new minimums.
#[derive(Debug, Clone)]
pub struct GroupMinimums {
    pub public_min: u32,
    pub professional_min: u32,
    pub elective_min: u32,
    pub professional_general_knowledge_min: u32,
}

/// What hrss sets for a year.
#[derive(Debug, Clone, Default)]
pub struct PolicyChange {
    pub groups: Vec<(Group, GroupMinimums)>,
    /// The topics, replacing the year's (they need a deadline).
    pub topics: Option<Vec<PublicTopic>>,
    /// The year's published public deadline.
    pub deadline: Option<NaiveDate>,
}

/// The name of the default public deadline in `policy_defaults`.
const DEFAULT_DEADLINE: &str = "public_deadline";

/// The default deadline rule (R-RC-8): `04-30` unless hrss changed it.
pub async fn default_deadline<C: ConnectionTrait>(conn: &C) -> Result<MonthDay, ServiceError> {
    let stored = policy_default::Entity::find_by_id(DEFAULT_DEADLINE.to_string())
        .one(conn)
        .await?;
    let value = stored.map_or_else(|| "04-30".to_string(), |m| m.value);
    MonthDay::parse(&value)
        .map_err(|e| anyhow::anyhow!("stored default public deadline {value:?}: {e}").into())
}

/// R-RC-8: the last day each of `years` receives public hours: its
/// published deadline, else the default day of the next year.
pub async fn public_deadlines<C: ConnectionTrait>(
    conn: &C,
    years: &[i32],
) -> Result<std::collections::HashMap<i32, (NaiveDate, bool)>, ServiceError> {
    let mut out: std::collections::HashMap<i32, (NaiveDate, bool)> =
        public_deadline::Entity::find()
            .filter(public_deadline::Column::Year.is_in(years.iter().copied()))
            .all(conn)
            .await?
            .into_iter()
            .map(|d| (d.year, (d.deadline, true)))
            .collect();
    let missing: Vec<i32> = years
        .iter()
        .copied()
        .filter(|y| !out.contains_key(y))
        .collect();
    if !missing.is_empty() {
        let rule = default_deadline(conn).await?;
        for y in missing {
            if let Some(d) = rule.in_year(y + 1) {
                out.insert(y, (d, false));
            }
        }
    }
    Ok(out)
}

/// The defaults hrss keeps (public).
pub async fn defaults<C: ConnectionTrait>(conn: &C) -> Result<PolicyDefaults, ServiceError> {
    Ok(PolicyDefaults {
        default_public_deadline: default_deadline(conn).await?.to_string(),
    })
}

/// hrss changes the default public deadline (R-RC-8).
pub async fn set_defaults(
    state: &AppState,
    auth: &Caller,
    deadline: MonthDay,
) -> Result<PolicyDefaults, ServiceError> {
    crate::authz::require_role(auth, Role::Hrss, "policies are set by hrss")?;
    let txn = crate::db::begin_write(&state.db).await?;
    let before = defaults(&txn).await?;
    policy_default::Entity::delete_by_id(DEFAULT_DEADLINE.to_string())
        .exec(&txn)
        .await?;
    policy_default::ActiveModel {
        name: Set(DEFAULT_DEADLINE.into()),
        value: Set(deadline.to_string()),
        updated_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await?;
    let after = defaults(&txn).await?;
    crate::cache::bump(&txn, crate::cache::Kind::Policies).await?;
    audit::record(
        &txn,
        Change::about("policy_defaults", "set")
            .before(json!(before))
            .after(json!(after)),
    )
    .await?;
    txn.commit().await?;
    state.policies.clear();
    Ok(after)
}

fn group_view(r: Requirement) -> GroupRequirement {
    GroupRequirement {
        total_min: r.total_min,
        public_min: r.public_min,
        professional_min: r.professional_min,
        elective_min: r.elective_min,
        professional_general_knowledge_min: r.general_knowledge_min,
        effective_year: r.effective_year,
    }
}

/// The year's policy with its public topics and deadline.
pub async fn get<C: ConnectionTrait>(conn: &C, year: Year) -> Result<YearPolicy, ServiceError> {
    let policy = in_force(conn, year).await?;
    let topics = public_subject::Entity::find()
        .filter(public_subject::Column::Year.eq(year.value()))
        .all(conn)
        .await?;
    let deadline = public_deadlines(conn, &[year.value()])
        .await?
        .get(&year.value())
        .copied();
    Ok(YearPolicy {
        year: year.value(),
        groups: PolicyGroups {
            general: group_view(policy.general),
            accounting: group_view(policy.accounting),
            archives: group_view(policy.archives),
        },
        public_deadline: deadline.map(|(d, _)| d),
        public_deadline_published: deadline.is_some_and(|(_, published)| published),
        public_topics: topics
            .into_iter()
            .map(|t| PublicTopic {
                topic: t.topic,
                hours_to_complete: u32::try_from(t.hours_to_complete).unwrap_or(0),
            })
            .collect(),
    })
}

/// R-REQ-4: hrss sets the rules effective from `year` for the groups given
/// and, optionally, the year's public topics and deadline. Later years keep
/// their own rules; certificates already issued stand.
pub async fn put(
    state: &AppState,
    auth: &Caller,
    year: Year,
    change: PolicyChange,
) -> Result<YearPolicy, ServiceError> {
    crate::authz::require_role(auth, Role::Hrss, "policies are set by hrss")?;
    let source = format!(
        "set by hrss account {} on {}",
        auth.account_id(),
        chrono::Utc::now().date_naive()
    );
    let txn = crate::db::begin_write(&state.db).await?;
    let before = get(&txn, year).await.ok();
    for (group, m) in change.groups {
        annual_requirement::Entity::delete_many()
            .filter(annual_requirement::Column::EffectiveYear.eq(year.value()))
            .filter(annual_requirement::Column::RequirementGroup.eq(group.as_str()))
            .exec(&txn)
            .await?;
        let i = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        annual_requirement::ActiveModel {
            effective_year: Set(year.value()),
            requirement_group: Set(group.as_str().into()),
            total_min: Set(i(m.public_min + m.professional_min + m.elective_min)),
            public_min: Set(i(m.public_min)),
            professional_min: Set(i(m.professional_min)),
            elective_min: Set(i(m.elective_min)),
            professional_general_knowledge_min: Set(i(m.professional_general_knowledge_min)),
            source: Set(source.clone()),
        }
        .insert(&txn)
        .await?;
    }
    if let Some(topics) = change.topics {
        let deadline = change.deadline.ok_or_else(|| {
            ServiceError::invalid_field(
                "public_deadline_missing",
                "public_deadline",
                "public topics need the date after which the year's courses go offline",
            )
        })?;
        public_subject::Entity::delete_many()
            .filter(public_subject::Column::Year.eq(year.value()))
            .exec(&txn)
            .await?;
        for t in topics {
            public_subject::ActiveModel {
                year: Set(year.value()),
                topic: Set(t.topic),
                hours_to_complete: Set(i32::try_from(t.hours_to_complete).unwrap_or(i32::MAX)),
                offline_after: Set(deadline),
                source: Set(source.clone()),
            }
            .insert(&txn)
            .await?;
        }
    }
    if let Some(deadline) = change.deadline {
        public_deadline::Entity::delete_by_id(year.value())
            .exec(&txn)
            .await?;
        public_deadline::ActiveModel {
            year: Set(year.value()),
            deadline: Set(deadline),
            source: Set(source.clone()),
        }
        .insert(&txn)
        .await?;
    }
    let after = get(&txn, year).await?;
    // Every process forgets the policies it holds (issue 21).
    crate::cache::bump(&txn, crate::cache::Kind::Policies).await?;
    // The standings of the years this rule now governs are judged again;
    // certificates issued under the old rule stand (R-REQ-4).
    let last = crate::ledger::standing::last_year(&txn)
        .await?
        .max(year.value());
    let rejudged =
        crate::ledger::standing::rejudge_years(&txn, &state.reference, year.value()..=last).await?;
    audit::record(
        &txn,
        Change::about("policy", "set")
            .before(json!(before))
            .after(json!(after))
            .also("standings_rejudged", json!(rejudged)),
    )
    .await?;
    txn.commit().await?;
    state.policies.clear();
    Ok(after)
}

/// The last day accounting credits of `year` are confirmed: the year's
/// deadline (R-ACC-5: the same as its public subjects', 2023 → 2024-04-30).
pub async fn accounting_deadline<C: ConnectionTrait>(
    conn: &C,
    year: i32,
) -> Result<Option<NaiveDate>, ServiceError> {
    Ok(public_deadlines(conn, &[year])
        .await?
        .remove(&year)
        .map(|(d, _)| d))
}

/// R-ACC-5: 422 `accounting_deadline_passed` when accounting credits of
/// `year` arrive after the year's deadline.
pub async fn check_accounting_window<C: ConnectionTrait>(
    conn: &C,
    year: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServiceError> {
    if let Some(deadline) = accounting_deadline(conn, year).await? {
        crate::domain::public::check_accounting_received(year, now, deadline)
            .map_err(|e| ServiceError::invalid_field(e.code, "year", e.message))?;
    }
    Ok(())
}
