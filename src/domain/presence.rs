//! Operator presence: online / away / offline. The effective status combines the status an
//! operator chose with whether any node holds a live socket of theirs; every change of the
//! effective status is an `operator.presence` event.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::events::EventRow;
use crate::store::presence::{self, PresenceRow};
use crate::time::{now_ms, opt_datetime};

use super::assignment;
use super::events::{self, Audience, OPERATOR_PRESENCE};

/// A node that has not refreshed its connection rows for this long is considered gone.
pub const NODE_STALE_AFTER_MS: i64 = 45_000;
/// How often a node refreshes its connection rows.
pub const NODE_REFRESH_INTERVAL_MS: u64 = 15_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Away,
    Offline,
}

impl PresenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceStatus::Online => "online",
            PresenceStatus::Away => "away",
            PresenceStatus::Offline => "offline",
        }
    }

    pub fn from_db(v: &str) -> Self {
        match v {
            "online" => PresenceStatus::Online,
            "away" => PresenceStatus::Away,
            _ => PresenceStatus::Offline,
        }
    }
}

/// An operator's presence as the API and events show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PresenceView {
    pub operator_id: i64,
    /// What colleagues see: the chosen status while connected, otherwise offline.
    pub status: PresenceStatus,
    /// What the operator chose (`offline` means invisible).
    pub manual_status: PresenceStatus,
    pub changed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl PresenceView {
    fn from_row(r: &PresenceRow) -> Self {
        Self {
            operator_id: r.operator_id,
            status: PresenceStatus::from_db(&r.status),
            manual_status: PresenceStatus::from_db(&r.manual_status),
            changed_at: opt_datetime(Some(r.changed_at)),
        }
    }
}

fn default_row(workspace_id: i64, operator_id: i64, now: i64) -> PresenceRow {
    PresenceRow {
        operator_id,
        workspace_id,
        manual_status: PresenceStatus::Online.as_str().into(),
        status: PresenceStatus::Offline.as_str().into(),
        changed_at: now,
    }
}

/// Recomputes the effective status and records an event when it changed. The caller holds the
/// workspace lock.
pub fn recompute(
    conn: &mut DbConn,
    workspace_id: i64,
    operator_id: i64,
    manual: Option<PresenceStatus>,
    now: i64,
    out: &mut Vec<EventRow>,
) -> ApiResult<PresenceView> {
    let mut row =
        presence::find(conn, workspace_id, operator_id)?.unwrap_or_else(|| default_row(workspace_id, operator_id, now));
    let before = (row.manual_status.clone(), row.status.clone());
    if let Some(m) = manual {
        row.manual_status = m.as_str().into();
    }
    let chosen = PresenceStatus::from_db(&row.manual_status);
    let connected = presence::live_connections(conn, operator_id, now - NODE_STALE_AFTER_MS)? > 0;
    let effective = if connected { chosen } else { PresenceStatus::Offline };
    row.status = effective.as_str().into();
    let changed = before != (row.manual_status.clone(), row.status.clone());
    if changed {
        row.changed_at = now;
    }
    presence::save(conn, &row)?;
    let view = PresenceView::from_row(&row);
    if changed {
        out.push(events::record(conn, workspace_id, OPERATOR_PRESENCE, Audience::Operators, None, None, &view, now)?);
        if effective == PresenceStatus::Online {
            // The backlog goes to the operator who just came online.
            assignment::assign_queued(conn, workspace_id, now, &assignment::Avoid::new(), out)?;
        }
    }
    Ok(view)
}

/// A socket of the operator opened (`delta` 1) or closed (`delta` -1) on this node.
pub async fn connection_changed(state: &AppState, workspace_id: i64, operator_id: i64, delta: i32) -> ApiResult<()> {
    let node = state.node_id.clone();
    state
        .db
        .write_in(workspace_id, move |conn| {
            let now = now_ms();
            presence::add_connections(conn, &node, workspace_id, operator_id, delta, now)?;
            recompute(conn, workspace_id, operator_id, None, now, &mut Vec::new())?;
            Ok(())
        })
        .await
}

/// The operator chooses a status.
pub async fn set_manual(state: &AppState, principal: &Principal, status: PresenceStatus) -> ApiResult<PresenceView> {
    let (ws, op) = (principal.workspace_id, principal.operator_id);
    state.db.write_in(ws, move |conn| recompute(conn, ws, op, Some(status), now_ms(), &mut Vec::new())).await
}

/// Presence of every operator of the workspace that ever connected.
pub async fn list(state: &AppState, principal: &Principal) -> ApiResult<Vec<PresenceView>> {
    let ws = principal.workspace_id;
    state.db.run(move |conn| Ok(presence::list(conn, ws)?.iter().map(PresenceView::from_row).collect())).await
}

/// Keeps this node's connection rows fresh and retires the rows of nodes that went away,
/// announcing the operators who are offline as a result. Runs until the process ends.
pub async fn maintain(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(NODE_REFRESH_INTERVAL_MS));
    loop {
        tick.tick().await;
        let node = state.node_id.clone();
        let now = now_ms();
        let refreshed = state.db.write(move |conn| Ok(presence::touch_node(conn, &node, now)?)).await;
        if let Err(e) = refreshed {
            tracing::warn!(error = %e, "could not refresh presence rows");
            continue;
        }
        let stale = state.db.run(move |conn| Ok(presence::stale(conn, now - NODE_STALE_AFTER_MS, 500)?)).await;
        for (node_id, ws, operator_id) in stale.unwrap_or_default() {
            let retired = state
                .db
                .write_in(ws, move |conn| {
                    presence::delete_connection_row(conn, &node_id, operator_id)?;
                    recompute(conn, ws, operator_id, None, now_ms(), &mut Vec::new())?;
                    Ok(())
                })
                .await;
            if let Err(e) = retired {
                tracing::warn!(error = %e, "could not retire a stale presence row");
            }
        }
    }
}
