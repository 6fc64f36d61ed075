//! Database errors a client should retry (issue 22): the database
//! unreachable or restarting, out of connections, busy or locked by another
//! writer, or out of space. The HTTP mapping answers them 503 with
//! `Retry-After` and a stable code instead of an opaque 500, so a client
//! can tell a fault worth retrying from a bug; the cause is still logged.

use std::error::Error as StdError;

use sea_orm::sqlx;
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};

/// What kind of fault, with its stable code and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Unreachable, restarting, shutting down, or no connection to be had.
    Unavailable,
    /// Locked or busy (SQLite's busy timeout ran out; a serialization
    /// failure or deadlock on PostgreSQL).
    Busy,
    /// No space left for the write.
    Full,
}

impl Fault {
    pub fn code(self) -> &'static str {
        match self {
            Fault::Unavailable => "database_unavailable",
            Fault::Busy => "database_busy",
            Fault::Full => "database_full",
        }
    }

    /// Seconds for `Retry-After`: a restart takes seconds, a lock less,
    /// space needs an operator.
    pub fn retry_after(self) -> u64 {
        match self {
            Fault::Unavailable => 2,
            Fault::Busy => 1,
            Fault::Full => 30,
        }
    }
}

/// The fault anywhere in an error's cause chain, if it is one.
pub fn of(e: &anyhow::Error) -> Option<Fault> {
    e.chain().find_map(of_cause)
}

fn of_cause(cause: &(dyn StdError + 'static)) -> Option<Fault> {
    if let Some(db) = cause.downcast_ref::<DbErr>() {
        return of_db(db);
    }
    if let Some(sqlx) = cause.downcast_ref::<sqlx::Error>() {
        return of_sqlx(sqlx);
    }
    None
}

fn of_db(e: &DbErr) -> Option<Fault> {
    match e {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            Some(Fault::Unavailable)
        }
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => of_sqlx(e),
        // sea-orm's own wording for a connection it lost.
        DbErr::Conn(RuntimeErr::Internal(_)) => Some(Fault::Unavailable),
        _ => None,
    }
}

fn of_sqlx(e: &sqlx::Error) -> Option<Fault> {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Some(Fault::Unavailable),
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                of_sqlite(&code)
            } else {
                of_sqlstate(&code)
            }
        }
        _ => None,
    }
}

/// A SQLite result code, primary or extended (sqlx reports it in decimal;
/// its low byte is the primary code).
pub fn of_sqlite(code: &str) -> Option<Fault> {
    match code.parse::<u32>().ok()? & 0xff {
        5 | 6 => Some(Fault::Busy),          // SQLITE_BUSY, SQLITE_LOCKED
        13 => Some(Fault::Full),             // SQLITE_FULL
        10 | 14 => Some(Fault::Unavailable), // SQLITE_IOERR, SQLITE_CANTOPEN
        _ => None,
    }
}

/// A PostgreSQL SQLSTATE.
pub fn of_sqlstate(code: &str) -> Option<Fault> {
    match code {
        // serialization_failure, deadlock_detected, lock_not_available
        "40001" | "40P01" | "55P03" => Some(Fault::Busy),
        // disk_full, insufficient_resources, out_of_memory
        "53100" | "53000" | "53200" => Some(Fault::Full),
        // too_many_connections
        "53300" => Some(Fault::Unavailable),
        // connection exceptions (08…), operator intervention (57…: admin
        // or crash shutdown, cannot connect now), read-only transaction on
        // a standby that was promoted away (25006)
        c if c.starts_with("08") || c.starts_with("57") || c == "25006" => Some(Fault::Unavailable),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_both_backends() {
        assert_eq!(of_sqlite("5"), Some(Fault::Busy));
        assert_eq!(of_sqlite("517"), Some(Fault::Busy)); // SQLITE_BUSY_SNAPSHOT
        assert_eq!(of_sqlite("13"), Some(Fault::Full));
        assert_eq!(of_sqlite("2067"), None); // SQLITE_CONSTRAINT_UNIQUE: a 409, not a fault
        assert_eq!(of_sqlstate("57P01"), Some(Fault::Unavailable));
        assert_eq!(of_sqlstate("08006"), Some(Fault::Unavailable));
        assert_eq!(of_sqlstate("40001"), Some(Fault::Busy));
        assert_eq!(of_sqlstate("53100"), Some(Fault::Full));
        assert_eq!(of_sqlstate("23505"), None);
    }

    #[test]
    fn found_through_context() {
        let e = anyhow::Error::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
            .context("loading the person");
        assert_eq!(of(&e), Some(Fault::Unavailable));
        let e = anyhow::anyhow!("not a database error");
        assert_eq!(of(&e), None);
    }
}
