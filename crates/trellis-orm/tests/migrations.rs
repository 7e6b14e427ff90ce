//! Migrations end to end: makemigrations writes files, migrate applies them on every
//! backend, showmigrations marks them, `zero` unapplies, data survives.

mod migrations_support;

use migrations_support::*;
use trellis_orm::migrations::{
    self, AppMigrations, MakeOptions, Migration, NonInteractiveQuestioner, Rename, makemigrations,
};

/// makemigrations for `apps`, answering renames with yes; returns the new migrations.
fn make(apps: &[AppMigrations]) -> Vec<Migration> {
    let yes = Yes::default();
    let report = makemigrations(apps, &MakeOptions::with_questioner(&yes)).expect("makemigrations");
    report.migrations.into_iter().map(|m| m.migration).collect()
}

fn of_app(ms: &[Migration], app: &str) -> Vec<Migration> {
    ms.iter().filter(|m| m.app == app).cloned().collect()
}

#[test]
fn initial_migrations_are_written_as_rust_files() {
    let dir = TempDir::new("initial");
    let apps = apps(&dir, v1::shop(), vec![], vec![]);
    let report = makemigrations(&apps, &MakeOptions::noinput()).unwrap();
    let names: Vec<(&str, &str)> = report
        .migrations
        .iter()
        .map(|m| (m.migration.app, m.migration.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [("shop", "0001_initial"), ("reviews", "0001_initial")]
    );
    let reviews = &report.migrations[1].migration;
    assert_eq!(
        reviews.dependencies,
        [("shop".to_string(), "0001_initial".to_string())],
        "a foreign key to another app depends on that app's latest migration"
    );
    insta::assert_snapshot!("shop_0001_initial", report.migrations[0].source);
    insta::assert_snapshot!("reviews_0001_initial", report.migrations[1].source);
    let file = std::fs::read_to_string(dir.app("shop").join("m0001_initial.rs")).unwrap();
    assert!(file.contains("CreateModel::new(\"Product\", \"shop_product\")"));
    let module = std::fs::read_to_string(dir.app("shop").join("mod.rs")).unwrap();
    assert!(module.contains("mod m0001_initial;"), "{module}");
    assert!(module.contains("m0001_initial::migration()"), "{module}");
    let summary = report
        .summary()
        .replace(&dir.0.display().to_string(), "<dir>");
    insta::assert_snapshot!("summary_initial", summary);

    // A dry run reports the same and writes nothing.
    let dry_dir = TempDir::new("initial_dry");
    let dry = make_dry(&self::apps(&dry_dir, v1::shop(), vec![], vec![]));
    assert_eq!(dry.len(), 2);
    assert!(!dry_dir.app("shop").exists());

    // Nothing more to do once the migrations exist.
    let apps2 = self::apps(
        &dir,
        v1::shop(),
        vec![report.migrations[0].migration.clone()],
        vec![report.migrations[1].migration.clone()],
    );
    let again = makemigrations(&apps2, &MakeOptions::noinput()).unwrap();
    assert!(!again.has_changes());
    assert_eq!(again.summary(), "No changes detected");
}

fn make_dry(apps: &[AppMigrations]) -> Vec<Migration> {
    let mut opts = MakeOptions::noinput();
    opts.dry_run = true;
    let dir_before: Vec<_> = apps.iter().map(|a| a.dir.exists()).collect();
    let r = makemigrations(apps, &opts).unwrap();
    let dir_after: Vec<_> = apps.iter().map(|a| a.dir.exists()).collect();
    assert_eq!(dir_before, dir_after, "dry run writes nothing");
    r.migrations.into_iter().map(|m| m.migration).collect()
}

#[test]
fn added_field_gets_a_named_migration_and_help_text_changes_do_not() {
    let dir = TempDir::new("add");
    let first = make(&apps(&dir, v1::shop(), vec![], vec![]));
    let (shop1, rev1) = (of_app(&first, "shop"), of_app(&first, "reviews"));
    let second = make_dry(&apps(&dir, v2::shop(), shop1.clone(), rev1.clone()));
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].name, "0002_product_stock");
    let ops: Vec<String> = second[0].operations.iter().map(|o| o.describe()).collect();
    assert_eq!(
        ops,
        ["Add field stock to product"],
        "help text is not a change"
    );
    insta::assert_snapshot!(
        "shop_0002_product_stock",
        migrations::writer::render(&second[0]).unwrap()
    );
}

#[test]
fn removed_and_altered_fields_are_detected() {
    let dir = TempDir::new("alter");
    let first = make(&apps(&dir, v1::shop(), vec![], vec![]));
    let mut shop = of_app(&first, "shop");
    let rev = of_app(&first, "reviews");
    shop.extend(make(&apps(&dir, v2::shop(), shop.clone(), rev.clone())));
    shop.extend(make(&apps(&dir, v3::shop(), shop.clone(), rev.clone())));
    let fourth = make_dry(&apps(&dir, v4::shop(), shop.clone(), rev.clone()));
    let ops: Vec<String> = fourth[0].operations.iter().map(|o| o.describe()).collect();
    assert_eq!(
        ops,
        [
            "Remove field label from tag",
            "Add field slug to tag",
            "Alter field name on category",
            "Alter field stock on product",
        ]
    );
}

#[test]
fn probable_rename_is_asked_and_becomes_rename_field() {
    let dir = TempDir::new("rename");
    let first = make(&apps(&dir, v1::shop(), vec![], vec![]));
    let mut shop = of_app(&first, "shop");
    let rev = of_app(&first, "reviews");
    shop.extend(make(&apps(&dir, v2::shop(), shop.clone(), rev.clone())));
    let yes = Yes::default();
    let mut opts = MakeOptions::with_questioner(&yes);
    opts.dry_run = true;
    let auto = makemigrations(&apps(&dir, v3::shop(), shop.clone(), rev.clone()), &opts).unwrap();
    let auto_name = &auto.migrations[0].migration.name;
    assert!(
        auto_name.starts_with("0003_auto_"),
        "too long to list: {auto_name}"
    );
    opts.name = Some("headline".into());
    let report = makemigrations(&apps(&dir, v3::shop(), shop.clone(), rev.clone()), &opts).unwrap();
    assert_eq!(
        *yes.0.lock().unwrap(),
        [
            "shop.Product.title -> headline",
            "shop.Product.title -> headline"
        ],
        "asked once per run"
    );
    let m = &report.migrations[0].migration;
    let ops: Vec<String> = m.operations.iter().map(|o| o.describe()).collect();
    assert_eq!(
        ops,
        [
            "Rename field title on product to headline",
            "Remove index shop_product_title_price_idx from Product",
            "Create index shop_product_headline_price_idx on field(s) headline, price of model Product",
        ],
        "the unique constraint follows the rename; the index has a new name"
    );
    assert_eq!(m.name, "0003_headline", "--name");
    insta::assert_snapshot!("shop_0003_rename", report.migrations[0].source);
}

#[test]
fn probable_rename_without_input_is_refused_with_the_way_out() {
    let dir = TempDir::new("noinput");
    let first = make(&apps(&dir, v1::shop(), vec![], vec![]));
    let mut shop = of_app(&first, "shop");
    let rev = of_app(&first, "reviews");
    shop.extend(make(&apps(&dir, v2::shop(), shop.clone(), rev.clone())));
    let v3apps = apps(&dir, v3::shop(), shop.clone(), rev.clone());
    let err = makemigrations(
        &v3apps,
        &MakeOptions::with_questioner(&NonInteractiveQuestioner),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("shop.Product.title was removed and shop.Product.headline added"),
        "{err}"
    );
    assert!(
        err.contains("--rename shop.Product.title=headline"),
        "{err}"
    );
    let files = std::fs::read_dir(dir.app("shop")).unwrap().count();
    assert_eq!(
        files, 3,
        "mod.rs, m0001, m0002: nothing written for the refused change"
    );

    // The explicit rule answers the question.
    let mut opts = MakeOptions::noinput();
    opts.renames = vec![Rename::parse("shop.Product.title=headline").unwrap()];
    opts.dry_run = true;
    let report = makemigrations(&v3apps, &opts).unwrap();
    assert!(matches!(
        report.migrations[0].migration.operations[0],
        migrations::Operation::RenameField(_)
    ));
    // And "not a rename" says: really remove and add.
    let mut opts = MakeOptions::noinput();
    opts.renames = vec![Rename::parse_not("shop.Product.title=headline").unwrap()];
    opts.dry_run = true;
    let err = makemigrations(&v3apps, &opts).unwrap_err().to_string();
    assert!(
        err.contains("cannot add the NOT NULL field shop.Product.headline without a default"),
        "not a rename: a remove and an add, and this add needs a default: {err}"
    );
}

#[test]
fn check_fails_on_drift_and_writes_nothing() {
    let dir = TempDir::new("check");
    let first = make(&apps(&dir, v1::shop(), vec![], vec![]));
    let (shop, rev) = (of_app(&first, "shop"), of_app(&first, "reviews"));
    let written: Vec<_> = std::fs::read_dir(dir.app("shop")).unwrap().collect();
    let mut opts = MakeOptions::noinput();
    opts.check = true;
    assert!(makemigrations(&apps(&dir, v1::shop(), shop.clone(), rev.clone()), &opts).is_ok());
    let err = makemigrations(&apps(&dir, v2::shop(), shop.clone(), rev.clone()), &opts)
        .unwrap_err()
        .to_string();
    assert!(err.contains("changes that are not in migrations"), "{err}");
    assert!(err.contains("Add field stock to product"), "{err}");
    let after: Vec<_> = std::fs::read_dir(dir.app("shop")).unwrap().collect();
    assert_eq!(written.len(), after.len(), "--check writes nothing");
}

#[tokio::test]
async fn migrate_forward_zero_and_forward_again_keeps_what_it_should() {
    each_backend(|db| async move {
        let dir = TempDir::new("migrate");
        let first = make(&apps(&dir, v1::shop(), vec![], vec![]));
        let mut shop = of_app(&first, "shop");
        let rev = of_app(&first, "reviews");
        let a1 = apps(&dir, v1::shop(), shop.clone(), rev.clone());
        let log = migrations::migrate(&db, &a1, None, None).await?;
        assert_eq!(
            log,
            [
                "Applying shop.0001_initial... OK",
                "Applying reviews.0001_initial... OK"
            ]
        );
        exec(&db, "INSERT INTO shop_category (name) VALUES ('Books')").await;
        exec(
            &db,
            "INSERT INTO shop_product (title, price, category_id) VALUES ('Dune', 9.5, 1)",
        )
        .await;
        exec(&db, "INSERT INTO shop_tag (label) VALUES ('scifi')").await;
        exec(&db, "INSERT INTO shop_product_tags (product_id, tag_id) VALUES (1, 1)").await;
        exec(&db, "INSERT INTO reviews_review (product_id, text) VALUES (1, 'Great')").await;

        // 0002: a NOT NULL column with a default on a table with rows.
        shop.extend(make(&apps(&dir, v2::shop(), shop.clone(), rev.clone())));
        // 0003: a rename; the column keeps its data.
        shop.extend(make(&apps(&dir, v3::shop(), shop.clone(), rev.clone())));
        let a3 = apps(&dir, v3::shop(), shop.clone(), rev.clone());
        let show = migrations::showmigrations(&db, &a3).await?;
        assert_eq!(
            show,
            format!(
                "shop\n [X] 0001_initial\n [ ] 0002_product_stock\n [ ] {}\nreviews\n [X] 0001_initial\n",
                shop[2].name
            )
        );
        let log = migrations::migrate(&db, &a3, Some("shop"), None).await?;
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(
            rows(&db, "SELECT headline, stock FROM shop_product").await,
            [[serde_json::json!("Dune"), serde_json::json!(7)]]
        );
        assert_eq!(
            migrations::migrate(&db, &a3, None, None).await?,
            ["No migrations to apply."]
        );

        // Back to 0002: the rename is undone, the data is still there.
        let log = migrations::migrate(&db, &a3, Some("shop"), Some("0002")).await?;
        assert_eq!(log, [format!("Unapplying shop.{}... OK", shop[2].name)]);
        assert_eq!(
            rows(&db, "SELECT title FROM shop_product").await,
            [[serde_json::json!("Dune")]]
        );

        // zero: reviews depends on shop, so it goes first.
        let log = migrations::migrate(&db, &a3, Some("shop"), Some("zero")).await?;
        assert_eq!(
            log,
            [
                "Unapplying reviews.0001_initial... OK",
                "Unapplying shop.0002_product_stock... OK",
                "Unapplying shop.0001_initial... OK",
            ]
        );
        for table in ["shop_product", "shop_category", "shop_product_tags", "reviews_review"] {
            assert!(!table_exists(&db, table).await, "{table} dropped");
        }
        let show = migrations::showmigrations(&db, &a3).await?;
        assert!(!show.contains("[X]"), "{show}");

        // And forward again.
        let log = migrations::migrate(&db, &a3, None, None).await?;
        assert_eq!(log.len(), 4, "{log:?}");
        exec(&db, "INSERT INTO shop_category (name) VALUES ('Books')").await;
        exec(
            &db,
            "INSERT INTO shop_product (headline, price, category_id, stock) VALUES ('Dune', 9.5, 1, 3)",
        )
        .await;
        assert_eq!(
            rows(&db, "SELECT headline, stock FROM shop_product").await,
            [[serde_json::json!("Dune"), serde_json::json!(3)]]
        );
        Ok(())
    })
    .await;
}

/// The files `makemigrations` writes compile, and build the same migrations: the
/// history of `shop` (and `reviews`) written into a temporary folder must equal the
/// committed copy in `tests/migrations_fixture/`, which this test crate compiles.
/// (Refresh the copy with `TRELLIS_UPDATE_FIXTURES=1` after a deliberate writer change.)
#[test]
fn written_files_compile_and_build_the_same_migrations() {
    let dir = TempDir::new("fixture");
    let yes = Yes::default();
    let mut shop: Vec<Migration> = Vec::new();
    let mut rev: Vec<Migration> = Vec::new();
    for (models, name) in [
        (v1::shop(), None),
        (v2::shop(), None),
        (v3::shop(), Some("headline")),
    ] {
        let mut opts = MakeOptions::with_questioner(&yes);
        opts.name = name.map(String::from);
        let report = makemigrations(&apps(&dir, models, shop.clone(), rev.clone()), &opts).unwrap();
        for m in report.migrations {
            match m.migration.app {
                "shop" => shop.push(m.migration),
                _ => rev.push(m.migration),
            }
        }
    }

    let committed =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/migrations_fixture");
    let update = std::env::var("TRELLIS_UPDATE_FIXTURES").is_ok_and(|v| v == "1");
    let rustfmt = std::process::Command::new("rustfmt")
        .arg("--version")
        .output()
        .is_ok();
    for app in ["shop", "reviews"] {
        for entry in std::fs::read_dir(dir.app(app)).unwrap() {
            let path = entry.unwrap().path();
            let written = std::fs::read_to_string(&path).unwrap();
            let copy = committed.join(app).join(path.file_name().unwrap());
            if update {
                std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
                std::fs::write(&copy, &written).unwrap();
            } else if rustfmt {
                let expected = std::fs::read_to_string(&copy).unwrap_or_default();
                assert_eq!(
                    written,
                    expected,
                    "{} differs from {}",
                    path.display(),
                    copy.display()
                );
            }
        }
    }
    assert_eq!(fixture_shop::migrations(), shop);
    assert_eq!(fixture_reviews::migrations(), rev);
}

#[path = "migrations_fixture/reviews/mod.rs"]
mod fixture_reviews;
#[path = "migrations_fixture/shop/mod.rs"]
mod fixture_shop;

#[tokio::test]
async fn renamed_model_keeps_its_rows_and_join_table() {
    each_backend(|db| async move {
        let dir = TempDir::new("rename_model");
        let first = make(&apps(&dir, v1::shop(), vec![], vec![]));
        let (mut shop, rev) = (of_app(&first, "shop"), of_app(&first, "reviews"));
        let v5apps = apps(&dir, v5::shop(), shop.clone(), rev.clone());
        let err = makemigrations(&v5apps, &MakeOptions::noinput())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("model shop.Tag was removed and shop.Label added"),
            "{err}"
        );
        assert!(err.contains("--rename shop.Tag=Label"), "{err}");
        let yes = Yes::default();
        let mut opts = MakeOptions::with_questioner(&yes);
        opts.dry_run = true;
        let report = makemigrations(&v5apps, &opts)?;
        assert_eq!(*yes.0.lock().unwrap(), ["shop.Tag -> shop.Label"]);
        let m = report.migrations[0].migration.clone();
        let ops: Vec<String> = m.operations.iter().map(|o| o.describe()).collect();
        assert_eq!(ops, ["Rename model Tag to Label"]);
        assert_eq!(m.name, "0002_rename_tag_label");
        shop.push(m);

        let a = apps(&dir, v5::shop(), shop.clone(), rev.clone());
        migrations::migrate(&db, &a, Some("shop"), Some("0001")).await?;
        exec(&db, "INSERT INTO shop_category (name) VALUES ('Books')").await;
        exec(
            &db,
            "INSERT INTO shop_product (title, price, category_id) VALUES ('Dune', 9.5, 1)",
        )
        .await;
        exec(&db, "INSERT INTO shop_tag (label) VALUES ('scifi')").await;
        exec(
            &db,
            "INSERT INTO shop_product_tags (product_id, tag_id) VALUES (1, 1)",
        )
        .await;
        migrations::migrate(&db, &a, None, None).await?;
        assert_eq!(
            rows(&db, "SELECT label FROM shop_label").await,
            [[serde_json::json!("scifi")]]
        );
        assert_eq!(
            rows(&db, "SELECT product_id, label_id FROM shop_product_tags").await,
            [[serde_json::json!(1), serde_json::json!(1)]]
        );
        migrations::migrate(&db, &a, Some("shop"), Some("0001")).await?;
        assert_eq!(
            rows(&db, "SELECT tag_id FROM shop_product_tags").await,
            [[serde_json::json!(1)]]
        );
        assert!(table_exists(&db, "shop_tag").await);
        Ok(())
    })
    .await;
}
