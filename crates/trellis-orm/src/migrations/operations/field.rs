//! Field-level operations: add, remove, alter, rename.

use super::Op;
use super::model::create_join_tables;
use crate::error::{Error, Result};
use crate::field::FieldMeta;
use crate::migrations::{Field, ProjectState};
use crate::model::ModelMeta;
use crate::schema::SchemaEditor;

/// Add a field to a model: a column (existing rows get the field's default), or a
/// many-to-many relation (its join table).
#[derive(Debug, Clone, PartialEq)]
pub struct AddField {
    /// The model's name.
    pub model: &'static str,
    /// The field's name.
    pub name: &'static str,
    /// The field.
    pub field: Field,
}

impl AddField {
    /// Add `field` as `model.name`.
    pub fn new(model: &'static str, name: &'static str, field: Field) -> AddField {
        AddField { model, name, field }
    }
}

fn column<'m>(model: &'m ModelMeta, name: &str) -> Result<&'m FieldMeta> {
    model
        .field(name)
        .ok_or_else(|| Error::Migration(format!("{} has no field {name}", model.label())))
}

fn add_to_state(model: &mut ModelMeta, name: &'static str, field: &Field) -> Result<()> {
    if model.field(name).is_some() || model.m2m(name).is_some() {
        return Err(Error::Migration(format!(
            "cannot add field {}.{name}: it exists already",
            model.label()
        )));
    }
    if let Some(f) = field.to_field_meta(name) {
        model.fields.push(f);
    } else if let Some(m) = field.to_m2m_meta(name) {
        model.many_to_many.push(m);
    }
    Ok(())
}

/// Create the column or join table `name`, present in `after` and absent in `before`.
fn db_add(
    ed: &mut SchemaEditor,
    before: &ModelMeta,
    after: &ModelMeta,
    name: &str,
    state: &ProjectState,
) -> Result<()> {
    if let Some(f) = after.field(name) {
        return ed.add_field(before, after, f);
    }
    let mut only = after.clone();
    only.many_to_many.retain(|m| m.name == name);
    create_join_tables(ed, &only, state)
}

/// Drop the column or join table `name`, present in `before` and absent in `after`.
fn db_remove(
    ed: &mut SchemaEditor,
    before: &ModelMeta,
    after: &ModelMeta,
    name: &str,
) -> Result<()> {
    if let Some(f) = before.field(name) {
        return ed.remove_field(before, after, f);
    }
    match before.m2m(name) {
        Some(m) if m.through.is_none() => ed.drop_m2m(m),
        Some(_) => {}
        None => {
            return Err(Error::Migration(format!(
                "{} has no field {name}",
                before.label()
            )));
        }
    }
    Ok(())
}

impl Op for AddField {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        add_to_state(state.get_mut(app, self.model)?, self.name, &self.field)
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        db_add(
            ed,
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            self.name,
            to,
        )
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        db_remove(
            ed,
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            self.name,
        )
    }

    fn describe(&self) -> String {
        format!("Add field {} to {}", self.name, self.model.to_lowercase())
    }
}

/// Remove a field from a model (its column, or its join table).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoveField {
    /// The model's name.
    pub model: &'static str,
    /// The field's name.
    pub name: &'static str,
}

impl RemoveField {
    /// Remove `model.name`.
    pub fn new(model: &'static str, name: &'static str) -> RemoveField {
        RemoveField { model, name }
    }
}

impl Op for RemoveField {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        let model = state.get_mut(app, self.model)?;
        let (nf, nm) = (model.fields.len(), model.many_to_many.len());
        model.fields.retain(|f| f.name != self.name);
        model.many_to_many.retain(|m| m.name != self.name);
        if model.fields.len() == nf && model.many_to_many.len() == nm {
            return Err(Error::Migration(format!(
                "cannot remove {app}.{}.{}: no such field",
                self.model, self.name
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
        db_remove(
            ed,
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            self.name,
        )
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        db_add(
            ed,
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            self.name,
            to,
        )
    }

    fn describe(&self) -> String {
        format!(
            "Remove field {} from {}",
            self.name,
            self.model.to_lowercase()
        )
    }
}

/// Change a column field's definition (type, NULL, UNIQUE, index, default, relation).
#[derive(Debug, Clone, PartialEq)]
pub struct AlterField {
    /// The model's name.
    pub model: &'static str,
    /// The field's name.
    pub name: &'static str,
    /// The new definition.
    pub field: Field,
}

impl AlterField {
    /// Give `model.name` the definition `field`.
    pub fn new(model: &'static str, name: &'static str, field: Field) -> AlterField {
        AlterField { model, name, field }
    }
}

impl Op for AlterField {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        let model = state.get_mut(app, self.model)?;
        let new = self.field.to_field_meta(self.name).ok_or_else(|| {
            Error::Migration(format!(
                "AlterField {}.{}: many-to-many relations cannot be altered; remove the field \
                 and add it again",
                self.model, self.name
            ))
        })?;
        let i = model.field_index(self.name).ok_or_else(|| {
            Error::Migration(format!(
                "cannot alter {app}.{}.{}: no such field",
                self.model, self.name
            ))
        })?;
        model.fields[i] = new;
        Ok(())
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        let (a, b) = (from.get(app, self.model)?, to.get(app, self.model)?);
        ed.alter_field(a, b, column(a, self.name)?, column(b, self.name)?)
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        self.database_forwards(app, ed, from, to)
    }

    fn describe(&self) -> String {
        format!("Alter field {} on {}", self.name, self.model.to_lowercase())
    }
}

/// Rename a field; its column follows when it was named after the field, and so does a
/// many-to-many join table named after it.
#[derive(Debug, Clone, PartialEq)]
pub struct RenameField {
    /// The model's name.
    pub model: &'static str,
    /// The old field name.
    pub old_name: &'static str,
    /// The new field name.
    pub new_name: &'static str,
}

impl RenameField {
    /// Rename `model.old_name` to `new_name`.
    pub fn new(model: &'static str, old_name: &'static str, new_name: &'static str) -> Self {
        RenameField {
            model,
            old_name,
            new_name,
        }
    }
}

fn rename_in_state(
    state: &mut ProjectState,
    app: &'static str,
    model_name: &'static str,
    old: &'static str,
    new: &'static str,
) -> Result<()> {
    let model = state.get_mut(app, model_name)?;
    if model.field(new).is_some() || model.m2m(new).is_some() {
        return Err(Error::Migration(format!(
            "cannot rename {app}.{model_name}.{old} to {new}: {new} exists already"
        )));
    }
    let table = model.table.clone();
    let mut column_change = None;
    if let Some(i) = model.field_index(old) {
        let f = &mut model.fields[i];
        let default_old = FieldMeta::new(old, f.kind.clone()).column;
        if f.column == default_old {
            let new_col = FieldMeta::new(new, f.kind.clone()).column;
            column_change = Some((f.column.clone(), new_col.clone()));
            f.column = new_col;
        }
        f.name = new;
    } else if let Some(m) = model.many_to_many.iter_mut().find(|m| m.name == old) {
        if m.through.is_none() && m.through_table == format!("{table}_{old}") {
            m.through_table = format!("{table}_{new}");
        }
        m.name = new;
    } else {
        return Err(Error::Migration(format!(
            "cannot rename {app}.{model_name}.{old}: no such field"
        )));
    }
    for group in &mut model.unique_together {
        for n in group.iter_mut() {
            if n == old {
                *n = new.to_string();
            }
        }
    }
    for idx in &mut model.indexes {
        for n in idx.fields.iter_mut() {
            if n == old {
                *n = new.to_string();
            }
        }
    }
    if let Some((old_col, new_col)) = column_change {
        for m in state.models_mut() {
            for f in &mut m.fields {
                if let crate::FieldKind::ForeignKey(rel) = &mut f.kind
                    && rel.to_table == table
                    && rel.to_column == old_col
                {
                    rel.to_column = new_col.clone();
                }
            }
        }
    }
    Ok(())
}

fn rename_db(
    ed: &mut SchemaEditor,
    a: &ModelMeta,
    b: &ModelMeta,
    a_name: &str,
    b_name: &str,
) -> Result<()> {
    if let (Some(x), Some(y)) = (a.field(a_name), b.field(b_name)) {
        ed.rename_column(&b.table, &x.column, &y.column);
        return Ok(());
    }
    if let (Some(x), Some(y)) = (a.m2m(a_name), b.m2m(b_name)) {
        if x.through.is_none() && x.through_table != y.through_table {
            ed.rename_table(&x.through_table, &y.through_table);
        }
        return Ok(());
    }
    Err(Error::Migration(format!(
        "cannot rename {}.{a_name}: no such field",
        a.label()
    )))
}

impl Op for RenameField {
    fn state_forwards(&self, app: &'static str, state: &mut ProjectState) -> Result<()> {
        rename_in_state(state, app, self.model, self.old_name, self.new_name)
    }

    fn database_forwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        rename_db(
            ed,
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            self.old_name,
            self.new_name,
        )
    }

    fn database_backwards(
        &self,
        app: &'static str,
        ed: &mut SchemaEditor,
        from: &ProjectState,
        to: &ProjectState,
    ) -> Result<()> {
        rename_db(
            ed,
            from.get(app, self.model)?,
            to.get(app, self.model)?,
            self.new_name,
            self.old_name,
        )
    }

    fn describe(&self) -> String {
        format!(
            "Rename field {} on {} to {}",
            self.old_name,
            self.model.to_lowercase(),
            self.new_name
        )
    }
}
