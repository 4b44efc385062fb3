//! `cargo xtask msrv`: checks the declared minimum supported Rust version against what can be
//! checked with the one toolchain this project builds with.
//!
//! Only one toolchain (the current stable) is available to CI, so the MSRV cannot be proved by
//! compiling with it. Two checks stand in for that:
//! 1. every package that the workspace's library and binary crates depend on (normal and build
//!    dependencies, all features, as locked in `Cargo.lock`) declares a `rust-version` no newer
//!    than ours (a package that declares none is listed, not failed);
//! 2. clippy's `incompatible_msrv` lint, denied in `[workspace.lints]` and run by `.ci/run`,
//!    refuses uses of standard-library items stabilised after our `rust-version`.
//!
//! Not covered: language features (syntax) stabilised after the MSRV, and Cargo features of
//! the manifest. The README says so.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// `(major, minor, patch)` of a `rust-version` string such as `1.88` or `1.85.1`.
fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

pub(crate) fn run() -> Result<(), String> {
    let output = Command::new(crate::cargo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--all-features",
        ])
        .current_dir(crate::root())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata printed invalid JSON: {e}"))?;
    let packages = metadata["packages"].as_array().ok_or("no packages")?;
    let by_id: BTreeMap<&str, &Value> = packages
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .ok_or("no workspace_members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // Our MSRV: the `rust-version` every publishable member declares (the workspace's).
    let mut ours = None;
    for id in &members {
        let package = by_id.get(id).ok_or("member missing from packages")?;
        if let Some(v) = package["rust_version"].as_str() {
            let parsed = parse_version(v).ok_or_else(|| format!("bad rust-version {v}"))?;
            if ours.is_some_and(|o| o != parsed) {
                return Err("workspace members declare different rust-versions".to_owned());
            }
            ours = Some(parsed);
        }
    }
    let ours = ours.ok_or("no workspace member declares rust-version")?;

    // Walk normal and build dependencies from the shipped crates (not xtask, not the benches).
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .ok_or("no resolve graph")?
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let shipped = |id: &str| {
        let name = by_id.get(id).and_then(|p| p["name"].as_str()).unwrap_or("");
        name != "xtask" && name != "paygate-benches"
    };
    let mut stack: Vec<&str> = members.iter().copied().filter(|id| shipped(id)).collect();
    let mut seen = BTreeSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(node) = nodes.get(id) else { continue };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let runtime = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| matches!(k["kind"].as_str(), None | Some("build")));
            if let (true, Some(dep_id)) = (runtime, dep["pkg"].as_str()) {
                stack.push(dep_id);
            }
        }
    }
    let mut too_new = Vec::new();
    let mut undeclared = Vec::new();
    for id in &seen {
        let package = by_id[id];
        if package["source"].is_null() {
            continue; // our own crates: checked above
        }
        let name = format!(
            "{} {}",
            package["name"].as_str().unwrap_or("?"),
            package["version"].as_str().unwrap_or("?")
        );
        match package["rust_version"].as_str().and_then(parse_version) {
            Some(v) if v > ours => too_new.push(format!("{name} (rust-version {v:?})")),
            Some(_) => {}
            None => undeclared.push(name),
        }
    }
    let (major, minor, patch) = ours;
    println!(
        "msrv: {} dependencies of the shipped crates checked against rust-version {major}.{minor}.{patch}",
        seen.len() - members.len().min(seen.len())
    );
    if !undeclared.is_empty() {
        println!(
            "msrv: {} declare no rust-version (not checked): {}",
            undeclared.len(),
            undeclared.join(", ")
        );
    }
    if too_new.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "dependencies that need a newer Rust than {major}.{minor}.{patch}: {}",
            too_new.join(", ")
        ))
    }
}
