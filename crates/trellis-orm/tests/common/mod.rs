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

pub fn models() -> Vec<&'static ModelMeta> {
    vec![
        Author::meta(),
        Tag::meta(),
        Post::meta(),
        Comment::meta(),
        Sponsor::meta(),
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
    use futures_util::FutureExt;
    for target in TestDb::targets() {
        let t = TestDb::create(&target).await.expect("test database");
        let backend = t.db.backend();
        trellis_orm::schema::create_tables(&t.db, &models())
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
