//! # The Trellis ORM
//!
//! Models declared as Rust structs (`#[derive(Model)]`), lazy chainable async QuerySets,
//! relations loaded on purpose (`select_related`, `prefetch_related`; never implicitly),
//! transactions with savepoints and `on_commit`, signals, and migrations, on SQLite (the
//! embedded default), PostgreSQL and MySQL/MariaDB. SQL is built with sea-query and run
//! with tokio-postgres (PostgreSQL), sqlx (MySQL) or rusqlite (SQLite, on the calling
//! thread): values are always bound parameters.
//!
//! ```
//! use trellis_orm::prelude::*;
//!
//! #[derive(Model, Debug, Clone)]
//! #[model(app = "blog")]
//! pub struct Author {
//!     pub id: i64,
//!     #[field(max_length = 100)]
//!     pub name: String,
//! }
//!
//! #[derive(Model, Debug, Clone)]
//! #[model(app = "blog", ordering = "-id")]
//! pub struct Post {
//!     pub id: i64,
//!     #[field(max_length = 200)]
//!     pub title: String,
//!     #[field(on_delete = Cascade, related_name = "posts")]
//!     pub author: ForeignKey<Author>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> trellis_orm::Result<()> {
//! let db = Db::connect("sqlite::memory:").await?;
//! trellis_orm::schema::create_tables(&db, &[Author::meta(), Post::meta()]).await?;
//! let mut ann = Author { id: 0, name: "Ann".into() };
//! ann.save(&db).await?;
//! let mut post = Post { id: 0, title: "Hello".into(), author: ForeignKey::from(&ann) };
//! post.save(&db).await?;
//!
//! let posts = Post::objects()
//!     .filter(Post::f().author.f().name.eq("Ann"))
//!     .select_related(["author"])
//!     .all(&db)
//!     .await?;
//! assert_eq!(posts[0].author.try_get()?.name, "Ann");
//! # Ok(()) }
//! ```
//!
//! Layout (Django's `db/`): [`model`] (what users declare) over [`query`] (QuerySets and
//! the SQL compiler) over [`backend`] (connections, transactions, capability flags);
//! [`signals`], [`observe`] (query counting, N+1 detector) and [`migrations`] beside them.

pub mod backend;
mod error;
pub mod field;
pub mod migrations;
pub mod model;
pub mod observe;
pub mod query;
pub mod schema;
pub mod signals;
pub mod testing;

pub use backend::{Backend, Conn, Db, DbConfig, Executor, Row, Tx, on_commit};
pub use error::{Error, Result};
pub use field::{Choices, DefaultValue, FieldKind, FieldMeta, FieldType, OnDelete};
pub use model::{
    ForeignKey, ManyToMany, Model, ModelExt, ModelMeta, Reverse, bulk_create, bulk_create_sql,
    bulk_update, get_or_create, update_or_create,
};
pub use query::{Agg, F, Prefetch, Q, QuerySet, raw, raw_execute, raw_rows};
pub use trellis_orm_macros::{Choices, Model};

/// The crates of the field types, re-exported so models need no extra dependencies.
pub use {chrono, rust_decimal, uuid};

/// Transactions (Django's `django.db.transaction`): [`Db::atomic`], [`Tx::atomic`]
/// (savepoints), [`on_commit`].
pub mod transaction {
    pub use crate::backend::{OnCommit, Tx, on_commit};
}

/// What models and queries need: `use trellis_orm::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Agg, Backend, Choices, Db, Executor, F, ForeignKey, ManyToMany, Model, ModelExt, Prefetch,
        Q, QuerySet, Reverse, Tx,
    };
}

#[doc(hidden)]
pub mod __private {
    pub use sea_query::Value;
    pub use std::sync::{Arc, OnceLock};

    pub use futures_util::future::BoxFuture;

    pub use crate::field::choices_decode;
    pub use crate::model::{RelatedModel, decode_at};
    pub use crate::query::load_width;

    /// The current time, for `auto_now` fields of any date/time type.
    pub fn now<T: Now>() -> T {
        T::now()
    }

    /// Types `auto_now` can set.
    pub trait Now {
        /// The current time.
        fn now() -> Self;
    }
    impl Now for chrono::DateTime<chrono::Utc> {
        fn now() -> Self {
            chrono::Utc::now()
        }
    }
    impl Now for chrono::NaiveDate {
        fn now() -> Self {
            chrono::Utc::now().date_naive()
        }
    }
    impl Now for chrono::NaiveTime {
        fn now() -> Self {
            chrono::Utc::now().time()
        }
    }
    impl<T: Now> Now for Option<T> {
        fn now() -> Self {
            Some(T::now())
        }
    }
}
