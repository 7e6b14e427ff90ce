//! Sample data: `demo seed` and the first `cargo run -p demo` load it into an empty
//! database (5 authors, 24 posts with tags and comments).

use chrono::{Duration, TimeZone, Utc};
use trellis::orm::prelude::*;

use super::models::{Author, Comment, Post, Status, Tag};

const AUTHORS: [&str; 5] = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Barbara Liskov",
    "Ken Thompson",
];
const TAGS: [&str; 6] = ["rust", "django", "async", "databases", "web", "security"];
const TOPICS: [&str; 8] = [
    "the request cycle",
    "dependency injection",
    "select_related",
    "prefetch_related",
    "migrations",
    "transactions",
    "signals",
    "templates",
];

/// What [`seed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeded {
    /// Rows were created: (authors, posts, comments).
    Created(usize, usize, usize),
    /// The database already had authors; nothing was changed.
    AlreadyPresent,
}

/// Load the sample data unless the blog already has authors.
/// The check runs inside the transaction, so two processes starting at once on one
/// database cannot both load it.
pub async fn seed(db: &Db) -> trellis::orm::Result<Seeded> {
    db.atomic(|tx| async move { load(&tx).await }).await
}

async fn load(tx: &Tx) -> trellis::orm::Result<Seeded> {
    if Author::objects().exists(tx).await? {
        return Ok(Seeded::AlreadyPresent);
    }
    let authors = trellis::orm::bulk_create(
        tx,
        AUTHORS
            .iter()
            .map(|name| Author {
                id: 0,
                name: (*name).into(),
                email: format!(
                    "{}@example.com",
                    name.split(' ').next().unwrap_or("someone").to_lowercase()
                ),
                posts: Default::default(),
            })
            .collect(),
    )
    .await?;
    let tags = trellis::orm::bulk_create(
        tx,
        TAGS.iter()
            .map(|name| Tag {
                id: 0,
                name: (*name).into(),
            })
            .collect(),
    )
    .await?;
    let start = Utc
        .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let mut posts = Vec::new();
    for i in 0..24usize {
        let author = &authors[i % authors.len()];
        let topic = TOPICS[i % TOPICS.len()];
        let (title, body) = if i == 2 {
            (
                "<b>Escaping</b> in templates".to_string(),
                "Templates autoescape: <script>alert('x')</script> stays text.".to_string(),
            )
        } else {
            (
                format!("Notes on {topic}, part {}", i / TOPICS.len() + 1),
                format!(
                    "{} writes about {topic}. Trellis keeps the number of queries constant.",
                    author.name
                ),
            )
        };
        let mut post = Post::new(&title, &format!("post-{}", i + 1), &body, author);
        post.status = Status::Published;
        post.published_at = Some(start + Duration::days(i as i64));
        posts.push(post);
    }
    let posts = trellis::orm::bulk_create(tx, posts).await?;
    let mut comments = Vec::new();
    for (i, post) in posts.iter().enumerate() {
        let picked: Vec<&Tag> = tags
            .iter()
            .enumerate()
            .filter(|(t, _)| (i + t) % 3 == 0)
            .map(|(_, t)| t)
            .collect();
        post.tags.add(tx, &picked).await?;
        for c in 0..(i % 4) {
            let author = &authors[(i + c + 1) % authors.len()];
            comments.push(Comment {
                id: 0,
                post: ForeignKey::from(post),
                author: ForeignKey::from(author),
                body: format!("Comment {} on “{}”", c + 1, post.title),
                created_at: Default::default(),
            });
        }
    }
    let comments = trellis::orm::bulk_create(tx, comments).await?;
    Ok(Seeded::Created(authors.len(), posts.len(), comments.len()))
}
