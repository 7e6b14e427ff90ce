//! The blog app: its own routes (mounted at `/blog/`, names in namespace `blog`) and
//! templates (`src/blog/templates/blog/`).

use trellis::prelude::*;

/// A post (in memory until the ORM lands).
#[derive(Debug, Clone, Copy)]
pub struct Post {
    /// Id.
    pub id: u64,
    /// Title.
    pub title: &'static str,
    /// Body.
    pub body: &'static str,
}

/// The posts.
pub static POSTS: &[Post] = &[
    Post {
        id: 1,
        title: "Hello, Trellis",
        body: "The request cycle, end to end.",
    },
    Post {
        id: 2,
        title: "Dependencies",
        body: "Resolved once per request, torn down after.",
    },
    Post {
        id: 3,
        title: "<b>Escaping</b>",
        body: "Templates autoescape: <script>alert('x')</script> stays text.",
    },
];

async fn index(State(t): State<Templates>) -> Result<Html<String>, HttpError> {
    let posts: Vec<_> = POSTS
        .iter()
        .map(|p| context! { id => p.id, title => p.title })
        .collect();
    t.render("blog/index.html", context! { title => "Blog", posts })
}

async fn detail(
    State(t): State<Templates>,
    Path(id): Path<u64>,
) -> Result<Html<String>, HttpError> {
    let post = POSTS
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| HttpError::not_found("No such post"))?;
    t.render("blog/detail.html", context! { title => post.title, post => context! { id => post.id, title => post.title, body => post.body } })
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
