//! Training providers (R-PQ-1, R-PQ-4): registration by credit code, the
//! preloaded city bases, and the directory.

use crate::audit::{self, Change};
use crate::auth::Caller;
use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use ce_entity::provider;

use crate::auth::Role;
use crate::db::unique;
use crate::domain::CreditCode;
use crate::error::{ServiceError, UniqueViolation};
use crate::pagination::Page;
use crate::parties::accounts::insert_grant;
use crate::parties::views::{Provider, ProviderLevel, ProviderPage};
use crate::state::AppState;

/// A provider registration, parsed. The level is never `district`.
#[derive(Debug)]
pub struct NewProvider {
    pub name: String,
    pub credit_code: CreditCode,
    pub level: ProviderLevel,
    pub base_no: Option<String>,
}

/// Filters of the directory.
#[derive(Debug, Default)]
pub struct ProviderFilter {
    pub q: Option<String>,
    pub level: Option<ProviderLevel>,
    pub base_no: Option<String>,
}

pub fn view(m: provider::Model) -> Provider {
    Provider {
        id: m.id,
        name: m.name,
        credit_code: m.credit_code,
        level: ProviderLevel::parse(&m.level).unwrap_or(ProviderLevel::City),
        base_no: m.base_no,
        scope: m.scope,
        created_at: m.created_at,
        version: m.version,
    }
}

fn base_no_taken() -> ServiceError {
    ServiceError::taken(
        "base_no",
        "base_no_taken",
        "another provider carries this base number",
    )
}

fn credit_code_taken() -> ServiceError {
    ServiceError::taken(
        "credit_code",
        "credit_code_taken",
        "a provider with this unified social credit code is registered",
    )
}

/// R-PQ-1: registers a provider; the caller becomes its first admin.
pub async fn create(
    state: &AppState,
    auth: &Caller,
    new: NewProvider,
) -> Result<Provider, ServiceError> {
    crate::authz::require_human(auth)?;
    let account_id = auth.account_id();
    let code = new.credit_code.as_ref().to_string();
    if provider::Entity::find()
        .filter(provider::Column::CreditCode.eq(&code))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(credit_code_taken());
    }
    // R-PQ-5: nobody takes a base number by registering. A base of the
    // list is claimed by its own institution (`POST /base-claims`); any
    // other number is no base.
    if let Some(no) = &new.base_no {
        if ce_entity::city_base::Entity::find_by_id(no.clone())
            .one(&state.db)
            .await?
            .is_some()
        {
            return Err(ServiceError::taken(
                "base_no",
                "base_claim_required",
                format!(
                    "{no} is a Guangzhou city base: its own institution claims it with its credit \
                     code (POST /api/v1/base-claims), confirmed by hrss or the city authority (R-PQ-5)"
                ),
            ));
        }
        return Err(ServiceError::invalid_field(
            "base_no_unknown",
            "base_no",
            format!("{no} is not the number of a Guangzhou city base (R-PQ-4)"),
        ));
    }
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let m = provider::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        credit_code: Set(Some(code)),
        level: Set(new.level.as_str().into()),
        base_no: Set(new.base_no),
        scope: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await
    // A concurrent registration of the same code or number loses here.
    .on_unique(&[
        (&unique::PROVIDER_CREDIT_CODE, credit_code_taken),
        (&unique::PROVIDER_BASE_NO, base_no_taken),
    ])?;
    insert_grant(&txn, account_id, Role::ProviderAdmin, Some(m.id), None).await?;
    audit::record(
        &txn,
        Change::new("provider", m.id, "created").after(json!({
            "name": m.name,
            "credit_code": m.credit_code,
            "level": m.level,
            "base_no": m.base_no,
            "admin": account_id,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(view(m))
}

/// A page of the directory, in registration order (the bases first).
pub async fn list(
    state: &AppState,
    filter: ProviderFilter,
    page: Page,
) -> Result<ProviderPage, ServiceError> {
    let mut q = provider::Entity::find();
    if let Some(text) = filter.q.as_deref().filter(|t| !t.is_empty()) {
        // `%` and `_` in the text are literal, not wildcards.
        q = q.filter(provider::Column::Name.like(crate::authz::like_contains(text)));
    }
    if let Some(level) = filter.level {
        q = q.filter(provider::Column::Level.eq(level.as_str()));
    }
    if let Some(no) = filter.base_no {
        q = q.filter(provider::Column::BaseNo.eq(no));
    }
    let (rows, next_cursor) = page
        .load(&state.db, q, provider::Column::Id, false, |r| r.id)
        .await?;
    Ok(ProviderPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

/// One provider.
pub async fn get(state: &AppState, id: Uuid) -> Result<Provider, ServiceError> {
    provider::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .map(view)
        .ok_or(ServiceError::NotFound("provider"))
}

/// R-CR-1: a published finding in force against the provider blocks its
/// plan submissions; the problem says until when.
pub async fn check_provider_may_submit<C: ConnectionTrait>(
    conn: &C,
    provider_id: Uuid,
) -> Result<(), ServiceError> {
    let blocking = ce_entity::credit_record::Entity::find()
        .filter(ce_entity::credit_record::Column::SubjectType.eq("provider"))
        .filter(ce_entity::credit_record::Column::SubjectId.eq(provider_id))
        .filter(ce_entity::credit_record::Column::Published.eq(true))
        .filter(
            sea_orm::Condition::any()
                .add(ce_entity::credit_record::Column::ExpiresOn.is_null())
                .add(
                    ce_entity::credit_record::Column::ExpiresOn
                        .gte(crate::domain::year::date_in_shanghai(chrono::Utc::now())),
                ),
        )
        .one(conn)
        .await?;
    match blocking {
        None => Ok(()),
        Some(f) => Err(ServiceError::conflict(
            "credit_blocked",
            match f.expires_on {
                Some(e) => format!(
                    "a published credit record ({}, {}) blocks this provider's plan submissions until {e} inclusive (R-CR-1)",
                    f.rule, f.reason
                ),
                None => format!(
                    "a published credit record ({}, {}) blocks this provider's plan submissions until it is lifted (R-CR-1)",
                    f.rule, f.reason
                ),
            },
        )),
    }
}
