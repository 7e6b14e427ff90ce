//! The raw sqlx contender: hand-written SQL, `query_as` into `#[derive(FromRow)]` structs,
//! `QueryBuilder` for IN lists and multi-row INSERTs, relations grouped in Rust with
//! `HashMap`s: what a user of plain sqlx writes. The code is the same for both
//! backends except for the placeholders (`$1` / `?`), so one macro writes a module per
//! backend (a user would write only one of them).

use std::time::Duration;

use crate::data::Check;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// `bench_user` row.
#[derive(sqlx::FromRow, Debug)]
pub(crate) struct User {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) hair_color: Option<String>,
}

/// `bench_post` row.
#[derive(sqlx::FromRow, Debug)]
pub(crate) struct Post {
    pub(crate) id: i64,
    pub(crate) user_id: Option<i64>,
    pub(crate) title: String,
    pub(crate) body: Option<String>,
}

/// `bench_comment` row.
#[derive(sqlx::FromRow, Debug)]
pub(crate) struct Comment {
    pub(crate) id: i64,
    pub(crate) post_id: i64,
    pub(crate) text: String,
}

/// A row of `posts LEFT JOIN users`, flat as it comes from the database.
#[derive(sqlx::FromRow, Debug)]
pub(crate) struct PostUserRow {
    id: i64,
    user_id: Option<i64>,
    title: String,
    body: Option<String>,
    u_id: Option<i64>,
    u_name: Option<String>,
    u_hair_color: Option<String>,
}

impl PostUserRow {
    /// The post and, if the join found one, its user.
    fn split(self) -> (Post, Option<User>) {
        let user = match (self.u_id, self.u_name) {
            (Some(id), Some(name)) => Some(User {
                id,
                name,
                hair_color: self.u_hair_color,
            }),
            _ => None,
        };
        (
            Post {
                id: self.id,
                user_id: self.user_id,
                title: self.title,
                body: self.body,
            },
            user,
        )
    }
}

/// A post with its comments (prefetch result).
pub(crate) struct PostWithComments {
    pub(crate) post: Post,
    pub(crate) comments: Vec<Comment>,
}

/// A user with its posts (prefetch result).
pub(crate) struct UserWithPosts {
    pub(crate) user: User,
    pub(crate) posts: Vec<PostWithComments>,
}

fn check_prefetch(users: &[UserWithPosts]) -> Check {
    let mut c = Check::default();
    for u in users {
        c.nested(u.user.id);
        for p in &u.posts {
            c.nested(p.post.id);
            for cm in &p.comments {
                c.nested(cm.id);
                c.add_len(&cm.text);
            }
        }
    }
    c
}

fn check_join(rows: &[(Post, Option<User>)]) -> Check {
    let mut c = Check::default();
    for (p, u) in rows {
        c.post(
            p.id,
            &p.title,
            p.body.as_deref(),
            u.as_ref()
                .map(|u| (u.id, u.name.as_str(), u.hair_color.as_deref())),
        );
    }
    c
}

macro_rules! backend {
    ($module:ident, $db:ty, $pool:ty, load = $load:literal, insert_one = $insert_one:literal) => {
        pub(crate) mod $module {
            use std::collections::HashMap;
            use std::time::Instant;

            use sqlx::QueryBuilder;

            use super::*;
            use crate::data;

            pub(crate) async fn load(pool: &$pool, n: i64) -> Res<(Duration, Check)> {
                let t = Instant::now();
                let users: Vec<User> = sqlx::query_as($load).bind(n).fetch_all(pool).await?;
                let elapsed = t.elapsed();
                let mut c = Check::default();
                for u in &users {
                    c.user(u.id, &u.name, u.hair_color.as_deref());
                }
                Ok((elapsed, c))
            }

            pub(crate) async fn left_join(pool: &$pool) -> Res<(Duration, Check)> {
                let t = Instant::now();
                let rows: Vec<(Post, Option<User>)> = sqlx::query_as::<_, PostUserRow>(
                    "SELECT p.id, p.user_id, p.title, p.body, \
                     u.id AS u_id, u.name AS u_name, u.hair_color AS u_hair_color \
                     FROM bench_post p LEFT JOIN bench_user u ON u.id = p.user_id",
                )
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(PostUserRow::split)
                .collect();
                let elapsed = t.elapsed();
                Ok((elapsed, check_join(&rows)))
            }

            pub(crate) async fn insert_bulk(pool: &$pool) -> Res<(Duration, Check)> {
                let t = Instant::now();
                let users: Vec<(String, Option<String>)> =
                    (0..data::INSERT_ROWS).map(data::new_user).collect();
                let mut qb: QueryBuilder<$db> =
                    QueryBuilder::new("INSERT INTO bench_user (name, hair_color) ");
                qb.push_values(&users, |mut b, (name, hair)| {
                    b.push_bind(name).push_bind(hair);
                });
                qb.push(" RETURNING id");
                let ids: Vec<i64> = qb.build_query_scalar().fetch_all(pool).await?;
                let elapsed = t.elapsed();
                let mut c = Check::default();
                for (id, (name, _)) in ids.iter().zip(&users) {
                    c.inserted(*id, name);
                }
                cleanup(pool).await?;
                Ok((elapsed, c))
            }

            pub(crate) async fn insert_loop(pool: &$pool) -> Res<(Duration, Check)> {
                let mut c = Check::default();
                let t = Instant::now();
                for i in 0..data::INSERT_ROWS {
                    let (name, hair) = data::new_user(i);
                    let id: i64 = sqlx::query_scalar($insert_one)
                        .bind(&name)
                        .bind(&hair)
                        .fetch_one(pool)
                        .await?;
                    c.inserted(id, &name);
                }
                let elapsed = t.elapsed();
                cleanup(pool).await?;
                Ok((elapsed, c))
            }

            pub(crate) async fn prefetch(pool: &$pool) -> Res<(Duration, Check)> {
                let t = Instant::now();
                let users: Vec<User> = sqlx::query_as($load)
                    .bind(data::PREFETCH_USERS as i64)
                    .fetch_all(pool)
                    .await?;
                let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                    "SELECT id, user_id, title, body FROM bench_post WHERE user_id IN (",
                );
                let mut list = qb.separated(", ");
                for u in &users {
                    list.push_bind(u.id);
                }
                list.push_unseparated(")");
                let posts: Vec<Post> = qb.build_query_as().fetch_all(pool).await?;
                let mut qb: QueryBuilder<$db> = QueryBuilder::new(
                    "SELECT id, post_id, text FROM bench_comment WHERE post_id IN (",
                );
                let mut list = qb.separated(", ");
                for p in &posts {
                    list.push_bind(p.id);
                }
                list.push_unseparated(")");
                let comments: Vec<Comment> = qb.build_query_as().fetch_all(pool).await?;
                let mut comments_by_post: HashMap<i64, Vec<Comment>> = HashMap::new();
                for cm in comments {
                    comments_by_post.entry(cm.post_id).or_default().push(cm);
                }
                let mut posts_by_user: HashMap<i64, Vec<PostWithComments>> = HashMap::new();
                for post in posts {
                    let comments = comments_by_post.remove(&post.id).unwrap_or_default();
                    if let Some(uid) = post.user_id {
                        posts_by_user
                            .entry(uid)
                            .or_default()
                            .push(PostWithComments { post, comments });
                    }
                }
                let users: Vec<UserWithPosts> = users
                    .into_iter()
                    .map(|user| UserWithPosts {
                        posts: posts_by_user.remove(&user.id).unwrap_or_default(),
                        user,
                    })
                    .collect();
                let elapsed = t.elapsed();
                Ok((elapsed, check_prefetch(&users)))
            }

            async fn cleanup(pool: &$pool) -> Res<()> {
                sqlx::query(data::CLEANUP_SQL).execute(pool).await?;
                Ok(())
            }
        }
    };
}

backend!(
    pg,
    sqlx::Postgres,
    sqlx::PgPool,
    load = "SELECT id, name, hair_color FROM bench_user ORDER BY id LIMIT $1",
    insert_one = "INSERT INTO bench_user (name, hair_color) VALUES ($1, $2) RETURNING id"
);

backend!(
    sqlite,
    sqlx::Sqlite,
    sqlx::SqlitePool,
    load = "SELECT id, name, hair_color FROM bench_user ORDER BY id LIMIT ?",
    insert_one = "INSERT INTO bench_user (name, hair_color) VALUES (?, ?) RETURNING id"
);

/// The raw sqlx contender: a plain sqlx pool, configured like the ORM's (SQLite: WAL,
/// `synchronous = NORMAL`, foreign keys on, 10 s busy timeout; both: at most 10 connections).
pub(crate) enum Bench {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Bench {
    pub(crate) async fn connect(url: &str) -> Res<Bench> {
        use std::str::FromStr;
        if url.starts_with("sqlite:") {
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(10)
                .connect_with(opts)
                .await?;
            Ok(Bench::Sqlite(pool))
        } else {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(10)
                .connect(url)
                .await?;
            Ok(Bench::Postgres(pool))
        }
    }

    pub(crate) async fn load(&self, n: u64) -> Res<(Duration, Check)> {
        match self {
            Bench::Sqlite(p) => sqlite::load(p, n as i64).await,
            Bench::Postgres(p) => pg::load(p, n as i64).await,
        }
    }

    pub(crate) async fn left_join(&self) -> Res<(Duration, Check)> {
        match self {
            Bench::Sqlite(p) => sqlite::left_join(p).await,
            Bench::Postgres(p) => pg::left_join(p).await,
        }
    }

    pub(crate) async fn insert_bulk(&self) -> Res<(Duration, Check)> {
        match self {
            Bench::Sqlite(p) => sqlite::insert_bulk(p).await,
            Bench::Postgres(p) => pg::insert_bulk(p).await,
        }
    }

    pub(crate) async fn insert_loop(&self) -> Res<(Duration, Check)> {
        match self {
            Bench::Sqlite(p) => sqlite::insert_loop(p).await,
            Bench::Postgres(p) => pg::insert_loop(p).await,
        }
    }

    pub(crate) async fn prefetch(&self) -> Res<(Duration, Check)> {
        match self {
            Bench::Sqlite(p) => sqlite::prefetch(p).await,
            Bench::Postgres(p) => pg::prefetch(p).await,
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Bench::Sqlite(p) => p.close().await,
            Bench::Postgres(p) => p.close().await,
        }
    }
}
