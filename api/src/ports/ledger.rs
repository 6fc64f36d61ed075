//! The ledger's ports: what follows a judgement of a person's year (the
//! certificates, R-CE-1) and what follows a change of the series a person
//! holds (R-REQ-3). The ledger and the parties call them; the certificates
//! implement them; `startup` wires them into the state. So neither reaches
//! up to the certificates.

use futures_util::future::BoxFuture;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::domain::compliance::{self, Assessment, Policy, SeriesHeld};
use crate::error::ServiceError;

/// A person's year as read for a judgement: its lines as facts and the
/// series held.
#[derive(Debug, Clone)]
pub struct PersonYear {
    pub person_id: Uuid,
    pub year: i32,
    pub series: Vec<SeriesHeld>,
    pub facts: Vec<compliance::Fact>,
}

/// A person-year judged after a change.
#[derive(Debug, Clone)]
pub struct Judged {
    pub year: PersonYear,
    /// Complete before the change, as stored.
    pub was_complete: bool,
    /// The judgement under the policy in force; `None` when no policy is.
    pub assessment: Option<Assessment>,
    /// Why the change was made, when it says so: the reason a certificate
    /// this judgement revokes gives (`record_untruthful`, R-RC-12);
    /// `None`: hours were withdrawn (`hours_withdrawn`).
    pub cause: Option<&'static str>,
}

/// What the certificates did after a change (for the caller's audit event).
#[derive(Debug, Default)]
pub struct Applied {
    pub issued: Vec<ce_entity::certificate::Model>,
    /// (the old one, the one that states the hours that count now).
    pub superseded: Vec<(ce_entity::certificate::Model, ce_entity::certificate::Model)>,
    pub revoked: Vec<ce_entity::certificate::Model>,
}

impl Applied {
    pub fn is_empty(&self) -> bool {
        self.issued.is_empty() && self.superseded.is_empty() && self.revoked.is_empty()
    }

    /// What happened to certificates, for an audit event (`null`: nothing).
    pub fn to_json(&self) -> serde_json::Value {
        if self.is_empty() {
            return serde_json::Value::Null;
        }
        let brief = |c: &ce_entity::certificate::Model| serde_json::json!({"id": c.id, "number": c.number, "person_id": c.person_id, "year": c.year});
        serde_json::json!({
            "issued": self.issued.iter().map(brief).collect::<Vec<_>>(),
            "superseded": self.superseded.iter().map(|(old, new)| serde_json::json!({
                "old": brief(old), "new": brief(new),
            })).collect::<Vec<_>>(),
            "revoked": self.revoked.iter().map(|c| serde_json::json!({
                "certificate": brief(c), "reason": c.revoked_reason,
            })).collect::<Vec<_>>(),
        })
    }

    /// The caller's audit change, with what happened to certificates.
    pub fn note(&self, change: crate::audit::Change) -> crate::audit::Change {
        if self.is_empty() {
            change
        } else {
            change.also("certificates", self.to_json())
        }
    }
}

/// What follows a judgement: the certificates (R-CE-1). The certificates
/// context implements it; the ledger calls it without knowing them.
pub trait Follower: Send + Sync {
    fn follow<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        policy: Option<&'a Policy>,
        judged: &'a [Judged],
    ) -> BoxFuture<'a, Result<Applied, ServiceError>>;
}

/// What follows a change of the series a person holds in a year: the
/// ledger judges the year again (R-REQ-3) and its certificate follows. It
/// answers what happened to certificates (`null`: nothing), for the audit
/// event of the change.
pub trait SeriesChanged: Send + Sync {
    fn rejudge<'a>(
        &'a self,
        reference: &'a crate::reference::Reference,
        txn: &'a DatabaseTransaction,
        person_id: Uuid,
        year: i32,
    ) -> BoxFuture<'a, Result<serde_json::Value, ServiceError>>;
}
