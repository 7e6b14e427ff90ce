//! [`MigrationGraph`]: the migrations of every app and their dependencies (Django's
//! `graph.py` and `loader.py`): leaves, conflicts, forward and backward plans.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::migrations::{AppMigrations, Migration, ProjectState};

/// `(app, name)` of a migration.
pub type Key = (String, String);

/// The dependency graph of all migrations.
#[derive(Debug, Clone)]
pub struct MigrationGraph<'a> {
    nodes: BTreeMap<Key, &'a Migration>,
    parents: BTreeMap<Key, BTreeSet<Key>>,
    children: BTreeMap<Key, BTreeSet<Key>>,
    apps: Vec<&'static str>,
}

impl<'a> MigrationGraph<'a> {
    /// The graph of `apps`' migrations. Fails on unknown dependencies, duplicates and
    /// cycles.
    pub fn build(apps: &'a [AppMigrations]) -> Result<MigrationGraph<'a>> {
        let mut g = MigrationGraph {
            nodes: BTreeMap::new(),
            parents: BTreeMap::new(),
            children: BTreeMap::new(),
            apps: apps.iter().map(|a| a.label).collect(),
        };
        for app in apps {
            for m in &app.migrations {
                if m.app != app.label {
                    return Err(Error::Migration(format!(
                        "migration {}.{} is listed under app {}",
                        m.app, m.name, app.label
                    )));
                }
                if g.nodes.insert(m.key(), m).is_some() {
                    return Err(Error::Migration(format!(
                        "migration {}.{} is listed twice",
                        m.app, m.name
                    )));
                }
                g.parents.entry(m.key()).or_default();
                g.children.entry(m.key()).or_default();
            }
        }
        for m in g.nodes.values() {
            for dep in &m.dependencies {
                if !g.nodes.contains_key(dep) {
                    return Err(Error::Migration(format!(
                        "migration {}.{} depends on {}.{}, which does not exist{}",
                        m.app,
                        m.name,
                        dep.0,
                        dep.1,
                        if g.apps.contains(&dep.0.as_str()) {
                            ""
                        } else {
                            " (is the app in the list?)"
                        }
                    )));
                }
                g.parents.get_mut(&m.key()).unwrap().insert(dep.clone());
                g.children.get_mut(dep).unwrap().insert(m.key());
            }
        }
        g.topo()?;
        Ok(g)
    }

    /// The migration `key`.
    pub fn node(&self, key: &Key) -> Option<&'a Migration> {
        self.nodes.get(key).copied()
    }

    /// Whether app `app` is known.
    pub fn has_app(&self, app: &str) -> bool {
        self.apps.contains(&app)
    }

    /// Every migration, in an order where dependencies come first.
    pub fn topo(&self) -> Result<Vec<Key>> {
        let mut out = Vec::new();
        let mut done = BTreeSet::new();
        for key in self.nodes.keys() {
            self.visit(
                key,
                &self.parents,
                &mut done,
                &mut BTreeSet::new(),
                &mut out,
            )?;
        }
        Ok(out)
    }

    fn visit(
        &self,
        key: &Key,
        edges: &BTreeMap<Key, BTreeSet<Key>>,
        done: &mut BTreeSet<Key>,
        path: &mut BTreeSet<Key>,
        out: &mut Vec<Key>,
    ) -> Result<()> {
        if done.contains(key) {
            return Ok(());
        }
        if !path.insert(key.clone()) {
            return Err(Error::Migration(format!(
                "circular dependency among migrations at {}.{}",
                key.0, key.1
            )));
        }
        for next in &edges[key] {
            self.visit(next, edges, done, path, out)?;
        }
        path.remove(key);
        done.insert(key.clone());
        out.push(key.clone());
        Ok(())
    }

    /// The app's migrations that no other migration of the app depends on.
    pub fn leaves(&self, app: &str) -> Vec<Key> {
        self.nodes
            .keys()
            .filter(|k| k.0 == app && !self.children[*k].iter().any(|c| c.0 == app))
            .cloned()
            .collect()
    }

    /// The app's single leaf (`None` without migrations); an error when there are two or
    /// more (a conflict to merge).
    pub fn leaf(&self, app: &str) -> Result<Option<Key>> {
        let leaves = self.leaves(app);
        match leaves.len() {
            0 => Ok(None),
            1 => Ok(leaves.into_iter().next()),
            _ => Err(self.conflict_error(app, &leaves)),
        }
    }

    fn conflict_error(&self, app: &str, leaves: &[Key]) -> Error {
        let names: Vec<&str> = leaves.iter().map(|k| k.1.as_str()).collect();
        Error::Migration(format!(
            "conflicting migrations detected; multiple leaf nodes in the migration graph: \
             ({} in {app}). Merge them: write a migration that depends on all of them, e.g. \
             `Migration::new(\"{app}\", \"NNNN_merge\"){}` with no operations, and list it \
             in the app's migrations/mod.rs",
            names.join(", "),
            names
                .iter()
                .map(|n| format!(".depends_on(\"{app}\", \"{n}\")"))
                .collect::<String>()
        ))
    }

    /// Fail when any app has two leaves.
    pub fn check_conflicts(&self) -> Result<()> {
        for app in &self.apps {
            self.leaf(app)?;
        }
        Ok(())
    }

    /// `key` and everything it depends on, dependencies first.
    pub fn forwards_plan(&self, key: &Key) -> Result<Vec<Key>> {
        let mut out = Vec::new();
        self.visit(
            key,
            &self.parents,
            &mut BTreeSet::new(),
            &mut BTreeSet::new(),
            &mut out,
        )?;
        Ok(out)
    }

    /// `key` and everything that depends on it, dependents first.
    pub fn backwards_plan(&self, key: &Key) -> Result<Vec<Key>> {
        let mut out = Vec::new();
        self.visit(
            key,
            &self.children,
            &mut BTreeSet::new(),
            &mut BTreeSet::new(),
            &mut out,
        )?;
        Ok(out)
    }

    /// The migrations of `app` in dependency order.
    pub fn app_nodes(&self, app: &str) -> Result<Vec<Key>> {
        Ok(self.topo()?.into_iter().filter(|k| k.0 == app).collect())
    }

    /// The migration of `app` called `name`, or whose name starts with `name` (`0002`).
    pub fn resolve(&self, app: &str, name: &str) -> Result<Key> {
        if !self.has_app(app) {
            return Err(Error::Migration(format!(
                "unknown app {app:?}; apps: {}",
                self.apps.join(", ")
            )));
        }
        let exact = (app.to_string(), name.to_string());
        if self.nodes.contains_key(&exact) {
            return Ok(exact);
        }
        let found: Vec<&Key> = self
            .nodes
            .keys()
            .filter(|k| k.0 == app && k.1.starts_with(name))
            .collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::Migration(format!(
                "app {app} has no migration {name:?}; it has: {}",
                self.nodes
                    .keys()
                    .filter(|k| k.0 == app)
                    .map(|k| k.1.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            many => Err(Error::Migration(format!(
                "{name:?} matches several migrations of {app}: {}; be more specific",
                many.iter()
                    .map(|k| k.1.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The state after applying `keys` in order.
    pub fn state_of(&self, keys: &[Key]) -> Result<ProjectState> {
        let mut state = ProjectState::new();
        for k in keys {
            self.nodes[k].apply_state(&mut state)?;
        }
        Ok(state)
    }

    /// The state just before migration `key` (everything it depends on applied).
    pub fn state_before(&self, key: &Key) -> Result<ProjectState> {
        let mut plan = self.forwards_plan(key)?;
        plan.pop();
        self.state_of(&plan)
    }

    /// The state after every migration.
    pub fn full_state(&self) -> Result<ProjectState> {
        self.state_of(&self.topo()?)
    }
}
