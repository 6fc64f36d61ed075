//! Who reviews a record (R-RC-3, R-RC-10, R-ACC-4): one place decides.
//!
//! - The person's unit reviews what its persons declare (个人 十一), except:
//! - the district finance department of the person's region confirms the
//!   accounting conversions a person applies for (由会计人员自行申请，信息采集
//!   所属区级财政部门确认, 广州市财政局 2023 通知 附件 2; the conversions
//!   table's `confirmed_by`);
//! - the education or health authority of the person's series and region
//!   recognises what a person of those series declares, professional and
//!   elective alike (用人单位审核认定（教育、卫生除外）; 学时认定…由教育、卫生
//!   健康行业主管部门…负责, 粤人社规〔2018〕11号).
//!
//! Pure: the caller gives the series and the conversion; the ledger finds
//! the authority (`ledger::records::assign_reviewer`).

use super::authority::AuthorityLevel;

/// The series families whose authorities recognise their persons' hours
/// themselves (R-RC-10).
pub const SECTOR_FAMILIES: [&str; 2] = ["education", "health"];

/// The `confirmed_by` values of `accounting_credit_conversions` whose
/// applications a finance department confirms (R-ACC-4). An exam passed
/// outside Guangdong is applied for like these; one passed in Guangdong the
/// province records itself (`POST /persons/{id}/accounting-exams`).
pub const FINANCE_CONFIRMS: [&str; 2] = [
    "person_applies_finance_confirms",
    "province_records_or_person_applies",
];

/// The `confirmed_by` of the unit's own face-to-face training: the unit
/// decides first, then the district finance department re-checks it
/// (由用人单位…上传培训计划，报财政部门复核, 附件 2 第 1 项; R-ACC-4).
pub const FINANCE_RECHECKS: &str = "unit_then_finance_review";

/// A series as routing needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesRef<'a> {
    pub code: &'a str,
    pub family: &'a str,
}

/// Who reviews a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The person's current unit (R-RC-3).
    Unit,
    /// An approved authority of `series` whose region covers the person's:
    /// the one of `level` when given, else the most specific.
    Authority {
        series: String,
        level: Option<AuthorityLevel>,
        kind: AuthorityKind,
    },
}

/// What the reviewing authority is to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorityKind {
    /// A finance department: an authority of the accounting series
    /// (R-ACC-4).
    Finance,
    /// An education or health authority (R-RC-10).
    Sector,
}

/// R-RC-3, R-RC-10, R-ACC-4: who reviews a record a person declares.
/// `series` is the series the record counts for (none for elective
/// hours), `held` the series the person holds that year, `confirmed_by`
/// the conversion form's `confirmed_by` when the record is a conversion.
pub fn route(
    series: Option<SeriesRef<'_>>,
    held: &[SeriesRef<'_>],
    confirmed_by: Option<&str>,
) -> Route {
    if let (Some(s), Some(c)) = (series, confirmed_by)
        && FINANCE_CONFIRMS.contains(&c)
    {
        return Route::Authority {
            series: s.code.to_string(),
            level: Some(AuthorityLevel::District),
            kind: AuthorityKind::Finance,
        };
    }
    let sector = |s: &SeriesRef<'_>| SECTOR_FAMILIES.contains(&s.family);
    // The record's own series decides; hours of no series (elective) go to
    // the sector of a series the person holds, the first by code.
    let of_sector = match series {
        Some(s) => sector(&s).then_some(s),
        None => {
            let mut held: Vec<&SeriesRef<'_>> = held.iter().filter(|s| sector(s)).collect();
            held.sort_by_key(|s| s.code);
            held.first().copied().copied()
        }
    };
    match of_sector {
        Some(s) => Route::Authority {
            series: s.code.to_string(),
            level: None,
            kind: AuthorityKind::Sector,
        },
        None => Route::Unit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNTING: SeriesRef<'static> = SeriesRef {
        code: "accounting",
        family: "accounting",
    };
    const NURSING: SeriesRef<'static> = SeriesRef {
        code: "nursing",
        family: "health",
    };
    const TEACHER: SeriesRef<'static> = SeriesRef {
        code: "primary_secondary_teacher",
        family: "education",
    };
    const ENGINEERING: SeriesRef<'static> = SeriesRef {
        code: "engineering",
        family: "engineering",
    };

    #[test]
    fn r_acc_4_conversions_a_person_applies_for_go_to_the_district_finance_department() {
        for confirmed_by in FINANCE_CONFIRMS {
            assert_eq!(
                route(Some(ACCOUNTING), &[ACCOUNTING], Some(confirmed_by)),
                Route::Authority {
                    series: "accounting".into(),
                    level: Some(AuthorityLevel::District),
                    kind: AuthorityKind::Finance,
                }
            );
        }
        // The unit's own face-to-face training goes to the unit first (由用人
        // 单位…导入培训人员名单进行学分确认); its approval sends it on to the
        // finance department (`ledger::records::send_to_finance`).
        assert_eq!(
            route(
                Some(ACCOUNTING),
                &[ACCOUNTING],
                Some("unit_then_finance_review")
            ),
            Route::Unit
        );
        // Accounting hours that are no conversion: the unit, as before.
        assert_eq!(route(Some(ACCOUNTING), &[ACCOUNTING], None), Route::Unit);
    }

    #[test]
    fn r_rc_10_education_and_health_go_to_their_sector_professional_and_elective() {
        let sector = |code: &str| Route::Authority {
            series: code.into(),
            level: None,
            kind: AuthorityKind::Sector,
        };
        assert_eq!(route(Some(NURSING), &[NURSING], None), sector("nursing"));
        assert_eq!(
            route(Some(TEACHER), &[TEACHER], None),
            sector("primary_secondary_teacher")
        );
        // Elective hours (no series) of a person of a sector series.
        assert_eq!(
            route(None, &[ENGINEERING, NURSING], None),
            sector("nursing")
        );
        assert_eq!(
            route(None, &[TEACHER, NURSING], None),
            sector("nursing"),
            "the first sector series by code"
        );
        // Everyone else: the unit.
        assert_eq!(route(Some(ENGINEERING), &[ENGINEERING], None), Route::Unit);
        assert_eq!(route(None, &[ENGINEERING], None), Route::Unit);
        assert_eq!(route(None, &[], None), Route::Unit);
        // Engineering hours of a person who also holds nursing: the unit.
        assert_eq!(
            route(Some(ENGINEERING), &[ENGINEERING, NURSING], None),
            Route::Unit
        );
    }
}
