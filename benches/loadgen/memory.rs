//! Resident memory of a process, and the table of samples taken during a run.

use std::time::Duration;

/// Resident memory of a process in KiB, from /proc (Linux); `None` means this process.
pub fn rss_kib(pid: Option<u32>) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// The anonymous part of the resident memory (heap, stacks), without mapped files such as
/// SQLite's shared WAL index.
pub fn anon_kib(pid: Option<u32>) -> Option<u64> {
    status_kib(pid, "RssAnon:")
}

fn status_kib(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The one-minute load average, to judge how much else the machine was doing.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// One row of the table: the server's memory and the acknowledged rate since the last row.
#[derive(Clone, Copy)]
pub struct Sample {
    pub at: Duration,
    pub msgs_per_sec: f64,
    pub server_kib: Option<u64>,
    pub server_anon_kib: Option<u64>,
    /// The load generator's own memory, when the server runs in another process.
    pub loadgen_kib: Option<u64>,
    pub measuring: bool,
}

pub fn print_header(separate: bool) {
    let whose = if separate { "server" } else { "process" };
    println!(
        "  {:>7} {:>9} {:>12} {:>10} {:>12} {:>5}",
        "time s",
        "msgs/s",
        format!("{whose} MiB"),
        "anon MiB",
        "loadgen MiB",
        "load"
    );
}

pub fn print_row(s: &Sample, note: &str) {
    let show = |kib: Option<u64>| kib.map_or("-".to_string(), |k| format!("{:.1}", mib(k)));
    let load = load_average().map_or("-".to_string(), |l| format!("{l:.1}"));
    println!(
        "  {:>7.0} {:>9.0} {:>12} {:>10} {:>12} {:>5} {note}",
        s.at.as_secs_f64(),
        s.msgs_per_sec,
        show(s.server_kib),
        show(s.server_anon_kib),
        show(s.loadgen_kib),
        load
    );
}

/// Memory after the warm-up against the rest of the measured run.
pub fn print_growth(samples: &[Sample]) {
    let measured: Vec<u64> = samples.iter().filter(|s| s.measuring).filter_map(|s| s.server_kib).collect();
    let (Some(&first), Some(&last)) = (measured.first(), measured.last()) else { return };
    let max = measured.iter().copied().max().unwrap_or(last);
    let growth = |kib: u64| (kib as f64 - first as f64) / first as f64 * 100.0;
    println!(
        "  server resident memory: {:.1} MiB after warm-up, {:.1} MiB at the end ({:+.1} %), max {:.1} MiB ({:+.1} %)",
        mib(first),
        mib(last),
        growth(last),
        mib(max),
        growth(max)
    );
    let anon: Vec<u64> = samples.iter().filter(|s| s.measuring).filter_map(|s| s.server_anon_kib).collect();
    if let (Some(&first), Some(&last)) = (anon.first(), anon.last()) {
        let max = anon.iter().copied().max().unwrap_or(last);
        println!(
            "  of which anonymous (heap, stacks): {:.1} MiB after warm-up, {:.1} MiB at the end, max {:.1} MiB",
            mib(first),
            mib(last),
            mib(max)
        );
    }
}
