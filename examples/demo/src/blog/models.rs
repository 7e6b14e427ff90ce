//! The blog's models: authors write posts, posts have tags (many-to-many) and comments.

use chrono::{DateTime, Utc};
use trellis::orm::prelude::*;

/// Someone who writes posts and comments.
#[derive(Model, Debug, Clone)]
#[model(app = "blog", ordering = "name")]
pub struct Author {
    /// Primary key.
    pub id: i64,
    /// Display name.
    #[field(max_length = 100, unique)]
    pub name: String,
    /// Contact address.
    #[field(max_length = 254, default = "")]
    pub email: String,
    /// The author's posts (`prefetch_related("posts")`).
    #[field(reverse = "author")]
    pub posts: Reverse<Post>,
}

/// A label on posts.
#[derive(Model, Debug, Clone)]
#[model(app = "blog", ordering = "name")]
pub struct Tag {
    /// Primary key.
    pub id: i64,
    /// The tag itself.
    #[field(max_length = 50, unique)]
    pub name: String,
}

/// Where a post is in its life.
#[derive(Choices, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not visible yet.
    Draft,
    /// On the site.
    Published,
}

/// A blog post.
#[derive(Model, Debug, Clone)]
#[model(app = "blog", ordering = "-published_at, id")]
pub struct Post {
    /// Primary key.
    pub id: i64,
    /// Title.
    #[field(max_length = 200)]
    pub title: String,
    /// URL slug.
    #[field(max_length = 200, unique)]
    pub slug: String,
    /// Text.
    pub body: String,
    /// Draft or published.
    #[field(default = Status::Draft, db_index)]
    pub status: Status,
    /// When it went public.
    pub published_at: Option<DateTime<Utc>>,
    /// Set on creation.
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
    /// Set on every save.
    #[field(auto_now)]
    pub updated_at: DateTime<Utc>,
    /// Who wrote it.
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Author>,
    /// Its tags.
    pub tags: ManyToMany<Tag>,
    /// Its comments (`prefetch_related("comments")`).
    #[field(reverse = "post")]
    pub comments: Reverse<Comment>,
}

/// A reader's comment on a post.
#[derive(Model, Debug, Clone)]
#[model(app = "blog", ordering = "created_at, id")]
pub struct Comment {
    /// Primary key.
    pub id: i64,
    /// The post commented on.
    #[field(on_delete = Cascade)]
    pub post: ForeignKey<Post>,
    /// Who wrote it.
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Author>,
    /// Text.
    pub body: String,
    /// Set on creation.
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
}

impl Post {
    /// A new draft by `author`.
    pub fn new(title: &str, slug: &str, body: &str, author: &Author) -> Post {
        Post {
            id: 0,
            title: title.into(),
            slug: slug.into(),
            body: body.into(),
            status: Status::Draft,
            published_at: None,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            author: ForeignKey::from(author),
            tags: Default::default(),
            comments: Default::default(),
        }
    }
}
