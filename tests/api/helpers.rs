//! `TestApp`: a real livedesk server on 127.0.0.1 with its own database (a temporary SQLite
//! file, or a fresh PostgreSQL schema when `TEST_DATABASE_URL` is set), plus typed helpers for
//! HTTP clients.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use livedesk::config::Config;
use reqwest::Method;
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

/// An isolated database for one test.
pub struct TestDb {
    pub url: String,
    pub dir: PathBuf,
    /// PostgreSQL: the admin URL and the schema to drop at the end.
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("livedesk-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut conn = diesel::PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
                conn.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create schema");
                let sep = if admin_url.contains('?') { '&' } else { '?' };
                let url = format!("{admin_url}{sep}options=-csearch_path%3D{schema}");
                TestDb { url, dir, pg: Some((admin_url, schema)) }
            }
            None => {
                let url = format!("sqlite://{}", dir.join("livedesk.db").display());
                TestDb { url, dir, pg: None }
            }
        }
    }

    /// The same database for a second node: dropping it leaves the database alone.
    pub fn shared(other: &TestDb) -> TestDb {
        let dir = other.dir.join(format!("node-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("node dir");
        TestDb { url: other.url.clone(), dir, pg: None }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, schema)) = &self.pg
            && let Ok(mut conn) = diesel::PgConnection::establish(admin_url)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    handle: Option<actix_web::dev::ServerHandle>,
    thread: Option<JoinHandle<()>>,
    // Dropped last: the server must be gone before its schema is.
    pub db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server whose configuration `adjust` may change first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(TestDb::new(), adjust).await
    }

    /// Like [`TestApp::spawn_with`], on a given database.
    pub async fn spawn_on(db: TestDb, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_data_dir(db.dir.clone(), Some(db.url.clone()));
        config.workers = Some(2);
        config.db_pool_size = 4;
        config.log_level = "warn".into();
        // Scenarios send many requests from one address; the rate-limit tests switch them on.
        config.limits.enabled = false;
        adjust(&mut config);
        Self::start(db, config)
    }

    /// Stops this server and starts a new one on the same database and data folder (same
    /// signing key, so sessions stay valid), with the defaults of [`TestApp::spawn_on`] and
    /// `adjust`. Keep `self` until the end: it owns the database.
    pub fn restart_with(&mut self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        self.stop();
        let db = TestDb::shared(&self.db);
        let mut config = Config::for_data_dir(self.db.dir.clone(), Some(db.url.clone()));
        config.workers = Some(2);
        config.db_pool_size = 4;
        config.log_level = "warn".into();
        config.limits.enabled = false;
        adjust(&mut config);
        Self::start(db, config)
    }

    /// Starts a server on an existing database (a second node, or a restart).
    pub fn start(db: TestDb, config: Config) -> Self {
        livedesk::telemetry::init(&std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()), config.log_format);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let (tx, rx) = mpsc::channel();
        let server_config = config;
        // Each server gets its own thread and actix system, so stopping it never depends on
        // the test's runtime being polled.
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let state = match livedesk::app::build_state(server_config).await {
                    Ok(state) => state,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                match livedesk::app::start(state, listener) {
                    Ok(running) => {
                        let _ = tx.send(Ok((running.addr, running.handle.clone())));
                        let _ = running.server.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            })
        });
        let (addr, handle) = rx.recv().expect("server thread").expect("server starts");
        TestApp {
            addr,
            client: reqwest::Client::builder().build().expect("client"),
            handle: Some(handle),
            thread: Some(thread),
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Resp::from(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    pub async fn post_anon(&self, path: &str, body: Value) -> Resp {
        self.request(Method::POST, path, None, Some(body)).await
    }

    /// Signs up a new workspace; returns its super admin's session.
    pub async fn signup(&self, workspace: &str, email: &str) -> Session {
        let res = self
            .post_anon(
                "/api/v1/auth/signup",
                json!({"workspace_name": workspace, "email": email, "password": PASSWORD, "display_name": "Owner"}),
            )
            .await;
        res.expect(201);
        Session::from_grant(&res.body)
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.post_anon("/api/v1/auth/login", json!({"email": email, "password": password})).await
    }

    /// Invites an operator with `role`, lets them set the standard password; returns their session.
    pub async fn add_operator(&self, admin: &Session, email: &str, role: &str) -> Session {
        let res = self
            .post(
                "/api/v1/operators",
                &admin.token,
                json!({"email": email, "display_name": email.split('@').next().unwrap(), "role": role}),
            )
            .await;
        res.expect(201);
        let token = res.body["invite"]["token"].as_str().unwrap().to_string();
        let res = self.post_anon("/api/v1/auth/set-password", json!({"token": token, "password": PASSWORD})).await;
        res.expect(200);
        Session::from_grant(&res.body)
    }

    /// Stops the server (in-flight requests finish) and waits for it.
    pub fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            futures_executor(handle.stop(true));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Drives a future to completion from synchronous code, even inside a test's runtime.
fn futures_executor<F: std::future::Future + Send>(f: F) -> F::Output
where
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f))
            .join()
            .unwrap()
    })
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A signed-in operator.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub refresh: String,
    pub operator_id: i64,
    pub workspace_id: i64,
}

impl Session {
    pub fn from_grant(body: &Value) -> Self {
        Session {
            token: body["access_token"].as_str().expect("access_token").to_string(),
            refresh: body["refresh_token"].as_str().expect("refresh_token").to_string(),
            operator_id: body["operator"]["id"].as_i64().expect("operator id"),
            workspace_id: body["workspace"]["id"].as_i64().expect("workspace id"),
        }
    }
}

/// A response with its body parsed as JSON (Null when empty or not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub async fn from(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        self
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn expect_problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        let content_type = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(content_type, "application/problem+json", "content type; body: {}", self.text);
        assert_eq!(self.body["code"], code, "problem code; body: {}", self.text);
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string() && self.body["detail"].is_string() && self.body["type"].is_string());
        self
    }
}

/// A chat created by a test.
#[derive(Debug, Clone)]
pub struct Chat {
    pub id: i64,
    pub public_key: String,
    /// The whole answer to the create request.
    pub body: Value,
}

/// A widget visitor: their id and the token the widget sends as `Bearer`.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub id: i64,
    pub token: String,
}

impl TestApp {
    /// Creates a chat (the session must be an admin); `settings` is the partial settings object,
    /// or `Value::Null` for all defaults.
    pub async fn create_chat(&self, admin: &Session, name: &str, settings: Value) -> Chat {
        let body = if settings.is_null() { json!({"name": name}) } else { json!({"name": name, "settings": settings}) };
        let res = self.post("/api/v1/chats", &admin.token, body).await;
        res.expect(201);
        Chat {
            id: res.body["id"].as_i64().expect("chat id"),
            public_key: res.body["public_key"].as_str().expect("public key").to_string(),
            body: res.body.clone(),
        }
    }

    /// Starts a new widget session for the chat's public key.
    pub async fn start_visitor(&self, public_key: &str) -> Visitor {
        let res = self.post_anon("/api/v1/widget/sessions", json!({"public_key": public_key})).await;
        res.expect(201);
        Visitor {
            id: res.body["visitor"]["id"].as_i64().expect("visitor id"),
            token: res.body["visitor_token"].as_str().expect("visitor token").to_string(),
        }
    }

    pub async fn visitor_get(&self, visitor: &Visitor, path: &str) -> Resp {
        self.get(path, &visitor.token).await
    }

    pub async fn visitor_post(&self, visitor: &Visitor, path: &str, body: Value) -> Resp {
        self.post(path, &visitor.token, body).await
    }

    pub async fn visitor_patch(&self, visitor: &Visitor, path: &str, body: Value) -> Resp {
        self.patch(path, &visitor.token, body).await
    }

    /// The visitor writes through the widget; returns the answer (`message` and `dialog`).
    pub async fn visitor_writes(&self, visitor: &Visitor, body: &str) -> Value {
        let res = self.visitor_post(visitor, "/api/v1/widget/messages", json!({"body": body})).await;
        res.expect(201);
        res.body.clone()
    }

    /// The visitor writes; returns the id of the dialog the message went to.
    pub async fn visitor_writes_dialog(&self, visitor: &Visitor, body: &str) -> i64 {
        self.visitor_writes(visitor, body).await["dialog"]["id"].as_i64().expect("dialog id")
    }

    /// An operator replies to a dialog; returns the answer (`message` and `dialog`).
    pub async fn reply(&self, operator: &Session, dialog_id: i64, body: &str) -> Value {
        let res =
            self.post(&format!("/api/v1/dialogs/{dialog_id}/messages"), &operator.token, json!({"body": body})).await;
        res.expect(201);
        res.body.clone()
    }

    /// The dialog as operators see it.
    pub async fn dialog(&self, operator: &Session, dialog_id: i64) -> Value {
        let res = self.get(&format!("/api/v1/dialogs/{dialog_id}"), &operator.token).await;
        res.expect(200);
        res.body.clone()
    }

    /// Every item of a paginated list, following `next_cursor` to the end.
    pub async fn all_items(&self, path: &str, token: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{sep}cursor={c}"),
                None => path.to_string(),
            };
            let page = self.get(&url, token).await;
            page.expect(200);
            items.extend(page.body["items"].as_array().expect("items").iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return items,
            }
        }
    }

    /// The ids of every item of a paginated list.
    pub async fn all_ids(&self, path: &str, token: &str) -> Vec<i64> {
        self.all_items(path, token).await.iter().map(|i| i["id"].as_i64().expect("id")).collect()
    }
}

/// The ids of a list answer's `items`.
pub fn ids(body: &Value) -> Vec<i64> {
    body["items"].as_array().expect("items").iter().map(|i| i["id"].as_i64().expect("id")).collect()
}

/// The `field`s of a validation problem's `errors`.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Percent-encodes a query parameter value.
pub fn query_escape(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `multipart/form-data` body with one `file` part; returns the `Content-Type` and the body.
pub fn multipart_file(file_name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "livedesk-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A 1x1 PNG picture.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

impl TestApp {
    /// Sends `bytes` as the `file` part of a multipart form.
    pub async fn upload(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Resp {
        let (form_type, body) = multipart_file(file_name, content_type, bytes);
        let mut req = self.client.request(method, self.url(path)).header("content-type", form_type).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Resp::from(req.send().await.expect("request sent")).await
    }

    /// Downloads `path`: status, headers and the raw bytes.
    pub async fn download(&self, path: &str, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request sent");
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        (status, headers, res.bytes().await.expect("body").to_vec())
    }
}
