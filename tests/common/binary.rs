//! Running the real binary from an end-to-end test, in a scratch folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `compel ARGS...` in `dir`, without colour and with no standard input.
pub fn compel(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the compel binary runs")
}

/// An empty scratch folder named for the test file (`prefix`), the case
/// and this process.
pub fn tempdir(prefix: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-{prefix}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}
