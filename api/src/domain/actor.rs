//! Who acts in an audited event: a value of `audit_events.actor_type`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who acts in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorType {
    /// An account: a person or an organisation's admin, or hrss.
    Account,
    /// A learning platform's machine client.
    Platform,
    /// Nobody signed in (registration, a password reset, a failed login).
    Anonymous,
    /// The server itself, outside any request.
    System,
}

impl ActorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Account => "account",
            ActorType::Platform => "platform",
            ActorType::Anonymous => "anonymous",
            ActorType::System => "system",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "account" => ActorType::Account,
            "platform" => ActorType::Platform,
            "anonymous" => ActorType::Anonymous,
            _ => ActorType::System,
        }
    }
}
