//! Security headers on every kind of response, HSTS when configured, CORS only for the
//! configured origins of the operator API.

use crate::helpers::TestApp;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let owner = app.signup("Acme", "owner@acme.test").await;
    let paths = ["/healthz", "/api/v1/me", "/api/v1/nowhere", "/api/openapi.json", "/docs"];
    for path in paths {
        for token in [None, Some(owner.token.as_str())] {
            let mut req = app.client.get(app.url(path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            let h = res.headers();
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert!(h.get("strict-transport-security").is_none(), "{path}: HSTS only when configured");
            if path != "/docs" {
                assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{path}");
            }
        }
    }
    let res = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn hsts_is_sent_when_configured() {
    let app = TestApp::spawn_with(|c| c.hsts_max_age_secs = 31_536_000).await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
}

#[tokio::test]
async fn cors_answers_only_configured_origins_on_the_operator_api() {
    let app = TestApp::spawn_with(|c| c.cors_origins = vec!["https://app.example.com".into()]).await;
    let preflight = |origin: &'static str, path: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://app.example.com", "/api/v1/me").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    let refused = preflight("https://evil.example", "/api/v1/me").await.unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    // The widget runs on customers' sites: any origin.
    let widget = preflight("https://shop.example", "/api/v1/widget/me").await.unwrap();
    assert!(widget.headers().get("access-control-allow-origin").is_some());
}
