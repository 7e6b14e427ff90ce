//! The migration commands as library functions: [`makemigrations`], [`migrate`],
//! [`showmigrations`], [`sqlmigrate`]. The `trellis` CLI wires them to its subcommands.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::backend::{Backend, Conn, Db};
use crate::error::{Error, Result};
use crate::migrations::autodetector::{Autodetector, same_app_state};
use crate::migrations::executor::{self, Target};
use crate::migrations::graph::MigrationGraph;
use crate::migrations::{
    AppMigrations, InteractiveQuestioner, Migration, NonInteractiveQuestioner, Operation,
    ProjectState, Questioner, Rename, Step, recorder, writer,
};

/// Options of [`makemigrations`].
pub struct MakeOptions<'a> {
    /// Write nothing; fail when models and migrations differ (`--check`).
    pub check: bool,
    /// Show what would be written, write nothing (`--dry-run`).
    pub dry_run: bool,
    /// Only these apps (empty: all).
    pub apps: Vec<String>,
    /// The name of the new migration (after its number), instead of a generated one.
    pub name: Option<String>,
    /// Who answers rename questions (interactive, or refusing for `--noinput`).
    pub questioner: &'a dyn Questioner,
    /// Explicit answers to rename questions (`--rename`, `--no-rename`).
    pub renames: Vec<Rename>,
}

impl std::fmt::Debug for MakeOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MakeOptions")
            .field("check", &self.check)
            .field("dry_run", &self.dry_run)
            .field("apps", &self.apps)
            .field("name", &self.name)
            .field("renames", &self.renames)
            .finish()
    }
}

impl MakeOptions<'static> {
    /// Ask on stdin about probable renames.
    pub fn interactive() -> Self {
        MakeOptions::with_questioner(&InteractiveQuestioner)
    }

    /// `--noinput`: refuse probable renames unless a [`Rename`] rule answers them.
    pub fn noinput() -> Self {
        MakeOptions::with_questioner(&NonInteractiveQuestioner)
    }
}

impl<'a> MakeOptions<'a> {
    /// Options asking `questioner`.
    pub fn with_questioner(questioner: &'a dyn Questioner) -> Self {
        MakeOptions {
            check: false,
            dry_run: false,
            apps: Vec::new(),
            name: None,
            questioner,
            renames: Vec::new(),
        }
    }
}

/// A migration `makemigrations` wrote (or would write).
#[derive(Debug, Clone)]
pub struct NewMigration {
    /// The migration.
    pub migration: Migration,
    /// Its file.
    pub path: PathBuf,
    /// The file's source (before `rustfmt`).
    pub source: String,
}

/// What [`makemigrations`] did.
#[derive(Debug, Clone, Default)]
pub struct MakeReport {
    /// The new migrations, by app in the order given.
    pub migrations: Vec<NewMigration>,
}

impl MakeReport {
    /// Whether models and migrations differed.
    pub fn has_changes(&self) -> bool {
        !self.migrations.is_empty()
    }

    /// Django's report: `Migrations for 'blog':` then each file and its operations, or
    /// `No changes detected`.
    pub fn summary(&self) -> String {
        if self.migrations.is_empty() {
            return "No changes detected".into();
        }
        let mut s = String::new();
        for m in &self.migrations {
            writeln!(s, "Migrations for '{}':", m.migration.app).unwrap();
            writeln!(s, "  {}", m.path.display()).unwrap();
            for op in &m.migration.operations {
                writeln!(s, "    - {}", op.describe()).unwrap();
            }
        }
        s
    }
}

fn check_apps(apps: &[AppMigrations], names: &[String]) -> Result<()> {
    for n in names {
        if !apps.iter().any(|a| a.label == n) {
            return Err(unknown_app(apps, n));
        }
    }
    Ok(())
}

fn unknown_app(apps: &[AppMigrations], name: &str) -> Error {
    Error::Migration(format!(
        "unknown app {name:?}; apps: {}",
        apps.iter().map(|a| a.label).collect::<Vec<_>>().join(", ")
    ))
}

fn number_of(name: &str) -> u32 {
    name.split('_')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn fragment(op: &Operation) -> String {
    let l = |s: &str| s.to_lowercase();
    match op {
        Operation::CreateModel(m) => l(m.name),
        Operation::DeleteModel(m) => format!("delete_{}", l(m.name)),
        Operation::RenameModel(m) => format!("rename_{}_{}", l(m.old_name), l(m.new_name)),
        Operation::AddField(f) => format!("{}_{}", l(f.model), l(f.name)),
        Operation::RemoveField(f) => format!("remove_{}_{}", l(f.model), l(f.name)),
        Operation::AlterField(f) => format!("alter_{}_{}", l(f.model), l(f.name)),
        Operation::RenameField(f) => {
            format!("rename_{}_{}_{}", l(f.old_name), l(f.model), l(f.new_name))
        }
        Operation::AddIndex(i) => format!("{}_{}", l(i.model), l(&i.index.name)),
        Operation::RemoveIndex(i) => format!("remove_{}_{}", l(i.model), l(&i.name)),
        Operation::AddConstraint(c) => format!("{}_unique_{}", l(c.model), c.fields.join("_")),
        Operation::RemoveConstraint(c) => {
            format!("remove_{}_unique_{}", l(c.model), c.fields.join("_"))
        }
        Operation::RunSql(_) | Operation::RunCode(_) => "auto".into(),
    }
}

/// The generated name of a migration (after its number): `initial`, `post_headline`,
/// `remove_post_title`, ..., or `auto_<date>_<time>` when that would be too long.
pub fn suggest_name(ops: &[Operation], initial: bool) -> String {
    if initial {
        return "initial".into();
    }
    let parts: Vec<String> = ops.iter().map(fragment).collect();
    let joined = parts.join("_");
    let clean: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if parts.is_empty() || clean.len() > 52 {
        chrono::Utc::now().format("auto_%Y%m%d_%H%M").to_string()
    } else {
        clean
    }
}

/// Compare the models of each app with its migrations and write the migrations that
/// are missing (Django's `makemigrations`): loader → state → autodetector (asking the
/// questioner about renames) → writer.
///
/// With `check`, writes nothing and fails when there are changes (for CI: "a model
/// changed without a migration"). With `dry_run`, writes nothing and reports.
pub fn makemigrations(apps: &[AppMigrations], opts: &MakeOptions<'_>) -> Result<MakeReport> {
    check_apps(apps, &opts.apps)?;
    let graph = MigrationGraph::build(apps)?;
    graph.check_conflicts()?;
    let from = graph.full_state()?;
    let selected: Vec<&AppMigrations> = apps
        .iter()
        .filter(|a| opts.apps.is_empty() || opts.apps.iter().any(|n| n == a.label))
        .collect();
    let mut to = from.clone();
    for app in &selected {
        to.replace_app(app.label, &app.models);
    }
    check_references(apps, &to)?;
    let labels: Vec<&'static str> = selected.iter().map(|a| a.label).collect();
    let changes = Autodetector::new(opts.questioner, &opts.renames).changes(&from, &to, &labels)?;

    // Names first: dependencies between apps changed in this run point at new names.
    let mut names = BTreeMap::new();
    for app in &selected {
        if changes.contains_key(app.label) {
            let existing = &app.migrations;
            let initial = existing.is_empty();
            let n = existing
                .iter()
                .map(|m| number_of(&m.name))
                .max()
                .unwrap_or(0)
                + 1;
            let suffix = match &opts.name {
                Some(name) => name.clone(),
                None => suggest_name(&changes[app.label].operations, initial),
            };
            names.insert(app.label.to_string(), format!("{n:04}_{suffix}"));
        }
    }
    let mut report = MakeReport::default();
    let mut state = from.clone();
    for app in &selected {
        let Some(ch) = changes.get(app.label) else {
            continue;
        };
        let mut m = Migration::new(app.label, &names[app.label]);
        m.initial = app.migrations.is_empty();
        if let Some(leaf) = graph.leaf(app.label)? {
            m = m.depends_on(&leaf.0, &leaf.1);
        }
        for other in &ch.depends_on_apps {
            if let Some(name) = names.get(other) {
                if changes[other.as_str()].depends_on_apps.contains(app.label) {
                    return Err(Error::Migration(format!(
                        "apps {} and {other} point at each other's new models; make the \
                         migrations one app at a time (makemigrations {other} first, with the \
                         relation to {} left out, then add it)",
                        app.label, app.label
                    )));
                }
                m = m.depends_on(other, name);
            } else if let Some(leaf) = graph.leaf(other)? {
                m = m.depends_on(&leaf.0, &leaf.1);
            } else {
                return Err(Error::Migration(format!(
                    "{} needs a migration that points at app {other}, which has no \
                     migrations yet: run makemigrations for {other} too",
                    app.label
                )));
            }
        }
        m.operations = ch.operations.clone();
        m.apply_state(&mut state)?;
        let source = writer::render(&m)?;
        let path = app.dir.join(format!("{}.rs", writer::module_name(&m.name)));
        report.migrations.push(NewMigration {
            migration: m,
            path,
            source,
        });
    }
    for app in &selected {
        if !same_app_state(&state, &to, app.label) {
            return Err(Error::Migration(format!(
                "internal error: the detected operations do not reproduce the models of app {}",
                app.label
            )));
        }
    }
    if opts.check {
        if report.has_changes() {
            return Err(Error::Migration(format!(
                "models have changes that are not in migrations; run makemigrations:\n{}",
                report.summary()
            )));
        }
        return Ok(report);
    }
    if !opts.dry_run {
        for m in &report.migrations {
            let app = selected
                .iter()
                .find(|a| a.label == m.migration.app)
                .expect("selected");
            writer::write(&app.dir, &m.migration)?;
        }
    }
    Ok(report)
}

/// Every relation must point at a model that exists in the target state.
fn check_references(apps: &[AppMigrations], to: &ProjectState) -> Result<()> {
    for m in to.models() {
        let mut refs: Vec<(&str, &String)> = m
            .fields
            .iter()
            .filter_map(|f| f.relation().map(|r| (f.name, &r.to)))
            .collect();
        refs.extend(m.many_to_many.iter().map(|x| (x.name, &x.to)));
        for (field, target) in refs {
            if to.model(target).is_none() {
                let app = target.split('.').next().unwrap_or_default();
                let hint = if apps.iter().any(|a| a.label == app) {
                    format!("app {app} has no such model")
                } else {
                    format!("add app {app} to the list of apps")
                };
                return Err(Error::Migration(format!(
                    "{}.{field} points at {target}, which is unknown ({hint})",
                    m.label()
                )));
            }
        }
    }
    Ok(())
}

/// Apply or unapply migrations (Django's `migrate`): loader → graph plan → executor →
/// schema editor → recorder, under the migration lock.
///
/// - `app = None`: every app to its latest migration;
/// - `app = Some("blog"), target = None`: blog (and what it depends on) to its latest;
/// - `target = Some("zero")`: unapply all of blog (and what depends on it first);
/// - `target = Some("0002")` (a name or unique prefix): apply up to it, or unapply what
///   comes after it.
///
/// Returns one line per migration (`Applying blog.0001_initial... OK`).
pub async fn migrate(
    db: &Db,
    apps: &[AppMigrations],
    app: Option<&str>,
    target: Option<&str>,
) -> Result<Vec<String>> {
    let graph = MigrationGraph::build(apps)?;
    graph.check_conflicts()?;
    let target = match (app, target) {
        (None, None) => Target::All,
        (None, Some(t)) => {
            return Err(Error::Migration(format!(
                "target {t:?} needs an app: migrate <app> <migration>"
            )));
        }
        (Some(a), t) => {
            if !graph.has_app(a) {
                return Err(unknown_app(apps, a));
            }
            match t {
                None => {
                    if graph.leaf(a)?.is_none() {
                        return Err(Error::Migration(format!(
                            "app {a} has no migrations (run makemigrations {a})"
                        )));
                    }
                    Target::App(a.to_string())
                }
                Some("zero") => Target::Zero(a.to_string()),
                Some(name) => Target::Migration(graph.resolve(a, name)?),
            }
        }
    };
    executor::execute(db, &graph, &target).await
}

/// List each app's migrations, applied ones marked (Django's `showmigrations`):
///
/// ```text
/// blog
///  [X] 0001_initial
///  [ ] 0002_post_headline
/// ```
pub async fn showmigrations(db: &Db, apps: &[AppMigrations]) -> Result<String> {
    let graph = MigrationGraph::build(apps)?;
    let applied = recorder::applied(Conn::Db(db)).await?;
    let mut s = String::new();
    for app in apps {
        writeln!(s, "{}", app.label).unwrap();
        let nodes = graph.app_nodes(app.label)?;
        if nodes.is_empty() {
            s.push_str(" (no migrations)\n");
        }
        for k in nodes {
            let mark = if applied.contains(&k) { "X" } else { " " };
            writeln!(s, " [{mark}] {}", k.1).unwrap();
        }
    }
    Ok(s)
}

/// The SQL of migration `name` of `app` on `backend` (Django's `sqlmigrate`), forwards
/// or `backwards`. Needs no database.
pub fn sqlmigrate(
    backend: Backend,
    apps: &[AppMigrations],
    app: &str,
    name: &str,
    backwards: bool,
) -> Result<String> {
    let graph = MigrationGraph::build(apps)?;
    let key = graph.resolve(app, name)?;
    let migration = graph.node(&key).expect("resolved");
    let before = graph.state_before(&key)?;
    let steps = executor::migration_steps(migration, &before, backend, backwards)?;
    let transactional = backend.features().supports_transactional_ddl;
    let mut s = String::new();
    if transactional {
        s.push_str("BEGIN;\n");
    }
    for (describe, steps) in steps {
        writeln!(s, "--\n-- {describe}\n--").unwrap();
        for step in steps {
            match step {
                Step::Sql(sql) => writeln!(s, "{sql};").unwrap(),
                Step::Code(_) => {
                    s.push_str("-- (Rust code: runs during migrate; no SQL to show)\n")
                }
            }
        }
    }
    if transactional {
        s.push_str("COMMIT;\n");
    }
    Ok(s)
}

/// The names of applied migrations per app (for tools), read without taking the lock.
pub async fn applied_migrations(db: &Db) -> Result<BTreeSet<(String, String)>> {
    recorder::applied(Conn::Db(db)).await
}
