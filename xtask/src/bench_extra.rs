//! The figures of `BENCHMARKS.md` that criterion does not produce: allocation counts, end to
//! end throughput against the sandbox (`paygate load`), the build time of `oauth1-signer`
//! alone and the peak memory of the `paygate` binary running the demo.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use crate::root;

pub(crate) fn collect_extra(args: &[String]) -> Result<String, String> {
    let mut md = allocations();
    crate::run(
        "cargo",
        ["build", "--release", "--locked", "-p", "paygate-cli"],
        &[],
    )?;
    md.push_str(&end_to_end(args.iter().any(|a| a == "--quick")));
    let _ = writeln!(md, "## Build and memory\n");
    let _ = writeln!(md, "| what | figure |\n|---|---|");
    for (what, figure) in [
        (
            "clean release build of `oauth1-signer` alone (default features, its own target dir)",
            build_time("oauth1-signer", &[]),
        ),
        (
            "clean release build of `oauth1-signer` with `--no-default-features` (HMAC/PLAINTEXT only)",
            build_time("oauth1-signer", &["--no-default-features"]),
        ),
        (
            "peak resident memory of `paygate demo` (release build, whole process)",
            demo_peak_memory(),
        ),
    ] {
        let _ = writeln!(md, "| {what} | {figure} |");
    }
    let _ = writeln!(md);
    Ok(md)
}

fn build_time(package: &str, extra: &[&str]) -> String {
    let target = root().join("target/xtask-build-time");
    let _ = std::fs::remove_dir_all(&target);
    let started = Instant::now();
    let status = Command::new("cargo")
        .args(["build", "--release", "--locked", "-p", package])
        .args(extra)
        .arg("--target-dir")
        .arg(&target)
        .current_dir(root())
        .status();
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&target);
    match status {
        Ok(s) if s.success() => format!(
            "{:.1} s on {} cores",
            elapsed.as_secs_f64(),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        ),
        Ok(s) => format!("build failed ({s})"),
        Err(e) => format!("not measured: {e}"),
    }
}

fn demo_peak_memory() -> String {
    let binary = root().join("target/release/paygate");
    // GNU time's `%M` is the peak resident set size in KiB.
    let output = Command::new("/usr/bin/time")
        .args(["-f", "PEAK_RSS_KIB=%M"])
        .arg(&binary)
        .args(["demo", "--json"])
        .current_dir(root())
        .output();
    match output {
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let kib = stderr
                .lines()
                .find_map(|l| l.strip_prefix("PEAK_RSS_KIB="))
                .and_then(|v| v.trim().parse::<f64>().ok());
            match (out.status.success(), kib) {
                (true, Some(kib)) => format!("{:.1} MiB", kib / 1024.0),
                (false, _) => format!("demo failed ({})", out.status),
                (_, None) => "not measured: /usr/bin/time printed no figure".to_owned(),
            }
        }
        Err(e) => format!("not measured: /usr/bin/time unavailable ({e})"),
    }
}

/// The table written by the `allocations` bench (dhat in testing mode: exact counts).
fn allocations() -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## Allocations per call\n");
    let _ = writeln!(
        md,
        "Counted by `benches/benches/allocations.rs` with dhat's heap profiler (Rust heap only: \
         aws-lc's own C allocations are not seen), averaged over 200 calls after a warm-up.\n"
    );
    let path = root().join("target/criterion/allocations.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        let _ = writeln!(md, "not measured: {} is missing\n", path.display());
        return md;
    };
    let Ok(serde_json::Value::Array(rows)) = serde_json::from_str(&text) else {
        let _ = writeln!(md, "not measured: {} is not a JSON array\n", path.display());
        return md;
    };
    let _ = writeln!(md, "| path | allocations | bytes |\n|---|---|---|");
    for row in rows {
        let _ = writeln!(
            md,
            "| {} | {:.1} | {:.0} |",
            row["what"].as_str().unwrap_or("?"),
            row["allocations"].as_f64().unwrap_or(f64::NAN),
            row["bytes"].as_f64().unwrap_or(f64::NAN)
        );
    }
    let _ = writeln!(md);
    md
}

/// `paygate load` runs: client and sandbox in one process on this machine's cores, keep-alive,
/// beside RSA signing alone on the same cores measured first in the same run.
fn end_to_end(quick: bool) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## End to end (client + sandbox over loopback)\n");
    let _ = writeln!(
        md,
        "`paygate load` (release build): the sandbox and the client share the machine's cores; \
         every request is signed by the client (fresh nonce) and verified by the sandbox, over \
         keep-alive connections. The baseline is RSA-SHA256 signing alone on all cores for 2 s, \
         measured in the same run. Target: at least 80% of it.\n"
    );
    let _ = writeln!(
        md,
        "| run | requests | errors | requests/s | p50 | p99 | signing alone/s | ratio | target met |\n|---|---|---|---|---|---|---|---|---|"
    );
    let scale = if quick { 5 } else { 1 };
    let runs: [(&str, Vec<String>); 4] = [
        (
            "status, RSA-2048, HTTP, 8 in flight",
            vec![
                "--requests".into(),
                (20000 / scale).to_string(),
                "--concurrency".into(),
                "8".into(),
            ],
        ),
        (
            "status, RSA-4096, HTTP, 8 in flight",
            vec![
                "--requests".into(),
                (5000 / scale).to_string(),
                "--concurrency".into(),
                "8".into(),
                "--key-bits".into(),
                "4096".into(),
            ],
        ),
        (
            "status, RSA-2048, HTTPS, 8 in flight",
            vec![
                "--requests".into(),
                (20000 / scale).to_string(),
                "--concurrency".into(),
                "8".into(),
                "--tls".into(),
            ],
        ),
        (
            "create-card-ref, RSA-2048, HTTP, 8 in flight",
            vec![
                "--requests".into(),
                (20000 / scale).to_string(),
                "--concurrency".into(),
                "8".into(),
                "--command".into(),
                "create-card-ref".into(),
            ],
        ),
    ];
    for (name, args) in runs {
        let output = Command::new(root().join("target/release/paygate"))
            .arg("load")
            .arg("--json")
            .args(&args)
            .current_dir(root())
            .output();
        let row = match output {
            Ok(out) => match serde_json::from_slice::<serde_json::Value>(&out.stdout) {
                Ok(v) => {
                    let ratio = v["ratio_to_sign_only"].as_f64().unwrap_or(f64::NAN);
                    format!(
                        "| {name} | {} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.0} | {:.2}% | {} |",
                        v["completed"],
                        v["errors"],
                        v["requests_per_second"].as_f64().unwrap_or(f64::NAN),
                        v["latency_ms"]["p50"].as_f64().unwrap_or(f64::NAN),
                        v["latency_ms"]["p99"].as_f64().unwrap_or(f64::NAN),
                        v["sign_only_per_second"].as_f64().unwrap_or(f64::NAN),
                        ratio * 100.0,
                        if ratio >= 0.8 { "yes" } else { "no" }
                    )
                }
                Err(e) => format!("| {name} | failed: {e} | | | | | | | |"),
            },
            Err(e) => format!("| {name} | not run: {e} | | | | | | | |"),
        };
        let _ = writeln!(md, "{row}");
    }
    let _ = writeln!(md);
    md
}
