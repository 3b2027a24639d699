//! SQLite WAL checkpoints on a thread of their own, off the group-commit writer's path.
//!
//! SQLite's own automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages
//! (`--sqlite-checkpoints commit`): it copies pages into the database file and syncs both files,
//! which on the writer delays the answers of a whole batch and of the batches queued behind it.
//! By default (`background`) the writer turns its automatic checkpoints off instead:
//!
//! - this thread runs a PASSIVE checkpoint whenever the writer has committed since its last
//!   round: it copies the new frames and syncs, never waiting for readers or the writer;
//! - a PASSIVE checkpoint alone never lets the WAL start over while the writer never pauses (a
//!   commit always lands between the copy and the next write), so once the WAL holds its
//!   [`WalBudget`] the writer, right after one of this thread's rounds, copies the few frames
//!   committed during it ([`WalRestart`]); its next commit then starts the file over. That
//!   pauses the writer for about two disk syncs, which every caller waiting then feels, so
//!   under load it happens only at the budget (256 MiB by default), and under light load,
//!   when few wait, from [`LIGHT_RESTART_AT_FRAMES`];
//! - once the writer has been idle for [`IDLE_TRUNCATE_AFTER`], this thread empties the WAL
//!   file (TRUNCATE), so a large WAL does not stay on disk after a burst;
//! - readers that never stop can still hold the WAL (their snapshot must stay readable); past
//!   twice the budget this thread waits briefly for them with TRUNCATE.
//!
//! The thread stops when the writer it serves has stopped.

use std::sync::Weak;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel::sql_types::Integer;

use super::group_commit::WriterStats;
use super::{Db, DbConn};

/// How often the thread looks for new commits.
const INTERVAL: Duration = Duration::from_millis(50);
/// SQLite's page size, which livedesk does not change: one WAL frame holds one page.
const PAGE_BYTES: u64 = 4096;
/// WAL frames at which the writer lets the file start over after a batch of at most
/// [`LIGHT_BATCH_JOBS`] jobs: 32 MiB.
const LIGHT_RESTART_AT_FRAMES: u64 = 8192;
/// A batch this small means few callers wait behind the writer's pause.
const LIGHT_BATCH_JOBS: usize = 4;
/// The writer's catch-up runs at most this often, so readers that keep the WAL from starting
/// over cannot make it run after every batch.
const RESTART_EVERY: Duration = Duration::from_millis(100);
/// How long the writer must have committed nothing before this thread empties the WAL file.
const IDLE_TRUNCATE_AFTER: Duration = Duration::from_secs(2);
/// How long a TRUNCATE checkpoint waits for readers and the writer before it gives up for the
/// round; the writer waits at most this long behind it.
const TRUNCATE_WAIT_MS: u32 = 100;

/// How large the WAL grows under load before the writer lets it start over
/// (`--sqlite-wal-restart-mib`).
#[derive(Debug, Clone, Copy)]
pub struct WalBudget {
    restart_at_frames: u64,
}

impl WalBudget {
    pub fn from_mib(mib: u32) -> Self {
        Self { restart_at_frames: (u64::from(mib) << 20) / PAGE_BYTES }
    }

    /// Frames at which readers have held the WAL too long: the checkpoint then waits for them.
    fn truncate_above_frames(self) -> u64 {
        2 * self.restart_at_frames
    }

    /// Largest WAL file kept after it starts over (SQLite's `journal_size_limit`): more than
    /// the budget, so the file is not cut and grown again on every start-over, and bounded, so
    /// a WAL that readers made grow does not keep its size.
    pub fn size_limit_bytes(self) -> u64 {
        2 * self.restart_at_frames * PAGE_BYTES
    }
}

/// What the checkpoints have seen of the WAL, shared by the checkpoint thread and the writer.
#[derive(Debug, Default)]
pub struct WalProgress {
    /// Frames in the WAL at the last checkpoint.
    frames: AtomicU64,
    /// The checkpoint thread has just copied the whole WAL, and the writer not yet looked.
    copied: AtomicBool,
}

impl WalProgress {
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    /// Keeps the WAL's size as a checkpoint saw it (unknown when it was busy).
    fn record(&self, outcome: &Outcome) {
        if let Ok(frames) = u64::try_from(outcome.log) {
            self.frames.store(frames, Ordering::Relaxed);
        }
    }
}

/// The row of `PRAGMA wal_checkpoint`: whether it could not finish, the WAL's frames, and how
/// many of them are in the database file (both -1 when another checkpoint was running).
#[derive(diesel::QueryableByName)]
struct Outcome {
    #[diesel(sql_type = Integer)]
    busy: i32,
    #[diesel(sql_type = Integer)]
    log: i32,
    #[diesel(sql_type = Integer)]
    checkpointed: i32,
}

/// Starts the checkpoint thread for a SQLite database; false on PostgreSQL or when no
/// connection could be opened, and then the writer keeps SQLite's automatic checkpoints.
pub fn start(db: &Db, writer: Weak<WriterStats>, budget: WalBudget) -> bool {
    if db.sqlite_path().is_none() {
        return false;
    }
    let mut conn = match db.connect_dedicated() {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "no connection for WAL checkpoints; the writer checkpoints itself");
            return false;
        }
    };
    if let Err(e) = conn.batch_execute(&format!("PRAGMA busy_timeout = {TRUNCATE_WAIT_MS};")) {
        tracing::warn!(error = %e, "cannot set up the checkpoint connection; the writer checkpoints itself");
        return false;
    }
    std::thread::Builder::new()
        .name("livedesk-checkpoint".into())
        .spawn(move || run(&mut conn, &writer, budget))
        .is_ok()
}

fn run(conn: &mut DbConn, writer: &Weak<WriterStats>, budget: WalBudget) {
    let mut seen = 0;
    let mut last_commit = Instant::now();
    // The commit count at the last attempt to empty the WAL: one attempt per idle spell.
    let mut emptied_after = None;
    loop {
        std::thread::sleep(INTERVAL);
        let Some(stats) = writer.upgrade() else { return };
        let commits = stats.batches.load(Ordering::Relaxed);
        if commits != seen {
            seen = commits;
            last_commit = Instant::now();
            round(conn, &stats.wal, budget);
        } else if emptied_after != Some(seen) && stats.wal.frames() > 0 && last_commit.elapsed() >= IDLE_TRUNCATE_AFTER
        {
            emptied_after = Some(seen);
            empty_idle_wal(conn, &stats.wal);
        }
    }
}

/// One round of the thread: copies the WAL and tells the writer what it saw.
fn round(conn: &mut DbConn, wal: &WalProgress, budget: WalBudget) {
    let held = wal.frames() > budget.truncate_above_frames();
    let mode = if held { "TRUNCATE" } else { "PASSIVE" };
    match checkpoint(conn, mode) {
        Ok(outcome) => {
            if held && outcome.busy != 0 {
                tracing::debug!("WAL truncation postponed: readers or the writer were busy");
            }
            wal.record(&outcome);
            let whole = outcome.busy == 0 && outcome.log > 0 && outcome.log == outcome.checkpointed;
            wal.copied.store(whole, Ordering::Relaxed);
        }
        Err(e) => tracing::warn!(error = %e, mode, "WAL checkpoint failed"),
    }
}

/// Copies the rest of an idle writer's WAL and cuts the file to nothing. A reader or a new
/// batch that holds it on makes this wait at most [`TRUNCATE_WAIT_MS`] and give up until the
/// writer's next idle spell.
fn empty_idle_wal(conn: &mut DbConn, wal: &WalProgress) {
    match checkpoint(conn, "TRUNCATE") {
        Ok(outcome) if outcome.busy == 0 => wal.frames.store(0, Ordering::Relaxed),
        Ok(outcome) => wal.record(&outcome),
        Err(e) => tracing::warn!(error = %e, "WAL truncation failed"),
    }
}

fn checkpoint(conn: &mut DbConn, mode: &str) -> diesel::QueryResult<Outcome> {
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    let outcome: Vec<Outcome> = crate::typed!(conn => diesel::sql_query(&sql).load(conn))?;
    Ok(outcome.into_iter().next().unwrap_or(Outcome { busy: 1, log: -1, checkpointed: -1 }))
}

/// The writer's part of `background` checkpoints: after the batch that follows one of the
/// checkpoint thread's rounds, once the WAL holds its budget (or [`LIGHT_RESTART_AT_FRAMES`]
/// after a light batch), it copies what the thread has not (the commits during its round), so
/// the WAL is wholly in the database file and the writer's next commit starts it over. That
/// costs the writer the checkpoint's two syncs and a short copy, once per budget rather than
/// once per 1,000 pages.
pub struct WalRestart {
    restart_at: u64,
    light_restart_at: u64,
    last: Option<Instant>,
}

impl WalRestart {
    pub fn new(budget: WalBudget) -> Self {
        let restart_at = budget.restart_at_frames;
        Self { restart_at, light_restart_at: LIGHT_RESTART_AT_FRAMES.min(restart_at), last: None }
    }

    /// `jobs`: how many the batch just committed held.
    pub fn after_batch(&mut self, conn: &mut DbConn, stats: &WriterStats, jobs: usize) {
        let recent = self.last.is_some_and(|last| last.elapsed() < RESTART_EVERY);
        let threshold = if jobs <= LIGHT_BATCH_JOBS { self.light_restart_at } else { self.restart_at };
        if !stats.wal.copied.swap(false, Ordering::Relaxed) || stats.wal.frames() < threshold || recent {
            return;
        }
        match checkpoint(conn, "PASSIVE") {
            // The checkpoint thread started its next round meanwhile; try after that one.
            Ok(outcome) if outcome.log < 0 => {}
            Ok(outcome) => {
                self.last = Some(Instant::now());
                if outcome.busy == 0 && outcome.log == outcome.checkpointed {
                    // The next commit starts the WAL over; until the thread's next round says
                    // otherwise, it is empty.
                    stats.wal.frames.store(0, Ordering::Relaxed);
                } else {
                    stats.wal.record(&outcome);
                }
            }
            Err(e) => {
                self.last = Some(Instant::now());
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    use super::*;
    use crate::config::SqliteCheckpoints;
    use crate::db::DatabaseUrl;
    use crate::db::group_commit::GroupCommit;

    /// Writes 2 MiB through the writer (below SQLite's own automatic checkpoint, 1,000 pages,
    /// ~4 MiB) and waits until it has reached the database file; `nudge` writes once more after
    /// a pause, for a writer that checkpoints after a batch at most every 100 ms.
    fn commits_reach_the_database_file(mode: SqliteCheckpoints, nudge: bool) {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("livedesk-checkpoint-{}-{stamp}", std::process::id()));
        let file = dir.join("db.sqlite");
        let db = Db::connect(&DatabaseUrl::Sqlite(file.clone()), 2).unwrap();
        db.get_blocking().unwrap().batch_execute("CREATE TABLE blobs (data BLOB NOT NULL);").unwrap();
        let before = std::fs::metadata(&file).unwrap().len();

        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let budget = WalBudget::from_mib(256);
        let writer = GroupCommit::start(db.clone(), mode, crate::config::CommitSync::Overlapped, budget);
        let write = || {
            runtime
                .block_on(writer.submit(1, |conn| {
                    crate::typed!(conn => diesel::sql_query("INSERT INTO blobs VALUES (zeroblob(65536))").execute(conn))?;
                    Ok(())
                }))
                .unwrap()
        };
        for _ in 0..32 {
            write();
        }
        if nudge {
            std::thread::sleep(Duration::from_millis(150));
            write();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&file).unwrap().len() < before + (2 << 20) {
            assert!(Instant::now() < deadline, "the commits never reached the database file");
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(writer);
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The writer's commits stay in the WAL (its own checkpoints are off) until the checkpoint
    /// thread copies them into the database file.
    #[test]
    fn the_checkpoint_thread_copies_the_writers_commits_into_the_database_file() {
        commits_reach_the_database_file(SqliteCheckpoints::Background, false);
    }

    /// With `writer`, the writer copies them itself between batches.
    #[test]
    fn the_writer_checkpoints_between_batches() {
        commits_reach_the_database_file(SqliteCheckpoints::Writer, true);
    }

    /// The checkpoint thread has copied all but the last commit; the writer copies that one, and
    /// its next commit writes the WAL from its start again instead of after the old frames.
    #[test]
    fn the_writer_lets_a_copied_wal_start_over() {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("livedesk-wal-restart-{}-{stamp}", std::process::id()));
        let db = Db::connect(&DatabaseUrl::Sqlite(dir.join("db.sqlite")), 2).unwrap();
        let mut writer = db.connect_dedicated().unwrap();
        let mut thread = db.connect_dedicated().unwrap();
        writer.batch_execute("PRAGMA wal_autocheckpoint = 0; CREATE TABLE blobs (data BLOB NOT NULL);").unwrap();
        let write = |conn: &mut DbConn| {
            crate::typed!(conn => diesel::sql_query("INSERT INTO blobs VALUES (zeroblob(65536))").execute(conn))
                .unwrap();
        };
        let stats = WriterStats::default();
        let budget = WalBudget { restart_at_frames: 512 };
        let mut restart = WalRestart { restart_at: 512, light_restart_at: 64, last: None };
        let (heavy, light) = (LIGHT_BATCH_JOBS + 1, LIGHT_BATCH_JOBS);
        write(&mut writer);
        round(&mut thread, &stats.wal, budget);
        write(&mut writer);
        restart.after_batch(&mut writer, &stats, light);
        assert!(stats.wal.frames() < 64, "below the threshold the writer leaves the WAL to the thread");
        assert!(!stats.wal.copied.load(Ordering::Relaxed), "the writer looked at the thread's round");

        for _ in 0..8 {
            write(&mut writer);
        }
        round(&mut thread, &stats.wal, budget);
        let copied = stats.wal.frames();
        assert!((8 * 16..512).contains(&copied), "the WAL held {copied} frames");
        write(&mut writer);
        // Between the light threshold and the budget, a busy writer leaves the WAL to grow.
        restart.after_batch(&mut writer, &stats, heavy);
        assert_eq!(stats.wal.frames(), copied, "after a busy batch the WAL grows on to its budget");
        // After a light batch, the writer copies the rest.
        stats.wal.copied.store(true, Ordering::Relaxed);
        restart.after_batch(&mut writer, &stats, light);
        assert_eq!(stats.wal.frames(), 0, "the writer's checkpoint copied the rest");
        write(&mut writer);
        let frames = checkpoint(&mut thread, "PASSIVE").unwrap().log;
        assert!(frames > 0 && (frames as u64) < copied / 4, "after the restart the WAL holds {frames} frames");

        // Without a fresh round of the thread, the writer waits for one.
        write(&mut writer);
        restart.last = None;
        stats.wal.frames.store(copied, Ordering::Relaxed);
        restart.after_batch(&mut writer, &stats, light);
        assert_eq!(stats.wal.frames(), copied);
        drop((writer, thread, db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Once the writer is idle, the thread copies what is left and cuts the WAL file to nothing.
    #[test]
    fn an_idle_writers_wal_is_emptied() {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("livedesk-wal-idle-{}-{stamp}", std::process::id()));
        let file = dir.join("db.sqlite");
        let db = Db::connect(&DatabaseUrl::Sqlite(file.clone()), 2).unwrap();
        let mut writer = db.connect_dedicated().unwrap();
        let mut thread = db.connect_dedicated().unwrap();
        writer.batch_execute("PRAGMA wal_autocheckpoint = 0; CREATE TABLE blobs (data BLOB NOT NULL);").unwrap();
        for _ in 0..4 {
            let conn = &mut writer;
            crate::typed!(conn => diesel::sql_query("INSERT INTO blobs VALUES (zeroblob(65536))").execute(conn))
                .unwrap();
        }
        let wal_file = dir.join("db.sqlite-wal");
        assert!(std::fs::metadata(&wal_file).unwrap().len() > 4 * 65536);
        let stats = WriterStats::default();
        stats.wal.frames.store(64, Ordering::Relaxed);

        empty_idle_wal(&mut thread, &stats.wal);
        assert_eq!(stats.wal.frames(), 0);
        assert_eq!(std::fs::metadata(&wal_file).unwrap().len(), 0, "the WAL file was cut");
        let conn = &mut writer;
        let rows: i64 = crate::typed!(conn => diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM blobs)"
        ))
        .get_result(conn))
        .unwrap();
        assert_eq!(rows, 4, "the rows are in the database file");
        drop((writer, thread, db));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
