//! Security acceptance: SQL-injection payloads are data, never SQL. Values go through
//! every lookup operator as bound parameters; names (lookup paths, order_by, values,
//! only/defer, select_related, prefetch_related, update fields, F columns, aggregates)
//! are resolved against the model and refused before any SQL exists.

mod common;

use common::*;
use trellis_orm::observe;
use trellis_orm::prelude::*;
use trellis_orm::query::Op;
use trellis_orm::{Agg, Backend, Error, raw_rows};

const PAYLOADS: &[&str] = &[
    "'; DROP TABLE blog_post; --",
    "\" OR 1=1 --",
    "' OR '1'='1",
    "\\",
    "\\'; DROP TABLE blog_author; --",
    "%",
    "_",
    "%' OR 1=1 --",
    "`; DROP TABLE blog_tag; --",
    "‘ OR ’1’=’1",
    "1); DELETE FROM blog_post; --",
    "$1",
    "?",
    "*",
    "[a]",
    "Robert'); DROP TABLE blog_comment;--",
];

const OPS: &[&str] = &[
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "gt",
    "gte",
    "lt",
    "lte",
];

async fn tables_intact(db: &Db, posts: u64, authors: u64) -> trellis_orm::Result<()> {
    assert_eq!(Post::objects().count(db).await?, posts);
    assert_eq!(Author::objects().count(db).await?, authors);
    assert_eq!(Tag::objects().count(db).await?, 3);
    assert_eq!(Comment::objects().count(db).await?, 0);
    Ok(())
}

#[tokio::test]
async fn payloads_in_values_are_data() {
    each_backend(|db| async move {
        blog(&db).await?;
        // Store every payload as a title, then find each one back exactly.
        let mut a = author("Mallory");
        a.save(&db).await?;
        for p in PAYLOADS {
            post(p, &a).save(&db).await?;
        }
        let total = 5 + PAYLOADS.len() as u64;
        tables_intact(&db, total, 4).await?;
        for p in PAYLOADS {
            for op in OPS {
                let q = Q::lookup(&format!("title__{op}"), *p);
                let n = Post::objects().filter(q.clone()).count(&db).await?;
                let rows = Post::objects().filter(q).all(&db).await?;
                assert_eq!(rows.len() as u64, n);
                match *op {
                    "exact" | "iexact" => {
                        assert!(n >= 1, "{op} {p:?}: found {n}");
                        assert!(
                            rows.iter()
                                .all(|r| r.title.to_lowercase() == p.to_lowercase())
                        );
                    }
                    "contains" | "startswith" | "endswith" => {
                        assert!(n >= 1, "{op} {p:?}");
                        assert!(
                            rows.iter().all(|r| r.title.contains(p)),
                            "{op} {p:?} matched {:?}",
                            titles(&rows)
                        );
                    }
                    "icontains" | "istartswith" | "iendswith" => {
                        assert!(n >= 1, "{op} {p:?}");
                        assert!(
                            rows.iter()
                                .all(|r| r.title.to_lowercase().contains(&p.to_lowercase())),
                            "{op} {p:?} matched {:?}",
                            titles(&rows)
                        );
                    }
                    _ => assert!(n <= total),
                }
            }
            // in, range, and the same payload in a filter across a relation.
            assert_eq!(
                Post::objects()
                    .filter(Q::lookup_in("title__in", [*p]))
                    .count(&db)
                    .await?,
                1
            );
            let n = Post::objects()
                .filter(Q::lookup_range("title__range", *p, *p))
                .count(&db)
                .await?;
            assert_eq!(n, 1, "range {p:?}");
            assert_eq!(
                Post::objects()
                    .filter(Q::lookup("author__name", *p))
                    .count(&db)
                    .await?,
                0
            );
            assert_eq!(
                Post::objects()
                    .exclude(Post::f().title.eq(*p))
                    .count(&db)
                    .await?,
                total - 1
            );
            // As an update value and a raw parameter.
            Post::objects()
                .filter(Post::f().title.eq(*p))
                .update(&db, [("body", F::value(*p))])
                .await?;
            let ph = if db.backend() == Backend::Postgres {
                "$1"
            } else {
                "?"
            };
            let rows = raw_rows(
                &db,
                &format!("SELECT COUNT(*) FROM blog_post WHERE body = {ph}"),
                [(*p).into()],
            )
            .await?;
            assert_eq!(rows[0].json(0), serde_json::json!(1), "raw {p:?}");
        }
        // LIKE metacharacters match literally.
        let only = |s: &str| {
            let db = db.clone();
            let s = s.to_string();
            async move {
                let rows = Post::objects()
                    .filter(Post::f().title.contains(s.as_str()))
                    .all(&db)
                    .await?;
                Ok::<_, Error>(
                    titles(&rows)
                        .into_iter()
                        .map(str::to_string)
                        .collect::<Vec<_>>(),
                )
            }
        };
        for t in only("%").await? {
            assert!(t.contains('%'), "{t}");
        }
        for t in only("_").await? {
            assert!(t.contains('_'), "{t}");
        }
        assert_eq!(only("\\").await?.len(), 2);
        assert_eq!(only("[a]").await?, ["[a]"]);
        assert_eq!(only("*").await?, ["*"]);
        assert_eq!(only("?").await?, ["?"]);
        tables_intact(&db, total, 4).await?;
        Ok(())
    })
    .await;
}

fn refused(err: &Error) -> bool {
    matches!(err, Error::UnknownField { .. } | Error::InvalidQuery(_))
}

#[tokio::test]
async fn payloads_in_names_are_refused_before_sql() {
    each_backend(|db| async move {
        blog(&db).await?;
        for p in PAYLOADS {
            let (results, queries) = observe::capture_queries(async {
                let mut errs: Vec<Error> = Vec::new();
                let qs = Post::objects;
                // Lookup paths: as a field, after a relation, as the operator.
                for path in [
                    p.to_string(),
                    format!("{p}__exact"),
                    format!("author__{p}"),
                    format!("title__{p}"),
                    format!("tags__{p}__in"),
                ] {
                    errs.push(
                        qs().filter(Q::lookup(&path, "x"))
                            .count(&db)
                            .await
                            .unwrap_err(),
                    );
                    errs.push(
                        qs().filter(Q::lookup(&path, "x"))
                            .all(&db)
                            .await
                            .unwrap_err(),
                    );
                    errs.push(
                        qs().exclude(Q::lookup(&path, "x"))
                            .exists(&db)
                            .await
                            .unwrap_err(),
                    );
                }
                errs.push(qs().order_by([*p]).all(&db).await.unwrap_err());
                errs.push(qs().order_by([format!("-{p}")]).all(&db).await.unwrap_err());
                errs.push(
                    qs().order_by([format!("author__{p}")])
                        .all(&db)
                        .await
                        .unwrap_err(),
                );
                errs.push(qs().values(&db, [*p]).await.unwrap_err());
                errs.push(
                    qs().values_list(&db, [format!("author__{p}")])
                        .await
                        .unwrap_err(),
                );
                errs.push(qs().only([*p]).all(&db).await.unwrap_err());
                errs.push(qs().defer([*p]).all(&db).await.unwrap_err());
                errs.push(qs().select_related([*p]).all(&db).await.unwrap_err());
                errs.push(
                    qs().select_related([format!("author__{p}")])
                        .all(&db)
                        .await
                        .unwrap_err(),
                );
                errs.push(qs().prefetch_related([*p]).all(&db).await.unwrap_err());
                errs.push(
                    qs().prefetch_related([format!("tags__{p}")])
                        .all(&db)
                        .await
                        .unwrap_err(),
                );
                errs.push(qs().update(&db, [(*p, F::value(1))]).await.unwrap_err());
                errs.push(qs().update(&db, [("views", F::col(p))]).await.unwrap_err());
                errs.push(
                    qs().filter(Q::lookup_f("views__gt", F::col(p)))
                        .count(&db)
                        .await
                        .unwrap_err(),
                );
                errs.push(qs().aggregate(&db, [("n", Agg::sum(p))]).await.unwrap_err());
                if *p != "*" {
                    // `Agg::count("*")` is COUNT(*), on purpose.
                    errs.push(
                        qs().values_annotate(&db, ["title"], [("n", Agg::count(p))])
                            .await
                            .unwrap_err(),
                    );
                }
                errs.push(qs().annotate(&db, [("n", Agg::max(p))]).await.unwrap_err());
                let mut a = author("x");
                a.id = 1;
                errs.push(a.save_fields(&db, &[*p]).await.unwrap_err());
                errs.push(
                    trellis_orm::bulk_update(&db, &[post("x", &a)], &[*p])
                        .await
                        .unwrap_err(),
                );
                errs
            })
            .await;
            for e in &results {
                assert!(refused(e), "{p:?}: {e}");
            }
            // Only the prefetch base queries ran; nothing carrying the payload reached SQL.
            if p.contains("DROP") || p.contains("DELETE") || p.contains("OR") {
                for q in &queries {
                    assert!(!q.contains(p), "{p:?} reached SQL: {q}");
                }
            }
        }
        // The typed API cannot express a bad name; a payload in a typed value is data.
        assert_eq!(
            Post::objects()
                .filter(
                    Post::f()
                        .title
                        .cmp_f(Op::Exact, F::value("'; DROP TABLE blog_post; --"))
                )
                .count(&db)
                .await?,
            0
        );
        tables_intact(&db, 5, 3).await?;
        Ok(())
    })
    .await;
}
