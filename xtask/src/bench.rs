//! `cargo xtask bench`: run every criterion benchmark, then write `BENCHMARKS.md` from the
//! estimates criterion left in `target/criterion`, each figure beside the baseline measured in
//! the same run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::SystemTime;

use crate::root;

/// One "ours versus baseline" pair: both ids are criterion `group/function` ids.
struct Comparison {
    layer: &'static str,
    what: &'static str,
    ours: &'static str,
    baseline: &'static str,
    target: Target,
}

enum Target {
    /// `ours` may cost at most this many percent more than `baseline`.
    MaxOverheadPct(f64),
    /// `ours` may cost at most this many percent of `baseline` (a budget inside a call that
    /// `baseline` dominates, such as one RSA signature).
    MaxSharePct(f64),
    /// Reported only.
    None,
}

const COMPARISONS: &[Comparison] = &[
    Comparison {
        layer: "oauth1-signer",
        what: "full OAuth signing of the seed create-card-ref request, 2048-bit key, vs raw RSA-SHA256 signature (aws-lc-rs)",
        ours: "sign_2048/oauth1_signer",
        baseline: "sign_2048/raw_aws_lc_rs",
        target: Target::MaxOverheadPct(3.0),
    },
    Comparison {
        layer: "oauth1-signer",
        what: "full OAuth signing of the seed create-card-ref request, 4096-bit key, vs raw RSA-SHA256 signature (aws-lc-rs)",
        ours: "sign_4096/oauth1_signer",
        baseline: "sign_4096/raw_aws_lc_rs",
        target: Target::MaxOverheadPct(3.0),
    },
    Comparison {
        layer: "oauth1-signer",
        what: "verification (parse header, rebuild base string, check), 2048-bit key, vs raw RSA-SHA256 verification",
        ours: "verify_2048/oauth1_signer",
        baseline: "verify_2048/raw_aws_lc_rs",
        target: Target::MaxOverheadPct(5.0),
    },
    Comparison {
        layer: "oauth1-signer",
        what: "verification, 4096-bit key, vs raw RSA-SHA256 verification",
        ours: "verify_4096/oauth1_signer",
        baseline: "verify_4096/raw_aws_lc_rs",
        target: Target::MaxOverheadPct(5.0),
    },
    Comparison {
        layer: "oauth1-signer",
        what: "default back end (aws-lc-rs) vs the optional `rsa` back end, full signing, 4096-bit key",
        ours: "sign_4096/oauth1_signer",
        baseline: "sign_4096/oauth1_signer_rsa_backend",
        target: Target::None,
    },
    Comparison {
        layer: "per-message budget (codecs)",
        what: "Payneteasy create-card-ref: encoding the request body plus decoding the seed's answer, as a share of one RSA-2048 signature",
        ours: "message_budget/payneteasy_create_card_ref",
        baseline: "message_budget/raw_rsa_2048_sign",
        target: Target::MaxSharePct(2.0),
    },
    Comparison {
        layer: "per-message budget (codecs)",
        what: "Payneteasy status: encoding the request body plus decoding a full status answer, as a share of one RSA-2048 signature",
        ours: "message_budget/payneteasy_status",
        baseline: "message_budget/raw_rsa_2048_sign",
        target: Target::MaxSharePct(2.0),
    },
    Comparison {
        layer: "per-message budget (codecs)",
        what: "PaySecure CreateKey: encoding the request plus decoding the seed's answer, as a share of one RSA-2048 signature",
        ours: "message_budget/paysecure_create_key",
        baseline: "message_budget/raw_rsa_2048_sign",
        target: Target::MaxSharePct(2.0),
    },
    Comparison {
        layer: "per-message budget (codecs)",
        what: "PaySecure TokenizeCard: encoding the request plus decoding the answer (card encryption not included), as a share of one RSA-2048 signature",
        ours: "message_budget/paysecure_tokenize_card",
        baseline: "message_budget/raw_rsa_2048_sign",
        target: Target::MaxSharePct(2.0),
    },
];

struct Estimate {
    mean_ns: f64,
    median_ns: f64,
}

pub(crate) fn run_benches(args: &[String]) -> Result<SystemTime, String> {
    let started = SystemTime::now();
    let mut cargo_args: Vec<String> = vec![
        "bench".into(),
        "--locked".into(),
        "-p".into(),
        "paygate-benches".into(),
    ];
    if args.iter().any(|a| a == "--quick") {
        cargo_args.extend(
            ["--", "--warm-up-time", "1", "--measurement-time", "3"]
                .iter()
                .map(|s| (*s).to_owned()),
        );
    }
    crate::run("cargo", &cargo_args, &[])?;
    Ok(started)
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let started = run_benches(args)?;
    let estimates = collect(&root().join("target/criterion"), started)?;
    let path = root().join("BENCHMARKS.md");
    let previous = std::fs::read_to_string(&path).unwrap_or_default();
    let mut markdown = render(&estimates, &crate::bench_extra::collect_extra(args)?);
    markdown.push_str(&replay_cache_section(started, &previous));
    std::fs::write(&path, markdown).map_err(|e| format!("write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Reads every `*/new/estimates.json` written since `since`, keyed by `group/function`.
fn collect(dir: &Path, since: SystemTime) -> Result<BTreeMap<String, Estimate>, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.file_name().and_then(|n| n.to_str()) != Some("benchmark.json")
                || path
                    .parent()
                    .and_then(|p| p.file_name())
                    .and_then(|n| n.to_str())
                    != Some("new")
            {
                continue;
            }
            let fresh = entry
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| t >= since)
                .unwrap_or(false);
            if !fresh {
                continue;
            }
            let bench: serde_json::Value = read_json(&path)?;
            let est: serde_json::Value = read_json(&path.with_file_name("estimates.json"))?;
            let id = bench["full_id"].as_str().unwrap_or_default().to_owned();
            let mean = est["mean"]["point_estimate"].as_f64().unwrap_or(f64::NAN);
            let median = est["median"]["point_estimate"].as_f64().unwrap_or(f64::NAN);
            out.insert(
                id,
                Estimate {
                    mean_ns: mean,
                    median_ns: median,
                },
            );
        }
    }
    Ok(out)
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn human_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.3} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "{cpu}, {cores} cores available, {rustc}, {}",
        std::env::consts::ARCH
    )
}

fn render(estimates: &BTreeMap<String, Estimate>, extra: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Generated by `cargo xtask bench`; do not edit by hand. Targets are per-call budgets that \
         matter to a payment call, which one RSA signature and a network round trip dominate: \
         the signer's overhead over raw RSA, the codecs' share of one RSA-2048 signature, and \
         allocations per call. Every ratio compares two figures measured in the same run on the \
         same machine, so the ratio, not the absolute time, is the result.\n"
    );
    let _ = writeln!(md, "Machine: {}\n", machine());
    let mut layers: Vec<&str> = COMPARISONS.iter().map(|c| c.layer).collect();
    layers.dedup();
    for layer in layers {
        let _ = writeln!(md, "## {layer}\n");
        let _ = writeln!(
            md,
            "| what | ours (mean) | baseline (mean) | ratio | target | met |\n|---|---|---|---|---|---|"
        );
        for c in COMPARISONS.iter().filter(|c| c.layer == layer) {
            let (Some(ours), Some(base)) = (estimates.get(c.ours), estimates.get(c.baseline))
            else {
                let _ = writeln!(md, "| {} | not measured | not measured | | | |", c.what);
                continue;
            };
            let (ratio, target, met) = match c.target {
                Target::MaxOverheadPct(max) => {
                    let pct = (ours.mean_ns / base.mean_ns - 1.0) * 100.0;
                    (
                        format!("{pct:+.2}% overhead"),
                        format!("≤ {max}%"),
                        if pct <= max { "yes" } else { "no" },
                    )
                }
                Target::MaxSharePct(max) => {
                    let pct = ours.mean_ns / base.mean_ns * 100.0;
                    (
                        format!("{pct:.2}% of baseline"),
                        format!("≤ {max}%"),
                        if pct <= max { "yes" } else { "no" },
                    )
                }
                Target::None => (
                    format!("{:.2}x", base.mean_ns / ours.mean_ns),
                    "report".to_owned(),
                    "",
                ),
            };
            let _ = writeln!(
                md,
                "| {} (`{}` vs `{}`) | {} | {} | {ratio} | {target} | {met} |",
                c.what,
                c.ours,
                c.baseline,
                human_ns(ours.mean_ns),
                human_ns(base.mean_ns)
            );
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Every benchmark of this run\n");
    let _ = writeln!(md, "| id | mean | median |\n|---|---|---|");
    for (id, e) in estimates {
        let _ = writeln!(
            md,
            "| `{id}` | {} | {} |",
            human_ns(e.mean_ns),
            human_ns(e.median_ns)
        );
    }
    let _ = writeln!(md);
    md.push_str(extra);
    md
}

const REPLAY_CACHE_HEADING: &str = "## Replay cache (oauth1-nonce-redis)";

/// The replay-cache section: the tables the `nonce_store` bench wrote in this run (it needs
/// `PAYGATE_TEST_REDIS_URL`), or else the section of the previous `BENCHMARKS.md`, kept as is.
fn replay_cache_section(started: SystemTime, previous: &str) -> String {
    let fresh = root().join("target/nonce-store-bench.md");
    let written_now = std::fs::metadata(&fresh)
        .and_then(|m| m.modified())
        .is_ok_and(|modified| modified >= started);
    if written_now && let Ok(tables) = std::fs::read_to_string(&fresh) {
        return format!(
            "\n{REPLAY_CACHE_HEADING}\n\n\
             `benches/benches/nonce_store.rs` against a local `redis-server` \
             (`PAYGATE_TEST_REDIS_URL`), beside `MemoryNonceStore`; the criterion figures \
             (`nonce_claim/*`, `verified_request/*`) are in the table of every benchmark. \
             Client, Redis and the measuring loop share the machine's cores.\n\n{tables}"
        );
    }
    match previous.find(REPLAY_CACHE_HEADING) {
        Some(start) => {
            let rest = &previous[start..];
            let end = rest[REPLAY_CACHE_HEADING.len()..]
                .find("\n## ")
                .map_or(rest.len(), |i| i + REPLAY_CACHE_HEADING.len() + 1);
            format!("\n{}", &rest[..end])
        }
        None => String::new(),
    }
}
