//! Migration `reviews.0001_initial`, written by `makemigrations`.
//! Review it like any other code; edit it if you need to (add a `RunCode` data migration, say).

use trellis_orm::migrations::prelude::*;

/// Operations:
/// - Create model Review
pub(crate) fn migration() -> Migration {
    Migration::new("reviews", "0001_initial")
        .initial()
        .depends_on("shop", "0001_initial")
        .operation(
            CreateModel::new("Review", "reviews_review")
                .field("id", Field::big_auto().primary_key())
                .field(
                    "product",
                    Field::foreign_key("shop.Product", "shop_product", "id"),
                )
                .field("text", Field::text())
                .field("stars", Field::small_int().null()),
        )
}
