//! The one place that knows SQLite from PostgreSQL: the connection type, the pool,
//! migrations and the helpers that keep diesel off the async workers.

pub mod checkpoint;
pub mod group_commit;
mod migrate;
mod pool;
pub mod schema;
mod sqlite_setup;
mod url;
mod wal_sync;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use tokio::sync::Semaphore;

use crate::error::ApiError;

pub use migrate::{migrations_pending, revert_all_migrations, run_migrations};
pub use url::DatabaseUrl;

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs backend-specific code without scattering `match` arms:
/// `db_run!(conn: sqlite { ... } postgres { ... })` rebinds `conn` to the inner connection.
#[macro_export]
macro_rules! db_run {
    ($conn:ident: sqlite $sqlite:block postgres $postgres:block) => {
        match $conn {
            $crate::db::DbConn::Sqlite($conn) => $sqlite,
            $crate::db::DbConn::Postgres($conn) => $postgres,
        }
    };
}

/// Runs the same diesel code on the connection inside: the code is written once and each arm
/// compiles it for its own backend. Store functions use this rather than querying the
/// `DbConn` itself, because diesel's MultiConnection prepares every statement anew while the
/// typed connections keep them cached.
#[macro_export]
macro_rules! typed {
    ($conn:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($conn) => $body,
            $crate::db::DbConn::Postgres($conn) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite page cache of the whole pool, MiB (`LIVEDESK_SQLITE_CACHE_MIB`).
pub const DEFAULT_SQLITE_CACHE_MIB: u32 = 64;

/// How long a request waits for a free connection before it is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Called after a transaction that may have appended to a workspace's event log commits, so
/// live delivery and webhook deliveries can read the log; registered when they start.
type CommitListener = Arc<dyn Fn(i64) + Send + Sync>;

/// The connection pool. Every query runs on a blocking thread; the number of blocking jobs
/// in flight is capped by a semaphore so a burst waits asynchronously instead of piling up
/// threads that each block on the pool.
#[derive(Clone)]
pub struct Db {
    pool: pool::Pool,
    permits: Arc<Semaphore>,
    backend: Backend,
    pool_size: u32,
    url: DatabaseUrl,
    cache_kib: u32,
    on_commit: Arc<RwLock<Vec<CommitListener>>>,
}

impl Db {
    /// Opens the pool (creating the SQLite file and its folder when needed) with the default
    /// SQLite cache budget.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, String> {
        Self::connect_with_cache(url, pool_size, DEFAULT_SQLITE_CACHE_MIB)
    }

    /// Opens the pool; on SQLite the pool's connections share `cache_mib` MiB of page cache.
    pub fn connect_with_cache(url: &DatabaseUrl, pool_size: u32, cache_mib: u32) -> Result<Self, String> {
        let backend = match url {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        let cache_kib = pool::cache_kib_per_connection(cache_mib, pool_size);
        let pool = pool::build(url, pool_size, cache_kib, ACQUIRE_TIMEOUT)?;
        Ok(Self {
            pool,
            permits: Arc::new(Semaphore::new(pool_size as usize)),
            backend,
            pool_size,
            url: url.clone(),
            cache_kib,
            on_commit: Arc::new(RwLock::new(Vec::new())),
        })
    }

    /// Adds a listener told about every commit of a workspace's changes.
    pub fn add_commit_listener(&self, listener: impl Fn(i64) + Send + Sync + 'static) {
        self.on_commit.write().expect("commit listeners lock").push(Arc::new(listener));
    }

    /// Tells the listeners that `workspace_id`'s event log may have grown.
    pub fn committed(&self, workspace_id: i64) {
        for listener in self.on_commit.read().expect("commit listeners lock").iter() {
            listener(workspace_id);
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Open and idle connections of the pool, for metrics.
    pub fn pool_state(&self) -> diesel::r2d2::State {
        self.pool.state()
    }

    pub fn pool_size(&self) -> u32 {
        self.pool_size
    }

    /// Runs `f` with a pooled connection on a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::database_unavailable("timed out waiting for a database connection"))?
            .map_err(|_| ApiError::database_unavailable("database pool closed"))?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn =
                pool.get().map_err(|e| ApiError::database_unavailable(format!("no database connection: {e}")))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Like [`Db::run`], inside a write transaction (see [`write_tx`]).
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| write_tx(conn, f)).await
    }

    /// Like [`Db::write`] for a change of one workspace that writes events: the workspace row is
    /// locked first, the order every event writer follows (see [`lock_workspace`]).
    pub async fn write_in<T, F>(&self, workspace_id: i64, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let result = self
            .write(move |conn| {
                lock_workspace(conn, workspace_id)?;
                f(conn)
            })
            .await;
        if result.is_ok() {
            self.committed(workspace_id);
        }
        result
    }

    /// A connection of its own (not from the pool) for a thread that keeps it.
    pub fn connect_dedicated(&self) -> Result<DbConn, String> {
        pool::open(&self.url, self.cache_kib).map_err(|e| format!("cannot connect to {}: {e}", self.url.redacted()))
    }

    /// The SQLite database file; `None` on PostgreSQL.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => Some(path),
            DatabaseUrl::Postgres(_) => None,
        }
    }

    /// A connection for synchronous callers (CLI commands, tests); blocks.
    pub fn get_blocking(&self) -> Result<pool::PooledConn, String> {
        self.pool.get().map_err(|e| e.to_string())
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        self.run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
        .is_ok()
    }
}

/// Runs `f` in a transaction meant to write. On SQLite it starts with `BEGIN IMMEDIATE`, so
/// the write lock is taken up front and waits on the busy timeout; a deferred transaction that
/// read first would fail at once when another writer committed in between.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?,
        DbConn::Postgres(_) => <DbConn as Connection>::TransactionManager::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => match <DbConn as Connection>::TransactionManager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(err),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Takes the workspace's row lock for the rest of the transaction. Every transaction that
/// appends to the event log takes it first, so positions follow commit order and writers lock
/// rows in one order. SQLite needs nothing: its write transactions are serial already.
pub fn lock_workspace(conn: &mut DbConn, workspace_id: i64) -> diesel::QueryResult<()> {
    use schema::workspaces;
    crate::db_run!(conn: sqlite {
        let _ = (conn, workspace_id);
        Ok(())
    } postgres {
        workspaces::table.find(workspace_id).select(workspaces::id).for_update().first::<i64>(conn).map(|_| ())
    })
}
