//! The demo site's binary: `cargo run -p demo` serves it on http://127.0.0.1:8000.

fn main() -> std::process::ExitCode {
    trellis::run(demo::app())
}
