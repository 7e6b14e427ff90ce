//! Relations: foreign keys (nullable, self-referencing), many-to-many, reverse accessors,
//! select_related / prefetch_related query counts, and the N+1 detector.

mod common;

use common::*;
use trellis_orm::Error;
use trellis_orm::observe::{self, Detect};
use trellis_orm::prelude::*;

#[tokio::test]
async fn foreign_keys_save_and_get() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let mut p = Post::get_by_pk(&db, b.posts[0].id).await?;
        assert_eq!(*p.author.id(), b.ann.id);
        assert!(p.author.loaded().is_none());
        let a = p.author.get(&db).await?;
        assert_eq!(a.name, "Ann");
        // Nullable foreign key: None, then set and saved.
        assert!(p.editor.is_none());
        p.editor = Some(ForeignKey::from(&b.bob));
        p.save(&db).await?;
        let again = Post::get_by_pk(&db, p.id).await?;
        let editor = again.editor.as_ref().expect("editor set");
        assert_eq!(*editor.id(), b.bob.id);
        assert_eq!(editor.get(&db).await?.name, "Bob");
        assert_eq!(
            Post::objects()
                .filter(Post::f().editor.f().name.eq("Bob"))
                .count(&db)
                .await?,
            1
        );
        // A foreign key to a missing row is refused by the database.
        let mut orphan = post("orphan", &b.ann);
        orphan.author = ForeignKey::new(987_654);
        let err = orphan.save(&db).await.unwrap_err();
        assert!(matches!(err, Error::Database(_)), "{err}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn self_referencing_foreign_key() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let mut root = comment(&b.posts[0], &b.bob, "root");
        root.save(&db).await?;
        let mut reply = comment(&b.posts[0], &b.cy, "reply");
        reply.parent = Some(ForeignKey::from(&root));
        reply.save(&db).await?;
        let mut nested = comment(&b.posts[0], &b.ann, "nested");
        nested.parent = Some(ForeignKey::from(&reply));
        nested.save(&db).await?;
        let loaded = Comment::objects()
            .select_related(["parent__parent"])
            .order_by(["id"])
            .all(&db)
            .await?;
        assert_eq!(loaded.len(), 3, "LEFT JOINs keep comments without parents");
        assert!(loaded[0].parent.is_none());
        let r = loaded[1].parent.as_ref().unwrap().try_get()?;
        assert_eq!(r.text, "root");
        let n = loaded[2].parent.as_ref().unwrap().try_get()?;
        assert_eq!(n.text, "reply");
        assert_eq!(n.parent.as_ref().unwrap().try_get()?.text, "root");
        assert_eq!(
            Comment::objects()
                .filter(Q::lookup("parent__parent__text", "root"))
                .get(&db)
                .await?
                .text,
            "nested"
        );
        assert_eq!(
            Comment::objects()
                .filter(Q::lookup("parent__isnull", true))
                .count(&db)
                .await?,
            1
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn many_to_many_add_remove_clear_set() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let (rust, web, dbt) = (&b.tags[0], &b.tags[1], &b.tags[2]);
        let p = Post::get_by_pk(&db, b.posts[1].id).await?;
        assert!(p.tags.fetch(&db).await?.is_empty());
        p.tags.add(&db, &[rust, web]).await?;
        p.tags.add(&db, &[rust]).await?; // idempotent
        let names = |ts: Vec<Tag>| ts.into_iter().map(|t| t.name).collect::<Vec<_>>();
        assert_eq!(names(p.tags.fetch(&db).await?), ["rust", "web"]);
        p.tags.remove(&db, &[rust]).await?;
        assert_eq!(names(p.tags.fetch(&db).await?), ["web"]);
        p.tags.set(&db, &[dbt, rust]).await?;
        assert_eq!(names(p.tags.fetch(&db).await?), ["db", "rust"]);
        assert_eq!(
            p.tags
                .query()?
                .filter(Tag::f().name.startswith("r"))
                .count(&db)
                .await?,
            1
        );
        p.tags.clear(&db).await?;
        assert!(p.tags.fetch(&db).await?.is_empty());
        // The other posts kept their links.
        assert_eq!(b.posts[0].tags.fetch(&db).await?.len(), 2);
        // An unsaved object's relation says so.
        let unsaved = post("new", &b.ann);
        let err = unsaved.tags.fetch(&db).await.unwrap_err();
        assert!(err.to_string().contains("not saved"), "{err}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn reverse_accessor_fetch() {
    each_backend(|db| async move {
        let b = blog(&db).await?;
        let ann = Author::get_by_pk(&db, b.ann.id).await?;
        let posts = ann.posts.fetch(&db).await?;
        assert_eq!(posts.len(), 3);
        assert!(posts.iter().all(|p| *p.author.id() == b.ann.id));
        assert_eq!(
            ann.posts
                .query()?
                .filter(Post::f().views.gt(10))
                .count(&db)
                .await?,
            2
        );
        let mut c = comment(&b.posts[0], &b.bob, "hi");
        c.save(&db).await?;
        assert_eq!(b.posts[0].comments.fetch(&db).await?.len(), 1);
        // The saved author (not refetched) is bound too.
        assert_eq!(b.cy.posts.fetch(&db).await?.len(), 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn unloaded_relations_error_with_the_fix() {
    each_backend(|db| async move {
        blog(&db).await?;
        let p = Post::objects().first(&db).await?.unwrap();
        let err = p.author.try_get().unwrap_err();
        assert!(matches!(
            err,
            Error::NotLoaded {
                model: "Post",
                field: "author"
            }
        ));
        let msg = err.to_string();
        assert!(msg.contains("select_related(\"author\")"), "{msg}");
        assert!(msg.contains("prefetch_related(\"author\")"), "{msg}");
        let msg = p.tags.try_all().unwrap_err().to_string();
        assert!(
            msg.contains("Post.tags") && msg.contains("prefetch_related(\"tags\")"),
            "{msg}"
        );
        let a = Author::objects().first(&db).await?.unwrap();
        let msg = a.posts.try_all().unwrap_err().to_string();
        assert!(
            msg.contains("Author.posts") && msg.contains("prefetch_related(\"posts\")"),
            "{msg}"
        );
        let p = Post::objects()
            .select_related(["author"])
            .first(&db)
            .await?
            .unwrap();
        assert_eq!(p.author.try_get()?.name, "Ann");
        Ok(())
    })
    .await;
}

async fn hundred_posts(db: &Db) -> trellis_orm::Result<Vec<Author>> {
    let mut authors = Vec::new();
    for i in 0..5 {
        let mut a = author(&format!("author{i}"));
        a.save(db).await?;
        authors.push(a);
    }
    let mut tags = Vec::new();
    for i in 0..4 {
        let mut t = Tag {
            id: 0,
            name: format!("tag{i}"),
        };
        t.save(db).await?;
        tags.push(t);
    }
    let posts: Vec<Post> = (0..100)
        .map(|i| {
            let mut p = post(&format!("post {i}"), &authors[i % 5]);
            if i % 2 == 0 {
                p.editor = Some(ForeignKey::from(&authors[(i + 1) % 5]));
            }
            p
        })
        .collect();
    let posts = trellis_orm::bulk_create(db, posts).await?;
    for (i, p) in posts.iter().enumerate() {
        p.tags.add(db, &[&tags[i % 4], &tags[(i + 1) % 4]]).await?;
        let c = comment(p, &authors[(i + 2) % 5], &format!("comment {i}"));
        trellis_orm::bulk_create(db, vec![c.clone(), c]).await?;
    }
    Ok(authors)
}

#[tokio::test]
async fn select_related_loads_in_one_query() {
    each_backend(|db| async move {
        hundred_posts(&db).await?;
        let (posts, queries) = observe::capture_queries(async {
            Post::objects()
                .select_related(["author", "editor"])
                .all(&db)
                .await
        })
        .await;
        let posts = posts?;
        assert_eq!(queries.len(), 1, "{queries:?}");
        assert_eq!(
            posts.len(),
            100,
            "rows with a NULL editor are kept (LEFT JOIN)"
        );
        assert!(queries[0].contains("LEFT JOIN"), "{}", queries[0]);
        for (i, p) in posts.iter().enumerate() {
            assert_eq!(p.author.try_get()?.name, format!("author{}", i % 5));
            match &p.editor {
                Some(e) => assert_eq!(e.try_get()?.name, format!("author{}", (i + 1) % 5)),
                None => assert_eq!(i % 2, 1),
            }
        }
        // Nested: comment -> post -> author, and the comment's own author, in one query.
        let (comments, queries) = observe::capture_queries(async {
            Comment::objects()
                .select_related(["post__author", "author", "post__editor"])
                .all(&db)
                .await
        })
        .await;
        let comments = comments?;
        assert_eq!(queries.len(), 1, "{queries:?}");
        assert_eq!(comments.len(), 200);
        for c in &comments {
            let p = c.post.try_get()?;
            assert_eq!(p.author.try_get()?.id, *p.author.id());
            assert_eq!(c.author.try_get()?.id, *c.author.id());
        }
        // A non-null key below a nullable one still keeps the rows (LEFT JOIN chain).
        let (comments, queries) = observe::capture_queries(async {
            Comment::objects()
                .select_related(["parent__post"])
                .all(&db)
                .await
        })
        .await;
        assert_eq!(queries.len(), 1);
        assert_eq!(comments?.len(), 200);
        // select_related refuses to-many relations.
        let err = Post::objects()
            .select_related(["tags"])
            .all(&db)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("prefetch_related"), "{err}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn prefetch_related_query_counts() {
    each_backend(|db| async move {
        hundred_posts(&db).await?;
        // Many-to-many: 2 queries for 100 posts.
        let (posts, queries) = observe::capture_queries(async {
            Post::objects().prefetch_related(["tags"]).all(&db).await
        })
        .await;
        let posts = posts?;
        assert_eq!(queries.len(), 2, "{queries:?}");
        for (i, p) in posts.iter().enumerate() {
            let mut names: Vec<String> = p.tags.try_all()?.iter().map(|t| t.name.clone()).collect();
            names.sort();
            let mut want = vec![format!("tag{}", i % 4), format!("tag{}", (i + 1) % 4)];
            want.sort();
            assert_eq!(names, want);
        }
        // Reverse foreign key: authors' posts; nested posts__comments: 3 queries.
        let (authors, queries) = observe::capture_queries(async {
            Author::objects()
                .prefetch_related(["posts", "posts__comments"])
                .all(&db)
                .await
        })
        .await;
        let authors = authors?;
        assert_eq!(queries.len(), 3, "{queries:?}");
        assert_eq!(authors.len(), 5);
        for a in &authors {
            let posts = a.posts.try_all()?;
            assert_eq!(posts.len(), 20);
            for p in posts {
                assert_eq!(p.comments.try_all()?.len(), 2);
            }
        }
        // A foreign key prefetched (one IN query instead of a join).
        let (posts, queries) = observe::capture_queries(async {
            Post::objects()
                .prefetch_related(["author", "editor"])
                .all(&db)
                .await
        })
        .await;
        assert_eq!(queries.len(), 3, "{queries:?}");
        for p in posts? {
            assert!(p.author.try_get()?.name.starts_with("author"));
            if let Some(e) = &p.editor {
                e.try_get()?;
            }
        }
        // A custom QuerySet per prefetch.
        let (posts, queries) = observe::capture_queries(async {
            Post::objects()
                .order_by(["id"])
                .prefetch(Prefetch::new(
                    "comments",
                    Comment::objects().filter(Comment::f().text.endswith("0")),
                ))
                .all(&db)
                .await
        })
        .await;
        let posts = posts?;
        assert_eq!(queries.len(), 2, "{queries:?}");
        for (i, p) in posts.iter().enumerate() {
            let n = p.comments.try_all()?.len();
            assert_eq!(n, if i % 10 == 0 { 2 } else { 0 }, "post {i}");
        }
        // Nested custom QuerySet: authors -> posts -> only the comments of author0.
        let (authors, queries) = observe::capture_queries(async {
            Author::objects()
                .prefetch(Prefetch::new(
                    "posts__comments",
                    Comment::objects().filter(Comment::f().author.f().name.eq("author0")),
                ))
                .all(&db)
                .await
        })
        .await;
        assert_eq!(queries.len(), 3, "{queries:?}");
        let total: usize = authors?
            .iter()
            .flat_map(|a| a.posts.try_all().unwrap().to_vec())
            .map(|p| p.comments.try_all().unwrap().len())
            .sum();
        assert_eq!(total, 40);
        let err = Post::objects()
            .prefetch_related(["nope"])
            .all(&db)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidQuery(_)), "{err}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn n_plus_one_detector() {
    each_backend(|db| async move {
        hundred_posts(&db).await?;
        let posts = Post::objects().limit(20).all(&db).await?;
        // Warn: the naive loop runs, and the finding names the relation and the fix.
        let (names, report) = observe::scope(Detect::Warn { threshold: 5 }, async {
            let mut names = Vec::new();
            for p in &posts {
                names.push(p.author.get(&db).await?.name.clone());
            }
            Ok::<_, Error>(names)
        })
        .await;
        assert_eq!(names?.len(), 20);
        assert_eq!(report.queries.len(), 20);
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        let finding = &report.findings[0];
        assert!(finding.contains("Post.author"), "{finding}");
        assert!(finding.contains("select_related(\"author\")"), "{finding}");
        // Error: the query over the threshold fails.
        let (result, report) = observe::scope(Detect::Error { threshold: 5 }, async {
            let mut n = 0;
            for p in &posts {
                p.author.get(&db).await?;
                n += 1;
            }
            Ok::<_, Error>(n)
        })
        .await;
        let err = result.unwrap_err();
        assert!(matches!(err, Error::NPlusOne(_)), "{err}");
        assert!(err.to_string().contains("Post.author"), "{err}");
        assert_eq!(report.queries.len(), 6);
        // Many-to-many fetched per object names prefetch_related.
        let (_, report) = observe::scope(Detect::Warn { threshold: 5 }, async {
            for p in &posts {
                p.tags.fetch(&db).await.unwrap();
            }
        })
        .await;
        assert_eq!(report.findings.len(), 1);
        assert!(
            report.findings[0].contains("prefetch_related(\"tags\")"),
            "{:?}",
            report.findings
        );
        // The select_related version: no finding, one query.
        let (result, report) = observe::scope(Detect::Error { threshold: 5 }, async {
            let posts = Post::objects()
                .select_related(["author"])
                .limit(20)
                .all(&db)
                .await?;
            let mut names = Vec::new();
            for p in &posts {
                names.push(p.author.get(&db).await?.name.clone());
            }
            Ok::<_, Error>(names)
        })
        .await;
        assert_eq!(result?.len(), 20);
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert_eq!(report.queries.len(), 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn n_plus_one_detector_ignores_writes_and_transaction_control() {
    each_backend(|db| async move {
        let (result, report) = observe::scope(Detect::Error { threshold: 3 }, async {
            for i in 0..10 {
                db.atomic(|tx| async move {
                    author(&format!("a{i}")).save(&tx).await?;
                    tx.atomic(|sp| async move {
                        Tag {
                            id: 0,
                            name: format!("t{i}"),
                        }
                        .save(&sp)
                        .await?;
                        Ok::<_, Error>(())
                    })
                    .await
                })
                .await?;
            }
            Ok::<_, Error>(())
        })
        .await;
        result?;
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert!(
            report.queries.len() >= 60,
            "every statement is still recorded"
        );
        assert_eq!(Author::objects().count(&db).await?, 10);
        Ok(())
    })
    .await;
}
