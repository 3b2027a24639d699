//! The whole machine's CPU time while measuring, from `/proc/stat` (Linux). Busy time per
//! message compares builds more steadily than the rate on a shared host: a run whose batch cycle
//! waits (for the disk, for a lock, for a core the hypervisor lent elsewhere, counted as steal)
//! has a lower rate but not a higher cost. Other processes' work counts as busy time too, so
//! the machine should otherwise be idle.

/// Clock ticks per second of `/proc/stat`: 100 on every Linux architecture this runs on.
const USER_HZ: f64 = 100.0;

/// Cumulative CPU time of all cores, in clock ticks.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    busy: u64,
    idle: u64,
    steal: u64,
}

impl CpuTimes {
    /// Now, or `None` where `/proc/stat` cannot be read.
    pub fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> =
            stat.lines().next()?.split_whitespace().skip(1).map(|f| f.parse().unwrap_or(0)).collect();
        // user nice system idle iowait irq softirq steal (guest time is counted in user)
        let field = |i: usize| fields.get(i).copied().unwrap_or(0);
        Some(Self {
            busy: field(0) + field(1) + field(2) + field(5) + field(6),
            idle: field(3) + field(4),
            steal: field(7),
        })
    }
}

/// Prints where the machine's CPU went between `start` and `end`, and the busy time per message.
pub fn print_use(start: CpuTimes, end: CpuTimes, messages: u64) {
    let busy = end.busy.saturating_sub(start.busy);
    let idle = end.idle.saturating_sub(start.idle);
    let steal = end.steal.saturating_sub(start.steal);
    let total = (busy + idle + steal).max(1) as f64;
    let tick_us = 1e6 / USER_HZ;
    println!(
        "  machine CPU: busy {:.0} %, idle {:.0} %, steal {:.0} %; {:.0} µs busy per message",
        100.0 * busy as f64 / total,
        100.0 * idle as f64 / total,
        100.0 * steal as f64 / total,
        busy as f64 * tick_us / messages.max(1) as f64
    );
}
