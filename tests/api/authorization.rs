//! The authorisation table: every operation of the spec, called as anonymous, as a visitor, as
//! an admin of another workspace, as an operator and as an admin, with the status each must
//! get. An operation without a row fails the test, so a new endpoint needs its row.
//!
//! `OK` means any 2xx. A stranger (another workspace's admin) gets 404 for anything of this
//! workspace, and acts in their own workspace on lists and creation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, PNG, Session, TestApp, Visitor};

const OK: u16 = 200;
const CALLERS: [&str; 5] = ["anonymous", "visitor", "stranger", "operator", "admin"];

/// Ids of this workspace's resources; rows that destroy something get one of their own.
struct Fixture {
    visitor: Visitor,
    chat_key: String,
    chat: i64,
    chat_to_delete: i64,
    dialog: i64,
    dialog_to_close: i64,
    dialog_to_reopen: i64,
    operator_message: i64,
    tag: i64,
    tag_to_delete: i64,
    attached_tag: i64,
    reply: i64,
    reply_to_delete: i64,
    auto_reply: i64,
    auto_reply_to_delete: i64,
    note_to_delete: i64,
    key_to_revoke: i64,
    target: i64,
    target_to_remove: i64,
    owner_email: String,
    webhook: i64,
    webhook_to_delete: i64,
    /// A delivery of `webhook` (to a closed port, so it keeps failing).
    delivery: i64,
    /// Contacts without a dialog, one per caller, to open dialogs with.
    contacts: Vec<i64>,
    /// An attachment the owner uploaded, one the visitor uploaded, and an avatar.
    file: String,
    visitor_file: String,
    avatar: String,
}

type Concrete = fn(&Fixture) -> String;
/// The body of one call, from the fixture and the call's number (consecutive, starting at 0).
type Body = fn(&Fixture, usize) -> Option<Value>;

struct Row {
    method: &'static str,
    path: &'static str,
    concrete: Concrete,
    body: Body,
    /// Anonymous, visitor, stranger, operator, admin.
    expect: [u16; 5],
}

fn none(_: &Fixture, _: usize) -> Option<Value> {
    None
}

/// Stands for a multipart body whose `file` part is a PNG picture.
fn png(_: &Fixture, _: usize) -> Option<Value> {
    Some(json!({"multipart_file": "png"}))
}

macro_rules! row {
    ($method:literal $path:literal, $concrete:expr, $body:expr, $expect:expr) => {
        Row { method: $method, path: $path, concrete: $concrete, body: $body, expect: $expect }
    };
    ($method:literal $path:literal, $expect:expr) => {
        Row { method: $method, path: $path, concrete: |_| $path.to_string(), body: none, expect: $expect }
    };
}

/// Operator API: anonymous and visitor tokens get 401.
const fn op(stranger: u16, operator: u16, admin: u16) -> [u16; 5] {
    [401, 401, stranger, operator, admin]
}
/// Widget API: only the visitor's token works.
const WIDGET: [u16; 5] = [401, OK, 401, 401, 401];
/// Public endpoints: the same for everyone, whatever token comes along.
const fn public(status: u16) -> [u16; 5] {
    [status; 5]
}

fn rows() -> Vec<Row> {
    vec![
        row!("GET" "/healthz", public(OK)),
        row!("GET" "/readyz", public(OK)),
        row!("POST" "/api/v1/auth/signup", |_| "/api/v1/auth/signup".into(),
            |_, n| Some(json!({"workspace_name": format!("Ws {n}"), "email": format!("s{n}@new.test"), "password": PASSWORD, "display_name": "S"})),
            public(201)),
        row!("POST" "/api/v1/auth/login", |_| "/api/v1/auth/login".into(),
            |f, _| Some(json!({"email": f.owner_email, "password": PASSWORD})), public(OK)),
        row!("POST" "/api/v1/auth/refresh", |_| "/api/v1/auth/refresh".into(),
            |_, _| Some(json!({"refresh_token": "ldr_not_a_token"})), public(401)),
        row!("POST" "/api/v1/auth/logout", |_| "/api/v1/auth/logout".into(),
            |_, _| Some(json!({"refresh_token": "ldr_not_a_token"})), public(204)),
        row!("POST" "/api/v1/auth/set-password", |_| "/api/v1/auth/set-password".into(),
            |_, _| Some(json!({"token": "ldi_not_a_token", "password": PASSWORD})), public(401)),
        row!("GET" "/api/v1/me", op(OK, OK, OK)),
        row!("PATCH" "/api/v1/me", |_| "/api/v1/me".into(), |_, _| Some(json!({"display_name": "Me"})), op(OK, OK, OK)),
        // A wrong current password: the session stays, and the answer shows the check ran.
        row!("POST" "/api/v1/me/password", |_| "/api/v1/me/password".into(),
            |_, _| Some(json!({"current_password": "not my password", "new_password": "a new long password"})),
            op(422, 422, 422)),
        row!("GET" "/api/v1/operators", op(OK, OK, OK)),
        row!("POST" "/api/v1/operators", |_| "/api/v1/operators".into(),
            |_, n| Some(json!({"email": format!("new{n}@acme.test"), "display_name": "New"})), op(201, 403, 201)),
        row!("GET" "/api/v1/operators/{id}", |f| format!("/api/v1/operators/{}", f.target), none, op(404, OK, OK)),
        row!("PATCH" "/api/v1/operators/{id}", |f| format!("/api/v1/operators/{}", f.target),
            |_, _| Some(json!({"display_name": "Renamed"})), op(404, 403, OK)),
        row!("DELETE" "/api/v1/operators/{id}", |f| format!("/api/v1/operators/{}", f.target_to_remove), none,
            op(404, 403, 204)),
        row!("POST" "/api/v1/operators/{id}/password-link", |f| format!("/api/v1/operators/{}/password-link", f.target),
            none, op(404, 403, 201)),
        row!("GET" "/api/v1/api-keys", op(OK, 403, OK)),
        row!("POST" "/api/v1/api-keys", |_| "/api/v1/api-keys".into(), |_, n| Some(json!({"name": format!("key {n}")})),
            op(201, 403, 201)),
        row!("DELETE" "/api/v1/api-keys/{id}", |f| format!("/api/v1/api-keys/{}", f.key_to_revoke), none,
            op(404, 403, 204)),
        row!("GET" "/api/v1/chats", op(OK, OK, OK)),
        row!("POST" "/api/v1/chats", |_| "/api/v1/chats".into(), |_, n| Some(json!({"name": format!("Chat {n}")})),
            op(201, 403, 201)),
        row!("GET" "/api/v1/chats/{id}", |f| format!("/api/v1/chats/{}", f.chat), none, op(404, OK, OK)),
        row!("PATCH" "/api/v1/chats/{id}", |f| format!("/api/v1/chats/{}", f.chat), |_, _| Some(json!({"name": "Site"})),
            op(404, 403, OK)),
        row!("DELETE" "/api/v1/chats/{id}", |f| format!("/api/v1/chats/{}", f.chat_to_delete), none, op(404, 403, 204)),
        row!("GET" "/api/v1/chats/{id}/embed", |f| format!("/api/v1/chats/{}/embed", f.chat), none, op(404, OK, OK)),
        row!("GET" "/api/v1/dialogs", op(OK, OK, OK)),
        row!("POST" "/api/v1/dialogs", |_| "/api/v1/dialogs".into(),
            |f, call| Some(json!({"visitor_id": f.contacts[call % CALLERS.len()], "body": "Hello from us"})),
            op(422, OK, OK)),
        row!("GET" "/api/v1/dialogs/{id}", |f| format!("/api/v1/dialogs/{}", f.dialog), none, op(404, OK, OK)),
        row!("POST" "/api/v1/dialogs/{id}/assign", |f| format!("/api/v1/dialogs/{}/assign", f.dialog),
            |_, _| Some(json!({"assignee_id": null})), op(404, OK, OK)),
        row!("POST" "/api/v1/dialogs/{id}/close", |f| format!("/api/v1/dialogs/{}/close", f.dialog_to_close), none,
            op(404, OK, OK)),
        row!("POST" "/api/v1/dialogs/{id}/reopen", |f| format!("/api/v1/dialogs/{}/reopen", f.dialog_to_reopen), none,
            op(404, OK, OK)),
        row!("POST" "/api/v1/dialogs/{id}/read", |f| format!("/api/v1/dialogs/{}/read", f.dialog), |_, _| Some(json!({})),
            op(404, OK, OK)),
        row!("POST" "/api/v1/dialogs/{id}/tags", |f| format!("/api/v1/dialogs/{}/tags", f.dialog),
            |f, _| Some(json!({"tag_id": f.tag})), op(404, OK, OK)),
        row!("DELETE" "/api/v1/dialogs/{id}/tags/{tag_id}",
            |f| format!("/api/v1/dialogs/{}/tags/{}", f.dialog, f.attached_tag), none, op(404, OK, OK)),
        row!("GET" "/api/v1/dialogs/{id}/messages", |f| format!("/api/v1/dialogs/{}/messages", f.dialog), none,
            op(404, OK, OK)),
        row!("POST" "/api/v1/dialogs/{id}/messages", |f| format!("/api/v1/dialogs/{}/messages", f.dialog),
            |_, _| Some(json!({"body": "On it"})), op(404, OK, OK)),
        row!("DELETE" "/api/v1/dialogs/{id}/messages/{message_id}",
            |f| format!("/api/v1/dialogs/{}/messages/{}", f.dialog, f.operator_message), none, op(404, OK, OK)),
        row!("GET" "/api/v1/visitors", op(OK, OK, OK)),
        row!("POST" "/api/v1/visitors", |_| "/api/v1/visitors".into(),
            |f, _| Some(json!({"chat_id": f.chat, "name": "Contact"})), op(422, OK, OK)),
        row!("GET" "/api/v1/visitors/{id}", |f| format!("/api/v1/visitors/{}", f.visitor.id), none, op(404, OK, OK)),
        row!("PATCH" "/api/v1/visitors/{id}", |f| format!("/api/v1/visitors/{}", f.visitor.id),
            |_, _| Some(json!({"name": "Vera"})), op(404, OK, OK)),
        row!("POST" "/api/v1/visitors/{id}/notes", |f| format!("/api/v1/visitors/{}/notes", f.visitor.id),
            |_, _| Some(json!({"body": "VIP"})), op(404, 201, 201)),
        row!("DELETE" "/api/v1/visitors/{id}/notes/{note_id}",
            |f| format!("/api/v1/visitors/{}/notes/{}", f.visitor.id, f.note_to_delete), none, op(404, 403, OK)),
        row!("GET" "/api/v1/visitors/{id}/page-views", |f| format!("/api/v1/visitors/{}/page-views", f.visitor.id), none,
            op(404, OK, OK)),
        row!("GET" "/api/v1/visitors/{id}/dialogs", |f| format!("/api/v1/visitors/{}/dialogs", f.visitor.id), none,
            op(404, OK, OK)),
        row!("POST" "/api/v1/visitors/{id}/messages", |f| format!("/api/v1/visitors/{}/messages", f.visitor.id),
            |_, _| Some(json!({"body": "From the CRM"})), op(404, OK, OK)),
        row!("GET" "/api/v1/tags", op(OK, OK, OK)),
        row!("POST" "/api/v1/tags", |_| "/api/v1/tags".into(), |_, n| Some(json!({"name": format!("tag{n}")})),
            op(201, 201, 201)),
        row!("GET" "/api/v1/tags/{id}", |f| format!("/api/v1/tags/{}", f.tag), none, op(404, OK, OK)),
        row!("PATCH" "/api/v1/tags/{id}", |f| format!("/api/v1/tags/{}", f.tag), |_, _| Some(json!({"name": "billing"})),
            op(404, 403, OK)),
        row!("DELETE" "/api/v1/tags/{id}", |f| format!("/api/v1/tags/{}", f.tag_to_delete), none, op(404, 403, 204)),
        row!("GET" "/api/v1/saved-replies", op(OK, OK, OK)),
        row!("POST" "/api/v1/saved-replies", |_| "/api/v1/saved-replies".into(),
            |_, n| Some(json!({"shortcut": format!("s{n}"), "title": "T", "body": "B", "scope": "shared"})),
            op(201, 403, 201)),
        row!("GET" "/api/v1/saved-replies/{id}", |f| format!("/api/v1/saved-replies/{}", f.reply), none,
            op(404, OK, OK)),
        row!("PATCH" "/api/v1/saved-replies/{id}", |f| format!("/api/v1/saved-replies/{}", f.reply),
            |_, _| Some(json!({"title": "Refunds"})), op(404, 403, OK)),
        row!("DELETE" "/api/v1/saved-replies/{id}", |f| format!("/api/v1/saved-replies/{}", f.reply_to_delete), none,
            op(404, 403, 204)),
        row!("GET" "/api/v1/auto-replies", op(OK, 403, OK)),
        row!("POST" "/api/v1/auto-replies", |_| "/api/v1/auto-replies".into(),
            |_, n| Some(json!({"name": format!("R{n}"), "body": "Soon", "any_time": true, "enabled": false})), op(201, 403, 201)),
        row!("GET" "/api/v1/auto-replies/{id}", |f| format!("/api/v1/auto-replies/{}", f.auto_reply), none,
            op(404, 403, OK)),
        row!("PUT" "/api/v1/auto-replies/{id}", |f| format!("/api/v1/auto-replies/{}", f.auto_reply),
            |_, _| Some(json!({"name": "Nights", "body": "Later", "any_time": true, "enabled": false})), op(404, 403, OK)),
        row!("DELETE" "/api/v1/auto-replies/{id}", |f| format!("/api/v1/auto-replies/{}", f.auto_reply_to_delete),
            none, op(404, 403, 204)),
        row!("POST" "/api/v1/widget/sessions", |_| "/api/v1/widget/sessions".into(),
            |f, _| Some(json!({"public_key": f.chat_key})), public(201)),
        row!("GET" "/api/v1/widget/me", WIDGET),
        row!("GET" "/api/v1/widget/availability", WIDGET),
        row!("PATCH" "/api/v1/widget/me", |_| "/api/v1/widget/me".into(), |_, _| Some(json!({"name": "Vera"})), WIDGET),
        row!("POST" "/api/v1/widget/page-views", |_| "/api/v1/widget/page-views".into(),
            |_, _| Some(json!({"url": "https://shop.example.com/"})), WIDGET),
        row!("GET" "/api/v1/widget/dialogs", WIDGET),
        row!("GET" "/api/v1/widget/dialogs/{id}", |f| format!("/api/v1/widget/dialogs/{}", f.dialog), none, WIDGET),
        row!("GET" "/api/v1/widget/dialogs/{id}/messages", |f| format!("/api/v1/widget/dialogs/{}/messages", f.dialog),
            none, WIDGET),
        row!("POST" "/api/v1/widget/dialogs/{id}/read", |f| format!("/api/v1/widget/dialogs/{}/read", f.dialog),
            |_, _| Some(json!({})), WIDGET),
        row!("POST" "/api/v1/widget/messages", |_| "/api/v1/widget/messages".into(), |_, _| Some(json!({"body": "Hi"})),
            WIDGET),
        row!("POST" "/api/v1/widget/dialogs/{id}/close", |f| format!("/api/v1/widget/dialogs/{}/close", f.dialog), none,
            WIDGET),
        row!("GET" "/api/v1/widget/events", |_| "/api/v1/widget/events?since=0".into(), none, WIDGET),
        // Without an upgrade request an authenticated caller learns it needs a WebSocket.
        row!("GET" "/api/v1/widget/ws", [401, 400, 401, 401, 401]),
        row!("GET" "/api/v1/ws", [401, 401, 400, 400, 400]),
        row!("GET" "/api/v1/events", |_| "/api/v1/events?since=0".into(), none, op(OK, OK, OK)),
        row!("GET" "/api/v1/presence", op(OK, OK, OK)),
        // Ratings, statistics and exports are for admins; operators never see ratings.
        row!("GET" "/api/v1/ratings", op(OK, 403, OK)),
        row!("GET" "/api/v1/ratings/reviews", op(OK, 403, OK)),
        row!("GET" "/api/v1/stats/dialogs", op(OK, 403, OK)),
        row!("GET" "/api/v1/stats/operators", op(OK, 403, OK)),
        row!("GET" "/api/v1/exports/{report}", |_| "/api/v1/exports/sessions".into(), none, op(OK, 403, OK)),
        // Billing is for super admins alone (the stranger is their workspace's super admin).
        row!("GET" "/api/v1/billing/prices", op(OK, 403, 403)),
        row!("PUT" "/api/v1/billing/prices", |_| "/api/v1/billing/prices".into(),
            |_, _| Some(json!({"currency": "EUR", "prices": [{"channel": "web", "price_minor": 5}]})), op(OK, 403, 403)),
        row!("GET" "/api/v1/billing/summary", op(OK, 403, 403)),
        row!("GET" "/api/v1/widget/dialogs/{id}/rating", |f| format!("/api/v1/widget/dialogs/{}/rating", f.dialog),
            none, WIDGET),
        row!("POST" "/api/v1/widget/dialogs/{id}/rating", |f| format!("/api/v1/widget/dialogs/{}/rating", f.dialog),
            |_, _| Some(json!({"score": 5})), WIDGET),
        row!("PUT" "/api/v1/me/presence", |_| "/api/v1/me/presence".into(), |_, _| Some(json!({"status": "away"})),
            op(OK, OK, OK)),
        row!("GET" "/api/v1/me/notifications", op(OK, OK, OK)),
        row!("PUT" "/api/v1/me/notifications/{chat_id}", |f| format!("/api/v1/me/notifications/{}", f.chat),
            |_, _| Some(json!({"assigned_to_me": true, "unassigned": true, "assigned_to_others": false,
                               "in_app": true, "email": false, "push": false})),
            op(404, OK, OK)),
        // Webhooks are for admins.
        row!("GET" "/api/v1/webhooks", op(OK, 403, OK)),
        row!("POST" "/api/v1/webhooks", |_| "/api/v1/webhooks".into(),
            |_, n| Some(json!({"url": format!("https://hooks.example.test/{n}"), "event_types": ["dialog.created"]})),
            op(201, 403, 201)),
        row!("GET" "/api/v1/webhooks/{id}", |f| format!("/api/v1/webhooks/{}", f.webhook), none, op(404, 403, OK)),
        row!("PATCH" "/api/v1/webhooks/{id}", |f| format!("/api/v1/webhooks/{}", f.webhook),
            |_, _| Some(json!({"description": "CRM"})), op(404, 403, OK)),
        row!("DELETE" "/api/v1/webhooks/{id}", |f| format!("/api/v1/webhooks/{}", f.webhook_to_delete), none,
            op(404, 403, 204)),
        row!("POST" "/api/v1/webhooks/{id}/rotate-secret", |f| format!("/api/v1/webhooks/{}/rotate-secret", f.webhook),
            none, op(404, 403, OK)),
        row!("POST" "/api/v1/webhooks/{id}/resume", |f| format!("/api/v1/webhooks/{}/resume", f.webhook), none,
            op(404, 403, OK)),
        row!("GET" "/api/v1/webhooks/{id}/deliveries", |f| format!("/api/v1/webhooks/{}/deliveries", f.webhook), none,
            op(404, 403, OK)),
        row!("POST" "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            |f| format!("/api/v1/webhooks/{}/deliveries/{}/redeliver", f.webhook, f.delivery), none,
            op(404, 403, OK)),
        // Files: uploads are multipart forms (see `png`); avatars are public.
        row!("POST" "/api/v1/files", |_| "/api/v1/files".into(), png, op(201, 201, 201)),
        row!("GET" "/api/v1/files/{id}", |f| format!("/api/v1/files/{}", f.file), none, op(404, OK, OK)),
        row!("GET" "/api/v1/avatars/{id}", |f| format!("/api/v1/avatars/{}", f.avatar), none, public(OK)),
        row!("POST" "/api/v1/widget/files", |_| "/api/v1/widget/files".into(), png, WIDGET),
        row!("GET" "/api/v1/widget/files/{id}", |f| format!("/api/v1/widget/files/{}", f.visitor_file), none, WIDGET),
        row!("PUT" "/api/v1/me/avatar", |_| "/api/v1/me/avatar".into(), png, op(OK, OK, OK)),
        row!("DELETE" "/api/v1/me/avatar", op(OK, OK, OK)),
        row!("PUT" "/api/v1/operators/{id}/avatar", |f| format!("/api/v1/operators/{}/avatar", f.target), png,
            op(404, 403, OK)),
        row!("DELETE" "/api/v1/operators/{id}/avatar", |f| format!("/api/v1/operators/{}/avatar", f.target), none,
            op(404, 403, OK)),
        row!("PUT" "/api/v1/chats/{id}/avatars/{kind}", |f| format!("/api/v1/chats/{}/avatars/bot", f.chat), png,
            op(404, 403, OK)),
        row!("DELETE" "/api/v1/chats/{id}/avatars/{kind}", |f| format!("/api/v1/chats/{}/avatars/bot", f.chat), none,
            op(404, 403, OK)),
        row!("PUT" "/api/v1/widget/me/avatar", |_| "/api/v1/widget/me/avatar".into(), png, WIDGET),
        row!("DELETE" "/api/v1/widget/me/avatar", WIDGET),
    ]
}

/// An attachment of the owner, one of the visitor and an avatar (the owner's).
async fn file_fixture(app: &TestApp, owner: &Session, visitor: &Visitor) -> (String, String, String) {
    let id = |res: &crate::helpers::Resp| res.body["id"].as_str().expect("file id").to_string();
    let file = app.upload(Method::POST, "/api/v1/files", Some(&owner.token), "a.txt", "text/plain", b"a").await;
    let visitor_file =
        app.upload(Method::POST, "/api/v1/widget/files", Some(&visitor.token), "v.txt", "text/plain", b"v").await;
    let avatar = app.upload(Method::PUT, "/api/v1/me/avatar", Some(&owner.token), "me.png", "image/png", PNG).await;
    let avatar_url = avatar.expect(200).body["avatar_url"].as_str().expect("avatar url").to_string();
    let avatar_id = avatar_url.rsplit('/').next().expect("avatar id").to_string();
    (id(file.expect(201)), id(visitor_file.expect(201)), avatar_id)
}

/// A subscription with one delivery (to a closed port) and one to delete.
async fn webhook_fixture(app: &TestApp, owner: &Session, visitor: &Visitor) -> (i64, i64, i64) {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let body = json!({"url": "http://127.0.0.1:9/closed", "event_types": ["message.created"]});
        let res = app.post("/api/v1/webhooks", &owner.token, body).await;
        ids.push(res.expect(201).body["webhook"]["id"].as_i64().expect("id"));
    }
    app.visitor_writes(visitor, "For the webhook").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let items = app.all_items(&format!("/api/v1/webhooks/{}/deliveries", ids[0]), &owner.token).await;
        if let Some(d) = items.first() {
            return (ids[0], ids[1], d["id"].as_i64().expect("id"));
        }
        assert!(std::time::Instant::now() < deadline, "no delivery was queued");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn fixture(app: &TestApp, owner: &Session, operator: &Session) -> Fixture {
    let id = |v: &Value| v["id"].as_i64().expect("id");
    let chat = app.create_chat(owner, "Site", Value::Null).await;
    let chat_to_delete = app.create_chat(owner, "Old site", Value::Null).await.id;
    let visitor = app.start_visitor(&chat.public_key).await;
    let dialog = app.visitor_writes_dialog(&visitor, "Hello").await;
    let operator_message = id(&app.reply(operator, dialog, "Hi, how can I help?").await["message"]);
    let second = app.start_visitor(&chat.public_key).await;
    let dialog_to_close = app.visitor_writes_dialog(&second, "Question").await;
    let third = app.start_visitor(&chat.public_key).await;
    let dialog_to_reopen = app.visitor_writes_dialog(&third, "Old question").await;
    app.post(&format!("/api/v1/dialogs/{dialog_to_reopen}/close"), &owner.token, json!({})).await.expect(200);
    let mut tags = Vec::new();
    for name in ["vip", "spam", "urgent"] {
        let res = app.post("/api/v1/tags", &owner.token, json!({"name": name})).await;
        tags.push(id(&res.expect(201).body.clone()));
    }
    app.post(&format!("/api/v1/dialogs/{dialog}/tags"), &owner.token, json!({"tag_id": tags[2]})).await.expect(200);
    let mut replies = Vec::new();
    for shortcut in ["refund", "hours"] {
        let body = json!({"shortcut": shortcut, "title": "T", "body": "B", "scope": "shared"});
        let res = app.post("/api/v1/saved-replies", &owner.token, body).await;
        replies.push(id(&res.expect(201).body.clone()));
    }
    let mut auto_replies = Vec::new();
    for name in ["nights", "weekends"] {
        let body = json!({"name": name, "body": "We reply soon", "any_time": true, "enabled": false});
        let res = app.post("/api/v1/auto-replies", &owner.token, body).await;
        auto_replies.push(id(&res.expect(201).body.clone()));
    }
    let note = app.post(&format!("/api/v1/visitors/{}/notes", visitor.id), &owner.token, json!({"body": "n"})).await;
    let key = app.post("/api/v1/api-keys", &owner.token, json!({"name": "old"})).await;
    let mut contacts = Vec::new();
    for n in 0..CALLERS.len() {
        let res =
            app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat.id, "name": format!("C{n}")})).await;
        contacts.push(id(&res.expect(201).body.clone()));
    }
    let target = app.add_operator(owner, "target@acme.test", "operator").await;
    let target_to_remove = app.add_operator(owner, "leaver@acme.test", "operator").await;
    let (webhook, webhook_to_delete, delivery) = webhook_fixture(app, owner, &visitor).await;
    let (file, visitor_file, avatar) = file_fixture(app, owner, &visitor).await;
    Fixture {
        chat_key: chat.public_key.clone(),
        chat: chat.id,
        chat_to_delete,
        dialog,
        dialog_to_close,
        dialog_to_reopen,
        operator_message,
        tag: tags[0],
        tag_to_delete: tags[1],
        attached_tag: tags[2],
        reply: replies[0],
        reply_to_delete: replies[1],
        auto_reply: auto_replies[0],
        auto_reply_to_delete: auto_replies[1],
        note_to_delete: id(&note.expect(201).body.clone()),
        key_to_revoke: id(&key.expect(201).body["key"]),
        target: target.operator_id,
        target_to_remove: target_to_remove.operator_id,
        owner_email: "owner@acme.test".into(),
        webhook,
        webhook_to_delete,
        delivery,
        visitor,
        contacts,
        file,
        visitor_file,
        avatar,
    }
}

#[tokio::test]
async fn every_operation_has_its_expected_status_for_every_caller() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let admin = app.add_operator(&owner, "admin@acme.test", "admin").await;
    let operator = app.add_operator(&owner, "op@acme.test", "operator").await;
    let stranger = app.signup("Other", "owner@other.test").await;
    let f = fixture(&app, &owner, &operator).await;

    let rows = rows();
    let spec_ops = livedesk::api::openapi::operations();
    let missing: Vec<_> = spec_ops
        .iter()
        .filter(|(m, p)| !rows.iter().any(|r| r.method == m && r.path == p))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(missing.is_empty(), "operations without a row in the authorisation table: {missing:?}");
    let stale: Vec<_> = rows
        .iter()
        .filter(|r| !spec_ops.iter().any(|(m, p)| r.method == m && r.path == p))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(stale.is_empty(), "rows for operations the spec does not have: {stale:?}");

    let tokens = [None, Some(f.visitor.token.clone()), Some(stranger.token), Some(operator.token), Some(admin.token)];
    let mut failures = Vec::new();
    let mut n = 0;
    for row in &rows {
        let path = (row.concrete)(&f);
        for (caller, (token, expected)) in tokens.iter().zip(row.expect).enumerate() {
            let method = Method::from_bytes(row.method.as_bytes()).unwrap();
            let body = (row.body)(&f, n);
            let res = if body == png(&f, n) {
                app.upload(method, &path, token.as_deref(), "pic.png", "image/png", PNG).await
            } else {
                app.request(method, &path, token.as_deref(), body).await
            };
            n += 1;
            let matches = if expected == OK { (200..300).contains(&res.status) } else { res.status == expected };
            if !matches {
                failures.push(format!(
                    "{} {path} as {}: expected {expected}, got {} {}",
                    row.method, CALLERS[caller], res.status, res.body["code"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "authorisation table mismatches:\n{}", failures.join("\n"));
}
