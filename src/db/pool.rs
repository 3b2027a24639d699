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
PRAGMA temp_store = MEMORY;
PRAGMA cache_size = -32000;";

#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("{0}")]
    Query(#[from] diesel::result::Error),
}

impl Manager {
    fn connect(&self) -> Result<DbConn, ConnectError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                super::sqlite_setup::configure_once();
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
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

pub fn build(url: &DatabaseUrl, size: u32, timeout: Duration) -> Result<Pool, String> {
    if let DatabaseUrl::Sqlite(path) = url
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create database folder {}: {e}", dir.display()))?;
    }
    let manager = Manager { url: url.clone() };
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
