//! The committed spec matches the generated one, the server serves it, and every documented
//! operation is routed. Regenerate with: cargo run -q -- openapi > openapi/openapi.json

use reqwest::Method;

use crate::helpers::TestApp;

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[test]
fn committed_spec_matches_the_code() {
    let generated = livedesk::api::openapi::spec_json();
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"), generated).unwrap();
        return;
    }
    assert!(
        COMMITTED == generated,
        "openapi/openapi.json is stale; regenerate it with: cargo run -q -- openapi > openapi/openapi.json"
    );
}

#[test]
fn spec_is_openapi_3_1_with_security_and_problem_errors() {
    let spec = livedesk::api::openapi::spec();
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(spec["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for (method, path) in livedesk::api::openapi::operations() {
        let op = &spec["paths"][&path][method.to_lowercase()];
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.contains_key("500"), "{method} {path} documents no 500");
        let secured = op["security"].as_array().is_some_and(|s| s.iter().any(|r| !r.as_object().unwrap().is_empty()));
        if secured {
            assert!(responses.contains_key("401"), "{method} {path} documents no 401");
        }
        if op.get("requestBody").is_some() {
            for code in ["400", "413", "415", "422"] {
                assert!(responses.contains_key(code), "{method} {path} documents no {code}");
            }
        }
        assert!(op["operationId"].is_string() && op["tags"].is_array(), "{method} {path}");
    }
}

#[tokio::test]
async fn served_spec_equals_the_committed_file_and_docs_are_served() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), COMMITTED);
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("/api/openapi.json"));
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    for (method, path) in livedesk::api::openapi::operations() {
        let concrete = path.replace("{id}", "1");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let res = app.request(method.clone(), &concrete, None, None).await;
        assert!(
            res.body["code"] != "route_not_found" && res.body["code"] != "method_not_allowed",
            "{method} {path} is documented but not routed: {}",
            res.text
        );
        assert!(res.status < 500, "{method} {path} answered {}: {}", res.status, res.text);
    }
}
