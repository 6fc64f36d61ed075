//! Reading the audit trail (R-CR-2): hrss reads every event; a person the
//! events of their own entities; a unit admin those of the unit's entities
//! and of the persons bound to the unit now. Writing is
//! [`crate::audit::record`], inside each change's transaction.

use ce_entity::{audit_event, binding};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use crate::audit::ActorType;
use crate::auth::{Caller, Role};
use crate::authz::orgs;
use crate::error::ServiceError;
use crate::pagination::Page;
use crate::state::AppState;

/// The grant an actor used.
#[derive(Debug, Clone)]
pub struct UsedGrant {
    pub role: Role,
    /// The person, unit, provider, authority or platform it is held for;
    /// `null` for hrss.
    pub scope_id: Option<Uuid>,
}

/// One change of state, as it was kept.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: Option<String>,
    /// Method and route of the operation, e.g. `POST /api/v1/records/{id}/review`.
    pub operation: Option<String>,
    pub actor_type: ActorType,
    /// The account, or the platform for platform tokens.
    pub actor_id: Option<Uuid>,
    /// The grant the authorization check used.
    pub grant: Option<UsedGrant>,
    /// What kind of entity changed: `record`, `binding`, `certificate`, …
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    /// What happened to it: `declared`, `reviewed`, `issued`, `logged_in`, …
    pub action: String,
    /// A summary of the entity before (absent for creations). Never a full
    /// ID number, a password or a secret.
    pub before: Option<Value>,
    /// A summary of the entity after.
    pub after: Option<Value>,
    /// The person whose entity it is.
    pub person_id: Option<Uuid>,
    /// The unit whose entity it is.
    pub unit_id: Option<Uuid>,
}

/// A page of audit events.
#[derive(Debug, Clone)]
pub struct AuditEventPage {
    pub items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Filters of the audit list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub request_id: Option<String>,
}

pub(crate) fn view(m: audit_event::Model) -> AuditEvent {
    let grant = m
        .grant_role
        .as_deref()
        .and_then(Role::parse)
        .map(|role| UsedGrant {
            role,
            scope_id: m.grant_scope_id,
        });
    AuditEvent {
        id: m.id,
        occurred_at: m.occurred_at,
        request_id: m.request_id,
        operation: m.operation,
        actor_type: ActorType::parse(&m.actor_type),
        actor_id: m.actor_id,
        grant,
        entity_type: m.entity_type,
        entity_id: m.entity_id,
        action: m.action,
        before: m.before,
        after: m.after,
        person_id: m.person_id,
        unit_id: m.unit_id,
    }
}

/// The events the caller may read, newest first.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    f: AuditFilter,
    page: Page,
) -> Result<AuditEventPage, ServiceError> {
    let mut q = audit_event::Entity::find();
    if !crate::authz::holds_any(auth, Role::Hrss) {
        let persons = orgs(auth, Role::Person);
        let units = orgs(auth, Role::UnitAdmin);
        if persons.is_empty() && units.is_empty() {
            return Err(ServiceError::forbidden(
                "forbidden",
                "the audit trail is read by hrss, and by persons and unit admins for their own entities",
            ));
        }
        let mut own = Condition::any();
        if !persons.is_empty() {
            own = own.add(audit_event::Column::PersonId.is_in(persons));
        }
        if !units.is_empty() {
            own = own
                .add(audit_event::Column::UnitId.is_in(units.clone()))
                .add(
                    Expr::col(audit_event::Column::PersonId).in_subquery(
                        Query::select()
                            .column(binding::Column::PersonId)
                            .from(binding::Entity)
                            .and_where(
                                binding::Column::Status
                                    .eq(ce_entity::state::BindingStatus::Approved),
                            )
                            .and_where(binding::Column::UnitId.is_in(units))
                            .to_owned(),
                    ),
                );
        }
        q = q.filter(own);
    }
    if let Some(t) = f.entity_type {
        q = q.filter(audit_event::Column::EntityType.eq(t));
    }
    if let Some(id) = f.entity_id {
        q = q.filter(audit_event::Column::EntityId.eq(id));
    }
    if let Some(id) = f.actor_id {
        q = q.filter(audit_event::Column::ActorId.eq(id));
    }
    if let Some(a) = f.action {
        q = q.filter(audit_event::Column::Action.eq(a));
    }
    if let Some(r) = f.request_id {
        q = q.filter(audit_event::Column::RequestId.eq(r));
    }
    // A list: the replica's when one serves (`AppState::read_db`).
    let (rows, next_cursor) = page
        .load(state.read_db(), q, audit_event::Column::Id, true, |e| e.id)
        .await?;
    Ok(AuditEventPage {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    })
}

/// Walks the audit chain (issue 22) and reports the first broken or
/// missing link: hrss only, as the whole trail is.
pub async fn chain(
    state: &AppState,
    auth: &Caller,
) -> Result<crate::audit::chain::ChainReport, ServiceError> {
    crate::authz::require_role(auth, Role::Hrss, "the audit chain is verified by hrss")?;
    Ok(crate::audit::chain::verify(&state.db, &state.audit_chain).await?)
}
