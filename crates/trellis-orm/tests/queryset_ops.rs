//! QuerySet operations: update/delete, bulk operations, get_or_create, values,
//! aggregates, annotate, only/defer, streaming and raw SQL.

mod common;

use common::*;
use futures_util::StreamExt;
use serde_json::json;
use trellis_orm::prelude::*;
use trellis_orm::{Backend, Error};

#[tokio::test]
async fn update_with_f_and_delete() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let ann_posts = Post::objects().filter(Post::f().author.eq(&b.ann));
        let n = ann_posts
            .update(&db, [("views", F::col("views") + 1)])
            .await?;
        assert_eq!(n, 3);
        let views: Vec<i32> = Post::objects()
            .all(&db)
            .await?
            .iter()
            .map(|p| p.views)
            .collect();
        assert_eq!(views, [11, 20, 31, 40, 51]);
        // Rows matched, not rows changed (MySQL too): setting the same value counts.
        let n = Post::objects()
            .filter(Post::f().views.eq(20))
            .update(&db, [("views", F::value(20))])
            .await?;
        assert_eq!(n, 1);
        // Several columns, a value and an expression; filters across relations.
        let n = Post::objects()
            .filter(Q::lookup("author__name", "Cy"))
            .update(
                &db,
                [
                    ("title", F::value("Renamed")),
                    ("views", F::col("views") * 2),
                ],
            )
            .await?;
        assert_eq!(n, 1);
        let p = Post::get_by_pk(&db, b.posts[3].id).await?;
        assert_eq!((p.title.as_str(), p.views), ("Renamed", 80));
        // update on a slice touches only the slice.
        let n = Post::objects()
            .order_by(["-views"])
            .slice(0..2)
            .update(&db, [("views", F::value(0))])
            .await?;
        assert_eq!(n, 2);
        assert_eq!(
            Post::objects()
                .filter(Post::f().views.eq(0))
                .count(&db)
                .await?,
            2
        );
        // Errors: unknown fields, the primary key.
        let err = Post::objects()
            .update(&db, [("nope", F::value(1))])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::UnknownField { .. }), "{err}");
        let err = Post::objects()
            .update(&db, [("id", F::value(1))])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidQuery(_)), "{err}");
        // delete returns the number of objects of the model deleted.
        let n = Post::objects()
            .filter(Post::f().views.eq(0))
            .delete(&db)
            .await?;
        assert_eq!(n, 2);
        assert_eq!(Post::objects().count(&db).await?, 3);
        assert_eq!(
            Post::objects()
                .filter(Post::f().views.eq(-1))
                .delete(&db)
                .await?,
            0
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn bulk_create_sets_ids_and_bulk_update() {
    each_backend(|db| async move {
        let mut a = author("Ann");
        a.save(&db).await?;
        let posts: Vec<Post> = (0..250).map(|i| post(&format!("p{i}"), &a)).collect();
        let posts = trellis_orm::bulk_create(&db, posts).await?;
        assert_eq!(posts.len(), 250);
        for p in &posts {
            let stored = Post::get_by_pk(&db, p.id).await?;
            assert_eq!(stored.title, p.title, "id {} belongs to its object", p.id);
        }
        let mut unique_ids: Vec<i64> = ids(&posts);
        unique_ids.dedup();
        assert_eq!(unique_ids.len(), 250);
        // Relations are bound on the returned objects.
        posts[0].comments.fetch(&db).await?;
        // bulk_create of nothing is a no-op.
        assert!(
            trellis_orm::bulk_create::<Post>(&db, vec![])
                .await?
                .is_empty()
        );
        let mut posts = posts;
        for (i, p) in posts.iter_mut().enumerate() {
            p.views = i as i32;
            p.title = format!("t{i}");
        }
        let n = trellis_orm::bulk_update(&db, &posts[..100], &["views", "title"]).await?;
        assert_eq!(n, 100);
        let stored = Post::objects().order_by(["id"]).all(&db).await?;
        assert_eq!(stored[99].views, 99);
        assert_eq!(stored[99].title, "t99");
        assert_eq!(stored[100].views, 0);
        assert_eq!(stored[100].title, "p100");
        let err = trellis_orm::bulk_update(&db, &posts, &["nope"])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::UnknownField { .. }), "{err}");
        // Explicit primary keys are kept.
        let mut t = Tag {
            id: 500,
            name: "five hundred".into(),
        };
        let tags = trellis_orm::bulk_create(&db, vec![t.clone()]).await?;
        assert_eq!(tags[0].id, 500);
        t.refresh(&db).await?;
        assert_eq!(t.name, "five hundred");
        Ok(())
    })
    .await;
}

/// `bulk_update` keeps its SQL per model, field list, row count and backend: calls that
/// differ in only one of them, in sequence, each write exactly their own rows and fields.
#[tokio::test]
async fn bulk_update_statements_differ_per_shape() {
    each_backend(|db| async move {
        let mut a = author("Ann");
        a.save(&db).await?;
        let posts: Vec<Post> = (0..4).map(|i| post(&format!("p{i}"), &a)).collect();
        let mut posts = trellis_orm::bulk_create(&db, posts).await?;
        let tags = (0..3)
            .map(|i| Tag {
                id: 0,
                name: format!("tag{i}"),
            })
            .collect();
        let mut tags = trellis_orm::bulk_create(&db, tags).await?;
        async fn stored(db: &Db) -> trellis_orm::Result<Vec<(String, i32)>> {
            let posts = Post::objects().order_by(["id"]).all(db).await?;
            Ok(posts.into_iter().map(|p| (p.title, p.views)).collect())
        }
        let expect = |rows: &[(&str, i32)]| -> Vec<(String, i32)> {
            rows.iter().map(|(t, v)| (t.to_string(), *v)).collect()
        };
        // Objects changed in every field; only the listed ones may reach the database.
        let change = |posts: &mut [Post], round: i32| {
            for (i, p) in posts.iter_mut().enumerate() {
                p.views = round * 10 + i as i32;
                p.title = format!("r{round}-{i}");
            }
        };

        change(&mut posts, 1);
        let n = trellis_orm::bulk_update(&db, &posts[..3], &["views"]).await?;
        assert_eq!(n, 3);
        let want = [("p0", 10), ("p1", 11), ("p2", 12), ("p3", 0)];
        assert_eq!(stored(&db).await?, expect(&want));

        // Fewer rows, same field.
        change(&mut posts, 2);
        assert_eq!(
            trellis_orm::bulk_update(&db, &posts[..2], &["views"]).await?,
            2
        );
        let want = [("p0", 20), ("p1", 21), ("p2", 12), ("p3", 0)];
        assert_eq!(stored(&db).await?, expect(&want));

        // Same row count, another field.
        change(&mut posts, 3);
        trellis_orm::bulk_update(&db, &posts[..2], &["title"]).await?;
        let want = [("r3-0", 20), ("r3-1", 21), ("p2", 12), ("p3", 0)];
        assert_eq!(stored(&db).await?, expect(&want));

        // Two fields, in both orders; a field named twice is set once.
        change(&mut posts, 4);
        trellis_orm::bulk_update(&db, &posts[1..4], &["title", "views"]).await?;
        let want = [("r3-0", 20), ("r4-1", 41), ("r4-2", 42), ("r4-3", 43)];
        assert_eq!(stored(&db).await?, expect(&want));
        change(&mut posts, 5);
        trellis_orm::bulk_update(&db, &posts[..3], &["views", "title", "views"]).await?;
        let want = [("r5-0", 50), ("r5-1", 51), ("r5-2", 52), ("r4-3", 43)];
        assert_eq!(stored(&db).await?, expect(&want));

        // Another model whose field has the same index as `title`, same row count.
        for (i, t) in tags.iter_mut().enumerate() {
            t.name = format!("renamed{i}");
        }
        trellis_orm::bulk_update(&db, &tags[1..], &["name"]).await?;
        let names: Vec<String> = Tag::objects()
            .order_by(["id"])
            .all(&db)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["tag0", "renamed1", "renamed2"]);
        assert_eq!(stored(&db).await?, expect(&want));

        // A batch past 500 objects runs as two statements of different sizes.
        let many: Vec<Post> = (0..501).map(|i| post(&format!("m{i}"), &a)).collect();
        let mut many = trellis_orm::bulk_create(&db, many).await?;
        for (i, p) in many.iter_mut().enumerate() {
            p.views = 1000 + i as i32;
        }
        assert_eq!(trellis_orm::bulk_update(&db, &many, &["views"]).await?, 501);
        let views: Vec<i32> = Post::objects()
            .filter(Post::f().title.startswith("m"))
            .order_by(["id"])
            .all(&db)
            .await?
            .iter()
            .map(|p| p.views)
            .collect();
        assert_eq!(views, (1000..1501).collect::<Vec<_>>());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn get_or_create_and_update_or_create() {
    each_backend(|db| async move {
        let (a, created) =
            trellis_orm::get_or_create(&db, Q::lookup("name", "Ann"), || author("Ann")).await?;
        assert!(created && a.id > 0);
        let (a2, created) =
            trellis_orm::get_or_create(&db, Q::lookup("name", "Ann"), || author("Ann")).await?;
        assert!(!created);
        assert_eq!(a2.id, a.id);
        let (u, created) = trellis_orm::update_or_create(
            &db,
            Q::lookup("name", "Ann"),
            |a: &mut Author| a.email = "ann@x.org".into(),
            || author("Ann"),
        )
        .await?;
        assert!(!created);
        assert_eq!(u.id, a.id);
        assert_eq!(Author::get_by_pk(&db, a.id).await?.email, "ann@x.org");
        let (_, created) = trellis_orm::update_or_create(
            &db,
            Q::lookup("name", "Bob"),
            |a: &mut Author| a.email = "never".into(),
            || author("Bob"),
        )
        .await?;
        assert!(created);
        assert_eq!(Author::objects().count(&db).await?, 2);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn values_and_values_list() {
    each_backend(|db| async move {
        blog(&db).await?;
        let rows = Post::objects()
            .filter(Post::f().views.lte(20))
            .order_by(["id"])
            .values(&db, ["title", "views", "author__name", "rating", "status"])
            .await?;
        assert_eq!(
            serde_json::Value::Array(rows.into_iter().map(Into::into).collect()),
            json!([
                {"title": "Rust async", "views": 10, "author__name": "Ann", "rating": 4.5, "status": "draft"},
                {"title": "Django tips", "views": 20, "author__name": "Bob", "rating": null, "status": "draft"},
            ])
        );
        let list = Post::objects()
            .order_by(["-views"])
            .slice(0..2)
            .values_list(&db, ["author__name", "views", "price"])
            .await?;
        assert_eq!(list, vec![
            vec![json!("Ann"), json!(50), json!("10.50")],
            vec![json!("Cy"), json!(40), json!("10.50")],
        ]);
        // Types are the same on every backend: booleans, dates, foreign keys.
        let rows = Author::objects()
            .order_by(["name"])
            .values(&db, ["name", "posts__id"])
            .await?;
        assert_eq!(rows.len(), 5);
        let err = Post::objects().values(&db, ["nope"]).await.unwrap_err();
        assert!(matches!(err, Error::UnknownField { .. }), "{err}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn aggregates_and_group_by() {
    each_backend(|db| async move {
        blog(&db).await?;
        let agg = Post::objects()
            .aggregate(
                &db,
                [
                    ("n", Agg::count("*")),
                    ("total", Agg::sum("views")),
                    ("avg", Agg::avg("views")),
                    ("low", Agg::min("views")),
                    ("high", Agg::max("views")),
                    ("rated", Agg::count("rating")),
                    ("best", Agg::max("rating")),
                    ("authors", Agg::count_distinct("author")),
                ],
            )
            .await?;
        assert_eq!(
            serde_json::Value::Object(agg),
            json!({"n": 5, "total": 150, "avg": 30.0, "low": 10, "high": 50, "rated": 3,
                   "best": 5.0, "authors": 3})
        );
        let agg = Post::objects()
            .filter(Post::f().views.gt(100))
            .aggregate(&db, [("total", Agg::sum("views")), ("n", Agg::count("id"))])
            .await?;
        assert_eq!(
            serde_json::Value::Object(agg),
            json!({"total": null, "n": 0})
        );
        // Across a relation.
        let agg = Author::objects()
            .filter(Author::f().name.eq("Ann"))
            .aggregate(&db, [("views", Agg::sum("posts__views"))])
            .await?;
        assert_eq!(agg["views"], json!(90));
        // GROUP BY with values_annotate, ordered by the annotation.
        let rows = Post::objects()
            .order_by(["-n", "author__name"])
            .values_annotate(
                &db,
                ["author__name"],
                [("n", Agg::count("id")), ("views", Agg::sum("views"))],
            )
            .await?;
        assert_eq!(
            serde_json::Value::Array(rows.into_iter().map(Into::into).collect()),
            json!([
                {"author__name": "Ann", "n": 3, "views": 90},
                {"author__name": "Bob", "n": 1, "views": 20},
                {"author__name": "Cy", "n": 1, "views": 40},
            ])
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn annotate_objects() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        for (i, p) in b.posts.iter().enumerate() {
            for j in 0..i {
                comment(p, &b.bob, &format!("c{j}")).save(&db).await?;
            }
        }
        let rows = Post::objects()
            .annotate(&db, [("n_comments", Agg::count("comments"))])
            .await?;
        assert_eq!(rows.len(), 5);
        for (i, (p, extra)) in rows.iter().enumerate() {
            assert_eq!(p.id, b.posts[i].id);
            assert_eq!(extra["n_comments"], json!(i), "{}", p.title);
        }
        let rows = Author::objects()
            .filter(Author::f().name.eq("Ann"))
            .annotate(
                &db,
                [
                    ("n", Agg::count("posts")),
                    ("top", Agg::max("posts__views")),
                ],
            )
            .await?;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0.name, "Ann");
        assert_eq!(rows[0].1["n"], json!(3));
        assert_eq!(rows[0].1["top"], json!(50));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn only_and_defer() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let (posts, queries) = trellis_orm::observe::capture_queries(async {
            Post::objects().only(["title"]).all(&db).await
        })
        .await;
        let posts = posts?;
        assert!(!queries[0].contains("body"), "{}", queries[0]);
        assert_eq!(posts[0].title, "Rust async");
        assert_eq!(posts[0].id, b.posts[0].id);
        assert_eq!(posts[0].body, "", "deferred fields hold placeholders");
        let posts = Post::objects().defer(["body", "price"]).all(&db).await?;
        assert_eq!(posts[0].title, "Rust async");
        assert_eq!(posts[0].views, 10);
        assert_eq!(posts[0].body, "");
        assert_eq!(*posts[0].author.id(), b.ann.id);
        // With select_related.
        let p = Post::objects()
            .defer(["body"])
            .select_related(["author"])
            .first(&db)
            .await?
            .unwrap();
        assert_eq!(p.author.try_get()?.name, "Ann");
        let err = Post::objects().only(["nope"]).all(&db).await.unwrap_err();
        assert!(matches!(err, Error::UnknownField { .. }), "{err}");
        let err = Post::objects().defer(["nope"]).all(&db).await.unwrap_err();
        assert!(matches!(err, Error::UnknownField { .. }), "{err}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn stream_many_rows() {
    each_backend(|db| async move {
        let mut a = author("Ann");
        a.save(&db).await?;
        let posts: Vec<Post> = (0..1500)
            .map(|i| {
                let mut p = post(&format!("p{i}"), &a);
                p.views = i;
                p
            })
            .collect();
        trellis_orm::bulk_create(&db, posts).await?;
        let mut stream = Post::objects().order_by(["views"]).stream(&db);
        let mut n = 0;
        let mut sum: i64 = 0;
        while let Some(p) = stream.next().await {
            let p = p?;
            assert_eq!(p.views, n);
            sum += i64::from(p.views);
            n += 1;
        }
        assert_eq!(n, 1500);
        assert_eq!(sum, 1499 * 1500 / 2);
        // A stream stopped early frees its connection.
        for _ in 0..20 {
            let mut s = Post::objects().stream(&db);
            s.next().await.unwrap()?;
        }
        assert_eq!(Post::objects().count(&db).await?, 1500);
        // Inside a transaction.
        let tx = db.begin().await?;
        let n = Post::objects()
            .filter(Post::f().views.lt(10))
            .stream(&tx)
            .count()
            .await;
        assert_eq!(n, 10);
        tx.commit().await?;
        // A bad query errors on the first item.
        let mut s = Post::objects().order_by(["nope"]).stream(&db);
        assert!(matches!(
            s.next().await,
            Some(Err(Error::UnknownField { .. }))
        ));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn raw_sql_with_parameters() {
    each_backend(|db| async move {
        blog(&db).await?;
        let (sql, p1) = match db.backend() {
            Backend::Postgres => (
                "SELECT id, name, email FROM blog_author WHERE name = $1 OR email = $2",
                "Bob",
            ),
            _ => (
                "SELECT id, name, email FROM blog_author WHERE name = ? OR email = ?",
                "Bob",
            ),
        };
        let found =
            trellis_orm::raw::<Author>(&db, sql, [p1.into(), "ann@example.com".into()]).await?;
        let mut names: Vec<String> = found.into_iter().map(|a| a.name).collect();
        names.sort();
        assert_eq!(names, ["Ann", "Bob"]);
        let ph = |n: usize| match db.backend() {
            Backend::Postgres => format!("${n}"),
            _ => "?".to_string(),
        };
        let rows = trellis_orm::raw_rows(
            &db,
            &format!("SELECT COUNT(*) FROM blog_post WHERE views > {}", ph(1)),
            [25.into()],
        )
        .await?;
        assert_eq!(rows[0].json(0), json!(3));
        let n = trellis_orm::raw_execute(
            &db,
            &format!(
                "UPDATE blog_post SET views = {} WHERE views < {}",
                ph(1),
                ph(2)
            ),
            [0.into(), 25.into()],
        )
        .await?;
        assert_eq!(n, 2);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn get_or_create_conflict_leaves_the_transaction_usable() {
    each_backend(|db| async move {
        author("Ann").save(&db).await?;
        db.atomic(|tx| async move {
            // No author has this e-mail, but creating one collides on the unique name.
            let err =
                trellis_orm::get_or_create(&tx, Q::lookup("email", "nobody"), || author("Ann"))
                    .await
                    .unwrap_err();
            assert!(
                err.is_does_not_exist() || matches!(err, Error::Database(_)),
                "{err}"
            );
            // The transaction goes on (PostgreSQL would have aborted it).
            author("Bob").save(&tx).await?;
            Ok::<_, Error>(())
        })
        .await?;
        assert_eq!(Author::objects().count(&db).await?, 2);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn resave_unchanged_object_updates_in_place() {
    each_backend(|db| async move {
        let mut a = author("Ann");
        a.save(&db).await?;
        let id = a.id;
        a.save(&db).await?; // nothing changed: still an UPDATE, not an INSERT
        a.save_fields(&db, &["name"]).await?;
        assert_eq!(a.id, id);
        assert_eq!(Author::objects().count(&db).await?, 1);
        // save_fields of a row that is gone: DoesNotExist, nothing inserted.
        Author::objects().delete(&db).await?;
        let err = a.save_fields(&db, &["name"]).await.unwrap_err();
        assert!(err.is_does_not_exist(), "{err}");
        assert_eq!(Author::objects().count(&db).await?, 0);
        // save() of a row that is gone inserts it again with its id.
        a.save(&db).await?;
        assert_eq!(Author::get_by_pk(&db, id).await?.name, "Ann");
        Ok(())
    })
    .await;
}

/// The derive's `column_value` (one column, for `bulk_update`) agrees with `column_values`.
#[test]
fn column_value_is_the_column_of_column_values() {
    let mut a = author("Ann");
    a.id = 7;
    let mut p = post("t", &a);
    p.id = 3;
    p.rating = Some(2.5);
    let all = p.column_values();
    assert_eq!(all.len(), Post::meta().fields.len());
    for (i, v) in all.iter().enumerate() {
        assert_eq!(p.column_value(i).as_ref(), Some(v), "column {i}");
    }
    assert_eq!(p.column_value(all.len()), None);
}
