//! One error type for the whole API, rendered as `application/problem+json` (RFC 9457) with a
//! stable machine-readable `code`. Internal causes are logged, never sent.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// A problem detail body (RFC 9457) with livedesk's stable `code`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// URI naming the problem type: `urn:livedesk:problem:<code>`.
    #[schema(example = "urn:livedesk:problem:validation_failed")]
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short human-readable summary of the status.
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    /// HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[schema(example = "the request body has invalid fields")]
    pub detail: String,
    /// Stable machine-readable error code.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// Per-field problems, present for validation failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// Field name, dotted for nested fields.
    #[schema(example = "email")]
    pub field: String,
    /// Stable code for the kind of problem.
    #[schema(example = "invalid_format")]
    pub code: String,
    /// Human-readable explanation.
    #[schema(example = "must be a valid email address")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into(), message: message.into() }
    }
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    /// Logged when the response is rendered; never part of the body.
    internal: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), errors: Vec::new(), retry_after: None, internal: None }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn forbidden_code(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// A resource that does not exist or belongs to another workspace: the two are
    /// indistinguishable on purpose.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut err =
            Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "the request has invalid fields");
        err.errors = errors;
        err
    }

    pub fn invalid_field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    pub fn too_many_requests(retry_after_secs: u64, detail: impl Into<String>) -> Self {
        let mut err = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail);
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    /// 503 with `Retry-After`: the database cannot be reached right now.
    pub fn database_unavailable(cause: impl Into<String>) -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unavailable; retry shortly",
        );
        err.retry_after = Some(2);
        err.internal = Some(cause.into());
        err
    }

    /// 500 whose cause is logged; the body says nothing internal.
    pub fn internal(cause: impl fmt::Display) -> Self {
        let mut err = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "an unexpected error occurred");
        err.internal = Some(cause.to_string());
        err
    }

    pub fn route_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "route_not_found", "no such endpoint")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this endpoint does not accept that HTTP method",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:livedesk:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            errors: self.errors.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.internal
            && self.status.is_server_error()
        {
            tracing::error!(code = self.code, cause = %cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE)));
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => Self::not_found("resource"),
            // Reached only when a concurrent request won a race a prior check could not see.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict("already_exists", "a resource with the same unique value already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::database_unavailable(info.message().to_string())
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                let mut e =
                    Self::new(StatusCode::SERVICE_UNAVAILABLE, "database_busy", "the database is busy; retry shortly");
                e.retry_after = Some(1);
                e.internal = Some(info.message().to_string());
                e
            }
            Error::DatabaseError(_, ref info) if is_connection_failure(info.message()) => {
                Self::database_unavailable(info.message().to_string())
            }
            other => Self::internal(format!("database error: {other}")),
        }
    }
}

/// libpq reports a lost server as a generic error; recognise it so it answers 503, not 500.
fn is_connection_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("server closed the connection")
        || m.contains("connection refused")
        || m.contains("no connection to the server")
        || m.contains("terminating connection")
        || m.contains("could not connect")
        || m.contains("database is locked")
}

/// Extractor error handlers: malformed input gets a problem body with the right status.
pub mod extractors {
    use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
    use actix_web::{HttpRequest, web};

    use super::*;

    pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
        let api = match &err {
            JsonPayloadError::ContentType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be sent as Content-Type: application/json",
            ),
            JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the request body is larger than {limit} bytes"),
                )
            }
            JsonPayloadError::Deserialize(e) if e.is_data() => {
                ApiError::validation(vec![FieldError::new("body", "invalid_value", e.to_string())])
            }
            JsonPayloadError::Deserialize(e) => {
                ApiError::bad_request("invalid_json", format!("the request body is not valid JSON: {e}"))
            }
            JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
            }
            _ => ApiError::bad_request("invalid_body", "the request body could not be read"),
        };
        api.into()
    }

    pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
        ApiError::bad_request("invalid_query", format!("invalid query parameters: {err}")).into()
    }

    pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
        ApiError::bad_request("invalid_path", format!("invalid path parameter: {err}")).into()
    }

    pub fn json_config(limit: usize) -> web::JsonConfig {
        web::JsonConfig::default().limit(limit).error_handler(json_error)
    }

    pub fn query_config() -> web::QueryConfig {
        web::QueryConfig::default().error_handler(query_error)
    }

    pub fn path_config() -> web::PathConfig {
        web::PathConfig::default().error_handler(path_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_say_nothing_internal() {
        let err = ApiError::internal("connection to 10.0.0.5 failed: password authentication failed for user x");
        let body = serde_json::to_string(&err.problem()).unwrap();
        assert!(!body.contains("10.0.0.5") && !body.contains("password"), "{body}");
        assert_eq!(err.problem().code, "internal_error");
        let unavailable = ApiError::database_unavailable("pool timed out at db.internal:5432");
        let response = unavailable.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "2");
        assert!(!serde_json::to_string(&unavailable.problem()).unwrap().contains("db.internal"));
    }
}
