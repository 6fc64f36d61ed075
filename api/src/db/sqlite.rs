//! Who folds SQLite's write-ahead log back into the database file
//! (issue 21).
//!
//! By SQLite's default the writer whose commit takes the log past 1,000
//! pages checkpoints it, on its own request's time: timed inside the push,
//! ~5 ms of a 1,000-item batch's ~30, nearly every batch (a batch writes
//! that many pages). [`run_checkpointer`] does it from a background task
//! instead, every `database.sqlite_checkpoint_ms`:
//!
//! - a passive checkpoint each time, which copies what it can without
//!   waiting for readers or writers;
//! - when the log has grown past [`RESTART_FRAMES`] anyway (writers never
//!   pause, so it is never wholly copied and never starts over), a
//!   `RESTART` checkpoint, which waits its turn among the writers, copies
//!   the few frames the passive ones left and lets the next writer start
//!   the log over: the log stays bounded under any write load.
//!
//! The writers themselves checkpoint only past [`WRITER_CHECKPOINT_PAGES`],
//! should the task stall.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

use crate::config::Settings;

/// Whether the background task checkpoints (and the writers only past a
/// bound): on SQLite, with `database.sqlite_checkpoint_ms` above 0.
pub fn checkpointer_on(settings: &Settings) -> bool {
    settings.database.sqlite_checkpoint_ms > 0
}

/// With the background checkpointer on, a writer checkpoints the log itself
/// only beyond this many pages (256 MiB at 4 KiB a page): a bound should
/// the task stall, not the usual path.
pub const WRITER_CHECKPOINT_PAGES: u32 = 65_536;

/// The log's size, in frames (pages), past which the task starts it over
/// (32 MiB at 4 KiB a page).
pub const RESTART_FRAMES: i64 = 8_192;

/// How a checkpoint treats the others (SQLite's modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Copies what it can, waiting for no one.
    Passive,
    /// Waits for the writers, copies everything, then waits for the readers
    /// so that the next writer starts the log over.
    Restart,
}

/// One checkpoint of the log: the log's size in frames.
pub async fn checkpoint(db: &DatabaseConnection, mode: Mode) -> Result<i64, DbErr> {
    let sql = match mode {
        Mode::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
        Mode::Restart => "PRAGMA wal_checkpoint(RESTART)",
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::Custom("wal_checkpoint answered no row".into()))?;
    // (busy, log frames, frames checkpointed)
    row.try_get_by_index(1)
}

/// Starts the background checkpointer when the database is SQLite and the
/// settings ask for it.
pub fn start(db: &DatabaseConnection, settings: &Settings) {
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite && checkpointer_on(settings) {
        tokio::spawn(run_checkpointer(
            db.clone(),
            Duration::from_millis(settings.database.sqlite_checkpoint_ms),
        ));
    }
}

/// Checkpoints every `every`, for as long as the server runs.
async fn run_checkpointer(db: DatabaseConnection, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let done = match checkpoint(&db, Mode::Passive).await {
            Ok(frames) if frames > RESTART_FRAMES => checkpoint(&db, Mode::Restart).await,
            other => other,
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "checkpointing the SQLite log");
        }
    }
}
