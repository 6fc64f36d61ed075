//! One-time codes by SMS (R-ID-3) through an outbox: the message is written
//! in the same transaction as the challenge it belongs to, then handed to the
//! [`SmsSender`] after commit. The embedded default sender logs it (with the
//! phone masked) so operators and tests can read it; a real gateway plugs in
//! behind the same trait.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use ce_entity::sms_outbox;

use crate::crypto::PiiVault;
use crate::domain::Phone;

pub use crate::ports::sms::{LogSmsSender, OutgoingSms, SmsSender};

/// Writes a message to the outbox inside the caller's transaction.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    pii: &PiiVault,
    account_id: Option<Uuid>,
    phone: Option<&Phone>,
    purpose: &str,
    body: String,
) -> anyhow::Result<OutgoingSms> {
    let id = Uuid::now_v7();
    let phone_enc = match phone {
        Some(p) => Some(pii.encrypt(p.as_ref())?),
        None => None,
    };
    sms_outbox::ActiveModel {
        id: Set(id),
        account_id: Set(account_id),
        phone_enc: Set(phone_enc),
        phone_masked: Set(phone.map(|p| p.masked())),
        purpose: Set(purpose.into()),
        body: Set(body.clone()),
        created_at: Set(Utc::now()),
        delivered_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(OutgoingSms {
        id,
        account_id,
        phone: phone.map(|p| p.as_ref().to_string()),
        purpose: purpose.into(),
        body,
    })
}

/// Hands committed messages to the sender and marks them delivered. A
/// failed delivery is logged and stays in the outbox, undelivered.
pub async fn dispatch<C: ConnectionTrait>(conn: &C, sender: &Arc<dyn SmsSender>, msg: OutgoingSms) {
    match sender.deliver(&msg).await {
        Ok(()) => {
            let res = sms_outbox::Entity::update(sms_outbox::ActiveModel {
                id: Set(msg.id),
                delivered_at: Set(Some(Utc::now())),
                ..Default::default()
            })
            .exec(conn)
            .await;
            if let Err(e) = res {
                tracing::warn!(sms_id = %msg.id, error = %e, "could not mark sms delivered");
            }
        }
        Err(e) => {
            tracing::warn!(sms_id = %msg.id, error = %format!("{e:#}"), "sms delivery failed")
        }
    }
}
