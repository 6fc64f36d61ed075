//! The caller of a use case: who, with which grants (read fresh for the
//! request) and, for a platform, which scopes. Plain data — the services
//! take it and know nothing of HTTP; `routes::extract` builds it from the
//! request's token. What the caller may do is asked in `crate::authz`.

use uuid::Uuid;

use super::{Claims, Grant, Role};

/// The verified caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub claims: Claims,
}

impl Caller {
    /// The account id (the platform id for platform tokens).
    pub fn account_id(&self) -> Uuid {
        self.claims.sub
    }

    pub fn grants(&self) -> &[Grant] {
        &self.claims.grants
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.claims.grants.iter().any(|g| g.role == role)
    }

    /// The scopes a platform's token carries (`records:push`).
    pub fn scopes(&self) -> &[String] {
        &self.claims.scopes
    }
}
