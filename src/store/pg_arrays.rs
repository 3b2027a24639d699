//! PostgreSQL statements that take a batch of rows as one array per column (`unnest(...)`), so
//! their text is the same whatever the number of rows and diesel keeps them prepared. A
//! multi-row `VALUES` list, or a `sql_query`, is parsed and planned anew on every call.

use std::borrow::Cow;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Untyped};
use diesel::{QueryResult, RunQueryDsl};

enum Part<'a> {
    Sql(Cow<'a, str>),
    BigInt(i64),
    BigInts(Vec<i64>),
    OptionalBigInts(Vec<Option<i64>>),
    Integers(Vec<i32>),
    Texts(Vec<&'a str>),
    OptionalTexts(Vec<Option<&'a str>>),
}

/// SQL text with bound values in between. Array binds that follow each other are separated by
/// commas, so `unnest(` + arrays + `)` lists them.
#[derive(Default)]
pub struct ArraySql<'a> {
    parts: Vec<Part<'a>>,
}

impl<'a> ArraySql<'a> {
    pub fn sql(mut self, text: impl Into<Cow<'a, str>>) -> Self {
        self.parts.push(Part::Sql(text.into()));
        self
    }

    pub fn bigint(mut self, value: i64) -> Self {
        self.parts.push(Part::BigInt(value));
        self
    }

    pub fn bigints(self, values: Vec<i64>) -> Self {
        self.array(Part::BigInts(values))
    }

    pub fn optional_bigints(self, values: Vec<Option<i64>>) -> Self {
        self.array(Part::OptionalBigInts(values))
    }

    pub fn integers(self, values: Vec<i32>) -> Self {
        self.array(Part::Integers(values))
    }

    pub fn texts(self, values: Vec<&'a str>) -> Self {
        self.array(Part::Texts(values))
    }

    pub fn optional_texts(self, values: Vec<Option<&'a str>>) -> Self {
        self.array(Part::OptionalTexts(values))
    }

    fn array(mut self, part: Part<'a>) -> Self {
        if self.parts.last().is_some_and(|p| !matches!(p, Part::Sql(_) | Part::BigInt(_))) {
            self.parts.push(Part::Sql(Cow::Borrowed(", ")));
        }
        self.parts.push(part);
        self
    }
}

impl QueryId for ArraySql<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for ArraySql<'_> {
    type SqlType = Untyped;
}

impl QueryFragment<Pg> for ArraySql<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        for part in &self.parts {
            match part {
                Part::Sql(text) => out.push_sql(text),
                Part::BigInt(v) => out.push_bind_param::<BigInt, _>(v)?,
                Part::BigInts(v) => out.push_bind_param::<Array<BigInt>, _>(v)?,
                Part::OptionalBigInts(v) => out.push_bind_param::<Array<Nullable<BigInt>>, _>(v)?,
                Part::Integers(v) => out.push_bind_param::<Array<Integer>, _>(v)?,
                Part::Texts(v) => out.push_bind_param::<Array<Text>, _>(v)?,
                Part::OptionalTexts(v) => out.push_bind_param::<Array<Nullable<Text>>, _>(v)?,
            }
        }
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for ArraySql<'_> {}
