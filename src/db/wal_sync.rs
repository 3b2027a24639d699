//! The durability wait of group commits, off the writer's serial path. The writer commits
//! without waiting for the disk and hands the batch here; this thread makes the commit durable
//! and only then answers the batch's callers and tells the commit listeners. Meanwhile the
//! writer runs the next batch, so a batch cycle costs the longer of the work and the sync rather
//! than their sum: on a disk that syncs a few hundred times a second, the sync is most of a cycle.
//!
//! - SQLite: the writer's connection commits with `synchronous = NORMAL` (the commit writes its
//!   WAL frames but does not sync them); this thread `fdatasync`s the WAL file. Checkpoints
//!   still sync the WAL before copying it and the database after, so a frame the WAL drops at a
//!   restart is already in the synced database.
//! - PostgreSQL: the writer's connection commits with `synchronous_commit = off`; this thread,
//!   on a connection of its own, commits a transaction that has an id and so waits for the WAL
//!   flush up to its own commit record, which lies after the writer's commits handed over so far.
//!   A crash before that flush loses those commits together, in order, and none was answered.
//!
//! An answered write is as durable as with a synced commit. Other connections may read a batch a
//! few milliseconds before it is durable.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use diesel::RunQueryDsl;

use super::{Db, DbConn};

/// A committed batch waiting for its sync. `finish` answers its callers: with their results
/// once the sync succeeded, or with the sync's error.
pub struct Synced {
    pub workspaces: Vec<i64>,
    pub finish: Box<dyn FnOnce(Result<(), String>) + Send>,
}

/// Batches handed over and not yet synced; beyond this the writer waits (backpressure).
const IN_FLIGHT: usize = 4;

/// How the thread makes the handed-over commits durable.
enum Durability {
    SqliteWal {
        wal: PathBuf,
        main: PathBuf,
    },
    /// The connection is opened on first use and again after an error.
    PostgresFlush {
        conn: Option<DbConn>,
    },
}

/// Starts the syncer thread for the writer's database.
pub fn start(db: Db) -> SyncSender<Synced> {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let durability = match db.sqlite_path() {
        Some(path) => Durability::SqliteWal { wal: wal_path(path), main: path.to_path_buf() },
        None => Durability::PostgresFlush { conn: None },
    };
    std::thread::Builder::new()
        .name("livedesk-wal-sync".into())
        .spawn(move || sync_loop(&db, &rx, durability))
        .expect("spawn WAL sync thread");
    tx
}

fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn sync_loop(db: &Db, rx: &Receiver<Synced>, mut durability: Durability) {
    while let Ok(first) = rx.recv() {
        // Every batch handed over so far is covered by one sync.
        let mut batches = vec![first];
        batches.extend(rx.try_iter());
        let synced = durability.sync(db).map_err(|e| {
            tracing::error!(error = %e, "commit sync failed");
            format!("the write could not be made durable: {e}")
        });
        for batch in batches {
            if synced.is_ok() {
                for ws in &batch.workspaces {
                    db.committed(*ws);
                }
            }
            (batch.finish)(synced.clone());
        }
    }
}

impl Durability {
    fn sync(&mut self, db: &Db) -> Result<(), String> {
        match self {
            Durability::SqliteWal { wal, main } => sync_wal(wal, main).map_err(|e| e.to_string()),
            Durability::PostgresFlush { conn } => {
                // A connection found dead (the database restarted, or ended idle sessions) is
                // replaced once: a flush on a new one covers the earlier commits all the same.
                let mut failure = String::new();
                for _ in 0..2 {
                    match flush_postgres(db, conn) {
                        Ok(()) => return Ok(()),
                        Err(e) => {
                            *conn = None;
                            failure = e;
                        }
                    }
                }
                Err(failure)
            }
        }
    }
}

/// Commits a transaction that has an id: with the session's default `synchronous_commit`, its
/// commit waits until the WAL is flushed past its commit record.
fn flush_postgres(db: &Db, conn: &mut Option<DbConn>) -> Result<(), String> {
    let flush = match conn {
        Some(flush) => flush,
        None => conn.insert(db.connect_dedicated()?),
    };
    crate::typed!(flush => diesel::sql_query("SELECT txid_current()").execute(flush))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Syncs the WAL file, opened anew so that a WAL SQLite has replaced is not missed. Without a
/// WAL file, the commits are in the database file, which is synced instead.
fn sync_wal(wal: &Path, main: &Path) -> std::io::Result<()> {
    match File::open(wal) {
        Ok(file) => file.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => File::open(main)?.sync_data(),
        Err(e) => Err(e),
    }
}
