//! Keeps fixed-shape statements in diesel's prepared-statement cache.
//!
//! diesel never caches UPDATE statements or `sql_query`, because in general their SQL may
//! change from call to call; each execution then parses and plans the statement again. For a
//! statement whose SQL text is the same on every call (fixed columns, no `IN` lists, no optional
//! parts), [`Cached`] declares it safe to cache. The cache is keyed by the SQL text and bind
//! types, so a different shape still gets its own entry, but only fixed shapes should be wrapped
//! or the cache grows with every new variant.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A statement of fixed shape that diesel may keep prepared.
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q>(Q);

/// `.cached()` on any statement of fixed shape.
pub trait CacheStatement: Sized {
    fn cached(self) -> Cached<Self> {
        Cached(self)
    }
}

impl<Q> CacheStatement for Q {}

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    // The cache key is then the SQL text, built on each call; cheap next to a prepare.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> QueryFragment<DB> for Cached<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Cached<Q> {}
