//! The data set and the result checks, shared by the Rust contenders. The Django harness
//! (`bench/orm/django_bench.py`) computes the same checks the same way.

/// Users in the table (the 10,000-row load reads them all).
pub(crate) const USERS: usize = 10_000;
/// The first 100 users have posts and comments (the prefetch workload).
pub(crate) const PREFETCH_USERS: usize = 100;
/// Posts per user among the first `PREFETCH_USERS`.
pub(crate) const POSTS_PER_USER: usize = 10;
/// Comments per post of those users.
pub(crate) const COMMENTS_PER_POST: usize = 10;
/// Posts without a user (the LEFT JOIN keeps them).
pub(crate) const ORPHAN_POSTS: usize = 100;
/// Rows the insert workloads add per operation.
pub(crate) const INSERT_ROWS: usize = 100;
/// Run (untimed) after each insert operation: the table goes back to its seeded rows.
pub(crate) const CLEANUP_SQL: &str = "DELETE FROM bench_user WHERE id > 10000";

/// Seeded user `i` (1-based): name and hair colour (a third have none).
pub(crate) fn seed_user(i: usize) -> (String, Option<String>) {
    let hair = match i % 3 {
        0 => None,
        1 => Some("black".to_string()),
        _ => Some("brown".to_string()),
    };
    (format!("User {i}"), hair)
}

/// Post `j` of user `user_id`: title and body (every fourth has no body).
pub(crate) fn seed_post(user_id: i64, j: usize) -> (String, Option<String>) {
    let body =
        (!j.is_multiple_of(4)).then(|| format!("This is the body of post {j} by user {user_id}."));
    (format!("Post {j} by user {user_id}"), body)
}

/// Orphan post `k` (no user).
pub(crate) fn seed_orphan_post(k: usize) -> (String, Option<String>) {
    (
        format!("Orphan post {k}"),
        Some(format!("Nobody wrote orphan post {k}.")),
    )
}

/// Comment `k` on post `post_id`.
pub(crate) fn seed_comment(post_id: i64, k: usize) -> String {
    format!("Comment {k} on post {post_id}")
}

/// User `i` of an insert operation (0-based).
pub(crate) fn new_user(i: usize) -> (String, Option<String>) {
    let hair = i.is_multiple_of(2).then(|| "green".to_string());
    (format!("New user {i}"), hair)
}

/// What one operation returned: a row count and an order-independent checksum, compared
/// across contenders before any timing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) rows: u64,
    pub(crate) checksum: i64,
}

impl Check {
    /// A loaded user: id + name length + hair colour length.
    pub(crate) fn user(&mut self, id: i64, name: &str, hair: Option<&str>) {
        self.rows += 1;
        self.checksum += id + name.len() as i64 + hair.map_or(0, |h| h.len() as i64);
    }

    /// A post of the LEFT JOIN, with its user if it has one.
    pub(crate) fn post(
        &mut self,
        id: i64,
        title: &str,
        body: Option<&str>,
        user: Option<(i64, &str, Option<&str>)>,
    ) {
        self.rows += 1;
        self.checksum += id + title.len() as i64 + body.map_or(0, |b| b.len() as i64);
        if let Some((uid, name, hair)) = user {
            self.checksum +=
                1_000_000 + uid + name.len() as i64 + hair.map_or(0, |h| h.len() as i64);
        }
    }

    /// An inserted row: ids differ between contenders, so only "got an id" counts.
    pub(crate) fn inserted(&mut self, id: i64, name: &str) {
        if id > 0 {
            self.rows += 1;
        }
        self.checksum += name.len() as i64;
    }

    /// A user, post or comment of the prefetch tree.
    pub(crate) fn nested(&mut self, id: i64) {
        self.rows += 1;
        self.checksum += id;
    }

    /// A comment's text.
    pub(crate) fn add_len(&mut self, text: &str) {
        self.checksum += text.len() as i64;
    }
}
