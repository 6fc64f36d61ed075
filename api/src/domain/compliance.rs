//! The annual verification (年度验证, R-REQ-1..3): which requirement is in
//! force for a year, and a pure calculator from (policy, the person's series
//! for the year, their records) to what is required, approved, pending and
//! missing, per category and per series. The same function answers the
//! API and will issue certificates.

use super::Hours;
use super::record::{RecordCategory, RecordStatus};

/// The requirement groups of `professional_series.requirement_group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    General,
    Accounting,
    Archives,
}

impl Group {
    pub const ALL: [Group; 3] = [Group::General, Group::Accounting, Group::Archives];

    pub fn as_str(self) -> &'static str {
        match self {
            Group::General => "general",
            Group::Accounting => "accounting",
            Group::Archives => "archives",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Minimum hours of one group in one year (whole hours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The year the rule took effect.
    pub effective_year: i32,
    pub total_min: u32,
    pub public_min: u32,
    pub professional_min: u32,
    pub elective_min: u32,
    /// Of the professional hours, how many in general-knowledge subjects
    /// (R-ACC-1, accounting from 2023).
    pub general_knowledge_min: u32,
}

/// A stored rule: the group it is for and its requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub group: Group,
    pub requirement: Requirement,
}

/// The requirement in force for every group in one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub year: i32,
    pub general: Requirement,
    pub accounting: Requirement,
    pub archives: Requirement,
}

impl Policy {
    /// R-REQ-1: per group, the latest rule effective in or before `year`; a
    /// group with none is judged by the general group's. `None` when not
    /// even the general group has a rule in force.
    pub fn in_force(year: i32, rules: &[Rule]) -> Option<Policy> {
        let latest = |g: Group| {
            rules
                .iter()
                .filter(|r| r.group == g && r.requirement.effective_year <= year)
                .max_by_key(|r| r.requirement.effective_year)
                .map(|r| r.requirement)
        };
        let general = latest(Group::General)?;
        Some(Policy {
            year,
            general,
            accounting: latest(Group::Accounting).unwrap_or(general),
            archives: latest(Group::Archives).unwrap_or(general),
        })
    }

    pub fn of(&self, g: Group) -> Requirement {
        match g {
            Group::General => self.general,
            Group::Accounting => self.accounting,
            Group::Archives => self.archives,
        }
    }
}

/// A series the person holds in the year, with its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesHeld {
    pub code: String,
    pub group: Group,
}

/// What the calculator needs of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub year: i32,
    pub category: RecordCategory,
    pub series: Option<String>,
    pub hours: Hours,
    pub status: RecordStatus,
}

/// Required, approved, pending and missing hours of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Line {
    pub required: Hours,
    pub approved: Hours,
    pub pending: Hours,
    pub missing: Hours,
}

impl Line {
    fn new(required_hours: u32, approved: Hours, pending: Hours) -> Line {
        let required = Hours::from_tenths(required_hours.saturating_mul(10));
        Line {
            required,
            approved,
            pending,
            missing: Hours::from_tenths(required.tenths().saturating_sub(approved.tenths())),
        }
    }
}

/// The year's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub year: i32,
    /// Every category's (and every series') approved hours reach the minimum.
    pub complete: bool,
    pub public: Line,
    /// Over all series: required is the sum, missing the sum of each
    /// series' shortfall (one series' surplus does not cover another).
    pub professional: Line,
    pub elective: Line,
    pub series: Vec<(String, Line)>,
}

fn sum(facts: &[&Fact], status: RecordStatus, keep: impl Fn(&Fact) -> bool) -> Hours {
    Hours::from_tenths(
        facts
            .iter()
            .filter(|f| f.status == status && keep(f))
            .map(|f| f.hours.tenths())
            .fold(0u32, u32::saturating_add),
    )
}

/// R-REQ-2, R-REQ-3: the standing of `policy.year` given the series held
/// that year and the person's records (others' years are ignored). Public
/// and elective are required once, at the highest minimum of the groups
/// held; professional per series from records of that series. With no
/// series declared, the general professional minimum applies to all
/// professional records.
pub fn assess(policy: &Policy, series: &[SeriesHeld], records: &[Fact]) -> Assessment {
    let facts: Vec<&Fact> = records.iter().filter(|f| f.year == policy.year).collect();
    let groups: Vec<Group> = if series.is_empty() {
        vec![Group::General]
    } else {
        series.iter().map(|s| s.group).collect()
    };
    let max_of =
        |f: fn(Requirement) -> u32| groups.iter().map(|g| f(policy.of(*g))).max().unwrap_or(0);
    let in_cat = |c: RecordCategory| move |f: &Fact| f.category == c;
    let line_of = |c: RecordCategory, required: u32| {
        Line::new(
            required,
            sum(&facts, RecordStatus::Approved, in_cat(c)),
            sum(&facts, RecordStatus::PendingUnitReview, in_cat(c)),
        )
    };
    let public = line_of(RecordCategory::Public, max_of(|r| r.public_min));
    let elective = line_of(RecordCategory::Elective, max_of(|r| r.elective_min));
    let mut lines = Vec::new();
    let professional = if series.is_empty() {
        line_of(
            RecordCategory::Professional,
            policy.general.professional_min,
        )
    } else {
        let mut total = Line::default();
        for s in series {
            let of_series = |f: &Fact| {
                f.category == RecordCategory::Professional && f.series.as_deref() == Some(&s.code)
            };
            let l = Line::new(
                policy.of(s.group).professional_min,
                sum(&facts, RecordStatus::Approved, of_series),
                sum(&facts, RecordStatus::PendingUnitReview, of_series),
            );
            let add =
                |a: Hours, b: Hours| Hours::from_tenths(a.tenths().saturating_add(b.tenths()));
            total = Line {
                required: add(total.required, l.required),
                approved: add(total.approved, l.approved),
                pending: add(total.pending, l.pending),
                missing: add(total.missing, l.missing),
            };
            lines.push((s.code.clone(), l));
        }
        total
    };
    let complete = [public, professional, elective]
        .iter()
        .all(|l| l.missing == Hours::ZERO);
    Assessment {
        year: policy.year,
        complete,
        public,
        professional,
        elective,
        series: lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req(effective_year: i32, p: u32, pro: u32, e: u32) -> Requirement {
        Requirement {
            effective_year,
            total_min: p + pro + e,
            public_min: p,
            professional_min: pro,
            elective_min: e,
            general_knowledge_min: 0,
        }
    }

    /// `data/annual_requirements.csv`.
    fn seed_rules() -> Vec<Rule> {
        vec![
            Rule {
                group: Group::General,
                requirement: req(2018, 18, 42, 12),
            },
            Rule {
                group: Group::Accounting,
                requirement: req(2018, 30, 60, 0),
            },
            Rule {
                group: Group::Archives,
                requirement: req(2019, 30, 60, 0),
            },
            Rule {
                group: Group::General,
                requirement: req(2023, 30, 42, 18),
            },
            Rule {
                group: Group::Accounting,
                requirement: req(2023, 30, 60, 0),
            },
            Rule {
                group: Group::Archives,
                requirement: req(2023, 30, 60, 0),
            },
        ]
    }

    fn fact(year: i32, c: RecordCategory, series: Option<&str>, h: u32, s: RecordStatus) -> Fact {
        Fact {
            year,
            category: c,
            series: series.map(str::to_string),
            hours: Hours::from_tenths(h * 10),
            status: s,
        }
    }

    fn held(code: &str, group: Group) -> SeriesHeld {
        SeriesHeld {
            code: code.into(),
            group,
        }
    }

    #[test]
    fn r_req_1_the_latest_rule_in_force_applies_and_general_fills_gaps() {
        let rules = seed_rules();
        let p2018 = Policy::in_force(2018, &rules).unwrap();
        assert_eq!(p2018.general, req(2018, 18, 42, 12));
        // Archives has no rule before 2019: judged by general's.
        assert_eq!(p2018.archives, req(2018, 18, 42, 12));
        let p2020 = Policy::in_force(2020, &rules).unwrap();
        assert_eq!(p2020.general.effective_year, 2018);
        assert_eq!(p2020.archives, req(2019, 30, 60, 0));
        let p2025 = Policy::in_force(2025, &rules).unwrap();
        assert_eq!(p2025.general, req(2023, 30, 42, 18));
        assert_eq!(Policy::in_force(2017, &rules), None);
    }

    #[test]
    fn r_req_2_a_general_person_completes_2023_with_30_42_18() {
        use RecordCategory::*;
        use RecordStatus::*;
        let policy = Policy::in_force(2023, &seed_rules()).unwrap();
        let series = [held("engineering", Group::General)];
        let mut records = vec![
            fact(2023, Public, None, 30, Approved),
            fact(2023, Professional, Some("engineering"), 42, Approved),
            fact(2023, Elective, None, 17, Approved),
        ];
        let a = assess(&policy, &series, &records);
        assert!(!a.complete);
        assert_eq!(a.elective.missing.as_f64(), 1.0);
        records.push(fact(2023, Elective, None, 1, PendingUnitReview));
        let a = assess(&policy, &series, &records);
        assert!(!a.complete, "pending hours do not count");
        assert_eq!(a.elective.pending.as_f64(), 1.0);
        records.push(fact(2023, Elective, None, 1, Approved));
        assert!(assess(&policy, &series, &records).complete);
    }

    #[test]
    fn r_req_3_two_series_need_professional_hours_each() {
        use RecordCategory::*;
        use RecordStatus::*;
        let policy = Policy::in_force(2023, &seed_rules()).unwrap();
        let series = [
            held("engineering", Group::General),
            held("economics", Group::General),
        ];
        let records = vec![
            fact(2023, Public, None, 30, Approved),
            fact(2023, Elective, None, 18, Approved),
            fact(2023, Professional, Some("engineering"), 84, Approved),
        ];
        let a = assess(&policy, &series, &records);
        assert!(!a.complete, "one series' surplus does not cover the other");
        assert_eq!(a.professional.required.as_f64(), 84.0);
        assert_eq!(a.professional.missing.as_f64(), 42.0);
        assert_eq!(a.series[1].1.missing.as_f64(), 42.0);
        let mut records = records;
        records.push(fact(2023, Professional, Some("economics"), 42, Approved));
        assert!(assess(&policy, &series, &records).complete);
    }

    #[test]
    fn r_req_1_accounting_needs_60_professional_and_no_elective() {
        use RecordCategory::*;
        use RecordStatus::*;
        let policy = Policy::in_force(2023, &seed_rules()).unwrap();
        let series = [held("accounting", Group::Accounting)];
        let records = vec![
            fact(2023, Public, None, 30, Approved),
            fact(2023, Professional, Some("accounting"), 60, Approved),
        ];
        let a = assess(&policy, &series, &records);
        assert!(a.complete);
        assert_eq!(a.elective.required, Hours::ZERO);
        // A 2018 general person is judged by 18/42/12.
        let p2018 = Policy::in_force(2018, &seed_rules()).unwrap();
        let g = [held("engineering", Group::General)];
        let r2018 = vec![
            fact(2018, Public, None, 18, Approved),
            fact(2018, Professional, Some("engineering"), 42, Approved),
            fact(2018, Elective, None, 12, Approved),
        ];
        assert!(assess(&p2018, &g, &r2018).complete);
    }

    fn arb_fact() -> impl Strategy<Value = Fact> {
        (
            prop_oneof![Just(2022), Just(2023), Just(2024)],
            prop_oneof![
                Just(RecordCategory::Public),
                Just(RecordCategory::Professional),
                Just(RecordCategory::Elective)
            ],
            prop_oneof![
                Just(None),
                Just(Some("engineering".to_string())),
                Just(Some("economics".to_string()))
            ],
            0u32..600,
            prop_oneof![
                Just(RecordStatus::Approved),
                Just(RecordStatus::PendingUnitReview),
                Just(RecordStatus::Returned),
                Just(RecordStatus::Closed)
            ],
        )
            .prop_map(|(year, category, series, tenths, status)| Fact {
                year,
                category,
                series,
                hours: Hours::from_tenths(tenths),
                status,
            })
    }

    fn arb_series() -> impl Strategy<Value = Vec<SeriesHeld>> {
        prop_oneof![
            Just(vec![]),
            Just(vec![held("engineering", Group::General)]),
            Just(vec![
                held("engineering", Group::General),
                held("economics", Group::Accounting)
            ]),
        ]
    }

    proptest! {
        #[test]
        fn r_req_2_adding_an_approved_record_never_lowers_approved_or_raises_missing(
            series in arb_series(),
            records in prop::collection::vec(arb_fact(), 0..20),
            extra in arb_fact(),
        ) {
            let policy = Policy::in_force(2023, &seed_rules()).unwrap();
            let before = assess(&policy, &series, &records);
            let mut more = records.clone();
            more.push(Fact { status: RecordStatus::Approved, ..extra });
            let after = assess(&policy, &series, &more);
            for (b, a) in [
                (before.public, after.public),
                (before.professional, after.professional),
                (before.elective, after.elective),
            ] {
                prop_assert!(a.approved >= b.approved);
                prop_assert!(a.missing <= b.missing);
            }
            prop_assert!(!before.complete || after.complete);
        }

        #[test]
        fn r_req_2_the_order_of_records_never_matters(
            series in arb_series(),
            records in prop::collection::vec(arb_fact(), 0..20),
        ) {
            let policy = Policy::in_force(2023, &seed_rules()).unwrap();
            let mut reversed = records.clone();
            reversed.reverse();
            prop_assert_eq!(assess(&policy, &series, &records), assess(&policy, &series, &reversed));
        }

        #[test]
        fn r_rc_5_hours_of_another_year_never_count(
            series in arb_series(),
            records in prop::collection::vec(arb_fact(), 0..20),
        ) {
            let policy = Policy::in_force(2023, &seed_rules()).unwrap();
            let this_year: Vec<Fact> = records.iter().filter(|f| f.year == 2023).cloned().collect();
            prop_assert_eq!(assess(&policy, &series, &records), assess(&policy, &series, &this_year));
        }

        #[test]
        fn r_req_2_complete_means_nothing_is_missing(
            series in arb_series(),
            records in prop::collection::vec(arb_fact(), 0..30),
        ) {
            let policy = Policy::in_force(2023, &seed_rules()).unwrap();
            let a = assess(&policy, &series, &records);
            let none_missing = a.public.missing == Hours::ZERO
                && a.professional.missing == Hours::ZERO
                && a.elective.missing == Hours::ZERO
                && a.series.iter().all(|(_, l)| l.missing == Hours::ZERO);
            prop_assert_eq!(a.complete, none_missing);
        }
    }
}
