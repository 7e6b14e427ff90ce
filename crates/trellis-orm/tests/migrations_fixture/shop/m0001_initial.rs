//! Migration `shop.0001_initial`, written by `makemigrations`.
//! Review it like any other code; edit it if you need to (add a `RunCode` data migration, say).

use trellis_orm::migrations::prelude::*;

/// Operations:
/// - Create model Category
/// - Create model Tag
/// - Create model Product
pub(crate) fn migration() -> Migration {
    Migration::new("shop", "0001_initial")
        .initial()
        .operation(
            CreateModel::new("Category", "shop_category")
                .field("id", Field::big_auto().primary_key())
                .field("name", Field::char(50).unique()),
        )
        .operation(
            CreateModel::new("Tag", "shop_tag")
                .field("id", Field::big_auto().primary_key())
                .field("label", Field::char(30)),
        )
        .operation(
            CreateModel::new("Product", "shop_product")
                .field("id", Field::big_auto().primary_key())
                .field("title", Field::char(100))
                .field("price", Field::decimal(10, 2))
                .field(
                    "category",
                    Field::foreign_key("shop.Category", "shop_category", "id"),
                )
                .field(
                    "tags",
                    Field::many_to_many("shop.Tag", "shop_product_tags", "product_id", "tag_id"),
                )
                .unique_together(["category", "title"])
                .index("shop_product_title_price_idx", ["title", "price"]),
        )
}
