//! Migration `shop.0002_product_stock`, written by `makemigrations`.
//! Review it like any other code; edit it if you need to (add a `RunCode` data migration, say).

use trellis_orm::migrations::prelude::*;

/// Operations:
/// - Add field stock to product
pub(crate) fn migration() -> Migration {
    Migration::new("shop", "0002_product_stock")
        .depends_on("shop", "0001_initial")
        .operation(AddField::new(
            "Product",
            "stock",
            Field::int().default(7i32),
        ))
}
