//! The SMS port (R-ID-3): what delivers a message to a phone. The embedded
//! default logs it (phone masked); a gateway plugs in behind the trait.

use futures_util::future::BoxFuture;
use uuid::Uuid;

use crate::domain::Phone;

/// A message on its way to a phone.
#[derive(Debug, Clone)]
pub struct OutgoingSms {
    pub id: Uuid,
    pub account_id: Option<Uuid>,
    /// The full number; `None` for accounts without a phone (the operator's
    /// outbox is then the only channel).
    pub phone: Option<String>,
    pub purpose: String,
    pub body: String,
}

/// Delivers SMS messages.
pub trait SmsSender: Send + Sync {
    fn deliver<'a>(&'a self, msg: &'a OutgoingSms) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// The embedded default: the outbox row is the record; delivery is a log line.
pub struct LogSmsSender;

impl SmsSender for LogSmsSender {
    fn deliver<'a>(&'a self, msg: &'a OutgoingSms) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let to = msg
                .phone
                .as_deref()
                .and_then(|p| Phone::parse(p).ok())
                .map(|p| p.masked())
                .unwrap_or_else(|| "outbox-only".into());
            tracing::info!(sms_id = %msg.id, to = %to, purpose = %msg.purpose, body = %msg.body, "sms");
            Ok(())
        })
    }
}
