//! The audit chain's arithmetic (issue 22): an event's canonical bytes and
//! its link, `chain_hash = HMAC-SHA256(key, previous chain_hash ‖ event)`.
//!
//! The bytes are the stored columns, each length-prefixed (so no two
//! events share bytes by moving a boundary), with the time in
//! microseconds (what both backends keep) and JSON with its object keys
//! sorted (what a backend keeps of a `json` value is its meaning, not its
//! spelling).

use ce_entity::audit_event;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// What is wrong at the first broken place of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChainBreakKind {
    /// The event at this place is not what was sealed there (a column, its
    /// `chain_hash` or the previous event changed).
    Edited,
    /// No event holds this place: it was deleted (or its seal removed).
    Missing,
    /// The event is intact but sealed after another one than the one now
    /// before it: places were swapped.
    Reordered,
}

impl ChainBreakKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChainBreakKind::Edited => "edited",
            ChainBreakKind::Missing => "missing",
            ChainBreakKind::Reordered => "reordered",
        }
    }
}

/// The bytes of `e` its link covers: every column but the seal's own.
pub fn canonical(e: &audit_event::Model) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let mut put = |field: Option<&[u8]>| match field {
        None => out.push(0),
        Some(b) => {
            out.push(1);
            out.extend_from_slice(&(b.len() as u64).to_be_bytes());
            out.extend_from_slice(b);
        }
    };
    let uuid = |u: &Option<uuid::Uuid>| u.map(|u| u.as_bytes().to_vec());
    let json = |v: &Option<Value>| {
        v.as_ref().map(|v| {
            let mut s = String::new();
            canonical_json(v, &mut s);
            s.into_bytes()
        })
    };
    put(Some(e.id.as_bytes()));
    put(Some(&e.occurred_at.timestamp_micros().to_be_bytes()));
    put(e.request_id.as_deref().map(str::as_bytes));
    put(e.operation.as_deref().map(str::as_bytes));
    put(Some(e.actor_type.as_bytes()));
    put(uuid(&e.actor_id).as_deref());
    put(e.grant_role.as_deref().map(str::as_bytes));
    put(uuid(&e.grant_scope_id).as_deref());
    put(Some(e.entity_type.as_bytes()));
    put(uuid(&e.entity_id).as_deref());
    put(Some(e.action.as_bytes()));
    put(json(&e.before).as_deref());
    put(json(&e.after).as_deref());
    put(uuid(&e.person_id).as_deref());
    put(uuid(&e.unit_id).as_deref());
    out
}

/// JSON with object keys sorted at every depth.
fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_json(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The `chain_hash` of `e` sealed after the place whose hash is `prev`
/// (`""` before the first place).
pub fn link(key: &[u8], prev: &str, e: &audit_event::Model) -> String {
    crate::crypto::keyed_hash(key, &[prev.as_bytes(), &canonical(e)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> audit_event::Model {
        audit_event::Model {
            id: uuid::Uuid::from_u128(7),
            occurred_at: chrono::DateTime::from_timestamp_micros(1_796_000_000_123_456).unwrap(),
            request_id: Some("req-1".into()),
            operation: Some("POST /api/v1/records".into()),
            actor_type: "account".into(),
            actor_id: Some(uuid::Uuid::from_u128(1)),
            grant_role: Some("person".into()),
            grant_scope_id: Some(uuid::Uuid::from_u128(2)),
            entity_type: "record".into(),
            entity_id: Some(uuid::Uuid::from_u128(3)),
            action: "declared".into(),
            before: None,
            after: Some(json!({"hours_tenths": 120, "status": "submitted"})),
            person_id: Some(uuid::Uuid::from_u128(2)),
            unit_id: None,
            seq: None,
            chain_hash: None,
        }
    }

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn the_link_depends_on_every_column_the_key_and_the_previous_place() {
        let e = event();
        let h = link(KEY, "", &e);
        assert_eq!(h.len(), 64);
        assert_eq!(h, link(KEY, "", &e), "deterministic");
        assert_ne!(h, link(KEY, "00", &e), "previous place");
        assert_ne!(h, link(b"another key, also thirty-two by!", "", &e), "key");
        let changes: &[fn(&mut audit_event::Model)] = &[
            |e| e.id = uuid::Uuid::from_u128(8),
            |e| e.occurred_at += chrono::Duration::microseconds(1),
            |e| e.request_id = None,
            |e| e.operation = Some("POST /api/v1/records/x".into()),
            |e| e.actor_type = "system".into(),
            |e| e.actor_id = None,
            |e| e.grant_role = Some("hrss".into()),
            |e| e.grant_scope_id = None,
            |e| e.entity_type = "records".into(),
            |e| e.entity_id = None,
            |e| e.action = "declare".into(),
            |e| e.before = Some(json!({})),
            |e| e.after = Some(json!({"hours_tenths": 121, "status": "submitted"})),
            |e| e.person_id = None,
            |e| e.unit_id = Some(uuid::Uuid::from_u128(9)),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut edited = event();
            change(&mut edited);
            assert_ne!(h, link(KEY, "", &edited), "change {i} went unseen");
        }
        // The seal's own columns are not covered.
        let mut sealed = event();
        sealed.seq = Some(1);
        sealed.chain_hash = Some(h.clone());
        assert_eq!(h, link(KEY, "", &sealed));
    }

    #[test]
    fn json_key_order_and_spelling_do_not_matter_but_boundaries_do() {
        let mut a = event();
        a.after = serde_json::from_str(r#"{"b": {"y": 1, "x": [1, 2]}, "a": "z"}"#).unwrap();
        let mut b = event();
        b.after = serde_json::from_str(r#"{"a":"z","b":{"x":[1,2],"y":1}}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        // "ab" + "c" is not "a" + "bc".
        let mut c = event();
        c.request_id = Some("ab".into());
        c.operation = Some("c".into());
        let mut d = event();
        d.request_id = Some("a".into());
        d.operation = Some("bc".into());
        assert_ne!(canonical(&c), canonical(&d));
    }
}
