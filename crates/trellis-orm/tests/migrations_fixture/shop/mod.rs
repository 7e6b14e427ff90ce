//! Migrations of app `shop`, in order.
//!
//! `makemigrations` rewrites this file each time it adds a migration (listing the
//! `m*.rs` files of this folder, sorted by name); then rebuild the project so that the
//! new migration is compiled in.

mod m0001_initial;
mod m0002_product_stock;
mod m0003_headline;

use trellis_orm::migrations::Migration;

/// The app's migrations, in order.
pub(crate) fn migrations() -> Vec<Migration> {
    vec![
        m0001_initial::migration(),
        m0002_product_stock::migration(),
        m0003_headline::migration(),
    ]
}
