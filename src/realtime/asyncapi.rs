//! The AsyncAPI 3 document of both sockets, generated from the protocol types so it cannot
//! drift from what the code sends; committed as openapi/asyncapi.json and checked by a test.

use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::protocol::*;
use crate::domain::events::{self, DialogEvent, DialogTagsEvent, MessageEvent, QueueEvent, VisitorEvent};
use crate::domain::presence::PresenceView;
use crate::domain::ratings::{RatingCreatedEvent, RatingRequestedEvent};

/// Payload schema of each logged event type, and who receives it.
fn event_payloads() -> Vec<(&'static str, &'static str, &'static str)> {
    use events::*;
    vec![
        (DIALOG_CREATED, "DialogEvent", "operators and the dialog's visitor"),
        (DIALOG_ASSIGNED, "DialogEvent", "operators and the dialog's visitor"),
        (DIALOG_UNASSIGNED, "DialogEvent", "operators and the dialog's visitor"),
        (DIALOG_CLOSED, "DialogEvent", "operators and the dialog's visitor"),
        (DIALOG_REOPENED, "DialogEvent", "operators and the dialog's visitor"),
        (DIALOG_READ, "DialogEvent", "operators and the dialog's visitor"),
        (DIALOG_QUEUED, "QueueEvent", "operators and the dialog's visitor"),
        (DIALOG_QUEUE_TIMEOUT, "DialogEvent", "operators and the dialog's visitor"),
        (DIALOG_TAGS_UPDATED, "DialogTagsEvent", "operators"),
        (MESSAGE_CREATED, "MessageEvent", "operators; the visitor unless it is an internal note"),
        (MESSAGE_DELETED, "MessageEvent", "operators; the visitor unless it is an internal note"),
        (VISITOR_UPDATED, "VisitorEvent", "operators"),
        (OPERATOR_PRESENCE, "PresenceView", "operators"),
        (RATING_REQUESTED, "RatingRequestedEvent", "operators and the dialog's visitor (shown once `due_at` passes)"),
        (RATING_CREATED, "RatingCreatedEvent", "admins and super admins only"),
        (WEBHOOK_PAUSED, "WebhookPausedEvent", "admins and super admins only"),
    ]
}

fn collect<T: ToSchema>(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

fn message(name: &str, summary: &str, payload: Value) -> Value {
    json!({"name": name, "title": name, "summary": summary, "contentType": "application/json", "payload": payload})
}

/// A frame schema: `type` fixed to `frame_type`, the rest from the named schema.
fn framed(frame_type: &str, schema: &str) -> Value {
    json!({"allOf": [
        {"type": "object", "required": ["type"], "properties": {"type": {"const": frame_type}}},
        {"$ref": format!("#/components/schemas/{schema}")}
    ]})
}

pub fn document() -> Value {
    let mut schemas = Vec::new();
    collect::<Welcome>(&mut schemas);
    collect::<EventFrame>(&mut schemas);
    collect::<ResyncRequired>(&mut schemas);
    collect::<Notification>(&mut schemas);
    collect::<Typing>(&mut schemas);
    collect::<Ack>(&mut schemas);
    collect::<ErrorFrame>(&mut schemas);
    collect::<Pong>(&mut schemas);
    collect::<SendFrame>(&mut schemas);
    collect::<TypingFrame>(&mut schemas);
    collect::<ReadFrame>(&mut schemas);
    collect::<PresenceFrame>(&mut schemas);
    collect::<PingFrame>(&mut schemas);
    collect::<DialogEvent>(&mut schemas);
    collect::<QueueEvent>(&mut schemas);
    collect::<MessageEvent>(&mut schemas);
    collect::<DialogTagsEvent>(&mut schemas);
    collect::<VisitorEvent>(&mut schemas);
    collect::<PresenceView>(&mut schemas);
    collect::<RatingRequestedEvent>(&mut schemas);
    collect::<RatingCreatedEvent>(&mut schemas);
    collect::<crate::domain::webhooks::WebhookPausedEvent>(&mut schemas);
    let schemas: Map<String, Value> =
        schemas.into_iter().map(|(n, s)| (n, serde_json::to_value(s).expect("schema serialises"))).collect();

    let mut messages = Map::new();
    let server_frames: &[(&str, &str, &str)] = &[
        ("welcome", "Welcome", "First frame: the log's newest position and the heartbeat interval."),
        (
            "resync_required",
            "ResyncRequired",
            "The requested position is not in the log (or, for a visitor, beyond its replay window); reload through REST.",
        ),
        ("notification", "Notification", "An in-app notification by the operator's settings (operators only)."),
        ("typing", "Typing", "Someone is typing; not logged, at most every 2 s per sender and dialog."),
        ("ack", "Ack", "Answer to message.send, read and presence.set, with the client's `ref`."),
        ("error", "ErrorFrame", "A client frame could not be carried out; the socket stays open."),
        ("pong", "Pong", "Answer to ping."),
    ];
    for (frame_type, schema, summary) in server_frames {
        messages.insert(frame_type.to_string(), message(frame_type, summary, framed(frame_type, schema)));
    }
    for (event_type, payload, audience) in event_payloads() {
        let payload_schema = json!({"allOf": [
            {"$ref": "#/components/schemas/EventFrame"},
            {"type": "object", "properties": {
                "type": {"const": event_type},
                "data": {"$ref": format!("#/components/schemas/{payload}")}
            }}
        ]});
        messages.insert(
            event_type.to_string(),
            message(event_type, &format!("Logged event, with its position. Received by {audience}."), payload_schema),
        );
    }
    let client_frames: &[(&str, &str, &str)] = &[
        ("message.send", "SendFrame", "Send a message (same rules and idempotency as REST); answered by ack."),
        ("typing", "TypingFrame", "The sender is typing in a dialog."),
        ("read", "ReadFrame", "Move the sender's read marker; answered by ack."),
        ("presence.set", "PresenceFrame", "Operators: choose online, away or offline; answered by ack."),
        ("ping", "PingFrame", "Application-level ping; answered by pong."),
    ];
    for (frame_type, schema, summary) in client_frames {
        messages.insert(format!("client.{frame_type}"), message(frame_type, summary, framed(frame_type, schema)));
    }

    let refs = |names: &mut dyn Iterator<Item = String>| -> Value {
        Value::Object(names.map(|n| (n.clone(), json!({"$ref": format!("#/components/messages/{n}")}))).collect())
    };
    let server_names: Vec<String> = SERVER_FRAME_TYPES
        .iter()
        .map(|s| s.to_string())
        .chain(events::EVENT_TYPES.iter().map(|s| s.to_string()))
        .collect();
    let operator_only = ["notification"];
    let visitor_server: Vec<String> =
        server_names.iter().filter(|n| !operator_only.contains(&n.as_str())).cloned().collect();
    let client_names: Vec<String> = CLIENT_FRAME_TYPES.iter().map(|t| format!("client.{t}")).collect();
    let visitor_client: Vec<String> = client_names.iter().filter(|n| *n != "client.presence.set").cloned().collect();

    let close_codes: Vec<Value> =
        CLOSE_CODES.iter().map(|(code, meaning)| json!({"code": code, "reason": meaning})).collect();
    let description = |who: &str| {
        format!(
            "{who}. Connect with `?since=<last position seen>` to first receive every event after it, in order, \
             then live events; without `since`, live events only. Close codes: {}.",
            CLOSE_CODES.iter().map(|(c, m)| format!("{c} {m}")).collect::<Vec<_>>().join("; ")
        )
    };
    let op_messages: Vec<String> = server_names.iter().chain(client_names.iter()).cloned().collect();
    let vis_messages: Vec<String> = visitor_server.iter().chain(visitor_client.iter()).cloned().collect();

    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "livedesk realtime API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON text frames `{\"type\": ...}` over WebSocket. Server events carry the position of \
                the workspace's event log; REST offers the same catch-up at /api/v1/events and /api/v1/widget/events. \
                Each connection has a bounded queue: a client that falls behind is closed with 4008 and recovers by \
                reconnecting with its last position. The server pings every `heartbeat_secs`; a client silent for \
                the client timeout is closed with 4002.",
            "x-close-codes": close_codes,
        },
        "servers": {
            "livedesk": {"host": "localhost:8080", "protocol": "ws", "description": "The livedesk HTTP address"}
        },
        "channels": {
            "operatorSocket": {
                "address": "/api/v1/ws",
                "description": description("Operators and API keys: Authorization: Bearer <access token or API key>, or ?access_token="),
                "messages": refs(&mut op_messages.into_iter()),
            },
            "visitorSocket": {
                "address": "/api/v1/widget/ws",
                "description": description("Visitors: Authorization: Bearer <visitor token>, or ?access_token="),
                "messages": refs(&mut vis_messages.into_iter()),
            }
        },
        "operations": {
            "receiveOperatorFrames": {"action": "send", "channel": {"$ref": "#/channels/operatorSocket"},
                "summary": "Frames the server sends to operators",
                "messages": server_names.iter().map(|n| json!({"$ref": format!("#/channels/operatorSocket/messages/{n}")})).collect::<Vec<_>>()},
            "sendOperatorFrames": {"action": "receive", "channel": {"$ref": "#/channels/operatorSocket"},
                "summary": "Frames operators send",
                "messages": client_names.iter().map(|n| json!({"$ref": format!("#/channels/operatorSocket/messages/{n}")})).collect::<Vec<_>>()},
            "receiveVisitorFrames": {"action": "send", "channel": {"$ref": "#/channels/visitorSocket"},
                "summary": "Frames the server sends to a visitor",
                "messages": visitor_server.iter().map(|n| json!({"$ref": format!("#/channels/visitorSocket/messages/{n}")})).collect::<Vec<_>>()},
            "sendVisitorFrames": {"action": "receive", "channel": {"$ref": "#/channels/visitorSocket"},
                "summary": "Frames a visitor sends",
                "messages": visitor_client.iter().map(|n| json!({"$ref": format!("#/channels/visitorSocket/messages/{n}")})).collect::<Vec<_>>()},
        },
        "components": {"messages": messages, "schemas": schemas}
    })
}

/// Pretty JSON with a final newline: exactly what `openapi/asyncapi.json` holds.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("document serialises");
    text.push('\n');
    text
}
