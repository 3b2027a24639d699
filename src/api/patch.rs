//! Helpers for PATCH bodies.

use serde::{Deserialize, Deserializer};

/// Absent field = unchanged, `null` = cleared, value = set.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
