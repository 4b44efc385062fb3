//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

/// A file under `testdata/vectors/` (relative to the workspace root).
pub fn vector_path(relative: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors"
    ))
    .join(relative)
}

/// A vector file as text.
pub fn read_vector(relative: &str) -> String {
    let path = vector_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A vector file as JSON.
pub fn json_vector(relative: &str) -> serde_json::Value {
    serde_json::from_str(&read_vector(relative)).unwrap_or_else(|e| panic!("parse {relative}: {e}"))
}

/// Every RSA back end compiled in that accepts a key of `bits`.
#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
pub fn backends_for(bits: usize) -> Vec<oauth1_signer::Backend> {
    let mut out = Vec::new();
    #[cfg(feature = "aws-lc-rs")]
    out.push(oauth1_signer::Backend::AwsLcRs);
    #[cfg(feature = "rsa")]
    out.push(oauth1_signer::Backend::RustCrypto);
    out.retain(|b| b.min_bits() <= bits);
    out
}
