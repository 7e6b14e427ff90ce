//! The management CLI every project binary gets from [`run`] (Django's `manage.py`):
//! `runserver [ADDR] [--reload]`, `routes`, `check [--deploy]`, and the commands apps add.
//! With no subcommand it runs `runserver`.

mod reload;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Arg, ArgAction, Command as Cli};
use trellis_http::App;
use trellis_http::app::{CommandContext, Level, deploy_checks};

/// Parse the command line and run the chosen command. Use it as the whole of `main`:
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     trellis::run(trellis::App::new("mysite"))
/// }
/// ```
pub fn run(app: App) -> ExitCode {
    run_from(app, std::env::args_os())
}

/// [`run`] with explicit arguments (the first is the program name).
pub fn run_from<I, T>(app: App, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = cli(&app);
    let matches = match cli.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let settings = match app.load_settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_tracing(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(settings.blocking_threads.max(1) + 8)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // App start-up hooks may create runtime-bound resources (database pools).
    let _runtime_context = runtime.enter();
    match matches.subcommand() {
        None => runtime.block_on(runserver(app, settings, None)),
        Some(("runserver", m)) => {
            let addr = m.get_one::<String>("addr").cloned();
            if m.get_flag("reload") && std::env::var_os("TRELLIS_RELOADER_CHILD").is_none() {
                return runtime.block_on(reload::run_with_reload(addr));
            }
            runtime.block_on(runserver(app, settings, addr))
        }
        Some(("routes", _)) => routes(app, settings),
        Some(("check", m)) => check(app, settings, m.get_flag("deploy")),
        Some((name, m)) => {
            let args: Vec<String> = m
                .get_many::<String>("args")
                .map(|v| v.cloned().collect())
                .unwrap_or_default();
            let Some(command) = app.commands().find(|c| c.name() == name).cloned() else {
                eprintln!("Error: unknown command `{name}`");
                return ExitCode::from(2);
            };
            let built = match app.build_with(settings) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("Error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(command.run(CommandContext {
                args,
                app: built.state,
            })) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("Error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn cli(app: &App) -> Cli {
    let mut cli = Cli::new(app.label().to_string())
        .about(format!("Management commands of the `{}` Trellis project (runserver when none is given)", app.label()))
        .subcommand(
            Cli::new("runserver")
                .about("Serve the site over HTTP/1.1 and HTTP/2 (h2c)")
                .arg(Arg::new("addr").value_name("ADDR").help("Address to bind [default: the `bind` setting, 127.0.0.1:8000]"))
                .arg(
                    Arg::new("reload")
                        .long("reload")
                        .action(ArgAction::SetTrue)
                        .help("Rebuild and restart when a source file changes (run it through `cargo run`)"),
                ),
        )
        .subcommand(Cli::new("routes").about("List every route: methods, path, name"))
        .subcommand(
            Cli::new("check").about("Run the system checks").arg(
                Arg::new("deploy").long("deploy").action(ArgAction::SetTrue).help("Also check settings for deployment"),
            ),
        );
    for c in app.commands() {
        cli = cli.subcommand(
            Cli::new(c.name().to_string())
                .about(c.about().to_string())
                .arg(
                    Arg::new("args")
                        .num_args(0..)
                        .trailing_var_arg(true)
                        .allow_hyphen_values(true),
                ),
        );
    }
    cli
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

async fn runserver(
    app: App,
    settings: trellis_http::settings::Settings,
    addr: Option<String>,
) -> ExitCode {
    let addr_text = addr.unwrap_or_else(|| settings.bind.clone());
    let addr: SocketAddr = match addr_text.parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!("Error: `{addr_text}` is not an address like 127.0.0.1:8000");
            return ExitCode::from(2);
        }
    };
    let debug = settings.debug;
    let built = match app.build_with(settings) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for m in built.run_checks() {
        eprintln!("{m}");
    }
    if debug {
        tracing::warn!("debug is on: do not use this in production");
    }
    match trellis_http::server::serve(built, addr).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn routes(app: App, settings: trellis_http::settings::Settings) -> ExitCode {
    let built = match app.build_with(settings) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", routes_table(&built.state));
    ExitCode::SUCCESS
}

/// The `routes` table: methods, path pattern and name of every route, in dispatch order.
pub fn routes_table(state: &trellis_http::AppState) -> String {
    let rows: Vec<(String, String, String)> = state
        .routes()
        .iter()
        .map(|r| {
            let methods: Vec<&str> = r.methods().iter().map(|m| m.as_str()).collect();
            (
                methods.join(","),
                r.pattern().to_string(),
                r.name().unwrap_or("-").to_string(),
            )
        })
        .collect();
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(6);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(4);
    let mut out = format!("{:<w0$}  {:<w1$}  NAME\n", "METHOD", "PATH");
    for (m, p, n) in rows {
        out.push_str(&format!("{m:<w0$}  {p:<w1$}  {n}\n"));
    }
    out
}

/// The `check` report for these messages, formatted as Django's.
pub fn check_report(messages: &[trellis_http::app::CheckMessage]) -> String {
    if messages.is_empty() {
        return "System check identified no issues (0 silenced).\n".into();
    }
    let mut out = String::from("System check identified some issues:\n\n");
    for (title, level) in [("ERRORS:", Level::Error), ("WARNINGS:", Level::Warning)] {
        let of_level: Vec<_> = messages.iter().filter(|m| m.level == level).collect();
        if !of_level.is_empty() {
            out.push_str(title);
            out.push('\n');
            for m in of_level {
                out.push_str(&format!("{m}\n"));
            }
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "System check identified {} issue(s) (0 silenced).\n",
        messages.len()
    ));
    out
}

fn check(app: App, settings: trellis_http::settings::Settings, deploy: bool) -> ExitCode {
    let mut messages = Vec::new();
    if deploy {
        messages.extend(deploy_checks(&settings));
    }
    let built = match app.build_with(settings) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("SystemCheckError: {e}");
            return ExitCode::FAILURE;
        }
    };
    messages.extend(built.run_checks());
    print!("{}", check_report(&messages));
    let errors = messages.iter().filter(|m| m.level == Level::Error).count();
    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
