//! The ORM's error type.

/// What can go wrong in the ORM.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `get()` found no row (Django's `Model.DoesNotExist`).
    #[error("{model} matching query does not exist")]
    DoesNotExist {
        /// The model's name.
        model: &'static str,
    },
    /// `get()` found more than one row (Django's `MultipleObjectsReturned`).
    #[error("get() returned more than one {model} -- it returned {count}!")]
    MultipleObjectsReturned {
        /// The model's name.
        model: &'static str,
        /// How many rows matched (at least 2; the query stops counting early).
        count: usize,
    },
    /// A field name (in a lookup, `order_by`, `values`, ...) that is not on the model.
    #[error("cannot resolve keyword {name:?} into field of {model}; choices are: {choices}")]
    UnknownField {
        /// The model searched.
        model: &'static str,
        /// The name that was not found.
        name: String,
        /// The fields that exist.
        choices: String,
    },
    /// A lookup that the field cannot take, or a malformed query.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Deleting this object would delete objects protected by `on_delete = Protect`/`Restrict`.
    #[error("cannot delete {model}: it is referenced through protected foreign key {field}")]
    Protected {
        /// The model that was to be deleted.
        model: &'static str,
        /// `Model.field` holding the protected reference.
        field: String,
    },
    /// A related object was read without having been loaded.
    #[error(
        "{model}.{field} is not loaded: add select_related(\"{field}\") or prefetch_related(\"{field}\") to the query, or fetch it explicitly with .get(&db)"
    )]
    NotLoaded {
        /// The model owning the relation.
        model: &'static str,
        /// The relation's field name.
        field: &'static str,
    },
    /// A value read from the database did not fit the field's type.
    #[error("cannot decode column {column}: {message}")]
    Decode {
        /// The column.
        column: String,
        /// What went wrong.
        message: String,
    },
    /// A database URL that Trellis cannot use.
    #[error("invalid database URL {url:?}: {message}")]
    Url {
        /// The URL, with any password removed.
        url: String,
        /// Why it was refused.
        message: String,
    },
    /// The N+1 detector, made strict (in tests), found a repeated query.
    #[error("{0}")]
    NPlusOne(String),
    /// A migration problem.
    #[error("migration error: {0}")]
    Migration(String),
    /// An error from the database driver.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Error {
    /// Whether this is [`Error::DoesNotExist`].
    pub fn is_does_not_exist(&self) -> bool {
        matches!(self, Error::DoesNotExist { .. })
    }
}

/// The ORM's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
