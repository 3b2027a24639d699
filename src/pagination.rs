//! Cursor pagination: `limit` + opaque `cursor` in, `items` + `next_cursor` out.
//! A cursor encodes the sort key of the last item returned, so pages stay correct while rows
//! are inserted (keyset pagination, no offsets).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> ApiResult<i64> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::bad_request("invalid_query", format!("limit must be between 1 and {MAX_LIMIT}"))),
        }
    }

    /// The decoded cursor: exactly `parts` integers, or none for the first page.
    pub fn cursor(&self, parts: usize) -> ApiResult<Option<Vec<i64>>> {
        self.cursor.as_deref().map(|c| decode(c, parts)).transpose()
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only tells that more exist.
    pub fn from_rows<R>(mut rows: Vec<R>, limit: i64, key: impl Fn(&R) -> Vec<i64>, map: impl FnMut(R) -> T) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode(&key(r))) } else { None };
        Page { items: rows.into_iter().map(map).collect(), next_cursor }
    }
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

pub fn encode(parts: &[i64]) -> String {
    let text = parts.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(".");
    URL_SAFE_NO_PAD.encode(text)
}

pub fn decode(cursor: &str, parts: usize) -> ApiResult<Vec<i64>> {
    let invalid = || ApiError::bad_request("invalid_cursor", "the cursor is not valid for this list");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let values: Vec<i64> =
        text.split('.').map(|p| p.parse::<i64>()).collect::<Result<_, _>>().map_err(|_| invalid())?;
    if values.len() != parts {
        return Err(invalid());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cursor_round_trip() {
        let c = super::encode(&[1_700_000_000_000, 42]);
        assert_eq!(super::decode(&c, 2).unwrap(), vec![1_700_000_000_000, 42]);
        assert!(super::decode(&c, 1).is_err());
        assert!(super::decode("!!", 1).is_err());
    }
}
