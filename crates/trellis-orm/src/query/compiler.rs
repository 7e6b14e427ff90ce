//! The SQL compiler: turns a QuerySet's lookups, relations and ordering into a sea-query
//! statement (Django's `sql/compiler.py`). Field names are resolved against the model's
//! metadata, so a name that is not a field is refused before any SQL exists; values are
//! bound parameters; identifiers are quoted by sea-query.

use sea_query::{
    Condition, Expr, ExprTrait, Func, JoinType, LikeExpr, Order, Query, SelectStatement, Value,
};

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::field::FieldMeta;
use crate::model::ModelMeta;
use crate::query::q::{F, Lookup, Op, Operand, Q};

/// A qualified column expression `"alias"."column"`.
pub(crate) fn col(alias: &str, column: &str) -> Expr {
    Expr::col((alias.to_string(), column.to_string()))
}

/// How the objects of a query are decoded: deferred fields and `select_related` subtrees,
/// in the order their columns appear in the row.
#[derive(Debug, Clone, Default)]
pub struct Load {
    /// Fields not selected (they hold placeholders).
    pub deferred: Vec<&'static str>,
    /// Relations selected with their columns (`select_related`).
    pub related: Vec<(&'static str, Load)>,
}

struct JoinInfo {
    key: String,
    alias: String,
    table: String,
    on_left: (String, String),
    on_right: String,
    left: bool,
}

pub(crate) struct Compiler {
    pub(crate) backend: Backend,
    pub(crate) root: &'static ModelMeta,
    joins: Vec<JoinInfo>,
    /// A to-many relation was joined (rows may repeat).
    pub(crate) multi: bool,
    /// The root table has no alias and its columns are written unqualified (`"id"`, not
    /// `"t0"."id"`): shorter SQL for single-table queries, which SQLite parses on every
    /// re-prepare. Only valid while nothing is joined (see [`has_joins`](Self::has_joins)).
    bare: bool,
}

/// What a path resolves to.
pub(crate) struct Resolved {
    pub(crate) alias: String,
    pub(crate) field: &'static FieldMeta,
}

fn unknown(meta: &ModelMeta, name: &str) -> Error {
    Error::UnknownField {
        model: meta.name,
        name: name.to_string(),
        choices: meta.choices(),
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn value_str(v: &Value) -> Result<String> {
    match v {
        Value::String(Some(s)) => Ok(s.to_string()),
        Value::Char(Some(c)) => Ok(c.to_string()),
        other => Err(Error::InvalidQuery(format!(
            "text lookups take a string, not {other:?}"
        ))),
    }
}

pub(crate) fn is_null_value(v: &Value) -> bool {
    *v == v.as_null()
}

/// The bound value of an `iexact` lookup.
pub(crate) fn iexact_value(v: &Value) -> Result<String> {
    Ok(value_str(v)?.to_lowercase())
}

/// The LIKE pattern of a `contains`-family lookup (`%`, `_` and `\` escaped) and whether
/// it ignores case.
pub(crate) fn like_pattern(op: Op, v: &Value) -> Result<(String, bool)> {
    let s = escape_like(&value_str(v)?);
    Ok(match op {
        Op::Contains => (format!("%{s}%"), false),
        Op::IContains => (format!("%{s}%"), true),
        Op::StartsWith => (format!("{s}%"), false),
        Op::IStartsWith => (format!("{s}%"), true),
        Op::EndsWith => (format!("%{s}"), false),
        _ => (format!("%{s}"), true),
    })
}

/// The bound value for a LIKE `pattern` on `backend`: lower-cased when case is ignored,
/// a GLOB pattern for SQLite's case-sensitive match.
pub(crate) fn like_value(backend: Backend, pattern: &str, insensitive: bool) -> String {
    if insensitive {
        pattern.to_lowercase()
    } else if backend == Backend::Sqlite {
        glob_pattern(pattern)
    } else {
        pattern.to_string()
    }
}

impl Compiler {
    pub(crate) fn new(backend: Backend, root: &'static ModelMeta) -> Self {
        Compiler {
            backend,
            root,
            joins: Vec::new(),
            multi: false,
            bare: false,
        }
    }

    /// A compiler writing the root table's columns unqualified and without alias (for a
    /// query that turns out to need no join; check [`has_joins`](Self::has_joins) after).
    pub(crate) fn new_bare(backend: Backend, root: &'static ModelMeta) -> Self {
        Compiler {
            bare: true,
            ..Compiler::new(backend, root)
        }
    }

    /// Whether the root table is written without alias.
    pub(crate) fn is_bare(&self) -> bool {
        self.bare
    }

    /// Whether any table was joined.
    pub(crate) fn has_joins(&self) -> bool {
        !self.joins.is_empty()
    }

    /// The column `column` of the table aliased `alias` (`"t0"` is the root table).
    pub(crate) fn col(&self, alias: &str, column: &str) -> Expr {
        if self.bare && alias == "t0" {
            Expr::col(column.to_string())
        } else {
            col(alias, column)
        }
    }

    fn join(
        &mut self,
        key: String,
        table: &str,
        on_left: (String, String),
        on_right: &str,
        left: bool,
    ) -> String {
        if let Some(j) = self.joins.iter_mut().find(|j| j.key == key) {
            // A join needed as INNER for one use and LEFT for another stays LEFT.
            j.left |= left;
            return j.alias.clone();
        }
        let alias = format!("t{}", self.joins.len() + 1);
        self.joins.push(JoinInfo {
            key,
            alias: alias.clone(),
            table: table.to_string(),
            on_left,
            on_right: on_right.to_string(),
            left,
        });
        alias
    }

    /// Resolve `path` (relations then a field) to a column, adding the joins it needs.
    /// A path ending at a relation resolves to its key column.
    ///
    /// A non-null foreign key is INNER-joined (every row has its target); a nullable one,
    /// a to-many relation, and anything reached through them are LEFT-joined, so that
    /// `OR`, `NOT` and `isnull` see the rows without a related row.
    pub(crate) fn resolve(&mut self, path: &[String]) -> Result<Resolved> {
        let mut meta = self.root;
        let mut alias = "t0".to_string();
        let mut key = String::new();
        let mut left = false;
        let mut i = 0;
        while i < path.len() {
            let seg = path[i].as_str();
            let last = i + 1 == path.len();
            key.push_str("__");
            key.push_str(seg);
            let seg = if seg == "pk" { meta.pk().name } else { seg };
            if let Some(field) = meta.field(seg) {
                let field: &'static FieldMeta = field;
                match (&field.kind, last) {
                    (_, true) => return Ok(Resolved { alias, field }),
                    (crate::field::FieldKind::ForeignKey(_), false) => {
                        let target = field
                            .related
                            .ok_or_else(|| {
                                Error::InvalidQuery(format!("{}.{} has no model", meta.name, seg))
                            })?
                            .meta();
                        // `author__id` needs no join: the key is in this table.
                        if i + 2 == path.len()
                            && (path[i + 1] == target.pk().name || path[i + 1] == "pk")
                        {
                            return Ok(Resolved { alias, field });
                        }
                        left |= field.null;
                        let next = self.join(
                            key.clone(),
                            &target.table,
                            (alias.clone(), field.column.clone()),
                            &target.pk().column,
                            left,
                        );
                        alias = next;
                        meta = target;
                    }
                    _ => {
                        return Err(Error::InvalidQuery(format!(
                            "{}.{} is not a relation; unsupported lookup {:?}",
                            meta.name,
                            seg,
                            path[i + 1..].join("__")
                        )));
                    }
                }
            } else if let Some(m2m) = meta.m2m(seg) {
                let target = m2m
                    .related
                    .ok_or_else(|| {
                        Error::InvalidQuery(format!("{}.{seg} has no model", meta.name))
                    })?
                    .meta();
                let through = self.join(
                    format!("{key}#through"),
                    &m2m.through_table,
                    (alias.clone(), meta.pk().column.clone()),
                    &m2m.source_column,
                    true,
                );
                let next = self.join(
                    key.clone(),
                    &target.table,
                    (through, m2m.target_column.clone()),
                    &target.pk().column,
                    true,
                );
                self.multi = true;
                left = true;
                alias = next;
                meta = target;
                if last {
                    return Ok(Resolved {
                        alias,
                        field: meta.pk(),
                    });
                }
            } else if let Some(rev) = meta.reverse_rel(seg) {
                let child = rev.related.meta();
                let fk = child
                    .field(rev.field)
                    .ok_or_else(|| unknown(child, rev.field))?;
                let next = self.join(
                    key.clone(),
                    &child.table,
                    (alias.clone(), meta.pk().column.clone()),
                    &fk.column,
                    true,
                );
                self.multi = true;
                left = true;
                alias = next;
                meta = child;
                if last {
                    return Ok(Resolved {
                        alias,
                        field: meta.pk(),
                    });
                }
            } else {
                return Err(unknown(meta, seg));
            }
            i += 1;
        }
        Err(Error::InvalidQuery("empty field path".into()))
    }

    /// Join a `select_related` path and return the alias of the related table and whether
    /// the join is a LEFT JOIN. A nullable foreign key, or any key reached through one, is
    /// LEFT-joined so that rows without the relation are kept.
    pub(crate) fn join_related(
        &mut self,
        parent_alias: &str,
        parent_key: &str,
        field: &FieldMeta,
        target: &'static ModelMeta,
        parent_left: bool,
    ) -> (String, bool) {
        let alias = self.join(
            format!("{parent_key}__{}", field.name),
            &target.table,
            (parent_alias.to_string(), field.column.clone()),
            &target.pk().column,
            field.null || parent_left,
        );
        let left = self.joins.iter().any(|j| j.alias == alias && j.left);
        (alias, left)
    }

    pub(crate) fn apply_joins(&self, sel: &mut SelectStatement) {
        for j in &self.joins {
            let on = Expr::col((j.on_left.0.clone(), j.on_left.1.clone()))
                .equals((j.alias.clone(), j.on_right.clone()));
            let kind = if j.left {
                JoinType::LeftJoin
            } else {
                JoinType::InnerJoin
            };
            sel.join_as(kind, j.table.clone(), j.alias.clone(), on);
        }
    }

    /// Compile an [`F`] expression.
    pub(crate) fn f_expr(&mut self, f: &F) -> Result<Expr> {
        Ok(match f {
            F::Col(name) => {
                let path: Vec<String> = name.split("__").map(str::to_string).collect();
                let r = self.resolve(&path)?;
                self.col(&r.alias, &r.field.column)
            }
            F::Value(v) => Expr::val(v.clone()),
            F::Add(a, b) => self.f_expr(a)?.add(self.f_expr(b)?),
            F::Sub(a, b) => self.f_expr(a)?.sub(self.f_expr(b)?),
            F::Mul(a, b) => self.f_expr(a)?.mul(self.f_expr(b)?),
            F::Div(a, b) => self.f_expr(a)?.div(self.f_expr(b)?),
        })
    }

    /// Compile a condition tree.
    pub(crate) fn condition(&mut self, q: &Q) -> Result<Condition> {
        self.condition_in(q, false)
    }

    /// Compile a condition tree; `negated` is true under an odd number of `Not`s, where
    /// lookups follow Django's rules for NULLs and to-many relations (see
    /// [`negated_lookup`](Self::negated_lookup)).
    fn condition_in(&mut self, q: &Q, negated: bool) -> Result<Condition> {
        Ok(match q {
            Q::And(items) => {
                let mut c = Condition::all();
                for item in items {
                    c = c.add(self.condition_in(item, negated)?);
                }
                c
            }
            Q::Or(items) => {
                if items.is_empty() {
                    return Ok(Condition::all().add(Expr::cust("1 = 0")));
                }
                let mut c = Condition::any();
                for item in items {
                    c = c.add(self.condition_in(item, negated)?);
                }
                c
            }
            Q::Not(inner) => self.condition_in(inner, !negated)?.not(),
            Q::Lookup(lookup) if negated => Condition::all().add(self.negated_lookup(lookup)?),
            Q::Pk(v) => Condition::all().add(self.col("t0", &self.root.pk().column).eq(v.clone())),
            Q::InJoinTable {
                table,
                source,
                target,
                owner,
            } => {
                let sub = Query::select()
                    .column(target.clone())
                    .from(table.clone())
                    .and_where(Expr::col(source.clone()).eq(owner.clone()))
                    .to_owned();
                Condition::all().add(self.col("t0", &self.root.pk().column).in_subquery(sub))
            }
            Q::InThrough { source, owners } => {
                Condition::all().add(col("tj", source).is_in(owners.clone()))
            }
            Q::Lookup(lookup) => Condition::all().add(self.lookup(lookup)?),
        })
    }

    /// A lookup under `NOT`, as Django compiles it:
    ///
    /// - through a to-many relation (`exclude(tags__name="rust")`), it means "has no such
    ///   related row": `pk IN (SELECT pk ... WHERE lookup)` (negated by the caller), not a
    ///   join that would keep rows having *another* related row;
    /// - on a column that may be NULL (a nullable field, or any column of a joined table),
    ///   `col IS NOT NULL` is added, so that `NOT (...)` keeps the NULL rows
    ///   (`exclude(rating=3)` keeps posts without a rating).
    fn negated_lookup(&mut self, lookup: &Lookup) -> Result<Expr> {
        let mut sub = Compiler::new(self.backend, self.root);
        let expr = sub.lookup(lookup)?;
        if sub.multi {
            let pk = &self.root.pk().column;
            let mut inner = Query::select();
            inner
                .from_as(self.root.table.clone(), "t0")
                .expr(col("t0", pk))
                .and_where(expr);
            sub.apply_joins(&mut inner);
            return Ok(self.col("t0", pk).in_subquery(inner));
        }
        let r = self.resolve(&lookup.path)?;
        let expr = self.lookup(lookup)?;
        let nullable = r.field.null || r.alias != "t0";
        let tests_null = lookup.op == Op::IsNull
            || matches!(&lookup.operand, Operand::Value(v) if is_null_value(v));
        if nullable && !tests_null {
            Ok(expr.and(self.col(&r.alias, &r.field.column).is_not_null()))
        } else {
            Ok(expr)
        }
    }

    fn lookup(&mut self, lookup: &Lookup) -> Result<Expr> {
        let r = self.resolve(&lookup.path)?;
        let c = self.col(&r.alias, &r.field.column);
        let text = r.field.kind.is_text() || !r.field.choices.is_empty();
        let backend = self.backend;
        let one = |operand: &Operand| -> Result<Value> {
            match operand {
                Operand::Value(v) => Ok(v.clone()),
                other => Err(Error::InvalidQuery(format!(
                    "lookup on {:?} takes one value, got {other:?}",
                    lookup.path.join("__")
                ))),
            }
        };
        if let Operand::F(f) = &lookup.operand {
            let rhs = self.f_expr(f)?;
            return Ok(match lookup.op {
                Op::Exact => c.eq(rhs),
                Op::Gt => c.gt(rhs),
                Op::Gte => c.gte(rhs),
                Op::Lt => c.lt(rhs),
                Op::Lte => c.lte(rhs),
                other => {
                    return Err(Error::InvalidQuery(format!(
                        "lookup {other:?} cannot take an F expression"
                    )));
                }
            });
        }
        // The bound values come from `iexact_value`, `like_pattern` and `like_value`,
        // which the compiled-SQL cache (`query::cache`) calls too.
        let like = |c: Expr, pattern: String, insensitive: bool| -> Expr {
            let value = like_value(backend, &pattern, insensitive);
            if insensitive {
                Expr::expr(Func::lower(c)).like(LikeExpr::new(value).escape('\\'))
            } else {
                match backend {
                    // LIKE ignores case on SQLite and in MySQL's usual collations.
                    Backend::Sqlite => Expr::cust_with_exprs("? GLOB ?", [c, Expr::val(value)]),
                    Backend::MySql => Expr::cust_with_exprs(
                        "? LIKE BINARY ? ESCAPE '\\\\'",
                        [c, Expr::val(value)],
                    ),
                    Backend::Postgres => c.like(LikeExpr::new(value).escape('\\')),
                }
            }
        };
        Ok(match lookup.op {
            Op::Exact => {
                let v = one(&lookup.operand)?;
                if is_null_value(&v) {
                    c.is_null()
                } else {
                    c.eq(v)
                }
            }
            Op::IExact => {
                let v = one(&lookup.operand)?;
                let s = iexact_value(&v)?;
                if !text {
                    return Err(Error::InvalidQuery(format!(
                        "iexact needs a text field; {} is {}",
                        r.field.name,
                        r.field.kind.name()
                    )));
                }
                Expr::expr(Func::lower(c)).eq(s)
            }
            Op::Contains
            | Op::IContains
            | Op::StartsWith
            | Op::IStartsWith
            | Op::EndsWith
            | Op::IEndsWith => {
                let v = one(&lookup.operand)?;
                let (pattern, insensitive) = like_pattern(lookup.op, &v)?;
                like(c, pattern, insensitive)
            }
            Op::In => match &lookup.operand {
                Operand::List(values) if values.is_empty() => Expr::cust("1 = 0"),
                Operand::List(values) => c.is_in(values.clone()),
                other => {
                    return Err(Error::InvalidQuery(format!(
                        "`in` takes a list, got {other:?}"
                    )));
                }
            },
            Op::Gt => c.gt(one(&lookup.operand)?),
            Op::Gte => c.gte(one(&lookup.operand)?),
            Op::Lt => c.lt(one(&lookup.operand)?),
            Op::Lte => c.lte(one(&lookup.operand)?),
            Op::Range => match &lookup.operand {
                Operand::Pair(a, b) => c.between(a.clone(), b.clone()),
                other => {
                    return Err(Error::InvalidQuery(format!(
                        "`range` takes two values, got {other:?}"
                    )));
                }
            },
            Op::IsNull => match one(&lookup.operand)? {
                Value::Bool(Some(true)) => c.is_null(),
                Value::Bool(Some(false)) => c.is_not_null(),
                other => {
                    return Err(Error::InvalidQuery(format!(
                        "`isnull` takes a bool, got {other:?}"
                    )));
                }
            },
        })
    }

    /// Resolve an `order_by` entry (`-created_at`, `author__name`).
    pub(crate) fn order(&mut self, spec: &str) -> Result<(Expr, Order)> {
        let (name, order) = match spec.strip_prefix('-') {
            Some(rest) => (rest, Order::Desc),
            None => (spec.strip_prefix('+').unwrap_or(spec), Order::Asc),
        };
        let path: Vec<String> = name.split("__").map(str::to_string).collect();
        let r = self.resolve(&path)?;
        Ok((self.col(&r.alias, &r.field.column), order))
    }
}

/// A LIKE pattern (`%`/`_` wildcards, `\` escapes) rewritten for SQLite's case-sensitive GLOB.
fn glob_pattern(like: &str) -> String {
    let mut out = String::new();
    let mut chars = like.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    glob_literal(n, &mut out);
                }
            }
            '%' => out.push('*'),
            '_' => out.push('?'),
            other => glob_literal(other, &mut out),
        }
    }
    out
}

fn glob_literal(c: char, out: &mut String) {
    match c {
        '*' | '?' | '[' => {
            out.push('[');
            out.push(c);
            out.push(']');
        }
        other => out.push(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(glob_pattern("%a\\%b*[%"), "*a%b[*][[]*");
    }
}
