//! Load generator: N concurrent visitors post messages over HTTP; reports durable messages per
//! second and latency percentiles, then checks every acknowledged message is stored once.
//!
//!   cargo bench --bench loadgen -- --senders 200 --seconds 10
//!   cargo bench --bench loadgen -- --database-url postgres://postgres@127.0.0.1:5432/bench
//!   cargo bench --bench loadgen -- --spawn-server --senders 50 --duration 10m --warmup 120   # soak
//!
//! Each sender keeps an HTTP/1.1 connection of its own (`--url` must be `http://`). Without
//! `--url` it starts livedesk on a fresh database (a temporary SQLite file unless
//! `--database-url` is given, rate limits off), in this process or, with `--spawn-server`, in a
//! child process running this program with `--serve`, and reports the writer's batch sizes too.
//! Every `--sample-every` seconds it prints the acknowledged rate and the server's resident
//! memory; the memory growth is counted from the end of the warm-up. Only with a server in its
//! own process (`--spawn-server`, or `--url` with `--server-pid`) is that the server's memory
//! alone.
//!
//! To keep the load generator's own CPU use apart from the server's, run them as two processes
//! (the server with rate limits off: every sender comes from one address):
//!
//!   cargo bench --bench loadgen -- --serve 127.0.0.1:8099            # server; prints writer stats
//!   cargo bench --bench loadgen -- --url http://127.0.0.1:8099       # load

mod cpu;
mod memory;
mod server;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use memory::Sample;
use server::Server;

#[derive(Parser, Debug)]
#[command(about = "livedesk load generator")]
pub struct Args {
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
    /// Seconds between rows of the rate and memory table.
    #[arg(long, default_value_t = 10)]
    sample_every: u64,
    /// Start the server as a child process, so its memory is measured on its own.
    #[arg(long, conflicts_with_all = ["url", "serve"])]
    spawn_server: bool,
    /// Process whose resident memory is sampled with `--url` (default: this one).
    #[arg(long, requires = "url")]
    server_pid: Option<u32>,
    /// Target an already running server instead of starting one.
    #[arg(long)]
    url: Option<String>,
    /// Only run the server on this address (no load), printing the writer's commits and writes
    /// per commit every second, for a load generator in another process.
    #[arg(long, conflicts_with = "url")]
    serve: Option<String>,
    /// Database for the server started here (default: a temporary SQLite file).
    #[arg(long)]
    database_url: Option<String>,
    /// Data folder for the server started here (default: a fresh temporary folder).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// HTTP workers of the server started here (default: CPU cores).
    #[arg(long)]
    workers: Option<u16>,
    /// Ignored: cargo bench passes it.
    #[arg(long, hide = true)]
    bench: bool,
}

/// What the senders share: acknowledged and refused counts, and latencies once measuring.
#[derive(Default)]
struct Tally {
    measuring: AtomicBool,
    stop: AtomicBool,
    acked: AtomicU64,
    refused: AtomicU64,
    /// Microseconds, from 1 µs to a minute at three significant digits: a fixed size however
    /// long the run.
    latencies: Mutex<Option<Histogram<u64>>>,
}

impl Tally {
    fn record(&self, latency: Duration) {
        if let Some(h) = self.latencies.lock().unwrap().as_mut() {
            h.saturating_record(latency.as_micros().max(1) as u64);
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let server = Server::start(&args);
    if args.serve.is_some() {
        server.serve_forever();
    }
    let client = reqwest::Client::new();
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

    let histogram = Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
    let tally = Arc::new(Tally { latencies: Mutex::new(Some(histogram)), ..Default::default() });
    let tasks: Vec<_> = visitors
        .into_iter()
        .enumerate()
        .map(|(i, visitor)| tokio::spawn(send_until_stopped(base.clone(), i, visitor, tally.clone())))
        .collect();

    let measure_for = args.duration.unwrap_or(Duration::from_secs(args.seconds));
    let (samples, measured) = sample_until_done(&args, &server, &tally, measure_for).await;
    tally.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }

    let backend = match (&args.url, &args.database_url) {
        (Some(_), _) => "external server".to_string(),
        (None, Some(url)) if url.starts_with("postgres") => "postgres".to_string(),
        _ => "sqlite".to_string(),
    };
    let latencies = tally.latencies.lock().unwrap().take().expect("histogram");
    println!(
        "livedesk loadgen: {} senders, {:.1} s measured after {} s warm-up, backend {backend}",
        args.senders,
        measured.elapsed.as_secs_f64(),
        args.warmup
    );
    println!("  durable messages/s: {:.0}", measured.acked as f64 / measured.elapsed.as_secs_f64());
    let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "  latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(0.50),
        ms(0.90),
        ms(0.99),
        latencies.max() as f64 / 1000.0
    );
    if let Some((batches, jobs)) = measured.writer {
        println!(
            "  group commit: {batches} transactions for {jobs} writes ({:.1} per commit, {:.0} commits/s)",
            jobs as f64 / batches.max(1) as f64,
            batches as f64 / measured.elapsed.as_secs_f64()
        );
    }
    if let Some((start, end)) = measured.cpu {
        cpu::print_use(start, end, measured.acked);
    }
    if !server.is_separate() {
        println!("  (memory is this whole process: server and load generator together)");
    }
    memory::print_growth(&samples);

    // Every acknowledged message is stored exactly once.
    let acked = tally.acked.load(Ordering::Relaxed) as usize;
    let stored = count_messages(&client, &base, &token).await;
    println!("  acknowledged {acked}, refused or failed {}, stored {stored}", tally.refused.load(Ordering::Relaxed));
    assert_eq!(stored, acked, "acknowledged messages must all be stored, once");
}

/// One visitor posting messages, each as soon as the previous one is answered, over a
/// keep-alive connection of its own (reconnecting when it drops). The request is built from
/// parts made once, so the generator spends little CPU next to the server it measures.
async fn send_until_stopped(base: String, i: usize, visitor: String, tally: Arc<Tally>) {
    let authority = base.trim_start_matches("http://").trim_end_matches('/').to_string();
    let authorization = HeaderValue::from_str(&format!("Bearer {visitor}")).expect("token header");
    let host = HeaderValue::from_str(&authority).expect("host header");
    let mut connection: Option<SendRequest<Full<Bytes>>> = None;
    let mut n = 0u64;
    while !tally.stop.load(Ordering::Relaxed) {
        let sender = match connection.as_mut() {
            Some(sender) => sender,
            None => match connect(&authority).await {
                Ok(sender) => connection.insert(sender),
                Err(_) => {
                    tally.refused.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        n += 1;
        let body = format!(r#"{{"body":"message {n} from visitor {i}","client_id":"s{i}-m{n}"}}"#);
        let request = Request::post("/api/v1/widget/messages")
            .header(HOST, host.clone())
            .header(AUTHORIZATION, authorization.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let started = Instant::now();
        let status = match sender.ready().await {
            Ok(()) => match sender.send_request(request).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    response.into_body().collect().await.map(|_| status).ok()
                }
                Err(_) => None,
            },
            Err(_) => None,
        };
        if status.is_none() {
            connection = None;
        }
        if status != Some(201) {
            tally.refused.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        tally.acked.fetch_add(1, Ordering::Relaxed);
        if tally.measuring.load(Ordering::Relaxed) {
            tally.record(started.elapsed());
        }
    }
}

/// An HTTP/1.1 keep-alive connection to `authority` (`host:port`).
async fn connect(authority: &str) -> Result<SendRequest<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
    let stream = tokio::net::TcpStream::connect(authority).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// The measured part of the run.
struct Measured {
    elapsed: Duration,
    acked: u64,
    /// Writer transactions and writes while measuring.
    writer: Option<(u64, u64)>,
    /// The machine's CPU times when measuring started and ended.
    cpu: Option<(cpu::CpuTimes, cpu::CpuTimes)>,
}

/// Where measuring started: the time, the acknowledged count and the writer's totals then.
struct WarmupEnd {
    at: Instant,
    acked: u64,
    writer: Option<(u64, u64)>,
    cpu: Option<cpu::CpuTimes>,
}

/// Prints a row every `--sample-every` seconds and at the end of the warm-up, switches to
/// measuring after the warm-up, and returns the rows and the measured totals.
async fn sample_until_done(
    args: &Args,
    server: &Server,
    tally: &Tally,
    measure_for: Duration,
) -> (Vec<Sample>, Measured) {
    let started = Instant::now();
    let warmup = Duration::from_secs(args.warmup);
    let every = Duration::from_secs(args.sample_every.max(1));
    let end = warmup + measure_for;
    let mut samples = Vec::new();
    let (mut last_at, mut last_acked) = (Duration::ZERO, 0u64);
    let mut next_tick = every;
    let mut at_warmup: Option<WarmupEnd> = None;
    memory::print_header(server.is_separate());
    loop {
        let next = if at_warmup.is_none() { next_tick.min(warmup) } else { next_tick.min(end) };
        tokio::time::sleep(next.saturating_sub(started.elapsed())).await;
        let now = started.elapsed();
        let acked = tally.acked.load(Ordering::Relaxed);
        let mut note = "";
        if at_warmup.is_none() && now >= warmup {
            tally.measuring.store(true, Ordering::Relaxed);
            at_warmup = Some(WarmupEnd {
                at: Instant::now(),
                acked,
                writer: server.writer_totals(),
                cpu: cpu::CpuTimes::now(),
            });
            note = "end of warm-up";
        }
        let sample = Sample {
            at: now,
            msgs_per_sec: (acked - last_acked) as f64 / (now - last_at).as_secs_f64().max(1e-3),
            server_kib: memory::rss_kib(server.pid),
            server_anon_kib: memory::anon_kib(server.pid),
            loadgen_kib: server.is_separate().then(|| memory::rss_kib(None)).flatten(),
            measuring: at_warmup.is_some(),
        };
        memory::print_row(&sample, note);
        samples.push(sample);
        (last_at, last_acked) = (now, acked);
        while next_tick <= now {
            next_tick += every;
        }
        if now >= end {
            break;
        }
    }
    tally.measuring.store(false, Ordering::Relaxed);
    let warm = at_warmup.expect("the warm-up ends before the run");
    let writer = match (warm.writer, server.writer_totals()) {
        (Some((b0, j0)), Some((b1, j1))) => Some((b1 - b0, j1 - j0)),
        _ => None,
    };
    let measured = Measured {
        elapsed: warm.at.elapsed(),
        acked: tally.acked.load(Ordering::Relaxed) - warm.acked,
        writer,
        cpu: warm.cpu.zip(cpu::CpuTimes::now()),
    };
    (samples, measured)
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
