//! Issue 20: plan filing (R-CP-5), city bases claimed by their own
//! institutions (R-PQ-5), and 2018's public make-up deadline (R-RC-11).
//!
//! - `course_plans.filed_at`, `filed_by`: an approved plan is filed (备案)
//!   with the human-resources department of the same level — 粤人社规〔2018〕11号
//!   三(二) and 粤人社办〔2018〕227号 七: 办班计划由本级行业主管部门审核后，报同级人力资源社会保障部门备案;
//!   only classes of filed plans credit hours automatically (问答 十.1:
//!   开班计划经人社部门备案的专业科目面授培训…自动申报).
//! - `base_claims`: an institution claims its preloaded city base
//!   (`data/guangzhou_city_bases.csv`, 广州市市级专业技术人员继续教育施教机构（基地）名单)
//!   by number with its credit code; hrss or the Guangzhou authority of the
//!   base's series decides (问答 九: 已获得市级行业主管部门备案的市级继续教育施教机构…
//!   开设的课程均可作为专业课学时登记).
//! - `public_deadlines` 2018 → 2019-06-30, unless one was published already
//!   (粤人社办〔2018〕227号 四: 2018年度的公需科目学习，可以于2019年6月底前补学).

use ce_entity::state::ReviewStatus;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CoursePlans {
    Table,
    FiledAt,
    FiledBy,
}

#[derive(DeriveIden)]
enum BaseClaims {
    Table,
    Id,
    BaseNo,
    ProviderId,
    Name,
    CreditCode,
    ClaimantAccountId,
    Status,
    CreatedAt,
    UpdatedAt,
    Version,
}

/// 227号 四's make-up deadline of 2018's public subjects.
pub const DEADLINE_2018: &str = "2019-06-30";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            ColumnDef::new(CoursePlans::FiledAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(CoursePlans::FiledBy)
                .uuid()
                .null()
                .to_owned(),
        ] {
            // One column a statement: SQLite adds one at a time.
            manager
                .alter_table(
                    Table::alter()
                        .table(CoursePlans::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(BaseClaims::Table)
                    .col(pk_uuid(BaseClaims::Id))
                    .col(string_len(BaseClaims::BaseNo, 3))
                    .col(uuid(BaseClaims::ProviderId))
                    .col(string_len(BaseClaims::Name, 100))
                    .col(string_len(BaseClaims::CreditCode, 18))
                    .col(uuid(BaseClaims::ClaimantAccountId))
                    .col(string_len(BaseClaims::Status, 16))
                    .col(timestamp_with_time_zone(BaseClaims::CreatedAt))
                    .col(timestamp_with_time_zone(BaseClaims::UpdatedAt))
                    .col(integer(BaseClaims::Version).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_base_claims_base_no")
                    .table(BaseClaims::Table)
                    .col(BaseClaims::BaseNo)
                    .to_owned(),
            )
            .await?;
        // At most one approved claim a base: the institution that runs it.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX ux_base_claims_one_approved ON base_claims (base_no) \
                 WHERE status = '{}'",
                ReviewStatus::Approved.as_str()
            ))
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO public_deadlines (year, deadline, source) \
                 SELECT 2018, '{DEADLINE_2018}', \
                 '粤人社办〔2018〕227号 四: 2018年度的公需科目学习，可以于2019年6月底前补学' \
                 WHERE NOT EXISTS (SELECT 1 FROM public_deadlines WHERE year = 2018)"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "DELETE FROM public_deadlines WHERE year = 2018 AND deadline = '{DEADLINE_2018}'"
            ))
            .await?;
        manager
            .drop_table(Table::drop().table(BaseClaims::Table).to_owned())
            .await?;
        for col in [CoursePlans::FiledBy, CoursePlans::FiledAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CoursePlans::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
