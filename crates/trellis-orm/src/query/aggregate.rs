//! Aggregates for `aggregate()`, `annotate()` and `values_annotate()`: Count, Sum, Avg,
//! Min, Max over a field path (across relations too).

use sea_query::{Expr, Func};

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

    pub(crate) fn compile(&self, c: &mut Compiler) -> Result<Expr> {
        let (path, f): (&str, fn(Expr) -> Expr) = match self {
            Agg::Count(p) => (p, |e| Func::count(e).into()),
            Agg::CountDistinct(p) => (p, |e| Func::count_distinct(e).into()),
            Agg::Sum(p) => (p, |e| Func::sum(e).into()),
            Agg::Avg(p) => (p, |e| Func::avg(e).into()),
            Agg::Min(p) => (p, |e| Func::min(e).into()),
            Agg::Max(p) => (p, |e| Func::max(e).into()),
        };
        if path == "*" {
            return Ok(Expr::cust("COUNT(*)"));
        }
        let segs: Vec<String> = path.split("__").map(str::to_string).collect();
        let r = c.resolve(&segs)?;
        Ok(f(col(&r.alias, &r.field.column)))
    }
}
