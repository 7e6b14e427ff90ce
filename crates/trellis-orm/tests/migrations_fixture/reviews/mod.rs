//! Migrations of app `reviews`, in order.
//!
//! `makemigrations` rewrites this file each time it adds a migration (listing the
//! `m*.rs` files of this folder, sorted by name); then rebuild the project so that the
//! new migration is compiled in.

mod m0001_initial;

use trellis_orm::migrations::Migration;

/// The app's migrations, in order.
pub(crate) fn migrations() -> Vec<Migration> {
    vec![m0001_initial::migration()]
}
