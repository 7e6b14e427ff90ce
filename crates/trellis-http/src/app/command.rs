//! Management commands contributed by apps (Django's `management/commands/`).

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::state::AppState;

/// What a command gets: its arguments and the built app (settings, state, routes).
#[derive(Debug)]
pub struct CommandContext {
    /// Arguments after the command name.
    pub args: Vec<String>,
    /// The built app.
    pub app: AppState,
}

type RunFn = Arc<dyn Fn(CommandContext) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// A management command: `<binary> <name> [args...]`.
///
/// ```
/// use trellis_http::app::Command;
///
/// let hello = Command::new("hello", "Print a greeting", |cx| async move {
///     println!("hello {}", cx.args.join(" "));
///     Ok(())
/// });
/// ```
#[derive(Clone)]
pub struct Command {
    pub(crate) name: String,
    pub(crate) about: String,
    pub(crate) run: RunFn,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Command").field("name", &self.name).finish()
    }
}

impl Command {
    /// A command; `run` returns `Err(message)` to exit non-zero.
    pub fn new<F, Fut>(name: impl Into<String>, about: impl Into<String>, run: F) -> Self
    where
        F: Fn(CommandContext) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
    {
        Command {
            name: name.into(),
            about: about.into(),
            run: Arc::new(move |cx| Box::pin(run(cx))),
        }
    }

    /// The command's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One line of help.
    pub fn about(&self) -> &str {
        &self.about
    }

    /// Run it.
    pub async fn run(&self, cx: CommandContext) -> Result<(), String> {
        (self.run)(cx).await
    }
}
