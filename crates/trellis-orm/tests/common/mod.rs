//! Models and helpers shared by the behavioural suite, which runs every test on SQLite,
//! PostgreSQL (`TRELLIS_TEST_POSTGRES`) and MySQL/MariaDB (`TRELLIS_TEST_MYSQL`).
#![allow(dead_code, missing_docs, unreachable_pub)]

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use trellis_orm::prelude::*;
use trellis_orm::testing::TestDb;

#[derive(Model, Debug, Clone)]
#[model(app = "blog", ordering = "name")]
pub struct Author {
    pub id: i64,
    #[field(max_length = 100, unique)]
    pub name: String,
    #[field(max_length = 200, default = "")]
    pub email: String,
    #[field(reverse = "author")]
    pub posts: Reverse<Post>,
}

#[derive(Model, Debug, Clone)]
#[model(app = "blog", ordering = "name")]
pub struct Tag {
    pub id: i64,
    #[field(max_length = 50, unique)]
    pub name: String,
}

#[derive(Choices, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Published,
    #[choice(value = "arch", label = "Archived")]
    Archived,
}

#[derive(Model, Debug, Clone)]
#[model(app = "blog", ordering = "id", index("status", "views"))]
pub struct Post {
    pub id: i64,
    #[field(max_length = 200, db_index)]
    pub title: String,
    pub body: String,
    #[field(default = Status::Draft)]
    pub status: Status,
    #[field(default = 0)]
    pub views: i32,
    pub rating: Option<f64>,
    #[field(max_digits = 10, decimal_places = 2)]
    pub price: Decimal,
    pub published_at: Option<DateTime<Utc>>,
    #[field(auto_now_add)]
    pub created: DateTime<Utc>,
    #[field(auto_now)]
    pub updated: DateTime<Utc>,
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Author>,
    #[field(on_delete = SetNull)]
    pub editor: Option<ForeignKey<Author>>,
    pub tags: ManyToMany<Tag>,
    #[field(reverse = "post")]
    pub comments: Reverse<Comment>,
}

#[derive(Model, Debug, Clone)]
#[model(app = "blog", ordering = "id")]
pub struct Comment {
    pub id: i64,
    #[field(on_delete = Cascade)]
    pub post: ForeignKey<Post>,
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Author>,
    pub text: String,
    #[field(on_delete = Cascade)]
    pub parent: Option<ForeignKey<Comment>>,
}

/// An author's sponsor: protects the author from deletion.
#[derive(Model, Debug, Clone)]
#[model(app = "blog")]
pub struct Sponsor {
    pub id: i64,
    #[field(max_length = 50)]
    pub name: String,
    #[field(on_delete = Protect)]
    pub author: ForeignKey<Author>,
}

/// An author's album: deleted with the author (CASCADE).
#[derive(Model, Debug, Clone)]
#[model(app = "music", ordering = "id")]
pub struct Album {
    pub id: i64,
    #[field(max_length = 50)]
    pub title: String,
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Author>,
}

/// A track restricts its album (RESTRICT: the album cannot be deleted on its own, but goes
/// when the author is deleted, since the track goes too).
#[derive(Model, Debug, Clone)]
#[model(app = "music", ordering = "id")]
pub struct Track {
    pub id: i64,
    #[field(max_length = 50)]
    pub title: String,
    #[field(on_delete = Cascade)]
    pub author: ForeignKey<Author>,
    #[field(on_delete = Restrict)]
    pub album: ForeignKey<Album>,
}

/// A note whose owner falls back to the author with id 1 (SET_DEFAULT).
#[derive(Model, Debug, Clone)]
#[model(app = "blog", ordering = "id")]
pub struct Note {
    pub id: i64,
    #[field(max_length = 50)]
    pub text: String,
    #[field(on_delete = SetDefault, default = 1)]
    pub owner: ForeignKey<Author>,
}

pub fn models() -> Vec<&'static ModelMeta> {
    vec![
        Author::meta(),
        Tag::meta(),
        Post::meta(),
        Comment::meta(),
        Sponsor::meta(),
        Album::meta(),
        Track::meta(),
        Note::meta(),
    ]
}

pub use trellis_orm::ModelMeta;

pub fn author(name: &str) -> Author {
    Author {
        id: 0,
        name: name.into(),
        email: String::new(),
        posts: Default::default(),
    }
}

pub fn post(title: &str, author: &Author) -> Post {
    Post {
        id: 0,
        title: title.into(),
        body: format!("Body of {title}"),
        status: Status::Draft,
        views: 0,
        rating: None,
        price: Decimal::new(1050, 2),
        published_at: None,
        created: DateTime::UNIX_EPOCH,
        updated: DateTime::UNIX_EPOCH,
        author: ForeignKey::from(author),
        editor: None,
        tags: Default::default(),
        comments: Default::default(),
    }
}

pub fn comment(post: &Post, author: &Author, text: &str) -> Comment {
    Comment {
        id: 0,
        post: ForeignKey::from(post),
        author: ForeignKey::from(author),
        text: text.into(),
        parent: None,
    }
}

/// Run `test` on every configured backend, each with fresh tables.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = trellis_orm::Result<()>>,
{
    each_backend_with(models(), test).await
}

/// Run `test` on every configured backend with fresh tables for `tables` (a test file's
/// own models).
pub async fn each_backend_with<F, Fut>(tables: Vec<&'static ModelMeta>, test: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = trellis_orm::Result<()>>,
{
    use futures_util::FutureExt;
    for target in TestDb::targets() {
        let t = TestDb::create(&target).await.expect("test database");
        let backend = t.db.backend();
        trellis_orm::schema::create_tables(&t.db, &tables)
            .await
            .expect("create tables");
        let result = std::panic::AssertUnwindSafe(test(t.db.clone()))
            .catch_unwind()
            .await;
        t.teardown().await.expect("teardown");
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("on {}: {e}", backend.name()),
            Err(panic) => {
                eprintln!("(the panic above happened on {})", backend.name());
                std::panic::resume_unwind(panic);
            }
        }
    }
}

/// Ann, Bob and Cy; five posts (views 10..50, Ann has three); tags rust/web/db.
pub struct Blog {
    pub ann: Author,
    pub bob: Author,
    pub cy: Author,
    pub posts: Vec<Post>,
    pub tags: Vec<Tag>,
}

pub async fn blog(db: &Db) -> trellis_orm::Result<Blog> {
    let mut ann = author("Ann");
    ann.email = "ann@example.com".into();
    ann.save(db).await?;
    let mut bob = author("Bob");
    bob.save(db).await?;
    let mut cy = author("Cy");
    cy.save(db).await?;
    let mut tags = Vec::new();
    for name in ["rust", "web", "db"] {
        let mut t = Tag {
            id: 0,
            name: name.into(),
        };
        t.save(db).await?;
        tags.push(t);
    }
    let specs: [(&str, &Author, i32, Option<f64>); 5] = [
        ("Rust async", &ann, 10, Some(4.5)),
        ("Django tips", &bob, 20, None),
        ("rusty nails", &ann, 30, Some(3.0)),
        ("Web Rust", &cy, 40, Some(5.0)),
        ("Zebra_100%", &ann, 50, None),
    ];
    let mut posts = Vec::new();
    for (title, a, views, rating) in specs {
        let mut p = post(title, a);
        p.views = views;
        p.rating = rating;
        p.save(db).await?;
        posts.push(p);
    }
    posts[0].tags.add(db, &[&tags[0], &tags[2]]).await?;
    posts[2].tags.add(db, &[&tags[0]]).await?;
    posts[3].tags.add(db, &[&tags[0], &tags[1]]).await?;
    Ok(Blog {
        ann,
        bob,
        cy,
        posts,
        tags,
    })
}

/// The ids of `objs`, for comparing results.
pub fn ids<M: Model<Pk = i64>>(objs: &[M]) -> Vec<i64> {
    objs.iter().map(|o| *o.pk()).collect()
}

/// The titles of `posts`.
pub fn titles(posts: &[Post]) -> Vec<&str> {
    posts.iter().map(|p| p.title.as_str()).collect()
}
