//! Operations: the steps of a migration, as data (Django's `migrations/operations/`).
//!
//! Each operation changes the [`ProjectState`] ([`Operation::state_forwards`]) and has the
//! database follow ([`Operation::database_forwards`] / [`Operation::database_backwards`],
//! which return [`Step`]s: DDL from the [`SchemaEditor`], or user code).

mod field;
mod model;
mod special;

pub use field::{AddField, AlterField, RemoveField, RenameField};
pub use model::{
    AddConstraint, AddIndex, CreateModel, DeleteModel, RemoveConstraint, RemoveIndex, RenameModel,
};
pub use special::{CodeFn, RunCode, RunSql};

use crate::backend::Backend;
use crate::error::Result;
use crate::migrations::ProjectState;
use crate::schema::SchemaEditor;

/// One thing the executor does: run SQL, or run user code on the migration's connection.
#[derive(Clone)]
pub enum Step {
    /// A SQL statement.
    Sql(String),
    /// A data migration function.
    Code(CodeFn),
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Sql(s) => f.debug_tuple("Sql").field(s).finish(),
            Step::Code(_) => f.write_str("Code(..)"),
        }
    }
}

/// A migration operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// Create a model's table (and its join tables).
    CreateModel(CreateModel),
    /// Drop a model's table (and its join tables).
    DeleteModel(DeleteModel),
    /// Rename a model (and its table).
    RenameModel(RenameModel),
    /// Add a field (a column, or a many-to-many join table).
    AddField(AddField),
    /// Remove a field.
    RemoveField(RemoveField),
    /// Change a field's definition.
    AlterField(AlterField),
    /// Rename a field (and its column).
    RenameField(RenameField),
    /// Create an index.
    AddIndex(AddIndex),
    /// Drop an index.
    RemoveIndex(RemoveIndex),
    /// Add a composite UNIQUE constraint.
    AddConstraint(AddConstraint),
    /// Drop a composite UNIQUE constraint.
    RemoveConstraint(RemoveConstraint),
    /// Raw SQL.
    RunSql(RunSql),
    /// Rust code (a data migration).
    RunCode(RunCode),
}

macro_rules! from_ops {
    ($($v:ident),*) => {$(
        impl From<$v> for Operation {
            fn from(op: $v) -> Operation {
                Operation::$v(op)
            }
        }
    )*};
}
from_ops!(
    CreateModel,
    DeleteModel,
    RenameModel,
    AddField,
    RemoveField,
    AlterField,
    RenameField,
    AddIndex,
    RemoveIndex,
    AddConstraint,
    RemoveConstraint,
    RunSql,
    RunCode
);

macro_rules! dispatch {
    ($self:expr, $op:ident => $e:expr) => {
        match $self {
            Operation::CreateModel($op) => $e,
            Operation::DeleteModel($op) => $e,
            Operation::RenameModel($op) => $e,
            Operation::AddField($op) => $e,
            Operation::RemoveField($op) => $e,
            Operation::AlterField($op) => $e,
            Operation::RenameField($op) => $e,
            Operation::AddIndex($op) => $e,
            Operation::RemoveIndex($op) => $e,
            Operation::AddConstraint($op) => $e,
            Operation::RemoveConstraint($op) => $e,
            Operation::RunSql($op) => $e,
            Operation::RunCode($op) => $e,
        }
    };
}

/// What every operation implements.
pub(crate) trait Op {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()>;
    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()>;
    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()>;
    fn describe(&self) -> String;
}

impl Operation {
    /// Apply this operation to `state` (models of app `app`).
    pub fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        dispatch!(self, op => op.state_forwards(app, state))
    }

    /// The steps that take the database from `from` (the state before this operation)
    /// to `to` (after it).
    pub fn database_forwards(
        &self,
        app: &'static str,
        backend: Backend,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<Vec<Step>> {
        match self {
            Operation::RunCode(op) => Ok(vec![Step::Code(op.forwards)]),
            _ => {
                let mut ed = SchemaEditor::new(backend);
                dispatch!(self, op => op.database_forwards(app, &mut ed, from, to))?;
                Ok(ed.take().into_iter().map(Step::Sql).collect())
            }
        }
    }

    /// The steps that undo this operation: from `from` (the state after it) back to `to`
    /// (the state before it). Fails for irreversible operations.
    pub fn database_backwards(
        &self,
        app: &'static str,
        backend: Backend,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<Vec<Step>> {
        match self {
            Operation::RunCode(op) => Ok(match op.backwards {
                Some(code) => vec![Step::Code(code)],
                None if op.reversible_noop => Vec::new(),
                None => {
                    return Err(crate::Error::Migration(format!(
                        "operation `{}` is not reversible (give RunCode a backward function, \
                         or `.reverse_noop()`)",
                        op.describe()
                    )));
                }
            }),
            _ => {
                let mut ed = SchemaEditor::new(backend);
                dispatch!(self, op => op.database_backwards(app, &mut ed, from, to))?;
                Ok(ed.take().into_iter().map(Step::Sql).collect())
            }
        }
    }

    /// A human description (`Create model Post`).
    pub fn describe(&self) -> String {
        dispatch!(self, op => op.describe())
    }

    /// The model labels (`app.Model`) this operation's fields point at.
    pub fn references(&self, app: &str) -> Vec<String> {
        let _ = app;
        match self {
            Operation::CreateModel(op) => {
                op.fields.iter().flat_map(|(_, f)| f.references()).collect()
            }
            Operation::AddField(op) => op.field.references(),
            Operation::AlterField(op) => op.field.references(),
            _ => Vec::new(),
        }
    }
}
