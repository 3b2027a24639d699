//! Fans signals out to every node. Events themselves stay in the database log: a signal only
//! says "workspace W's log grew" (or carries an ephemeral frame such as typing), so a lost
//! signal delays delivery until the next one or the next poll, and never loses an event.
//!
//! Without Redis the node's own hub is the only receiver. With Redis, signals are delivered to
//! the local hub at once and published on the shared channel for the other nodes; the
//! subscriber reconnects by itself, and after a reconnect the hub re-reads every log it follows.

use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::hub::{Hub, WeakHub};
use super::protocol::Typing;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// The workspace's event log may have grown.
    Committed { workspace_id: i64 },
    /// Someone is typing.
    Typing { workspace_id: i64, typing: Typing },
    /// An operator changed their notification settings.
    PreferencesChanged { workspace_id: i64, operator_id: i64 },
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    node: String,
    signal: Signal,
}

/// Signals waiting to be published to Redis; beyond this they are dropped (other nodes
/// recover through their periodic log reads).
const PUBLISH_QUEUE: usize = 4096;
const RECONNECT_DELAY_MAX: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Broker {
    hub: Hub,
    redis: Option<mpsc::Sender<Signal>>,
}

impl Broker {
    /// An in-process broker: only this node's hub hears the signals.
    pub fn memory(hub: Hub) -> Self {
        Self { hub, redis: None }
    }

    /// A broker over Redis pub/sub; starts the publisher and subscriber tasks.
    pub fn redis(hub: Hub, url: &str, channel: &str, node_id: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("REDIS_URL: {e}"))?;
        let (tx, rx) = mpsc::channel(PUBLISH_QUEUE);
        tokio::spawn(publish_loop(client.clone(), channel.to_string(), node_id.to_string(), rx));
        tokio::spawn(subscribe_loop(client, channel.to_string(), node_id.to_string(), hub.clone()));
        Ok(Self { hub, redis: Some(tx) })
    }

    pub fn is_distributed(&self) -> bool {
        self.redis.is_some()
    }

    /// A publisher that does not keep the hub alive.
    pub fn downgrade(&self) -> WeakBroker {
        WeakBroker { hub: self.hub.downgrade(), redis: self.redis.clone() }
    }

    /// Delivers `signal` here and to the other nodes. Never blocks.
    pub fn publish(&self, signal: Signal) {
        if let Some(tx) = &self.redis
            && tx.try_send(signal.clone()).is_err()
        {
            tracing::warn!("redis publish queue full; other nodes catch up by polling");
        }
        self.hub.deliver(signal);
    }
}

/// See [`Broker::downgrade`].
#[derive(Clone)]
pub struct WeakBroker {
    hub: WeakHub,
    redis: Option<mpsc::Sender<Signal>>,
}

impl WeakBroker {
    pub fn publish(&self, signal: Signal) {
        if let Some(hub) = self.hub.upgrade() {
            Broker { hub, redis: self.redis.clone() }.publish(signal);
        }
    }
}

async fn publish_loop(client: redis::Client, channel: String, node: String, mut rx: mpsc::Receiver<Signal>) {
    let mut conn: Option<redis::aio::MultiplexedConnection> = None;
    let mut failures = 0u32;
    while let Some(signal) = rx.recv().await {
        let payload = serde_json::to_string(&Envelope { node: node.clone(), signal }).unwrap_or_default();
        if conn.is_none() {
            match client.get_multiplexed_async_connection().await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    failures += 1;
                    if failures == 1 || failures.is_multiple_of(100) {
                        tracing::warn!(error = %e, "redis unavailable; events reach other nodes when it returns");
                    }
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH").arg(&channel).arg(&payload).query_async(c).await;
        match sent {
            Ok(_) => failures = 0,
            Err(e) => {
                tracing::warn!(error = %e, "redis publish failed");
                conn = None;
            }
        }
    }
}

async fn subscribe_loop(client: redis::Client, channel: String, node: String, hub: Hub) {
    let mut delay = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    tracing::info!(channel = %channel, "subscribed to redis");
                    delay = Duration::from_millis(100);
                    // Signals sent while we were away are lost: read every followed log.
                    hub.poll_all();
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else { continue };
                        match serde_json::from_str::<Envelope>(&payload) {
                            Ok(env) if env.node != node => hub.deliver(env.signal),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "unreadable signal on the redis channel"),
                        }
                    }
                    tracing::warn!("redis subscription ended; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "redis subscribe failed"),
            },
            Err(e) => tracing::warn!(error = %e, "redis unavailable; retrying"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(RECONNECT_DELAY_MAX);
    }
}
