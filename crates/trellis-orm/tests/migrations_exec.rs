//! The executor and friends: SQL per backend (`sqlmigrate`), the lock, data migrations,
//! SQLite table rebuilds that keep rows, hand-written operations, graph errors.

mod migrations_support;

use migrations_support::*;
use trellis_orm::migrations::prelude::*;
use trellis_orm::migrations::{
    self, AppMigrations, MakeOptions, MigrationGraph, makemigrations, sqlmigrate,
};
use trellis_orm::{Backend, Db};

/// shop 0001..0004 (v1..v4) and reviews 0001, generated.
fn history() -> (Vec<Migration>, Vec<Migration>) {
    let dir = TempDir::new("history");
    let yes = Yes::default();
    let opts = MakeOptions::with_questioner(&yes);
    let mut shop: Vec<Migration> = Vec::new();
    let mut reviews = Vec::new();
    for models in [v1::shop(), v2::shop(), v3::shop(), v4::shop()] {
        let report =
            makemigrations(&apps(&dir, models, shop.clone(), reviews.clone()), &opts).unwrap();
        for m in report.migrations {
            if m.migration.app == "shop" {
                shop.push(m.migration);
            } else {
                reviews.push(m.migration);
            }
        }
    }
    assert_eq!(shop.len(), 4);
    (shop, reviews)
}

#[test]
fn sqlmigrate_shows_the_sql_of_each_backend() {
    let (shop, reviews) = history();
    let dir = TempDir::new("sql");
    let apps = apps(&dir, v4::shop(), shop, reviews);
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        for (name, backwards) in [
            ("0001", false),
            ("0002", false),
            ("0003", false),
            ("0004", false),
            ("0004", true),
        ] {
            let sql = sqlmigrate(backend, &apps, "shop", name, backwards).unwrap();
            let dir = if backwards { "backwards" } else { "forwards" };
            insta::assert_snapshot!(format!("sql_{}_{name}_{dir}", backend.name()), sql);
        }
    }
    let err = sqlmigrate(Backend::Sqlite, &apps, "shop", "0009", false).unwrap_err();
    assert!(
        err.to_string()
            .contains("app shop has no migration \"0009\""),
        "{err}"
    );
    let err = sqlmigrate(Backend::Sqlite, &apps, "shoop", "0001", false).unwrap_err();
    assert!(err.to_string().contains("unknown app \"shoop\""), "{err}");
}

#[tokio::test]
async fn alter_field_keeps_rows_and_rows_that_point_at_them() {
    each_backend(|db| async move {
        let (shop, reviews) = history();
        let dir = TempDir::new("rebuild");
        let a = apps(&dir, v4::shop(), shop.clone(), reviews.clone());
        migrations::migrate(&db, &a, Some("shop"), Some("0003")).await?;
        migrations::migrate(&db, &a, Some("reviews"), None).await?;
        exec(&db, "INSERT INTO shop_category (name) VALUES ('Books')").await;
        exec(
            &db,
            "INSERT INTO shop_product (headline, price, category_id, stock) VALUES ('Dune', 9.5, 1, 2)",
        )
        .await;
        exec(&db, "INSERT INTO shop_tag (label) VALUES ('scifi')").await;
        exec(&db, "INSERT INTO shop_product_tags (product_id, tag_id) VALUES (1, 1)").await;
        exec(&db, "INSERT INTO reviews_review (product_id, text) VALUES (1, 'Great')").await;

        // 0004 alters shop_category (SQLite rebuilds it; shop_product points at it with
        // ON DELETE CASCADE), makes stock nullable, swaps Tag.label for Tag.slug.
        let log = migrations::migrate(&db, &a, None, None).await?;
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(
            rows(&db, "SELECT name FROM shop_category").await,
            [[serde_json::json!("Books")]]
        );
        assert_eq!(
            rows(&db, "SELECT headline FROM shop_product").await,
            [[serde_json::json!("Dune")]],
            "the rebuild of the referenced table did not cascade"
        );
        assert_eq!(rows(&db, "SELECT text FROM reviews_review").await.len(), 1);
        assert_eq!(
            rows(&db, "SELECT slug FROM shop_tag").await,
            [[serde_json::json!("")]]
        );
        assert_eq!(rows(&db, "SELECT * FROM shop_product_tags").await.len(), 1);
        exec(&db, "INSERT INTO shop_category (name) VALUES ('A name longer than fifty characters, which 0004 allows')").await;
        exec(&db, "UPDATE shop_product SET stock = NULL").await;
        // The unique constraint survived the rebuild.
        let dup = trellis_orm::Conn::Db(&db)
            .execute_raw("INSERT INTO shop_category (name) VALUES ('Books')")
            .await;
        assert!(dup.is_err(), "name is still unique");
        // Foreign keys are enforced again after the migration.
        if db.backend() == Backend::Sqlite {
            assert_eq!(
                rows(&db, "PRAGMA foreign_keys").await,
                [[serde_json::json!(1)]]
            );
        }
        let bad = trellis_orm::Conn::Db(&db)
            .execute_raw("INSERT INTO reviews_review (product_id, text) VALUES (999, 'x')")
            .await;
        assert!(bad.is_err(), "foreign keys are checked");

        // Names longer than 50 would not fit after going back (MySQL refuses).
        exec(&db, "DELETE FROM shop_category WHERE id > 1").await;
        // Back: stock NOT NULL again (rows have NULL: the default fills them), label back.
        let log = migrations::migrate(&db, &a, Some("shop"), Some("0003")).await?;
        assert_eq!(log.len(), 1);
        assert_eq!(
            rows(&db, "SELECT stock FROM shop_product").await,
            [[serde_json::json!(7)]]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn two_concurrent_migrates_apply_once() {
    each_backend(|db| async move {
        let (shop, reviews) = history();
        let dir = TempDir::new("lock");
        let a = apps(&dir, v4::shop(), shop, reviews);
        let other = Db::connect(db.url()).await?;
        let (x, y) = tokio::join!(
            migrations::migrate(&db, &a, None, None),
            migrations::migrate(&other, &a, None, None)
        );
        let (x, y) = (x?, y?);
        let applied: Vec<&String> = x
            .iter()
            .chain(&y)
            .filter(|l| l.starts_with("Applying"))
            .collect();
        assert_eq!(applied.len(), 5, "each migration applied once: {x:?} {y:?}");
        assert!(
            x == ["No migrations to apply."] || y == ["No migrations to apply."],
            "one of them found the work done: {x:?} {y:?}"
        );
        let recorded = rows(&db, "SELECT app, name FROM trellis_migrations").await;
        assert_eq!(recorded.len(), 5);
        other.close().await;
        Ok(())
    })
    .await;
}

fn add_greetings(conn: Conn<'_>) -> BoxFuture<'_, trellis_orm::Result<()>> {
    Box::pin(async move {
        conn.execute_raw("INSERT INTO notes_note (body) VALUES ('hello')")
            .await?;
        conn.execute_raw("INSERT INTO notes_note (body) VALUES ('world')")
            .await?;
        Ok(())
    })
}

fn remove_greetings(conn: Conn<'_>) -> BoxFuture<'_, trellis_orm::Result<()>> {
    Box::pin(async move {
        conn.execute_raw("DELETE FROM notes_note WHERE body IN ('hello', 'world')")
            .await?;
        Ok(())
    })
}

fn fail(_: Conn<'_>) -> BoxFuture<'_, trellis_orm::Result<()>> {
    Box::pin(async { Err(trellis_orm::Error::Migration("boom".into())) })
}

fn notes(extra: Vec<Migration>) -> Vec<AppMigrations> {
    let mut ms = vec![
        Migration::new("notes", "0001_initial").initial().operation(
            CreateModel::new("Note", "notes_note")
                .field("id", Field::big_auto().primary_key())
                .field("body", Field::text()),
        ),
        Migration::new("notes", "0002_greetings")
            .depends_on("notes", "0001_initial")
            .operation(
                RunCode::new(add_greetings)
                    .backwards(remove_greetings)
                    .describe_as("add greetings"),
            )
            .operation(
                RunSql::new("UPDATE notes_note SET body = upper(body)")
                    .reverse("UPDATE notes_note SET body = lower(body)"),
            ),
    ];
    ms.extend(extra);
    vec![AppMigrations::new("notes", "unused").migrations(ms)]
}

#[tokio::test]
async fn data_migrations_run_forwards_and_backwards() {
    each_backend(|db| async move {
        let a = notes(vec![]);
        migrations::migrate(&db, &a, None, None).await?;
        assert_eq!(
            rows(&db, "SELECT body FROM notes_note ORDER BY id").await,
            [[serde_json::json!("HELLO")], [serde_json::json!("WORLD")]]
        );
        migrations::migrate(&db, &a, Some("notes"), Some("0001_initial")).await?;
        assert!(rows(&db, "SELECT body FROM notes_note").await.is_empty());
        let sql = sqlmigrate(db.backend(), &a, "notes", "0002", false)?;
        assert!(
            sql.contains("-- Raw Rust operation: add greetings\n--\n-- (Rust code"),
            "{sql}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_failing_migration_rolls_back_and_keeps_the_ones_before() {
    each_backend(|db| async move {
        let a = notes(vec![
            Migration::new("notes", "0003_fails")
                .depends_on("notes", "0002_greetings")
                .operation(AddField::new("Note", "title", Field::char(20).default("")))
                .operation(RunCode::new(fail)),
        ]);
        let err = migrations::migrate(&db, &a, None, None).await.unwrap_err();
        assert!(
            err.to_string().contains("Applying notes.0003_fails failed"),
            "{err}"
        );
        assert!(err.to_string().contains("boom"), "{err}");
        let show = migrations::showmigrations(&db, &a).await?;
        assert_eq!(
            show,
            "notes\n [X] 0001_initial\n [X] 0002_greetings\n [ ] 0003_fails\n"
        );
        if db.backend().features().supports_transactional_ddl {
            let cols = trellis_orm::Conn::Db(&db)
                .execute_raw("SELECT title FROM notes_note")
                .await;
            assert!(
                cols.is_err(),
                "the AddField of the failed migration was rolled back"
            );
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn hand_written_operations_rename_model_m2m_and_constraints() {
    each_backend(|db| async move {
        let app = |ms: Vec<Migration>| vec![AppMigrations::new("lib", "unused").migrations(ms)];
        let m1 = Migration::new("lib", "0001_initial")
            .initial()
            .operation(
                CreateModel::new("Author", "lib_author")
                    .field("id", Field::big_auto().primary_key())
                    .field("name", Field::char(50)),
            )
            .operation(
                CreateModel::new("Book", "lib_book")
                    .field("id", Field::big_auto().primary_key())
                    .field("title", Field::char(50))
                    .field("isbn", Field::char(13).null())
                    .field(
                        "author",
                        Field::foreign_key("lib.Author", "lib_author", "id")
                            .on_delete(OnDelete::Protect),
                    )
                    .field(
                        "authors",
                        Field::many_to_many(
                            "lib.Author",
                            "lib_book_authors",
                            "book_id",
                            "author_id",
                        ),
                    ),
            );
        let m2 = Migration::new("lib", "0002_changes")
            .depends_on("lib", "0001_initial")
            .operation(RenameModel::new("Book", "Volume", "lib_volume"))
            .operation(AddConstraint::unique("Volume", ["author", "title"]))
            .operation(AddIndex::new("Volume", "lib_volume_isbn_uniq", ["isbn"]).unique())
            .operation(RemoveField::new("Volume", "authors"))
            .operation(AddField::new(
                "Volume",
                "editors",
                Field::many_to_many("lib.Author", "lib_volume_editors", "volume_id", "author_id"),
            ))
            .operation(AlterField::new(
                "Volume",
                "isbn",
                Field::char(20).null().db_index(),
            ));
        let a = app(vec![m1.clone(), m2.clone()]);
        migrations::migrate(&db, &a, Some("lib"), Some("0001")).await?;
        exec(&db, "INSERT INTO lib_author (name) VALUES ('Ann')").await;
        exec(
            &db,
            "INSERT INTO lib_book (title, author_id) VALUES ('One', 1)",
        )
        .await;
        migrations::migrate(&db, &a, None, None).await?;
        assert!(!table_exists(&db, "lib_book").await);
        assert!(table_exists(&db, "lib_volume").await);
        assert!(!table_exists(&db, "lib_book_authors").await);
        assert!(table_exists(&db, "lib_volume_editors").await);
        assert_eq!(
            rows(&db, "SELECT title, author_id FROM lib_volume").await,
            [[serde_json::json!("One"), serde_json::json!(1)]]
        );
        let dup = trellis_orm::Conn::Db(&db)
            .execute_raw("INSERT INTO lib_volume (title, author_id) VALUES ('One', 1)")
            .await;
        assert!(dup.is_err(), "unique together (author, title)");
        exec(
            &db,
            "INSERT INTO lib_volume_editors (volume_id, author_id) VALUES (1, 1)",
        )
        .await;
        migrations::migrate(&db, &a, Some("lib"), Some("zero")).await?;
        assert!(!table_exists(&db, "lib_author").await);
        assert!(!table_exists(&db, "lib_volume").await);
        assert!(!table_exists(&db, "lib_volume_editors").await);
        migrations::migrate(&db, &a, None, None).await?;
        assert!(table_exists(&db, "lib_volume_editors").await);

        // The autodetector agrees with the hand-written state: no changes for models
        // equal to it, and a model rename is detected as one.
        let graph = MigrationGraph::build(&a)?;
        let state = graph.full_state()?;
        assert!(state.model("lib.Volume").is_some() && state.model("lib.Book").is_none());
        Ok(())
    })
    .await;
}

#[test]
fn conflicts_and_unknown_names_are_errors_that_say_what_to_do() {
    let m1 = Migration::new("x", "0001_initial").initial();
    let a = Migration::new("x", "0002_a").depends_on("x", "0001_initial");
    let b = Migration::new("x", "0002_b").depends_on("x", "0001_initial");
    let apps = vec![AppMigrations::new("x", "unused").migrations(vec![m1.clone(), a, b])];
    let err = MigrationGraph::build(&apps)
        .unwrap()
        .check_conflicts()
        .unwrap_err();
    let err = err.to_string();
    assert!(err.contains("conflicting migrations"), "{err}");
    assert!(err.contains("(0002_a, 0002_b in x)"), "{err}");
    assert!(
        err.contains(".depends_on(\"x\", \"0002_a\").depends_on(\"x\", \"0002_b\")"),
        "{err}"
    );
    let err = makemigrations(&apps, &MakeOptions::noinput())
        .unwrap_err()
        .to_string();
    assert!(err.contains("conflicting migrations"), "{err}");

    let dangling = Migration::new("x", "0002_c").depends_on("y", "0001_initial");
    let apps = vec![AppMigrations::new("x", "unused").migrations(vec![m1, dangling])];
    let err = MigrationGraph::build(&apps).unwrap_err().to_string();
    assert!(
        err.contains(
            "x.0002_c depends on y.0001_initial, which does not exist (is the app in the list?)"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn migrate_names_unknown_apps_and_migrations() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    let apps = notes(vec![]);
    let err = migrations::migrate(&db, &apps, Some("nope"), None)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown app \"nope\"; apps: notes"),
        "{err}"
    );
    let err = migrations::migrate(&db, &apps, Some("notes"), Some("0007"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("app notes has no migration \"0007\"; it has: 0001_initial, 0002_greetings"),
        "{err}"
    );
    let err = migrations::migrate(&db, &apps, None, Some("0001"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs an app"), "{err}");
    // In-memory SQLite works too (one connection: the lock's).
    let log = migrations::migrate(&db, &apps, None, None).await.unwrap();
    assert_eq!(log.len(), 2);
}
