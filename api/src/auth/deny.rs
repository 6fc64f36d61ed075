//! The deny list: access tokens (by `jti`) signed out before they expire
//! (issue 22). Asked on every authenticated request, so it is held in
//! memory — a read lock and a hash lookup, no query. The process that
//! signs a token out adds it at once ([`DenyList::deny`]); every process
//! reads the rows of `denied_tokens` that others added each
//! `auth.deny_list_refresh_ms` ([`DenyList::refresh`], started by
//! `startup`), so elsewhere a signed-out token is refused after at most
//! that long (one second by default). Entries leave memory once the
//! token has expired anyway.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use ce_entity::denied_token;

/// How far back each look reaches before the previous one: a row written
/// by a transaction that committed after the previous look, with a
/// `created_at` taken before it, is still read.
const OVERLAP_SECONDS: i64 = 60;

/// The signed-out access tokens this process knows of.
#[derive(Debug, Default)]
pub struct DenyList {
    /// `jti` → when the token expires (Unix seconds).
    entries: RwLock<HashMap<Uuid, i64>>,
    /// The rows created from this time on are read at the next look.
    since: Mutex<Option<DateTime<Utc>>>,
}

impl DenyList {
    /// Whether the token `jti` was signed out.
    pub fn is_denied(&self, jti: &Uuid) -> bool {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        !entries.is_empty() && entries.contains_key(jti)
    }

    /// Refuses `jti` in this process from now on, until `expires_at`.
    pub fn deny(&self, jti: Uuid, expires_at: DateTime<Utc>) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(jti, expires_at.timestamp());
    }

    /// How many tokens this process refuses now.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether this process refuses no token.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads the entries other processes added since the last look (all
    /// unexpired ones at the first) and forgets the expired ones.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let now = Utc::now();
        let since = *self.since.lock().unwrap_or_else(|e| e.into_inner());
        let mut query =
            denied_token::Entity::find().filter(denied_token::Column::ExpiresAt.gt(now));
        if let Some(since) = since {
            query = query.filter(denied_token::Column::CreatedAt.gte(since));
        }
        let rows = query.all(db).await?;
        {
            let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
            let cutoff = now.timestamp();
            entries.retain(|_, exp| *exp > cutoff);
            for row in rows {
                entries.insert(row.jti, row.expires_at.timestamp());
            }
        }
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(now - Duration::seconds(OVERLAP_SECONDS));
        Ok(())
    }
}

/// Reads the deny list every `every` until the process ends.
pub async fn run_refresher(
    list: std::sync::Arc<DenyList>,
    db: DatabaseConnection,
    every: std::time::Duration,
) {
    let mut ticker = tokio::time::interval(every.max(std::time::Duration::from_millis(50)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = list.refresh(&db).await {
            tracing::warn!(error = %e, "reading the deny list failed; trying again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_token_is_denied_and_others_are_not() {
        let list = DenyList::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(!list.is_denied(&a));
        list.deny(a, Utc::now() + Duration::minutes(15));
        assert!(list.is_denied(&a));
        assert!(!list.is_denied(&b));
        assert_eq!(list.len(), 1);
    }

    /// The request path's cost: a lookup among 100,000 denied tokens is a
    /// read lock and a hash probe (well under a microsecond in a debug
    /// build; a request's own work is milliseconds).
    #[test]
    fn a_lookup_is_cheap_with_many_entries() {
        let list = DenyList::default();
        let exp = Utc::now() + Duration::minutes(15);
        for _ in 0..100_000 {
            list.deny(Uuid::now_v7(), exp);
        }
        let probes: Vec<Uuid> = (0..100_000).map(|_| Uuid::now_v7()).collect();
        let started = std::time::Instant::now();
        let hits = probes.iter().filter(|j| list.is_denied(j)).count();
        let each = started.elapsed() / 100_000;
        eprintln!("deny-list lookup: {each:?} each among 100,000 entries");
        assert_eq!(hits, 0);
        assert!(each < std::time::Duration::from_micros(20), "{each:?}");
    }
}
