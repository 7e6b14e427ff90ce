//! OpenAPI 3.1 for Trellis: the document generated from the routes, the validated input
//! types and the dependency graph, and the docs UIs served offline.

pub mod ui;
