//! Model versions and helpers shared by the migration suites. Each `vN` module is the
//! same two apps (`shop`, `reviews`) at a later point of their history.
#![allow(dead_code, missing_docs, unreachable_pub)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use trellis_orm::migrations::{AppMigrations, Migration, Questioner};
use trellis_orm::prelude::*;
use trellis_orm::testing::TestDb;
use trellis_orm::{ModelMeta, Row};

pub mod v1 {
    use rust_decimal::Decimal;
    use trellis_orm::ModelMeta;
    use trellis_orm::prelude::*;

    #[derive(Model, Debug, Clone)]
    #[model(app = "shop")]
    pub struct Category {
        pub id: i64,
        #[field(max_length = 50, unique)]
        pub name: String,
    }

    #[derive(Model, Debug, Clone)]
    #[model(app = "shop")]
    pub struct Tag {
        pub id: i64,
        #[field(max_length = 30)]
        pub label: String,
    }

    #[derive(Model, Debug, Clone)]
    #[model(
        app = "shop",
        unique_together("category", "title"),
        index("title", "price")
    )]
    pub struct Product {
        pub id: i64,
        #[field(max_length = 100, verbose_name = "Title")]
        pub title: String,
        #[field(max_digits = 10, decimal_places = 2)]
        pub price: Decimal,
        #[field(on_delete = Cascade)]
        pub category: ForeignKey<Category>,
        pub tags: ManyToMany<Tag>,
    }

    pub fn shop() -> Vec<&'static ModelMeta> {
        vec![Product::meta(), Category::meta(), Tag::meta()]
    }

    pub fn reviews() -> Vec<&'static ModelMeta> {
        vec![super::reviews::Review::meta()]
    }
}

/// The `reviews` app (the same in every version): points at `shop.Product`.
pub mod reviews {
    use trellis_orm::prelude::*;

    #[derive(Model, Debug, Clone)]
    #[model(app = "reviews")]
    pub struct Review {
        pub id: i64,
        #[field(on_delete = Cascade)]
        pub product: ForeignKey<super::v1::Product>,
        pub text: String,
        pub stars: Option<i16>,
    }
}

/// v2: `Product.stock` added (with a default); `title`'s help text changed (no migration).
pub mod v2 {
    use rust_decimal::Decimal;
    use trellis_orm::ModelMeta;
    use trellis_orm::prelude::*;

    pub use super::v1::{Category, Tag};

    #[derive(Model, Debug, Clone)]
    #[model(
        app = "shop",
        unique_together("category", "title"),
        index("title", "price")
    )]
    pub struct Product {
        pub id: i64,
        #[field(max_length = 100, verbose_name = "Name", help_text = "Shown in lists")]
        pub title: String,
        #[field(max_digits = 10, decimal_places = 2)]
        pub price: Decimal,
        #[field(on_delete = Cascade)]
        pub category: ForeignKey<Category>,
        pub tags: ManyToMany<Tag>,
        #[field(default = 7)]
        pub stock: i32,
    }

    pub fn shop() -> Vec<&'static ModelMeta> {
        vec![Product::meta(), Category::meta(), Tag::meta()]
    }
}

/// v3: `Product.title` renamed to `headline`.
pub mod v3 {
    use rust_decimal::Decimal;
    use trellis_orm::ModelMeta;
    use trellis_orm::prelude::*;

    pub use super::v1::{Category, Tag};

    #[derive(Model, Debug, Clone)]
    #[model(
        app = "shop",
        unique_together("category", "headline"),
        index("headline", "price")
    )]
    pub struct Product {
        pub id: i64,
        #[field(max_length = 100)]
        pub headline: String,
        #[field(max_digits = 10, decimal_places = 2)]
        pub price: Decimal,
        #[field(on_delete = Cascade)]
        pub category: ForeignKey<Category>,
        pub tags: ManyToMany<Tag>,
        #[field(default = 7)]
        pub stock: i32,
    }

    pub fn shop() -> Vec<&'static ModelMeta> {
        vec![Product::meta(), Category::meta(), Tag::meta()]
    }
}

/// v4: `Category.name` longer (SQLite rebuilds `shop_category`, which `shop_product`
/// references with ON DELETE CASCADE), `Product.stock` nullable, `Tag.label` removed,
/// `Tag.slug` added.
pub mod v4 {
    use rust_decimal::Decimal;
    use trellis_orm::ModelMeta;
    use trellis_orm::prelude::*;

    #[derive(Model, Debug, Clone)]
    #[model(app = "shop")]
    pub struct Category {
        pub id: i64,
        #[field(max_length = 80, unique)]
        pub name: String,
    }

    #[derive(Model, Debug, Clone)]
    #[model(app = "shop")]
    pub struct Tag {
        pub id: i64,
        #[field(max_length = 40, default = "")]
        pub slug: String,
    }

    #[derive(Model, Debug, Clone)]
    #[model(
        app = "shop",
        unique_together("category", "headline"),
        index("headline", "price")
    )]
    pub struct Product {
        pub id: i64,
        #[field(max_length = 100)]
        pub headline: String,
        #[field(max_digits = 10, decimal_places = 2)]
        pub price: Decimal,
        #[field(on_delete = Cascade)]
        pub category: ForeignKey<Category>,
        pub tags: ManyToMany<Tag>,
        pub stock: Option<i32>,
    }

    pub fn shop() -> Vec<&'static ModelMeta> {
        vec![Product::meta(), Category::meta(), Tag::meta()]
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh temporary folder (removed by [`TempDir`]'s drop).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "trellis_mig_{tag}_{}_{nanos}_{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn app(&self, label: &str) -> PathBuf {
        self.0.join(label).join("migrations")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The two apps with the given models and migrations.
pub fn apps(
    dir: &TempDir,
    shop_models: Vec<&'static ModelMeta>,
    shop: Vec<Migration>,
    reviews: Vec<Migration>,
) -> Vec<AppMigrations> {
    vec![
        AppMigrations::new("shop", dir.app("shop"))
            .models(shop_models)
            .migrations(shop),
        AppMigrations::new("reviews", dir.app("reviews"))
            .models(v1::reviews())
            .migrations(reviews),
    ]
}

/// Answers every rename question with yes, and counts the questions.
#[derive(Default)]
pub struct Yes(pub std::sync::Mutex<Vec<String>>);

impl Questioner for Yes {
    fn ask_rename_field(&self, model: &str, old: &str, new: &str) -> trellis_orm::Result<bool> {
        self.0
            .lock()
            .unwrap()
            .push(format!("{model}.{old} -> {new}"));
        Ok(true)
    }

    fn ask_rename_model(&self, old: &str, new: &str) -> trellis_orm::Result<bool> {
        self.0.lock().unwrap().push(format!("{old} -> {new}"));
        Ok(true)
    }
}

/// Run SQL without parameters, returning the rows as JSON values.
pub async fn rows(db: &Db, sql: &str) -> Vec<Vec<serde_json::Value>> {
    let rows: Vec<Row> = trellis_orm::Conn::Db(db)
        .fetch_all(sql.to_string(), sea_query::Values(vec![]))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|r| (0..r.len()).map(|i| r.json(i)).collect())
        .collect()
}

pub async fn exec(db: &Db, sql: &str) {
    trellis_orm::Conn::Db(db)
        .execute_raw(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Whether `table` exists.
pub async fn table_exists(db: &Db, table: &str) -> bool {
    let sql = match db.backend() {
        Backend::Sqlite => {
            format!("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
        }
        Backend::Postgres => format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '{table}'"
        ),
        Backend::MySql => format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'"
        ),
    };
    !rows(db, &sql).await.is_empty()
}

/// Run `test` on every configured backend, each on a fresh database.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = trellis_orm::Result<()>>,
{
    use futures_util::FutureExt;
    for target in TestDb::targets() {
        let t = TestDb::create(&target).await.expect("test database");
        let backend = t.db.backend();
        let result = std::panic::AssertUnwindSafe(test(t.db.clone()))
            .catch_unwind()
            .await;
        t.teardown().await.expect("teardown");
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("on {}: {e}", backend.name()),
            Err(panic) => {
                eprintln!("(the panic above happened on {})", backend.name());
                std::panic::resume_unwind(panic);
            }
        }
    }
}

/// v5 (from v1): model `Tag` renamed to `Label`.
pub mod v5 {
    use rust_decimal::Decimal;
    use trellis_orm::ModelMeta;
    use trellis_orm::prelude::*;

    pub use super::v1::Category;

    #[derive(Model, Debug, Clone)]
    #[model(app = "shop")]
    pub struct Label {
        pub id: i64,
        #[field(max_length = 30)]
        pub label: String,
    }

    #[derive(Model, Debug, Clone)]
    #[model(
        app = "shop",
        unique_together("category", "title"),
        index("title", "price")
    )]
    pub struct Product {
        pub id: i64,
        #[field(max_length = 100)]
        pub title: String,
        #[field(max_digits = 10, decimal_places = 2)]
        pub price: Decimal,
        #[field(on_delete = Cascade)]
        pub category: ForeignKey<Category>,
        pub tags: ManyToMany<Label>,
    }

    pub fn shop() -> Vec<&'static ModelMeta> {
        vec![Product::meta(), Category::meta(), Label::meta()]
    }
}
