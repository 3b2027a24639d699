//! Applies rate limits to requests: handlers call [`enforce`] with what they limit and get a
//! `429 rate_limited` with `Retry-After` once the quota is used up.

use crate::error::{ApiError, ApiResult};
use crate::rate_limit::Bucket;
use crate::rate_limit::quota::QuotaSetting;
use crate::state::AppState;

/// Counts one hit for `key` in `bucket` against `setting` (switched off with all limits).
pub async fn enforce(state: &AppState, bucket: Bucket, key: &str, setting: &QuotaSetting) -> ApiResult<()> {
    let quota = state.config.limits.quota(setting);
    match state.limiter.hit(bucket, key, quota).await {
        Ok(()) => Ok(()),
        Err(retry) => {
            state.metrics.rate_limited(bucket.as_str());
            Err(ApiError::too_many_requests(retry.0, format!("too many requests; retry in {} seconds", retry.0)))
        }
    }
}
