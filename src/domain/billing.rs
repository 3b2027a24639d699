//! Dialog cost. A super admin sets one currency and a price per channel for each paid message;
//! a dialog's cost is its paid messages times the current price of the channel it started in.
//!
//! Paid messages are the visitor's and operators' messages (the dialog's `message_count`):
//! internal notes and livedesk's own messages (auto-replies, queue notices) are free. Costs
//! are worked out when read, from the dialog's counters and the current prices, so reading a
//! cost never touches messages, and a price change re-prices past dialogs too.
//!
//! Billing is for super admins alone: admins and operators get 403 from the billing endpoints
//! and the billing report, and see no `cost` on dialogs.

use std::collections::{BTreeMap, HashMap};

use crate::auth::{Principal, Role};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::model::billing::{BillingLine, BillingSummary, ChannelPrice, Money, PricesView};
use crate::state::AppState;
use crate::store::billing::{self as store, PricesRow};
use crate::store::chats;
use crate::store::dialogs::{self, DialogFilter, DialogRow};
use crate::time::{now_ms, to_datetime};

use super::channel::Channel;
use super::currency;

/// Highest price of one message, in minor units: keeps every sum far from overflowing.
pub const MAX_PRICE_MINOR: i64 = 100_000_000;

/// Whether this caller sees billing.
pub fn may_see(role: Role) -> bool {
    role >= Role::SuperAdmin
}

fn require(principal: &Principal) -> ApiResult<()> {
    if may_see(principal.role) { Ok(()) } else { Err(ApiError::forbidden("billing is for super admins only")) }
}

/// Messages a dialog is billed for.
pub fn paid_messages(d: &DialogRow) -> i64 {
    i64::from(d.message_count)
}

/// A workspace's prices, ready to price dialogs.
#[derive(Debug, Clone)]
pub struct PriceList {
    pub currency: String,
    pub decimals: u32,
    prices: HashMap<String, i64>,
    updated_at: i64,
    updated_by: Option<i64>,
}

impl PriceList {
    fn from_row(row: PricesRow) -> Self {
        let prices: HashMap<String, i64> = serde_json::from_str(&row.prices).unwrap_or_default();
        Self {
            decimals: currency::decimals(&row.currency).unwrap_or(2),
            currency: row.currency,
            prices,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
        }
    }

    /// The price of one message in `channel`; 0 for a channel without a price.
    pub fn price(&self, channel: &str) -> i64 {
        self.prices.get(channel).copied().unwrap_or(0)
    }

    pub fn money(&self, amount_minor: i64) -> Money {
        Money { amount_minor, currency: self.currency.clone(), amount: format_minor(amount_minor, self.decimals) }
    }

    /// A dialog's cost at these prices.
    pub fn cost(&self, d: &DialogRow) -> Money {
        self.money(paid_messages(d).saturating_mul(self.price(&d.channel)))
    }
}

/// `1234` with 2 decimals is `"12.34"`.
pub fn format_minor(amount_minor: i64, decimals: u32) -> String {
    if decimals == 0 {
        return amount_minor.to_string();
    }
    let scale = 10i64.pow(decimals);
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    let scale = scale as u64;
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = decimals as usize)
}

pub fn load(conn: &mut DbConn, workspace_id: i64) -> ApiResult<Option<PriceList>> {
    Ok(store::find(conn, workspace_id)?.map(PriceList::from_row))
}

/// The prices to show costs with: `None` for callers who may not see billing, or when no
/// prices are set.
pub fn for_viewer(conn: &mut DbConn, workspace_id: i64, role: Role) -> ApiResult<Option<PriceList>> {
    if may_see(role) { load(conn, workspace_id) } else { Ok(None) }
}

fn view(list: Option<&PriceList>) -> PricesView {
    PricesView {
        currency: list.map(|l| l.currency.clone()),
        decimals: list.map(|l| l.decimals),
        prices: Channel::ALL
            .into_iter()
            .map(|channel| ChannelPrice { channel, price_minor: list.map_or(0, |l| l.price(channel.as_str())) })
            .collect(),
        updated_at: list.map(|l| to_datetime(l.updated_at)),
        updated_by: list.and_then(|l| l.updated_by),
    }
}

pub async fn get_prices(state: &AppState, principal: &Principal) -> ApiResult<PricesView> {
    require(principal)?;
    let ws = principal.workspace_id;
    let list = state.db.run(move |conn| load(conn, ws)).await?;
    Ok(view(list.as_ref()))
}

pub struct PricesInput {
    pub currency: String,
    pub prices: Vec<ChannelPrice>,
}

/// Checks the input; returns the upper-case currency and the prices as stored.
fn validate(input: &PricesInput) -> ApiResult<(String, BTreeMap<&'static str, i64>)> {
    let mut errors = Vec::new();
    let code = input.currency.trim().to_ascii_uppercase();
    if currency::decimals(&code).is_none() {
        errors.push(FieldError::new("currency", "invalid_currency", "must be an ISO 4217 currency code, e.g. EUR"));
    }
    let mut prices = BTreeMap::new();
    for (i, p) in input.prices.iter().enumerate() {
        if !(0..=MAX_PRICE_MINOR).contains(&p.price_minor) {
            errors.push(FieldError::new(
                format!("prices[{i}].price_minor"),
                "out_of_range",
                format!("must be between 0 and {MAX_PRICE_MINOR}"),
            ));
        }
        if prices.insert(p.channel.as_str(), p.price_minor).is_some() {
            errors.push(FieldError::new(format!("prices[{i}].channel"), "duplicate", "each channel at most once"));
        }
    }
    if errors.is_empty() { Ok((code, prices)) } else { Err(ApiError::validation(errors)) }
}

/// Replaces the currency and every price; channels left out cost nothing.
pub async fn put_prices(state: &AppState, principal: &Principal, input: PricesInput) -> ApiResult<PricesView> {
    require(principal)?;
    let (code, prices) = validate(&input)?;
    let prices = serde_json::to_string(&prices).map_err(ApiError::internal)?;
    let ws = principal.workspace_id;
    let by = principal.operator_id;
    let row = state.db.write_in(ws, move |conn| Ok(store::save(conn, ws, &code, &prices, by, now_ms())?)).await?;
    Ok(view(Some(&PriceList::from_row(row))))
}

/// Billing lines of the dialogs matching `filter`, by chat name, then channel. Every message
/// of a dialog is paid ([`paid_messages`]), so the store sums `message_count`.
pub fn lines(
    conn: &mut DbConn,
    ws: i64,
    filter: &DialogFilter,
    prices: Option<&PriceList>,
) -> ApiResult<Vec<BillingLine>> {
    let totals = dialogs::totals_by_chat_channel(conn, ws, filter)?;
    let mut chat_ids: Vec<i64> = totals.iter().map(|t| t.0).collect();
    chat_ids.sort_unstable();
    chat_ids.dedup();
    let names: HashMap<i64, String> =
        chats::find_many(conn, ws, &chat_ids)?.into_iter().map(|c| (c.id, c.name)).collect();
    let mut lines: Vec<BillingLine> = totals
        .into_iter()
        .map(|(chat_id, channel, dialogs, paid_messages)| {
            let price_minor = prices.map_or(0, |p| p.price(&channel));
            BillingLine {
                chat_id,
                chat_name: names.get(&chat_id).cloned().unwrap_or_default(),
                channel: Channel::from_db(&channel),
                dialogs,
                paid_messages,
                price_minor,
                cost_minor: paid_messages.saturating_mul(price_minor),
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        (a.chat_name.as_str(), a.chat_id, a.channel.as_str()).cmp(&(
            b.chat_name.as_str(),
            b.chat_id,
            b.channel.as_str(),
        ))
    });
    Ok(lines)
}

pub async fn summary(state: &AppState, principal: &Principal, filter: DialogFilter) -> ApiResult<BillingSummary> {
    require(principal)?;
    let ws = principal.workspace_id;
    state
        .db
        .run(move |conn| {
            let prices = load(conn, ws)?;
            let lines = lines(conn, ws, &filter, prices.as_ref())?;
            let cost_minor = lines.iter().fold(0i64, |sum, l| sum.saturating_add(l.cost_minor));
            Ok(BillingSummary {
                currency: prices.as_ref().map(|p| p.currency.clone()),
                decimals: prices.as_ref().map(|p| p.decimals),
                dialogs: lines.iter().map(|l| l.dialogs).sum(),
                paid_messages: lines.iter().map(|l| l.paid_messages).sum(),
                cost_minor,
                cost: prices.as_ref().map(|p| p.money(cost_minor)),
                lines,
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::format_minor;

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_minor(1234, 2), "12.34");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(7, 0), "7");
        assert_eq!(format_minor(1500, 3), "1.500");
        assert_eq!(format_minor(-5, 2), "-0.05");
    }
}
