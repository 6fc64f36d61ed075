//! Per-process memory of what nearly every request reads and almost never
//! changes (issue 21): the accounts' grants, the public verify answers,
//! the years' policies. What may be held is bounded in size (an LRU) and in
//! staleness:
//!
//! - every change that makes a held answer wrong bumps a counter of its
//!   kind in `cache_generations`, in the change's own transaction
//!   ([`bump`]): a certificate superseded or revoked, or its holder's
//!   name changed; a grant added or removed; a policy changed;
//! - the process that made the change forgets that kind as soon as the
//!   request that made it ends, after its commit and before its answer is
//!   sent ([`scope`], called by the request middleware);
//! - every process reads the counters every `cache.poll_ms` (250 ms; one
//!   query of three rows by primary key) and forgets the kinds whose
//!   counter moved, so another process's change shows within
//!   `poll_ms` + one query, well under a second. A poll that fails forgets
//!   everything (the process cannot tell what changed).
//!
//! A read that started before a change committed must not put its answer
//! in after the change was forgotten: each kind has a local epoch, bumped
//! whenever it is forgotten; a read takes a [`Ticket`] (the epoch) before
//! it asks the database, and its answer is kept only if the epoch is the
//! same when it comes back.

use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::error::ServiceError;

/// A kind of cached data, with its row in `cache_generations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Public verify answers: bumped when a certificate is superseded or
    /// revoked, or its holder's name changes (an unknown number is never
    /// held, so an issue needs no bump).
    Certificates,
    /// The grants an account holds: bumped when one is added or removed.
    Grants,
    /// The years' policies: bumped when hrss changes one or the defaults.
    Policies,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Certificates, Kind::Grants, Kind::Policies];

    /// The row's name in `cache_generations`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Certificates => "certificates",
            Kind::Grants => "grants",
            Kind::Policies => "policies",
        }
    }

    fn index(self) -> usize {
        match self {
            Kind::Certificates => 0,
            Kind::Grants => 1,
            Kind::Policies => 2,
        }
    }

    fn bit(self) -> u8 {
        1 << self.index()
    }
}

tokio::task_local! {
    /// The kinds the current request changed.
    static CHANGED: AtomicU8;
}

/// Runs a request, answering with the kinds it bumped (the caller then
/// forgets them, [`Generations::forget`]).
pub async fn scope<F: std::future::Future>(fut: F) -> (F::Output, Vec<Kind>) {
    let (out, bits) = CHANGED
        .scope(AtomicU8::new(0), async {
            let out = fut.await;
            (out, CHANGED.with(|c| c.load(Ordering::Relaxed)))
        })
        .await;
    let kinds = Kind::ALL
        .into_iter()
        .filter(|k| bits & k.bit() != 0)
        .collect();
    (out, kinds)
}

/// Says, in the transaction `conn` of a change, that what a process holds
/// of `kind` is no longer true once it commits.
pub async fn bump<C: ConnectionTrait>(conn: &C, kind: Kind) -> Result<(), ServiceError> {
    let backend = conn.get_database_backend();
    conn.execute_raw(crate::db::statement(
        backend,
        "UPDATE cache_generations SET generation = generation + 1 WHERE name = ?",
        vec![kind.as_str().into()],
    ))
    .await?;
    let _ = CHANGED.try_with(|c| c.fetch_or(kind.bit(), Ordering::Relaxed));
    Ok(())
}

/// The counters every cached kind is checked against: the local epochs
/// and the generations last read from the database.
#[derive(Debug, Default)]
pub struct Generations {
    epochs: [AtomicU64; 3],
    seen: Mutex<Option<[i64; 3]>>,
}

/// The epoch of a kind when a read began.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl Generations {
    /// Before reading what will be kept.
    pub fn ticket(&self, kind: Kind) -> Ticket {
        Ticket(self.epoch(kind))
    }

    fn epoch(&self, kind: Kind) -> u64 {
        self.epochs[kind.index()].load(Ordering::Acquire)
    }

    /// Forgets what is held of `kind`.
    pub fn forget(&self, kind: Kind) {
        self.epochs[kind.index()].fetch_add(1, Ordering::AcqRel);
    }

    /// Reads the counters; forgets the kinds that moved since the last
    /// read, or everything when they cannot be read.
    pub async fn poll(&self, db: &DatabaseConnection) -> Result<(), ServiceError> {
        let read = async {
            let rows = db
                .query_all_raw(crate::db::statement(
                    db.get_database_backend(),
                    "SELECT name, generation FROM cache_generations",
                    vec![],
                ))
                .await?;
            let mut now = [0i64; 3];
            for r in rows {
                let name: String = r.try_get("", "name")?;
                let generation: i64 = r.try_get("", "generation")?;
                if let Some(k) = Kind::ALL.into_iter().find(|k| k.as_str() == name) {
                    now[k.index()] = generation;
                }
            }
            Ok::<_, ServiceError>(now)
        };
        match read.await {
            Ok(now) => {
                let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
                for k in Kind::ALL {
                    if seen.is_none_or(|s| s[k.index()] != now[k.index()]) {
                        self.forget(k);
                    }
                }
                *seen = Some(now);
                Ok(())
            }
            Err(e) => {
                for k in Kind::ALL {
                    self.forget(k);
                }
                Err(e)
            }
        }
    }
}

/// Polls the counters every `every` while the process holds `generations`.
pub fn watch(db: DatabaseConnection, generations: &Arc<Generations>, every: Duration) {
    let weak: Weak<Generations> = Arc::downgrade(generations);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            let Some(g) = weak.upgrade() else {
                return;
            };
            match g.poll(&db).await {
                Ok(()) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "reading the cache generations; holding nothing until they read again");
                }
                Err(_) => {}
            }
        }
    });
}

/// At most `capacity` answers of one kind, least recently used first out,
/// each dropped when its kind is forgotten.
pub struct Lru<K: Hash + Eq, V: Clone> {
    kind: Kind,
    generations: Arc<Generations>,
    /// `capacity` 0: nothing is kept.
    off: bool,
    held: Mutex<(u64, lru::LruCache<K, V>)>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<K: Hash + Eq, V: Clone> Lru<K, V> {
    pub fn new(kind: Kind, generations: Arc<Generations>, capacity: usize) -> Self {
        let cap = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        let epoch = generations.epoch(kind);
        Self {
            kind,
            generations,
            off: capacity == 0,
            held: Mutex::new((epoch, lru::LruCache::new(cap))),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The held answers, emptied first if their kind was forgotten.
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, lru::LruCache<K, V>)> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let epoch = self.generations.epoch(self.kind);
        if held.0 != epoch {
            held.1.clear();
            held.0 = epoch;
        }
        held
    }

    /// Before reading what will be [`put`](Self::put).
    pub fn ticket(&self) -> Ticket {
        self.generations.ticket(self.kind)
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let v = self.lock().1.get(key).cloned();
        let counter = if v.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        v
    }

    /// Answers from memory, answers read from the database, and what is
    /// held now (`/metrics`).
    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.len(),
        }
    }

    /// Keeps `value`, unless its kind was forgotten since `ticket`.
    pub fn put(&self, ticket: Ticket, key: K, value: V) {
        if self.off {
            return;
        }
        let mut held = self.lock();
        if held.0 == ticket.0 {
            held.1.put(key, value);
        }
    }

    pub fn len(&self) -> usize {
        self.lock().1.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a cache did since the process started.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
}

/// The caches' figures in the Prometheus text format: `cache_hits_total`,
/// `cache_misses_total` and `cache_entries`, by cache.
pub fn exposition(caches: &[(&str, Stats)]) -> String {
    let mut out = String::new();
    for (metric, kind, help, value) in [
        (
            "cache_hits_total",
            "counter",
            "Answers served from the process's memory",
            0,
        ),
        (
            "cache_misses_total",
            "counter",
            "Answers read from the database (and kept when they may be)",
            1,
        ),
        ("cache_entries", "gauge", "Answers held now", 2),
    ] {
        out.push_str(&format!("# HELP {metric} {help}\n# TYPE {metric} {kind}\n"));
        for (name, s) in caches {
            let v = match value {
                0 => s.hits,
                1 => s.misses,
                _ => s.entries as u64,
            };
            out.push_str(&format!("{metric}{{cache=\"{name}\"}} {v}\n"));
        }
    }
    out
}

impl<K: Hash + Eq, V: Clone> std::fmt::Debug for Lru<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lru").field("kind", &self.kind).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_read_before_a_change_is_not_kept_after_it() {
        let g = Arc::new(Generations::default());
        let lru: Lru<u32, &str> = Lru::new(Kind::Grants, g.clone(), 2);
        let t = lru.ticket();
        lru.put(t, 1, "one");
        assert_eq!(lru.get(&1), Some("one"));
        // A read begins, a change is forgotten, the read comes back.
        let t = lru.ticket();
        g.forget(Kind::Grants);
        assert_eq!(lru.get(&1), None, "forgotten");
        lru.put(t, 2, "stale");
        assert_eq!(lru.get(&2), None, "read before the change: not kept");
        // Another kind's change leaves it alone.
        let t = lru.ticket();
        lru.put(t, 3, "three");
        g.forget(Kind::Certificates);
        assert_eq!(lru.get(&3), Some("three"));
    }

    #[test]
    fn the_least_recently_used_goes_first() {
        let g = Arc::new(Generations::default());
        let lru: Lru<u32, u32> = Lru::new(Kind::Certificates, g, 2);
        for k in 0..3 {
            lru.put(lru.ticket(), k, k);
        }
        assert_eq!(lru.len(), 2);
        assert_eq!(lru.get(&0), None);
        assert_eq!(lru.get(&2), Some(2));
    }

    /// Every write of what a cache holds bumps its counter in the same
    /// function (issue 21): a write path that forgot to would leave other
    /// processes answering from memory what is no longer true. The
    /// writes are found by what they name; an issue of a certificate is
    /// the one exception (unknown numbers are never held).
    #[test]
    fn every_write_of_cached_data_bumps_its_counter() {
        const WRITES: &[(&str, &str)] = &[
            ("certificate::Entity::update", "Kind::Certificates"),
            ("certificate::Entity::delete", "Kind::Certificates"),
            (
                "write_versioned::<certificate::Entity",
                "Kind::Certificates",
            ),
            ("UPDATE certificates", "Kind::Certificates"),
            ("DELETE FROM certificates", "Kind::Certificates"),
            ("person::Column::Name", "Kind::Certificates"),
            ("persons.rs: am.name = Set", "Kind::Certificates"),
            ("grant::ActiveModel", "Kind::Grants"),
            ("grant::Entity::insert", "Kind::Grants"),
            ("grant::Entity::update", "Kind::Grants"),
            ("grant::Entity::delete", "Kind::Grants"),
            ("INTO grants", "Kind::Grants"),
            ("UPDATE grants", "Kind::Grants"),
            ("FROM grants", "Kind::Grants"),
            ("annual_requirement::ActiveModel", "Kind::Policies"),
            ("annual_requirement::Entity::delete", "Kind::Policies"),
            ("annual_requirement::Entity::update", "Kind::Policies"),
            ("public_subject::ActiveModel", "Kind::Policies"),
            ("public_subject::Entity::delete", "Kind::Policies"),
            ("public_subject::Entity::update", "Kind::Policies"),
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root];
        let mut missing = Vec::new();
        let mut found = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("cache.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Tests write what they like.
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                for (write, kind) in WRITES {
                    // `file: text` limits a write to one file.
                    let write = match write.split_once(": ") {
                        Some((file, w)) if path.ends_with(file) => w,
                        Some(_) => continue,
                        None => write,
                    };
                    if !line.contains(write) || line.trim_start().starts_with("//") {
                        continue;
                    }
                    // Reads that name a column are not writes.
                    if write == "person::Column::Name" && !line.contains("col_expr") {
                        continue;
                    }
                    if write == "FROM grants" && !line.contains("DELETE") {
                        continue;
                    }
                    found += 1;
                    // The enclosing function: from its `fn` line to the
                    // next line that closes an item at the margin.
                    let item = |l: &str| {
                        let t = l.trim_start();
                        (l.len() - t.len() <= 4)
                            && [
                                "fn ",
                                "pub fn ",
                                "async fn ",
                                "pub async fn ",
                                "pub(crate) async fn ",
                                "pub(crate) fn ",
                            ]
                            .iter()
                            .any(|p| t.starts_with(p))
                    };
                    let start = (0..=i).rev().find(|&j| item(lines[j])).unwrap_or(0);
                    let indent = lines[start].len() - lines[start].trim_start().len();
                    let close = format!("{}}}", " ".repeat(indent));
                    let end = (i..lines.len())
                        .find(|&j| lines[j] == close)
                        .unwrap_or(lines.len() - 1);
                    let body = lines[start..=end].join("\n");
                    if !body.contains("cache::bump(") || !body.contains(kind) {
                        missing.push(format!("{}:{}: {write}", path.display(), i + 1));
                    }
                }
            }
        }
        assert!(
            found >= 8,
            "the writes were not found ({found}): has the code moved?"
        );
        assert!(
            missing.is_empty(),
            "writes that do not bump their cache counter:\n{}",
            missing.join("\n")
        );
    }

    #[tokio::test]
    async fn a_request_says_what_it_changed() {
        let ((), kinds) = scope(async {
            let _ = CHANGED.try_with(|c| c.fetch_or(Kind::Policies.bit(), Ordering::Relaxed));
        })
        .await;
        assert_eq!(kinds, vec![Kind::Policies]);
        let ((), kinds) = scope(async {}).await;
        assert!(kinds.is_empty());
    }
}
