//! HTTP metrics: a middleware counting every request by route pattern (never the concrete path,
//! so ids do not multiply series) and status, and `GET /metrics` behind its bearer token.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::auth::extract::bearer_token;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_string());
        metrics.record_request(&method, &route, res.status().as_u16(), started.elapsed().as_secs_f64());
    }
    Ok(res)
}

/// `GET /metrics`: Prometheus text format. Off (404) unless `LIVEDESK_METRICS_TOKEN` is set;
/// then the scraper sends it as a Bearer token.
pub async fn endpoint(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let Some(expected) = &state.config.metrics_token else {
        return Err(ApiError::route_not_found());
    };
    let given = bearer_token(&req)?;
    // Compare digests so the comparison time says nothing about the token.
    if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
        return Err(ApiError::unauthorized("invalid_token", "the metrics token is not valid"));
    }
    let body = state.metrics.render(&state.db, &state.writer, &state.realtime.hub);
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body))
}
