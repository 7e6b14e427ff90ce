//! Generating the OpenAPI 3.1 document from the route table: paths and methods from the
//! patterns, parameters and request bodies from the validated inputs' JSON Schemas,
//! `components/schemas` from their definitions, and the 422 `HTTPValidationError` on every
//! operation that validates input.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use trellis_http::Method;
use trellis_http::extract::Source;
use trellis_http::routing::{RouteInfo, Segment};

/// What goes into the document besides the routes.
#[derive(Debug, Clone)]
pub struct DocumentInfo {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// Paths left out of the document (the docs pages themselves, say).
    pub hidden_paths: Vec<String>,
    /// The status validation errors are answered with (422 unless the app says otherwise).
    pub validation_status: u16,
    /// The schema of a custom validation error body (`None`: FastAPI's `HTTPValidationError`).
    pub validation_schema: Option<Value>,
    /// `servers` (URLs), if any.
    pub servers: Vec<String>,
}

impl Default for DocumentInfo {
    fn default() -> Self {
        DocumentInfo {
            title: "API".into(),
            version: "0.1.0".into(),
            description: None,
            hidden_paths: Vec::new(),
            validation_status: 422,
            validation_schema: None,
            servers: Vec::new(),
        }
    }
}

/// Schemas collected for `components/schemas`, without duplicate names.
#[derive(Default)]
struct Components {
    schemas: BTreeMap<String, Value>,
}

impl Components {
    /// Add a type's definitions and return its schema with `$ref`s pointing into components.
    fn add_root(&mut self, schema: &Value) -> Value {
        let mut renames = BTreeMap::new();
        if let Some(defs) = schema.get("$defs").and_then(Value::as_object) {
            for (name, def) in defs {
                let final_name = self.insert(name, def.clone());
                renames.insert(name.clone(), final_name);
            }
        }
        // Rewrite after all names are known (definitions refer to each other).
        for name in renames.values() {
            if let Some(mut def) = self.schemas.remove(name) {
                rewrite_refs(&mut def, &renames);
                self.schemas.insert(name.clone(), def);
            }
        }
        let mut root = schema.clone();
        if let Some(obj) = root.as_object_mut() {
            obj.remove("$defs");
            obj.remove("$schema");
        }
        rewrite_refs(&mut root, &renames);
        root
    }

    /// Insert under `name`, or `name2`, `name3`... if a different schema has that name.
    fn insert(&mut self, name: &str, schema: Value) -> String {
        let mut candidate = name.to_string();
        let mut n = 1;
        loop {
            match self.schemas.get(&candidate) {
                None => {
                    self.schemas.insert(candidate.clone(), schema);
                    return candidate;
                }
                Some(existing) if same_modulo_title(existing, &schema) => return candidate,
                Some(_) => {
                    n += 1;
                    candidate = format!("{name}{n}");
                }
            }
        }
    }

    /// A body schema: object types become components referenced by name.
    fn body_ref(&mut self, schema: Value) -> Value {
        let title = schema
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_string);
        match title {
            Some(t) if schema.get("type").and_then(Value::as_str) == Some("object") => {
                let name = self.insert(&t, schema);
                json!({ "$ref": format!("#/components/schemas/{name}") })
            }
            _ => schema,
        }
    }
}

/// Root schemas carry a `title`, the same type met as a definition does not.
fn same_modulo_title(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("title");
        }
        v
    };
    strip(a) == strip(b)
}

fn rewrite_refs(v: &mut Value, renames: &BTreeMap<String, String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/$defs/")
            {
                let target = renames
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| name.to_string());
                *r = format!("#/components/schemas/{target}");
            }
            for child in map.values_mut() {
                rewrite_refs(child, renames);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| rewrite_refs(c, renames)),
        _ => {}
    }
}

/// `/blog/{id:int}/` in OpenAPI form: `/blog/{id}/`.
fn openapi_path(route: &RouteInfo) -> String {
    let mut out = String::new();
    for seg in route.pattern().segments() {
        out.push('/');
        match seg {
            Segment::Literal(l) => out.push_str(l),
            Segment::Param { name, .. } => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
    }
    out
}

fn humanize(name: &str) -> String {
    let last = name.rsplit(':').next().unwrap_or(name);
    last.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn operation_id(route: &RouteInfo, method: &Method, path: &str) -> String {
    let base = match route.name() {
        Some(n) => n.replace([':', '-'], "_"),
        None => path.trim_matches('/').replace(['/', '{', '}', '-'], "_"),
    };
    format!("{base}_{}", method.as_str().to_ascii_lowercase())
}

/// The parameters one validated non-body input contributes.
fn parameters(
    source: Source,
    schema: &Value,
    route: &RouteInfo,
    components: &mut Components,
    out: &mut Vec<Value>,
) {
    let root = components.add_root(schema);
    let location = match source {
        Source::Path => "path",
        Source::Query => "query",
        Source::Header => "header",
        Source::Cookie => "cookie",
        Source::Json | Source::Form | Source::Multipart => return,
    };
    let resolve = |s: &Value, comps: &Components| -> Value {
        match s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            Some(name) => comps
                .schemas
                .get(name)
                .cloned()
                .unwrap_or_else(|| s.clone()),
            None => s.clone(),
        }
    };
    let object = resolve(&root, components);
    if let Some(props) = object.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, prop) in props {
            let wire = if source == Source::Header {
                name.replace('_', "-")
            } else {
                name.clone()
            };
            let mut p = Map::new();
            p.insert("name".into(), Value::String(wire));
            p.insert("in".into(), Value::String(location.into()));
            p.insert(
                "required".into(),
                Value::Bool(source == Source::Path || required.contains(&name.as_str())),
            );
            if let Some(d) = prop.get("description") {
                p.insert("description".into(), d.clone());
            }
            let mut prop = prop.clone();
            if let Some(o) = prop.as_object_mut() {
                o.remove("description");
            }
            p.insert("schema".into(), prop);
            out.push(Value::Object(p));
        }
        return;
    }
    // A scalar or a tuple of path parameters, matched with the pattern's names in order.
    let names: Vec<&str> = route.pattern().params().map(|(n, _)| n).collect();
    let schemas: Vec<Value> = match object.get("prefixItems").and_then(Value::as_array) {
        Some(items) => items.clone(),
        None => vec![root.clone()],
    };
    for (name, schema) in names.iter().zip(schemas) {
        let mut schema = schema;
        if let Some(o) = schema.as_object_mut() {
            o.remove("title");
        }
        out.push(json!({ "name": name, "in": location, "required": true, "schema": schema }));
    }
}

fn validation_schemas(components: &mut Components) {
    components.insert(
        "ValidationError",
        json!({
            "title": "ValidationError",
            "type": "object",
            "required": ["loc", "msg", "type"],
            "properties": {
                "loc": {"title": "Location", "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                "msg": {"title": "Message", "type": "string"},
                "type": {"title": "Error Type", "type": "string"},
                "input": {"title": "Input"},
                "ctx": {"title": "Context", "type": "object"}
            }
        }),
    );
    components.insert(
        "HTTPValidationError",
        json!({
            "title": "HTTPValidationError",
            "type": "object",
            "properties": {
                "detail": {"title": "Detail", "type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}
            }
        }),
    );
}

/// Generate the document for these routes: API routes only (site pages answer HTML and are
/// left out), hidden paths skipped.
pub fn document(routes: &[RouteInfo], info: &DocumentInfo) -> Value {
    let mut components = Components::default();
    let mut paths = Map::new();
    let mut tags: BTreeMap<String, ()> = BTreeMap::new();
    let mut validates_anywhere = false;
    let mut security_schemes: BTreeMap<String, Value> = BTreeMap::new();
    for route in routes.iter().filter(|r| r.is_api() && !r.is_hidden()) {
        let path = openapi_path(route);
        if info
            .hidden_paths
            .iter()
            .any(|h| *h == path || route.pattern().as_str() == h)
        {
            continue;
        }
        let mut item = Map::new();
        for (method, op) in route.operations() {
            let mut operation = Map::new();
            let op_tags: Vec<String> = if op.docs.tags.is_empty() {
                route
                    .name()
                    .and_then(|n| n.split_once(':'))
                    .map(|(ns, _)| vec![ns.to_string()])
                    .unwrap_or_default()
            } else {
                op.docs.tags.clone()
            };
            if !op_tags.is_empty() {
                for t in &op_tags {
                    tags.insert(t.clone(), ());
                }
                operation.insert("tags".into(), json!(op_tags));
            }
            match (&op.docs.summary, route.name()) {
                (Some(s), _) => {
                    operation.insert("summary".into(), Value::String(s.clone()));
                }
                (None, Some(name)) => {
                    operation.insert("summary".into(), Value::String(humanize(name)));
                }
                (None, None) => {}
            }
            if let Some(d) = &op.docs.description {
                operation.insert("description".into(), Value::String(d.clone()));
            }
            if op.docs.deprecated {
                operation.insert("deprecated".into(), Value::Bool(true));
            }
            operation.insert(
                "operationId".into(),
                Value::String(operation_id(route, method, &path)),
            );
            let mut params = Vec::new();
            let mut body: Option<Value> = None;
            for spec in &op.validated {
                let schema = (spec.validator)().schema().clone();
                match spec.source {
                    Source::Json | Source::Form | Source::Multipart => {
                        let root = components.add_root(&schema);
                        let media = match spec.source {
                            Source::Json => "application/json",
                            Source::Form => "application/x-www-form-urlencoded",
                            _ => "multipart/form-data",
                        };
                        body = Some(json!({
                            "required": true,
                            "content": { media: { "schema": components.body_ref(root) } }
                        }));
                    }
                    source => parameters(source, &schema, route, &mut components, &mut params),
                }
            }
            // Path parameters the handler does not validate are still part of the path.
            for (name, conv) in route.pattern().params() {
                if !params
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == name)
                {
                    let schema = match conv.name() {
                        "int" => json!({"type": "integer", "minimum": 0}),
                        "uuid" => json!({"type": "string", "format": "uuid"}),
                        "slug" => json!({"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"}),
                        _ => json!({"type": "string"}),
                    };
                    params.push(
                        json!({"name": name, "in": "path", "required": true, "schema": schema}),
                    );
                }
            }
            if !params.is_empty() {
                operation.insert("parameters".into(), Value::Array(params));
            }
            if let Some(b) = body {
                operation.insert("requestBody".into(), b);
            }
            let mut responses = Map::new();
            if op.responses.is_empty() {
                responses.insert(
                    "200".into(),
                    json!({"description": "Successful Response", "content": {"application/json": {"schema": {}}}}),
                );
            }
            for r in &op.responses {
                let mut resp = json!({ "description": r.description });
                if let Some(schema_fn) = r.schema {
                    let root = components.add_root(&schema_fn());
                    resp["content"] =
                        json!({ "application/json": { "schema": components.body_ref(root) } });
                }
                responses.insert(r.status.to_string(), resp);
            }
            // Security schemes enforced by the operation's dependencies.
            let mut security = Vec::new();
            for node in op.dependencies.iter().flat_map(|d| d.walk()) {
                for scheme in &node.security {
                    let def: Value =
                        serde_json::from_str(&scheme.definition).unwrap_or(Value::Null);
                    security_schemes.entry(scheme.name.clone()).or_insert(def);
                    let req = json!({ scheme.name.clone(): scheme.scopes });
                    if !security.contains(&req) {
                        security.push(req);
                    }
                }
            }
            if !security.is_empty() {
                operation.insert("security".into(), Value::Array(security));
            }
            if !op.validated.is_empty() {
                validates_anywhere = true;
                let schema = match &info.validation_schema {
                    Some(custom) => {
                        let root = components.add_root(custom);
                        components.body_ref(root)
                    }
                    None => json!({"$ref": "#/components/schemas/HTTPValidationError"}),
                };
                responses.insert(
                    info.validation_status.to_string(),
                    json!({ "description": "Validation Error", "content": {"application/json": {"schema": schema}} }),
                );
            }
            operation.insert("responses".into(), Value::Object(responses));
            item.insert(
                method.as_str().to_ascii_lowercase(),
                Value::Object(operation),
            );
        }
        if !item.is_empty() {
            paths.insert(path, Value::Object(item));
        }
    }
    if validates_anywhere && info.validation_schema.is_none() {
        validation_schemas(&mut components);
    }
    let mut info_obj = json!({ "title": info.title, "version": info.version });
    if let Some(d) = &info.description {
        info_obj["description"] = Value::String(d.clone());
    }
    let mut doc = json!({ "openapi": "3.1.0", "info": info_obj, "paths": paths });
    if !info.servers.is_empty() {
        doc["servers"] = Value::Array(info.servers.iter().map(|u| json!({ "url": u })).collect());
    }
    if !tags.is_empty() {
        doc["tags"] = Value::Array(tags.keys().map(|t| json!({"name": t})).collect());
    }
    let mut comps = Map::new();
    if !components.schemas.is_empty() {
        comps.insert("schemas".into(), json!(components.schemas));
    }
    if !security_schemes.is_empty() {
        comps.insert("securitySchemes".into(), json!(security_schemes));
    }
    if !comps.is_empty() {
        doc["components"] = Value::Object(comps);
    }
    doc
}
