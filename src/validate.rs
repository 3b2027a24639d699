//! Collects every invalid field of a request so the client gets them all in one 422.

use crate::error::{ApiError, ApiResult, FieldError};

#[derive(Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

pub const MAX_EMAIL_LEN: usize = 254;
pub const MAX_URL_LEN: usize = 2048;

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// Text that must not be blank, and at most `max` characters as sent (surrounding white space
    /// included, as the schemas' `maxLength` says), although it is stored trimmed.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "required", "must not be empty");
        } else if value.chars().count() > max {
            self.add(field, "too_long", format!("must be at most {max} characters"));
        }
    }

    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value {
            self.text(field, v, max);
        }
    }

    /// Text that may be empty but not longer than `max` characters.
    pub fn max_chars(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.add(field, "too_long", format!("must be at most {max} characters"));
        }
    }

    pub fn email(&mut self, field: &str, value: &str) {
        if !is_email(value.trim()) {
            self.add(field, "invalid_format", "must be a valid email address");
        }
    }

    pub fn opt_email(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.email(field, v);
        }
    }

    /// An absolute http(s) URL.
    pub fn url(&mut self, field: &str, value: &str) {
        let v = value.trim();
        if v.len() > MAX_URL_LEN {
            self.add(field, "too_long", format!("must be at most {MAX_URL_LEN} characters"));
        } else if !is_http_url(v) {
            self.add(field, "invalid_format", "must be an absolute http:// or https:// URL");
        }
    }

    pub fn opt_url(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.url(field, v);
        }
    }

    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) {
        if value < min || value > max {
            self.add(field, "out_of_range", format!("must be between {min} and {max}"));
        }
    }

    pub fn check(&mut self, ok: bool, field: &str, code: &str, message: &str) {
        if !ok {
            self.add(field, code, message);
        }
    }

    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::validation(self.errors)) }
    }
}

/// A query parameter longer than the spec's `maxLength` is refused (400), not cut.
pub fn query_max_chars(name: &str, value: Option<&str>, max: usize) -> ApiResult<()> {
    match value {
        Some(v) if v.chars().count() > max => {
            Err(ApiError::bad_request("invalid_query", format!("{name} must be at most {max} characters")))
        }
        _ => Ok(()),
    }
}

pub fn is_email(value: &str) -> bool {
    if value.len() > MAX_EMAIL_LEN || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

pub fn is_http_url(value: &str) -> bool {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("a@b.co"));
        assert!(is_email("Ann.Lee+x@Example.com"));
        for bad in ["", "a", "a@b", "@b.co", "a@.co", "a b@c.de", "a@b..c"] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn text_length_counts_what_was_sent() {
        let errors = |value: &str| {
            let mut v = Validator::new();
            v.text("body", value, 3);
            v.errors.iter().map(|e| e.code.clone()).collect::<Vec<_>>()
        };
        assert!(errors("abc").is_empty());
        assert_eq!(errors(" \t "), ["required"]);
        // Four characters as sent, three once trimmed: longer than the schema's maxLength.
        assert_eq!(errors("\u{b}abc"), ["too_long"]);
    }

    #[test]
    fn urls() {
        assert!(is_http_url("https://x.io/a?b#c"));
        assert!(!is_http_url("ftp://x.io"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https://a b"));
    }
}
