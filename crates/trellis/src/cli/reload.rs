//! `runserver --reload`: watch the sources, rebuild with cargo, restart the server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::process::{Child, Command};

fn relevant(path: &Path, root: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    if first == "target" || first.starts_with('.') {
        return false;
    }
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("rs" | "toml" | "html" | "htm" | "xml" | "txt" | "css" | "js" | "json" | "sql")
    )
}

fn spawn_child(exe: &Path, addr: Option<&str>) -> std::io::Result<Child> {
    let mut cmd = Command::new(exe);
    cmd.arg("runserver");
    if let Some(a) = addr {
        cmd.arg(a);
    }
    cmd.env("TRELLIS_RELOADER_CHILD", "1").kill_on_drop(true);
    cmd.spawn()
}

async fn stop(child: &mut Child) {
    if let Some(pid) = child.id() {
        // SIGTERM first so in-flight requests finish; then wait a bounded time.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.kill().await;
}

/// The reloader process: runs the server as a child and restarts it after a rebuild.
pub(super) async fn run_with_reload(addr: Option<String>) -> ExitCode {
    let (Some(root), Some(package)) = (
        std::env::var_os("CARGO_MANIFEST_DIR"),
        std::env::var_os("CARGO_PKG_NAME"),
    ) else {
        eprintln!(
            "Error: --reload rebuilds with cargo; start it with `cargo run -p <package> -- runserver --reload`"
        );
        return ExitCode::from(2);
    };
    let root = PathBuf::from(root);
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("Error: cannot find the running binary: {e}");
            return ExitCode::FAILURE;
        }
    };
    let release = exe.components().any(|c| c.as_os_str() == "release");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let watch_root = root.clone();
    let mut watcher = match notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if let Ok(ev) = ev
            && ev.paths.iter().any(|p| relevant(p, &watch_root))
        {
            let _ = tx.send(());
        }
    }) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("Error: cannot watch files: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = watcher.watch(&root, RecursiveMode::Recursive) {
        eprintln!("Error: cannot watch {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    eprintln!("Watching {} for changes (reloader)", root.display());
    let mut child = spawn_child(&exe, addr.as_deref()).ok();
    // One shutdown future for the whole loop, so a Ctrl-C during a rebuild is not lost.
    let shutdown = trellis_http::server::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            got = rx.recv() => {
                if got.is_none() {
                    break;
                }
                // Debounce: editors write several events per save.
                tokio::time::sleep(Duration::from_millis(300)).await;
                while rx.try_recv().is_ok() {}
                eprintln!("Change detected; rebuilding {}", package.to_string_lossy());
                if let Some(c) = child.as_mut() {
                    stop(c).await;
                }
                child = None;
                let mut build = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
                build.arg("build").arg("-p").arg(&package).kill_on_drop(true);
                if release {
                    build.arg("--release");
                }
                let status = tokio::select! {
                    () = &mut shutdown => break,
                    s = build.status() => s,
                };
                match status {
                    Ok(s) if s.success() => child = spawn_child(&exe, addr.as_deref()).ok(),
                    Ok(_) => eprintln!("Build failed; fix the error and save again"),
                    Err(e) => eprintln!("Error: cannot run cargo: {e}"),
                }
            }
        }
    }
    if let Some(c) = child.as_mut() {
        stop(c).await;
    }
    ExitCode::SUCCESS
}
