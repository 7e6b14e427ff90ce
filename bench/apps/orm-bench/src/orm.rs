//! The Trellis ORM contender: models declared with `#[derive(Model)]`, queried with
//! QuerySets, written the way the ORM's documentation and tests write them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use trellis_orm::prelude::*;

use crate::data::{self, Check};

/// `users(id, name, hair_color)` as in diesel's `diesel_bench`.
#[derive(Model, Debug, Clone)]
#[model(app = "bench", table = "bench_user")]
pub(crate) struct User {
    pub(crate) id: i64,
    #[field(max_length = 100)]
    pub(crate) name: String,
    #[field(max_length = 50)]
    pub(crate) hair_color: Option<String>,
    #[field(reverse = "user")]
    pub(crate) posts: Reverse<Post>,
}

/// `posts(id, user_id, title, body)`; the user is nullable so that `select_related` makes a
/// LEFT JOIN (some posts have no user).
#[derive(Model, Debug, Clone)]
#[model(app = "bench", table = "bench_post")]
pub(crate) struct Post {
    pub(crate) id: i64,
    #[field(on_delete = SetNull)]
    pub(crate) user: Option<ForeignKey<User>>,
    #[field(max_length = 200)]
    pub(crate) title: String,
    pub(crate) body: Option<String>,
    #[field(reverse = "post")]
    pub(crate) comments: Reverse<Comment>,
}

/// `comments(id, post_id, text)`.
#[derive(Model, Debug, Clone)]
#[model(app = "bench", table = "bench_comment")]
pub(crate) struct Comment {
    pub(crate) id: i64,
    #[field(on_delete = Cascade)]
    pub(crate) post: ForeignKey<Post>,
    pub(crate) text: String,
}

fn new_user(i: usize) -> User {
    let (name, hair_color) = data::new_user(i);
    User {
        id: 0,
        name,
        hair_color,
        posts: Default::default(),
    }
}

/// The Trellis contender: one `Db` (its own pool).
pub(crate) struct Bench {
    pub(crate) db: Db,
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// A post with its comments, grouped by hand (`prefetch_manual`).
type PostTree = (Post, Vec<Comment>);

impl Bench {
    pub(crate) async fn connect(url: &str) -> Res<Bench> {
        Ok(Bench {
            db: Db::connect(url).await?,
        })
    }

    /// Create the tables with the ORM's schema editor and fill them (see `data`).
    pub(crate) async fn setup(&self) -> Res<()> {
        trellis_orm::schema::create_tables(
            &self.db,
            &[User::meta(), Post::meta(), Comment::meta()],
        )
        .await?;
        let users: Vec<User> = (1..=data::USERS)
            .map(|i| {
                let (name, hair_color) = data::seed_user(i);
                User {
                    id: 0,
                    name,
                    hair_color,
                    posts: Default::default(),
                }
            })
            .collect();
        let users = trellis_orm::bulk_create(&self.db, users).await?;
        for (i, u) in users.iter().enumerate() {
            if u.id != i as i64 + 1 {
                return Err(format!("seeded user {} got id {}", i + 1, u.id).into());
            }
        }
        let mut posts = Vec::new();
        for u in users.iter().take(data::PREFETCH_USERS) {
            for j in 0..data::POSTS_PER_USER {
                let (title, body) = data::seed_post(u.id, j);
                posts.push(Post {
                    id: 0,
                    user: Some(ForeignKey::from(u)),
                    title,
                    body,
                    comments: Default::default(),
                });
            }
        }
        for k in 0..data::ORPHAN_POSTS {
            let (title, body) = data::seed_orphan_post(k);
            posts.push(Post {
                id: 0,
                user: None,
                title,
                body,
                comments: Default::default(),
            });
        }
        let posts = trellis_orm::bulk_create(&self.db, posts).await?;
        let mut comments = Vec::new();
        for p in posts.iter().filter(|p| p.user.is_some()) {
            for k in 0..data::COMMENTS_PER_POST {
                comments.push(Comment {
                    id: 0,
                    post: ForeignKey::from(p),
                    text: data::seed_comment(p.id, k),
                });
            }
        }
        trellis_orm::bulk_create(&self.db, comments).await?;
        Ok(())
    }

    pub(crate) async fn load(&self, n: u64) -> Res<(Duration, Check)> {
        let t = Instant::now();
        let users = User::objects()
            .order_by(["id"])
            .limit(n)
            .all(&self.db)
            .await?;
        let elapsed = t.elapsed();
        let mut c = Check::default();
        for u in &users {
            c.user(u.id, &u.name, u.hair_color.as_deref());
        }
        Ok((elapsed, c))
    }

    pub(crate) async fn left_join(&self) -> Res<(Duration, Check)> {
        let t = Instant::now();
        let posts = Post::objects()
            .select_related(["user"])
            .all(&self.db)
            .await?;
        let elapsed = t.elapsed();
        let mut c = Check::default();
        for p in &posts {
            let user = match &p.user {
                Some(fk) => {
                    let u = fk.try_get()?;
                    Some((u.id, u.name.as_str(), u.hair_color.as_deref()))
                }
                None => None,
            };
            c.post(p.id, &p.title, p.body.as_deref(), user);
        }
        Ok((elapsed, c))
    }

    pub(crate) async fn insert_bulk(&self) -> Res<(Duration, Check)> {
        let t = Instant::now();
        let users: Vec<User> = (0..data::INSERT_ROWS).map(new_user).collect();
        let users = trellis_orm::bulk_create(&self.db, users).await?;
        let elapsed = t.elapsed();
        let mut c = Check::default();
        for u in &users {
            c.inserted(u.id, &u.name);
        }
        self.cleanup().await?;
        Ok((elapsed, c))
    }

    pub(crate) async fn insert_loop(&self) -> Res<(Duration, Check)> {
        let mut c = Check::default();
        let t = Instant::now();
        for i in 0..data::INSERT_ROWS {
            let mut u = new_user(i);
            u.save(&self.db).await?;
            c.inserted(u.id, &u.name);
        }
        let elapsed = t.elapsed();
        self.cleanup().await?;
        Ok((elapsed, c))
    }

    pub(crate) async fn prefetch(&self) -> Res<(Duration, Check)> {
        let t = Instant::now();
        let users = User::objects()
            .order_by(["id"])
            .limit(data::PREFETCH_USERS as u64)
            .prefetch_related(["posts__comments"])
            .all(&self.db)
            .await?;
        let elapsed = t.elapsed();
        let mut c = Check::default();
        for u in &users {
            c.nested(u.id);
            for p in u.posts.try_all()? {
                c.nested(p.id);
                for cm in p.comments.try_all()? {
                    c.nested(cm.id);
                    c.add_len(&cm.text);
                }
            }
        }
        Ok((elapsed, c))
    }

    /// The prefetch done by hand, as a user writes it while `prefetch_related` on a
    /// reverse foreign key fails: two `__in` QuerySets, grouped in `HashMap`s.
    pub(crate) async fn prefetch_manual(&self) -> Res<(Duration, Check)> {
        let t = Instant::now();
        let users = User::objects()
            .order_by(["id"])
            .limit(data::PREFETCH_USERS as u64)
            .all(&self.db)
            .await?;
        let posts = Post::objects()
            .filter(Q::lookup_in("user__in", users.iter().map(|u| u.id)))
            .all(&self.db)
            .await?;
        let comments = Comment::objects()
            .filter(Q::lookup_in("post__in", posts.iter().map(|p| p.id)))
            .all(&self.db)
            .await?;
        let mut comments_by_post: HashMap<i64, Vec<Comment>> = HashMap::new();
        for cm in comments {
            comments_by_post.entry(*cm.post.id()).or_default().push(cm);
        }
        let mut posts_by_user: HashMap<i64, Vec<PostTree>> = HashMap::new();
        for p in posts {
            let comments = comments_by_post.remove(&p.id).unwrap_or_default();
            if let Some(uid) = p.user.as_ref().map(|fk| *fk.id()) {
                posts_by_user.entry(uid).or_default().push((p, comments));
            }
        }
        let tree: Vec<(User, Vec<PostTree>)> = users
            .into_iter()
            .map(|u| {
                let posts = posts_by_user.remove(&u.id).unwrap_or_default();
                (u, posts)
            })
            .collect();
        let elapsed = t.elapsed();
        let mut c = Check::default();
        for (u, posts) in &tree {
            c.nested(u.id);
            for (p, comments) in posts {
                c.nested(p.id);
                for cm in comments {
                    c.nested(cm.id);
                    c.add_len(&cm.text);
                }
            }
        }
        Ok((elapsed, c))
    }

    /// Remove the rows the insert workloads added (not timed).
    async fn cleanup(&self) -> Res<()> {
        trellis_orm::raw_execute(&self.db, data::CLEANUP_SQL, []).await?;
        Ok(())
    }
}
