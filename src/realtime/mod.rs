//! Live delivery: the socket protocol, the node's hub, the broker that reaches other nodes, and
//! the socket sessions. Events come from the database log (see `store::events`); this layer
//! only decides when to read it and who gets what.

pub mod asyncapi;
pub mod broker;
pub mod hub;
pub mod protocol;
pub mod retention;
pub mod session;

use std::time::Duration;

use broker::{Broker, Signal};
use hub::Hub;

use crate::config::Config;
use crate::db::Db;
use crate::metrics::Metrics;

/// How often feeds re-read the log when several nodes share the database, in case a signal
/// from another node was lost.
const SHARED_POLL_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Realtime {
    pub hub: Hub,
    broker: Broker,
}

impl Realtime {
    /// Builds the hub and the broker (Redis when configured) and makes every commit wake the
    /// feeds. Must run inside the Tokio runtime.
    pub fn start(config: &Config, db: &Db, node_id: &str, metrics: &Metrics) -> Result<Self, String> {
        let hub = Hub::new(db.clone(), config.ws_queue_capacity as usize, metrics.clone());
        let broker = match &config.redis_url {
            Some(url) => {
                hub.set_poll_interval(SHARED_POLL_INTERVAL);
                Broker::redis(hub.clone(), url, &config.redis_channel, node_id)?
            }
            None => Broker::memory(hub.clone()),
        };
        let notify = broker.downgrade();
        db.add_commit_listener(move |workspace_id| notify.publish(Signal::Committed { workspace_id }));
        Ok(Self { hub, broker })
    }

    pub fn publish(&self, signal: Signal) {
        self.broker.publish(signal);
    }

    pub fn preferences_changed(&self, workspace_id: i64, operator_id: i64) {
        self.publish(Signal::PreferencesChanged { workspace_id, operator_id });
    }

    pub fn is_distributed(&self) -> bool {
        self.broker.is_distributed()
    }
}
