//! Problem bodies for what no handler answers: unknown routes (404) and known routes called
//! with another method (405, which actix answers with an empty body; ours lists the methods the
//! route takes in `Allow`, as RFC 9110 requires).

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, ResponseError};

use crate::error::{ApiError, PROBLEM_CONTENT_TYPE};

pub async fn route_not_found() -> HttpResponse {
    ApiError::route_not_found().error_response()
}

pub fn handlers<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().handler(StatusCode::METHOD_NOT_ALLOWED, method_not_allowed)
}

fn method_not_allowed<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes() == PROBLEM_CONTENT_TYPE.as_bytes());
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, _) = res.into_parts();
    let mut response = ApiError::method_not_allowed().error_response();
    let allowed = req.match_pattern().and_then(|p| allowed_methods().get(&p).cloned()).unwrap_or_else(|| "GET".into());
    if let Ok(value) = header::HeaderValue::from_str(&allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

/// Methods of each documented route pattern, from the spec (routes outside it take GET only).
fn allowed_methods() -> &'static HashMap<String, String> {
    static METHODS: OnceLock<HashMap<String, String>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let mut methods: HashMap<String, Vec<String>> = HashMap::new();
        for (method, path) in crate::api::openapi::operations() {
            methods.entry(path).or_default().push(method);
        }
        methods.into_iter().map(|(path, list)| (path, list.join(", "))).collect()
    })
}
