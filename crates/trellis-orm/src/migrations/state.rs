//! [`ProjectState`]: the models as the migrations describe them (Django's
//! `ProjectState`), built by applying operations in graph order.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::model::ModelMeta;

/// Every model of every app, as data, keyed by label (`blog.Post`).
///
/// Models in a state are plain [`ModelMeta`] values whose `related` pointers are `None`:
/// relations are known by label (`Relation::to`, `ManyToManyMeta::to`) and table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectState {
    models: BTreeMap<String, ModelMeta>,
}

/// A model's metadata without its code pointers and reverse accessors (what a state
/// holds).
pub(crate) fn strip(meta: &ModelMeta) -> ModelMeta {
    let mut m = meta.clone();
    for f in &mut m.fields {
        f.related = None;
    }
    for m2m in &mut m.many_to_many {
        m2m.related = None;
    }
    m.reverse.clear();
    m
}

impl ProjectState {
    /// An empty state.
    pub fn new() -> Self {
        ProjectState::default()
    }

    /// The state of the given models (as declared in code).
    pub fn from_models<'a>(models: impl IntoIterator<Item = &'a ModelMeta>) -> Self {
        let mut s = ProjectState::new();
        for m in models {
            s.models.insert(m.label(), strip(m));
        }
        s
    }

    /// The model labelled `label` (`blog.Post`).
    pub fn model(&self, label: &str) -> Option<&ModelMeta> {
        self.models.get(label)
    }

    /// The model `app.name`, or an error naming it.
    pub fn get(&self, app: &str, name: &str) -> Result<&ModelMeta> {
        self.models.get(&format!("{app}.{name}")).ok_or_else(|| {
            Error::Migration(format!("no model {app}.{name} in the migration state"))
        })
    }

    /// The model `app.name`, mutable.
    pub fn get_mut(&mut self, app: &str, name: &str) -> Result<&mut ModelMeta> {
        self.models
            .get_mut(&format!("{app}.{name}"))
            .ok_or_else(|| {
                Error::Migration(format!("no model {app}.{name} in the migration state"))
            })
    }

    /// Add (or replace) a model.
    pub fn insert(&mut self, model: ModelMeta) {
        self.models.insert(model.label(), model);
    }

    /// Remove model `app.name`.
    pub fn remove(&mut self, app: &str, name: &str) -> Result<ModelMeta> {
        self.models.remove(&format!("{app}.{name}")).ok_or_else(|| {
            Error::Migration(format!("no model {app}.{name} in the migration state"))
        })
    }

    /// Every model, by label.
    pub fn models(&self) -> impl Iterator<Item = &ModelMeta> {
        self.models.values()
    }

    /// The models of app `app`.
    pub fn app_models(&self, app: &str) -> Vec<&ModelMeta> {
        self.models
            .values()
            .filter(|m| m.app_label == app)
            .collect()
    }

    /// Replace every model of app `app` with `models`.
    pub fn replace_app(&mut self, app: &str, models: &[&ModelMeta]) {
        self.models.retain(|_, m| m.app_label != app);
        for m in models {
            self.models.insert(m.label(), strip(m));
        }
    }

    /// All models, mutable (for renames that update references).
    pub(crate) fn models_mut(&mut self) -> impl Iterator<Item = &mut ModelMeta> {
        self.models.values_mut()
    }
}
