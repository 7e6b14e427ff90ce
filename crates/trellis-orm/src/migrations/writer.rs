//! The writer (Django's `writer.py`): migrations as Rust source files, meant to be read
//! and reviewed like the rest of the code.
//!
//! An app's migrations folder holds one file per migration (`m0001_initial.rs`, with
//! `pub(crate) fn migration() -> Migration`) and a `mod.rs` listing them in order
//! (`pub(crate) fn migrations() -> Vec<Migration>`), which the writer regenerates from the
//! folder's files each time it adds one. Module names cannot start with a digit: the file
//! of migration `0001_initial` is `m0001_initial.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sea_query::Value;

use crate::error::{Error, Result};
use crate::field::{DefaultValue, FieldKind, OnDelete};
use crate::migrations::field::FieldDef;
use crate::migrations::{Field, Migration, Operation};

/// The module (and file stem) of migration `name`: `0001_initial` → `m0001_initial`.
pub fn module_name(name: &str) -> String {
    let mut s = String::from("m");
    s.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
    s
}

fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn value(v: &Value) -> Result<String> {
    let none = |variant: &str| format!("Value::{variant}(None)");
    Ok(match v {
        Value::Bool(Some(b)) => b.to_string(),
        Value::Bool(None) => none("Bool"),
        Value::TinyInt(Some(n)) => format!("{n}i8"),
        Value::TinyInt(None) => none("TinyInt"),
        Value::SmallInt(Some(n)) => format!("{n}i16"),
        Value::SmallInt(None) => none("SmallInt"),
        Value::Int(Some(n)) => format!("{n}i32"),
        Value::Int(None) => none("Int"),
        Value::BigInt(Some(n)) => format!("{n}i64"),
        Value::BigInt(None) => none("BigInt"),
        Value::TinyUnsigned(Some(n)) => format!("{n}u8"),
        Value::TinyUnsigned(None) => none("TinyUnsigned"),
        Value::SmallUnsigned(Some(n)) => format!("{n}u16"),
        Value::SmallUnsigned(None) => none("SmallUnsigned"),
        Value::Unsigned(Some(n)) => format!("{n}u32"),
        Value::Unsigned(None) => none("Unsigned"),
        Value::BigUnsigned(Some(n)) => format!("{n}u64"),
        Value::BigUnsigned(None) => none("BigUnsigned"),
        Value::Float(Some(n)) if n.is_finite() => format!("{n:?}f32"),
        Value::Float(None) => none("Float"),
        Value::Double(Some(n)) if n.is_finite() => format!("{n:?}f64"),
        Value::Double(None) => none("Double"),
        Value::String(Some(s)) => lit(s),
        Value::String(None) => none("String"),
        Value::Char(Some(c)) => format!("{c:?}"),
        Value::Char(None) => none("Char"),
        Value::Bytes(Some(b)) => format!(
            "vec![{}]",
            b.iter()
                .map(|x| format!("{x}u8"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Bytes(None) => none("Bytes"),
        Value::Json(Some(j)) => format!("values::json({})", lit(&j.to_string())),
        Value::Json(None) => none("Json"),
        Value::ChronoDate(Some(d)) => format!("values::date({})", lit(&d.to_string())),
        Value::ChronoDate(None) => none("ChronoDate"),
        Value::ChronoTime(Some(t)) => format!("values::time({})", lit(&t.to_string())),
        Value::ChronoTime(None) => none("ChronoTime"),
        Value::ChronoDateTimeUtc(Some(t)) => {
            format!("values::datetime({})", lit(&t.to_rfc3339()))
        }
        Value::ChronoDateTimeUtc(None) => none("ChronoDateTimeUtc"),
        Value::Decimal(Some(d)) => format!("values::dec({})", lit(&d.to_string())),
        Value::Decimal(None) => none("Decimal"),
        Value::Uuid(Some(u)) => format!("values::uuid({})", lit(&u.to_string())),
        Value::Uuid(None) => none("Uuid"),
        other => {
            return Err(Error::Migration(format!(
                "the migration writer cannot write the default value {other:?}; write the \
                 field's `.default(...)` in the migration file by hand"
            )));
        }
    })
}

fn on_delete(o: OnDelete) -> String {
    format!("OnDelete::{}", o.name())
}

/// The Rust expression building `field` (`Field::char(200).unique()`).
pub fn field_expr(name: &str, field: &Field) -> Result<String> {
    let mut s = String::new();
    match &field.def {
        FieldDef::ManyToMany(m) => {
            write!(
                s,
                "Field::many_to_many({}, {}, {}, {})",
                lit(&m.to),
                lit(&m.through_table),
                lit(&m.source_column),
                lit(&m.target_column)
            )
            .unwrap();
            if let Some(t) = &m.through {
                write!(s, ".through({})", lit(t)).unwrap();
            }
        }
        FieldDef::Column(c) => {
            let ctor = match &c.kind {
                FieldKind::BigAuto => "Field::big_auto()".to_string(),
                FieldKind::Bool => "Field::bool()".into(),
                FieldKind::SmallInt => "Field::small_int()".into(),
                FieldKind::Int => "Field::int()".into(),
                FieldKind::BigInt => "Field::big_int()".into(),
                FieldKind::Float => "Field::float()".into(),
                FieldKind::Double => "Field::double()".into(),
                FieldKind::Decimal {
                    max_digits,
                    decimal_places,
                } => format!("Field::decimal({max_digits}, {decimal_places})"),
                FieldKind::Char { max_length } => format!("Field::char({max_length})"),
                FieldKind::Text => "Field::text()".into(),
                FieldKind::Date => "Field::date()".into(),
                FieldKind::DateTime => "Field::datetime()".into(),
                FieldKind::Time => "Field::time()".into(),
                FieldKind::Uuid => "Field::uuid()".into(),
                FieldKind::Json => "Field::json()".into(),
                FieldKind::Bytes => "Field::bytes()".into(),
                FieldKind::ForeignKey(rel) => {
                    let mut f = format!(
                        "Field::foreign_key({}, {}, {})",
                        lit(&rel.to),
                        lit(&rel.to_table),
                        lit(&rel.to_column)
                    );
                    if rel.on_delete != OnDelete::Cascade {
                        write!(f, ".on_delete({})", on_delete(rel.on_delete)).unwrap();
                    }
                    if rel.one_to_one {
                        f.push_str(".one_to_one()");
                    }
                    f
                }
            };
            s.push_str(&ctor);
            if c.primary_key {
                s.push_str(".primary_key()");
            }
            if c.null {
                s.push_str(".null()");
            }
            if c.unique {
                s.push_str(".unique()");
            }
            if c.db_index {
                s.push_str(".db_index()");
            }
            if let Some(col) = &c.column {
                write!(s, ".column({})", lit(col)).unwrap();
            }
            match &c.default {
                Some(DefaultValue::Value(v)) => {
                    let v = value(v).map_err(|e| {
                        Error::Migration(format!("field {name}: {}", crate::migrations::msg(e)))
                    })?;
                    write!(s, ".default({v})").unwrap();
                }
                Some(DefaultValue::Now) => s.push_str(".default_now()"),
                None => {}
            }
        }
    }
    Ok(s)
}

fn strs<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    format!(
        "[{}]",
        items
            .into_iter()
            .map(|s| lit(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The Rust expression building `op`, indented for a `.operation(...)` argument.
pub fn operation_expr(op: &Operation) -> Result<String> {
    const IND: &str = "                ";
    Ok(match op {
        Operation::CreateModel(m) => {
            let mut s = format!("CreateModel::new({}, {})", lit(m.name), lit(&m.table));
            for (name, f) in &m.fields {
                write!(s, "\n{IND}.field({}, {})", lit(name), field_expr(name, f)?).unwrap();
            }
            for g in &m.unique_together {
                write!(s, "\n{IND}.unique_together({})", strs(g)).unwrap();
            }
            for i in &m.indexes {
                write!(
                    s,
                    "\n{IND}.{}({}, {})",
                    if i.unique { "unique_index" } else { "index" },
                    lit(&i.name),
                    strs(&i.fields)
                )
                .unwrap();
            }
            s
        }
        Operation::DeleteModel(m) => format!("DeleteModel::new({})", lit(m.name)),
        Operation::RenameModel(m) => format!(
            "RenameModel::new({}, {}, {})",
            lit(m.old_name),
            lit(m.new_name),
            lit(&m.new_table)
        ),
        Operation::AddField(f) => format!(
            "AddField::new({}, {}, {})",
            lit(f.model),
            lit(f.name),
            field_expr(f.name, &f.field)?
        ),
        Operation::AlterField(f) => format!(
            "AlterField::new({}, {}, {})",
            lit(f.model),
            lit(f.name),
            field_expr(f.name, &f.field)?
        ),
        Operation::RemoveField(f) => {
            format!("RemoveField::new({}, {})", lit(f.model), lit(f.name))
        }
        Operation::RenameField(f) => format!(
            "RenameField::new({}, {}, {})",
            lit(f.model),
            lit(f.old_name),
            lit(f.new_name)
        ),
        Operation::AddIndex(i) => format!(
            "AddIndex::new({}, {}, {}){}",
            lit(i.model),
            lit(&i.index.name),
            strs(&i.index.fields),
            if i.index.unique { ".unique()" } else { "" }
        ),
        Operation::RemoveIndex(i) => {
            format!("RemoveIndex::new({}, {})", lit(i.model), lit(&i.name))
        }
        Operation::AddConstraint(c) => format!(
            "AddConstraint::unique({}, {})",
            lit(c.model),
            strs(&c.fields)
        ),
        Operation::RemoveConstraint(c) => format!(
            "RemoveConstraint::unique({}, {})",
            lit(c.model),
            strs(&c.fields)
        ),
        Operation::RunSql(r) => {
            let mut s = String::new();
            for (i, sql) in r.sql.iter().enumerate() {
                if i == 0 {
                    write!(s, "RunSql::new({})", lit(sql)).unwrap();
                } else {
                    write!(s, "\n{IND}.then({})", lit(sql)).unwrap();
                }
            }
            match &r.reverse_sql {
                Some(rev) if rev.is_empty() => write!(s, "\n{IND}.reverse_noop()").unwrap(),
                Some(rev) => {
                    for sql in rev {
                        write!(s, "\n{IND}.reverse({})", lit(sql)).unwrap();
                    }
                }
                None => {}
            }
            s
        }
        Operation::RunCode(_) => {
            return Err(Error::Migration(
                "RunCode operations are written by hand (they call your functions)".into(),
            ));
        }
    })
}

/// The source of `migration`'s file.
pub fn render(migration: &Migration) -> Result<String> {
    let mut s = String::new();
    writeln!(
        s,
        "//! Migration `{}.{}`, written by `makemigrations`.\n//! Review it like any other \
         code; edit it if you need to (add a `RunCode` data migration, say).",
        migration.app, migration.name
    )
    .unwrap();
    s.push('\n');
    s.push_str("use trellis_orm::migrations::prelude::*;\n\n");
    s.push_str("/// Operations:\n");
    for op in &migration.operations {
        writeln!(s, "/// - {}", op.describe()).unwrap();
    }
    s.push_str("pub(crate) fn migration() -> Migration {\n");
    write!(
        s,
        "    Migration::new({}, {})",
        lit(migration.app),
        lit(&migration.name)
    )
    .unwrap();
    if migration.initial {
        s.push_str("\n        .initial()");
    }
    for (app, name) in &migration.dependencies {
        write!(s, "\n        .depends_on({}, {})", lit(app), lit(name)).unwrap();
    }
    for op in &migration.operations {
        let expr = operation_expr(op)?;
        if expr.contains('\n') || expr.len() > 70 {
            write!(s, "\n        .operation(\n            {expr},\n        )").unwrap();
        } else {
            write!(s, "\n        .operation({expr})").unwrap();
        }
    }
    s.push_str("\n}\n");
    Ok(s)
}

/// The migration files of `dir` (`m*.rs` except `mod.rs`), sorted by name.
pub fn migration_files(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_error(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".rs")
            && stem.starts_with('m')
            && stem != "mod"
            && stem[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            out.push(stem.to_string());
        }
    }
    out.sort();
    Ok(out)
}

/// The source of the folder's `mod.rs`, listing `modules` in order.
pub fn render_mod(app: &str, modules: &[String]) -> String {
    let mut s = format!(
        "//! Migrations of app `{app}`, in order.\n//!\n//! `makemigrations` rewrites this file \
         each time it adds a migration (listing the\n//! `m*.rs` files of this folder, sorted by \
         name); then rebuild the project so that the\n//! new migration is compiled in.\n\n"
    );
    for m in modules {
        writeln!(s, "mod {m};").unwrap();
    }
    if !modules.is_empty() {
        s.push('\n');
    }
    s.push_str("use trellis_orm::migrations::Migration;\n\n");
    s.push_str(
        "/// The app's migrations, in order.\npub(crate) fn migrations() -> Vec<Migration> {\n",
    );
    if modules.is_empty() {
        s.push_str("    Vec::new()\n");
    } else {
        s.push_str("    vec![\n");
        for m in modules {
            writeln!(s, "        {m}::migration(),").unwrap();
        }
        s.push_str("    ]\n");
    }
    s.push_str("}\n");
    s
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Migration(format!("{}: {e}", path.display()))
}

/// Format Rust source with `rustfmt` when it is installed (else return it unchanged).
fn rustfmt(source: String) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return source;
    };
    if let Some(mut stdin) = child.stdin.take()
        && stdin.write_all(source.as_bytes()).is_err()
    {
        return source;
    }
    match child.wait_with_output() {
        Ok(out) if out.status.success() && !out.stdout.is_empty() => {
            String::from_utf8(out.stdout).unwrap_or(source)
        }
        _ => source,
    }
}

/// Write `migration` into `dir` (creating it) and regenerate `dir/mod.rs`. Returns the
/// new file's path.
pub fn write(dir: &Path, migration: &Migration) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let path = dir.join(format!("{}.rs", module_name(&migration.name)));
    if path.exists() {
        return Err(Error::Migration(format!(
            "{} exists already; not overwriting it",
            path.display()
        )));
    }
    let source = rustfmt(render(migration)?);
    std::fs::write(&path, source).map_err(|e| io_error(&path, e))?;
    let modules = migration_files(dir)?;
    let mod_rs = dir.join("mod.rs");
    let source = rustfmt(render_mod(migration.app, &modules));
    std::fs::write(&mod_rs, source).map_err(|e| io_error(&mod_rs, e))?;
    Ok(path)
}
