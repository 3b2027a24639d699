//! Chats: settings with defaults, partial settings and merge patches, validation, search,
//! embed code, archiving and the admin-only rules.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_fields};

fn default_settings() -> Value {
    json!({
        "greeting": "Hi! How can we help you?",
        "collapsed_label": "Chat with us",
        "hide_collapsed_label": false,
        "position": "bottom_right",
        "default_sender_name": "Support",
        "colors": {
            "bot": "#6b7280",
            "operator": "#1a73e8",
            "visitor": "#f1f3f4",
            "buttons": "#1a73e8",
            "button_text": "#ffffff"
        },
        "avatars": {"chat": null, "bot": null, "operator": null, "visitor": null},
        "display_mode": "always",
        "show_powered_by": true,
        "reply_to_first_message": false,
        "first_message_reply": "Thanks for your message! An operator will answer shortly.",
        "knowledge_base_url": null,
        "messenger_links": [],
        "hidden_on_urls": [],
        "sla_first_response_secs": 60,
        "sla_next_response_secs": 120,
        "reopen_timeout_secs": 3600,
        "operator_idle_secs": 0,
        "auto_close_secs": 0,
        "assignment": "manual",
        "assignment_service": null,
        "queue": {
            "max_wait_secs": 600,
            "notify_interval_mins": 2,
            "notify_text": "You are number {position} in the queue. An operator will be with you soon."
        },
        "rating": {
            "enabled": true,
            "delay_secs": 0,
            "scale": 5,
            "text": "How would you rate this conversation?"
        },
        "offline": {
            "enabled": true,
            "text": "We are offline right now. Leave a message and we will get back to you.",
            "ask_for": "email"
        }
    })
}

#[tokio::test]
async fn a_new_chat_has_every_setting_at_its_default() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;

    let res = app.post("/api/v1/chats", &owner.token, json!({"name": "  Main website  "})).await;
    res.expect(201);
    assert_eq!(res.body["name"], "Main website");
    assert!(res.body["public_key"].as_str().unwrap().starts_with("pk_"), "{}", res.text);
    assert_eq!(res.body["archived"], false);
    assert!(res.body["archived_at"].is_null());
    assert_eq!(res.body["settings"]["rating"]["scale"], 5);
    assert_eq!(res.body["settings"]["reopen_timeout_secs"], 3600);
    assert_eq!(res.body["settings"], default_settings());

    // The stored chat reads back the same.
    let id = res.body["id"].as_i64().unwrap();
    let got = app.get(&format!("/api/v1/chats/{id}"), &owner.token).await;
    got.expect(200);
    assert_eq!(got.body, res.body);

    // Each chat gets its own public key.
    let other = app.create_chat(&owner, "Second", Value::Null).await;
    assert_ne!(other.public_key, res.body["public_key"].as_str().unwrap());
}

#[tokio::test]
async fn settings_change_as_a_json_merge_patch() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let defaults = default_settings();

    // Partial settings on create: named fields change, their siblings keep their defaults.
    let chat = app
        .create_chat(&owner, "Shop", json!({"rating": {"scale": 10}, "colors": {"bot": "#000"}, "greeting": "Hey"}))
        .await;
    let s = &chat.body["settings"];
    assert_eq!(s["rating"]["scale"], 10);
    assert_eq!(s["rating"]["text"], defaults["rating"]["text"]);
    assert_eq!(s["rating"]["enabled"], true);
    assert_eq!(s["colors"]["bot"], "#000");
    assert_eq!(s["colors"]["operator"], defaults["colors"]["operator"]);
    assert_eq!(s["greeting"], "Hey");
    assert_eq!(s["reopen_timeout_secs"], 3600);

    let path = format!("/api/v1/chats/{}", chat.id);
    // One nested field changes; everything else stays as it was.
    let res = app.patch(&path, &owner.token, json!({"settings": {"colors": {"operator": "rgb(0, 128, 255)"}}})).await;
    res.expect(200);
    let s = &res.body["settings"];
    assert_eq!(s["colors"]["operator"], "rgb(0, 128, 255)");
    assert_eq!(s["colors"]["bot"], "#000");
    assert_eq!(s["colors"]["visitor"], defaults["colors"]["visitor"]);
    assert_eq!(s["rating"]["scale"], 10);
    assert_eq!(s["greeting"], "Hey");
    assert_eq!(res.body["name"], "Shop");

    // null resets one field to its default...
    let res = app.patch(&path, &owner.token, json!({"settings": {"rating": {"scale": null}}})).await;
    res.expect(200);
    assert_eq!(res.body["settings"]["rating"]["scale"], 5);
    assert_eq!(res.body["settings"]["colors"]["bot"], "#000");
    // ...or a whole group.
    let res = app.patch(&path, &owner.token, json!({"settings": {"colors": null, "greeting": null}})).await;
    res.expect(200);
    assert_eq!(res.body["settings"]["colors"], defaults["colors"]);
    assert_eq!(res.body["settings"]["greeting"], defaults["greeting"]);

    // Optional settings can be set and cleared.
    let res =
        app.patch(&path, &owner.token, json!({"settings": {"knowledge_base_url": "https://kb.acme.test/"}})).await;
    res.expect(200);
    assert_eq!(res.body["settings"]["knowledge_base_url"], "https://kb.acme.test/");
    let res = app.patch(&path, &owner.token, json!({"settings": {"knowledge_base_url": null}})).await;
    res.expect(200);
    assert!(res.body["settings"]["knowledge_base_url"].is_null());

    // Lists replace as a whole.
    let links = json!([{"messenger": "telegram", "url": "https://t.me/acme"}]);
    let res = app
        .patch(
            &path,
            &owner.token,
            json!({"settings": {"messenger_links": links, "hidden_on_urls": ["https://acme.test/checkout"]}}),
        )
        .await;
    res.expect(200);
    assert_eq!(res.body["settings"]["messenger_links"], links);
    assert_eq!(res.body["settings"]["hidden_on_urls"], json!(["https://acme.test/checkout"]));

    // A rename leaves the settings alone; the boundaries of ranges are accepted.
    let before = res.body["settings"].clone();
    let res = app.patch(&path, &owner.token, json!({"name": "Shop (EU)"})).await;
    res.expect(200);
    assert_eq!(res.body["name"], "Shop (EU)");
    assert_eq!(res.body["settings"], before);
    let res = app
        .patch(
            &path,
            &owner.token,
            json!({"settings": {"reopen_timeout_secs": 0, "operator_idle_secs": 86400, "sla_first_response_secs": 1}}),
        )
        .await;
    res.expect(200);
    assert_eq!(res.body["settings"]["reopen_timeout_secs"], 0);
    assert_eq!(res.body["settings"]["operator_idle_secs"], 86400);

    // The change is stored.
    let got = app.get(&path, &owner.token).await;
    assert_eq!(got.body["settings"], res.body["settings"]);
}

#[tokio::test]
async fn invalid_settings_are_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let path = format!("/api/v1/chats/{}", chat.id);

    // Every colour notation the widget understands.
    for colour in [
        "#fff",
        "#FFFFFF",
        "#1a73e8cc",
        "rgb(0, 128, 255)",
        "rgba(0,0,0,0.5)",
        "hsl(210, 50%, 40%)",
        "hsla(210deg,50%,40%,0.3)",
    ] {
        let res = app.patch(&path, &owner.token, json!({"settings": {"colors": {"buttons": colour}}})).await;
        res.expect(200);
        assert_eq!(res.body["settings"]["colors"]["buttons"], colour);
    }

    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({"colors": {"bot": "red"}}), vec!["settings.colors.bot"]),
        (json!({"colors": {"operator": "#12345"}}), vec!["settings.colors.operator"]),
        (
            json!({"colors": {"visitor": "rgb(300,0,0)", "button_text": "hsl(10, 50, 40%)"}}),
            vec!["settings.colors.visitor", "settings.colors.button_text"],
        ),
        (json!({"rating": {"scale": 3}}), vec!["settings.rating.scale"]),
        (json!({"rating": {"scale": 0}}), vec!["settings.rating.scale"]),
        (json!({"reopen_timeout_secs": -1}), vec!["settings.reopen_timeout_secs"]),
        (json!({"reopen_timeout_secs": 2_592_001}), vec!["settings.reopen_timeout_secs"]),
        (json!({"sla_first_response_secs": 0}), vec!["settings.sla_first_response_secs"]),
        (json!({"sla_next_response_secs": 604_801}), vec!["settings.sla_next_response_secs"]),
        (json!({"operator_idle_secs": 86_401}), vec!["settings.operator_idle_secs"]),
        (json!({"queue": {"max_wait_secs": 86_401}}), vec!["settings.queue.max_wait_secs"]),
        (json!({"queue": {"notify_interval_mins": -5}}), vec!["settings.queue.notify_interval_mins"]),
        (json!({"rating": {"delay_secs": 100_000}}), vec!["settings.rating.delay_secs"]),
        (json!({"knowledge_base_url": "kb.acme.test"}), vec!["settings.knowledge_base_url"]),
        (json!({"greeting": "x".repeat(1001)}), vec!["settings.greeting"]),
        (
            json!({"messenger_links": [{"messenger": "telegram", "url": "not a url"}]}),
            vec!["settings.messenger_links.0.url"],
        ),
    ];
    for (settings, fields) in &cases {
        let res = app.patch(&path, &owner.token, json!({"settings": settings})).await;
        res.expect_problem(422, "validation_failed");
        let got = error_fields(&res.body);
        for field in fields {
            assert!(got.iter().any(|f| f == field), "{settings}: expected {field} in {got:?}");
        }
        // Creating a chat with the same settings fails the same way.
        let res = app.post("/api/v1/chats", &owner.token, json!({"name": "Bad", "settings": settings})).await;
        res.expect_problem(422, "validation_failed");
    }

    // Unknown keys (top level or nested), wrong types and a non-object are refused.
    for settings in [
        json!({"no_such_setting": 1}),
        json!({"rating": {"stars": 5}}),
        json!({"colors": {"background": "#fff"}}),
        json!({"rating": {"scale": "five"}}),
        json!({"position": "middle"}),
        json!({"reopen_timeout_secs": 1.5}),
        json!(5),
        json!("all"),
    ] {
        let res = app.patch(&path, &owner.token, json!({"settings": settings})).await;
        res.expect_problem(422, "validation_failed");
        assert!(error_fields(&res.body).iter().any(|f| f.starts_with("settings")), "{settings}: {}", res.text);
        app.post("/api/v1/chats", &owner.token, json!({"name": "Bad", "settings": settings}))
            .await
            .expect_problem(422, "validation_failed");
    }

    // Bad names.
    let res = app.post("/api/v1/chats", &owner.token, json!({"name": "   "})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["name"]);
    let res = app.post("/api/v1/chats", &owner.token, json!({"name": "x".repeat(101)})).await;
    res.expect_problem(422, "validation_failed");
    app.patch(&path, &owner.token, json!({"name": ""})).await.expect_problem(422, "validation_failed");

    // Nothing was created or changed by the refused requests (the scale 2 and 10 are fine).
    let list = app.get("/api/v1/chats", &owner.token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let got = app.get(&path, &owner.token).await;
    assert_eq!(got.body["name"], "Main");
    assert_eq!(got.body["settings"]["rating"]["scale"], 5);
    assert_eq!(got.body["settings"]["colors"]["bot"], "#6b7280");
    for scale in [2, 10] {
        let res = app.patch(&path, &owner.token, json!({"settings": {"rating": {"scale": scale}}})).await;
        res.expect(200);
        assert_eq!(res.body["settings"]["rating"]["scale"], scale);
    }
}

#[tokio::test]
async fn chats_are_listed_and_searched_by_name() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let main = app.create_chat(&owner, "Main Website", Value::Null).await;
    let portal = app.create_chat(&owner, "Support portal", Value::Null).await;
    let mobile = app.create_chat(&owner, "Mobile app", Value::Null).await;

    let all = app.get("/api/v1/chats", &owner.token).await;
    all.expect(200);
    assert_eq!(crate::helpers::ids(&all.body), vec![main.id, portal.id, mobile.id]);

    let found = app.get("/api/v1/chats?search=WEBSITE", &owner.token).await;
    assert_eq!(crate::helpers::ids(&found.body), vec![main.id]);
    let found = app.get("/api/v1/chats?search=port", &owner.token).await;
    assert_eq!(crate::helpers::ids(&found.body), vec![portal.id]);
    let found = app.get("/api/v1/chats?search=m", &owner.token).await;
    assert_eq!(crate::helpers::ids(&found.body), vec![main.id, mobile.id]);
    let found = app.get("/api/v1/chats?search=%25", &owner.token).await;
    assert!(crate::helpers::ids(&found.body).is_empty());
    let found = app.get("/api/v1/chats?search=nothing", &owner.token).await;
    assert!(crate::helpers::ids(&found.body).is_empty());

    // Pages of two.
    let first = app.get("/api/v1/chats?limit=2", &owner.token).await;
    assert_eq!(crate::helpers::ids(&first.body), vec![main.id, portal.id]);
    let walked = app.all_ids("/api/v1/chats?limit=2", &owner.token).await;
    assert_eq!(walked, vec![main.id, portal.id, mobile.id]);
}

#[tokio::test]
async fn the_embed_code_carries_the_public_key() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;

    let res = app.get(&format!("/api/v1/chats/{}/embed", chat.id), &bob.token).await;
    res.expect(200);
    assert_eq!(res.body["public_key"], chat.public_key.as_str());
    let html = res.body["html"].as_str().unwrap();
    assert!(html.contains(&chat.public_key), "{html}");
    assert!(html.contains("<script"), "{html}");
    let script_url = res.body["script_url"].as_str().unwrap();
    assert!(script_url.starts_with("http"), "{script_url}");
    app.get("/api/v1/chats/999999/embed", &owner.token).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn deleting_a_chat_archives_it_until_restored() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let kept = app.create_chat(&owner, "Kept", Value::Null).await;
    let visitor = app.start_visitor(&chat.public_key).await;
    let dialog_id = app.visitor_writes_dialog(&visitor, "Hello before the archive").await;
    let path = format!("/api/v1/chats/{}", chat.id);

    let res = app.delete(&path, &owner.token).await;
    res.expect(204);
    assert!(res.text.is_empty());

    // Still readable, marked archived, hidden from the default list.
    let got = app.get(&path, &owner.token).await;
    got.expect(200);
    assert_eq!(got.body["archived"], true);
    assert!(got.body["archived_at"].is_string());
    assert_eq!(crate::helpers::ids(&app.get("/api/v1/chats", &owner.token).await.body), vec![kept.id]);
    assert_eq!(
        crate::helpers::ids(&app.get("/api/v1/chats?include_archived=true", &owner.token).await.body),
        vec![chat.id, kept.id]
    );
    assert_eq!(
        crate::helpers::ids(&app.get("/api/v1/chats?include_archived=false", &owner.token).await.body),
        vec![kept.id]
    );

    // The widget cannot start sessions on it, nor write into it.
    app.post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key}))
        .await
        .expect_problem(404, "not_found");
    app.visitor_post(&visitor, "/api/v1/widget/messages", json!({"body": "Anyone?"}))
        .await
        .expect_problem(404, "not_found");
    app.visitor_get(&visitor, "/api/v1/widget/availability").await.expect_problem(404, "not_found");

    // Its dialogs stay.
    let dialog = app.dialog(&owner, dialog_id).await;
    assert_eq!(dialog["counts"]["messages"], 1);

    // Deleting again changes nothing.
    app.delete(&path, &owner.token).await.expect(204);
    let again = app.get(&path, &owner.token).await;
    assert_eq!(again.body["archived_at"], got.body["archived_at"]);

    // Restored: listed again, sessions work again.
    let res = app.patch(&path, &owner.token, json!({"archived": false})).await;
    res.expect(200);
    assert_eq!(res.body["archived"], false);
    assert!(res.body["archived_at"].is_null());
    assert_eq!(crate::helpers::ids(&app.get("/api/v1/chats", &owner.token).await.body), vec![chat.id, kept.id]);
    app.post_anon("/api/v1/widget/sessions", json!({"public_key": chat.public_key})).await.expect(201);
    let sent = app.visitor_writes(&visitor, "Back again").await;
    assert_eq!(sent["dialog"]["id"], dialog_id);

    // PATCH can archive too.
    let res = app.patch(&path, &owner.token, json!({"archived": true})).await;
    res.expect(200);
    assert_eq!(res.body["archived"], true);
    app.delete("/api/v1/chats/999999", &owner.token).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn operators_read_chats_but_only_admins_change_them() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let admin = app.add_operator(&owner, "admin@acme.test", "admin").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let chat = app.create_chat(&admin, "By the admin", Value::Null).await;
    let path = format!("/api/v1/chats/{}", chat.id);

    let list = app.get("/api/v1/chats", &bob.token).await;
    list.expect(200);
    assert_eq!(crate::helpers::ids(&list.body), vec![chat.id]);
    let got = app.get(&path, &bob.token).await;
    got.expect(200);
    assert_eq!(got.body["name"], "By the admin");

    app.post("/api/v1/chats", &bob.token, json!({"name": "Mine"})).await.expect_problem(403, "forbidden");
    app.patch(&path, &bob.token, json!({"name": "Renamed"})).await.expect_problem(403, "forbidden");
    app.patch(&path, &bob.token, json!({"settings": {"rating": {"scale": 10}}})).await.expect_problem(403, "forbidden");
    app.patch(&path, &bob.token, json!({"archived": true})).await.expect_problem(403, "forbidden");
    app.delete(&path, &bob.token).await.expect_problem(403, "forbidden");

    let after = app.get(&path, &owner.token).await;
    assert_eq!(after.body["name"], "By the admin");
    assert_eq!(after.body["archived"], false);
    assert_eq!(after.body["settings"]["rating"]["scale"], 5);
    assert_eq!(app.get("/api/v1/chats", &owner.token).await.body["items"].as_array().unwrap().len(), 1);

    // Without a token: 401.
    let res = app.request(reqwest::Method::GET, "/api/v1/chats", None, None).await;
    assert_eq!(res.status, 401, "{}", res.text);
}

#[tokio::test]
async fn chat_search_ignores_case_in_any_script() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let site = app.create_chat(&owner, "Сайт поддержки", Value::Null).await;
    app.create_chat(&owner, "Main", Value::Null).await;

    for search in ["Сайт", "сайт", "САЙТ", "ПОДДЕРЖ"] {
        let found =
            app.get(&format!("/api/v1/chats?search={}", crate::helpers::query_escape(search)), &owner.token).await;
        found.expect(200);
        assert_eq!(crate::helpers::ids(&found.body), vec![site.id], "search={search}");
    }
}

#[tokio::test]
async fn concurrent_settings_patches_keep_every_change() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Main", Value::Null).await;
    let path = format!("/api/v1/chats/{}", chat.id);

    // Each patch names a different setting; as merge patches, none may undo another.
    let patches = [
        json!({"greeting": "Hello there"}),
        json!({"collapsed_label": "Ask us"}),
        json!({"default_sender_name": "Acme bot"}),
        json!({"colors": {"bot": "#111111"}}),
        json!({"colors": {"operator": "#222222"}}),
        json!({"rating": {"scale": 10}}),
        json!({"reopen_timeout_secs": 120}),
        json!({"queue": {"max_wait_secs": 30}}),
    ];
    let answers =
        futures_util::future::join_all(patches.iter().map(|p| app.patch(&path, &owner.token, json!({"settings": p}))))
            .await;
    for a in &answers {
        a.expect(200);
    }

    let s = app.get(&path, &owner.token).await.body["settings"].clone();
    assert_eq!(s["greeting"], "Hello there", "{s}");
    assert_eq!(s["collapsed_label"], "Ask us", "{s}");
    assert_eq!(s["default_sender_name"], "Acme bot", "{s}");
    assert_eq!(s["colors"]["bot"], "#111111", "{s}");
    assert_eq!(s["colors"]["operator"], "#222222", "{s}");
    assert_eq!(s["rating"]["scale"], 10, "{s}");
    assert_eq!(s["reopen_timeout_secs"], 120, "{s}");
    assert_eq!(s["queue"]["max_wait_secs"], 30, "{s}");
}

#[tokio::test]
async fn an_archived_chat_takes_no_new_visitors_or_dialogs() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let chat = app.create_chat(&owner, "Old site", Value::Null).await;
    let contact = app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat.id, "name": "Known"})).await;
    contact.expect(201);
    let contact_id = contact.body["id"].as_i64().unwrap();
    app.delete(&format!("/api/v1/chats/{}", chat.id), &owner.token).await.expect(204);

    // Visitors writing in: refused, as on the widget.
    app.post(&format!("/api/v1/visitors/{contact_id}/messages"), &owner.token, json!({"body": "Hello?"}))
        .await
        .expect_problem(404, "not_found");
    // POST /dialogs names the visitor in its body: their archived chat is a field error.
    let res = app.post("/api/v1/dialogs", &owner.token, json!({"visitor_id": contact_id, "body": "Inbound"})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["visitor_id"]);
    // No new dialog by an operator either: the same request as above with the other opener.
    let res = app
        .post(
            "/api/v1/dialogs",
            &owner.token,
            json!({"visitor_id": contact_id, "from": "operator", "body": "Outreach"}),
        )
        .await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["code"], "chat_archived", "{}", res.text);
    // No new visitors through the API: an archived chat is like a missing one.
    let res = app.post("/api/v1/visitors", &owner.token, json!({"chat_id": chat.id, "name": "New"})).await;
    res.expect_problem(422, "validation_failed");
    assert_eq!(error_fields(&res.body), vec!["chat_id"]);

    assert!(crate::helpers::ids(&app.get("/api/v1/dialogs", &owner.token).await.body).is_empty());
    assert_eq!(crate::helpers::ids(&app.get("/api/v1/visitors", &owner.token).await.body), vec![contact_id]);
}
