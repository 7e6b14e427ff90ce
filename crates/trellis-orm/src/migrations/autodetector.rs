//! The autodetector (Django's `autodetector.py`): compares the state the migrations build
//! with the models in code and lists the operations that take one to the other.
//!
//! Only what the database sees is compared (see [`same_column`]): a changed
//! `verbose_name`, `help_text`, `choices` list or `ordering` makes no migration.
//! A removed and an added field (or model) with the same definition are a probable
//! rename: the [`Questioner`] decides, unless a [`Rename`] rule answers first.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::field::FieldMeta;
use crate::migrations::operations::{
    AddConstraint, AddField, AddIndex, AlterField, CreateModel, DeleteModel, RemoveConstraint,
    RemoveField, RemoveIndex, RenameField, RenameModel,
};
use crate::migrations::{Field, Operation, ProjectState, Questioner, same_column, same_m2m};
use crate::model::ModelMeta;

/// An explicit answer to a rename question, from the command line:
/// `blog.Post.title=headline` (field `title` of `blog.Post` became `headline`) or
/// `blog.Post=Article` (model `Post` became `Article`). A rule made with
/// [`Rename::parse_not`] (`--no-rename`) says the opposite: really remove and add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The app.
    pub app: String,
    /// The (old) model name.
    pub model: String,
    /// The old field name (`None` for a model rename).
    pub field: Option<String>,
    /// The new name.
    pub new: String,
    /// A rename (`true`) or explicitly not one (`false`).
    pub is_rename: bool,
}

impl Rename {
    /// Parse `app.Model.old=new` or `app.Model=New`.
    ///
    /// ```
    /// use trellis_orm::migrations::Rename;
    /// let r = Rename::parse("blog.Post.title=headline").unwrap();
    /// assert_eq!((r.field.as_deref(), r.new.as_str()), (Some("title"), "headline"));
    /// ```
    pub fn parse(s: &str) -> Result<Rename> {
        let bad = || {
            Error::Migration(format!(
                "invalid rename {s:?}: write app.Model.old_field=new_field or app.Model=NewModel"
            ))
        };
        let (lhs, new) = s.split_once('=').ok_or_else(bad)?;
        let parts: Vec<&str> = lhs.trim().split('.').collect();
        let new = new.trim();
        if new.is_empty() || parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        match parts.as_slice() {
            [app, model] => Ok(Rename {
                app: app.to_string(),
                model: model.to_string(),
                field: None,
                new: new.to_string(),
                is_rename: true,
            }),
            [app, model, field] => Ok(Rename {
                app: app.to_string(),
                model: model.to_string(),
                field: Some(field.to_string()),
                new: new.to_string(),
                is_rename: true,
            }),
            _ => Err(bad()),
        }
    }

    /// Parse a "not a rename" rule (same syntax).
    pub fn parse_not(s: &str) -> Result<Rename> {
        Ok(Rename {
            is_rename: false,
            ..Rename::parse(s)?
        })
    }
}

/// The operations of one app, and the other apps they point at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppChanges {
    /// The operations, in order.
    pub operations: Vec<Operation>,
    /// Labels of apps whose models the operations reference.
    pub depends_on_apps: BTreeSet<String>,
}

/// Compares states and asks about renames.
pub struct Autodetector<'q> {
    questioner: &'q dyn Questioner,
    renames: &'q [Rename],
}

impl std::fmt::Debug for Autodetector<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Autodetector")
            .field("renames", &self.renames)
            .finish()
    }
}

fn default_column(name: &str, f: &FieldMeta) -> String {
    match f.kind {
        crate::FieldKind::ForeignKey(_) => format!("{name}_id"),
        _ => name.to_string(),
    }
}

fn same_model_shape(a: &ModelMeta, b: &ModelMeta) -> bool {
    a.fields.len() == b.fields.len()
        && a.many_to_many.len() == b.many_to_many.len()
        && a.fields.iter().all(|f| {
            b.field(f.name)
                .is_some_and(|g| same_column(f, g) || (f.primary_key && g.primary_key))
        })
        && a.many_to_many
            .iter()
            .all(|m| b.m2m(m.name).is_some_and(|n| n.to == m.to))
}

impl<'q> Autodetector<'q> {
    /// An autodetector asking `questioner`, after consulting `renames`.
    pub fn new(questioner: &'q dyn Questioner, renames: &'q [Rename]) -> Self {
        Autodetector {
            questioner,
            renames,
        }
    }

    fn rule(&self, app: &str, model: &str, field: Option<&str>, new: &str) -> Option<bool> {
        self.renames
            .iter()
            .find(|r| {
                r.app == app && r.model == model && r.field.as_deref() == field && r.new == new
            })
            .map(|r| r.is_rename)
    }

    /// The operations taking `from` to `to`, for each app in `apps` (in that order).
    pub fn changes(
        &self,
        from: &ProjectState,
        to: &ProjectState,
        apps: &[&'static str],
    ) -> Result<BTreeMap<String, AppChanges>> {
        let mut out = BTreeMap::new();
        for app in apps {
            let ops = self.app_changes(from, to, app)?;
            if ops.is_empty() {
                continue;
            }
            let mut deps = BTreeSet::new();
            for op in &ops {
                for label in op.references(app) {
                    let other = label.split('.').next().unwrap_or_default().to_string();
                    if other != *app {
                        deps.insert(other);
                    }
                }
            }
            out.insert(
                app.to_string(),
                AppChanges {
                    operations: ops,
                    depends_on_apps: deps,
                },
            );
        }
        Ok(out)
    }

    fn app_changes(
        &self,
        from: &ProjectState,
        to: &ProjectState,
        app: &'static str,
    ) -> Result<Vec<Operation>> {
        let mut working = from.clone();
        let mut renames_model = Vec::new();
        let mut creates = Vec::new();
        let mut renames_field = Vec::new();
        let mut removes_meta = Vec::new();
        let mut removes = Vec::new();
        let mut adds = Vec::new();
        let mut alters = Vec::new();
        let mut adds_meta = Vec::new();
        let mut deletes = Vec::new();

        // Model renames.
        let added: Vec<&ModelMeta> = to
            .app_models(app)
            .into_iter()
            .filter(|m| from.model(&m.label()).is_none())
            .collect();
        let mut matched = BTreeSet::new();
        for new in &added {
            let removed: Vec<ModelMeta> = working
                .app_models(app)
                .into_iter()
                .filter(|m| to.model(&m.label()).is_none() && !matched.contains(&m.label()))
                .cloned()
                .collect();
            for old in removed {
                if !same_model_shape(&old, new) {
                    continue;
                }
                let yes = match self.rule(app, old.name, None, new.name) {
                    Some(answer) => answer,
                    None => self
                        .questioner
                        .ask_rename_model(&old.label(), &new.label())?,
                };
                if yes {
                    let op = RenameModel::new(old.name, new.name, &new.table);
                    Operation::from(op.clone()).state_forwards(app, &mut working)?;
                    renames_model.push(Operation::from(op));
                    matched.insert(old.label());
                    break;
                }
            }
        }

        // Created models, referenced models first.
        let mut to_create: Vec<&ModelMeta> = to
            .app_models(app)
            .into_iter()
            .filter(|m| working.model(&m.label()).is_none())
            .collect();
        let mut created: BTreeSet<String> = BTreeSet::new();
        let pending = |m: &ModelMeta, created: &BTreeSet<String>, all: &[&ModelMeta]| {
            let waiting: BTreeSet<String> = all
                .iter()
                .map(|x| x.label())
                .filter(|l| !created.contains(l) && *l != m.label())
                .collect();
            let mut refs: Vec<String> = m
                .fields
                .iter()
                .filter_map(|f| f.relation().map(|r| r.to.clone()))
                .collect();
            refs.extend(m.many_to_many.iter().map(|x| x.to.clone()));
            refs.into_iter().filter(|r| waiting.contains(r)).count()
        };
        while !to_create.is_empty() {
            let all = to_create.clone();
            let pos = to_create
                .iter()
                .position(|m| pending(m, &created, &all) == 0)
                .unwrap_or(0);
            let model = to_create.remove(pos);
            let waiting: BTreeSet<String> = to_create.iter().map(|m| m.label()).collect();
            // Relations to models still to create (a cycle) become later AddFields.
            let mut now = model.clone();
            let mut later = Vec::new();
            now.fields.retain(|f| match f.relation() {
                Some(r) if waiting.contains(&r.to) => {
                    later.push(AddField::new(model.name, f.name, Field::from_meta(f)));
                    false
                }
                _ => true,
            });
            now.many_to_many.retain(|m| {
                if waiting.contains(&m.to) {
                    later.push(AddField::new(model.name, m.name, Field::from_m2m(m)));
                    false
                } else {
                    true
                }
            });
            creates.push(Operation::from(CreateModel::from_meta(&now)));
            adds.extend(later.into_iter().map(Operation::from));
            created.insert(model.label());
        }

        // Deleted models, those referencing others first.
        let mut to_delete: Vec<ModelMeta> = working
            .app_models(app)
            .into_iter()
            .filter(|m| to.model(&m.label()).is_none())
            .cloned()
            .collect();
        while !to_delete.is_empty() {
            let referenced = |label: &str| {
                to_delete.iter().any(|m| {
                    m.label() != label
                        && (m
                            .fields
                            .iter()
                            .any(|f| f.relation().is_some_and(|r| r.to == label))
                            || m.many_to_many.iter().any(|x| x.to == label))
                })
            };
            let pos = to_delete
                .iter()
                .position(|m| !referenced(&m.label()))
                .unwrap_or(0);
            let m = to_delete.remove(pos);
            deletes.push(Operation::from(DeleteModel::new(m.name)));
        }

        // Kept models.
        for new in to.app_models(app) {
            let Some(old) = working.model(&new.label()).cloned() else {
                continue;
            };
            let name = new.name;
            // Field renames.
            let mut old_m = old.clone();
            let added: Vec<&FieldMeta> = new
                .fields
                .iter()
                .filter(|f| old_m.field(f.name).is_none())
                .collect();
            for f in added {
                let candidates: Vec<FieldMeta> = old_m
                    .fields
                    .iter()
                    .filter(|o| new.field(o.name).is_none())
                    .cloned()
                    .collect();
                for o in candidates {
                    let mut probe = o.clone();
                    if o.column == default_column(o.name, &o) {
                        probe.column = default_column(f.name, &o);
                    }
                    if !same_column(&probe, f) {
                        continue;
                    }
                    let yes = match self.rule(app, name, Some(o.name), f.name) {
                        Some(a) => a,
                        None => self
                            .questioner
                            .ask_rename_field(&new.label(), o.name, f.name)?,
                    };
                    if yes {
                        let op = Operation::from(RenameField::new(name, o.name, f.name));
                        op.state_forwards(app, &mut working)?;
                        old_m = working.model(&new.label()).cloned().unwrap();
                        renames_field.push(op);
                        break;
                    }
                }
            }
            let added_m2m: Vec<_> = new
                .many_to_many
                .iter()
                .filter(|m| old_m.m2m(m.name).is_none())
                .collect();
            for m in added_m2m {
                let candidates: Vec<_> = old_m
                    .many_to_many
                    .iter()
                    .filter(|o| new.m2m(o.name).is_none() && o.to == m.to && o.through == m.through)
                    .cloned()
                    .collect();
                for o in candidates {
                    let yes = match self.rule(app, name, Some(o.name), m.name) {
                        Some(a) => a,
                        None => self
                            .questioner
                            .ask_rename_field(&new.label(), o.name, m.name)?,
                    };
                    if yes {
                        let op = Operation::from(RenameField::new(name, o.name, m.name));
                        op.state_forwards(app, &mut working)?;
                        old_m = working.model(&new.label()).cloned().unwrap();
                        renames_field.push(op);
                        break;
                    }
                }
            }
            let old = old_m;

            for idx in &old.indexes {
                if !new.indexes.contains(idx) {
                    removes_meta.push(Operation::from(RemoveIndex::new(name, &idx.name)));
                }
            }
            for g in &old.unique_together {
                if !new.unique_together.contains(g) {
                    removes_meta.push(Operation::from(RemoveConstraint::unique(
                        name,
                        g.iter().map(String::as_str),
                    )));
                }
            }
            for f in &old.fields {
                if new.field(f.name).is_none() {
                    removes.push(Operation::from(RemoveField::new(name, f.name)));
                }
            }
            for m in &old.many_to_many {
                match new.m2m(m.name) {
                    None => removes.push(Operation::from(RemoveField::new(name, m.name))),
                    Some(n) if !same_m2m(m, n) => {
                        removes.push(Operation::from(RemoveField::new(name, m.name)));
                        adds.push(Operation::from(AddField::new(
                            name,
                            n.name,
                            Field::from_m2m(n),
                        )));
                    }
                    Some(_) => {}
                }
            }
            for f in &new.fields {
                match old.field(f.name) {
                    None => {
                        if !f.null && f.default.is_none() && !f.primary_key {
                            return Err(Error::Migration(format!(
                                "cannot add the NOT NULL field {}.{} without a default: the \
                                 existing rows need a value. Give it a default \
                                 (#[field(default = ...)]) or make it an Option",
                                new.label(),
                                f.name
                            )));
                        }
                        adds.push(Operation::from(AddField::new(
                            name,
                            f.name,
                            Field::from_meta(f),
                        )));
                    }
                    Some(o) if !same_column(o, f) => {
                        alters.push(Operation::from(AlterField::new(
                            name,
                            f.name,
                            Field::from_meta(f),
                        )));
                    }
                    Some(_) => {}
                }
            }
            for m in &new.many_to_many {
                if old.m2m(m.name).is_none() {
                    adds.push(Operation::from(AddField::new(
                        name,
                        m.name,
                        Field::from_m2m(m),
                    )));
                }
            }
            for idx in &new.indexes {
                if !old.indexes.contains(idx) {
                    adds_meta.push(Operation::from(AddIndex {
                        model: name,
                        index: idx.clone(),
                    }));
                }
            }
            for g in &new.unique_together {
                if !old.unique_together.contains(g) {
                    adds_meta.push(Operation::from(AddConstraint::unique(
                        name,
                        g.iter().map(String::as_str),
                    )));
                }
            }
        }

        let mut ops = renames_model;
        ops.extend(creates);
        ops.extend(renames_field);
        ops.extend(removes_meta);
        ops.extend(removes);
        ops.extend(adds);
        ops.extend(alters);
        ops.extend(adds_meta);
        ops.extend(deletes);
        Ok(ops)
    }
}

/// Whether two states agree on everything the database sees, for the models of `app`.
pub fn same_app_state(a: &ProjectState, b: &ProjectState, app: &str) -> bool {
    let (x, y) = (a.app_models(app), b.app_models(app));
    x.len() == y.len()
        && x.iter().all(|m| {
            b.model(&m.label()).is_some_and(|n| {
                m.table == n.table
                    && m.fields.len() == n.fields.len()
                    && m.fields
                        .iter()
                        .all(|f| n.field(f.name).is_some_and(|g| same_column(f, g)))
                    && m.many_to_many.len() == n.many_to_many.len()
                    && m.many_to_many
                        .iter()
                        .all(|f| n.m2m(f.name).is_some_and(|g| same_m2m(f, g)))
                    && set_eq(&m.unique_together, &n.unique_together)
                    && set_eq(&m.indexes, &n.indexes)
            })
        })
}

fn set_eq<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}
