//! The schema editor: DDL for models on each backend (Django's `schema_editor`). The
//! migrations executor runs the statements of a [`SchemaEditor`]; tests and scripts may
//! create tables directly with [`create_tables`].

use crate::backend::{Backend, Conn, Executor, mysql, postgres, sqlite};
use crate::error::Result;
use crate::field::{FieldKind, FieldMeta, OnDelete};
use crate::model::{ManyToManyMeta, ModelMeta};

mod editor;
pub use editor::SchemaEditor;

/// The column type of `kind` on `backend`.
pub fn column_type(backend: Backend, kind: &FieldKind) -> String {
    match backend {
        Backend::Sqlite => sqlite::column_type(kind),
        Backend::Postgres => postgres::column_type(kind),
        Backend::MySql => mysql::column_type(kind),
    }
}

/// A literal for a default value in DDL (only constants reach DDL; they come from model
/// code, never from requests).
pub fn default_literal(backend: Backend, value: &sea_query::Value) -> String {
    use sea_query::QueryBuilder;
    match backend {
        Backend::Sqlite => sea_query::SqliteQueryBuilder.value_to_string(value),
        Backend::Postgres => sea_query::PostgresQueryBuilder.value_to_string(value),
        Backend::MySql => sea_query::MysqlQueryBuilder.value_to_string(value),
    }
}

pub(crate) fn on_delete_sql(on_delete: OnDelete) -> &'static str {
    match on_delete {
        OnDelete::Cascade => "CASCADE",
        OnDelete::SetNull => "SET NULL",
        OnDelete::Restrict | OnDelete::Protect => "RESTRICT",
        // SET DEFAULT is done by the ORM (InnoDB lacks it); the database only checks.
        OnDelete::SetDefault | OnDelete::DoNothing => "NO ACTION",
    }
}

/// The column definition of `field` (name, type, NULL, PRIMARY KEY, UNIQUE, REFERENCES).
pub fn column_definition(backend: Backend, field: &FieldMeta) -> String {
    let q = |s: &str| backend.quote(s);
    // A foreign key's column has the type of the target's primary key (a UUID key too).
    let kind = match (&field.kind, field.related) {
        (FieldKind::ForeignKey(_), Some(rel))
            if !matches!(rel.meta().pk().kind, FieldKind::BigAuto | FieldKind::BigInt) =>
        {
            rel.meta().pk().kind.clone()
        }
        (kind, _) => kind.clone(),
    };
    let mut sql = format!("{} {}", q(&field.column), column_type(backend, &kind));
    if field.primary_key {
        sql.push_str(" NOT NULL PRIMARY KEY");
        if backend == Backend::Sqlite && matches!(field.kind, FieldKind::BigAuto) {
            sql.push_str(" AUTOINCREMENT");
        }
        return sql;
    }
    sql.push_str(if field.null { " NULL" } else { " NOT NULL" });
    if field.unique || field.relation().is_some_and(|r| r.one_to_one) {
        sql.push_str(" UNIQUE");
    }
    if let Some(rel) = field.relation()
        && backend != Backend::MySql
    {
        sql.push_str(&format!(
            " REFERENCES {} ({}) ON DELETE {}",
            q(&rel.to_table),
            q(&rel.to_column),
            on_delete_sql(rel.on_delete)
        ));
        if backend == Backend::Postgres {
            sql.push_str(" DEFERRABLE INITIALLY DEFERRED");
        }
    }
    sql
}

/// MySQL declares foreign keys as table constraints.
fn mysql_foreign_keys(meta: &ModelMeta) -> Vec<String> {
    let q = |s: &str| Backend::MySql.quote(s);
    meta.fields
        .iter()
        .filter_map(|f| {
            f.relation().map(|rel| {
                format!(
                    "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
                    q(&fk_name(&meta.table, &f.column)),
                    q(&f.column),
                    q(&rel.to_table),
                    q(&rel.to_column),
                    on_delete_sql(rel.on_delete)
                )
            })
        })
        .collect()
}

/// The name of the foreign-key constraint on `table.column`.
pub fn fk_name(table: &str, column: &str) -> String {
    short_name(&format!("{table}_{column}_fk"))
}

/// The name of an index on `table` over `columns`.
pub fn index_name(table: &str, columns: &[&str], unique: bool) -> String {
    let suffix = if unique { "uniq" } else { "idx" };
    short_name(&format!("{table}_{}_{suffix}", columns.join("_")))
}

/// Identifiers longer than 60 characters are cut and given a hash suffix (MySQL allows 64,
/// PostgreSQL 63).
fn short_name(name: &str) -> String {
    if name.len() <= 60 {
        return name.to_string();
    }
    let mut h: u32 = 2166136261;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(16777619);
    }
    format!("{}_{h:08x}", &name[..50])
}

/// `CREATE TABLE` for `meta` plus its indexes (one statement per string).
pub fn create_table_sql(backend: Backend, meta: &ModelMeta) -> Vec<String> {
    let q = |s: &str| backend.quote(s);
    let mut cols: Vec<String> = meta
        .fields
        .iter()
        .map(|f| column_definition(backend, f))
        .collect();
    for group in &meta.unique_together {
        let columns: Vec<String> = group
            .iter()
            .map(|n| meta.field(n).map_or(n.clone(), |f| f.column.clone()))
            .collect();
        let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
        cols.push(format!(
            "CONSTRAINT {} UNIQUE ({})",
            q(&index_name(&meta.table, &refs, true)),
            columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
        ));
    }
    if backend == Backend::MySql {
        cols.extend(mysql_foreign_keys(meta));
    }
    let mut sql = format!("CREATE TABLE {} ({})", q(&meta.table), cols.join(", "));
    if backend == Backend::MySql {
        sql.push_str(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    }
    let mut out = vec![sql];
    for f in &meta.fields {
        if (f.db_index || f.relation().is_some()) && !f.unique && !f.primary_key {
            if backend == Backend::MySql && f.relation().is_some() {
                continue; // InnoDB indexes foreign keys itself
            }
            out.push(format!(
                "CREATE INDEX {} ON {} ({})",
                q(&index_name(&meta.table, &[&f.column], false)),
                q(&meta.table),
                q(&f.column)
            ));
        }
    }
    for idx in &meta.indexes {
        let columns: Vec<String> = idx
            .fields
            .iter()
            .map(|n| meta.field(n).map_or(n.clone(), |f| f.column.clone()))
            .collect();
        out.push(format!(
            "CREATE {}INDEX {} ON {} ({})",
            if idx.unique { "UNIQUE " } else { "" },
            q(&idx.name),
            q(&meta.table),
            columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
        ));
    }
    out
}

/// `CREATE TABLE` for a many-to-many join table (auto-created, no explicit through model).
pub fn create_m2m_table_sql(
    backend: Backend,
    source: &ModelMeta,
    m2m: &ManyToManyMeta,
    target_table: &str,
    target_pk: &str,
) -> Vec<String> {
    let q = |s: &str| backend.quote(s);
    let pk = column_type(backend, &FieldKind::BigAuto);
    let mut cols = vec![format!(
        "{} {pk} NOT NULL PRIMARY KEY{}",
        q("id"),
        if backend == Backend::Sqlite {
            " AUTOINCREMENT"
        } else {
            ""
        }
    )];
    let refs = [
        (&m2m.source_column, &source.table, &source.pk().column),
        (
            &m2m.target_column,
            &target_table.to_string(),
            &target_pk.to_string(),
        ),
    ];
    for (col, table, pk_col) in refs {
        let mut def = format!("{} bigint NOT NULL", q(col));
        if backend != Backend::MySql {
            def.push_str(&format!(
                " REFERENCES {} ({}) ON DELETE CASCADE",
                q(table),
                q(pk_col)
            ));
            if backend == Backend::Postgres {
                def.push_str(" DEFERRABLE INITIALLY DEFERRED");
            }
        }
        cols.push(def);
    }
    cols.push(format!(
        "CONSTRAINT {} UNIQUE ({}, {})",
        q(&index_name(
            &m2m.through_table,
            &[&m2m.source_column, &m2m.target_column],
            true
        )),
        q(&m2m.source_column),
        q(&m2m.target_column)
    ));
    if backend == Backend::MySql {
        for (col, table, pk_col) in refs {
            cols.push(format!(
                "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE CASCADE",
                q(&fk_name(&m2m.through_table, col)),
                q(col),
                q(table),
                q(pk_col)
            ));
        }
    }
    let mut sql = format!(
        "CREATE TABLE {} ({})",
        q(&m2m.through_table),
        cols.join(", ")
    );
    if backend == Backend::MySql {
        sql.push_str(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    }
    let mut out = vec![sql];
    out.push(format!(
        "CREATE INDEX {} ON {} ({})",
        q(&index_name(
            &m2m.through_table,
            &[&m2m.target_column],
            false
        )),
        q(&m2m.through_table),
        q(&m2m.target_column)
    ));
    out
}

/// Create the tables of `models` (and their auto join tables), in the order given
/// (referenced tables first). For tests and scripts; projects use migrations.
pub async fn create_tables(db: &impl Executor, models: &[&ModelMeta]) -> Result<()> {
    let conn: Conn<'_> = db.conn();
    let backend = conn.backend();
    for meta in models {
        for sql in create_table_sql(backend, meta) {
            conn.execute_raw(&sql).await?;
        }
    }
    for meta in models {
        for m2m in &meta.many_to_many {
            if m2m.through.is_some() {
                continue;
            }
            let (table, pk) = match m2m.related {
                Some(r) => (r.meta().table.clone(), r.meta().pk().column.clone()),
                None => continue,
            };
            for sql in create_m2m_table_sql(backend, meta, m2m, &table, &pk) {
                conn.execute_raw(&sql).await?;
            }
        }
    }
    Ok(())
}

/// Drop the tables of `models` (and their join tables), if they exist.
pub async fn drop_tables(db: &impl Executor, models: &[&ModelMeta]) -> Result<()> {
    let conn: Conn<'_> = db.conn();
    let backend = conn.backend();
    let cascade = if backend == Backend::Postgres {
        " CASCADE"
    } else {
        ""
    };
    if backend == Backend::MySql {
        conn.execute_raw("SET FOREIGN_KEY_CHECKS = 0").await?;
    }
    for meta in models.iter().rev() {
        for m2m in &meta.many_to_many {
            if m2m.through.is_none() {
                conn.execute_raw(&format!(
                    "DROP TABLE IF EXISTS {}{cascade}",
                    backend.quote(&m2m.through_table)
                ))
                .await?;
            }
        }
        conn.execute_raw(&format!(
            "DROP TABLE IF EXISTS {}{cascade}",
            backend.quote(&meta.table)
        ))
        .await?;
    }
    if backend == Backend::MySql {
        conn.execute_raw("SET FOREIGN_KEY_CHECKS = 1").await?;
    }
    Ok(())
}
