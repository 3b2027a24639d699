//! `/api/v1/billing`: message prices and dialog costs, for super admins only.

use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::dialogs::DialogListParams;
use crate::auth::Auth;
use crate::domain::billing::{self, PricesInput};
use crate::error::ApiResult;
use crate::model::billing::{BillingSummary, ChannelPrice, PricesView};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PutPricesRequest {
    /// ISO 4217 code of every price and cost (upper or lower case).
    #[schema(example = "EUR", min_length = 3, max_length = 3)]
    pub currency: String,
    /// The price of one paid message per channel; a channel left out costs nothing. Each
    /// channel at most once.
    #[schema(max_items = 15)]
    pub prices: Vec<ChannelPrice>,
}

/// The workspace's currency and the price of one paid message in every channel. Super admins
/// only; admins and operators get 403.
#[utoipa::path(get, path = "/api/v1/billing/prices", tag = "billing",
    responses(
        (status = 200, description = "The prices", body = PricesView),
        (status = 403, description = "Not a super admin (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_prices(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<PricesView>> {
    Ok(web::Json(billing::get_prices(&state, &auth).await?))
}

/// Replace the currency and every price. Costs are worked out from the current prices when
/// read, so a change applies to past dialogs as well. Super admins only.
#[utoipa::path(put, path = "/api/v1/billing/prices", tag = "billing",
    request_body = PutPricesRequest,
    responses(
        (status = 200, description = "The prices as stored", body = PricesView),
        (status = 403, description = "Not a super admin (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn put_prices(
    state: web::Data<AppState>,
    auth: Auth,
    body: web::Json<PutPricesRequest>,
) -> ApiResult<web::Json<PricesView>> {
    let b = body.into_inner();
    let input = PricesInput { currency: b.currency, prices: b.prices };
    Ok(web::Json(billing::put_prices(&state, &auth, input).await?))
}

/// Billing of the dialogs the dialog list's filters choose (e.g. `created_from`, `created_to`,
/// `chat_id`, `channel`): per chat and channel the dialogs, paid messages (visitor and operator
/// messages), the current price and the cost, with totals. The same figures as the `billing`
/// XLSX report. Super admins only.
#[utoipa::path(get, path = "/api/v1/billing/summary", tag = "billing",
    params(DialogListParams),
    responses(
        (status = 200, description = "The billing summary", body = BillingSummary),
        (status = 403, description = "Not a super admin (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn summary(
    state: web::Data<AppState>,
    auth: Auth,
    params: web::Query<DialogListParams>,
) -> ApiResult<web::Json<BillingSummary>> {
    let filter = params.into_inner().into_filter(&auth)?;
    Ok(web::Json(billing::summary(&state, &auth, filter).await?))
}
