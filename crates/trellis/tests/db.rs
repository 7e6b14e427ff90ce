//! The database battery: the `Atomic` per-request transaction commits after a successful
//! response and rolls back after a failure; `DbError` answers 404 for a missing row.

use trellis::db::{Atomic, Database, DbError};
use trellis::orm::prelude::*;
use trellis::prelude::*;
use trellis::testing::TestClient;

#[derive(Model, Debug, Clone)]
#[model(app = "notes")]
struct Note {
    id: i64,
    #[field(max_length = 50)]
    text: String,
}

async fn add(Dep(Atomic(tx)): Dep<Atomic>, Path(text): Path<String>) -> Result<String, HttpError> {
    let mut note = Note {
        id: 0,
        text: text.clone(),
    };
    note.save(&tx).await.map_err(DbError)?;
    if text == "fail" {
        // The row is written in the transaction, then the request fails: rolled back.
        return Err(HttpError::bad_request("refused after writing"));
    }
    Ok(format!("{}", note.id))
}

async fn show(State(db): State<Db>, Path(id): Path<i64>) -> Result<String, HttpError> {
    let note = Note::objects()
        .filter(Q::pk(id))
        .get(&db)
        .await
        .map_err(DbError)?;
    Ok(note.text)
}

#[tokio::test]
async fn atomic_commits_on_success_and_rolls_back_on_failure() {
    let file =
        std::env::temp_dir().join(format!("trellis-db-battery-{}.sqlite3", std::process::id()));
    let url = format!("sqlite://{}", file.display());
    let db = Db::connect(&url).await.unwrap();
    trellis::orm::schema::create_tables(&db, &[Note::meta()])
        .await
        .unwrap();
    let app = Database::new().install(
        App::new("notes")
            .settings({
                let url = url.clone();
                move |s| s.database_url = Some(url.clone())
            })
            .route("/add/{text:str}", post(add))
            .route("/notes/{id:int}", get(show)),
    );
    let client = TestClient::new(app);

    let resp = client.post("/add/hello").await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text());
    let id = resp.text();
    let resp = client.get(&format!("/notes/{id}")).await;
    assert_eq!(resp.text(), "hello");

    let resp = client.post("/add/fail").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        Note::objects().count(&db).await.unwrap(),
        1,
        "the failed request's row was rolled back"
    );
    assert!(
        !Note::objects()
            .filter(Note::f().text.eq("fail"))
            .exists(&db)
            .await
            .unwrap()
    );

    let resp = client.get("/notes/999").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(resp.text(), r#"{"detail":"Not Found"}"#);

    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

#[derive(Model, Debug, Clone)]
#[model(app = "notes")]
struct Comment {
    id: i64,
    #[field(on_delete = Cascade)]
    note: ForeignKey<Note>,
}

/// A handler that follows a foreign key per object (the N+1 shape).
async fn naive(State(db): State<Db>) -> Result<String, HttpError> {
    let comments = Comment::objects().all(&db).await.map_err(DbError)?;
    let mut texts = Vec::new();
    for c in &comments {
        texts.push(c.note.get(&db).await.map_err(DbError)?.text.clone());
    }
    Ok(texts.join(","))
}

#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// In debug, the battery runs each request under the N+1 detector: a warning names the
/// relation and the fix.
#[tokio::test(flavor = "current_thread")]
async fn n_plus_one_warning_in_debug_requests() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let file = std::env::temp_dir().join(format!("trellis-db-n1-{}.sqlite3", std::process::id()));
    let url = format!("sqlite://{}", file.display());
    let db = Db::connect(&url).await.unwrap();
    trellis::orm::schema::create_tables(&db, &[Note::meta(), Comment::meta()])
        .await
        .unwrap();
    for i in 0..8 {
        let mut n = Note {
            id: 0,
            text: format!("n{i}"),
        };
        n.save(&db).await.unwrap();
        let mut c = Comment {
            id: 0,
            note: ForeignKey::from(&n),
        };
        c.save(&db).await.unwrap();
    }
    let app = Database::new().n_plus_one_threshold(3).install(
        App::new("n1")
            .settings({
                let url = url.clone();
                move |s| {
                    s.debug = true;
                    s.database_url = Some(url.clone());
                }
            })
            .route("/naive", get(naive)),
    );
    let client = TestClient::new(app);
    let resp = client.get("/naive").await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text());
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("Comment.note") && text.contains("select_related(\"note\")"),
        "no N+1 warning in the log:\n{text}"
    );
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}
