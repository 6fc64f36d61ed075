//! The series each city base's scope covers, and the origin a professional
//! declaration names (R-RC-6, R-PQ-4; issue 17).
//!
//! A professional declaration names its origin; a city base is one by its
//! number (问答 九: 市级继续教育基地的课程均可作为专业课学时登记), for the
//! series its scope names (`data/guangzhou_city_bases.csv`, column
//! `scope`). The scopes are read into series codes of
//! `data/professional_series.csv` by the rules below — a reading of ours,
//! stated in `docs/DOMAIN.md`: a named specialty maps to its series
//! (护理学 → nursing), a whole series (教育系列, 工程系列, 卫生系列 without
//! a listed specialty) to every code of its family.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Records {
    Table,
    Origin,
}

#[derive(DeriveIden)]
enum CityBaseSeries {
    Table,
    BaseNo,
    SeriesCode,
}

/// (words of a scope, the series they cover), the first match wins.
const RULES: &[(&[&str], &[&str])] = &[
    (&["中职教育"], &["secondary_vocational_teacher"]),
    (&["学前教育", "幼儿教育"], &["kindergarten_teacher"]),
    (
        &["高等学校教育和中小学教育"],
        &[
            "higher_ed_teacher",
            "higher_vocational_teacher",
            "primary_secondary_teacher",
            "middle_school_senior_teacher",
            "primary_school_senior_teacher",
        ],
    ),
    (
        &["教育系列"],
        &[
            "higher_ed_teacher",
            "higher_vocational_teacher",
            "secondary_specialized_teacher",
            "secondary_normal_lecturer",
            "primary_secondary_teacher",
            "middle_school_senior_teacher",
            "primary_school_senior_teacher",
            "kindergarten_teacher",
        ],
    ),
    (&["护理学"], &["nursing"]),
    (&["妇产科"], &["obstetrics_gynecology"]),
    (&["神经外科"], &["surgery"]),
    (
        &["呼吸内科", "结核病学", "传染病学", "精神病学"],
        &["internal_medicine"],
    ),
    (&["中医类别", "中西医结合"], &["chinese_medicine"]),
    (&["职业卫生"], &["preventive_medicine"]),
    (&["卫生系列"], &["health_technical"]),
    (&["工程系列", "技术经纪工程"], &["engineering"]),
    (&["经济系列"], &["economics"]),
    (&["自然科学研究人员系列"], &["natural_science_research"]),
    (&["哲学社会科学研究人员系列"], &["social_science_research"]),
    (&["图书资料系列"], &["library"]),
    (
        &["文物博物、群众文化和艺术系列"],
        &["cultural_relics", "mass_culture", "art"],
    ),
    (&["新闻系列"], &["journalism"]),
    (&["工艺美术系列"], &["arts_and_crafts"]),
    (&["体育系列"], &["sports"]),
    (&["技工学校教师系列"], &["technical_school_teacher"]),
    (&["社会工作系列"], &["social_work"]),
];

/// The series a scope covers.
pub fn series_of(scope: &str) -> &'static [&'static str] {
    RULES
        .iter()
        .find(|(words, _)| words.iter().any(|w| scope.contains(w)))
        .map_or(&[], |(_, codes)| codes)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The origin a professional declaration names (R-RC-6).
        manager
            .alter_table(
                Table::alter()
                    .table(Records::Table)
                    .add_column(ColumnDef::new(Records::Origin).string_len(80).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CityBaseSeries::Table)
                    .col(
                        ColumnDef::new(CityBaseSeries::BaseNo)
                            .string_len(3)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CityBaseSeries::SeriesCode)
                            .string_len(64)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CityBaseSeries::BaseNo)
                            .col(CityBaseSeries::SeriesCode),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let bases = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT base_no, scope FROM city_bases ORDER BY base_no",
            ))
            .await?;
        for b in bases {
            let base_no: String = b.try_get("", "base_no")?;
            let scope: String = b.try_get("", "scope")?;
            let codes = series_of(&scope);
            if codes.is_empty() {
                return Err(DbErr::Migration(format!(
                    "city base {base_no}: no series for the scope {scope:?}"
                )));
            }
            for code in codes {
                manager
                    .exec_stmt(
                        Query::insert()
                            .into_table(CityBaseSeries::Table)
                            .columns([CityBaseSeries::BaseNo, CityBaseSeries::SeriesCode])
                            .values_panic([base_no.clone().into(), (*code).into()])
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CityBaseSeries::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Records::Table)
                    .drop_column(Records::Origin)
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_pq_4_every_base_of_the_seed_covers_known_series() {
        let bases = include_str!("../data/guangzhou_city_bases.csv");
        let series = include_str!("../data/professional_series.csv");
        let known: Vec<&str> = series
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect();
        let mut n = 0;
        for line in bases.lines().skip(1) {
            let scope = line.rsplit(',').next().unwrap();
            let codes = series_of(scope);
            assert!(!codes.is_empty(), "{line}");
            for c in codes {
                assert!(known.contains(c), "{c} ({line})");
            }
            n += 1;
        }
        assert_eq!(n, 59);
        assert_eq!(series_of("卫生系列护理学专业"), ["nursing"]);
        assert_eq!(series_of("工程系列建筑设计专业"), ["engineering"]);
    }
}
