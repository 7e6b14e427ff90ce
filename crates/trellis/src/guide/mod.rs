//! Guides, each a Markdown file whose examples are compiled and run as doc tests.

#[doc = include_str!("routing.md")]
pub mod routing {}

#[doc = include_str!("dependencies.md")]
pub mod dependencies {}

#[cfg(feature = "openapi")]
#[doc = include_str!("openapi.md")]
pub mod openapi {}

#[doc = include_str!("middleware.md")]
pub mod middleware {}

#[doc = include_str!("settings.md")]
pub mod settings {}

#[doc = include_str!("database.md")]
pub mod database {}
