//! Reference tables extracted from the seed document and loaded from the CSV
//! files in `migration/data/` (copies of `shared/data`), so the project stands
//! alone. R-REQ-1, R-ACC-2, R-RC-8, R-RC-9, R-PQ-4.

use sea_orm_migration::{prelude::*, schema::*};

use crate::csv::{date_field, field, number, rows};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SERIES: &str = include_str!("../data/professional_series.csv");
const REQUIREMENTS: &str = include_str!("../data/annual_requirements.csv");
const CONVERSIONS: &str = include_str!("../data/accounting_credit_conversions.csv");
const PUBLIC_SUBJECTS: &str = include_str!("../data/public_subjects.csv");
const BASES: &str = include_str!("../data/guangzhou_city_bases.csv");

#[derive(DeriveIden)]
enum ProfessionalSeries {
    Table,
    Code,
    Name,
    Family,
    PublicCoursePlatform,
    RequirementGroup,
}

#[derive(DeriveIden)]
enum AnnualRequirements {
    Table,
    EffectiveYear,
    RequirementGroup,
    TotalMin,
    PublicMin,
    ProfessionalMin,
    ElectiveMin,
    ProfessionalGeneralKnowledgeMin,
    Source,
}

#[derive(DeriveIden)]
enum AccountingCreditConversions {
    Table,
    Code,
    Form,
    Credits,
    Unit,
    CountsAs,
    PublicExempt,
    ConfirmedBy,
}

#[derive(DeriveIden)]
enum PublicSubjects {
    Table,
    Year,
    Topic,
    HoursToComplete,
    OfflineAfter,
    Source,
}

#[derive(DeriveIden)]
enum CityBases {
    Table,
    BaseNo,
    Name,
    Scope,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProfessionalSeries::Table)
                    .col(string_len(ProfessionalSeries::Code, 64).primary_key())
                    .col(string_len(ProfessionalSeries::Name, 100))
                    .col(string_len(ProfessionalSeries::Family, 64))
                    .col(string_len(ProfessionalSeries::PublicCoursePlatform, 64))
                    .col(string_len(ProfessionalSeries::RequirementGroup, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnnualRequirements::Table)
                    .col(integer(AnnualRequirements::EffectiveYear))
                    .col(string_len(AnnualRequirements::RequirementGroup, 64))
                    .col(integer(AnnualRequirements::TotalMin))
                    .col(integer(AnnualRequirements::PublicMin))
                    .col(integer(AnnualRequirements::ProfessionalMin))
                    .col(integer(AnnualRequirements::ElectiveMin))
                    .col(integer(AnnualRequirements::ProfessionalGeneralKnowledgeMin))
                    .col(text(AnnualRequirements::Source))
                    .primary_key(
                        Index::create()
                            .col(AnnualRequirements::EffectiveYear)
                            .col(AnnualRequirements::RequirementGroup),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountingCreditConversions::Table)
                    .col(string_len(AccountingCreditConversions::Code, 64).primary_key())
                    .col(text(AccountingCreditConversions::Form))
                    .col(double(AccountingCreditConversions::Credits))
                    .col(string_len(AccountingCreditConversions::Unit, 32))
                    .col(string_len(AccountingCreditConversions::CountsAs, 32))
                    .col(boolean(AccountingCreditConversions::PublicExempt))
                    .col(string_len(AccountingCreditConversions::ConfirmedBy, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PublicSubjects::Table)
                    .col(integer(PublicSubjects::Year))
                    .col(string_len(PublicSubjects::Topic, 100))
                    .col(integer(PublicSubjects::HoursToComplete))
                    .col(date(PublicSubjects::OfflineAfter))
                    .col(text(PublicSubjects::Source))
                    .primary_key(
                        Index::create()
                            .col(PublicSubjects::Year)
                            .col(PublicSubjects::Topic),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CityBases::Table)
                    .col(string_len(CityBases::BaseNo, 3).primary_key())
                    .col(string_len(CityBases::Name, 100))
                    .col(text(CityBases::Scope))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let mut inserts = Vec::new();

        let mut q = Query::insert();
        q.into_table(ProfessionalSeries::Table).columns([
            ProfessionalSeries::Code,
            ProfessionalSeries::Name,
            ProfessionalSeries::Family,
            ProfessionalSeries::PublicCoursePlatform,
            ProfessionalSeries::RequirementGroup,
        ]);
        for r in rows("professional_series.csv", SERIES)? {
            q.values_panic([
                field(&r, "code")?.into(),
                field(&r, "name")?.into(),
                field(&r, "family")?.into(),
                field(&r, "public_course_platform")?.into(),
                field(&r, "requirement_group")?.into(),
            ]);
        }
        inserts.push(q);

        let mut q = Query::insert();
        q.into_table(AnnualRequirements::Table).columns([
            AnnualRequirements::EffectiveYear,
            AnnualRequirements::RequirementGroup,
            AnnualRequirements::TotalMin,
            AnnualRequirements::PublicMin,
            AnnualRequirements::ProfessionalMin,
            AnnualRequirements::ElectiveMin,
            AnnualRequirements::ProfessionalGeneralKnowledgeMin,
            AnnualRequirements::Source,
        ]);
        for r in rows("annual_requirements.csv", REQUIREMENTS)? {
            q.values_panic([
                number::<i32>(&r, "effective_year")?.into(),
                field(&r, "requirement_group")?.into(),
                number::<i32>(&r, "total_min")?.into(),
                number::<i32>(&r, "public_min")?.into(),
                number::<i32>(&r, "professional_min")?.into(),
                number::<i32>(&r, "elective_min")?.into(),
                number::<i32>(&r, "professional_general_knowledge_min")?.into(),
                field(&r, "source")?.into(),
            ]);
        }
        inserts.push(q);

        let mut q = Query::insert();
        q.into_table(AccountingCreditConversions::Table).columns([
            AccountingCreditConversions::Code,
            AccountingCreditConversions::Form,
            AccountingCreditConversions::Credits,
            AccountingCreditConversions::Unit,
            AccountingCreditConversions::CountsAs,
            AccountingCreditConversions::PublicExempt,
            AccountingCreditConversions::ConfirmedBy,
        ]);
        for r in rows("accounting_credit_conversions.csv", CONVERSIONS)? {
            q.values_panic([
                field(&r, "code")?.into(),
                field(&r, "form")?.into(),
                number::<f64>(&r, "credits")?.into(),
                field(&r, "unit")?.into(),
                field(&r, "counts_as")?.into(),
                number::<bool>(&r, "public_exempt")?.into(),
                field(&r, "confirmed_by")?.into(),
            ]);
        }
        inserts.push(q);

        let mut q = Query::insert();
        q.into_table(PublicSubjects::Table).columns([
            PublicSubjects::Year,
            PublicSubjects::Topic,
            PublicSubjects::HoursToComplete,
            PublicSubjects::OfflineAfter,
            PublicSubjects::Source,
        ]);
        for r in rows("public_subjects.csv", PUBLIC_SUBJECTS)? {
            q.values_panic([
                number::<i32>(&r, "year")?.into(),
                field(&r, "topic")?.into(),
                number::<i32>(&r, "hours_to_complete")?.into(),
                date_field(&r, "offline_after")?.into(),
                field(&r, "source")?.into(),
            ]);
        }
        inserts.push(q);

        let mut q = Query::insert();
        q.into_table(CityBases::Table).columns([
            CityBases::BaseNo,
            CityBases::Name,
            CityBases::Scope,
        ]);
        for r in rows("guangzhou_city_bases.csv", BASES)? {
            q.values_panic([
                field(&r, "base_no")?.into(),
                field(&r, "name")?.into(),
                field(&r, "scope")?.into(),
            ]);
        }
        inserts.push(q);

        for q in inserts {
            db.execute(&q).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CityBases::Table.into_iden(),
            PublicSubjects::Table.into_iden(),
            AccountingCreditConversions::Table.into_iden(),
            AnnualRequirements::Table.into_iden(),
            ProfessionalSeries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
