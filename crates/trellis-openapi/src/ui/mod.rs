//! The docs UIs (Swagger UI, ReDoc), served by the app itself with no network access.
