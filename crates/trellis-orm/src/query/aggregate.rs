//! Aggregates for `aggregate()`, `annotate()` and `values_annotate()`: Count, Sum, Avg,
//! Min, Max over a field path (across relations too).
//!
//! Results read the same on every backend: counts are integers, `Avg` a float, `Sum` an
//! integer, float or decimal string like its field, `Min`/`Max` like the field itself
//! (decimals are strings, exact).

use sea_query::{Expr, Func};

use crate::backend::JsonAs;
use crate::backend::row_value_kind as value_kind;
use crate::error::Result;
use crate::query::compiler::{Compiler, col};

/// An aggregate function over a field path.
#[derive(Debug, Clone, PartialEq)]
pub enum Agg {
    /// `COUNT(field)` (`"*"` for rows).
    Count(String),
    /// `COUNT(DISTINCT field)`.
    CountDistinct(String),
    /// `SUM(field)`.
    Sum(String),
    /// `AVG(field)`.
    Avg(String),
    /// `MIN(field)`.
    Min(String),
    /// `MAX(field)`.
    Max(String),
}

impl Agg {
    /// `COUNT(path)`; `"*"` counts rows.
    pub fn count(path: &str) -> Agg {
        Agg::Count(path.into())
    }
    /// `COUNT(DISTINCT path)`.
    pub fn count_distinct(path: &str) -> Agg {
        Agg::CountDistinct(path.into())
    }
    /// `SUM(path)`.
    pub fn sum(path: &str) -> Agg {
        Agg::Sum(path.into())
    }
    /// `AVG(path)`.
    pub fn avg(path: &str) -> Agg {
        Agg::Avg(path.into())
    }
    /// `MIN(path)`.
    pub fn min(path: &str) -> Agg {
        Agg::Min(path.into())
    }
    /// `MAX(path)`.
    pub fn max(path: &str) -> Agg {
        Agg::Max(path.into())
    }

    /// The SQL expression and how its result reads as JSON.
    pub(crate) fn compile(&self, c: &mut Compiler) -> Result<(Expr, JsonAs)> {
        let (path, f): (&str, fn(Expr) -> Expr) = match self {
            Agg::Count(p) => (p, |e| Func::count(e).into()),
            Agg::CountDistinct(p) => (p, |e| Func::count_distinct(e).into()),
            Agg::Sum(p) => (p, |e| Func::sum(e).into()),
            Agg::Avg(p) => (p, |e| Func::avg(e).into()),
            Agg::Min(p) => (p, |e| Func::min(e).into()),
            Agg::Max(p) => (p, |e| Func::max(e).into()),
        };
        if path == "*" {
            return match self {
                Agg::Count(_) => Ok((Expr::cust("COUNT(*)"), JsonAs::Int)),
                _ => Err(crate::Error::InvalidQuery(
                    "\"*\" (all rows) is only allowed in Agg::count".into(),
                )),
            };
        }
        let segs: Vec<String> = path.split("__").map(str::to_string).collect();
        let r = c.resolve(&segs)?;
        let how = match self {
            Agg::Count(_) | Agg::CountDistinct(_) => JsonAs::Int,
            Agg::Avg(_) => JsonAs::Float,
            Agg::Sum(_) => JsonAs::Sum(value_kind(r.field)),
            Agg::Min(_) | Agg::Max(_) => JsonAs::field(r.field),
        };
        Ok((f(col(&r.alias, &r.field.column)), how))
    }
}
