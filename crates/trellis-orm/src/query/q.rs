//! Conditions: [`Q`] trees of field lookups (`author__name__icontains`) combined with
//! `&`, `|` and `!`, and [`F`] expressions (column references in filters and updates).

use sea_query::Value;

/// A lookup operator (the part after the last `__`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=` (or `IS NULL` for a null value).
    ///
    /// On MySQL/MariaDB text comparisons follow the column's collation, as in Django:
    /// with the default `utf8mb4_unicode_ci`, `exact` ignores case (and trailing spaces).
    /// The `contains` family is case-sensitive on every backend.
    Exact,
    /// Case-insensitive equality (`LOWER(col) = lower(value)`).
    ///
    /// The `i`-lookups fold case with the database's `LOWER`: on SQLite that folds ASCII
    /// letters only (`"É"` does not match `"é"`), as in Django on SQLite.
    IExact,
    /// Substring, case-sensitive.
    Contains,
    /// Substring, case-insensitive.
    IContains,
    /// Prefix, case-sensitive.
    StartsWith,
    /// Prefix, case-insensitive.
    IStartsWith,
    /// Suffix, case-sensitive.
    EndsWith,
    /// Suffix, case-insensitive.
    IEndsWith,
    /// One of a list.
    In,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `BETWEEN a AND b` (inclusive).
    Range,
    /// `IS NULL` (true) / `IS NOT NULL` (false).
    IsNull,
}

impl Op {
    /// The operator named `name` in a lookup string.
    pub fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "exact" => Op::Exact,
            "iexact" => Op::IExact,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "startswith" => Op::StartsWith,
            "istartswith" => Op::IStartsWith,
            "endswith" => Op::EndsWith,
            "iendswith" => Op::IEndsWith,
            "in" => Op::In,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "range" => Op::Range,
            "isnull" => Op::IsNull,
            _ => return None,
        })
    }
}

/// The right-hand side of a lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// One value.
    Value(Value),
    /// A list (for `in`).
    List(Vec<Value>),
    /// Two values (for `range`).
    Pair(Value, Value),
    /// Another column or an expression.
    F(F),
}

/// One field lookup: a path through relations to a field, an operator and an operand.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// Field names: relations, then the field (`["author", "name"]`).
    pub path: Vec<String>,
    /// The operator.
    pub op: Op,
    /// The operand.
    pub operand: Operand,
}

/// A condition tree (Django's `Q`): lookups combined with `&` (and), `|` (or), `!` (not).
///
/// ```
/// use trellis_orm::Q;
/// let q = Q::lookup("title__icontains", "rust") | !Q::lookup("author__name", "ann");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Q {
    /// One lookup.
    Lookup(Lookup),
    /// All of these.
    And(Vec<Q>),
    /// Any of these.
    Or(Vec<Q>),
    /// Not this.
    Not(Box<Q>),
    /// The primary key equals this value.
    Pk(Value),
    /// Rows linked to `owner` through a many-to-many join table.
    #[doc(hidden)]
    InJoinTable {
        /// The join table.
        table: String,
        /// Its column pointing at the owner.
        source: String,
        /// Its column pointing at this model.
        target: String,
        /// The owner's primary key.
        owner: Value,
    },
    /// Prefetch of a many-to-many relation: the join table (aliased `tj`) links to one of
    /// the owners.
    #[doc(hidden)]
    InThrough {
        /// The join table's column pointing at the owner.
        source: String,
        /// The owners' primary keys.
        owners: Vec<Value>,
    },
}

impl Q {
    /// A lookup written as Django writes it: `"author__name__icontains"`. A path with no
    /// operator means `exact`. Field names are checked against the model when the query
    /// is compiled (unknown names are refused, never put into SQL).
    pub fn lookup(path: &str, value: impl Into<Value>) -> Q {
        Q::lookup_operand(path, Operand::Value(value.into()))
    }

    /// `path__in` with a list: `Q::lookup_in("author", ids)` or, the same,
    /// `Q::lookup_in("author__in", ids)`. An empty list matches nothing.
    pub fn lookup_in<V: Into<Value>>(path: &str, values: impl IntoIterator<Item = V>) -> Q {
        let path = path.strip_suffix("__in").unwrap_or(path);
        Q::Lookup(Lookup {
            path: path.split("__").map(str::to_string).collect(),
            op: Op::In,
            operand: Operand::List(values.into_iter().map(Into::into).collect()),
        })
    }

    /// `path__range` with two bounds (inclusive): `Q::lookup_range("views", 1, 9)` or
    /// `Q::lookup_range("views__range", 1, 9)`.
    pub fn lookup_range(path: &str, low: impl Into<Value>, high: impl Into<Value>) -> Q {
        let path = path.strip_suffix("__range").unwrap_or(path);
        Q::Lookup(Lookup {
            path: path.split("__").map(str::to_string).collect(),
            op: Op::Range,
            operand: Operand::Pair(low.into(), high.into()),
        })
    }

    /// A lookup comparing with an [`F`] expression (`Q::lookup_f("stock__lt", F::col("reserved"))`).
    pub fn lookup_f(path: &str, f: F) -> Q {
        Q::lookup_operand(path, Operand::F(f))
    }

    /// A lookup with any operand.
    pub fn lookup_operand(path: &str, operand: Operand) -> Q {
        let mut parts: Vec<String> = path.split("__").map(str::to_string).collect();
        let op = match parts.last().and_then(|p| Op::parse(p)) {
            Some(op) if parts.len() > 1 => {
                parts.pop();
                op
            }
            _ => Op::Exact,
        };
        let operand = match (op, operand) {
            (Op::In, Operand::Value(v)) => Operand::List(vec![v]),
            (_, o) => o,
        };
        Q::Lookup(Lookup {
            path: parts,
            op,
            operand,
        })
    }

    /// The primary key equals `value`.
    pub fn pk(value: impl Into<Value>) -> Q {
        Q::Pk(value.into())
    }

    /// A condition that always holds.
    pub fn all() -> Q {
        Q::And(Vec::new())
    }
}

impl std::ops::BitAnd for Q {
    type Output = Q;
    fn bitand(self, rhs: Q) -> Q {
        match self {
            Q::And(mut v) => {
                v.push(rhs);
                Q::And(v)
            }
            other => Q::And(vec![other, rhs]),
        }
    }
}

impl std::ops::BitOr for Q {
    type Output = Q;
    fn bitor(self, rhs: Q) -> Q {
        match self {
            Q::Or(mut v) => {
                v.push(rhs);
                Q::Or(v)
            }
            other => Q::Or(vec![other, rhs]),
        }
    }
}

impl std::ops::Not for Q {
    type Output = Q;
    fn not(self) -> Q {
        Q::Not(Box::new(self))
    }
}

/// A column reference or arithmetic on columns (Django's `F`), for filters comparing two
/// columns and for updates computed by the database: `F::col("stock") + 1`.
#[derive(Debug, Clone, PartialEq)]
pub enum F {
    /// A field of the model (by field name).
    Col(String),
    /// A bound value.
    Value(Value),
    /// `a + b`.
    Add(Box<F>, Box<F>),
    /// `a - b`.
    Sub(Box<F>, Box<F>),
    /// `a * b`.
    Mul(Box<F>, Box<F>),
    /// `a / b`.
    Div(Box<F>, Box<F>),
}

impl F {
    /// A reference to field `name`.
    pub fn col(name: &str) -> F {
        F::Col(name.to_string())
    }

    /// A bound value.
    pub fn value(v: impl Into<Value>) -> F {
        F::Value(v.into())
    }
}

macro_rules! f_op {
    ($tr:ident, $m:ident, $variant:ident) => {
        impl<T: Into<F>> std::ops::$tr<T> for F {
            type Output = F;
            fn $m(self, rhs: T) -> F {
                F::$variant(Box::new(self), Box::new(rhs.into()))
            }
        }
    };
}
f_op!(Add, add, Add);
f_op!(Sub, sub, Sub);
f_op!(Mul, mul, Mul);
f_op!(Div, div, Div);

macro_rules! f_from {
    ($($t:ty),*) => {$(
        impl From<$t> for F {
            fn from(v: $t) -> F {
                F::Value(v.into())
            }
        }
    )*};
}
f_from!(i32, i64, f64, rust_decimal::Decimal);
