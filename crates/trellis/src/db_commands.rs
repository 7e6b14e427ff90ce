//! The database battery's management commands (Django's `makemigrations`, `migrate`,
//! `showmigrations`, `sqlmigrate`), thin wrappers over `trellis_orm::migrations`.

use clap::{Arg, ArgAction, Command as Cli};
use trellis_http::app::{AppConfig, Command, CommandContext};
use trellis_orm::Db;
use trellis_orm::migrations::{self, AppMigrations, MakeOptions, Rename};

use crate::db::{Database, db_of};

impl Database {
    /// The apps as the migrations pipeline takes them (models and compiled migrations).
    pub fn app_migrations(&self) -> Vec<AppMigrations> {
        self.apps()
            .iter()
            .map(|a| AppMigrations {
                label: a.label,
                dir: a.migrations_dir.clone(),
                migrations: (a.migrations)(),
                models: a.models.iter().map(|m| m()).collect(),
            })
            .collect()
    }
}

/// Apply (or with `target`, apply up to / unapply down to) the migrations of `database`'s
/// apps on `db`; one line per migration applied or unapplied.
pub async fn migrate(
    db: &Db,
    database: &Database,
    app: Option<&str>,
    target: Option<&str>,
) -> Result<Vec<String>, String> {
    migrations::migrate(db, &database.app_migrations(), app, target)
        .await
        .map_err(|e| e.to_string())
}

fn parse(cli: Cli, cx: &CommandContext) -> Result<clap::ArgMatches, String> {
    let name = cli.get_name().to_string();
    cli.no_binary_name(true)
        .try_get_matches_from(&cx.args)
        .map_err(|e| format!("{name}: {}", e.render()))
}

pub(crate) fn commands(config: AppConfig, database: Database) -> AppConfig {
    let db_for_make = database.clone();
    let db_for_migrate = database.clone();
    let db_for_show = database.clone();
    let db_for_sql = database;
    config
        .command(Command::new(
            "makemigrations",
            "Write new migrations for model changes ([APP...] [--check] [--noinput] [--dry-run] [--name NAME] [--rename APP.Model.old=new])",
            move |cx| {
                let database = db_for_make.clone();
                async move { makemigrations(&cx, &database) }
            },
        ))
        .command(Command::new(
            "migrate",
            "Apply or unapply migrations ([APP [TARGET|zero]])",
            move |cx| {
                let database = db_for_migrate.clone();
                async move {
                    let m = parse(
                        Cli::new("migrate")
                            .arg(Arg::new("app").help("Only this app"))
                            .arg(Arg::new("target").help("Migrate to this migration (`zero`: unapply all)")),
                        &cx,
                    )?;
                    let db = db_of(&cx.app)?;
                    let app = m.get_one::<String>("app").map(String::as_str);
                    let target = m.get_one::<String>("target").map(String::as_str);
                    let log = migrate(&db, &database, app, target).await?;
                    if log.is_empty() {
                        println!("No migrations to apply.");
                    }
                    for line in log {
                        println!("{line}");
                    }
                    Ok(())
                }
            },
        ))
        .command(Command::new(
            "showmigrations",
            "List migrations, [X] marking the applied ones",
            move |cx| {
                let database = db_for_show.clone();
                async move {
                    let db = db_of(&cx.app)?;
                    let text = migrations::showmigrations(&db, &database.app_migrations())
                        .await
                        .map_err(|e| e.to_string())?;
                    print!("{text}");
                    Ok(())
                }
            },
        ))
        .command(Command::new(
            "sqlmigrate",
            "Print the SQL of a migration (APP NAME [--backwards])",
            move |cx| {
                let database = db_for_sql.clone();
                async move {
                    let m = parse(
                        Cli::new("sqlmigrate")
                            .arg(Arg::new("app").required(true))
                            .arg(Arg::new("name").required(true).help("A migration name or its number (`0001`)"))
                            .arg(Arg::new("backwards").long("backwards").action(ArgAction::SetTrue)),
                        &cx,
                    )?;
                    let db = db_of(&cx.app)?;
                    let sql = migrations::sqlmigrate(
                        db.backend(),
                        &database.app_migrations(),
                        m.get_one::<String>("app").map(String::as_str).unwrap_or_default(),
                        m.get_one::<String>("name").map(String::as_str).unwrap_or_default(),
                        m.get_flag("backwards"),
                    )
                    .map_err(|e| e.to_string())?;
                    print!("{sql}");
                    Ok(())
                }
            },
        ))
}

fn makemigrations(cx: &CommandContext, database: &Database) -> Result<(), String> {
    let m = parse(
        Cli::new("makemigrations")
            .arg(Arg::new("apps").num_args(0..).help("Only these apps"))
            .arg(
                Arg::new("check")
                    .long("check")
                    .action(ArgAction::SetTrue)
                    .help("Write nothing; exit non-zero if models and migrations differ"),
            )
            .arg(
                Arg::new("noinput")
                    .long("noinput")
                    .alias("no-input")
                    .action(ArgAction::SetTrue)
                    .help("Never ask; refuse probable renames not stated with --rename"),
            )
            .arg(
                Arg::new("dry_run")
                    .long("dry-run")
                    .action(ArgAction::SetTrue)
                    .help("Show what would be written"),
            )
            .arg(
                Arg::new("name")
                    .long("name")
                    .short('n')
                    .help("Name of the new migration"),
            )
            .arg(
                Arg::new("rename")
                    .long("rename")
                    .action(ArgAction::Append)
                    .value_name("APP.Model.old=new")
                    .help("State a rename (field: APP.Model.old=new; model: APP.Old=New)"),
            )
            .arg(
                Arg::new("no_rename")
                    .long("no-rename")
                    .action(ArgAction::Append)
                    .value_name("APP.Model.old=new")
                    .help("State that a probable rename is not one (drop and add)"),
            ),
        cx,
    )?;
    let mut opts = if m.get_flag("noinput") || m.get_flag("check") {
        MakeOptions::noinput()
    } else {
        MakeOptions::interactive()
    };
    opts.check = m.get_flag("check");
    opts.dry_run = m.get_flag("dry_run");
    opts.apps = m
        .get_many::<String>("apps")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    opts.name = m.get_one::<String>("name").cloned();
    for r in m.get_many::<String>("rename").into_iter().flatten() {
        opts.renames
            .push(Rename::parse(r).map_err(|e| e.to_string())?);
    }
    for r in m.get_many::<String>("no_rename").into_iter().flatten() {
        opts.renames
            .push(Rename::parse_not(r).map_err(|e| e.to_string())?);
    }
    let report =
        migrations::makemigrations(&database.app_migrations(), &opts).map_err(|e| e.to_string())?;
    if report.migrations.is_empty() {
        println!("No changes detected");
        return Ok(());
    }
    for new in &report.migrations {
        println!("Migrations for '{}':", new.migration.app);
        println!("  {}", new.path.display());
        for op in &new.migration.operations {
            println!("    - {}", op.describe());
        }
        if opts.dry_run {
            println!("{}", new.source);
        }
    }
    if opts.check {
        return Err("models and migrations differ: run makemigrations".into());
    }
    if !opts.dry_run {
        println!("Rebuild the project to include the new migrations (they are compiled in).");
    }
    Ok(())
}
