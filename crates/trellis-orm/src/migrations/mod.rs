//! Migrations (Django's `db/migrations`): the schema of every app kept in step with its
//! models, through migration files written in Rust and reviewed like code.
//!
//! # The pipeline
//!
//! `makemigrations` ([`commands::makemigrations`]):
//!
//! 1. **loader** — each app's migrations (compiled into the binary from its
//!    `migrations/mod.rs`) form a [`MigrationGraph`]; two leaves in one app are a
//!    conflict to merge;
//! 2. **state** — applying every migration's operations in graph order gives a
//!    [`ProjectState`]: the models as the migrations know them;
//! 3. **autodetector** — [`Autodetector`] compares that state with the models in code
//!    (only what the database sees: kind, column, NULL, keys, indexes, default, relation)
//!    and lists [`Operation`]s, ordered so that referenced models come first, with
//!    dependencies on other apps' latest migrations;
//! 4. **questioner** — a removed and an added field (or model) with the same definition
//!    are a probable rename: the [`Questioner`] asks (`Was blog.Post.title renamed to
//!    blog.Post.headline? [y/N]`); without input it refuses rather than drop data, unless
//!    a `--rename blog.Post.title=headline` rule ([`Rename`]) answers;
//! 5. **writer** — [`writer`] writes `mNNNN_<name>.rs` into the app's migrations folder
//!    and regenerates its `mod.rs`. Rebuild the project so the new file is compiled in.
//!
//! `migrate` ([`commands::migrate`]): loader → graph plan (forwards to a target, or
//! backwards: `zero` unapplies an app, dependents first) → executor (each migration in a
//! savepoint of one transaction where DDL is transactional, under a lock that makes a
//! second migrating process wait and then find the work done) → schema editor
//! ([`SchemaEditor`](crate::schema::SchemaEditor): DDL per backend; SQLite rebuilds
//! tables it cannot alter) → recorder (the `trellis_migrations` table, written in the
//! same transaction).
//!
//! # Layout of an app
//!
//! ```text
//! src/blog/
//!   models.rs
//!   migrations/
//!     mod.rs               // generated: `pub(crate) fn migrations() -> Vec<Migration>`
//!     m0001_initial.rs     // `pub(crate) fn migration() -> Migration`
//!     m0002_post_headline.rs
//! ```
//!
//! The app hands its migrations to the commands with an [`AppMigrations`]:
//!
//! ```
//! use trellis_orm::migrations::prelude::*;
//! use trellis_orm::migrations::AppMigrations;
//!
//! // What src/blog/migrations/m0001_initial.rs contains:
//! pub fn migration() -> Migration {
//!     Migration::new("blog", "0001_initial")
//!         .initial()
//!         .operation(
//!             CreateModel::new("Post", "blog_post")
//!                 .field("id", Field::big_auto().primary_key())
//!                 .field("title", Field::char(200)),
//!         )
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> trellis_orm::Result<()> {
//! let apps = [AppMigrations::new("blog", "src/blog/migrations").migrations(vec![migration()])];
//! let db = trellis_orm::Db::connect("sqlite::memory:").await?;
//! let log = trellis_orm::migrations::migrate(&db, &apps, None, None).await?;
//! assert_eq!(log, ["Applying blog.0001_initial... OK"]);
//! # Ok(()) }
//! ```

pub mod autodetector;
pub mod commands;
pub mod executor;
mod field;
pub mod graph;
mod migration;
pub mod operations;
pub mod questioner;
pub mod recorder;
mod state;
pub mod writer;

pub use autodetector::{Autodetector, Rename};
pub use commands::{
    MakeOptions, MakeReport, NewMigration, makemigrations, migrate, showmigrations, sqlmigrate,
};
pub use field::{Field, same_column, same_m2m, values};
pub use graph::MigrationGraph;
pub use migration::{AppMigrations, Migration};
pub use operations::{
    AddConstraint, AddField, AddIndex, AlterField, CodeFn, CreateModel, DeleteModel, Operation,
    RemoveConstraint, RemoveField, RemoveIndex, RenameField, RenameModel, RunCode, RunSql, Step,
};
pub use questioner::{InteractiveQuestioner, NonInteractiveQuestioner, Questioner};
pub use state::ProjectState;

/// What migration files use: `use trellis_orm::migrations::prelude::*;`.
pub mod prelude {
    pub use super::values;
    pub use super::{
        AddConstraint, AddField, AddIndex, AlterField, CreateModel, DeleteModel, Field, Migration,
        RemoveConstraint, RemoveField, RemoveIndex, RenameField, RenameModel, RunCode, RunSql,
    };
    pub use crate::backend::Conn;
    pub use crate::field::OnDelete;
    pub use futures_util::future::BoxFuture;
    pub use sea_query::Value;
}

/// The message of a migration error, without its prefix.
pub(crate) fn msg(e: crate::Error) -> String {
    match e {
        crate::Error::Migration(m) => m,
        other => other.to_string(),
    }
}
