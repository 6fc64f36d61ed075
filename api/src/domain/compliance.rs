//! The annual verification (年度验证, R-REQ-1..3): which requirement is in
//! force for a year, and a pure calculator from (policy, the person's series
//! for the year, their records) to what is required, approved, pending and
//! missing, per category and per series. The same function answers the
//! API and will issue certificates.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    pub year: i32,
    pub general: Requirement,
    pub accounting: Requirement,
    pub archives: Requirement,
    /// The year's public-subject topics (R-RC-8): when there are any, the
    /// public minimum is met by the hours of one topic; hours of
    /// different topics do not add up.
    #[serde(default)]
    pub public_topics: Vec<String>,
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
            public_topics: Vec::new(),
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
    /// Why the person owes nothing for this series this year (R-ACC-6).
    pub exempt: Option<ExemptReason>,
    /// What the person's membership of the series says (R-ACC-6, R-ARC-1).
    pub terms: Terms,
}

/// What a person's membership of a series says beyond the years held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Terms {
    /// Accounting: qualification or first accounting job; archives: the
    /// first day in the post.
    pub started_on: Option<chrono::NaiveDate>,
    /// Accounting: studying until this day.
    pub studying_until: Option<chrono::NaiveDate>,
    /// Archives: holds an archives degree.
    pub has_degree: Option<bool>,
}

/// Why a year owes nothing (R-ACC-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExemptReason {
    /// Accounting duty starts the year after the qualification or the
    /// first accounting job (自取得会计专业技术资格的次年开始 / 自从事会计工作的
    /// 次年开始, 会计专业技术人员继续教育规定 第六条).
    DutyNotStarted,
    /// A student who earned a junior accounting title at school owes
    /// nothing while studying (在校学习期间无需进行继续教育, 广州市财政局 2023 通知 三).
    Studying,
}

impl ExemptReason {
    /// As stored in `standings.exempt` and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ExemptReason::DutyNotStarted => "duty_not_started",
            ExemptReason::Studying => "studying",
        }
    }
}

/// A year's verdict (R-REQ-2, R-ACC-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    /// Every category and series has its approved minimum.
    Complete,
    /// Something is still missing.
    Incomplete,
    /// Nothing is owed this year (`exempt_reason`); no certificate.
    Exempt,
}

/// R-ACC-6: why an accountant owes nothing in `year`: studying until a
/// day of a later year (the graduation year itself is owed: 毕业当年可上传
/// 毕业证书确认毕业当年继续教育学分), or a duty that starts the year after
/// `started_on`.
pub fn accounting_exemption(
    year: i32,
    started_on: Option<chrono::NaiveDate>,
    studying_until: Option<chrono::NaiveDate>,
) -> Option<ExemptReason> {
    use chrono::Datelike;
    if studying_until.is_some_and(|d| year < d.year()) {
        return Some(ExemptReason::Studying);
    }
    if started_on.is_some_and(|d| year <= d.year()) {
        return Some(ExemptReason::DutyNotStarted);
    }
    None
}

/// Hours of archives professional subjects initial training asks for
/// (R-ARC-1: 档案专业科目的学习时间应当不少于 80 学时).
pub const INITIAL_TRAINING_HOURS: u32 = 80;

/// Where initial training stands (R-ARC-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InitialTrainingStatus {
    /// 80 approved hours of initial training.
    Met,
    /// Not yet: still possible until `due_by`.
    Due,
    /// The first year in the post ended short of 80 hours.
    NotMet,
}

/// R-ARC-1: new archives staff without an archives degree take initial
/// training within their first year in the post (上岗 1 年内), whatever
/// calendar years it spans: the last day it is due, and its status given
/// the approved hours and today (China time).
pub fn initial_training(
    started_on: chrono::NaiveDate,
    approved: Hours,
    today: chrono::NaiveDate,
) -> (chrono::NaiveDate, InitialTrainingStatus) {
    let due_by = started_on
        .checked_add_months(chrono::Months::new(12))
        .and_then(|d| d.pred_opt())
        .unwrap_or(started_on);
    let status = if approved >= hours(INITIAL_TRAINING_HOURS) {
        InitialTrainingStatus::Met
    } else if today > due_by {
        InitialTrainingStatus::NotMet
    } else {
        InitialTrainingStatus::Due
    };
    (due_by, status)
}

/// Most elective hours degree education gives in a year (R-RC-7).
pub const DEGREE_EDUCATION_CAP_HOURS: u32 = 72;

/// How a converted record counts beyond its hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// Degree education related to the field: elective, at most
    /// [`DEGREE_EDUCATION_CAP_HOURS`] a year (R-RC-7).
    DegreeEducation,
    /// An accounting form worth the whole year's professional credits of
    /// its series (R-ACC-2: e.g. passing an exam subject); with
    /// `public_exempt`, the year needs no public credits either.
    WholeYear { public_exempt: bool },
}

/// What the calculator needs of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub year: i32,
    pub category: RecordCategory,
    pub series: Option<String>,
    pub hours: Hours,
    pub status: RecordStatus,
    pub conversion: Option<Conversion>,
    /// A general-knowledge subject (专业通识知识, R-ACC-1).
    pub general_knowledge: bool,
    /// The public topic the hours belong to (R-RC-8).
    pub topic: Option<String>,
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
    /// Nothing is owed (every series held is exempt, R-ACC-6): not
    /// complete, nothing missing, no certificate.
    pub exempt: Option<ExemptReason>,
    pub public: Line,
    /// Over all series: required is the sum, missing the sum of each
    /// series' shortfall (one series' surplus does not cover another).
    pub professional: Line,
    pub elective: Line,
    pub series: Vec<SeriesStanding>,
}

/// One series' professional line (R-REQ-3), with its general-knowledge part
/// where the policy asks for one (R-ACC-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesStanding {
    pub code: String,
    /// `missing` also counts a general-knowledge shortfall.
    pub line: Line,
    pub general_knowledge_required: Hours,
    pub general_knowledge_approved: Hours,
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

fn hours(h: u32) -> Hours {
    Hours::from_tenths(h.saturating_mul(10))
}

fn add(a: Hours, b: Hours) -> Hours {
    Hours::from_tenths(a.tenths().saturating_add(b.tenths()))
}

fn less(a: Hours, b: Hours) -> Hours {
    Hours::from_tenths(a.tenths().saturating_sub(b.tenths()))
}

/// R-REQ-2, R-REQ-3: the standing of `policy.year` given the series held
/// that year and the person's records (others' years are ignored). Public
/// and elective are required once, at the highest minimum of the groups
/// held; professional per series from records of that series. With no
/// series declared, the general professional minimum applies to all
/// professional records. Degree education gives at most 72 elective hours
/// (R-RC-7); an approved whole-year accounting form completes its series
/// and, when public-exempt, the public requirement (R-ACC-2); a policy's
/// general-knowledge minimum is part of each series' professional hours
/// (R-ACC-1).
pub fn assess(policy: &Policy, series: &[SeriesHeld], records: &[Fact]) -> Assessment {
    let facts: Vec<&Fact> = records.iter().filter(|f| f.year == policy.year).collect();
    // R-ACC-6: a series whose duty has not started asks for nothing; when
    // every series held is such, the year owes nothing.
    let exempt = if !series.is_empty() && series.iter().all(|s| s.exempt.is_some()) {
        series.iter().find_map(|s| s.exempt)
    } else {
        None
    };
    let groups: Vec<Group> = if exempt.is_some() {
        Vec::new()
    } else if series.is_empty() {
        vec![Group::General]
    } else {
        series
            .iter()
            .filter(|s| s.exempt.is_none())
            .map(|s| s.group)
            .collect()
    };
    let max_of =
        |f: fn(Requirement) -> u32| groups.iter().map(|g| f(policy.of(*g))).max().unwrap_or(0);
    let approved = |f: &&&Fact| f.status == RecordStatus::Approved;
    let whole_year = |f: &&&Fact| matches!(f.conversion, Some(Conversion::WholeYear { .. }));
    let public_exempt = facts.iter().filter(approved).any(|f| {
        matches!(
            f.conversion,
            Some(Conversion::WholeYear {
                public_exempt: true
            })
        )
    });
    let in_cat = |c: RecordCategory| move |f: &Fact| f.category == c;
    // R-RC-8: with topics published, one topic's hours meet the public
    // minimum and different topics' do not add up: the public line counts
    // the best topic (hours without one form a group of their own).
    let public_of = |status: RecordStatus| {
        if policy.public_topics.is_empty() {
            return sum(&facts, status, in_cat(RecordCategory::Public));
        }
        let topics: std::collections::BTreeSet<Option<&str>> = facts
            .iter()
            .filter(|f| f.category == RecordCategory::Public)
            .map(|f| f.topic.as_deref())
            .collect();
        topics
            .into_iter()
            .map(|t| {
                sum(&facts, status, |f: &Fact| {
                    f.category == RecordCategory::Public && f.topic.as_deref() == t
                })
            })
            .max()
            .unwrap_or(Hours::ZERO)
    };
    let public = Line::new(
        if public_exempt {
            0
        } else {
            max_of(|r| r.public_min)
        },
        public_of(RecordStatus::Approved),
        public_of(RecordStatus::PendingUnitReview),
    );
    // R-RC-7: degree education counts up to the cap, approved hours first.
    let elective_of = |degree: bool| {
        move |f: &Fact| {
            f.category == RecordCategory::Elective
                && (f.conversion == Some(Conversion::DegreeEducation)) == degree
        }
    };
    let cap = hours(DEGREE_EDUCATION_CAP_HOURS);
    let degree_approved = sum(&facts, RecordStatus::Approved, elective_of(true)).min(cap);
    let degree_pending = sum(&facts, RecordStatus::PendingUnitReview, elective_of(true))
        .min(less(cap, degree_approved));
    let elective = Line::new(
        max_of(|r| r.elective_min),
        add(
            sum(&facts, RecordStatus::Approved, elective_of(false)),
            degree_approved,
        ),
        add(
            sum(&facts, RecordStatus::PendingUnitReview, elective_of(false)),
            degree_pending,
        ),
    );
    let mut standings = Vec::new();
    let professional = if series.is_empty() {
        let of_cat = in_cat(RecordCategory::Professional);
        Line::new(
            policy.general.professional_min,
            sum(&facts, RecordStatus::Approved, of_cat),
            sum(&facts, RecordStatus::PendingUnitReview, of_cat),
        )
    } else {
        let mut total = Line::default();
        for s in series {
            let of_series = |f: &Fact| {
                f.category == RecordCategory::Professional && f.series.as_deref() == Some(&s.code)
            };
            let requirement = if s.exempt.is_some() {
                Requirement {
                    professional_min: 0,
                    general_knowledge_min: 0,
                    ..policy.of(s.group)
                }
            } else {
                policy.of(s.group)
            };
            let mut l = Line::new(
                requirement.professional_min,
                sum(&facts, RecordStatus::Approved, of_series),
                sum(&facts, RecordStatus::PendingUnitReview, of_series),
            );
            let gk_required = hours(requirement.general_knowledge_min);
            let gk_approved = sum(&facts, RecordStatus::Approved, |f| {
                of_series(f) && f.general_knowledge
            });
            let done_by_form = facts
                .iter()
                .filter(approved)
                .filter(whole_year)
                .any(|f| of_series(f));
            if done_by_form {
                l.missing = Hours::ZERO;
            } else {
                l.missing = l.missing.max(less(gk_required, gk_approved));
            }
            total = Line {
                required: add(total.required, l.required),
                approved: add(total.approved, l.approved),
                pending: add(total.pending, l.pending),
                missing: add(total.missing, l.missing),
            };
            standings.push(SeriesStanding {
                code: s.code.clone(),
                line: l,
                general_knowledge_required: gk_required,
                general_knowledge_approved: gk_approved,
            });
        }
        total
    };
    let complete = exempt.is_none()
        && [public, professional, elective]
            .iter()
            .all(|l| l.missing == Hours::ZERO);
    Assessment {
        year: policy.year,
        complete,
        exempt,
        public,
        professional,
        elective,
        series: standings,
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
                requirement: Requirement {
                    general_knowledge_min: 20,
                    ..req(2023, 30, 60, 0)
                },
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
            conversion: None,
            general_knowledge: false,
            topic: None,
        }
    }

    fn held(code: &str, group: Group) -> SeriesHeld {
        SeriesHeld {
            code: code.into(),
            group,
            exempt: None,
            terms: Terms::default(),
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
        assert_eq!(a.series[1].line.missing.as_f64(), 42.0);
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
            fact(2023, Professional, Some("accounting"), 40, Approved),
            Fact {
                general_knowledge: true,
                ..fact(2023, Professional, Some("accounting"), 20, Approved)
            },
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

    #[test]
    fn r_rc_7_degree_education_gives_at_most_72_elective_hours() {
        use RecordCategory::*;
        use RecordStatus::*;
        let policy = Policy::in_force(2023, &seed_rules()).unwrap();
        let degree = Fact {
            conversion: Some(Conversion::DegreeEducation),
            ..fact(2023, Elective, None, 73, Approved)
        };
        let a = assess(&policy, &[], std::slice::from_ref(&degree));
        assert_eq!(a.elective.approved.as_f64(), 72.0);
        // Other elective hours still add; pending degree hours beyond the
        // cap are not even pending.
        let more = Fact {
            status: PendingUnitReview,
            ..degree.clone()
        };
        let a = assess(
            &policy,
            &[],
            &[degree, more, fact(2023, Elective, None, 5, Approved)],
        );
        assert_eq!(a.elective.approved.as_f64(), 77.0);
        assert_eq!(a.elective.pending, Hours::ZERO);
    }

    #[test]
    fn r_acc_2_a_passed_exam_subject_completes_the_accounting_year() {
        use RecordCategory::*;
        use RecordStatus::*;
        let policy = Policy::in_force(2023, &seed_rules()).unwrap();
        let series = [held("accounting", Group::Accounting)];
        let exam = Fact {
            conversion: Some(Conversion::WholeYear {
                public_exempt: true,
            }),
            ..fact(2023, Professional, Some("accounting"), 90, Approved)
        };
        let a = assess(&policy, &series, std::slice::from_ref(&exam));
        assert!(a.complete, "{a:?}");
        assert_eq!(a.public.required, Hours::ZERO);
        // Pending, it completes nothing yet.
        let pending = Fact {
            status: PendingUnitReview,
            ..exam
        };
        assert!(!assess(&policy, &series, &[pending]).complete);
    }

    #[test]
    fn r_acc_1_twenty_of_the_sixty_are_general_knowledge_in_2023() {
        use RecordCategory::*;
        use RecordStatus::*;
        let policy = Policy::in_force(2023, &seed_rules()).unwrap();
        let series = [held("accounting", Group::Accounting)];
        let mut records = vec![
            fact(2023, Public, None, 30, Approved),
            fact(2023, Professional, Some("accounting"), 60, Approved),
        ];
        let a = assess(&policy, &series, &records);
        assert!(!a.complete);
        assert_eq!(a.series[0].line.missing.as_f64(), 20.0);
        records[1].hours = Hours::from_tenths(400);
        records.push(Fact {
            general_knowledge: true,
            ..fact(2023, Professional, Some("accounting"), 20, Approved)
        });
        let a = assess(&policy, &series, &records);
        assert!(a.complete, "{a:?}");
        assert_eq!(a.series[0].general_knowledge_approved.as_f64(), 20.0);
    }

    #[test]
    fn r_rc_8_one_topic_meets_the_public_minimum_and_topics_do_not_add_up() {
        use RecordCategory::*;
        use RecordStatus::*;
        let mut policy = Policy::in_force(2023, &seed_rules()).unwrap();
        policy.public_topics = vec!["中国式现代化".into(), "高质量发展".into()];
        let topic = |t: &str, h| Fact {
            topic: Some(t.to_string()),
            ..fact(2023, Public, None, h, Approved)
        };
        // 20 + 20 hours of two topics: 40 hours, but no topic has 30.
        let split = [topic("中国式现代化", 20), topic("高质量发展", 20)];
        let a = assess(&policy, &[], &split);
        assert_eq!(a.public.approved.as_f64(), 20.0);
        assert_eq!(a.public.missing.as_f64(), 10.0);
        // 30 of one topic completes the public part.
        let one = [topic("中国式现代化", 30), topic("高质量发展", 5)];
        let a = assess(&policy, &[], &one);
        assert_eq!(a.public.approved.as_f64(), 30.0);
        assert_eq!(a.public.missing, Hours::ZERO);
        // A year without topics adds all public hours up.
        policy.public_topics.clear();
        assert_eq!(assess(&policy, &[], &split).public.approved.as_f64(), 40.0);
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
            .prop_flat_map(|(year, category, series, tenths, status)| {
                (
                    prop_oneof![
                        Just(None),
                        Just(Some(Conversion::DegreeEducation)),
                        Just(Some(Conversion::WholeYear {
                            public_exempt: true
                        })),
                        Just(Some(Conversion::WholeYear {
                            public_exempt: false
                        })),
                    ],
                    any::<bool>(),
                )
                    .prop_map(move |(conversion, general_knowledge)| Fact {
                        year,
                        category,
                        series: series.clone(),
                        hours: Hours::from_tenths(tenths),
                        status,
                        conversion,
                        general_knowledge,
                        topic: None,
                    })
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
                && a.series.iter().all(|s| s.line.missing == Hours::ZERO);
            prop_assert_eq!(a.complete, none_missing);
        }
    }

    #[test]
    fn r_acc_6_duty_starts_the_year_after_and_students_owe_nothing() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            accounting_exemption(2023, Some(d(2023, 6, 1)), None),
            Some(ExemptReason::DutyNotStarted)
        );
        assert_eq!(accounting_exemption(2024, Some(d(2023, 6, 1)), None), None);
        // Junior title at school in 2022, graduating in 2025: 2023 and
        // 2024 owe nothing; the graduation year is owed.
        let studying = Some(d(2025, 7, 1));
        assert_eq!(
            accounting_exemption(2023, Some(d(2022, 5, 1)), studying),
            Some(ExemptReason::Studying)
        );
        assert_eq!(
            accounting_exemption(2025, Some(d(2022, 5, 1)), studying),
            None
        );
        assert_eq!(accounting_exemption(2023, None, None), None);

        let policy = Policy::in_force(2023, &seed_rules()).unwrap();
        let exempt = SeriesHeld {
            exempt: Some(ExemptReason::DutyNotStarted),
            ..held("accounting", Group::Accounting)
        };
        let a = assess(&policy, std::slice::from_ref(&exempt), &[]);
        assert_eq!(a.exempt, Some(ExemptReason::DutyNotStarted));
        assert!(
            !a.complete,
            "an exempt year is not complete: no certificate"
        );
        assert_eq!(a.public.missing, Hours::ZERO);
        assert_eq!(a.professional.missing, Hours::ZERO);
        // With another series owed, only that one's requirement applies.
        let a = assess(&policy, &[exempt, held("engineering", Group::General)], &[]);
        assert_eq!(a.exempt, None);
        assert_eq!(a.public.required, hours(30));
        assert_eq!(a.professional.required, hours(42));
        assert_eq!(a.elective.required, hours(18));
    }

    #[test]
    fn r_arc_1_initial_training_is_due_within_the_first_year_in_the_post() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let start = d(2025, 9, 1);
        let (due, s) = initial_training(start, hours(40), d(2026, 3, 1));
        assert_eq!(
            due,
            d(2026, 8, 31),
            "the first year spans two calendar years"
        );
        assert_eq!(s, InitialTrainingStatus::Due);
        assert_eq!(
            initial_training(start, hours(40), d(2026, 9, 1)).1,
            InitialTrainingStatus::NotMet
        );
        assert_eq!(
            initial_training(start, hours(80), d(2026, 9, 1)).1,
            InitialTrainingStatus::Met
        );
    }
}

/// How the unit's list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitComplianceSort {
    /// By person id (registration order).
    #[default]
    Person,
    /// Most missing hours first (ties by person id).
    MostMissing,
}
