//! SQLite's WAL sync, off the writer's serial path. The writer's connection commits with
//! `synchronous = NORMAL` (the commit writes its WAL frames but does not sync them) and hands the
//! batch here; this thread `fdatasync`s the WAL file and only then answers the batch's callers
//! and tells the commit listeners. Meanwhile the writer runs the next batch, so a batch cycle
//! costs the longer of the work and the sync rather than their sum: on a disk that syncs a few
//! hundred times a second, the sync is most of a cycle.
//!
//! An answered write is as durable as with `synchronous = FULL`: its frames were synced before
//! the answer. Checkpoints still sync the WAL before copying it and the database after, so a
//! frame the WAL drops at a restart is already in the synced database. Other connections may
//! read a batch a few milliseconds before it is durable.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::Db;

/// A committed batch waiting for its sync. `finish` answers its callers: with their results
/// once the sync succeeded, or with the sync's error.
pub struct Synced {
    pub workspaces: Vec<i64>,
    pub finish: Box<dyn FnOnce(Result<(), String>) + Send>,
}

/// Batches handed over and not yet synced; beyond this the writer waits (backpressure).
const IN_FLIGHT: usize = 4;

/// Starts the syncer thread for the SQLite database at `path`.
pub fn start(db: Db, path: &Path) -> SyncSender<Synced> {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    let wal = wal_path(path);
    let main = path.to_path_buf();
    std::thread::Builder::new()
        .name("livedesk-wal-sync".into())
        .spawn(move || sync_loop(&db, &rx, &wal, &main))
        .expect("spawn WAL sync thread");
    tx
}

fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn sync_loop(db: &Db, rx: &Receiver<Synced>, wal: &Path, main: &Path) {
    while let Ok(first) = rx.recv() {
        // Every batch handed over so far is covered by one sync.
        let mut batches = vec![first];
        batches.extend(rx.try_iter());
        let synced = sync_wal(wal, main).map_err(|e| {
            tracing::error!(error = %e, "WAL sync failed");
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

/// Syncs the WAL file, opened anew so that a WAL SQLite has replaced is not missed. Without a
/// WAL file, the commits are in the database file, which is synced instead.
fn sync_wal(wal: &Path, main: &Path) -> std::io::Result<()> {
    match File::open(wal) {
        Ok(file) => file.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => File::open(main)?.sync_data(),
        Err(e) => Err(e),
    }
}
