//! [`Migration`]: a named list of operations with its dependencies, and
//! [`AppMigrations`]: what an app hands to the commands.

use std::path::PathBuf;

use crate::error::Result;
use crate::migrations::{Operation, ProjectState};
use crate::model::ModelMeta;

/// One migration: an app's named, ordered list of operations, applied after its
/// dependencies.
///
/// ```
/// use trellis_orm::migrations::prelude::*;
///
/// let m = Migration::new("blog", "0002_post_headline")
///     .depends_on("blog", "0001_initial")
///     .operation(AddField::new("Post", "headline", Field::char(200).default("")));
/// assert_eq!(m.key(), ("blog".to_string(), "0002_post_headline".to_string()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The app's label.
    pub app: &'static str,
    /// The migration's name (`0001_initial`).
    pub name: String,
    /// `(app, name)` of the migrations to apply first.
    pub dependencies: Vec<(String, String)>,
    /// The operations, in order.
    pub operations: Vec<Operation>,
    /// The app's first migration.
    pub initial: bool,
}

impl Migration {
    /// Migration `name` of app `app`, with no operations.
    pub fn new(app: &'static str, name: &str) -> Migration {
        Migration {
            app,
            name: name.to_string(),
            dependencies: Vec::new(),
            operations: Vec::new(),
            initial: false,
        }
    }

    /// Apply migration `name` of `app` first.
    pub fn depends_on(mut self, app: &str, name: &str) -> Migration {
        self.dependencies.push((app.to_string(), name.to_string()));
        self
    }

    /// Mark as the app's initial migration.
    pub fn initial(mut self) -> Migration {
        self.initial = true;
        self
    }

    /// Append an operation.
    pub fn operation(mut self, op: impl Into<Operation>) -> Migration {
        self.operations.push(op.into());
        self
    }

    /// `(app, name)`.
    pub fn key(&self) -> (String, String) {
        (self.app.to_string(), self.name.clone())
    }

    /// Apply every operation to `state`.
    pub fn apply_state(&self, state: &mut ProjectState) -> Result<()> {
        for op in &self.operations {
            op.state_forwards(self.app, state).map_err(|e| {
                crate::Error::Migration(format!("in {}.{}: {}", self.app, self.name, strip(e)))
            })?;
        }
        Ok(())
    }
}

fn strip(e: crate::Error) -> String {
    match e {
        crate::Error::Migration(m) => m,
        other => other.to_string(),
    }
}

/// An app as the migration commands see it: its label, its migrations folder (where
/// `makemigrations` writes), the migrations compiled into the binary (the folder's
/// `mod.rs`, `migrations()`), and its current models.
///
/// ```no_run
/// # mod blog { pub mod migrations { pub fn migrations() -> Vec<trellis_orm::migrations::Migration> { vec![] } } }
/// use trellis_orm::migrations::AppMigrations;
///
/// let app = AppMigrations::new("blog", concat!(env!("CARGO_MANIFEST_DIR"), "/src/blog/migrations"))
///     .migrations(blog::migrations::migrations())
///     .registered_models();
/// ```
#[derive(Debug, Clone)]
pub struct AppMigrations {
    /// The app's label (`blog`).
    pub label: &'static str,
    /// The source folder of the app's migrations (`src/blog/migrations`).
    pub dir: PathBuf,
    /// The app's migrations.
    pub migrations: Vec<Migration>,
    /// The app's models as declared in code.
    pub models: Vec<&'static ModelMeta>,
}

impl AppMigrations {
    /// App `label` whose migrations live in `dir`, with no migrations or models yet.
    pub fn new(label: &'static str, dir: impl Into<PathBuf>) -> AppMigrations {
        AppMigrations {
            label,
            dir: dir.into(),
            migrations: Vec::new(),
            models: Vec::new(),
        }
    }

    /// The app's migrations (usually `migrations::migrations()` of the app's folder).
    pub fn migrations(mut self, migrations: Vec<Migration>) -> AppMigrations {
        self.migrations = migrations;
        self
    }

    /// The app's models.
    pub fn models(mut self, models: Vec<&'static ModelMeta>) -> AppMigrations {
        self.models = models;
        self
    }

    /// The app's models from the model registry (models register when their metadata is
    /// first read, or with [`register`](crate::model::registry::register)).
    pub fn registered_models(mut self) -> AppMigrations {
        self.models = crate::model::registry::app_models(self.label);
        self
    }
}
