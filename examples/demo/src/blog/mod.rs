//! The blog app: models (authors, posts, tags, comments) with their migrations, its own
//! routes (mounted at `/blog/`, names in namespace `blog`), templates
//! (`src/blog/templates/blog/`) and the `/api/posts` JSON list.
//!
//! Every page runs a constant number of queries, whatever the number of posts:
//! `select_related("author")` joins the authors and `prefetch_related("tags")` loads all
//! tags in one more query.

mod migrations;
pub mod models;
pub mod seed;

use serde::Serialize;
use trellis::db::{AppModels, DbError};
use trellis::orm::prelude::*;
use trellis::orm::{Prefetch, Q};
use trellis::prelude::*;

use models::{Author, Comment, Post, Status, Tag};

/// The blog's models and migrations, for [`trellis::db::Database`].
pub fn models() -> AppModels {
    AppModels {
        label: "blog",
        migrations_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/src/blog/migrations").into(),
        migrations: migrations::migrations,
        models: vec![Author::meta, Tag::meta, Post::meta, Comment::meta],
    }
}

/// A post as the list pages show it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PostSummary {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// URL slug.
    pub slug: String,
    /// Author's name.
    pub author: String,
    /// Tag names.
    pub tags: Vec<String>,
    /// Publication time (RFC 3339).
    pub published_at: Option<String>,
}

/// The published posts, newest first, with authors and tags: two queries.
pub async fn published(db: &Db) -> trellis::orm::Result<Vec<PostSummary>> {
    let posts = Post::objects()
        .filter(Post::f().status.eq(Status::Published))
        .select_related(["author"])
        .prefetch_related(["tags"])
        .all(db)
        .await?;
    posts
        .iter()
        .map(|p| {
            Ok(PostSummary {
                id: p.id,
                title: p.title.clone(),
                slug: p.slug.clone(),
                author: p.author.try_get()?.name.clone(),
                tags: p.tags.try_all()?.iter().map(|t| t.name.clone()).collect(),
                published_at: p.published_at.map(|d| d.to_rfc3339()),
            })
        })
        .collect()
}

async fn index(
    State(t): State<Templates>,
    State(db): State<Db>,
) -> Result<Html<String>, HttpError> {
    let posts = published(&db).await.map_err(DbError)?;
    t.render(
        "blog/index.html",
        serde_json::json!({ "title": "Blog", "posts": posts }),
    )
}

async fn detail(
    State(t): State<Templates>,
    State(db): State<Db>,
    Path(id): Path<i64>,
) -> Result<Html<String>, HttpError> {
    let post = Post::objects()
        .filter(Q::pk(id))
        .select_related(["author"])
        .prefetch_related(["tags"])
        .prefetch(Prefetch::new(
            "comments",
            Comment::objects().select_related(["author"]),
        ))
        .get(&db)
        .await
        .map_err(DbError)?;
    let comments: Vec<_> = post
        .comments
        .try_all()
        .map_err(DbError)?
        .iter()
        .map(|c| {
            let author = c
                .author
                .loaded()
                .map(|a| a.name.clone())
                .unwrap_or_default();
            context! { author, body => c.body.clone() }
        })
        .collect();
    let tags: Vec<String> = post
        .tags
        .loaded()
        .unwrap_or_default()
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let author = post
        .author
        .loaded()
        .map(|a| a.name.clone())
        .unwrap_or_default();
    t.render(
        "blog/detail.html",
        context! {
            title => post.title.clone(),
            post => context! { id => post.id, title => post.title, body => post.body, author, tags },
            comments,
        },
    )
}

/// `GET /api/posts`: the published posts with authors and tags (two queries).
pub async fn api_posts(State(db): State<Db>) -> Result<Json<Vec<PostSummary>>, HttpError> {
    Ok(Json(published(&db).await.map_err(DbError)?))
}

/// The installable blog app.
pub fn app() -> AppConfig {
    AppConfig::new("blog")
        .templates(concat!(env!("CARGO_MANIFEST_DIR"), "/src/blog/templates"))
        .routes(
            Router::new()
                .route("/", get(index).name("index"))
                .route("/{id:int}/", get(detail).name("post-detail")),
        )
}
