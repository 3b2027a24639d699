//! The server under load: in this process, in a child process, or one already running.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use livedesk::db::group_commit::GroupCommit;

use crate::Args;

/// The group-commit writer's totals, however the server runs.
enum Writer {
    InProcess(GroupCommit),
    /// Read from the child's once-a-second report.
    Child {
        batches: Arc<AtomicU64>,
        jobs: Arc<AtomicU64>,
    },
    Unknown,
}

pub struct Server {
    pub base: String,
    writer: Writer,
    /// Process whose memory is sampled; `None` is this one.
    pub pid: Option<u32>,
    child: Option<Child>,
    data_dir: Option<PathBuf>,
}

impl Server {
    pub fn start(args: &Args) -> Server {
        if let Some(url) = &args.url {
            let base = url.trim_end_matches('/').to_string();
            return Server { base, writer: Writer::Unknown, pid: args.server_pid, child: None, data_dir: None };
        }
        if args.spawn_server {
            return spawn_child(args);
        }
        let dir = args.data_dir.clone().unwrap_or_else(fresh_data_dir);
        let (base, writer) = start_in_process(args, dir.clone());
        // `--serve` runs for a load generator in another process, which owns the folder.
        let data_dir = if args.serve.is_some() { None } else { Some(dir) };
        Server { base, writer: Writer::InProcess(writer), pid: None, child: None, data_dir }
    }

    /// (transactions, writes) of the group-commit writer so far.
    pub fn writer_totals(&self) -> Option<(u64, u64)> {
        match &self.writer {
            Writer::InProcess(w) => {
                Some((w.stats().batches.load(Ordering::Relaxed), w.stats().jobs.load(Ordering::Relaxed)))
            }
            Writer::Child { batches, jobs } => Some((batches.load(Ordering::Relaxed), jobs.load(Ordering::Relaxed))),
            Writer::Unknown => None,
        }
    }

    /// Whether the server's memory is apart from the load generator's.
    pub fn is_separate(&self) -> bool {
        self.pid.is_some()
    }

    /// Serves until killed, printing the writer's counters every second.
    pub fn serve_forever(&self) -> ! {
        let Writer::InProcess(writer) = &self.writer else { unreachable!("--serve runs the server here") };
        println!("livedesk serving on {}", self.base);
        let (mut batches, mut jobs) = (0, 0);
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let (b, j) = (writer.stats().batches.load(Ordering::Relaxed), writer.stats().jobs.load(Ordering::Relaxed));
            if j > jobs {
                println!(
                    "  writer: {} writes/s in {} commits/s ({:.1} per commit); totals {b} commits {j} writes",
                    j - jobs,
                    b - batches,
                    (j - jobs) as f64 / (b - batches).max(1) as f64
                );
            }
            (batches, jobs) = (b, j);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn fresh_data_dir() -> PathBuf {
    std::env::temp_dir().join(format!("livedesk-bench-{}", uuid::Uuid::new_v4().simple()))
}

fn start_in_process(args: &Args, dir: PathBuf) -> (String, GroupCommit) {
    let mut config = livedesk::config::Config::for_data_dir(dir, args.database_url.clone());
    config.workers = args.workers;
    config.db_pool_size = 16;
    config.log_level = "warn".into();
    // Every sender comes from 127.0.0.1: limits meant for the public would throttle the test.
    config.limits.enabled = false;
    livedesk::telemetry::init("warn", config.log_format);
    let listener = TcpListener::bind(args.serve.as_deref().unwrap_or("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let state = livedesk::app::build_state(config).await.expect("server state");
            tx.send(state.writer.clone()).unwrap();
            let running = livedesk::app::start(state, listener).expect("server starts");
            let _ = running.server.await;
        })
    });
    (format!("http://{addr}"), rx.recv().unwrap())
}

/// Runs this same program with `--serve` as a child, so its memory is the server's alone.
fn spawn_child(args: &Args) -> Server {
    let dir = args.data_dir.clone().unwrap_or_else(fresh_data_dir);
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.args(["--serve", "127.0.0.1:0", "--data-dir"]).arg(&dir);
    if let Some(url) = &args.database_url {
        cmd.args(["--database-url", url]);
    }
    if let Some(workers) = args.workers {
        cmd.args(["--workers", &workers.to_string()]);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("server process starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let first = lines.next().and_then(Result::ok).expect("the server process reports its address");
    let base = first.strip_prefix("livedesk serving on ").expect("address line").trim().to_string();
    let (batches, jobs) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (b, j) = (batches.clone(), jobs.clone());
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Some((commits, writes)) = parse_totals(&line) {
                b.store(commits, Ordering::Relaxed);
                j.store(writes, Ordering::Relaxed);
            }
        }
    });
    let pid = Some(child.id());
    Server { base, writer: Writer::Child { batches, jobs }, pid, child: Some(child), data_dir: Some(dir) }
}

/// "... totals 12 commits 345 writes" -> (12, 345).
fn parse_totals(line: &str) -> Option<(u64, u64)> {
    let mut words = line.split_once("totals ")?.1.split_whitespace();
    let commits = words.next()?.parse().ok()?;
    let writes = words.nth(1)?.parse().ok()?;
    Some((commits, writes))
}
