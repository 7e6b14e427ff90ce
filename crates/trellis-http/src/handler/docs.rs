//! Handler doc comments as OpenAPI text: what `#[handler]` registers and the router reads.
//!
//! `#[handler]` (in `trellis-macros`) leaves the function as it is and submits, next to it,
//! a [`HandlerDoc`]: a function returning the [`TypeId`] of the function's item type, its
//! doc text and whether it is `#[deprecated]`. When a route is built (`get(list_items)`),
//! the router looks the handler's own type up in a map made once from every submitted
//! entry. A `TypeId` names exactly one function, wherever it is declared (a nested module,
//! a function body), so no path has to be matched as text.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::extract::OperationDocs;

/// One documented handler, as `#[handler]` registers it. Not for use by hand.
#[doc(hidden)]
#[derive(Debug)]
pub struct HandlerDoc {
    key: fn() -> TypeId,
    doc: &'static str,
    deprecated: bool,
}

impl HandlerDoc {
    /// The handler whose type `key` returns, its doc text, whether it is deprecated.
    pub const fn new(key: fn() -> TypeId, doc: &'static str, deprecated: bool) -> Self {
        HandlerDoc {
            key,
            doc,
            deprecated,
        }
    }
}

inventory::collect!(HandlerDoc);

/// What `#[handler]` emits refers to these, through `trellis_http::handler::__private`.
#[doc(hidden)]
pub mod __private {
    pub use super::HandlerDoc;
    pub use inventory;

    /// The `TypeId` of a function's item type: the `H` that `get(f)` sees.
    pub fn key_of<F: 'static>(_: &F) -> std::any::TypeId {
        std::any::TypeId::of::<F>()
    }

    /// The `TypeId` of `blocking(f)`'s type, `Args` being the tuple of `f`'s argument types.
    pub fn blocking_key_of<F: 'static, Args: 'static>(_: &F) -> std::any::TypeId {
        std::any::TypeId::of::<crate::handler::Blocking<F, Args>>()
    }
}

/// Parsed docs of a handler: summary (first paragraph), description (the rest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ParsedDoc {
    pub(crate) summary: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) deprecated: bool,
}

fn registry() -> &'static HashMap<TypeId, ParsedDoc> {
    static MAP: OnceLock<HashMap<TypeId, ParsedDoc>> = OnceLock::new();
    MAP.get_or_init(|| {
        inventory::iter::<HandlerDoc>
            .into_iter()
            .map(|entry| {
                let (summary, description) = split_doc(entry.doc);
                let parsed = ParsedDoc {
                    summary,
                    description,
                    deprecated: entry.deprecated,
                };
                ((entry.key)(), parsed)
            })
            .collect()
    })
}

/// Fill `docs` from the doc comments of handler type `H`, if it was marked `#[handler]`.
/// Called when the route is built, before `.summary()`/`.description()`, so those win.
pub(crate) fn fill_from_handler<H: 'static>(docs: &mut OperationDocs) {
    if let Some(parsed) = registry().get(&TypeId::of::<H>()) {
        docs.summary.clone_from(&parsed.summary);
        docs.description.clone_from(&parsed.description);
        docs.deprecated |= parsed.deprecated;
    }
}

/// Split doc text into a summary (the first paragraph, its lines joined by spaces, without
/// a final period) and a description (the paragraphs after it, Markdown kept). The
/// indentation common to every line (the space after `///`) is removed, as rustdoc does.
pub(crate) fn split_doc(doc: &str) -> (Option<String>, Option<String>) {
    let indent = doc
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = doc
        .lines()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect();
    let mut rest = lines.iter().skip_while(|l| l.is_empty()).peekable();
    let mut summary = Vec::new();
    while let Some(line) = rest.next_if(|l| !l.is_empty()) {
        summary.push(line.trim());
    }
    let description = rest
        .skip_while(|l| l.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let description = description.trim_end();
    let mut summary = summary.join(" ");
    // A doc comment's first sentence ends with a period; an API summary is a title.
    if summary.ends_with('.') && !summary.ends_with("..") {
        summary.pop();
    }
    (
        (!summary.is_empty()).then_some(summary),
        (!description.is_empty()).then(|| description.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::split_doc;

    fn split(doc: &str) -> (Option<String>, Option<String>) {
        split_doc(doc)
    }

    #[test]
    fn first_paragraph_is_the_summary_and_the_rest_the_description() {
        let doc = " List the items.\n\n A page of items, filtered by `q`.\n\n - one\n - two\n";
        assert_eq!(
            split(doc),
            (
                Some("List the items".into()),
                Some("A page of items, filtered by `q`.\n\n- one\n- two".into())
            )
        );
    }

    #[test]
    fn a_summary_wrapped_over_lines_is_joined() {
        assert_eq!(
            split(" List the items\n of the shop.\n"),
            (Some("List the items of the shop".into()), None)
        );
    }

    #[test]
    fn deeper_indentation_is_kept_and_blank_docs_give_nothing() {
        assert_eq!(
            split(" Run.\n\n ```\n fn f() {\n     x();\n }\n ```"),
            (
                Some("Run".into()),
                Some("```\nfn f() {\n    x();\n}\n```".into())
            )
        );
        assert_eq!(split(""), (None, None));
        assert_eq!(split("\n  \n"), (None, None));
    }

    #[test]
    fn only_a_single_final_period_is_dropped() {
        assert_eq!(split(" Wait...\n"), (Some("Wait...".into()), None));
        assert_eq!(split(" Go!\n"), (Some("Go!".into()), None));
    }

    #[test]
    fn leading_blank_lines_are_skipped() {
        assert_eq!(
            split("\n\n Summary.\n\n\n More.\n"),
            (Some("Summary".into()), Some("More.".into()))
        );
    }
}
