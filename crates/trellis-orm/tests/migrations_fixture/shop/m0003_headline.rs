//! Migration `shop.0003_headline`, written by `makemigrations`.
//! Review it like any other code; edit it if you need to (add a `RunCode` data migration, say).

use trellis_orm::migrations::prelude::*;

/// Operations:
/// - Rename field title on product to headline
/// - Remove index shop_product_title_price_idx from Product
/// - Create index shop_product_headline_price_idx on field(s) headline, price of model Product
pub(crate) fn migration() -> Migration {
    Migration::new("shop", "0003_headline")
        .depends_on("shop", "0002_product_stock")
        .operation(RenameField::new("Product", "title", "headline"))
        .operation(RemoveIndex::new("Product", "shop_product_title_price_idx"))
        .operation(AddIndex::new(
            "Product",
            "shop_product_headline_price_idx",
            ["headline", "price"],
        ))
}
