//! Attachments and avatars: upload, send with a message, download by each side, who may see
//! what, size limits and content checks.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PNG, Session, TestApp, Visitor};

const TWO_MB: usize = 2 * 1024 * 1024;
const FIVE_MB: usize = 5 * 1024 * 1024;
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9";
const GIF: &[u8] =
    b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;";

struct Desk {
    app: TestApp,
    owner: Session,
    chat_key: String,
    chat_id: i64,
}

async fn desk() -> Desk {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Site", Value::Null).await;
    Desk { app, owner, chat_key: chat.public_key, chat_id: chat.id }
}

async fn visitor_upload(app: &TestApp, visitor: &Visitor, name: &str, content_type: &str, bytes: &[u8]) -> Value {
    let res = app.upload(Method::POST, "/api/v1/widget/files", Some(&visitor.token), name, content_type, bytes).await;
    res.expect(201);
    res.body.clone()
}

async fn operator_upload(app: &TestApp, operator: &Session, name: &str, bytes: &[u8]) -> Value {
    let res = app.upload(Method::POST, "/api/v1/files", Some(&operator.token), name, "application/pdf", bytes).await;
    res.expect(201);
    res.body.clone()
}

fn id(file: &Value) -> String {
    file["id"].as_str().expect("file id").to_string()
}

#[tokio::test]
async fn attachments_go_both_ways_and_download_with_safe_headers() {
    let Desk { app, owner, chat_key, .. } = desk().await;
    let visitor = app.start_visitor(&chat_key).await;
    let dialog = app.visitor_writes_dialog(&visitor, "Hello").await;

    let text = b"order #42\nthanks";
    let upload = visitor_upload(&app, &visitor, "../../notes; q3 (final).txt", "text/plain; charset=utf-8", text).await;
    assert_eq!(upload["name"], "notes; q3 (final).txt");
    assert_eq!(upload["content_type"], "text/plain");
    assert_eq!(upload["size"], text.len());
    assert_eq!(upload["sha256"].as_str().unwrap().len(), 64);
    let file = id(&upload);

    // Attachment-only message: the body may be left out.
    let sent = app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"attachment_ids": [file]})).await;
    sent.expect(201);
    assert_eq!(sent.body["message"]["body"], "");
    assert_eq!(sent.body["message"]["attachments"][0]["id"], file.as_str());
    assert_eq!(sent.body["message"]["attachments"][0]["url"], format!("/api/v1/files/{file}"));

    // Sent once: it cannot be attached again.
    let again =
        app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "x", "attachment_ids": [file]})).await;
    again.expect_problem(422, "validation_failed");
    assert_eq!(again.body["errors"][0]["code"], "unknown_attachment");

    let page = app.get(&format!("/api/v1/dialogs/{dialog}/messages"), &owner.token).await;
    let with_file: Vec<&Value> =
        page.body["items"].as_array().unwrap().iter().filter(|m| m["attachments"][0].is_object()).collect();
    assert_eq!(with_file.len(), 1);
    assert_eq!(with_file[0]["attachments"][0]["name"], "notes; q3 (final).txt");

    let (status, headers, bytes) = app.download(&format!("/api/v1/files/{file}"), Some(&owner.token)).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, text);
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(headers["content-length"], text.len().to_string().as_str());
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"notes; q3 (final).txt\"; filename*=UTF-8''notes%3B%20q3%20%28final%29.txt"
    );
    let (status, _, bytes) = app.download(&format!("/api/v1/widget/files/{file}"), Some(&visitor.token)).await;
    assert_eq!((status, bytes.as_slice()), (200, &text[..]));

    // The operator answers with a file; the visitor downloads it.
    let pdf = b"%PDF-1.4 pretend".to_vec();
    let reply_file = id(&operator_upload(&app, &owner, "invoice.pdf", &pdf).await);
    let reply = app
        .post(
            &format!("/api/v1/dialogs/{dialog}/messages"),
            &owner.token,
            json!({"body": "Your invoice", "attachment_ids": [reply_file]}),
        )
        .await;
    reply.expect(201);
    assert_eq!(reply.body["message"]["attachments"][0]["widget_url"], format!("/api/v1/widget/files/{reply_file}"));
    let mine = app.visitor_get(&visitor, &format!("/api/v1/widget/dialogs/{dialog}/messages")).await;
    assert!(mine.body["items"].as_array().unwrap().iter().any(|m| m["attachments"][0]["id"] == reply_file.as_str()));
    let (status, headers, bytes) =
        app.download(&format!("/api/v1/widget/files/{reply_file}"), Some(&visitor.token)).await;
    assert_eq!((status, bytes), (200, pdf));
    assert_eq!(headers["content-type"], "application/pdf");

    // Live and catch-up events carry the attachments.
    let events = app.get("/api/v1/events?since=0&limit=500", &owner.token).await;
    let created: Vec<&Value> = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "message.created" && e["data"]["message"]["attachments"][0].is_object())
        .collect();
    assert_eq!(created.len(), 2);

    // Someone else's upload cannot be attached.
    let colleague = app.add_operator(&owner, "ann@acme.test", "operator").await;
    let theirs = id(&operator_upload(&app, &owner, "draft.pdf", b"draft").await);
    let res = app
        .post(
            &format!("/api/v1/dialogs/{dialog}/messages"),
            &colleague.token,
            json!({"body": "x", "attachment_ids": [theirs]}),
        )
        .await;
    res.expect_problem(422, "validation_failed");
    let too_many: Vec<String> = (0..11).map(|n| format!("{n:032x}")).collect();
    let res = app
        .post(
            &format!("/api/v1/dialogs/{dialog}/messages"),
            &owner.token,
            json!({"body": "x", "attachment_ids": too_many}),
        )
        .await;
    assert_eq!(res.body["errors"][0]["code"], "too_many");
}

#[tokio::test]
async fn visitors_get_only_their_dialogs_files_and_never_notes() {
    let Desk { app, owner, chat_key, .. } = desk().await;
    let alice = app.start_visitor(&chat_key).await;
    let bob = app.start_visitor(&chat_key).await;
    let dialog = app.visitor_writes_dialog(&alice, "Hi").await;
    app.visitor_writes_dialog(&bob, "Hi too").await;

    let unsent = id(&visitor_upload(&app, &alice, "a.txt", "text/plain", b"alice").await);
    let sent = id(&visitor_upload(&app, &alice, "b.txt", "text/plain", b"alice sent").await);
    app.visitor_post(&alice, "/api/v1/widget/messages", json!({"body": "see", "attachment_ids": [sent]}))
        .await
        .expect(201);
    for file in [&unsent, &sent] {
        let (status, _, _) = app.download(&format!("/api/v1/widget/files/{file}"), Some(&alice.token)).await;
        assert_eq!(status, 200);
        let res = app.get(&format!("/api/v1/widget/files/{file}"), &bob.token).await;
        res.expect_problem(404, "not_found");
    }

    let secret = id(&operator_upload(&app, &owner, "internal.pdf", b"internal").await);
    let note = app
        .post(
            &format!("/api/v1/dialogs/{dialog}/messages"),
            &owner.token,
            json!({"kind": "note", "body": "for us", "attachment_ids": [secret]}),
        )
        .await;
    note.expect(201);
    assert_eq!(note.body["message"]["attachments"][0]["id"], secret.as_str());
    app.get(&format!("/api/v1/widget/files/{secret}"), &alice.token).await.expect_problem(404, "not_found");
    let page = app.visitor_get(&alice, &format!("/api/v1/widget/dialogs/{dialog}/messages")).await;
    assert!(!page.text.contains(&secret));
    let (status, _, _) = app.download(&format!("/api/v1/files/{secret}"), Some(&owner.token)).await;
    assert_eq!(status, 200);

    // Another workspace, and ids that name nothing.
    let stranger = app.signup("Other", "owner@other.test").await;
    app.get(&format!("/api/v1/files/{sent}"), &stranger.token).await.expect_problem(404, "not_found");
    let other_chat = app.create_chat(&stranger, "Theirs", Value::Null).await;
    let outsider = app.start_visitor(&other_chat.public_key).await;
    app.get(&format!("/api/v1/widget/files/{sent}"), &outsider.token).await.expect_problem(404, "not_found");
    app.get("/api/v1/files/not-a-file", &owner.token).await.expect_problem(404, "not_found");
    app.get(&format!("/api/v1/files/{}", "0".repeat(32)), &owner.token).await.expect_problem(404, "not_found");
    // A deleted message takes its files out of the visitor's reach.
    let reply_file = id(&operator_upload(&app, &owner, "oops.pdf", b"oops").await);
    let reply = app
        .post(
            &format!("/api/v1/dialogs/{dialog}/messages"),
            &owner.token,
            json!({"body": "x", "attachment_ids": [reply_file]}),
        )
        .await;
    let message = reply.body["message"]["id"].as_i64().unwrap();
    let (status, _, _) = app.download(&format!("/api/v1/widget/files/{reply_file}"), Some(&alice.token)).await;
    assert_eq!(status, 200);
    let deleted = app.delete(&format!("/api/v1/dialogs/{dialog}/messages/{message}"), &owner.token).await;
    deleted.expect(200);
    assert_eq!(deleted.body["attachments"], json!([]));
    app.get(&format!("/api/v1/widget/files/{reply_file}"), &alice.token).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn uploads_are_limited_in_size_and_checked_by_content() {
    let Desk { app, owner, chat_key, .. } = desk().await;
    let visitor = app.start_visitor(&chat_key).await;
    let token = Some(owner.token.as_str());

    let exactly = vec![b'a'; TWO_MB];
    app.upload(Method::POST, "/api/v1/files", token, "big.bin", "application/octet-stream", &exactly).await.expect(201);
    let over = vec![b'a'; TWO_MB + 1];
    let res = app.upload(Method::POST, "/api/v1/files", token, "big.bin", "application/octet-stream", &over).await;
    res.expect_problem(413, "file_too_large");
    let res =
        app.upload(Method::POST, "/api/v1/widget/files", Some(&visitor.token), "big.bin", "text/plain", &over).await;
    res.expect_problem(413, "file_too_large");

    app.post("/api/v1/files", &owner.token, json!({"file": "abc"})).await.expect_problem(415, "unsupported_media_type");
    let empty = app.upload(Method::POST, "/api/v1/files", token, "empty.txt", "text/plain", b"").await;
    empty.expect_problem(422, "validation_failed");
    let boundary = "b0undary";
    let body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhello\r\n--{boundary}--\r\n");
    let res = app
        .client
        .post(app.url("/api/v1/files"))
        .bearer_auth(&owner.token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let res = app
        .client
        .post(app.url("/api/v1/files"))
        .bearer_auth(&owner.token)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("garbage without any boundary")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);

    // Avatars: JPEG or PNG by content; names and declared types do not count.
    for (name, declared, bytes) in [
        ("me.png", "image/png", GIF),
        ("me.png", "image/png", b"just some text".as_slice()),
        ("me.gif", "image/gif", GIF),
    ] {
        let res = app.upload(Method::PUT, "/api/v1/me/avatar", token, name, declared, bytes).await;
        res.expect_problem(415, "unsupported_image_type");
    }
    let mut huge = PNG.to_vec();
    huge.resize(FIVE_MB + 1, 0);
    app.upload(Method::PUT, "/api/v1/me/avatar", token, "me.png", "image/png", &huge)
        .await
        .expect_problem(413, "file_too_large");
    huge.truncate(FIVE_MB);
    app.upload(Method::PUT, "/api/v1/me/avatar", token, "me.png", "image/png", &huge).await.expect(200);

    let res = app.upload(Method::PUT, "/api/v1/me/avatar", token, "me.txt", "text/plain", JPEG).await;
    res.expect(200);
    let jpeg_url = res.body["avatar_url"].as_str().expect("avatar url").to_string();
    let path = jpeg_url.replace("http://127.0.0.1:8080", "");
    assert!(path.starts_with("/api/v1/avatars/"), "{jpeg_url}");
    let (status, headers, bytes) = app.download(&path, None).await;
    assert_eq!((status, bytes.as_slice()), (200, JPEG));
    assert_eq!(headers["content-type"], "image/jpeg");

    // A new picture replaces the old one, whose URL stops working.
    let res = app.upload(Method::PUT, "/api/v1/me/avatar", token, "me.png", "application/octet-stream", PNG).await;
    let png_path = res.body["avatar_url"].as_str().unwrap().replace("http://127.0.0.1:8080", "");
    assert_eq!(app.download(&png_path, None).await.2, PNG);
    assert_eq!(app.download(&path, None).await.0, 404);
    let me = app.get("/api/v1/me", &owner.token).await;
    assert!(
        me.body["operator"]["avatar_url"]
            .as_str()
            .unwrap_or_else(|| me.body["avatar_url"].as_str().unwrap())
            .ends_with(&png_path)
    );
    let res = app.delete("/api/v1/me/avatar", &owner.token).await;
    res.expect(200);
    assert!(res.body["avatar_url"].is_null());
    assert_eq!(app.download(&png_path, None).await.0, 404);
    // Attachments are never served on the public avatar route.
    let attachment = id(&operator_upload(&app, &owner, "a.pdf", b"pdf").await);
    assert_eq!(app.download(&format!("/api/v1/avatars/{attachment}"), None).await.0, 404);
}

#[tokio::test]
async fn chat_operator_and_visitor_avatars() {
    let Desk { app, owner, chat_key, chat_id } = desk().await;
    let operator = app.add_operator(&owner, "op@acme.test", "operator").await;
    let token = Some(owner.token.as_str());

    let res = app
        .upload(Method::PUT, &format!("/api/v1/chats/{chat_id}/avatars/bot"), token, "bot.png", "image/png", PNG)
        .await;
    res.expect(200);
    let bot_url = res.body["settings"]["avatars"]["bot"].as_str().expect("bot avatar").to_string();
    assert!(bot_url.contains("/api/v1/avatars/"));
    let visitor = app.start_visitor(&chat_key).await;
    let session =
        app.post_anon("/api/v1/widget/sessions", json!({"public_key": chat_key, "visitor_token": visitor.token})).await;
    assert_eq!(session.body["chat"]["settings"]["avatars"]["bot"], bot_url.as_str(), "{}", session.text);
    let res = app
        .upload(
            Method::PUT,
            &format!("/api/v1/chats/{chat_id}/avatars/bot"),
            Some(&operator.token),
            "b.png",
            "image/png",
            PNG,
        )
        .await;
    res.expect_problem(403, "forbidden");
    app.upload(Method::PUT, &format!("/api/v1/chats/{chat_id}/avatars/nope"), token, "b.png", "image/png", PNG)
        .await
        .expect(400);
    let res = app.delete(&format!("/api/v1/chats/{chat_id}/avatars/bot"), &owner.token).await;
    res.expect(200);
    assert!(res.body["settings"]["avatars"]["bot"].is_null());

    // Admins set anyone's picture; operators only their own.
    let path = format!("/api/v1/operators/{}/avatar", operator.operator_id);
    let res = app.upload(Method::PUT, &path, token, "op.png", "image/png", PNG).await;
    res.expect(200);
    assert!(res.body["avatar_url"].is_string());
    app.upload(Method::PUT, &path, Some(&operator.token), "op.png", "image/png", PNG).await.expect(200);
    let owner_path = format!("/api/v1/operators/{}/avatar", owner.operator_id);
    let res = app.upload(Method::PUT, &owner_path, Some(&operator.token), "x.png", "image/png", PNG).await;
    res.expect_problem(403, "forbidden");
    let stranger = app.signup("Other", "owner@other.test").await;
    let res = app.upload(Method::PUT, &path, Some(&stranger.token), "x.png", "image/png", PNG).await;
    res.expect_problem(404, "not_found");

    // The visitor's own picture reaches the operators' card and event log.
    let res =
        app.upload(Method::PUT, "/api/v1/widget/me/avatar", Some(&visitor.token), "me.jpg", "image/jpeg", JPEG).await;
    res.expect(200);
    let visitor_url = res.body["avatar_url"].as_str().expect("visitor avatar").to_string();
    let card = app.get(&format!("/api/v1/visitors/{}", visitor.id), &owner.token).await;
    assert_eq!(card.body["visitor"]["avatar_url"], visitor_url.as_str());
    let events = app.get("/api/v1/events?since=0&limit=500", &owner.token).await;
    assert!(
        events.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "visitor.updated" && e["data"]["visitor"]["avatar_url"] == visitor_url.as_str())
    );
    let res = app
        .upload(Method::PUT, "/api/v1/widget/me/avatar", Some(&visitor.token), "me.png", "image/png", b"<svg/>")
        .await;
    res.expect_problem(415, "unsupported_image_type");
    let res = app.request(Method::DELETE, "/api/v1/widget/me/avatar", Some(&visitor.token), None).await;
    res.expect(200);
    assert!(res.body["avatar_url"].is_null());
}
