//! Statistics (R-ST-1): per professional series, unit or region, for a
//! year, how many persons there are, how many completed the year, their
//! approved hours per category and their valid certificates.
//!
//! Computed in the database with one aggregate query per page of groups
//! over the ledger's standings (`ledger::standing`), so no person or
//! record row is loaded into the server: the same SQL runs on SQLite and
//! PostgreSQL.
//!
//! Completion is the compliance calculator's judgement (R-REQ-1..3,
//! R-RC-7, R-RC-8, R-ACC-1, R-ACC-2; `domain::compliance::assess`) as the
//! ledger stores it in `standings` with every change of hours: the rule is
//! written once. A person with no hours in the year has no standing and
//! counts as not complete. A year that owes nothing (R-ACC-6: every series
//! held exempt, `standings.exempt`) counts in `persons_exempt`, not
//! complete and not behind. Approved hours are the records' as recorded
//! (the calculator's caps apply to completion only).
//!
//! Groups: a person's series are those held in the year
//! (`person_series`); their unit is the one they are bound to now (as in
//! `GET /units/{id}/compliance`); their region is the division code of
//! that unit's unified social credit code (GB 32100 characters 3–8, the
//! registering authority's GB/T 2260 code). Persons with no series or no
//! unit form a group with a `null` key.
//!
//! Scope: hrss sees everything. An industry authority sees the persons
//! holding one of its series that year; a city or district authority only
//! those whose unit lies in its region (a province authority covers the
//! whole system, which is the province's). With `group_by=series` it sees
//! the groups of its own series; professional hours count only records of
//! its series. An account holding several authority grants sees the union.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Value};
use uuid::Uuid;

use ce_entity::{authority, authority_series};

use crate::auth::{Caller, Role};
use crate::authz::orgs;
use crate::domain::authority::AuthorityLevel;
use crate::domain::certificate::CertificateStatus;
use crate::domain::compliance::Policy;
use crate::domain::record::RecordCategory;
use crate::domain::standing::Counted;
use crate::domain::{Hours, Year};
use crate::error::ServiceError;
use ce_entity::state::BindingStatus;

pub use crate::domain::oversight::GroupBy;

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Series => "series",
            GroupBy::Unit => "unit",
            GroupBy::Region => "region",
        }
    }
}

/// Approved hours per category (one decimal place).
#[derive(Debug, Clone)]
pub struct CategoryHours {
    pub public: f64,
    pub professional: f64,
    pub elective: f64,
}

/// One group's figures.
#[derive(Debug, Clone)]
pub struct StatisticsGroup {
    /// The series code, unit id or six-digit region code; `null` for the
    /// persons holding no series (or bound to no unit) that year.
    pub key: Option<String>,
    /// The series' or unit's name; `null` for regions and the `null` group.
    pub name: Option<String>,
    pub persons: i64,
    /// Persons whose year is complete (R-REQ-2, R-REQ-3).
    pub persons_complete: i64,
    /// Persons whose year owes nothing (every series held is exempt,
    /// R-ACC-6): neither complete nor behind.
    pub persons_exempt: i64,
    /// Approved hours of the year (records' hours as declared; the
    /// calculator's 72-hour cap on degree education applies to completion
    /// only).
    pub approved_hours: CategoryHours,
    /// Valid (not superseded or revoked) certificates of the year.
    pub valid_certificates: i64,
}

/// The statistics of a year.
#[derive(Debug, Clone)]
pub struct Statistics {
    pub year: i32,
    pub group_by: GroupBy,
    /// Ordered by key, the `null` group last.
    pub groups: Vec<StatisticsGroup>,
}

/// Whose figures the caller may see.
#[derive(Debug, Clone)]
pub struct Scope {
    /// `None`: everything (hrss); else the union of the caller's authorities'.
    authorities: Option<Vec<AuthorityScope>>,
}

/// One authority's part of a scope.
#[derive(Debug, Clone)]
struct AuthorityScope {
    series: Vec<String>,
    /// Leading digits of the units' division codes (city or district authority).
    region_prefix: Option<String>,
}

impl Scope {
    /// Every series of the caller's authorities, once (`None`: all).
    fn series(&self) -> Option<Vec<String>> {
        self.authorities.as_ref().map(|list| {
            let mut all: Vec<String> = list.iter().flat_map(|a| a.series.clone()).collect();
            all.sort();
            all.dedup();
            all
        })
    }
}

/// hrss: everything; an authority: its series (and region below province
/// level), the union of them when the account holds several; anyone else
/// 403.
pub async fn scope_of<C: ConnectionTrait>(conn: &C, auth: &Caller) -> Result<Scope, ServiceError> {
    if auth.has_role(Role::Hrss) {
        return Ok(Scope { authorities: None });
    }
    let ids = orgs(auth, Role::Authority);
    if ids.is_empty() {
        return Err(ServiceError::forbidden(
            "forbidden",
            "statistics are for hrss and industry authorities",
        ));
    }
    let mut authorities = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(a) = authority::Entity::find_by_id(id).one(conn).await? else {
            continue;
        };
        let series: Vec<String> = authority_series::Entity::find()
            .filter(authority_series::Column::AuthorityId.eq(id))
            .all(conn)
            .await?
            .into_iter()
            .map(|s| s.series_code)
            .collect();
        let digits = match AuthorityLevel::parse(&a.level) {
            Some(AuthorityLevel::City) => Some(4),
            Some(AuthorityLevel::District) => Some(6),
            _ => None,
        };
        let region_prefix = digits.map(|n| a.region.chars().take(n).collect::<String>());
        authorities.push(AuthorityScope {
            series,
            region_prefix,
        });
    }
    Ok(Scope {
        authorities: Some(authorities),
    })
}

/// A page of groups: those with a key after `after` (in key order), or,
/// with `null_group`, the one group with no key.
#[derive(Debug, Clone)]
pub enum GroupPage {
    After(Option<String>),
    NullGroup,
}

/// The number of groups one query reads.
pub const PAGE: u64 = 1000;

/// The whole view: every page of groups (groups are series, regions or
/// units, never persons).
pub async fn of_year<C: ConnectionTrait>(
    conn: &C,
    auth: &Caller,
    year: Year,
    group_by: GroupBy,
) -> Result<Statistics, ServiceError> {
    let scope = scope_of(conn, auth).await?;
    let policy = crate::reference::in_force(conn, year).await?;
    let mut groups = Vec::new();
    let mut page = GroupPage::After(None);
    loop {
        let rows = groups_page(conn, &scope, &policy, group_by, &page, PAGE).await?;
        let full = rows.len() as u64 == PAGE;
        let last = rows.last().and_then(|g| g.key.clone());
        let was_null = matches!(page, GroupPage::NullGroup);
        groups.extend(rows);
        page = match (was_null, full, last) {
            (true, _, _) => break,
            (false, true, Some(k)) => GroupPage::After(Some(k)),
            _ => GroupPage::NullGroup,
        };
    }
    Ok(Statistics {
        year: year.value(),
        group_by,
        groups,
    })
}

fn placeholders(n: usize) -> String {
    if n == 0 {
        "(NULL)".into()
    } else {
        format!("({})", vec!["?"; n].join(", "))
    }
}

/// One page of groups, aggregated in the database from the standings.
pub async fn groups_page<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    policy: &Policy,
    group_by: GroupBy,
    page: &GroupPage,
    limit: u64,
) -> Result<Vec<StatisticsGroup>, ServiceError> {
    let year = policy.year;
    // Values in the order of the SQL text: the per-person totals', the
    // certificates', the grouping join's, then the conditions'.
    let mut values: Vec<Value> = Vec::new();
    let pc = person_totals(scope, year, &mut values);
    values.push(year.into());
    let grouping = Grouping::of(group_by, year, &mut values);
    let mut conds: Vec<String> = Vec::new();
    if let Some(c) = in_scope(scope, group_by, year, &mut values) {
        conds.push(c);
    }
    match page_condition(grouping.key, group_by, page, &mut values) {
        Some(c) => conds.push(c),
        // A cursor that names no group of this kind: nothing after it.
        None => return Ok(Vec::new()),
    }
    let Grouping {
        key,
        name,
        pro,
        join,
    } = grouping;
    let (cert, cur) = (valid_certificates(), current_units());
    let sql = format!(
        "SELECT {key} AS gkey, MAX({name}) AS gname,
            CAST(COUNT(*) AS BIGINT) AS persons,
            CAST(SUM(pc.complete) AS BIGINT) AS complete,
            CAST(SUM(pc.exempt) AS BIGINT) AS exempt,
            CAST(SUM(pc.pub) AS BIGINT) AS pub,
            CAST(SUM({pro}) AS BIGINT) AS pro,
            CAST(SUM(pc.ele) AS BIGINT) AS ele,
            CAST(SUM(COALESCE(cert.n, 0)) AS BIGINT) AS certs
         FROM ({pc}) pc
         LEFT JOIN ({cert}) cert ON cert.person_id = pc.person_id
         LEFT JOIN ({cur}) cur ON cur.person_id = pc.person_id
         {join}
         WHERE {}
         GROUP BY {key}
         ORDER BY {key}
         LIMIT {limit}",
        conds.join(" AND ")
    );
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(crate::db::statement(backend, &sql, values))
        .await?;
    rows.iter().map(|r| group_of(r, group_by)).collect()
}

/// `(?, ?, …)` for a list of series codes, whose values join `values`.
fn series_in(values: &mut Vec<Value>, list: &[String]) -> String {
    values.extend(list.iter().map(|s| Value::from(s.clone())));
    placeholders(list.len())
}

/// Per person: the ledger's judgement and approved hours (R-REQ-2; the
/// completion rule is the calculator's, kept in `standings`), with the
/// professional hours that count for the caller: all, or those of the
/// authority's series (from the lines).
fn person_totals(scope: &Scope, year: i32, values: &mut Vec<Value>) -> String {
    let approved = Counted::Approved.as_str();
    let professional = RecordCategory::Professional.as_str();
    values.push(year.into());
    let (pro_expr, pro_join) = match scope.series() {
        None => ("COALESCE(s.professional_tenths, 0)", String::new()),
        Some(list) => {
            values.push(year.into());
            let within = series_in(values, &list);
            (
                "COALESCE(ls.pro, 0)",
                format!(
                    "LEFT JOIN (SELECT person_id, SUM(hours_tenths) AS pro FROM standing_lines
                        WHERE year = ? AND counted = '{approved}' AND category = '{professional}'
                          AND series_code IN {within}
                        GROUP BY person_id) ls ON ls.person_id = p.id"
                ),
            )
        }
    };
    format!(
        "SELECT p.id AS person_id,
            CASE WHEN s.complete THEN 1 ELSE 0 END AS complete,
            CASE WHEN s.exempt IS NOT NULL THEN 1 ELSE 0 END AS exempt,
            COALESCE(s.public_tenths, 0) AS pub,
            {pro_expr} AS pro,
            COALESCE(s.elective_tenths, 0) AS ele
         FROM persons p
         LEFT JOIN standings s ON s.person_id = p.id AND s.year = ?
         {pro_join}"
    )
}

/// A person's valid certificates of the year (one value: the year).
fn valid_certificates() -> String {
    format!(
        "SELECT person_id, COUNT(*) AS n FROM certificates
         WHERE year = ? AND status = '{}' GROUP BY person_id",
        CertificateStatus::Valid.as_str()
    )
}

/// Where the person is: their unit now and its region (no values).
fn current_units() -> String {
    format!(
        "SELECT b.person_id AS person_id, b.unit_id AS unit_id,
            u.name AS unit_name, substr(u.credit_code, 3, 6) AS region
         FROM bindings b JOIN units u ON u.id = b.unit_id WHERE b.status = '{}'",
        BindingStatus::Approved.as_str()
    )
}

/// What a kind of group is keyed and named by, its professional hours, and
/// the join it needs.
struct Grouping {
    key: &'static str,
    name: &'static str,
    pro: &'static str,
    join: String,
}

impl Grouping {
    fn of(group_by: GroupBy, year: i32, values: &mut Vec<Value>) -> Self {
        match group_by {
            GroupBy::Series => {
                // A series' approved professional hours, per person (R-REQ-3).
                let sr = format!(
                    "SELECT person_id, series_code, SUM(hours_tenths) AS pro FROM standing_lines
                     WHERE year = ? AND counted = '{}' AND category = '{}' AND series_code <> ''
                     GROUP BY person_id, series_code",
                    Counted::Approved.as_str(),
                    RecordCategory::Professional.as_str()
                );
                values.push(year.into());
                values.push(year.into());
                Grouping {
                    key: "ps2.series_code",
                    name: "psn.name",
                    // R-REQ-3: a series' professional hours are its records'.
                    pro: "CASE WHEN ps2.series_code IS NULL THEN pc.pro ELSE COALESCE(sr2.pro, 0) END",
                    join: format!(
                        "LEFT JOIN person_series ps2 ON ps2.person_id = pc.person_id AND ps2.year = ?
                         LEFT JOIN professional_series psn ON psn.code = ps2.series_code
                         LEFT JOIN ({sr}) sr2 ON sr2.person_id = pc.person_id AND sr2.series_code = ps2.series_code"
                    ),
                }
            }
            GroupBy::Unit => Grouping {
                key: "cur.unit_id",
                name: "cur.unit_name",
                pro: "pc.pro",
                join: String::new(),
            },
            GroupBy::Region => Grouping {
                key: "cur.region",
                name: "CAST(NULL AS TEXT)",
                pro: "pc.pro",
                join: String::new(),
            },
        }
    }
}

/// Who is in scope: for each of the caller's authorities, a person of its
/// series (and, below province level, of a unit in its region); `None`
/// for everyone (hrss).
fn in_scope(
    scope: &Scope,
    group_by: GroupBy,
    year: i32,
    values: &mut Vec<Value>,
) -> Option<String> {
    let list = scope.authorities.as_ref()?;
    let mut any = Vec::with_capacity(list.len());
    for a in list {
        let mut all = Vec::with_capacity(2);
        if group_by == GroupBy::Series {
            all.push(format!(
                "ps2.series_code IN {}",
                series_in(values, &a.series)
            ));
        } else {
            values.push(year.into());
            all.push(format!(
                "EXISTS (SELECT 1 FROM person_series x WHERE x.person_id = pc.person_id AND x.year = ? AND x.series_code IN {})",
                series_in(values, &a.series)
            ));
        }
        if let Some(prefix) = &a.region_prefix {
            all.push(format!("substr(cur.region, 1, {}) = ?", prefix.len()));
            values.push(prefix.clone().into());
        }
        any.push(format!("({})", all.join(" AND ")));
    }
    if any.is_empty() {
        any.push("1 = 0".into());
    }
    Some(format!("({})", any.join(" OR ")))
}

/// The page's condition on the group key; `None` when the cursor cannot
/// name a group of this kind.
fn page_condition(
    key: &str,
    group_by: GroupBy,
    page: &GroupPage,
    values: &mut Vec<Value>,
) -> Option<String> {
    match page {
        GroupPage::NullGroup => Some(format!("{key} IS NULL")),
        GroupPage::After(None) => Some(format!("{key} IS NOT NULL")),
        GroupPage::After(Some(after)) => {
            values.push(match group_by {
                GroupBy::Unit => Uuid::parse_str(after).ok()?.into(),
                _ => after.clone().into(),
            });
            Some(format!("{key} > ?"))
        }
    }
}

/// One row of the query as a group.
fn group_of(r: &sea_orm::QueryResult, group_by: GroupBy) -> Result<StatisticsGroup, ServiceError> {
    let tenths = |t: i64| Hours::from_tenths(u32::try_from(t.max(0)).unwrap_or(u32::MAX)).as_f64();
    let n = |c: &str| -> Result<i64, sea_orm::DbErr> {
        Ok(r.try_get::<Option<i64>>("", c)?.unwrap_or(0))
    };
    let key = match group_by {
        GroupBy::Unit => r
            .try_get::<Option<Uuid>>("", "gkey")?
            .map(|u| u.to_string()),
        _ => r.try_get::<Option<String>>("", "gkey")?,
    };
    Ok(StatisticsGroup {
        key,
        name: r.try_get::<Option<String>>("", "gname")?,
        persons: n("persons")?,
        persons_complete: n("complete")?,
        persons_exempt: n("exempt")?,
        approved_hours: CategoryHours {
            public: tenths(n("pub")?),
            professional: tenths(n("pro")?),
            elective: tenths(n("ele")?),
        },
        valid_certificates: n("certs")?,
    })
}
