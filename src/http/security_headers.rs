//! Security headers on every response. The API serves JSON only, so it forbids framing and
//! every kind of embedded content; `/docs` (an HTML page loading its renderer) gets only the
//! headers that do not block its script.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::state::AppState;

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let hsts = req.app_data::<web::Data<AppState>>().map(|s| s.config.hsts_max_age_secs).unwrap_or(0);
    let is_docs = req.path() == "/docs";
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let mut set = |name: HeaderName, value: HeaderValue| {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    set(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_docs {
        set(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(API_CSP));
    }
    if hsts > 0
        && let Ok(value) = HeaderValue::from_str(&format!("max-age={hsts}; includeSubDomains"))
    {
        set(header::STRICT_TRANSPORT_SECURITY, value);
    }
    Ok(res)
}
