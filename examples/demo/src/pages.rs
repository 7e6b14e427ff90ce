//! Project-level pages: the home page and the benchmark endpoints.

use serde::Serialize;
use trellis::app::Command;
use trellis::prelude::*;

/// `GET /`: the home page, rendered from `templates/home.html`.
pub(crate) async fn home(State(t): State<Templates>) -> Result<Html<String>, HttpError> {
    t.render(
        "home.html",
        context! {
            title => "Trellis demo",
            posts => crate::blog::POSTS.iter().map(|p| context! { id => p.id, title => p.title }).collect::<Vec<_>>(),
        },
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
