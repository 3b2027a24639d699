use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::channel::Channel;

/// An amount of money: an integer of the currency's minor unit, never a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Money {
    /// In the currency's minor unit (cents for EUR, yen for JPY).
    #[schema(example = 125)]
    pub amount_minor: i64,
    /// ISO 4217 code.
    #[schema(example = "EUR")]
    pub currency: String,
    /// The same amount in major units as a decimal string, for display.
    #[schema(example = "1.25")]
    pub amount: String,
}

/// The price of one paid message in a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelPrice {
    pub channel: Channel,
    /// Price of one paid message in the currency's minor unit; 0 means free.
    #[schema(minimum = 0, maximum = 100000000, example = 5)]
    pub price_minor: i64,
}

/// The workspace's message prices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PricesView {
    /// ISO 4217 code; `null` until a super admin sets prices (every dialog then costs nothing
    /// and shows no cost).
    pub currency: Option<String>,
    /// Decimals of the currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD).
    pub decimals: Option<u32>,
    /// Every channel with its price, in the channel list's order.
    pub prices: Vec<ChannelPrice>,
    pub updated_at: Option<DateTime<Utc>>,
    /// The operator who set the prices last.
    pub updated_by: Option<i64>,
}

/// One chat and channel of the billing summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillingLine {
    pub chat_id: i64,
    pub chat_name: String,
    pub channel: Channel,
    pub dialogs: i64,
    /// Visitor and operator messages of these dialogs (not notes, not automatic messages).
    pub paid_messages: i64,
    /// The channel's current price of one message, minor units.
    pub price_minor: i64,
    /// `paid_messages × price_minor`, minor units.
    pub cost_minor: i64,
}

/// Billing totals of the dialogs matching the dialog list's filters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillingSummary {
    /// `null` while no prices are set (all costs are then 0).
    pub currency: Option<String>,
    pub decimals: Option<u32>,
    /// One line per chat and channel with dialogs, by chat name then channel.
    pub lines: Vec<BillingLine>,
    pub dialogs: i64,
    pub paid_messages: i64,
    pub cost_minor: i64,
    /// The total cost; `null` while no prices are set.
    pub cost: Option<Money>,
}
