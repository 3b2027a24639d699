//! Group commit: concurrent writes are queued to one writer thread, which runs whatever has
//! queued up as one transaction (one failing job does not undo the others, see `run_batch`), and
//! answers every caller only after that transaction is durable.
//!
//! A disk that syncs a few hundred times a second caps one-commit-per-write at that rate; with
//! grouping, the rate of writes is that number times the batch size, and batches grow by
//! themselves with load.
//!
//! Jobs are grouped by workspace and run in workspace order after locking each workspace row, so
//! writers on several nodes take their locks in one global order and cannot deadlock.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use tokio::sync::{mpsc, oneshot};

use super::checkpoint::{WalBudget, WalRestart};
use super::pool::PooledConn;
use super::wal_sync::{self, Synced};
use super::{Db, DbConn, lock_workspace, write_tx};
use crate::config::{CommitSync, SqliteCheckpoints};
use crate::error::{ApiError, ApiResult};

pub type Output = Box<dyn Any + Send>;
/// A job may run more than once: when PostgreSQL aborts a batch (serialization failure), the
/// batch is retried as a whole.
type Job = Box<dyn Fn(&mut DbConn) -> ApiResult<Output> + Send>;

/// Runs queued jobs of one kind together, with a few statements for all of them instead of a
/// few per job. It gets the jobs' inputs in queue order and answers each with `Some(output)`
/// when it wrote that job, or `None` to leave the job to its own closure, which then runs right
/// after the group (new dialogs, retries and other uncommon cases keep their per-job code). An
/// error undoes the whole group; the writer then runs every job of it on its own.
pub type GroupRunner = fn(&mut DbConn, &[&(dyn Any + Send)]) -> ApiResult<Vec<Option<Output>>>;

struct Group {
    runner: GroupRunner,
    input: Box<dyn Any + Send>,
}

struct Pending {
    workspace_id: i64,
    job: Job,
    group: Option<Group>,
    reply: oneshot::Sender<ApiResult<Output>>,
}

impl Pending {
    /// Whether `self` and `other` can run in one group.
    fn groups_with(&self, other: &Pending) -> bool {
        match (&self.group, &other.group) {
            (Some(a), Some(b)) => self.workspace_id == other.workspace_id && std::ptr::fn_addr_eq(a.runner, b.runner),
            _ => false,
        }
    }
}

/// Largest number of jobs in one transaction.
const MAX_BATCH: usize = 512;
/// Jobs waiting beyond this make new callers wait (backpressure), then answer 503.
const QUEUE_CAPACITY: usize = 8192;
const ENQUEUE_TIMEOUT: Duration = Duration::from_secs(5);
const BATCH_ATTEMPTS: usize = 3;
/// The writer's connection is checked before a batch when it has been idle this long.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Pending>,
    stats: Arc<WriterStats>,
}

/// Counters for benchmarks and metrics.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub jobs: AtomicU64,
    /// SQLite with `background` checkpoints: what they have seen of the WAL.
    pub wal: super::checkpoint::WalProgress,
}

impl GroupCommit {
    /// Starts the writer thread; it holds one pooled connection. On SQLite, `checkpoints` says
    /// where WAL checkpoints run: on this writer between batches, inside its commits (SQLite's
    /// own), or on a thread of their own (see `checkpoint`); `sync` whether commits are made
    /// durable inside each commit or by a thread of its own while the next batch runs (see
    /// `wal_sync`); `wal` how large the WAL grows under load before it starts over.
    pub fn start(db: Db, checkpoints: SqliteCheckpoints, sync: CommitSync, wal: WalBudget) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        let sqlite = db.sqlite_path().is_some();
        let checkpoints = match checkpoints {
            SqliteCheckpoints::Background if !super::checkpoint::start(&db, Arc::downgrade(&stats), wal) => {
                SqliteCheckpoints::Commit
            }
            _ if !sqlite => SqliteCheckpoints::Commit,
            mode => mode,
        };
        let syncer = (sync == CommitSync::Overlapped).then(|| wal_sync::start(db.clone()));
        std::thread::Builder::new()
            .name("livedesk-writer".into())
            .spawn(move || writer_loop(db, rx, &thread_stats, checkpoints, wal, syncer))
            .expect("spawn writer thread");
        Self { queue, stats }
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Writes queued and not yet taken by the writer.
    pub fn queue_len(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Runs `job` in the next group transaction of its workspace and returns its result once the
    /// transaction has committed.
    pub async fn submit<T, F>(&self, workspace_id: i64, job: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConn) -> ApiResult<T> + Send + 'static,
    {
        self.enqueue(workspace_id, None, job).await
    }

    /// Like [`GroupCommit::submit`] for a job that `runner` can write together with the other
    /// queued jobs of the same runner and workspace (see [`GroupRunner`]); `input` is what the
    /// runner gets for this job, and its output must be a `T`.
    pub async fn submit_grouped<T, F>(
        &self,
        workspace_id: i64,
        runner: GroupRunner,
        input: Box<dyn Any + Send>,
        job: F,
    ) -> ApiResult<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConn) -> ApiResult<T> + Send + 'static,
    {
        self.enqueue(workspace_id, Some(Group { runner, input }), job).await
    }

    async fn enqueue<T, F>(&self, workspace_id: i64, group: Option<Group>, job: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConn) -> ApiResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| job(conn).map(|v| Box::new(v) as Output));
        self.queue
            .send_timeout(Pending { workspace_id, job, group, reply }, ENQUEUE_TIMEOUT)
            .await
            .map_err(|_| ApiError::database_unavailable("the write queue is full"))?;
        let output = answer.await.map_err(|_| ApiError::internal("the writer stopped"))??;
        Ok(*output.downcast::<T>().expect("job output type"))
    }
}

/// The writer's pooled connection. Unless SQLite checkpoints in its commits, its automatic
/// checkpoints are off while the writer holds it, and back on when it returns to the pool; when
/// commits are made durable by a thread of their own (`wal_sync`), its commits do not wait for
/// the disk while the writer holds it.
struct WriterConn {
    conn: PooledConn,
    manual_checkpoints: bool,
    unsynced_commits: bool,
}

/// How often, at most, the writer checkpoints between batches (`SqliteCheckpoints::Writer`):
/// about as often as SQLite's own 1,000-page threshold is reached at full load.
const WRITER_CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// SQLite's default `wal_autocheckpoint`, in pages.
const DEFAULT_AUTOCHECKPOINT: u32 = 1000;

impl WriterConn {
    fn open(db: &Db, manual_checkpoints: bool, unsynced_commits: bool, wal: WalBudget) -> Option<Self> {
        let mut conn = db.get_blocking().ok()?;
        if manual_checkpoints {
            conn.batch_execute(&format!(
                "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {};",
                wal.size_limit_bytes()
            ))
            .ok()?;
        }
        if unsynced_commits {
            conn.batch_execute(unsynced_commits_sql(&conn).0).ok()?;
        }
        Some(Self { conn, manual_checkpoints, unsynced_commits })
    }
}

/// The session setting that makes commits skip their durability wait, and its undoing.
fn unsynced_commits_sql(conn: &DbConn) -> (&'static str, &'static str) {
    match conn {
        DbConn::Sqlite(_) => ("PRAGMA synchronous = NORMAL;", "PRAGMA synchronous = FULL;"),
        DbConn::Postgres(_) => ("SET synchronous_commit = off;", "RESET synchronous_commit;"),
    }
}

impl Drop for WriterConn {
    fn drop(&mut self) {
        if self.manual_checkpoints {
            let _ = self.conn.batch_execute(&format!(
                "PRAGMA wal_autocheckpoint = {DEFAULT_AUTOCHECKPOINT}; PRAGMA journal_size_limit = -1;"
            ));
        }
        if self.unsynced_commits {
            let undo = unsynced_commits_sql(&self.conn).1;
            let _ = self.conn.batch_execute(undo);
        }
    }
}

fn writer_loop(
    db: Db,
    mut rx: mpsc::Receiver<Pending>,
    stats: &WriterStats,
    checkpoints: SqliteCheckpoints,
    wal: WalBudget,
    syncer: Option<std::sync::mpsc::SyncSender<Synced>>,
) {
    let mut conn: Option<WriterConn> = None;
    let mut last_used = Instant::now();
    let mut last_checkpoint = Instant::now();
    let mut wal_restart = WalRestart::new(wal);
    let manual_checkpoints = checkpoints != SqliteCheckpoints::Commit;
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        // Stable: jobs of one workspace keep their arrival order.
        batch.sort_by_key(|p| p.workspace_id);
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);

        // A connection idle for a while may have died with a database restart; check it
        // before a batch rather than fail the batch (a failed commit cannot be retried safely).
        if conn.is_some() && last_used.elapsed() >= IDLE_CHECK_AFTER {
            let alive = conn.as_mut().is_some_and(|c| diesel::sql_query("SELECT 1").execute(&mut *c.conn).is_ok());
            if !alive {
                conn = None;
            }
        }
        if conn.is_none() {
            conn = WriterConn::open(&db, manual_checkpoints, syncer.is_some(), wal);
        }
        let Some(c) = conn.as_mut() else {
            for p in batch {
                let _ = p.reply.send(Err(ApiError::database_unavailable("no database connection for the writer")));
            }
            std::thread::sleep(Duration::from_millis(200));
            continue;
        };
        let jobs = batch.len();
        let outcome = run_batch(&mut c.conn, &batch);
        last_used = Instant::now();
        match outcome {
            Ok(results) => {
                let mut workspaces: Vec<i64> = batch.iter().map(|p| p.workspace_id).collect();
                workspaces.dedup();
                let replies: Vec<_> = batch.into_iter().map(|p| p.reply).zip(results).collect();
                match &syncer {
                    // Answered once the WAL is synced; a syncer that is gone drops the replies,
                    // which the callers see as a stopped writer.
                    Some(syncer) => {
                        let finish = Box::new(move |synced: Result<(), String>| answer(replies, synced));
                        let _ = syncer.send(Synced { workspaces, finish });
                    }
                    None => {
                        for ws in workspaces {
                            db.committed(ws);
                        }
                        answer(replies, Ok(()));
                    }
                }
                // Answered (or handed to the syncer) first: a checkpoint here delays only the
                // batches queued behind. No other writer runs meanwhile, so unless a reader still
                // holds an older snapshot it copies the whole WAL and the next commit starts the
                // file over: every `WRITER_CHECKPOINT_EVERY` with `writer`, and with `background`
                // only to copy what the checkpoint thread's last round left (`WalRestart`).
                match checkpoints {
                    SqliteCheckpoints::Writer if last_checkpoint.elapsed() >= WRITER_CHECKPOINT_EVERY => {
                        last_checkpoint = Instant::now();
                        if let Err(e) = c.conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                            tracing::warn!(error = %e, "WAL checkpoint failed");
                        }
                    }
                    SqliteCheckpoints::Background => wal_restart.after_batch(&mut c.conn, stats, jobs),
                    _ => {}
                }
            }
            Err(err) => {
                conn = None;
                let failure = err.to_string();
                for p in batch {
                    let _ = p.reply.send(Err(ApiError::database_unavailable(failure.clone())));
                }
            }
        }
    }
}

type Reply = (oneshot::Sender<ApiResult<Output>>, ApiResult<Output>);

/// Sends each caller its result, or the error that kept the batch from being durable.
fn answer(replies: Vec<Reply>, durable: Result<(), String>) {
    for (reply, result) in replies {
        let _ = reply.send(match &durable {
            Ok(()) => result,
            Err(e) => Err(ApiError::database_unavailable(e.clone())),
        });
    }
}

/// Why a batch transaction did not commit.
enum Abort {
    /// A job failed in a run without savepoints; its partial writes must not commit.
    JobFailed,
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Database(e)
    }
}

/// One transaction for the whole batch. Jobs first run without savepoints (two statements per
/// job saved); if one fails, the transaction is rolled back and the batch runs again with a
/// savepoint around each job (and each group), so the failure undoes only its own writes. The
/// batch is also retried when the database aborts it for a conflict.
fn run_batch(conn: &mut DbConn, batch: &[Pending]) -> Result<Vec<ApiResult<Output>>, diesel::result::Error> {
    let mut attempt = 0;
    let mut isolate_jobs = false;
    loop {
        attempt += 1;
        let _memo = crate::store::batch::begin();
        let result = write_tx(conn, |conn| {
            let mut results = Vec::with_capacity(batch.len());
            let mut locked = None;
            let mut start = 0;
            while start < batch.len() {
                let p = &batch[start];
                if locked != Some(p.workspace_id) {
                    lock_workspace(conn, p.workspace_id)?;
                    locked = Some(p.workspace_id);
                }
                let end = start + 1 + batch[start + 1..].iter().take_while(|q| p.groups_with(q)).count();
                let jobs = &batch[start..end];
                start = end;
                let mut outputs = match &p.group {
                    Some(group) => run_group(conn, group.runner, jobs, isolate_jobs)?,
                    None => vec![None],
                };
                for (q, output) in jobs.iter().zip(&mut outputs) {
                    let result = match output.take() {
                        Some(output) => Ok(output),
                        None if isolate_jobs => run_isolated(conn, &q.job),
                        None => (q.job)(conn),
                    };
                    if result.is_err() && !isolate_jobs {
                        return Err(Abort::JobFailed);
                    }
                    results.push(result);
                }
            }
            crate::store::batch::write_deferred(conn)?;
            Ok(results)
        });
        match result {
            Ok(results) => return Ok(results),
            Err(Abort::JobFailed) => isolate_jobs = true,
            Err(Abort::Database(e)) if attempt < BATCH_ATTEMPTS && is_retryable(&e) => {}
            Err(Abort::Database(e)) => return Err(e),
        }
    }
}

/// Runs a group of jobs; the outputs are in job order, `None` for a job the runner left to its
/// closure. When jobs are isolated, a group that fails is undone by its savepoint and leaves
/// every job to its closure; otherwise the batch is aborted and runs again isolated.
fn run_group(
    conn: &mut DbConn,
    runner: GroupRunner,
    jobs: &[Pending],
    isolate_jobs: bool,
) -> Result<Vec<Option<Output>>, Abort> {
    let inputs: Vec<&(dyn Any + Send)> =
        jobs.iter().filter_map(|p| p.group.as_ref().map(|g| g.input.as_ref())).collect();
    if !isolate_jobs {
        return match runner(conn, &inputs) {
            Ok(outputs) if outputs.len() == jobs.len() => Ok(outputs),
            _ => Err(Abort::JobFailed),
        };
    }
    let mark = crate::store::batch::mark();
    match conn.transaction(|conn| runner(conn, &inputs)) {
        Ok(outputs) if outputs.len() == jobs.len() => Ok(outputs),
        _ => {
            crate::store::batch::rewind(mark);
            Ok(jobs.iter().map(|_| None).collect())
        }
    }
}

/// Runs a job under a savepoint; when it fails, its writes and what the batch memo learnt from
/// them are both undone.
fn run_isolated(conn: &mut DbConn, job: &Job) -> ApiResult<Output> {
    let mark = crate::store::batch::mark();
    let result = conn.transaction(|conn| job(conn));
    if result.is_err() {
        crate::store::batch::rewind(mark);
    }
    result
}

fn is_retryable(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => info.message().contains("deadlock detected"),
        _ => false,
    }
}
