//! [`SchemaEditor`]: the DDL of schema changes (add, drop, alter and rename columns,
//! rename tables, indexes, unique constraints, join tables), per backend.
//!
//! The editor only writes SQL; the migrations executor runs it (and `sqlmigrate` prints
//! it). SQLite cannot alter or drop most columns in place: those changes rebuild the
//! table (create `new__<table>`, copy the rows, drop the old table, rename), which the
//! executor runs with foreign-key enforcement off and checks with
//! `PRAGMA foreign_key_check` before committing (SQLite's documented procedure).

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::field::{DefaultValue, FieldKind, FieldMeta};
use crate::model::{IndexMeta, ManyToManyMeta, ModelMeta};
use crate::schema::{
    column_definition, column_type, create_m2m_table_sql, create_table_sql, default_literal,
    fk_name, index_name, on_delete_sql,
};

/// Collects the DDL statements of schema changes for one backend.
///
/// ```
/// use trellis_orm::Backend;
/// use trellis_orm::schema::SchemaEditor;
///
/// let mut ed = SchemaEditor::new(Backend::Postgres);
/// ed.rename_table("blog_post", "blog_article");
/// assert_eq!(ed.statements(), ["ALTER TABLE \"blog_post\" RENAME TO \"blog_article\""]);
/// ```
#[derive(Debug, Clone)]
pub struct SchemaEditor {
    backend: Backend,
    sql: Vec<String>,
}

impl SchemaEditor {
    /// An editor writing DDL for `backend`.
    pub fn new(backend: Backend) -> Self {
        SchemaEditor {
            backend,
            sql: Vec::new(),
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The statements so far.
    pub fn statements(&self) -> &[String] {
        &self.sql
    }

    /// Take the statements, leaving the editor empty.
    pub fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.sql)
    }

    /// Add a statement of your own.
    pub fn push(&mut self, sql: impl Into<String>) {
        self.sql.push(sql.into());
    }

    fn q(&self, ident: &str) -> String {
        self.backend.quote(ident)
    }

    /// `CREATE TABLE` (and its indexes) for `model`.
    pub fn create_model(&mut self, model: &ModelMeta) {
        self.sql.extend(create_table_sql(self.backend, model));
    }

    /// `DROP TABLE` for `model` (PostgreSQL: `CASCADE`, dropping constraints that point
    /// at it).
    pub fn delete_model(&mut self, model: &ModelMeta) {
        self.drop_table(&model.table);
    }

    fn drop_table(&mut self, table: &str) {
        let cascade = if self.backend == Backend::Postgres {
            " CASCADE"
        } else {
            ""
        };
        self.sql
            .push(format!("DROP TABLE {}{cascade}", self.q(table)));
    }

    /// Create the join table of `m2m` on `source`, pointing at `target_table.target_pk`.
    pub fn create_m2m(
        &mut self,
        source: &ModelMeta,
        m2m: &ManyToManyMeta,
        target_table: &str,
        target_pk: &str,
    ) {
        self.sql.extend(create_m2m_table_sql(
            self.backend,
            source,
            m2m,
            target_table,
            target_pk,
        ));
    }

    /// Drop the join table of `m2m`.
    pub fn drop_m2m(&mut self, m2m: &ManyToManyMeta) {
        self.drop_table(&m2m.through_table);
    }

    /// `ALTER TABLE ... RENAME TO ...`.
    pub fn rename_table(&mut self, old: &str, new: &str) {
        self.sql.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            self.q(old),
            self.q(new)
        ));
    }

    /// Rename column `old` of `table` to `new`.
    pub fn rename_column(&mut self, table: &str, old: &str, new: &str) {
        if old == new {
            return;
        }
        self.sql.push(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            self.q(table),
            self.q(old),
            self.q(new)
        ));
    }

    /// The literal that fills existing rows when a NOT NULL column is added or a column
    /// becomes NOT NULL: the default; for strings without one, `''` (Django's
    /// "effective default", so that unapplying a RemoveField of a string works).
    fn fill_literal(&self, field: &FieldMeta) -> Option<String> {
        match &field.default {
            Some(DefaultValue::Value(v)) => Some(default_literal(self.backend, v)),
            Some(DefaultValue::Now) => Some("CURRENT_TIMESTAMP".into()),
            None if !field.null && field.kind.is_text() => Some("''".into()),
            None => None,
        }
    }

    fn needs_index(&self, f: &FieldMeta) -> bool {
        (f.db_index || f.relation().is_some())
            && !f.unique
            && !f.primary_key
            && !(self.backend == Backend::MySql && f.relation().is_some())
    }

    fn create_column_index(&mut self, table: &str, f: &FieldMeta) {
        self.sql.push(format!(
            "CREATE INDEX {} ON {} ({})",
            self.q(&index_name(table, &[&f.column], false)),
            self.q(table),
            self.q(&f.column)
        ));
    }

    fn drop_index_named(&mut self, table: &str, name: &str) {
        self.sql.push(match self.backend {
            Backend::MySql => format!("DROP INDEX {} ON {}", self.q(name), self.q(table)),
            _ => format!("DROP INDEX {}", self.q(name)),
        });
    }

    /// Add column `field` to `after.table` (`before` is the model without it: SQLite
    /// rebuilds the table when the column cannot simply be added).
    pub fn add_field(
        &mut self,
        before: &ModelMeta,
        after: &ModelMeta,
        field: &FieldMeta,
    ) -> Result<()> {
        let fill = self.fill_literal(field);
        let table = &after.table;
        match self.backend {
            Backend::Sqlite => {
                if field.null && field.default.is_none() && !field.unique && !field.primary_key {
                    self.sql.push(format!(
                        "ALTER TABLE {} ADD COLUMN {}",
                        self.q(table),
                        column_definition(self.backend, field)
                    ));
                    if self.needs_index(field) {
                        self.create_column_index(table, field);
                    }
                    return Ok(());
                }
                return self.remake(before, after);
            }
            Backend::Postgres | Backend::MySql => {
                let def = column_definition(self.backend, field);
                let long = matches!(
                    field.kind,
                    FieldKind::Text | FieldKind::Json | FieldKind::Bytes
                );
                match &fill {
                    Some(lit) if !(field.null || self.backend == Backend::MySql && long) => {
                        // `<name> <type> DEFAULT <lit> NOT NULL ...`, then drop the default:
                        // the database default only fills the existing rows.
                        let (head, tail) = split_type(&def, self.backend, field);
                        self.sql.push(format!(
                            "ALTER TABLE {} ADD COLUMN {head} DEFAULT {lit}{tail}",
                            self.q(table)
                        ));
                        self.sql.push(format!(
                            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
                            self.q(table),
                            self.q(&field.column)
                        ));
                    }
                    Some(lit) => {
                        // Nullable with a default (existing rows get it), or a MySQL
                        // TEXT/BLOB/JSON column: add as NULL, fill, then tighten.
                        let mut nullable = field.clone();
                        nullable.null = true;
                        nullable.unique = false;
                        self.sql.push(format!(
                            "ALTER TABLE {} ADD COLUMN {}",
                            self.q(table),
                            column_definition(self.backend, &nullable)
                        ));
                        self.sql.push(format!(
                            "UPDATE {} SET {} = {lit}",
                            self.q(table),
                            self.q(&field.column)
                        ));
                        if !field.null {
                            self.set_not_null(table, field);
                        }
                        if field.unique {
                            self.add_column_unique(table, &field.column);
                        }
                    }
                    None => {
                        self.sql
                            .push(format!("ALTER TABLE {} ADD COLUMN {def}", self.q(table)));
                    }
                }
                if self.backend == Backend::MySql
                    && let Some(rel) = field.relation()
                {
                    self.sql.push(format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
                        self.q(table),
                        self.q(&fk_name(table, &field.column)),
                        self.q(&field.column),
                        self.q(&rel.to_table),
                        self.q(&rel.to_column),
                        on_delete_sql(rel.on_delete)
                    ));
                }
                if self.needs_index(field) {
                    self.create_column_index(table, field);
                }
            }
        }
        Ok(())
    }

    fn set_not_null(&mut self, table: &str, field: &FieldMeta) {
        match self.backend {
            Backend::Postgres => self.sql.push(format!(
                "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
                self.q(table),
                self.q(&field.column)
            )),
            _ => self.sql.push(format!(
                "ALTER TABLE {} MODIFY {} {} NOT NULL",
                self.q(table),
                self.q(&field.column),
                column_type(self.backend, &field.kind)
            )),
        }
    }

    /// The name of the UNIQUE constraint an inline `UNIQUE` gets: PostgreSQL's default
    /// `<table>_<column>_key`, MySQL's index named after the column.
    fn column_unique_name(&self, table: &str, column: &str) -> String {
        match self.backend {
            Backend::Postgres => format!("{table}_{column}_key"),
            _ => column.to_string(),
        }
    }

    /// The name of the FOREIGN KEY constraint of a column: PostgreSQL's default for an
    /// inline `REFERENCES` (`<table>_<column>_fkey`); MySQL's declared name.
    fn column_fk_name(&self, table: &str, column: &str) -> String {
        match self.backend {
            Backend::Postgres => format!("{table}_{column}_fkey"),
            _ => fk_name(table, column),
        }
    }

    fn add_column_unique(&mut self, table: &str, column: &str) {
        self.sql.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
            self.q(table),
            self.q(&self.column_unique_name(table, column)),
            self.q(column)
        ));
    }

    fn drop_column_unique(&mut self, table: &str, column: &str) {
        let name = self.column_unique_name(table, column);
        self.sql.push(match self.backend {
            Backend::MySql => format!("ALTER TABLE {} DROP INDEX {}", self.q(table), self.q(&name)),
            _ => format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                self.q(table),
                self.q(&name)
            ),
        });
    }

    fn drop_fk(&mut self, table: &str, column: &str) {
        let name = self.column_fk_name(table, column);
        self.sql.push(match self.backend {
            Backend::MySql => format!(
                "ALTER TABLE {} DROP FOREIGN KEY {}",
                self.q(table),
                self.q(&name)
            ),
            _ => format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                self.q(table),
                self.q(&name)
            ),
        });
    }

    fn add_fk(&mut self, table: &str, field: &FieldMeta) {
        let Some(rel) = field.relation() else { return };
        let mut sql = format!(
            "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
            self.q(table),
            self.q(&self.column_fk_name(table, &field.column)),
            self.q(&field.column),
            self.q(&rel.to_table),
            self.q(&rel.to_column),
            on_delete_sql(rel.on_delete)
        );
        if self.backend == Backend::Postgres {
            sql.push_str(" DEFERRABLE INITIALLY DEFERRED");
        }
        self.sql.push(sql);
    }

    /// Drop column `field` from `before.table` (`after` is the model without it).
    pub fn remove_field(
        &mut self,
        before: &ModelMeta,
        after: &ModelMeta,
        field: &FieldMeta,
    ) -> Result<()> {
        let table = &before.table;
        let in_group = before
            .unique_together
            .iter()
            .any(|g| g.iter().any(|n| n == field.name))
            || before
                .indexes
                .iter()
                .any(|i| i.fields.iter().any(|n| n == field.name));
        match self.backend {
            Backend::Sqlite => {
                if field.primary_key
                    || field.unique
                    || field.db_index
                    || field.relation().is_some()
                    || in_group
                {
                    return self.remake(before, after);
                }
            }
            Backend::MySql => {
                if field.relation().is_some() {
                    self.drop_fk(table, &field.column);
                }
            }
            Backend::Postgres => {}
        }
        self.sql.push(format!(
            "ALTER TABLE {} DROP COLUMN {}",
            self.q(table),
            self.q(&field.column)
        ));
        Ok(())
    }

    /// Change column `old` of `before` into `new` of `after` (type, NULL, UNIQUE, index,
    /// foreign key, column name). SQLite rebuilds the table.
    pub fn alter_field(
        &mut self,
        before: &ModelMeta,
        after: &ModelMeta,
        old: &FieldMeta,
        new: &FieldMeta,
    ) -> Result<()> {
        if old.primary_key != new.primary_key {
            return Err(Error::Migration(format!(
                "changing the primary key of {} ({} to {}) is not supported; create a new \
                 model and copy the rows with RunSql",
                before.table, old.name, new.name
            )));
        }
        if self.backend == Backend::Sqlite {
            if old.column != new.column && same_but_column(old, new) {
                self.rename_column(&after.table, &old.column, &new.column);
                return Ok(());
            }
            return self.remake(before, after);
        }
        let table = after.table.clone();
        let old_fk = old.relation();
        let new_fk = new.relation();
        let fk_changed = match (old_fk, new_fk) {
            (Some(a), Some(b)) => {
                a.to_table != b.to_table
                    || a.to_column != b.to_column
                    || a.on_delete != b.on_delete
                    || old.column != new.column
            }
            (None, None) => false,
            _ => true,
        };
        if old_fk.is_some() && fk_changed {
            self.drop_fk(&table, &old.column);
        }
        let old_unique = old.unique || old_fk.is_some_and(|r| r.one_to_one);
        let new_unique = new.unique || new_fk.is_some_and(|r| r.one_to_one);
        if old_unique && (!new_unique || old.column != new.column) {
            self.drop_column_unique(&table, &old.column);
        }
        let old_index = self.needs_index(old);
        let new_index = self.needs_index(new);
        if old_index && (!new_index || old.column != new.column) {
            self.drop_index_named(&table, &index_name(&table, &[&old.column], false));
        }
        self.rename_column(&table, &old.column, &new.column);
        let col = self.q(&new.column);
        let (old_type, new_type) = (
            column_type(self.backend, &old.kind),
            column_type(self.backend, &new.kind),
        );
        if !old.null && new.null && self.backend == Backend::Postgres {
            self.sql.push(format!(
                "ALTER TABLE {} ALTER COLUMN {col} DROP NOT NULL",
                self.q(&table)
            ));
        }
        if old.null
            && !new.null
            && let Some(lit) = self.fill_literal(new)
        {
            self.sql.push(format!(
                "UPDATE {} SET {col} = {lit} WHERE {col} IS NULL",
                self.q(&table)
            ));
        }
        match self.backend {
            Backend::Postgres => {
                if old_type != new_type {
                    let ty = new_type.replace(" GENERATED BY DEFAULT AS IDENTITY", "");
                    self.sql.push(format!(
                        "ALTER TABLE {} ALTER COLUMN {col} TYPE {ty} USING {col}::{ty}",
                        self.q(&table)
                    ));
                }
                if old.null && !new.null {
                    self.sql.push(format!(
                        "ALTER TABLE {} ALTER COLUMN {col} SET NOT NULL",
                        self.q(&table)
                    ));
                }
            }
            _ => {
                if old_type != new_type || old.null != new.null {
                    self.sql.push(format!(
                        "ALTER TABLE {} MODIFY {col} {new_type} {}",
                        self.q(&table),
                        if new.null { "NULL" } else { "NOT NULL" }
                    ));
                }
            }
        }
        if new_unique && (!old_unique || old.column != new.column) {
            self.add_column_unique(&table, &new.column);
        }
        if new_index && (!old_index || old.column != new.column) {
            self.create_column_index(&table, new);
        }
        if new_fk.is_some() && fk_changed {
            self.add_fk(&table, new);
        }
        Ok(())
    }

    /// Create index `index` on `model`.
    pub fn add_index(&mut self, model: &ModelMeta, index: &IndexMeta) {
        let columns = columns_of(model, &index.fields);
        self.sql.push(format!(
            "CREATE {}INDEX {} ON {} ({})",
            if index.unique { "UNIQUE " } else { "" },
            self.q(&index.name),
            self.q(&model.table),
            columns
                .iter()
                .map(|c| self.q(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    /// Drop index `index` of `model`.
    pub fn remove_index(&mut self, model: &ModelMeta, index: &IndexMeta) {
        self.keep_fk_index(model, &index.fields);
        self.drop_index_named(&model.table, &index.name);
    }

    /// InnoDB drops the index it made for a foreign key once another index starts with
    /// that column, then refuses to drop that other index ("needed in a foreign key
    /// constraint"). Before dropping an index led by a foreign-key column, give the
    /// column an index of its own (Django does the same).
    fn keep_fk_index(&mut self, model: &ModelMeta, fields: &[String]) {
        if self.backend != Backend::MySql {
            return;
        }
        if let Some(f) = fields.first().and_then(|n| model.field(n))
            && f.relation().is_some()
        {
            self.create_column_index(&model.table, f);
        }
    }

    /// Add the composite UNIQUE constraint over `fields` (`after` has it in
    /// `unique_together`; SQLite rebuilds the table).
    pub fn add_unique(
        &mut self,
        before: &ModelMeta,
        after: &ModelMeta,
        fields: &[String],
    ) -> Result<()> {
        if self.backend == Backend::Sqlite {
            return self.remake(before, after);
        }
        let columns = columns_of(after, fields);
        let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
        self.sql.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
            self.q(&after.table),
            self.q(&index_name(&after.table, &refs, true)),
            columns
                .iter()
                .map(|c| self.q(c))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(())
    }

    /// Drop the composite UNIQUE constraint over `fields` (SQLite rebuilds the table).
    pub fn remove_unique(
        &mut self,
        before: &ModelMeta,
        after: &ModelMeta,
        fields: &[String],
    ) -> Result<()> {
        if self.backend == Backend::Sqlite {
            return self.remake(before, after);
        }
        self.keep_fk_index(before, fields);
        let columns = columns_of(before, fields);
        let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
        let name = index_name(&before.table, &refs, true);
        self.sql.push(match self.backend {
            Backend::MySql => format!(
                "ALTER TABLE {} DROP INDEX {}",
                self.q(&before.table),
                self.q(&name)
            ),
            _ => format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                self.q(&before.table),
                self.q(&name)
            ),
        });
        Ok(())
    }

    /// Rebuild `before.table` as `after` (SQLite's way to alter a table): create
    /// `new__<table>`, copy the rows (columns matched by field name; new columns get
    /// their default; a column becoming NOT NULL gets `COALESCE(column, default)`), drop
    /// the old table, rename the new one, recreate the indexes.
    pub fn remake(&mut self, before: &ModelMeta, after: &ModelMeta) -> Result<()> {
        let temp = format!("new__{}", after.table);
        let create = create_table_sql(self.backend, after).remove(0);
        let prefix = format!("CREATE TABLE {} ", self.q(&after.table));
        let create = format!(
            "CREATE TABLE {} {}",
            self.q(&temp),
            create.strip_prefix(&prefix).unwrap_or(&create)
        );
        let mut targets = Vec::new();
        let mut sources = Vec::new();
        for f in &after.fields {
            let expr = match before.field(f.name) {
                Some(old) => {
                    let col = self.q(&old.column);
                    match self.fill_literal(f) {
                        Some(lit) if old.null && !f.null => format!("COALESCE({col}, {lit})"),
                        _ => col,
                    }
                }
                None => match self.fill_literal(f) {
                    Some(lit) => lit,
                    // No value for existing rows: fine on an empty table; otherwise
                    // the database refuses (NOT NULL constraint failed).
                    None => "NULL".into(),
                },
            };
            targets.push(self.q(&f.column));
            sources.push(expr);
        }
        self.sql.push(create);
        self.sql.push(format!(
            "INSERT INTO {} ({}) SELECT {} FROM {}",
            self.q(&temp),
            targets.join(", "),
            sources.join(", "),
            self.q(&before.table)
        ));
        self.sql
            .push(format!("DROP TABLE {}", self.q(&before.table)));
        self.rename_table(&temp, &after.table);
        // The indexes were declared on the temporary name; create them on the real table.
        self.sql
            .extend(create_table_sql(self.backend, after).into_iter().skip(1));
        Ok(())
    }
}

/// Whether `a` and `b` differ only in their column name.
fn same_but_column(a: &FieldMeta, b: &FieldMeta) -> bool {
    let mut b2 = b.clone();
    b2.column = a.column.clone();
    crate::migrations::same_column(a, &b2)
}

fn columns_of(model: &ModelMeta, fields: &[String]) -> Vec<String> {
    fields
        .iter()
        .map(|n| model.field(n).map_or(n.clone(), |f| f.column.clone()))
        .collect()
}

/// Split a column definition after its type, so `DEFAULT` can go in between.
fn split_type(def: &str, backend: Backend, field: &FieldMeta) -> (String, String) {
    let head = format!(
        "{} {}",
        backend.quote(&field.column),
        column_type(backend, &field.kind)
    );
    let tail = def.strip_prefix(&head).unwrap_or("").to_string();
    (head, tail)
}
