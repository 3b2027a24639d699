//! Which backend a `DATABASE_URL` names, decided by its scheme.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file (created with its folder on first start).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string, passed to libpq as is.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).ok_or_else(|| {
            let scheme = url.split(':').next().unwrap_or_default();
            format!("unsupported scheme '{scheme}' (use sqlite://<file> or postgres://...)")
        })?;
        if path.is_empty() {
            return Err("a sqlite:// URL needs a file path".into());
        }
        if path == ":memory:" {
            return Err("in-memory SQLite is not supported: each pooled connection would see its own database".into());
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// The URL with any password replaced, safe to print.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => redact_password(url),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(DatabaseUrl::parse("sqlite://data/x.db").unwrap(), DatabaseUrl::Sqlite("data/x.db".into()));
        assert_eq!(DatabaseUrl::parse("sqlite:/abs/x.db").unwrap(), DatabaseUrl::Sqlite("/abs/x.db".into()));
        assert!(matches!(DatabaseUrl::parse("postgresql://u@h/db").unwrap(), DatabaseUrl::Postgres(_)));
        assert!(DatabaseUrl::parse("mysql://h/db").unwrap_err().contains("mysql"));
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn redaction() {
        let url = DatabaseUrl::parse("postgres://bob:secret@db:5432/x").unwrap();
        assert_eq!(url.redacted(), "postgres://bob:***@db:5432/x");
    }
}
