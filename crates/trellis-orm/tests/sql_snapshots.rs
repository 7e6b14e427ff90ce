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
