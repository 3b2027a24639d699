//! CORS: the operator API answers browsers only from configured origins; the widget API, which
//! runs on customers' sites and authenticates with tokens (no cookies), answers any origin.

use actix_cors::Cors;

/// CORS for the operator API: only the configured origins (`*` allows any).
pub fn operator_api(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers(["authorization", "content-type", "x-request-id"])
        .expose_headers(["x-request-id", "retry-after"])
        .max_age(600);
    for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        cors = if origin == "*" { cors.allow_any_origin() } else { cors.allowed_origin(origin) };
    }
    cors
}

/// CORS for the widget API: any origin, no credentials.
pub fn widget_api() -> Cors {
    Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers(["authorization", "content-type", "x-request-id"])
        .expose_headers(["x-request-id", "retry-after"])
        .max_age(3600)
}
