//! [`RunSql`] and [`RunCode`]: migrations that are not schema changes.

use futures_util::future::BoxFuture;

use super::Op;
use crate::backend::Conn;
use crate::error::{Error, Result};
use crate::migrations::ProjectState;
use crate::schema::SchemaEditor;

/// A data-migration function: it gets the migration's connection (inside the
/// migration's transaction where the backend has transactional DDL).
///
/// ```
/// use trellis_orm::migrations::prelude::*;
///
/// fn fill_slugs(conn: Conn<'_>) -> BoxFuture<'_, trellis_orm::Result<()>> {
///     Box::pin(async move {
///         conn.execute_raw("UPDATE blog_post SET slug = lower(title)").await?;
///         Ok(())
///     })
/// }
/// let op = RunCode::new(fill_slugs).reverse_noop();
/// # let _ = op;
/// ```
pub type CodeFn = for<'a> fn(Conn<'a>) -> BoxFuture<'a, Result<()>>;

/// Run SQL statements forwards, and optionally others backwards.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSql {
    /// The statements run when applying.
    pub sql: Vec<String>,
    /// The statements run when unapplying (`None`: irreversible).
    pub reverse_sql: Option<Vec<String>>,
}

impl RunSql {
    /// Run `sql` (one statement) when applying.
    pub fn new(sql: impl Into<String>) -> RunSql {
        RunSql {
            sql: vec![sql.into()],
            reverse_sql: None,
        }
    }

    /// Run one more statement when applying.
    pub fn then(mut self, sql: impl Into<String>) -> RunSql {
        self.sql.push(sql.into());
        self
    }

    /// Run `sql` when unapplying (call again for more statements).
    pub fn reverse(mut self, sql: impl Into<String>) -> RunSql {
        self.reverse_sql
            .get_or_insert_with(Vec::new)
            .push(sql.into());
        self
    }

    /// Unapplying does nothing (but is allowed).
    pub fn reverse_noop(mut self) -> RunSql {
        self.reverse_sql.get_or_insert_with(Vec::new);
        self
    }
}

impl Op for RunSql {
    fn state_forwards(&self, _: &'static str, _: &mut ProjectState) -> Result<()> {
        Ok(())
    }

    fn database_forwards(
        &self,
        _: &'static str,
        ed: &mut SchemaEditor,
        _: &ProjectState,
        _: &ProjectState,
    ) -> Result<()> {
        for s in &self.sql {
            ed.push(s.clone());
        }
        Ok(())
    }

    fn database_backwards(
        &self,
        _: &'static str,
        ed: &mut SchemaEditor,
        _: &ProjectState,
        _: &ProjectState,
    ) -> Result<()> {
        match &self.reverse_sql {
            Some(sql) => {
                for s in sql {
                    ed.push(s.clone());
                }
                Ok(())
            }
            None => Err(Error::Migration(
                "a RunSql operation without reverse SQL is not reversible (add `.reverse(..)` \
                 or `.reverse_noop()`)"
                    .into(),
            )),
        }
    }

    fn describe(&self) -> String {
        "Raw SQL operation".into()
    }
}

/// Run Rust code (a data migration), with an optional backward function.
#[derive(Clone)]
pub struct RunCode {
    /// Run when applying.
    pub forwards: CodeFn,
    /// Run when unapplying.
    pub backwards: Option<CodeFn>,
    /// Unapplying does nothing but is allowed.
    pub reversible_noop: bool,
    /// What the code does, for messages.
    pub description: Option<String>,
}

impl RunCode {
    /// Run `forwards` when applying (irreversible until [`backwards`](Self::backwards)
    /// or [`reverse_noop`](Self::reverse_noop) is given).
    pub fn new(forwards: CodeFn) -> RunCode {
        RunCode {
            forwards,
            backwards: None,
            reversible_noop: false,
            description: None,
        }
    }

    /// Run `backwards` when unapplying.
    pub fn backwards(mut self, backwards: CodeFn) -> RunCode {
        self.backwards = Some(backwards);
        self
    }

    /// Unapplying does nothing.
    pub fn reverse_noop(mut self) -> RunCode {
        self.reversible_noop = true;
        self
    }

    /// Describe what the code does (shown by `migrate` and `sqlmigrate`).
    pub fn describe_as(mut self, text: impl Into<String>) -> RunCode {
        self.description = Some(text.into());
        self
    }
}

impl std::fmt::Debug for RunCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunCode")
            .field("backwards", &self.backwards.is_some())
            .field("description", &self.description)
            .finish()
    }
}

impl PartialEq for RunCode {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.forwards, other.forwards) && self.description == other.description
    }
}

impl Op for RunCode {
    fn state_forwards(&self, _: &'static str, _: &mut ProjectState) -> Result<()> {
        Ok(())
    }

    fn database_forwards(
        &self,
        _: &'static str,
        _: &mut SchemaEditor,
        _: &ProjectState,
        _: &ProjectState,
    ) -> Result<()> {
        Ok(())
    }

    fn database_backwards(
        &self,
        _: &'static str,
        _: &mut SchemaEditor,
        _: &ProjectState,
        _: &ProjectState,
    ) -> Result<()> {
        Ok(())
    }

    fn describe(&self) -> String {
        match &self.description {
            Some(d) => format!("Raw Rust operation: {d}"),
            None => "Raw Rust operation".into(),
        }
    }
}
