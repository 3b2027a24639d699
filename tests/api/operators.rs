//! The role rules for managing operators.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn operators_manage_only_their_own_profile() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    let carol = app.add_operator(&owner, "carol@acme.test", "operator").await;

    // Everyone can see the team.
    let list = app.get("/api/v1/operators", &bob.token).await;
    list.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 3);

    // Own profile: yes. Someone else's, or admin fields: no.
    let me = app.patch("/api/v1/me", &bob.token, json!({"display_name": "Bobby", "internal_name": "Bob K."})).await;
    me.expect(200);
    assert_eq!(me.body["display_name"], "Bobby");
    let own = format!("/api/v1/operators/{}", bob.operator_id);
    app.patch(&own, &bob.token, json!({"avatar_url": "https://cdn.test/b.png"})).await.expect(200);
    app.patch(&own, &bob.token, json!({"role": "admin"})).await.expect_problem(403, "forbidden");
    app.patch(&own, &bob.token, json!({"active": false})).await.expect_problem(403, "forbidden");
    let other = format!("/api/v1/operators/{}", carol.operator_id);
    app.patch(&other, &bob.token, json!({"display_name": "X"})).await.expect_problem(403, "forbidden");
    app.delete(&other, &bob.token).await.expect_problem(403, "forbidden");
    app.post("/api/v1/operators", &bob.token, json!({"email": "d@acme.test", "display_name": "D"}))
        .await
        .expect_problem(403, "forbidden");
    app.post(&format!("{other}/password-link"), &bob.token, json!({})).await.expect_problem(403, "forbidden");

    // null clears a nullable field.
    let cleared = app.patch("/api/v1/me", &bob.token, json!({"internal_name": null})).await;
    cleared.expect(200);
    assert!(cleared.body["internal_name"].is_null());
    assert_eq!(cleared.body["display_name"], "Bobby");
}

#[tokio::test]
async fn admins_manage_operators_but_not_super_admins() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let admin = app.add_operator(&owner, "admin@acme.test", "admin").await;
    let bob = app.add_operator(&admin, "bob@acme.test", "operator").await;

    let bob_path = format!("/api/v1/operators/{}", bob.operator_id);
    let promoted = app.patch(&bob_path, &admin.token, json!({"role": "admin"})).await;
    promoted.expect(200);
    assert_eq!(promoted.body["role"], "admin");
    app.patch(&bob_path, &admin.token, json!({"role": "operator", "display_name": "Bob"})).await.expect(200);

    // Admins cannot create, promote to, change or remove a super admin.
    app.post(
        "/api/v1/operators",
        &admin.token,
        json!({"email": "sa@acme.test", "display_name": "SA", "role": "super_admin"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.patch(&bob_path, &admin.token, json!({"role": "super_admin"})).await.expect_problem(403, "forbidden");
    let owner_path = format!("/api/v1/operators/{}", owner.operator_id);
    app.patch(&owner_path, &admin.token, json!({"role": "operator"})).await.expect_problem(403, "forbidden");
    app.patch(&owner_path, &admin.token, json!({"active": false})).await.expect_problem(403, "forbidden");
    app.delete(&owner_path, &admin.token).await.expect_problem(403, "forbidden");

    // Admins can remove operators; the email becomes free again.
    app.delete(&bob_path, &admin.token).await.expect(204);
    app.get(&bob_path, &admin.token).await.expect_problem(404, "not_found");
    app.get("/api/v1/me", &bob.token).await.expect_problem(401, "token_revoked");
    app.post("/api/v1/operators", &admin.token, json!({"email": "BOB@acme.test", "display_name": "Bob 2"}))
        .await
        .expect(201);

    // A super admin can create another super admin.
    app.post(
        "/api/v1/operators",
        &owner.token,
        json!({"email": "sa2@acme.test", "display_name": "SA2", "role": "super_admin"}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn the_last_super_admin_stays() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let owner_path = format!("/api/v1/operators/{}", owner.operator_id);
    app.patch(&owner_path, &owner.token, json!({"role": "admin"})).await.expect_problem(409, "last_super_admin");
    app.patch(&owner_path, &owner.token, json!({"active": false})).await.expect_problem(409, "last_super_admin");
    app.delete(&owner_path, &owner.token).await.expect_problem(409, "last_super_admin");

    // With a second super admin, the first may step down.
    let second = app.add_operator(&owner, "second@acme.test", "super_admin").await;
    app.patch(&owner_path, &owner.token, json!({"role": "admin"})).await.expect(200);
    let second_path = format!("/api/v1/operators/{}", second.operator_id);
    app.patch(&second_path, &second.token, json!({"role": "admin"})).await.expect_problem(409, "last_super_admin");
    app.delete(&second_path, &second.token).await.expect_problem(409, "last_super_admin");
}

#[tokio::test]
async fn two_super_admins_demoting_each_other_at_once_leave_one() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let second = app.add_operator(&owner, "second@acme.test", "super_admin").await;
    let (second_path, owner_path) =
        (format!("/api/v1/operators/{}", second.operator_id), format!("/api/v1/operators/{}", owner.operator_id));
    let a = app.patch(&second_path, &owner.token, json!({"role": "admin"}));
    let b = app.patch(&owner_path, &second.token, json!({"role": "admin"}));
    let (a, b) = tokio::join!(a, b);
    let mut statuses = [a.status, b.status];
    statuses.sort();
    // One wins; the other either finds no super admin left to spare (409) or, having lost the
    // super admin role meanwhile, is no longer allowed to act on one (403).
    assert_eq!(statuses[0], 200, "{} / {}", a.text, b.text);
    assert!(statuses[1] == 409 || statuses[1] == 403, "{} / {}", a.text, b.text);
    let list = app.get("/api/v1/operators?role=super_admin", &owner.token).await;
    let remaining = list.body["items"].as_array().map(|v| v.len()).unwrap_or(0);
    let list2 = app.get("/api/v1/operators?role=super_admin", &second.token).await;
    let remaining2 = list2.body["items"].as_array().map(|v| v.len()).unwrap_or(0);
    assert_eq!(remaining.max(remaining2), 1);
}

#[tokio::test]
async fn emails_are_unique_per_workspace_case_insensitively() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    app.post("/api/v1/operators", &owner.token, json!({"email": "Dup@acme.test", "display_name": "D"}))
        .await
        .expect(201);
    app.post("/api/v1/operators", &owner.token, json!({"email": "dup@ACME.test", "display_name": "D"}))
        .await
        .expect_problem(409, "email_taken");
    let bob = app.add_operator(&owner, "bob@acme.test", "operator").await;
    app.patch("/api/v1/me", &bob.token, json!({"email": "DUP@acme.test"})).await.expect_problem(409, "email_taken");

    // Another workspace may use the same email.
    let other = app.signup("Other", "owner2@other.test").await;
    app.post("/api/v1/operators", &other.token, json!({"email": "dup@acme.test", "display_name": "D"}))
        .await
        .expect(201);
}

#[tokio::test]
async fn list_filters_and_pages() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    for i in 0..5 {
        app.post(
            "/api/v1/operators",
            &owner.token,
            json!({"email": format!("op{i}@acme.test"), "display_name": format!("Operator {i}"), "internal_name": if i == 3 { "Night shift" } else { "Day" }}),
        )
        .await
        .expect(201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/operators?limit=2&cursor={c}"),
            None => "/api/v1/operators?limit=2".to_string(),
        };
        let page = app.get(&path, &owner.token).await;
        page.expect(200);
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["id"].as_i64().unwrap());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    let found = app.get("/api/v1/operators?search=NIGHT", &owner.token).await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(found.body["items"][0]["email"], "op3@acme.test");
    let invited = app.get("/api/v1/operators?role=operator", &owner.token).await;
    assert_eq!(invited.body["items"].as_array().unwrap().len(), 5);
    let percent = app.get("/api/v1/operators?search=%25", &owner.token).await;
    assert_eq!(percent.body["items"].as_array().unwrap().len(), 0);
    app.get("/api/v1/operators?limit=0", &owner.token).await.expect_problem(400, "invalid_query");
    app.get("/api/v1/operators?limit=500", &owner.token).await.expect_problem(400, "invalid_query");
    app.get("/api/v1/operators?cursor=***", &owner.token).await.expect_problem(400, "invalid_cursor");
    app.get("/api/v1/operators?role=king", &owner.token).await.expect_problem(400, "invalid_query");
}
