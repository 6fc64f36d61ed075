//! Rows that the end-to-end tests, the memory test and the benchmark write
//! straight to the database, where going through the API would measure or
//! wait for something else (hashing passwords, registering by SMS).
//! Included by each of them with `#[path]`.

use ce_entity::person;
use chrono::{DateTime, Utc};
use sea_orm::Set;
use uuid::Uuid;

/// A person's ID number as stored: its keyed hash, its ciphertext and its
/// masked form.
pub struct StoredIdCard {
    pub hash: String,
    pub enc: Vec<u8>,
    pub masked: String,
}

/// A registered, verified person without a phone number.
pub fn verified_person(
    id: Uuid,
    name: impl Into<String>,
    id_card: StoredIdCard,
    now: DateTime<Utc>,
) -> person::ActiveModel {
    person::ActiveModel {
        id: Set(id),
        name: Set(name.into()),
        id_card_hash: Set(id_card.hash),
        id_card_enc: Set(id_card.enc),
        id_card_masked: Set(id_card.masked),
        phone_hash: Set(None),
        phone_enc: Set(None),
        phone_masked: Set(None),
        verified: Set(true),
        education: Set(None),
        title: Set(None),
        region: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
}

impl StoredIdCard {
    /// A stand-in for tests that never look the number up: unique per
    /// person (the hash is the person's id), not decryptable.
    #[allow(dead_code)] // not every includer needs it
    pub fn dummy(person_id: Uuid) -> Self {
        StoredIdCard {
            hash: person_id.simple().to_string(),
            enc: vec![0u8; 4],
            masked: "440106********123X".into(),
        }
    }
}
