//! Model-level operations: create, delete, rename; indexes and unique constraints.

use super::Op;
use crate::error::{Error, Result};
use crate::migrations::{Field, ProjectState};
use crate::model::{IndexMeta, ModelMeta};
use crate::schema::SchemaEditor;

/// Create a model: its table, indexes, unique constraints and join tables.
///
/// ```
/// use trellis_orm::migrations::prelude::*;
///
/// let op = CreateModel::new("Post", "blog_post")
///     .field("id", Field::big_auto().primary_key())
///     .field("title", Field::char(200))
///     .field("author", Field::foreign_key("blog.Author", "blog_author", "id"))
///     .unique_together(["author", "title"]);
/// assert_eq!(op.describe(), "Create model Post");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CreateModel {
    /// The model's name.
    pub name: &'static str,
    /// Its table.
    pub table: String,
    /// Its fields, in order (columns and many-to-many relations).
    pub fields: Vec<(&'static str, Field)>,
    /// Composite unique constraints.
    pub unique_together: Vec<Vec<String>>,
    /// Indexes.
    pub indexes: Vec<IndexMeta>,
}

impl CreateModel {
    /// Model `name` with table `table`, no fields yet.
    pub fn new(name: &'static str, table: &str) -> CreateModel {
        CreateModel {
            name,
            table: table.to_string(),
            fields: Vec::new(),
            unique_together: Vec::new(),
            indexes: Vec::new(),
        }
    }

    /// Add field `name`.
    pub fn field(mut self, name: &'static str, field: Field) -> CreateModel {
        self.fields.push((name, field));
        self
    }

    /// A composite UNIQUE constraint over `fields`.
    pub fn unique_together<'a>(mut self, fields: impl IntoIterator<Item = &'a str>) -> Self {
        self.unique_together
            .push(fields.into_iter().map(String::from).collect());
        self
    }

    /// An index called `name` over `fields`.
    pub fn index<'a>(mut self, name: &str, fields: impl IntoIterator<Item = &'a str>) -> Self {
        self.indexes.push(index_meta(name, fields, false));
        self
    }

    /// A unique index called `name` over `fields`.
    pub fn unique_index<'a>(
        mut self,
        name: &str,
        fields: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        self.indexes.push(index_meta(name, fields, true));
        self
    }

    /// A human description.
    pub fn describe(&self) -> String {
        Op::describe(self)
    }

    /// The operation creating `meta` as it is in a state.
    pub fn from_meta(meta: &ModelMeta) -> CreateModel {
        let mut op = CreateModel::new(meta.name, &meta.table);
        for f in &meta.fields {
            op.fields.push((f.name, Field::from_meta(f)));
        }
        for m in &meta.many_to_many {
            op.fields.push((m.name, Field::from_m2m(m)));
        }
        op.unique_together = meta.unique_together.clone();
        op.indexes = meta.indexes.clone();
        op
    }

    pub(crate) fn to_meta(&self, app: &'static str) -> ModelMeta {
        let mut meta = ModelMeta {
            app_label: app,
            name: self.name,
            table: self.table.clone(),
            fields: Vec::new(),
            many_to_many: Vec::new(),
            reverse: Vec::new(),
            ordering: Vec::new(),
            unique_together: self.unique_together.clone(),
            indexes: self.indexes.clone(),
            verbose_name: self.name.to_lowercase(),
            verbose_name_plural: format!("{}s", self.name.to_lowercase()),
        };
        for (name, f) in &self.fields {
            if let Some(col) = f.to_field_meta(name) {
                meta.fields.push(col);
            } else if let Some(m) = f.to_m2m_meta(name) {
                meta.many_to_many.push(m);
            }
        }
        meta
    }
}

pub(crate) fn index_meta<'a>(
    name: &str,
    fields: impl IntoIterator<Item = &'a str>,
    unique: bool,
) -> IndexMeta {
    IndexMeta {
        name: name.to_string(),
        fields: fields.into_iter().map(String::from).collect(),
        unique,
    }
}

/// The join tables of `model` (those without an explicit through model), created.
pub(crate) fn create_join_tables(
    ed: &mut SchemaEditor,
    model: &ModelMeta,
    state: &ProjectState,
) -> Result<()> {
    for m2m in &model.many_to_many {
        if m2m.through.is_some() {
            continue;
        }
        let target = if m2m.to == model.label() {
            model
        } else {
            state.model(&m2m.to).ok_or_else(|| {
                Error::Migration(format!(
                    "{}.{} points at {}, which is not in the migration state (a missing \
                     dependency?)",
                    model.label(),
                    m2m.name,
                    m2m.to
                ))
            })?
        };
        ed.create_m2m(model, m2m, &target.table, &target.pk().column);
    }
    Ok(())
}

fn drop_join_tables(ed: &mut SchemaEditor, model: &ModelMeta) {
    for m2m in &model.many_to_many {
        if m2m.through.is_none() {
            ed.drop_m2m(m2m);
        }
    }
}

impl Op for CreateModel {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        if state.model(&format!("{app}.{}", self.name)).is_some() {
            return Err(Error::Migration(format!(
                "cannot create model {app}.{}: it exists already",
                self.name
            )));
        }
        state.insert(self.to_meta(app));
        Ok(())
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        _: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        let model = to.get(app, self.name)?;
        ed.create_model(model);
        create_join_tables(ed, model, to)
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        _: &ProjectState,
    ) -> Result<()> {
        let model = from.get(app, self.name)?;
        drop_join_tables(ed, model);
        ed.delete_model(model);
        Ok(())
    }

    fn describe(&self) -> String {
        format!("Create model {}", self.name)
    }
}

/// Delete a model: drop its join tables and its table.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteModel {
    /// The model's name.
    pub name: &'static str,
}

impl DeleteModel {
    /// Delete model `name`.
    pub fn new(name: &'static str) -> DeleteModel {
        DeleteModel { name }
    }
}

impl Op for DeleteModel {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        state.remove(app, self.name).map(|_| ())
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        _: &ProjectState,
    ) -> Result<()> {
        let model = from.get(app, self.name)?;
        drop_join_tables(ed, model);
        ed.delete_model(model);
        Ok(())
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        _: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        let model = to.get(app, self.name)?;
        ed.create_model(model);
        create_join_tables(ed, model, to)
    }

    fn describe(&self) -> String {
        format!("Delete model {}", self.name)
    }
}

/// Rename a model and its table; relations pointing at it follow, and its join tables
/// named after the old table are renamed too.
#[derive(Debug, Clone, PartialEq)]
pub struct RenameModel {
    /// The old name.
    pub old_name: &'static str,
    /// The new name.
    pub new_name: &'static str,
    /// The new table.
    pub new_table: String,
}

impl RenameModel {
    /// Rename model `old_name` to `new_name`, its table to `new_table`.
    pub fn new(old_name: &'static str, new_name: &'static str, new_table: &str) -> RenameModel {
        RenameModel {
            old_name,
            new_name,
            new_table: new_table.to_string(),
        }
    }
}

fn rename_model_state(
    state: &mut ProjectState,
    app: &'static str,
    old: &'static str,
    new: &'static str,
    new_table: &str,
) -> Result<()> {
    let mut model = state.remove(app, old)?;
    let old_label = model.label();
    let old_table = model.table.clone();
    model.name = new;
    model.table = new_table.to_string();
    let new_label = model.label();
    let (old_col, new_col) = (
        format!("{}_id", old.to_lowercase()),
        format!("{}_id", new.to_lowercase()),
    );
    for m2m in &mut model.many_to_many {
        if m2m.through.is_none() && m2m.through_table == format!("{old_table}_{}", m2m.name) {
            m2m.through_table = format!("{new_table}_{}", m2m.name);
        }
        if m2m.source_column == old_col {
            m2m.source_column = new_col.clone();
        }
    }
    if state.model(&new_label).is_some() {
        return Err(Error::Migration(format!(
            "cannot rename {old_label} to {new_label}: {new_label} exists already"
        )));
    }
    state.insert(model);
    for m in state.models_mut() {
        for f in &mut m.fields {
            if let crate::FieldKind::ForeignKey(rel) = &mut f.kind
                && rel.to == old_label
            {
                rel.to = new_label.clone();
                rel.to_table = new_table.to_string();
            }
        }
        for m2m in &mut m.many_to_many {
            if m2m.to == old_label {
                m2m.to = new_label.clone();
                if m2m.target_column == old_col {
                    m2m.target_column = new_col.clone();
                }
            }
        }
    }
    Ok(())
}

/// The DDL taking the database from `src` (model `src_name`) to `dst` (`dst_name`).
fn rename_model_db(
    ed: &mut SchemaEditor,
    app: &'static str,
    src: &ProjectState,
    dst: &ProjectState,
    src_name: &str,
    dst_name: &str,
) -> Result<()> {
    let a = src.get(app, src_name)?;
    let b = dst.get(app, dst_name)?;
    ed.rename_table(&a.table, &b.table);
    let (a_label, b_label) = (a.label(), b.label());
    for model in dst.models() {
        let label = if model.label() == b_label {
            a_label.clone()
        } else {
            model.label()
        };
        let Some(before) = src.model(&label) else {
            continue;
        };
        for m2m in &model.many_to_many {
            let Some(old) = before.m2m(m2m.name) else {
                continue;
            };
            if m2m.through.is_some() {
                continue;
            }
            if old.through_table != m2m.through_table {
                ed.rename_table(&old.through_table, &m2m.through_table);
            }
            ed.rename_column(&m2m.through_table, &old.source_column, &m2m.source_column);
            ed.rename_column(&m2m.through_table, &old.target_column, &m2m.target_column);
        }
    }
    Ok(())
}

impl Op for RenameModel {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        rename_model_state(state, app, self.old_name, self.new_name, &self.new_table)
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        rename_model_db(ed, app, from, to, self.old_name, self.new_name)
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        rename_model_db(ed, app, from, to, self.new_name, self.old_name)
    }

    fn describe(&self) -> String {
        format!("Rename model {} to {}", self.old_name, self.new_name)
    }
}

/// Create an index on a model.
#[derive(Debug, Clone, PartialEq)]
pub struct AddIndex {
    /// The model's name.
    pub model: &'static str,
    /// The index.
    pub index: IndexMeta,
}

impl AddIndex {
    /// Index `name` over `fields` of `model`.
    pub fn new<'a>(
        model: &'static str,
        name: &str,
        fields: impl IntoIterator<Item = &'a str>,
    ) -> AddIndex {
        AddIndex {
            model,
            index: index_meta(name, fields, false),
        }
    }

    /// A unique index.
    pub fn unique(mut self) -> AddIndex {
        self.index.unique = true;
        self
    }
}

impl Op for AddIndex {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        state
            .get_mut(app, self.model)?
            .indexes
            .push(self.index.clone());
        Ok(())
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        _: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        ed.add_index(to.get(app, self.model)?, &self.index);
        Ok(())
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        _: &ProjectState,
    ) -> Result<()> {
        ed.remove_index(from.get(app, self.model)?, &self.index);
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "Create index {} on field(s) {} of model {}",
            self.index.name,
            self.index.fields.join(", "),
            self.model
        )
    }
}

/// Drop an index of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoveIndex {
    /// The model's name.
    pub model: &'static str,
    /// The index's name.
    pub name: String,
}

impl RemoveIndex {
    /// Drop index `name` of `model`.
    pub fn new(model: &'static str, name: &str) -> RemoveIndex {
        RemoveIndex {
            model,
            name: name.to_string(),
        }
    }
}

fn find_index(model: &ModelMeta, name: &str) -> Result<IndexMeta> {
    model
        .indexes
        .iter()
        .find(|i| i.name == name)
        .cloned()
        .ok_or_else(|| Error::Migration(format!("{} has no index {name}", model.label())))
}

impl Op for RemoveIndex {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        let model = state.get_mut(app, self.model)?;
        find_index(model, &self.name)?;
        model.indexes.retain(|i| i.name != self.name);
        Ok(())
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        _: &ProjectState,
    ) -> Result<()> {
        let model = from.get(app, self.model)?;
        ed.remove_index(model, &find_index(model, &self.name)?);
        Ok(())
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        _: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        let model = to.get(app, self.model)?;
        ed.add_index(model, &find_index(model, &self.name)?);
        Ok(())
    }

    fn describe(&self) -> String {
        format!("Remove index {} from {}", self.name, self.model)
    }
}

/// Add a composite UNIQUE constraint (`unique_together`).
#[derive(Debug, Clone, PartialEq)]
pub struct AddConstraint {
    /// The model's name.
    pub model: &'static str,
    /// The fields that are unique together.
    pub fields: Vec<String>,
}

impl AddConstraint {
    /// `fields` of `model` are unique together.
    pub fn unique<'a>(model: &'static str, fields: impl IntoIterator<Item = &'a str>) -> Self {
        AddConstraint {
            model,
            fields: fields.into_iter().map(String::from).collect(),
        }
    }
}

impl Op for AddConstraint {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        state
            .get_mut(app, self.model)?
            .unique_together
            .push(self.fields.clone());
        Ok(())
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        ed.add_unique(
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            &self.fields,
        )
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        ed.remove_unique(
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            &self.fields,
        )
    }

    fn describe(&self) -> String {
        format!(
            "Create constraint unique ({}) on model {}",
            self.fields.join(", "),
            self.model
        )
    }
}

/// Drop a composite UNIQUE constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoveConstraint {
    /// The model's name.
    pub model: &'static str,
    /// The fields that were unique together.
    pub fields: Vec<String>,
}

impl RemoveConstraint {
    /// `fields` of `model` are no longer unique together.
    pub fn unique<'a>(model: &'static str, fields: impl IntoIterator<Item = &'a str>) -> Self {
        RemoveConstraint {
            model,
            fields: fields.into_iter().map(String::from).collect(),
        }
    }
}

impl Op for RemoveConstraint {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        let model = state.get_mut(app, self.model)?;
        let before = model.unique_together.len();
        model.unique_together.retain(|g| g != &self.fields);
        if model.unique_together.len() == before {
            return Err(Error::Migration(format!(
                "{app}.{} has no unique constraint over ({})",
                self.model,
                self.fields.join(", ")
            )));
        }
        Ok(())
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        ed.remove_unique(
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            &self.fields,
        )
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        ed.add_unique(
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            &self.fields,
        )
    }

    fn describe(&self) -> String {
        format!(
            "Remove constraint unique ({}) from model {}",
            self.fields.join(", "),
            self.model
        )
    }
}
