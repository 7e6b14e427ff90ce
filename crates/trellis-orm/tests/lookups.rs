//! Lookups, Q trees, F expressions, ordering, slicing, distinct and the terminal methods,
//! on every backend.

mod common;

use common::*;
use trellis_orm::Error;
use trellis_orm::prelude::*;

async fn count(db: &Db, q: Q) -> trellis_orm::Result<u64> {
    Post::objects().filter(q).count(db).await
}

async fn matching(db: &Db, q: Q) -> trellis_orm::Result<Vec<String>> {
    let posts = Post::objects().filter(q).order_by(["id"]).all(db).await?;
    Ok(posts.into_iter().map(|p| p.title).collect())
}

#[tokio::test]
async fn text_lookups() {
    each_backend(|db| async move {
        blog(&db).await?;
        let f = Post::f();
        // exact / iexact
        assert_eq!(
            matching(&db, f.title.eq("Rust async")).await?,
            ["Rust async"]
        );
        // MySQL compares text with the column's collation (case-insensitive by default),
        // as Django does there.
        let ci = usize::from(db.backend() == Backend::MySql);
        assert_eq!(matching(&db, f.title.eq("rust async")).await?.len(), ci);
        assert_eq!(
            matching(&db, f.title.iexact("rUST aSYNC")).await?,
            ["Rust async"]
        );
        // contains / icontains
        assert_eq!(
            matching(&db, f.title.contains("Rust")).await?,
            ["Rust async", "Web Rust"]
        );
        assert_eq!(
            matching(&db, f.title.icontains("rust")).await?,
            ["Rust async", "rusty nails", "Web Rust"]
        );
        // startswith / istartswith
        assert_eq!(
            matching(&db, f.title.startswith("rust")).await?,
            ["rusty nails"]
        );
        assert_eq!(
            matching(&db, f.title.istartswith("RUST")).await?,
            ["Rust async", "rusty nails"]
        );
        // endswith / iendswith
        assert_eq!(matching(&db, f.title.endswith("Rust")).await?, ["Web Rust"]);
        assert!(matching(&db, f.title.endswith("rust")).await?.is_empty());
        assert_eq!(
            matching(&db, f.title.iendswith("RUST")).await?,
            ["Web Rust"]
        );
        // The same through string lookups.
        assert_eq!(count(&db, Q::lookup("title__icontains", "RUST")).await?, 3);
        assert_eq!(count(&db, Q::lookup("title__contains", "rust")).await?, 1);
        assert_eq!(count(&db, Q::lookup("title__startswith", "Dj")).await?, 1);
        assert_eq!(count(&db, Q::lookup("title__iendswith", "TIPS")).await?, 1);
        assert_eq!(
            count(&db, Q::lookup("title__iexact", "django TIPS")).await?,
            1
        );
        assert_eq!(
            count(&db, Q::lookup("title__exact", "Django tips")).await?,
            1
        );
        assert_eq!(count(&db, Q::lookup("title", "Django tips")).await?, 1);
        // LIKE metacharacters are literal.
        assert_eq!(
            matching(&db, f.title.contains("_100%")).await?,
            ["Zebra_100%"]
        );
        assert!(matching(&db, f.title.contains("e_r")).await?.is_empty());
        assert_eq!(count(&db, f.title.contains("%")).await?, 1);
        assert_eq!(count(&db, f.title.icontains("_")).await?, 1);
        // Text lookups on non-text fields are refused.
        let err = count(&db, Q::lookup("views__iexact", "10"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidQuery(_)), "{err}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn comparison_in_range_isnull() {
    each_backend(|db| async move {
        blog(&db).await?;
        let f = Post::f();
        assert_eq!(count(&db, f.views.gt(30)).await?, 2);
        assert_eq!(count(&db, f.views.gte(30)).await?, 3);
        assert_eq!(count(&db, f.views.lt(30)).await?, 2);
        assert_eq!(count(&db, f.views.lte(30)).await?, 3);
        assert_eq!(count(&db, f.views.range(20, 40)).await?, 3);
        assert_eq!(
            count(&db, Q::lookup_range("views__range", 11, 19)).await?,
            0
        );
        assert_eq!(count(&db, f.views.is_in([10, 50, 99])).await?, 2);
        assert_eq!(count(&db, Q::lookup_in("views__in", [20, 30])).await?, 2);
        // `in` with an empty list matches nothing, and excluding it keeps everything.
        assert_eq!(count(&db, f.views.is_in(Vec::<i32>::new())).await?, 0);
        assert_eq!(
            count(&db, Q::lookup_in("title__in", Vec::<String>::new())).await?,
            0
        );
        assert_eq!(
            Post::objects()
                .exclude(f.views.is_in(Vec::<i32>::new()))
                .count(&db)
                .await?,
            5
        );
        assert_eq!(count(&db, f.rating.is_null(true)).await?, 2);
        assert_eq!(count(&db, f.rating.is_null(false)).await?, 3);
        assert_eq!(count(&db, Q::lookup("rating__isnull", true)).await?, 2);
        assert_eq!(count(&db, f.rating.gte(4.5)).await?, 2);
        assert_eq!(count(&db, f.editor.is_null(true)).await?, 5);
        assert_eq!(count(&db, f.views.ne(10)).await?, 4);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn across_relations_q_and_exclude() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let f = Post::f();
        assert_eq!(count(&db, f.author.f().name.eq("Ann")).await?, 3);
        assert_eq!(
            count(&db, Q::lookup("author__name__istartswith", "a")).await?,
            3
        );
        assert_eq!(
            count(&db, Q::lookup("author__email__contains", "@")).await?,
            3
        );
        assert_eq!(count(&db, f.author.eq(&b.bob)).await?, 1);
        assert_eq!(count(&db, Q::lookup("author", b.cy.id)).await?, 1);
        assert_eq!(count(&db, Q::lookup("author__id", b.cy.id)).await?, 1);
        assert_eq!(count(&db, Q::lookup("author__pk", b.cy.id)).await?, 1);
        // Through a many-to-many relation and a reverse foreign key.
        assert_eq!(count(&db, Q::lookup("tags__name", "web")).await?, 1);
        assert_eq!(
            Author::objects()
                .filter(Q::lookup("posts__views__gte", 40))
                .order_by(["name"])
                .all(&db)
                .await?
                .into_iter()
                .map(|a| a.name)
                .collect::<Vec<_>>(),
            ["Ann", "Cy"]
        );
        // Q: and, or, not.
        let q = (f.views.gt(10) & f.author.f().name.eq("Ann")) | f.title.eq("Django tips");
        assert_eq!(
            matching(&db, q).await?,
            ["Django tips", "rusty nails", "Zebra_100%"]
        );
        assert_eq!(count(&db, !f.author.f().name.eq("Ann")).await?, 2);
        assert_eq!(count(&db, Q::Or(vec![])).await?, 0);
        assert_eq!(count(&db, Q::all()).await?, 5);
        // exclude: several filters are ANDed, excludes negate.
        let qs = Post::objects()
            .filter(f.views.gte(20))
            .exclude(f.author.f().name.eq("Ann"));
        assert_eq!(
            titles(&qs.order_by(["id"]).all(&db).await?),
            ["Django tips", "Web Rust"]
        );
        // Excluding on a nullable column keeps the NULL rows (as in Django).
        assert_eq!(
            Post::objects().exclude(f.rating.eq(3.0)).count(&db).await?,
            4
        );
        // Excluding through a nullable foreign key keeps rows without one.
        assert_eq!(
            Post::objects()
                .exclude(Q::lookup("editor__name", "Bob"))
                .count(&db)
                .await?,
            5
        );
        // Excluding through a to-many relation means "has no such related row".
        assert_eq!(
            titles(
                &Post::objects()
                    .exclude(Q::lookup("tags__name", "rust"))
                    .order_by(["id"])
                    .all(&db)
                    .await?
            ),
            ["Django tips", "Zebra_100%"]
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn f_expressions_in_filters() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        // views > id * 10: ids are 1..5 and views 10..50, so none; then shift.
        let first = b.posts[0].id;
        let q = Q::lookup_f("views__gt", F::col("id") * 10 - F::value(first * 10));
        assert_eq!(count(&db, q).await?, 5);
        let q = Q::lookup_f("views__lt", F::col("views"));
        assert_eq!(count(&db, q).await?, 0);
        let q = Post::f()
            .views
            .cmp_f(trellis_orm::query::Op::Gte, Post::f().views.f() + 40);
        assert_eq!(count(&db, q).await?, 0);
        let q = Q::lookup_f("views__exact", F::col("views"));
        assert_eq!(count(&db, q).await?, 5);
        // Across a relation: the author's id is below the post's views.
        let q = Q::lookup_f("views__gt", F::col("author__id"));
        assert_eq!(count(&db, q).await?, 5);
        let err = count(&db, Q::lookup_f("title__contains", F::col("body")))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidQuery(_)), "{err}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn ordering_slicing_distinct() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let by_author = Post::objects()
            .order_by(["author__name", "-views"])
            .all(&db)
            .await?;
        assert_eq!(
            titles(&by_author),
            [
                "Zebra_100%",
                "rusty nails",
                "Rust async",
                "Django tips",
                "Web Rust"
            ]
        );
        let desc = Post::objects()
            .order_by([Post::f().author.f().name.desc(), Post::f().views.asc()])
            .all(&db)
            .await?;
        assert_eq!(
            titles(&desc),
            [
                "Web Rust",
                "Django tips",
                "Rust async",
                "rusty nails",
                "Zebra_100%"
            ]
        );
        // Default ordering (Post: id), reverse().
        assert_eq!(ids(&Post::objects().all(&db).await?), ids(&b.posts));
        let mut rev = ids(&b.posts);
        rev.reverse();
        assert_eq!(ids(&Post::objects().reverse().all(&db).await?), rev);
        // Slicing: [1:3], [2:], chained slices.
        let views = |ps: Vec<Post>| ps.into_iter().map(|p| p.views).collect::<Vec<_>>();
        let qs = Post::objects().order_by(["-views"]);
        assert_eq!(views(qs.clone().slice(1..3).all(&db).await?), [40, 30]);
        assert_eq!(views(qs.clone().offset(3).all(&db).await?), [20, 10]);
        assert_eq!(views(qs.clone().limit(2).all(&db).await?), [50, 40]);
        assert_eq!(
            views(qs.clone().slice(1..4).slice(1..5).all(&db).await?),
            [30, 20]
        );
        assert_eq!(qs.clone().slice(1..3).count(&db).await?, 2);
        assert_eq!(qs.clone().slice(4..10).count(&db).await?, 1);
        assert!(qs.clone().slice(5..10).all(&db).await?.is_empty());
        // A filter across a many-to-many relation repeats rows; distinct removes them.
        let tagged = Post::objects().filter(Q::lookup_in("tags__name__in", ["rust", "db", "web"]));
        assert_eq!(tagged.clone().all(&db).await?.len(), 5);
        assert_eq!(tagged.clone().count(&db).await?, 5);
        let distinct = tagged.clone().distinct();
        assert_eq!(distinct.clone().all(&db).await?.len(), 3);
        assert_eq!(distinct.count(&db).await?, 3);
        // Authors ordered through a reverse relation stay whole objects.
        let authors = Author::objects()
            .filter(Q::lookup("posts__views__gt", 0))
            .distinct()
            .all(&db)
            .await?;
        assert_eq!(authors.len(), 3);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn terminal_methods_and_get_errors() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        assert_eq!(Post::objects().count(&db).await?, 5);
        assert!(Post::objects().exists(&db).await?);
        assert!(
            !Post::objects()
                .filter(Post::f().views.gt(100))
                .exists(&db)
                .await?
        );
        assert_eq!(Post::objects().first(&db).await?.unwrap().id, b.posts[0].id);
        assert_eq!(Post::objects().last(&db).await?.unwrap().id, b.posts[4].id);
        assert_eq!(
            Post::objects()
                .order_by(["-views"])
                .first(&db)
                .await?
                .unwrap()
                .views,
            50
        );
        assert_eq!(
            Post::objects()
                .order_by(["-views"])
                .last(&db)
                .await?
                .unwrap()
                .views,
            10
        );
        // Tag has no default ordering in a `first()` sense: it orders by name.
        assert_eq!(Tag::objects().first(&db).await?.unwrap().name, "db");
        assert_eq!(Sponsor::objects().first(&db).await?.map(|s| s.id), None);
        assert_eq!(Sponsor::objects().last(&db).await?.map(|s| s.id), None);
        let one = Post::objects()
            .filter(Post::f().views.eq(20))
            .get(&db)
            .await?;
        assert_eq!(one.title, "Django tips");
        let by_pk = Post::get_by_pk(&db, b.posts[1].id).await?;
        assert_eq!(by_pk.title, "Django tips");
        let err = Post::objects()
            .filter(Post::f().views.eq(21))
            .get(&db)
            .await
            .unwrap_err();
        assert!(err.is_does_not_exist());
        assert_eq!(err.to_string(), "Post matching query does not exist");
        let err = Post::objects()
            .filter(Post::f().author.f().name.eq("Ann"))
            .get(&db)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::MultipleObjectsReturned {
                    model: "Post",
                    count: 3
                }
            ),
            "{err}"
        );
        let err = Post::get_by_pk(&db, 999_999).await.unwrap_err();
        assert!(err.is_does_not_exist());
        let bulk = Post::objects()
            .filter(Post::f().views.lte(20))
            .in_bulk(&db)
            .await?;
        assert_eq!(bulk.len(), 2);
        assert_eq!(bulk[&b.posts[0].id].views, 10);
        Ok(())
    })
    .await;
}
