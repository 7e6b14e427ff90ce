//! Project-level pages: the home page and the benchmark endpoints.

use serde::Serialize;
use trellis::app::Command;
use trellis::prelude::*;

/// `GET /`: the home page, rendered from `templates/home.html`, with the five newest posts.
pub(crate) async fn home(
    State(t): State<Templates>,
    State(db): State<trellis::orm::Db>,
) -> Result<Html<String>, HttpError> {
    let mut posts = crate::blog::published(&db)
        .await
        .map_err(trellis::db::DbError)?;
    posts.truncate(5);
    t.render(
        "home.html",
        serde_json::json!({ "title": "Trellis demo", "posts": posts }),
    )
}

/// `GET /plaintext` (TechEmpower).
pub(crate) async fn plaintext() -> &'static str {
    "Hello, World!"
}

#[derive(Serialize)]
pub(crate) struct Message {
    message: &'static str,
}

/// `GET /json` (TechEmpower).
pub(crate) async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

/// `demo greet NAME...`: an app-provided management command.
pub(crate) fn greet_command() -> Command {
    Command::new(
        "greet",
        "Print a greeting for each name (an example command)",
        |cx| async move {
            if cx.args.is_empty() {
                return Err("give at least one name: demo greet Ada".into());
            }
            for name in &cx.args {
                println!("Hello, {name}! (from the {} project)", cx.app.label());
            }
            Ok(())
        },
    )
}
