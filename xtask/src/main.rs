//! Project automation for paygate, run as `cargo xtask <command>`.
//!
//! * `cargo xtask ci` runs `.ci/run` (format, clippy, tests, feature builds, supply-chain audit,
//!   fuzz smoke run).
//! * `cargo xtask fuzz <target> [--seconds N]` runs one cargo-fuzz target (`--list` lists them,
//!   `all` runs each in turn).
//! * `cargo xtask bench [--quick]` runs every criterion benchmark and writes `BENCHMARKS.md`.
//! * `cargo xtask msrv` checks that no shipped dependency needs a newer Rust than ours.

#![forbid(unsafe_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod bench;
mod bench_extra;
mod msrv;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("fuzz") => fuzz(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("msrv") => msrv::run(),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage:
  cargo xtask ci                          run .ci/run: format, clippy, tests, audit, fuzz smoke
  cargo xtask fuzz <target|all> [--seconds N] [--jobs N]
  cargo xtask fuzz --list
  cargo xtask bench [--quick]             run criterion benches and write BENCHMARKS.md
  cargo xtask msrv                        check dependencies' rust-version against ours";

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Runs a command in the workspace root, echoing it first; fails on a non-zero exit.
pub(crate) fn run<I, S>(program: &str, args: I, envs: &[(&str, &str)]) -> Result<(), String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let shown: Vec<_> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    eprintln!("+ {program} {}", shown.join(" "));
    let status = Command::new(program)
        .args(&args)
        .envs(envs.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", shown.join(" ")))
    }
}

pub(crate) fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// `.ci/run` is the single definition of CI; `cargo xtask ci` runs exactly that script.
fn ci() -> Result<(), String> {
    run("bash", [".ci/run"], &[])
}

/// Installs a cargo subcommand with `cargo install --locked` when it is missing.
pub(crate) fn ensure_cargo_tool(binary: &str, krate: &str) -> Result<(), String> {
    let found = Command::new(binary)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
        || Command::new(cargo())
            .args([binary.trim_start_matches("cargo-"), "--version"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if found {
        return Ok(());
    }
    eprintln!("{binary} is missing: installing it from crates.io");
    run(&cargo(), ["install", "--locked", krate], &[])
}

fn fuzz_targets() -> Result<Vec<String>, String> {
    let dir = root().join("fuzz/fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let path = entry.path();
            if path.extension()? != "rs" {
                return None;
            }
            Some(path.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    Ok(names)
}

fn fuzz(args: &[String]) -> Result<(), String> {
    let mut target = None;
    let mut seconds = 60u64;
    let mut jobs = 1u32;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--list" => {
                for name in fuzz_targets()? {
                    println!("{name}");
                }
                return Ok(());
            }
            "--seconds" => {
                seconds = parse_next(&mut iter, "--seconds")?;
            }
            "--jobs" => {
                jobs = parse_next(&mut iter, "--jobs")?;
            }
            other if !other.starts_with('-') && target.is_none() => target = Some(other.to_owned()),
            other => return Err(format!("unexpected fuzz argument `{other}`\n{USAGE}")),
        }
    }
    let target = target.ok_or_else(|| format!("which fuzz target?\n{USAGE}"))?;
    let all = fuzz_targets()?;
    let selected = if target == "all" {
        all
    } else if all.contains(&target) {
        vec![target]
    } else {
        return Err(format!(
            "unknown fuzz target `{target}`; known: {}",
            all.join(", ")
        ));
    };
    ensure_cargo_tool("cargo-fuzz", "cargo-fuzz")?;
    // cargo-fuzz needs nightly-only flags; RUSTC_BOOTSTRAP lets the stable toolchain accept
    // them. Every crate we fuzz is `#![forbid(unsafe_code)]`, so we trade AddressSanitizer for
    // speed (`--sanitizer none`); debug assertions and overflow checks stay on.
    let envs = [("RUSTC_BOOTSTRAP", "1")];
    let max_time = format!("-max_total_time={seconds}");
    let jobs_flag = format!("-jobs={jobs}");
    let workers_flag = format!("-workers={jobs}");
    if selected.len() > 1 {
        // One build of every target first: cargo then compiles and links them side by side
        // (each `cargo fuzz run` below finds its binary up to date) instead of one at a time.
        run(
            &cargo(),
            ["fuzz", "build", "--sanitizer", "none", "--fuzz-dir", "fuzz"],
            &envs,
        )?;
    }
    for name in &selected {
        let corpus = root().join("fuzz/corpus").join(name);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        seed_corpus(name, &corpus)?;
        let mut cmd_args: Vec<String> = [
            "fuzz",
            "run",
            "--sanitizer",
            "none",
            "--fuzz-dir",
            "fuzz",
            name.as_str(),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        cmd_args.push("--".to_owned());
        cmd_args.push(max_time.clone());
        cmd_args.push(format!("-max_len={}", fuzz_max_len(name)));
        if name == "oauth1_header" {
            // libFuzzer grows its length cap slowly (a 10-minute run reached only ~28 KB):
            // start at `-max_len` so the large inputs are tried from the first second.
            cmd_args.push("-len_control=0".to_owned());
        }
        if jobs > 1 {
            cmd_args.push(jobs_flag.clone());
            cmd_args.push(workers_flag.clone());
        }
        run(&cargo(), &cmd_args, &envs)?;
    }
    Ok(())
}

/// libFuzzer's `-max_len` for a target. The header parser gets 512 KiB so that inputs reach the
/// sizes where a super-linear parser shows (a 400 KB header of short parameters once took
/// seconds) and where its length limits apply; key parsing gets room for 8192-bit PEM keys.
fn fuzz_max_len(target: &str) -> usize {
    match target {
        "oauth1_header" => 512 * 1024,
        "oauth1_keys" => 16 * 1024,
        _ => 8192,
    }
}

/// Copies the checked-in seed inputs (`fuzz/seeds/<target>/*`) into the working corpus.
fn seed_corpus(target: &str, corpus: &Path) -> Result<(), String> {
    let seeds = root().join("fuzz/seeds").join(target);
    let Ok(entries) = std::fs::read_dir(&seeds) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let dest = corpus.join(entry.file_name());
        if !dest.exists() {
            std::fs::copy(entry.path(), &dest)
                .map_err(|e| format!("seed {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn parse_next<T: std::str::FromStr>(
    iter: &mut std::slice::Iter<'_, String>,
    flag: &str,
) -> Result<T, String> {
    iter.next()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{flag} needs a number"))
}
