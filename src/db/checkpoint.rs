//! SQLite WAL checkpoints on a thread of their own, off the group-commit writer's path.
//!
//! By default the connection that commits runs a checkpoint once the WAL passes 1,000 pages,
//! inside its commit: copying pages into the database file and syncing it. On the writer that
//! delays the answers of a whole batch and of the batches queued behind it. The writer turns its
//! automatic checkpoints off instead, and this thread checkpoints whenever the writer has
//! committed since its last round:
//!
//! - PASSIVE, which never waits for readers or the writer, copies what it can;
//! - when the WAL file passes [`TRUNCATE_ABOVE`] anyway (readers that never stop can keep
//!   the WAL from starting over, "checkpoint starvation"), TRUNCATE waits briefly for readers
//!   to finish, copies everything and empties the file, so the WAL stays bounded.
//!
//! The thread stops when the writer it serves has stopped.
//!
//! Measured (BENCHMARKS.md): while the writer never pauses, a PASSIVE checkpoint cannot let
//! the WAL start over, so it grows to the TRUNCATE threshold, and that checkpoint stalls
//! writes for 0.4-0.6 s. Hence `--sqlite-checkpoints background` is an option, not the default.

use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel::sql_types::Integer;

use super::group_commit::WriterStats;
use super::{Db, DbConn};

/// How often the thread looks for new commits.
const INTERVAL: Duration = Duration::from_millis(200);
/// WAL size at which a checkpoint waits for readers so the file can be emptied.
const TRUNCATE_ABOVE: u64 = 32 << 20;
/// How long a TRUNCATE checkpoint waits for readers and the writer before it gives up for the
/// round; the writer waits at most this long behind it.
const TRUNCATE_WAIT_MS: u32 = 100;

#[derive(diesel::QueryableByName)]
struct Outcome {
    #[diesel(sql_type = Integer)]
    busy: i32,
}

/// Starts the checkpoint thread for a SQLite database; false on PostgreSQL or when no
/// connection could be opened, and then the writer keeps SQLite's automatic checkpoints.
pub fn start(db: &Db, writer: Weak<WriterStats>) -> bool {
    let Some(file) = db.sqlite_path() else { return false };
    let wal = wal_path(file);
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
    std::thread::Builder::new().name("livedesk-checkpoint".into()).spawn(move || run(&mut conn, &wal, &writer)).is_ok()
}

fn wal_path(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn run(conn: &mut DbConn, wal: &Path, writer: &Weak<WriterStats>) {
    let mut seen = 0;
    loop {
        std::thread::sleep(INTERVAL);
        let Some(stats) = writer.upgrade() else { return };
        let commits = stats.batches.load(Ordering::Relaxed);
        drop(stats);
        if commits == seen {
            continue;
        }
        seen = commits;
        let large = std::fs::metadata(wal).is_ok_and(|m| m.len() > TRUNCATE_ABOVE);
        let mode = if large { "TRUNCATE" } else { "PASSIVE" };
        match checkpoint(conn, mode) {
            Ok(true) if large => tracing::debug!("WAL truncation postponed: readers or the writer were busy"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, mode, "WAL checkpoint failed"),
        }
    }
}

/// Runs one checkpoint; true when it could not finish because others held the database.
fn checkpoint(conn: &mut DbConn, mode: &str) -> diesel::QueryResult<bool> {
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    let outcome: Vec<Outcome> = crate::typed!(conn => diesel::sql_query(&sql).load(conn))?;
    Ok(outcome.first().is_some_and(|o| o.busy != 0))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    use crate::config::SqliteCheckpoints;
    use crate::db::group_commit::GroupCommit;
    use crate::db::{DatabaseUrl, Db};

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
        let writer = GroupCommit::start(db.clone(), mode, crate::config::SqliteWalSync::Overlapped);
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
}
