//! Load generator: N concurrent visitors post messages over HTTP; reports durable messages per
//! second and latency percentiles, then checks every acknowledged message is stored once.
//!
//!   cargo bench --bench loadgen -- --senders 200 --seconds 10
//!   cargo bench --bench loadgen -- --database-url postgres://postgres@127.0.0.1:5432/bench
//!   cargo bench --bench loadgen -- --senders 50 --duration 10m --warmup 60   # soak
//!
//! Without `--url` it starts livedesk in this process on a fresh database (a temporary SQLite
//! file unless `--database-url` is given, rate limits off) and reports the writer's batch sizes
//! too. Resident memory is sampled during the run (this process, or `--server-pid`) and reported
//! as growth after the warm-up.
//!
//! To keep the load generator's own CPU use apart from the server's, run them as two processes
//! (the server with rate limits off: every sender comes from one address):
//!
//!   cargo bench --bench loadgen -- --serve 127.0.0.1:8099            # server; prints writer stats
//!   cargo bench --bench loadgen -- --url http://127.0.0.1:8099       # load

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser, Debug)]
#[command(about = "livedesk load generator")]
struct Args {
    /// Concurrent visitors, each posting as fast as it is answered.
    #[arg(long, default_value_t = 200)]
    senders: usize,
    /// How long to measure, in seconds, after the warm-up.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// How long to measure, as `90s`, `10m` or `1h` (overrides `--seconds`).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Seconds of load before measuring starts (memory growth is counted from there).
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Process whose resident memory is sampled (default: this one, which runs the server
    /// unless `--url` is given).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Target an already running server instead of starting one.
    #[arg(long)]
    url: Option<String>,
    /// Only run the server on this address (no load), printing the writer's commits and writes
    /// per commit every second, for a load generator in another process.
    #[arg(long, conflicts_with = "url")]
    serve: Option<String>,
    /// Database for the in-process server (default: a temporary SQLite file).
    #[arg(long)]
    database_url: Option<String>,
    /// HTTP workers of the in-process server (default: CPU cores).
    #[arg(long)]
    workers: Option<u16>,
    /// Ignored: cargo bench passes it.
    #[arg(long, hide = true)]
    bench: bool,
}

struct Server {
    base: String,
    writer: Option<livedesk::db::group_commit::GroupCommit>,
    _dir: Option<std::path::PathBuf>,
}

fn start_server(args: &Args) -> Server {
    if let Some(url) = &args.url {
        return Server { base: url.trim_end_matches('/').to_string(), writer: None, _dir: None };
    }
    let dir = std::env::temp_dir().join(format!("livedesk-bench-{}", uuid::Uuid::new_v4().simple()));
    let mut config = livedesk::config::Config::for_data_dir(dir.clone(), args.database_url.clone());
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
    let writer = rx.recv().unwrap();
    Server { base: format!("http://{addr}"), writer: Some(writer), _dir: Some(dir) }
}

async fn post(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number.parse().map_err(|_| format!("'{text}' is not a duration like 90s, 10m or 1h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("'{text}' is not a duration like 90s, 10m or 1h")),
    };
    Ok(Duration::from_secs(secs))
}

/// Resident memory of a process in KiB, from /proc (Linux).
fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

/// Serves until killed, printing the writer's counters every second.
fn serve_only(server: &Server) -> ! {
    let writer = server.writer.as_ref().expect("in-process server");
    println!("livedesk serving on {}", server.base);
    let (mut batches, mut jobs) = (0, 0);
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let (b, j) = (writer.stats().batches.load(Ordering::Relaxed), writer.stats().jobs.load(Ordering::Relaxed));
        if j > jobs {
            println!(
                "  writer: {} writes/s in {} commits/s ({:.1} per commit)",
                j - jobs,
                b - batches,
                (j - jobs) as f64 / (b - batches).max(1) as f64
            );
        }
        (batches, jobs) = (b, j);
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let server = start_server(&args);
    if args.serve.is_some() {
        serve_only(&server);
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.senders).build().unwrap();
    let base = server.base.clone();

    let email = format!("bench-{}@example.test", uuid::Uuid::new_v4().simple());
    let grant = post(
        &client,
        format!("{base}/api/v1/auth/signup"),
        None,
        json!({"workspace_name": "Bench", "email": email, "password": "bench password", "display_name": "Bench"}),
    )
    .await;
    let token = grant["access_token"].as_str().unwrap().to_string();
    let chat = post(&client, format!("{base}/api/v1/chats"), Some(&token), json!({"name": "Bench chat"})).await;
    let public_key = chat["public_key"].as_str().unwrap().to_string();
    let mut visitors = Vec::with_capacity(args.senders);
    for _ in 0..args.senders {
        let s = post(&client, format!("{base}/api/v1/widget/sessions"), None, json!({"public_key": public_key})).await;
        visitors.push(s["visitor_token"].as_str().unwrap().to_string());
    }

    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (i, visitor) in visitors.into_iter().enumerate() {
        let (client, base, measuring, stop) = (client.clone(), base.clone(), measuring.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut acked = Vec::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let client_id = format!("s{i}-m{n}");
                let started = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/widget/messages"))
                    .bearer_auth(&visitor)
                    .json(&json!({"body": format!("message {n} from visitor {i}"), "client_id": client_id}))
                    .send()
                    .await;
                let ok = matches!(&res, Ok(r) if r.status().as_u16() == 201);
                if let Ok(r) = res {
                    let _ = r.bytes().await;
                }
                let elapsed = started.elapsed();
                if ok {
                    acked.push(client_id);
                    if measuring.load(Ordering::Relaxed) {
                        latencies.push(elapsed);
                    }
                }
            }
            (latencies, acked)
        }));
    }

    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    let rss_start = rss_kib(args.server_pid);
    let batches_before = server
        .writer
        .as_ref()
        .map(|w| (w.stats().batches.load(Ordering::Relaxed), w.stats().jobs.load(Ordering::Relaxed)));
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let measure_for = args.duration.unwrap_or(Duration::from_secs(args.seconds));
    let mut rss_samples = Vec::new();
    while started.elapsed() < measure_for {
        tokio::time::sleep((measure_for - started.elapsed()).min(Duration::from_secs(10))).await;
        rss_samples.extend(rss_kib(args.server_pid));
    }
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let batches_after = server
        .writer
        .as_ref()
        .map(|w| (w.stats().batches.load(Ordering::Relaxed), w.stats().jobs.load(Ordering::Relaxed)));
    stop.store(true, Ordering::Relaxed);

    let mut latencies = Vec::new();
    let mut acked_total = 0usize;
    for t in tasks {
        let (l, acked) = t.await.unwrap();
        latencies.extend(l);
        acked_total += acked.len();
    }
    latencies.sort();
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    let backend = match (&args.url, &args.database_url) {
        (Some(_), _) => "external server".to_string(),
        (None, Some(url)) if url.starts_with("postgres") => "postgres".to_string(),
        _ => "sqlite".to_string(),
    };
    println!("livedesk loadgen: {} senders, {:.1} s measured, backend {backend}", args.senders, elapsed.as_secs_f64());
    println!("  durable messages/s: {rate:.0}");
    println!(
        "  latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.90)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    if let (Some((b0, j0)), Some((b1, j1))) = (batches_before, batches_after) {
        let (batches, jobs) = (b1 - b0, j1 - j0);
        println!(
            "  group commit: {batches} transactions for {jobs} writes ({:.1} per commit, {:.0} commits/s)",
            jobs as f64 / batches.max(1) as f64,
            batches as f64 / elapsed.as_secs_f64()
        );
    }

    if let (Some(first), Some(last)) = (rss_start, rss_samples.last()) {
        let peak = rss_samples.iter().copied().max().unwrap_or(*last);
        let growth = (*last as f64 - first as f64) / first as f64 * 100.0;
        println!(
            "  resident memory: {:.1} MiB after warm-up, {:.1} MiB at the end ({growth:+.1}%), peak {:.1} MiB",
            first as f64 / 1024.0,
            *last as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }

    // Every acknowledged message is stored exactly once.
    let stored = count_messages(&client, &base, &token).await;
    println!("  acknowledged {acked_total}, stored {stored}");
    assert_eq!(stored, acked_total, "acknowledged messages must all be stored, once");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Sums the message counts of every dialog of the workspace through the API.
async fn count_messages(client: &reqwest::Client, base: &str, token: &str) -> usize {
    let mut total = 0usize;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/dialogs?limit=200&sort=created");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client.get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        for d in page["items"].as_array().unwrap() {
            total += d["counts"]["visitor_messages"].as_u64().unwrap() as usize;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return total,
        }
    }
}
