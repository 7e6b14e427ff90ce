//! Migration `api.0001_initial`, written by `makemigrations`.
//! Review it like any other code; edit it if you need to (add a `RunCode` data migration, say).

use trellis_orm::migrations::prelude::*;

/// Operations:
/// - Create model ItemRow
pub(crate) fn migration() -> Migration {
    Migration::new("api", "0001_initial").initial().operation(
        CreateModel::new("ItemRow", "api_itemrow")
            .field("id", Field::big_auto().primary_key())
            .field("name", Field::char(50).db_index())
            .field("price", Field::double())
            .field("quantity", Field::int())
            .field("tags", Field::text().default(",")),
    )
}
