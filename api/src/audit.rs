//! The audit trail (R-CR-2): who changed what, with which grant, in which
//! request — one append-only `audit_events` row per change of state,
//! written by the service *inside the transaction of the change*, so an
//! event exists exactly when its change does.
//!
//! The request's side of an event (request id, operation, the caller and
//! the grant the authorization check used) is not threaded through every
//! service signature: the `observe` middleware opens a [`Context`] for the
//! request as a task-local, the `Caller` extractor names the caller in
//! it, the role-and-scope checks note the grant they matched, and
//! [`record`] reads it back. Outside a request (the webhook worker,
//! bootstrap) the actor is `system`.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use ce_entity::audit_event;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, NotSet, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::{Claims, Grant, Role};
pub use crate::domain::actor::ActorType;

pub mod chain;

tokio::task_local! {
    static CONTEXT: Arc<Context>;
}

#[derive(Debug)]
struct Caller {
    kind: ActorType,
    id: Option<Uuid>,
    grants: Vec<Grant>,
    used: Option<Grant>,
}

/// One request's side of its audit events, and the database queries it
/// made (for the metrics).
#[derive(Debug)]
pub struct Context {
    request_id: String,
    operation: String,
    caller: Mutex<Caller>,
    queries: AtomicU32,
    /// The queries made by the time the caller was authenticated.
    authentication_queries: AtomicU32,
}

/// The database queries of one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Queries {
    pub total: u32,
    /// Those that authenticated the caller (reading the grants afresh).
    pub authentication: u32,
}

/// Runs `fut` (the rest of the request) with an audit context; answers
/// its output and the queries it made.
pub async fn scope<F: Future>(
    request_id: String,
    operation: String,
    fut: F,
) -> (F::Output, Queries) {
    let ctx = Arc::new(Context {
        request_id,
        operation,
        caller: Mutex::new(Caller {
            kind: ActorType::Anonymous,
            id: None,
            grants: Vec::new(),
            used: None,
        }),
        queries: AtomicU32::new(0),
        authentication_queries: AtomicU32::new(0),
    });
    let out = CONTEXT.scope(ctx.clone(), fut).await;
    let queries = Queries {
        total: ctx.queries.load(Ordering::Relaxed),
        authentication: ctx.authentication_queries.load(Ordering::Relaxed),
    };
    (out, queries)
}

/// A database query was made (sea-orm's metric callback): counted for the
/// request making it, if any.
pub fn query_made() {
    let _ = CONTEXT.try_with(|ctx| ctx.queries.fetch_add(1, Ordering::Relaxed));
}

fn with_caller(f: impl FnOnce(&mut Caller)) {
    let _ = CONTEXT.try_with(|ctx| {
        // A poisoned lock only means another thread panicked mid-update;
        // the caller data is still the best we have.
        let mut caller = ctx.caller.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut caller);
    });
}

/// The token of the request was verified: `claims` is the caller.
pub fn authenticated(claims: &Claims) {
    let _ = CONTEXT.try_with(|ctx| {
        ctx.authentication_queries
            .store(ctx.queries.load(Ordering::Relaxed), Ordering::Relaxed)
    });
    let platform = claims.grants.iter().any(|g| g.role == Role::Platform);
    with_caller(|c| {
        c.kind = if platform {
            ActorType::Platform
        } else {
            ActorType::Account
        };
        c.id = Some(claims.sub);
        c.grants = claims.grants.clone();
    });
}

/// An anonymous request turned out to act for `account_id` (a login, a
/// password reset, a registration).
pub fn acting_as(account_id: Uuid) {
    acting(ActorType::Account, account_id);
}

/// An anonymous request turned out to be the platform `platform_id`
/// (client credentials).
pub fn acting_as_platform(platform_id: Uuid) {
    acting(ActorType::Platform, platform_id);
}

fn acting(kind: ActorType, id: Uuid) {
    with_caller(|c| {
        if c.kind == ActorType::Anonymous {
            c.kind = kind;
            c.id = Some(id);
        }
    });
}

/// A role-and-scope check passed on `grant`: the grant this request used.
pub fn used(grant: &Grant) {
    with_caller(|c| c.used = Some(grant.clone()));
}

/// A change of state, as the service that made it describes it.
#[derive(Debug, Clone)]
pub struct Change {
    entity_type: &'static str,
    entity_id: Option<Uuid>,
    action: &'static str,
    before: Option<Value>,
    after: Option<Value>,
    person_id: Option<Uuid>,
    unit_id: Option<Uuid>,
}

impl Change {
    /// `action` (e.g. `reviewed`) on the `entity_type` row `entity_id`.
    pub fn new(entity_type: &'static str, entity_id: Uuid, action: &'static str) -> Self {
        Self {
            entity_type,
            entity_id: Some(entity_id),
            action,
            before: None,
            after: None,
            person_id: None,
            unit_id: None,
        }
    }

    /// A change that is about no single row (e.g. a failed login of an
    /// unknown account).
    pub fn about(entity_type: &'static str, action: &'static str) -> Self {
        Self {
            entity_id: None,
            ..Self::new(entity_type, Uuid::nil(), action)
        }
    }

    /// What the entity looked like before (a short summary, never secrets
    /// or full ID numbers).
    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }

    /// What it looks like after.
    pub fn after(mut self, v: Value) -> Self {
        self.after = Some(v);
        self
    }

    /// Adds `key: value` to the after summary (e.g. a certificate the
    /// change issued on the way).
    pub fn also(mut self, key: &str, value: Value) -> Self {
        let mut after = match self.after.take() {
            Some(Value::Object(m)) => m,
            Some(other) => {
                let mut m = serde_json::Map::new();
                m.insert("value".into(), other);
                m
            }
            None => serde_json::Map::new(),
        };
        after.insert(key.into(), value);
        self.after = Some(Value::Object(after));
        self
    }

    /// The person whose entity this is: they can read the event.
    pub fn person(mut self, person_id: impl Into<Option<Uuid>>) -> Self {
        self.person_id = person_id.into();
        self
    }

    /// The unit whose entity this is: its admins can read the event.
    pub fn unit(mut self, unit_id: impl Into<Option<Uuid>>) -> Self {
        self.unit_id = unit_id.into();
        self
    }
}

/// Appends the event of `change`, inside the caller's transaction.
pub async fn record<C: ConnectionTrait>(conn: &C, change: Change) -> Result<(), DbErr> {
    let (request_id, operation, kind, actor_id, grant) = CONTEXT
        .try_with(|ctx| {
            let caller = ctx.caller.lock().unwrap_or_else(|e| e.into_inner());
            // The grant the check used; else the caller's only grant.
            let grant = caller
                .used
                .clone()
                .or_else(|| match caller.grants.as_slice() {
                    [only] => Some(only.clone()),
                    _ => None,
                });
            (
                Some(ctx.request_id.clone()),
                Some(ctx.operation.clone()),
                caller.kind,
                caller.id,
                grant,
            )
        })
        .unwrap_or((None, None, ActorType::System, None, None));
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(Utc::now()),
        request_id: Set(request_id),
        operation: Set(operation),
        actor_type: Set(kind.as_str().into()),
        actor_id: Set(actor_id),
        grant_role: Set(grant.as_ref().map(|g| g.role.as_str().to_string())),
        grant_scope_id: Set(grant.as_ref().and_then(Grant::scope_id)),
        entity_type: Set(change.entity_type.into()),
        entity_id: Set(change.entity_id),
        action: Set(change.action.into()),
        before: Set(change.before),
        after: Set(change.after),
        person_id: Set(change.person_id),
        unit_id: Set(change.unit_id),
        // Sealed later, behind the writers (`chain::seal_pending`).
        seq: NotSet,
        chain_hash: NotSet,
    }
    .insert(conn)
    .await?;
    Ok(())
}
