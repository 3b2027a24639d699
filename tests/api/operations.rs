//! Probes, request ids and graceful shutdown.

use std::time::Duration;

use crate::helpers::{Resp, TestApp};

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = Resp::from(app.client.get(app.url("/readyz")).send().await.unwrap()).await;
    res.expect(200);
    assert_eq!(res.body["status"], "ready");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(generated.len(), 36);
    // A header that could inject into logs is replaced.
    let res = app.client.get(app.url("/nowhere")).header("x-request-id", "a b\tc").send().await.unwrap();
    assert_ne!(res.headers()["x-request-id"], "a b\tc");
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    let mut app = TestApp::spawn().await;
    app.signup("Acme", "owner@acme.test").await;
    // A request whose body arrives in two parts: shutdown starts between them.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let request =
        app.client.post(app.url("/api/v1/auth/login")).header("content-type", "application/json").body(body).send();
    let in_flight = tokio::spawn(request);
    tx.send(Ok(br#"{"email":"owner@acme.test","#.to_vec())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopper = std::thread::spawn(move || {
        app.stop();
        app
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx.send(Ok(br#""password":"correct horse battery"}"#.to_vec())).await.unwrap();
    drop(tx);
    let res = in_flight.await.unwrap().unwrap();
    assert_eq!(res.status(), 200);
    let app = stopper.join().unwrap();
    // After shutdown nothing listens any more.
    assert!(reqwest::get(app.url("/healthz")).await.is_err());
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
