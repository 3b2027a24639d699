//! Opening connections: our own r2d2 manager, so a failed connect reports the real cause and
//! every SQLite connection gets its pragmas.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{PgConnection, SqliteConnection};

use super::{DatabaseUrl, DbConn};

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// SQLite settings applied to every connection.
/// - WAL lets readers run while one writer commits.
/// - `synchronous = FULL` syncs the WAL at each commit, so an acknowledged write survives a
///   power loss; group commit keeps the number of syncs low.
/// - `busy_timeout` makes a writer wait for the lock instead of failing.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;
PRAGMA temp_store = MEMORY;";

/// Smallest page cache a connection gets, KiB: below this even the hot index pages of one
/// write would be read again.
const MIN_CACHE_KIB: u32 = 1024;

/// Each connection's share of the pool's SQLite page cache budget, in KiB. A connection's
/// cache grows with the pages it touches up to its `cache_size` and stays there, so the
/// budget bounds the pool's cache memory however large the database gets.
pub fn cache_kib_per_connection(budget_mib: u32, pool_size: u32) -> u32 {
    (budget_mib.saturating_mul(1024) / pool_size.max(1)).max(MIN_CACHE_KIB)
}

#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
    /// SQLite page cache of each connection, KiB.
    cache_kib: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("{0}")]
    Query(#[from] diesel::result::Error),
}

/// A connection outside the pool, for a thread that keeps its own.
pub fn open(url: &DatabaseUrl, cache_kib: u32) -> Result<DbConn, ConnectError> {
    Manager { url: url.clone(), cache_kib }.connect()
}

impl Manager {
    fn connect(&self) -> Result<DbConn, ConnectError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                super::sqlite_setup::configure_once();
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                // A negative cache_size counts KiB rather than pages.
                conn.batch_execute(&format!("PRAGMA cache_size = -{};", self.cache_kib))?;
                // SQLite's own lower() folds only ASCII; searches must ignore case in any script.
                crate::store::operators::lower_utils::register_impl(&mut conn, |text: String| text.to_lowercase())?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                // Times are stored as integers; this only keeps server-side logs readable.
                conn.batch_execute("SET TIME ZONE 'UTC'")?;
                Ok(DbConn::Postgres(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        Manager::connect(self)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        conn.ping().map_err(ConnectError::Query)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

pub fn build(url: &DatabaseUrl, size: u32, cache_kib: u32, timeout: Duration) -> Result<Pool, String> {
    if let DatabaseUrl::Sqlite(path) = url
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create database folder {}: {e}", dir.display()))?;
    }
    let manager = Manager { url: url.clone(), cache_kib };
    // Fail fast with the real reason when the database cannot be reached at all.
    manager.connect().map_err(|e| format!("cannot connect to {}: {e}", url.redacted()))?;
    // A PostgreSQL connection can die with its server; checking it at checkout lets the node
    // recover by itself when the database comes back. SQLite connections cannot go away.
    let test_on_checkout = matches!(url, DatabaseUrl::Postgres(_));
    Ok(r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(timeout)
        .test_on_check_out(test_on_checkout)
        .build_unchecked(manager))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_budget_is_shared_by_the_pool() {
        assert_eq!(cache_kib_per_connection(64, 16), 4096);
        assert_eq!(cache_kib_per_connection(64, 1), 65_536);
        // A large pool still leaves every connection a working cache.
        assert_eq!(cache_kib_per_connection(8, 100), MIN_CACHE_KIB);
    }
}
