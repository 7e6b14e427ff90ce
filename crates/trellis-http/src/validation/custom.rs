//! Custom checks that a JSON Schema cannot express (FastAPI's validators, garde's
//! `custom(...)`): registered per type on the app, run after the schema checks, reported as
//! `value_error`s at their own locations in the same 422.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use super::error::Loc;

/// A failed custom check: where (below the input's own location) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    /// Field path inside the value (`["items", 2, "price"]`); empty for the whole value.
    pub path: Vec<Loc>,
    /// The message (`"must be after start"`).
    pub message: String,
}

type CheckFn = Arc<dyn Fn(&dyn Any) -> Vec<CheckError> + Send + Sync>;

/// The custom checks of an app, by type (app state).
#[derive(Clone, Default)]
pub struct Checks(pub(crate) HashMap<TypeId, CheckFn>);

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checks")
            .field("types", &self.0.len())
            .finish()
    }
}

impl Checks {
    /// Add a check for `T`.
    pub fn add<T: 'static>(
        &mut self,
        check: impl Fn(&T) -> Vec<CheckError> + Send + Sync + 'static,
    ) {
        self.0.insert(
            TypeId::of::<T>(),
            Arc::new(move |v: &dyn Any| v.downcast_ref::<T>().map(&check).unwrap_or_default()),
        );
    }

    /// Run the check registered for `T`, if any.
    pub(crate) fn run<T: 'static>(&self, value: &T) -> Vec<CheckError> {
        if self.0.is_empty() {
            return Vec::new();
        }
        self.0
            .get(&TypeId::of::<T>())
            .map(|f| f(value))
            .unwrap_or_default()
    }
}

/// A `garde::Validate` report as check errors, located by garde's paths.
pub fn garde_errors(report: &garde::Report) -> Vec<CheckError> {
    report
        .iter()
        .map(|(path, error)| CheckError {
            path: path
                .__iter()
                .rev()
                .filter(|(_, c)| !c.is_empty())
                .map(|(kind, c)| match (kind, c.parse::<usize>()) {
                    (garde::error::Kind::Index, Ok(i)) => Loc::Index(i),
                    _ => Loc::Key(c.to_string()),
                })
                .collect(),
            message: error.message().to_string(),
        })
        .collect()
}
