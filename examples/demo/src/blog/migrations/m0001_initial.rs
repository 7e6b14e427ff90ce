//! Migration `blog.0001_initial`, written by `makemigrations`.
//! Review it like any other code; edit it if you need to (add a `RunCode` data migration, say).

use trellis_orm::migrations::prelude::*;

/// Operations:
/// - Create model Author
/// - Create model Tag
/// - Create model Post
/// - Create model Comment
pub(crate) fn migration() -> Migration {
    Migration::new("blog", "0001_initial")
        .initial()
        .operation(
            CreateModel::new("Author", "blog_author")
                .field("id", Field::big_auto().primary_key())
                .field("name", Field::char(100).unique())
                .field("email", Field::char(254).default("")),
        )
        .operation(
            CreateModel::new("Tag", "blog_tag")
                .field("id", Field::big_auto().primary_key())
                .field("name", Field::char(50).unique()),
        )
        .operation(
            CreateModel::new("Post", "blog_post")
                .field("id", Field::big_auto().primary_key())
                .field("title", Field::char(200))
                .field("slug", Field::char(200).unique())
                .field("body", Field::text())
                .field("status", Field::char(9).db_index().default("draft"))
                .field("published_at", Field::datetime().null())
                .field("created_at", Field::datetime().default_now())
                .field("updated_at", Field::datetime().default_now())
                .field(
                    "author",
                    Field::foreign_key("blog.Author", "blog_author", "id"),
                )
                .field(
                    "tags",
                    Field::many_to_many("blog.Tag", "blog_post_tags", "post_id", "tag_id"),
                ),
        )
        .operation(
            CreateModel::new("Comment", "blog_comment")
                .field("id", Field::big_auto().primary_key())
                .field("post", Field::foreign_key("blog.Post", "blog_post", "id"))
                .field(
                    "author",
                    Field::foreign_key("blog.Author", "blog_author", "id"),
                )
                .field("body", Field::text())
                .field("created_at", Field::datetime().default_now()),
        )
}
