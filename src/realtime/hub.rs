//! The node's hub: one feed per workspace that has sockets on this node. A feed reads new
//! events from the log whenever it is woken (a commit here, a signal from another node, or a
//! periodic poll when nodes share Redis) and hands each event to the sockets allowed to see
//! it, through their bounded queues. A socket whose queue is full is marked too slow and
//! dropped from the feed; it never holds the others up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::broker::Signal;
use super::protocol::Typing;
use crate::auth::Role;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::store::events::{self, EventRow};

/// Events read from the log per query.
pub const READ_BATCH: i64 = 500;
/// A feed without sockets for this long stops.
const IDLE_FEED: Duration = Duration::from_secs(30);

/// Who is on the other end of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Operator { operator_id: i64, role: Role },
    Visitor { visitor_id: i64 },
}

impl Viewer {
    /// Whether this viewer may see a logged event.
    pub fn may_see(&self, event: &EventRow) -> bool {
        match self {
            Viewer::Operator { role, .. } => match event.audience.as_str() {
                "operators" | "visitor" => true,
                "admins" => role.is_admin(),
                _ => false,
            },
            Viewer::Visitor { visitor_id } => event.audience == "visitor" && event.visitor_id == Some(*visitor_id),
        }
    }

    /// Whether a catch-up from `since` cannot be served and the client must reload through REST:
    /// `since` is past the head (it is from elsewhere), before the oldest kept event (pruned),
    /// or, for a visitor, more than `visitor_window` positions back. A visitor's catch-up reads
    /// the workspace's log in position order, so the window bounds what one reconnect reads.
    pub fn must_resync(&self, since: i64, head: i64, oldest: i64, visitor_window: i64) -> bool {
        let pruned = oldest > 0 && since < oldest - 1;
        let out_of_window = matches!(self, Viewer::Visitor { .. }) && head - since > visitor_window;
        since > head || pruned || out_of_window
    }
}

/// What a feed hands to a socket.
#[derive(Debug, Clone)]
pub enum Outbound {
    Event(Arc<EventRow>),
    Typing(Arc<Typing>),
    PreferencesChanged,
}

struct Subscriber {
    id: u64,
    viewer: Viewer,
    tx: mpsc::Sender<Outbound>,
    too_slow: Arc<AtomicBool>,
}

struct Feed {
    workspace_id: i64,
    wake: Notify,
    /// The newest position handed out; changed only with `subscribers` locked.
    subscribers: Mutex<(i64, Vec<Subscriber>)>,
}

impl Feed {
    /// Sends to every subscriber `pick` accepts; full queues mark their socket too slow.
    fn fan_out(&self, pick: impl Fn(&Subscriber) -> Option<Outbound>) {
        let mut guard = self.subscribers.lock().expect("feed lock");
        guard.1.retain(|s| match pick(s) {
            None => true,
            Some(out) => match s.tx.try_send(out) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    s.too_slow.store(true, Ordering::Release);
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            },
        });
    }
}

/// A socket's place in a feed; leaving the feed when dropped.
pub struct Subscription {
    pub rx: mpsc::Receiver<Outbound>,
    /// The newest position the feed had handed out when the socket joined: every later event
    /// arrives through `rx`, every earlier one is in the log.
    pub live_from: i64,
    pub too_slow: Arc<AtomicBool>,
    feed: Arc<Feed>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.feed.subscribers.lock() {
            guard.1.retain(|s| s.id != self.id);
        }
    }
}

#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

/// A hub reference that does not keep it (and its database pool) alive; held by the database's
/// commit listener, which the hub's own pool would otherwise keep in a cycle.
#[derive(Clone)]
pub struct WeakHub(std::sync::Weak<HubInner>);

impl WeakHub {
    pub fn upgrade(&self) -> Option<Hub> {
        self.0.upgrade().map(|inner| Hub { inner })
    }
}

struct HubInner {
    db: Db,
    metrics: Metrics,
    feeds: Mutex<HashMap<i64, Arc<Feed>>>,
    next_id: AtomicU64,
    queue_capacity: usize,
    /// Set when other nodes write too: feeds then also read on a timer, in case a signal was lost.
    poll_every: Mutex<Option<Duration>>,
}

impl Hub {
    pub fn new(db: Db, queue_capacity: usize, metrics: Metrics) -> Self {
        Self {
            inner: Arc::new(HubInner {
                db,
                metrics,
                feeds: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                queue_capacity,
                poll_every: Mutex::new(None),
            }),
        }
    }

    pub fn downgrade(&self) -> WeakHub {
        WeakHub(Arc::downgrade(&self.inner))
    }

    pub fn set_poll_interval(&self, every: Duration) {
        *self.inner.poll_every.lock().expect("hub lock") = Some(every);
    }

    /// Joins the workspace's feed, starting it (at the log's head) when it is not running.
    pub async fn subscribe(&self, workspace_id: i64, viewer: Viewer) -> Result<Subscription, crate::error::ApiError> {
        let feed = self.feed(workspace_id).await?;
        let (tx, rx) = mpsc::channel(self.inner.queue_capacity);
        let too_slow = Arc::new(AtomicBool::new(false));
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let live_from = {
            let mut guard = feed.subscribers.lock().expect("feed lock");
            guard.1.push(Subscriber { id, viewer, tx, too_slow: too_slow.clone() });
            guard.0
        };
        Ok(Subscription { rx, live_from, too_slow, feed, id })
    }

    async fn feed(&self, workspace_id: i64) -> Result<Arc<Feed>, crate::error::ApiError> {
        if let Some(feed) = self.inner.feeds.lock().expect("hub lock").get(&workspace_id) {
            return Ok(feed.clone());
        }
        let head = self.inner.db.run(move |conn| Ok(events::head(conn, workspace_id)?)).await?;
        let mut feeds = self.inner.feeds.lock().expect("hub lock");
        if let Some(feed) = feeds.get(&workspace_id) {
            return Ok(feed.clone());
        }
        let feed = Arc::new(Feed { workspace_id, wake: Notify::new(), subscribers: Mutex::new((head, Vec::new())) });
        feeds.insert(workspace_id, feed.clone());
        tokio::spawn(self.clone().run_feed(feed.clone()));
        Ok(feed)
    }

    /// Hands a signal to the feed it concerns, if this node has one. Never blocks.
    pub fn deliver(&self, signal: Signal) {
        let ws = match &signal {
            Signal::Committed { workspace_id }
            | Signal::Typing { workspace_id, .. }
            | Signal::PreferencesChanged { workspace_id, .. } => *workspace_id,
        };
        let Some(feed) = self.inner.feeds.lock().expect("hub lock").get(&ws).cloned() else { return };
        match signal {
            Signal::Committed { .. } => feed.wake.notify_one(),
            Signal::Typing { typing, .. } => {
                let typing = Arc::new(typing);
                feed.fan_out(|s| {
                    let visible = match s.viewer {
                        // Operators see everyone typing but themselves.
                        Viewer::Operator { operator_id, .. } => typing.operator_id != Some(operator_id),
                        // The visitor sees operators typing in their own dialogs.
                        Viewer::Visitor { visitor_id } => {
                            typing.author_type == "operator" && typing.visitor_id == visitor_id
                        }
                    };
                    visible.then(|| Outbound::Typing(typing.clone()))
                });
            }
            Signal::PreferencesChanged { operator_id, .. } => feed.fan_out(|s| match s.viewer {
                Viewer::Operator { operator_id: id, .. } if id == operator_id => Some(Outbound::PreferencesChanged),
                _ => None,
            }),
        }
    }

    /// Wakes every feed (after a Redis reconnect).
    pub fn poll_all(&self) {
        for feed in self.inner.feeds.lock().expect("hub lock").values() {
            feed.wake.notify_one();
        }
    }

    /// Number of sockets connected to this node.
    pub fn socket_count(&self) -> usize {
        let feeds = self.inner.feeds.lock().expect("hub lock");
        feeds.values().map(|f| f.subscribers.lock().map(|g| g.1.len()).unwrap_or(0)).sum()
    }

    /// Frames waiting in the outbound queues of this node's sockets.
    pub fn queued_frames(&self) -> usize {
        let feeds = self.inner.feeds.lock().expect("hub lock");
        let queued = |f: &Arc<Feed>| {
            f.subscribers.lock().map(|g| g.1.iter().map(|s| s.tx.max_capacity() - s.tx.capacity()).sum()).unwrap_or(0)
        };
        feeds.values().map(queued).sum()
    }

    async fn run_feed(self, feed: Arc<Feed>) {
        let mut idle_since: Option<tokio::time::Instant> = None;
        loop {
            let poll = *self.inner.poll_every.lock().expect("hub lock");
            let wait = poll.unwrap_or(IDLE_FEED).min(IDLE_FEED);
            let _ = tokio::time::timeout(wait, feed.wake.notified()).await;
            if let Err(e) = self.read_new(&feed).await {
                tracing::warn!(error = %e, workspace_id = feed.workspace_id, "could not read the event log");
                tokio::time::sleep(Duration::from_millis(200)).await;
                feed.wake.notify_one();
                continue;
            }
            let empty = feed.subscribers.lock().expect("feed lock").1.is_empty();
            match (empty, idle_since) {
                (false, _) => idle_since = None,
                (true, None) => idle_since = Some(tokio::time::Instant::now()),
                (true, Some(t)) if t.elapsed() >= IDLE_FEED => {
                    let mut feeds = self.inner.feeds.lock().expect("hub lock");
                    // Only stop if no socket joined meanwhile.
                    if feed.subscribers.lock().expect("feed lock").1.is_empty() {
                        feeds.remove(&feed.workspace_id);
                        return;
                    }
                }
                (true, Some(_)) => {}
            }
        }
    }

    /// Reads everything after the feed's position and hands it out, in order.
    async fn read_new(&self, feed: &Arc<Feed>) -> Result<(), crate::error::ApiError> {
        loop {
            let after = feed.subscribers.lock().expect("feed lock").0;
            let ws = feed.workspace_id;
            let rows = self.inner.db.run(move |conn| Ok(events::since(conn, ws, after, READ_BATCH)?)).await?;
            let full = rows.len() as i64 == READ_BATCH;
            for row in rows {
                let event = Arc::new(row);
                let mut guard = feed.subscribers.lock().expect("feed lock");
                if event.position <= guard.0 {
                    continue;
                }
                guard.0 = event.position;
                drop(guard);
                feed.fan_out(|s| s.viewer.may_see(&event).then(|| Outbound::Event(event.clone())));
                self.inner.metrics.record_events_published(&event.event_type, 1);
            }
            if !full {
                return Ok(());
            }
        }
    }
}
