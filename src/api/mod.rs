//! HTTP handlers, one module per resource, and the route table. Handlers only translate
//! between HTTP and the domain layer.

pub mod api_keys;
pub mod auth;
pub mod auto_replies;
pub mod billing;
pub mod chats;
pub mod dialogs;
pub mod docs;
pub mod exports;
pub mod files;
pub mod health;
pub mod me;
pub mod openapi;
pub mod operators;
pub mod optional_json;
pub mod patch;
pub mod ratings;
pub mod realtime;
pub mod saved_replies;
pub mod stats;
pub mod tags;
pub mod visitors;
pub mod webhooks;
pub mod widget;

use actix_web::web;

/// Every route. Each path is one `resource` holding all its methods, so a wrong method on a
/// known path answers 405 rather than 404.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(health::healthz))
        .service(web::resource("/readyz").get(health::readyz))
        .service(web::resource("/api/openapi.json").get(docs::openapi_json))
        .service(web::resource("/docs").get(docs::docs_page))
        .service(web::resource("/metrics").get(crate::http::metrics::endpoint));
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
        .service(web::resource("/me/avatar").put(files::put_my_avatar).delete(files::delete_my_avatar))
        .service(web::resource("/files").post(files::upload))
        .service(web::resource("/files/{id}").get(files::download))
        .service(web::resource("/avatars/{id}").get(files::avatar))
        .service(web::resource("/me/presence").put(realtime::set_presence))
        .service(web::resource("/me/notifications").get(realtime::list_notifications))
        .service(web::resource("/me/notifications/{chat_id}").put(realtime::update_notifications))
        .service(web::resource("/presence").get(realtime::list_presence))
        .service(web::resource("/events").get(realtime::operator_events))
        .service(web::resource("/ws").get(realtime::operator_socket))
        .service(web::resource("/operators").get(operators::list).post(operators::invite))
        .service(
            web::resource("/operators/{id}").get(operators::get).patch(operators::update).delete(operators::remove),
        )
        .service(web::resource("/operators/{id}/password-link").post(operators::password_link))
        .service(
            web::resource("/operators/{id}/avatar")
                .put(files::put_operator_avatar)
                .delete(files::delete_operator_avatar),
        )
        .service(web::resource("/api-keys").get(api_keys::list).post(api_keys::create))
        .service(web::resource("/api-keys/{id}").delete(api_keys::revoke))
        .service(web::resource("/chats").get(chats::list).post(chats::create))
        .service(web::resource("/chats/{id}").get(chats::get).patch(chats::update).delete(chats::delete))
        .service(web::resource("/chats/{id}/embed").get(chats::embed))
        .service(
            web::resource("/chats/{id}/avatars/{kind}").put(files::put_chat_avatar).delete(files::delete_chat_avatar),
        )
        .service(web::resource("/dialogs").get(dialogs::list).post(dialogs::create))
        .service(web::resource("/dialogs/{id}").get(dialogs::get))
        .service(web::resource("/dialogs/{id}/assign").post(dialogs::assign))
        .service(web::resource("/dialogs/{id}/close").post(dialogs::close))
        .service(web::resource("/dialogs/{id}/reopen").post(dialogs::reopen))
        .service(web::resource("/dialogs/{id}/read").post(dialogs::read))
        .service(web::resource("/dialogs/{id}/tags").post(dialogs::attach_tag))
        .service(web::resource("/dialogs/{id}/tags/{tag_id}").delete(dialogs::detach_tag))
        .service(web::resource("/dialogs/{id}/messages").get(dialogs::list_messages).post(dialogs::send_message))
        .service(web::resource("/dialogs/{id}/messages/{message_id}").delete(dialogs::delete_message))
        .service(web::resource("/visitors").get(visitors::list).post(visitors::create))
        .service(web::resource("/visitors/{id}").get(visitors::get).patch(visitors::update))
        .service(web::resource("/visitors/{id}/notes").post(visitors::add_note))
        .service(web::resource("/visitors/{id}/notes/{note_id}").delete(visitors::delete_note))
        .service(web::resource("/visitors/{id}/page-views").get(visitors::page_views))
        .service(web::resource("/visitors/{id}/dialogs").get(visitors::dialogs))
        .service(web::resource("/visitors/{id}/messages").post(visitors::post_message))
        .service(web::resource("/tags").get(tags::list).post(tags::create))
        .service(web::resource("/tags/{id}").get(tags::get).patch(tags::update).delete(tags::delete))
        .service(web::resource("/auto-replies").get(auto_replies::list).post(auto_replies::create))
        .service(
            web::resource("/auto-replies/{id}")
                .get(auto_replies::get)
                .put(auto_replies::replace)
                .delete(auto_replies::delete),
        )
        .service(web::resource("/saved-replies").get(saved_replies::list).post(saved_replies::create))
        .service(
            web::resource("/saved-replies/{id}")
                .get(saved_replies::get)
                .patch(saved_replies::update)
                .delete(saved_replies::delete),
        )
        .service(web::resource("/stats/dialogs").get(stats::dialogs))
        .service(web::resource("/stats/operators").get(stats::operators))
        .service(web::resource("/ratings").get(ratings::analytics))
        .service(web::resource("/ratings/reviews").get(ratings::reviews))
        .service(web::resource("/exports/{report}").get(exports::download))
        .service(web::resource("/billing/prices").get(billing::get_prices).put(billing::put_prices))
        .service(web::resource("/billing/summary").get(billing::summary))
        .service(web::resource("/webhooks").get(webhooks::list).post(webhooks::create))
        .service(web::resource("/webhooks/{id}").get(webhooks::get).patch(webhooks::update).delete(webhooks::delete))
        .service(web::resource("/webhooks/{id}/rotate-secret").post(webhooks::rotate_secret))
        .service(web::resource("/webhooks/{id}/resume").post(webhooks::resume))
        .service(web::resource("/webhooks/{id}/deliveries").get(webhooks::deliveries))
        .service(web::resource("/webhooks/{id}/deliveries/{delivery_id}/redeliver").post(webhooks::redeliver));
}

/// The visitor (widget) API under `/api/v1/widget`.
pub fn widget_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sessions").post(widget::start_session))
        .service(web::resource("/me").get(widget::get_me).patch(widget::update_me))
        .service(web::resource("/me/avatar").put(files::put_widget_avatar).delete(files::delete_widget_avatar))
        .service(web::resource("/files").post(files::widget_upload))
        .service(web::resource("/files/{id}").get(files::widget_download))
        .service(web::resource("/availability").get(widget::get_availability))
        .service(web::resource("/page-views").post(widget::page_view))
        .service(web::resource("/dialogs").get(widget::list_dialogs))
        .service(web::resource("/dialogs/{id}").get(widget::get_dialog))
        .service(web::resource("/dialogs/{id}/messages").get(widget::list_messages))
        .service(web::resource("/dialogs/{id}/read").post(widget::read))
        .service(web::resource("/dialogs/{id}/close").post(widget::close))
        .service(web::resource("/dialogs/{id}/rating").get(widget::get_rating).post(widget::rate))
        .service(web::resource("/messages").post(widget::send_message))
        .service(web::resource("/events").get(realtime::visitor_events))
        .service(web::resource("/ws").get(realtime::visitor_socket));
}
