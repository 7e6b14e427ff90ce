//! QuerySet behaviour on every backend.

mod common;

use common::*;
use trellis_orm::prelude::*;
use trellis_orm::{Error, observe};

#[tokio::test]
async fn save_get_filter_order_count() {
    each_backend(|db| async move {
        let mut ann = author("Ann");
        ann.save(&db).await?;
        assert!(ann.id > 0);
        let mut bob = author("Bob");
        bob.save(&db).await?;
        for (i, title) in ["Rust async", "Django tips", "rusty nails"]
            .iter()
            .enumerate()
        {
            let mut p = post(title, if i == 1 { &bob } else { &ann });
            p.views = (i as i32 + 1) * 10;
            p.save(&db).await?;
            assert!(p.created > chrono::DateTime::UNIX_EPOCH, "auto_now_add set");
        }
        assert_eq!(Post::objects().count(&db).await?, 3);
        let rusty = Post::objects()
            .filter(Post::f().title.icontains("rust"))
            .all(&db)
            .await?;
        assert_eq!(rusty.len(), 2);
        let exact_case = Post::objects()
            .filter(Post::f().title.contains("Rust"))
            .count(&db)
            .await?;
        assert_eq!(exact_case, 1, "contains is case-sensitive");
        let by_ann = Post::objects()
            .filter(Post::f().author.f().name.eq("Ann"))
            .order_by(["-views"])
            .all(&db)
            .await?;
        assert_eq!(
            by_ann.iter().map(|p| p.views).collect::<Vec<_>>(),
            vec![30, 10]
        );
        let q = Q::lookup("views__gte", 20) & !Q::lookup("author__name", "Bob");
        assert_eq!(Post::objects().filter(q).count(&db).await?, 1);
        let either = Post::objects()
            .filter(Post::f().views.eq(10) | Post::f().views.eq(20))
            .count(&db)
            .await?;
        assert_eq!(either, 2);
        assert_eq!(
            Post::objects()
                .filter(Post::f().views.is_in([10, 30]))
                .count(&db)
                .await?,
            2
        );
        assert_eq!(
            Post::objects()
                .filter(Post::f().views.range(15, 30))
                .count(&db)
                .await?,
            2
        );
        assert_eq!(
            Post::objects()
                .filter(Post::f().rating.is_null(true))
                .count(&db)
                .await?,
            3
        );
        assert_eq!(
            Post::objects()
                .filter(Post::f().title.startswith("Dj"))
                .count(&db)
                .await?,
            1
        );
        assert_eq!(
            Post::objects()
                .filter(Post::f().title.iendswith("NAILS"))
                .count(&db)
                .await?,
            1
        );
        assert_eq!(
            Post::objects()
                .filter(Post::f().title.iexact("RUST ASYNC"))
                .count(&db)
                .await?,
            1
        );
        // Slicing, first/last, exists.
        let page = Post::objects()
            .order_by(["views"])
            .slice(1..3)
            .all(&db)
            .await?;
        assert_eq!(
            page.iter().map(|p| p.views).collect::<Vec<_>>(),
            vec![20, 30]
        );
        assert_eq!(
            Post::objects()
                .order_by(["views"])
                .first(&db)
                .await?
                .unwrap()
                .views,
            10
        );
        assert_eq!(
            Post::objects()
                .order_by(["views"])
                .last(&db)
                .await?
                .unwrap()
                .views,
            30
        );
        assert!(
            Post::objects()
                .filter(Post::f().views.gt(25))
                .exists(&db)
                .await?
        );
        assert!(
            !Post::objects()
                .filter(Post::f().views.gt(99))
                .exists(&db)
                .await?
        );
        // get: DoesNotExist / MultipleObjectsReturned.
        let err = Post::objects()
            .filter(Post::f().views.eq(99))
            .get(&db)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::DoesNotExist { model: "Post" }),
            "{err}"
        );
        let err = Post::objects().get(&db).await.unwrap_err();
        assert!(
            matches!(err, Error::MultipleObjectsReturned { count: 3, .. }),
            "{err}"
        );
        // Choices round-trip; default ordering of Author is by name.
        let names: Vec<String> = Author::objects()
            .all(&db)
            .await?
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["Ann", "Bob"]);
        let mut p = Post::objects()
            .filter(Post::f().views.eq(10))
            .get(&db)
            .await?;
        p.status = Status::Archived;
        p.price = rust_decimal::Decimal::new(1999, 2);
        p.save(&db).await?;
        let again = Post::objects()
            .filter(Post::f().status.eq(Status::Archived))
            .get(&db)
            .await?;
        assert_eq!(again.id, p.id);
        assert_eq!(again.price, rust_decimal::Decimal::new(1999, 2));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn select_related_is_one_query() {
    each_backend(|db| async move {
        let mut authors = Vec::new();
        for i in 0..5 {
            let mut a = author(&format!("author{i}"));
            a.save(&db).await?;
            authors.push(a);
        }
        let posts: Vec<Post> = (0..100)
            .map(|i| post(&format!("post {i}"), &authors[i % 5]))
            .collect();
        trellis_orm::bulk_create(&db, posts).await?;
        let (posts, queries) = observe::capture_queries(async {
            Post::objects()
                .select_related(["author", "editor"])
                .all(&db)
                .await
        })
        .await;
        let posts = posts?;
        assert_eq!(posts.len(), 100);
        assert_eq!(queries.len(), 1, "{queries:?}");
        for p in &posts {
            assert!(p.author.try_get()?.name.starts_with("author"));
            assert!(p.editor.is_none());
        }
        Ok(())
    })
    .await;
}

/// `get()` reads at most 21 rows (to count a multiple match cheaply), except by primary key
/// alone, which matches one row at most and runs without a LIMIT.
#[tokio::test]
async fn get_limits_rows_unless_the_primary_key_is_pinned() {
    each_backend(|db| async move {
        let mut ann = author("Ann");
        ann.save(&db).await?;
        let mut posts = Vec::new();
        for i in 0..25 {
            let mut p = post(&format!("p{i}"), &ann);
            p.save(&db).await?;
            posts.push(p);
        }
        let id = posts[3].id;
        let (found, queries) = observe::capture_queries(async {
            let by_pk = Post::objects().filter(Q::pk(id)).get(&db).await;
            let missing = Post::objects().filter(Q::pk(-1i64)).get(&db).await;
            let many = Post::objects()
                .filter(Post::f().author.eq(&ann))
                .get(&db)
                .await;
            // An ordering across a to-many relation may repeat the row: limited.
            let joined = Post::objects()
                .filter(Q::pk(id))
                .order_by(["comments__text"])
                .get(&db)
                .await;
            (by_pk, missing, many, joined)
        })
        .await;
        let (by_pk, missing, many, joined) = found;
        assert_eq!(by_pk?.title, "p3");
        assert!(
            matches!(missing, Err(Error::DoesNotExist { .. })),
            "{missing:?}"
        );
        assert!(
            matches!(many, Err(Error::MultipleObjectsReturned { count: 21, .. })),
            "{many:?}"
        );
        assert_eq!(joined?.id, id);
        let limited: Vec<bool> = queries.iter().map(|q| q.contains("LIMIT")).collect();
        assert_eq!(limited, [false, false, true, true], "{queries:#?}");
        Ok(())
    })
    .await;
}
