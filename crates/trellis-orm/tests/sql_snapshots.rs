//! The SQL each backend gets for representative QuerySets, with its bound values
//! (`QuerySet::to_sql`). Values are never inlined: they appear in the values list.

mod common;

use common::*;
use trellis_orm::prelude::*;

fn sql<M: Model>(qs: &QuerySet<M>) -> String {
    let mut out = String::new();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let (sql, values) = qs.to_sql(backend).expect("compiles");
        out.push_str(&format!("-- {}\n{sql}\n{:?}\n", backend.name(), values.0));
    }
    out
}

#[test]
fn filter_across_relations() {
    let qs = Post::objects()
        .filter(Post::f().author.f().name.icontains("ann"))
        .filter(Post::f().views.gte(10) | Post::f().title.startswith("50%_"))
        .exclude(Post::f().rating.eq(3.0));
    insta::assert_snapshot!(sql(&qs));
}

#[test]
fn exclude_across_to_many() {
    let qs = Post::objects().exclude(Q::lookup("tags__name", "rust"));
    insta::assert_snapshot!(sql(&qs));
}

#[test]
fn select_related_nested() {
    let qs = Comment::objects().select_related(["post__author", "parent"]);
    insta::assert_snapshot!(sql(&qs));
}

#[test]
fn order_by_across_relations_and_slice() {
    let qs = Post::objects()
        .order_by(["author__name", "-views"])
        .slice(10..20);
    insta::assert_snapshot!(sql(&qs));
}

#[test]
fn offset_without_limit() {
    let qs = Tag::objects().offset(5);
    insta::assert_snapshot!(sql(&qs));
}

#[test]
fn distinct_m2m_filter() {
    let qs = Post::objects()
        .filter(Q::lookup_in("tags__name__in", ["rust", "web"]))
        .distinct()
        .only(["title"]);
    insta::assert_snapshot!(sql(&qs));
}

#[test]
fn f_expression_and_in() {
    let qs = Post::objects()
        .filter(Q::lookup_f("views__gt", F::col("author__id") * 2))
        .filter(Post::f().id.is_in([1, 2, 3]))
        .filter(Post::f().id.is_in(Vec::<i64>::new()));
    insta::assert_snapshot!(sql(&qs));
}

fn count_sql<M: Model>(qs: &QuerySet<M>) -> String {
    let mut out = String::new();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let (sql, values) = qs.count_sql(backend).expect("compiles");
        out.push_str(&format!("-- {}\n{sql}\n{:?}\n", backend.name(), values.0));
    }
    out
}

#[test]
fn count_plain_and_distinct() {
    let plain = Post::objects().filter(Q::lookup("author__name__iexact", "ann"));
    let distinct = Post::objects()
        .filter(Q::lookup("tags__name__startswith", "r"))
        .distinct()
        .slice(0..10);
    insta::assert_snapshot!(format!("{}\n{}", count_sql(&plain), count_sql(&distinct)));
}

/// The compiled-SQL cache serves, for a QuerySet of a cached shape, exactly the SQL and
/// values a fresh build gives, whatever the values: pairs of QuerySets of the same shape
/// with different values (strings with LIKE metacharacters and other case, NULLs, lists,
/// ranges, F expressions, slices), on every backend.
#[test]
fn cached_sql_is_a_fresh_build_with_the_new_values() {
    fn pair(a: i64, s: &str) -> Vec<QuerySet<Post>> {
        vec![
            Post::objects().filter(Q::pk(a)),
            Post::objects()
                .filter(Post::f().author.f().name.icontains(s))
                .filter(Post::f().views.gte(a as i32) | Post::f().title.startswith(s))
                .exclude(Post::f().rating.eq(a as f64)),
            Post::objects().filter(Q::lookup("title__iexact", s)),
            Post::objects().filter(Q::lookup("title__contains", s)),
            Post::objects().filter(Q::lookup("title__iendswith", s)),
            Post::objects().filter(Q::lookup("title__endswith", s)),
            Post::objects().filter(Q::lookup("rating__isnull", a % 2 == 0)),
            Post::objects().filter(Q::lookup_range("views", a, a + 10)),
            Post::objects().exclude(Q::lookup("tags__name", s)),
            Post::objects().filter(Q::lookup_f("views__gt", F::col("author__id") * a)),
            Post::objects().filter(Post::f().id.is_in([a, a + 1, a + 2])),
            Post::objects().filter(Q::lookup_in("tags__name__in", [s, "web"])),
            Post::objects()
                .filter(Q::lookup("author__name", s))
                .select_related(["author", "editor"])
                .order_by(["-views", "author__name"])
                .slice(a as u64..a as u64 + 5),
            Post::objects().only(["title"]).offset(a as u64),
            Post::objects().defer(["body"]).limit(a as u64).distinct(),
        ]
    }
    let first = pair(3, "50%_Ann");
    let second = pair(8, "b\\*?[É");
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        for (a, b) in first.iter().zip(&second) {
            let fresh = a.to_sql_uncached(backend).expect("compiles");
            assert_eq!(a.to_sql(backend).expect("compiles"), fresh, "{a:?}");
            assert!(a.sql_is_cached(backend), "not cached: {a:?}");
            assert_eq!(a.to_sql(backend).expect("compiles"), fresh, "{a:?}");
            let fresh = b.to_sql_uncached(backend).expect("compiles");
            assert_ne!(fresh, a.to_sql_uncached(backend).unwrap());
            assert_eq!(b.to_sql(backend).expect("compiles"), fresh, "{b:?}");
        }
    }
}

/// NULL changes the SQL (`IS NULL`, no value): a NULL and a non-NULL lookup are different
/// shapes, never served each other's statement.
#[test]
fn null_lookups_are_their_own_shape() {
    let some = Post::objects().filter(Q::lookup("rating", 2.5));
    let none = Post::objects().filter(Q::lookup("rating", Option::<f64>::None));
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        let (sql, values) = some.to_sql(backend).unwrap();
        assert_eq!(values.0.len(), 1);
        let (null_sql, values) = none.to_sql(backend).unwrap();
        assert!(values.0.is_empty());
        assert_ne!(sql, null_sql);
        assert!(null_sql.contains("IS NULL"), "{null_sql}");
    }
}

/// `bulk_create` and `save()` write their INSERT directly (no sea-query statement): one
/// placeholder per value, identifiers quoted per backend, `RETURNING` where available.
#[test]
fn bulk_insert() {
    let mut out = String::new();
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
        for rows in [1, 3] {
            let sql = trellis_orm::bulk_create_sql::<Comment>(backend, rows);
            out.push_str(&format!("-- {} x{rows}\n{sql}\n", backend.name()));
        }
    }
    insta::assert_snapshot!(out);
}
