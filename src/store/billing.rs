//! The workspace's message prices: one row per workspace, written whole.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::billing_prices;

#[derive(Debug, Clone, Queryable)]
pub struct PricesRow {
    pub workspace_id: i64,
    pub currency: String,
    /// JSON object: channel -> price of one paid message in minor units.
    pub prices: String,
    pub updated_by: Option<i64>,
    pub updated_at: i64,
}

pub fn find(conn: &mut DbConn, workspace_id: i64) -> QueryResult<Option<PricesRow>> {
    billing_prices::table.find(workspace_id).first(conn).optional()
}

/// Replaces the workspace's prices. Update first, insert when there was no row: the caller
/// holds the workspace lock, so two writers never both insert.
pub fn save(
    conn: &mut DbConn,
    workspace_id: i64,
    currency: &str,
    prices: &str,
    updated_by: i64,
    now: i64,
) -> QueryResult<PricesRow> {
    let updated = diesel::update(billing_prices::table.find(workspace_id))
        .set((
            billing_prices::currency.eq(currency),
            billing_prices::prices.eq(prices),
            billing_prices::updated_by.eq(Some(updated_by)),
            billing_prices::updated_at.eq(now),
        ))
        .returning(billing_prices::all_columns)
        .get_result(conn)
        .optional()?;
    if let Some(row) = updated {
        return Ok(row);
    }
    diesel::insert_into(billing_prices::table)
        .values((
            billing_prices::workspace_id.eq(workspace_id),
            billing_prices::currency.eq(currency),
            billing_prices::prices.eq(prices),
            billing_prices::updated_by.eq(Some(updated_by)),
            billing_prices::updated_at.eq(now),
        ))
        .returning(billing_prices::all_columns)
        .get_result(conn)
}
