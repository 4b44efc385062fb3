//! `paygate load`, bounded and on loopback: every request succeeds and nothing is created twice.
//! No timing is asserted; the figures are reported by `cargo xtask bench`.

use std::process::Command;

fn load(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_paygate"))
        .args(["load", "--json", "--baseline-ms", "100"])
        .args(args)
        .output()
        .expect("run paygate load");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout {} stderr {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn concurrent_signed_status_requests_all_succeed() {
    let body = load(&["--requests", "300", "--concurrency", "8"]);
    assert_eq!(body["ok"], true);
    assert_eq!(body["completed"], 300);
    assert_eq!(body["errors"], 0);
    assert!(body["latency_ms"]["p99"].as_f64().is_some());
    assert!(body["sign_only_per_second"].as_f64().is_some());
}

#[test]
fn concurrent_create_card_ref_over_tls_creates_one_reference() {
    let body = load(&[
        "--requests",
        "200",
        "--concurrency",
        "8",
        "--command",
        "create-card-ref",
        "--tls",
    ]);
    assert_eq!(body["completed"], 200);
    assert_eq!(body["card_refs_created"], 1);
}

#[test]
fn unbounded_runs_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_paygate"))
        .args(["load", "--requests", "0"])
        .output()
        .expect("run paygate load");
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_paygate"))
        .args(["load", "--seconds", "100000"])
        .output()
        .expect("run paygate load");
    assert_eq!(out.status.code(), Some(2));
}
