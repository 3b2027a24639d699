//! The spec at `/api/openapi.json` and human-readable docs at `/docs`.

use actix_web::{HttpResponse, http::header};

use super::openapi;

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, "application/json")).body(openapi::spec_json())
}

pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(DOCS_HTML)
}

/// Scalar's API reference, reading the spec from `/api/openapi.json`.
const DOCS_HTML: &str = r#"<!doctype html>
<html>
<head>
  <title>livedesk API</title>
  <meta charset="utf-8"/>
  <meta name="viewport" content="width=device-width, initial-scale=1"/>
</head>
<body>
  <script id="api-reference" data-url="/api/openapi.json"></script>
  <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script>
</body>
</html>"#;
