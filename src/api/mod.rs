//! HTTP handlers, one module per resource, and the route table. Handlers only translate
//! between HTTP and the domain layer.

pub mod api_keys;
pub mod auth;
pub mod docs;
pub mod health;
pub mod me;
pub mod openapi;
pub mod operators;
pub mod views;

use actix_web::web;

/// Every route. Each path is one `resource` holding all its methods, so a wrong method on a
/// known path answers 405 rather than 404.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(health::healthz))
        .service(web::resource("/readyz").get(health::readyz))
        .service(web::resource("/api/openapi.json").get(docs::openapi_json))
        .service(web::resource("/docs").get(docs::docs_page));
}

/// The operator API under `/api/v1`.
pub fn v1_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/signup").post(auth::signup))
        .service(web::resource("/auth/login").post(auth::login))
        .service(web::resource("/auth/refresh").post(auth::refresh))
        .service(web::resource("/auth/logout").post(auth::logout))
        .service(web::resource("/auth/set-password").post(auth::set_password))
        .service(web::resource("/me").get(me::get_me).patch(me::update_me))
        .service(web::resource("/me/password").post(me::change_password))
        .service(web::resource("/operators").get(operators::list).post(operators::invite))
        .service(
            web::resource("/operators/{id}").get(operators::get).patch(operators::update).delete(operators::remove),
        )
        .service(web::resource("/operators/{id}/password-link").post(operators::password_link))
        .service(web::resource("/api-keys").get(api_keys::list).post(api_keys::create))
        .service(web::resource("/api-keys/{id}").delete(api_keys::revoke));
}
