//! Reference data: what only migrations write (the series' requirement
//! groups, the accounting conversion forms) read once per process, and the
//! year's policy (R-REQ-1), which hrss changes rarely, read at most once a
//! second per process. Below every use case: it knows the tables, not the
//! services.

pub mod series;

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use ce_entity::{accounting_credit_conversion, annual_requirement, public_subject};

use crate::domain::Year;
use crate::domain::compliance::{self, Conversion, Group, Policy, Requirement, Rule, SeriesHeld};
use crate::domain::standing as ledger;
use crate::error::ServiceError;

/// The code of degree education related to the person's field (R-RC-7).
pub const DEGREE_EDUCATION: &str = "degree_education";

/// The accounting forms by code.
pub async fn accounting_forms<C: ConnectionTrait>(
    conn: &C,
) -> Result<HashMap<String, accounting_credit_conversion::Model>, ServiceError> {
    Ok(accounting_credit_conversion::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect())
}

/// How a record of this conversion counts beyond its hours.
pub fn kind(
    code: &str,
    forms: &HashMap<String, accounting_credit_conversion::Model>,
) -> Option<Conversion> {
    if code == DEGREE_EDUCATION {
        return Some(Conversion::DegreeEducation);
    }
    let form = forms.get(code)?;
    (form.counts_as == "whole_year").then_some(Conversion::WholeYear {
        public_exempt: form.public_exempt,
    })
}

/// The reference data a judgement needs: each series' requirement group
/// and the accounting conversion forms. Only migrations write them, so a
/// process reads them once ([`Reference::load`]).
#[derive(Debug, Clone, Default)]
pub struct Reference {
    groups: HashMap<String, Group>,
    forms: HashMap<String, accounting_credit_conversion::Model>,
    /// Every series, ordered by code (`GET /series` answers from it).
    series: series::SeriesList,
    /// Where each code stands in `series`.
    series_at: HashMap<String, usize>,
}

impl Reference {
    pub async fn load<C: ConnectionTrait>(conn: &C) -> Result<Self, ServiceError> {
        let series = series::list(conn).await?;
        let groups = series
            .items
            .iter()
            .map(|s| {
                let g = Group::parse(&s.requirement_group).unwrap_or(Group::General);
                (s.code.clone(), g)
            })
            .collect();
        let series_at = series
            .items
            .iter()
            .enumerate()
            .map(|(i, s)| (s.code.clone(), i))
            .collect();
        Ok(Self {
            groups,
            forms: accounting_forms(conn).await?,
            series,
            series_at,
        })
    }

    /// Every series, ordered by code, as the process read them at start.
    pub fn series(&self) -> &series::SeriesList {
        &self.series
    }

    /// The series of `code`.
    pub fn series_of(&self, code: &str) -> Option<&series::Series> {
        self.series_at.get(code).map(|&i| &self.series.items[i])
    }

    /// The accounting conversion form of `code` (R-ACC-2).
    pub fn form(&self, code: &str) -> Option<&accounting_credit_conversion::Model> {
        self.forms.get(code)
    }

    /// The series held, each with its requirement group (a code the table
    /// does not know is judged by the general group's).
    pub fn held(&self, mut codes: Vec<String>) -> Vec<SeriesHeld> {
        codes.sort();
        codes.dedup();
        codes
            .into_iter()
            .map(|code| SeriesHeld {
                group: self.groups.get(&code).copied().unwrap_or(Group::General),
                code,
                exempt: None,
                terms: compliance::Terms::default(),
            })
            .collect()
    }

    /// The calculator's facts of a year's lines.
    pub fn facts(&self, lines: &[ledger::Line]) -> Vec<compliance::Fact> {
        ledger::facts(lines, |code| kind(code, &self.forms))
    }
}

fn rule(m: &annual_requirement::Model) -> Option<Rule> {
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    Some(Rule {
        group: Group::parse(&m.requirement_group)?,
        requirement: Requirement {
            effective_year: m.effective_year,
            total_min: n(m.total_min),
            public_min: n(m.public_min),
            professional_min: n(m.professional_min),
            elective_min: n(m.elective_min),
            general_knowledge_min: n(m.professional_general_knowledge_min),
        },
    })
}

/// Policies as a process read them lately (R-REQ-1). hrss changes a
/// policy rarely; each change bumps the `policies` counter
/// (`crate::cache`), so the process that made it forgets what it held as
/// soon as its request ends and every other process within
/// `cache.poll_ms`. `database.policy_cache_ms` bounds how long a policy is
/// held besides. Bounded by the years asked (2017–2100).
#[derive(Debug)]
pub struct PolicyCache {
    ttl: std::time::Duration,
    generations: std::sync::Arc<crate::cache::Generations>,
    held: crate::cache::Lru<i32, (std::time::Instant, Policy)>,
}

impl PolicyCache {
    pub fn new(
        ttl: std::time::Duration,
        generations: std::sync::Arc<crate::cache::Generations>,
    ) -> Self {
        Self {
            ttl,
            held: crate::cache::Lru::new(crate::cache::Kind::Policies, generations.clone(), 256),
            generations,
        }
    }

    /// The policy in force for `year`.
    pub async fn get<C: ConnectionTrait>(
        &self,
        conn: &C,
        year: Year,
    ) -> Result<Policy, ServiceError> {
        if let Some((at, p)) = self.held.get(&year.value())
            && at.elapsed() < self.ttl
        {
            return Ok(p);
        }
        let ticket = self.held.ticket();
        let p = in_force(conn, year).await?;
        self.held
            .put(ticket, year.value(), (std::time::Instant::now(), p.clone()));
        Ok(p)
    }

    /// What the cache did (`/metrics`).
    pub fn stats(&self) -> crate::cache::Stats {
        self.held.stats()
    }

    /// Forgets everything (this process changed a policy).
    pub fn clear(&self) {
        self.generations.forget(crate::cache::Kind::Policies);
    }
}

/// R-REQ-1: the policy in force for `year`, with the year's public
/// topics (R-RC-8), or 404 when no rule is.
pub async fn in_force<C: ConnectionTrait>(conn: &C, year: Year) -> Result<Policy, ServiceError> {
    let rules: Vec<Rule> = annual_requirement::Entity::find()
        .filter(annual_requirement::Column::EffectiveYear.lte(year.value()))
        .all(conn)
        .await?
        .iter()
        .filter_map(rule)
        .collect();
    let mut policy =
        Policy::in_force(year.value(), &rules).ok_or(ServiceError::NotFound("policy"))?;
    policy.public_topics = public_subject::Entity::find()
        .filter(public_subject::Column::Year.eq(year.value()))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| t.topic)
        .collect();
    policy.public_topics.sort();
    Ok(policy)
}
