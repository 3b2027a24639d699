//! What the spec's types say but serde and the databases do not check:
//! - every JSON request body is an object (or, where the body is optional, `null`); serde would
//!   also build a struct from an array (`[null, null]`);
//! - no text carries a NUL character, which PostgreSQL cannot store (it would answer 500).
//!
//! Such requests get 400/422 before any handler runs.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};
use futures_util::StreamExt;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if req.query_string().to_ascii_lowercase().contains("%00") {
        let err = ApiError::bad_request("invalid_query", "query parameters must not contain NUL characters");
        return Ok(req.into_response(err.error_response()).map_into_right_body());
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")));
    let has_body = matches!(*req.method(), Method::POST | Method::PATCH | Method::PUT);
    if !is_json || !has_body {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let limit = req.app_data::<web::Data<AppState>>().map(|s| s.config.body_limit as usize).unwrap_or(1 << 20);
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > limit {
            let err = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request body is larger than {limit} bytes"),
            );
            return Ok(req.into_response(err.error_response()).map_into_right_body());
        }
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if matches!(first, Some(b'[') | Some(b'"') | Some(b't') | Some(b'f') | Some(b'-') | Some(b'0'..=b'9')) {
        let err = ApiError::validation(vec![FieldError::new("body", "invalid_type", "the body must be a JSON object")]);
        return Ok(req.into_response(err.error_response()).map_into_right_body());
    }
    if has_escaped_nul(&body) {
        let err = ApiError::validation(vec![FieldError::new(
            "body",
            "invalid_value",
            "text must not contain NUL characters",
        )]);
        return Ok(req.into_response(err.error_response()).map_into_right_body());
    }
    req.set_payload(Payload::from(body.freeze()));
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// Whether a JSON text holds the escape `\u0000` (a raw NUL is invalid JSON anyway); an
/// escaped backslash before `u0000` is literal text, not the escape.
fn has_escaped_nul(json: &[u8]) -> bool {
    json.windows(5).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(b"u0000") && json[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 1
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_only_real_nul_escapes() {
        assert!(super::has_escaped_nul(br#"{"a":"x\u0000"}"#));
        assert!(super::has_escaped_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!super::has_escaped_nul(br#"{"a":"\\u0000"}"#));
        assert!(!super::has_escaped_nul(br#"{"a":"u0000"}"#));
    }
}
