//! The dependency graph, declared by types and built once at start-up.

use std::any::TypeId;

use super::Dependency;

/// One dependency with its sub-dependencies, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepNode {
    /// The dependency's type id.
    pub type_id: TypeId,
    /// Its type name.
    pub type_name: &'static str,
    /// Whether this use is cached per request.
    pub cached: bool,
    /// Sub-dependencies, in declaration order.
    pub children: Vec<DepNode>,
    /// Security schemes this dependency enforces (for the OpenAPI document).
    pub security: Vec<SecurityScheme>,
}

/// An authentication scheme a dependency enforces, as OpenAPI describes it (FastAPI's
/// `Security()`): declared with [`Declare::security`], listed in the document's
/// `components/securitySchemes` and on every operation that uses the dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityScheme {
    /// The scheme's name in `components/securitySchemes`.
    pub name: String,
    /// Its OpenAPI definition (`{"type": "http", "scheme": "bearer"}`), as JSON text.
    pub definition: String,
    /// Scopes required (OAuth2).
    pub scopes: Vec<String>,
}

impl SecurityScheme {
    /// HTTP bearer authentication (`Authorization: Bearer <token>`).
    pub fn http_bearer(name: &str) -> Self {
        SecurityScheme {
            name: name.into(),
            definition: r#"{"type":"http","scheme":"bearer"}"#.into(),
            scopes: Vec::new(),
        }
    }

    /// An API key in a header.
    pub fn api_key_header(name: &str, header: &str) -> Self {
        let definition =
            serde_json::json!({"type": "apiKey", "in": "header", "name": header}).to_string();
        SecurityScheme {
            name: name.into(),
            definition,
            scopes: Vec::new(),
        }
    }

    /// OAuth2 password flow with its token URL and the scopes this use requires.
    pub fn oauth2_password(name: &str, token_url: &str, scopes: &[&str]) -> Self {
        let all: serde_json::Map<String, serde_json::Value> = scopes
            .iter()
            .map(|s| (s.to_string(), serde_json::Value::String(String::new())))
            .collect();
        let definition = serde_json::json!({"type": "oauth2", "flows": {"password": {"tokenUrl": token_url, "scopes": all}}}).to_string();
        SecurityScheme {
            name: name.into(),
            definition,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl DepNode {
    /// Build the node of `T`, walking its declared sub-dependencies.
    ///
    /// A cycle is reported as an error naming the types on it.
    pub fn of<T: Dependency>(cached: bool) -> Result<DepNode, String> {
        let mut stack = Vec::new();
        Self::build::<T>(cached, &mut stack)
    }

    fn build<T: Dependency>(
        cached: bool,
        stack: &mut Vec<(TypeId, &'static str)>,
    ) -> Result<DepNode, String> {
        let id = TypeId::of::<T>();
        let name = std::any::type_name::<T>();
        if stack.iter().any(|(t, _)| *t == id) {
            let mut names: Vec<&str> = stack.iter().map(|(_, n)| *n).collect();
            names.push(name);
            return Err(format!("dependency cycle: {}", names.join(" -> ")));
        }
        stack.push((id, name));
        let mut declare = Declare {
            children: Vec::new(),
            security: Vec::new(),
            stack: std::mem::take(stack),
            error: None,
        };
        T::declare(&mut declare);
        *stack = declare.stack;
        stack.pop();
        if let Some(e) = declare.error {
            return Err(e);
        }
        Ok(DepNode {
            type_id: id,
            type_name: name,
            cached,
            children: declare.children,
            security: declare.security,
        })
    }

    /// Every node below and including this one, depth first.
    pub fn walk(&self) -> Vec<&DepNode> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}

/// Collects the sub-dependencies a [`Dependency`] declares.
#[derive(Debug)]
pub struct Declare {
    children: Vec<DepNode>,
    security: Vec<SecurityScheme>,
    stack: Vec<(TypeId, &'static str)>,
    error: Option<String>,
}

impl Declare {
    /// `Self` enforces this security scheme (documented in OpenAPI).
    pub fn security(&mut self, scheme: SecurityScheme) -> &mut Self {
        self.security.push(scheme);
        self
    }

    /// `Self` depends on `T` (cached per request).
    pub fn depends_on<T: Dependency>(&mut self) -> &mut Self {
        self.add::<T>(true)
    }

    /// `Self` depends on a fresh `T` each time.
    pub fn depends_on_fresh<T: Dependency>(&mut self) -> &mut Self {
        self.add::<T>(false)
    }

    fn add<T: Dependency>(&mut self, cached: bool) -> &mut Self {
        if self.error.is_none() {
            match DepNode::build::<T>(cached, &mut self.stack) {
                Ok(node) => self.children.push(node),
                Err(e) => self.error = Some(e),
            }
        }
        self
    }
}
