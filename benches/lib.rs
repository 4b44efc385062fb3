//! Shared helpers for the criterion benchmarks in `benches/benches/`.
//!
//! The benchmarks read the test keys and vectors from `testdata/vectors/` (a copy of the independent vectors kept in this repository) relative to the
//! workspace root, exactly as the tests do.

#![forbid(unsafe_code)]

use std::path::PathBuf;

/// The workspace root (the directory holding the virtual `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ has a parent")
        .to_path_buf()
}

/// A file under `testdata/vectors/`, read as text.
///
/// # Panics
/// When the file is missing: benchmarks cannot run without their inputs.
pub fn test_vector(relative: &str) -> String {
    let path = workspace_root().join("testdata/vectors").join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
