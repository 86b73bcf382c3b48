//! Running the binary and reading its output.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn set_path(name: &str) -> String {
    root().join("sets").join(name).display().to_string()
}

pub fn parindex(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_parindex"))
        .args(args)
        .env_remove("PARINDEX_LOCALE")
        .output()
        .expect("run parindex");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "the command panicked: {}",
        run.stderr
    );
    run
}

pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}
