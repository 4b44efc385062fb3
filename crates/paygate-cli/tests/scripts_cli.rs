//! The CLI for scripts and operators: `--json` failures with a stable `error.kind`, `-v` and
//! `RUST_LOG` tracing on stderr, the attempt count, the `--fault ROUTE:SPEC` syntax, the two
//! sandboxes told apart, readable expiry times and the exit codes in every `--help`.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use paygate_sandbox::paysecure::{TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION};

const KEY: &str = "crates/paygate-sandbox/keys/test-merchant-private.pem";
const SIGN_URL: &str = "https://sandbox.payneteasy.com/paynet/api/v4/status/39915";

fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn paygate_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paygate"));
    command
        .args(args)
        .current_dir(workspace_root())
        .env_remove("RUST_LOG")
        .env_remove("PAYSECURE_PASSWORD");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run paygate")
}

fn paygate(args: &[&str]) -> Output {
    paygate_env(args, &[])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The one JSON object on one line of stdout (nothing on stderr).
fn json_failure(out: &Output) -> serde_json::Value {
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "{}",
        text(&out.stdout)
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {:?}; stderr: {:?}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    assert_eq!(value["ok"], false, "{value}");
    assert!(value["error"]["message"].is_string(), "{value}");
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    value
}

/// A port nothing listens on (it was free a moment ago).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `paygate sandbox --json ARGS` as a child; killed on drop.
struct SandboxProcess {
    child: Child,
    info: serde_json::Value,
}

impl SandboxProcess {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_paygate"))
            .args(["sandbox", "--json"])
            .args(args)
            .current_dir(workspace_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start paygate sandbox");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the first line");
        let info = serde_json::from_str(&line).expect("one line of JSON");
        SandboxProcess { child, info }
    }

    fn url(&self, key: &str) -> String {
        self.info[key].as_str().unwrap().to_owned()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn usage_errors_are_one_json_object_with_json() {
    for args in [
        // A required argument missing.
        &["sign", "--json", "--key", KEY][..],
        // An unknown flag, and --json before it.
        &["sign", "--json", "--bogus"][..],
        // No such command.
        &["--json", "no-such-command"][..],
        // A bad value.
        &[
            "sign",
            "--json",
            "--key",
            KEY,
            "--url",
            SIGN_URL,
            "--consumer-key",
            "m",
            "--timestamp",
            "x",
        ][..],
    ] {
        let out = paygate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let value = json_failure(&out);
        assert_eq!(value["error"]["kind"], "usage", "{args:?}: {value}");
    }
    // Without --json: clap's text on stderr, as before.
    let out = paygate(&["sign", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("--bogus"));
    // Help is still help, exit 0.
    let out = paygate(&["sign", "--json", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("Usage:"));
}

#[test]
fn unreadable_and_invalid_keys_are_json_with_kind_key() {
    let scratch = tempfile::tempdir().unwrap();
    let junk = scratch.path().join("junk.pem");
    std::fs::write(&junk, "not a key").unwrap();
    let missing = scratch.path().join("missing.pem");
    for key in [&junk, &missing] {
        let key = key.to_str().unwrap();
        let out = paygate(&[
            "sign",
            "--json",
            "--key",
            key,
            "--url",
            SIGN_URL,
            "--consumer-key",
            "m",
        ]);
        assert_eq!(out.status.code(), Some(2), "{key}");
        let value = json_failure(&out);
        assert_eq!(value["error"]["kind"], "key", "{value}");
    }
    // A --ca-cert that cannot be read: input_file.
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}/paynet/api/v4");
    let out = paygate(&[
        "status",
        "--json",
        "--gateway",
        &url,
        "--endpoint",
        "1",
        "--login",
        "m",
        "--key",
        KEY,
        "--client-orderid",
        "1",
        "--ca-cert",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_failure(&out)["error"]["kind"], "input_file");
}

#[test]
fn transport_errors_carry_the_kind_and_the_attempts() {
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}/paynet/api/v4");
    let args = [
        "status",
        "--gateway",
        &url,
        "--endpoint",
        "1",
        "--login",
        "m",
        "--key",
        KEY,
        "--client-orderid",
        "1",
    ];
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let out = paygate(&with_json);
    assert_eq!(out.status.code(), Some(5));
    let value = json_failure(&out);
    assert_eq!(value["error"]["kind"], "not_sent", "{value}");
    // A refused connection is retried: the default policy makes 3 attempts.
    assert_eq!(value["error"]["attempts"], 3, "{value}");
    assert_eq!(value["error"]["may_have_reached_gateway"], false);

    let out = paygate(&args);
    assert_eq!(out.status.code(), Some(5));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("after 3 attempts"), "{stderr}");
    assert!(stderr.contains("NOT sent"), "{stderr}");
}

#[test]
fn verbose_sends_redacted_tracing_to_stderr() {
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}/paynet/api/v4");
    let args = [
        "status",
        "--gateway",
        &url,
        "--endpoint",
        "1",
        "--login",
        "m",
        "--key",
        KEY,
        "--client-orderid",
        "1",
    ];
    // Quiet by default.
    let quiet = paygate(&args);
    assert!(
        !text(&quiet.stderr).contains("retrying"),
        "{}",
        text(&quiet.stderr)
    );

    let mut verbose = vec!["-vv"];
    verbose.extend(args);
    for out in [
        paygate(&verbose),
        paygate_env(&args, &[("RUST_LOG", "paygate_client=debug")]),
    ] {
        assert_eq!(out.status.code(), Some(5));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("retrying"), "{stderr}");
        assert!(stderr.contains("attempt=2"), "{stderr}");
        assert!(!stderr.contains("oauth_signature"), "{stderr}");
        assert!(!stderr.contains('\u{1b}'), "no colour codes: {stderr}");
        assert!(out.stdout.is_empty());
    }

    // The PaySecure password never appears, whatever the level.
    let base = format!("http://127.0.0.1:{port}/paysecure");
    let out = paygate_env(
        &[
            "-vvv",
            "create-key",
            "--gateway",
            &base,
            "--merchant-id",
            "M",
            "--user",
            "U",
            "--version",
            "1.0",
        ],
        &[("PAYSECURE_PASSWORD", "very-secret-pw-4242")],
    );
    assert_eq!(out.status.code(), Some(5));
    assert!(text(&out.stderr).contains("retrying"));
    for stream in [&out.stdout, &out.stderr] {
        assert!(!text(stream).contains("very-secret-pw-4242"));
    }
}

#[test]
fn sandbox_fault_needs_a_known_route() {
    for fault in ["status=503", "status=delay=2s", "payout:close", "delay=1s"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_paygate"))
            .args(["sandbox", "--json", "--fault", fault])
            .current_dir(workspace_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("--fault {fault} was accepted: the sandbox started");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = child.wait_with_output().unwrap();
        assert_eq!(status.code(), Some(2), "{fault}");
        let value = json_failure(&out);
        assert_eq!(value["error"]["kind"], "usage");
        let message = value["error"]["message"].as_str().unwrap();
        for route in [
            "create-card-ref",
            "status",
            "CreateKey",
            "TokenizeCard",
            "ROUTE:SPEC",
        ] {
            assert!(message.contains(route), "{fault}: {message}");
        }
    }
}

#[test]
fn sandbox_fault_for_the_status_route_only() {
    let sandbox = SandboxProcess::start(&["--fault", "status:status=503"]);
    let url = sandbox.url("payneteasy_base_url");
    let status = paygate(&[
        "status",
        "--json",
        "--gateway",
        &url,
        "--endpoint",
        "39915",
        "--login",
        "paygate-test-merchant",
        "--key",
        KEY,
        "--client-orderid",
        "34T43R77N",
    ]);
    assert_eq!(status.code_or_panic(), 5);
    let value = json_failure(&status);
    assert_eq!(value["error"]["kind"], "response_unreadable", "{value}");
    assert_eq!(value["error"]["attempts"], 3, "{value}");
    // Other routes are not faulted.
    let card_ref = paygate(&[
        "create-card-ref",
        "--json",
        "--gateway",
        &url,
        "--endpoint",
        "39915",
        "--login",
        "paygate-test-merchant",
        "--key",
        KEY,
        "--client-orderid",
        "34T43R77N",
        "--orderid",
        "6868305",
    ]);
    assert_eq!(card_ref.code_or_panic(), 0, "{}", text(&card_ref.stdout));
}

trait CodeOrPanic {
    fn code_or_panic(&self) -> i32;
}

impl CodeOrPanic for Output {
    fn code_or_panic(&self) -> i32 {
        self.status.code().expect("an exit code")
    }
}

#[test]
fn the_two_sandboxes_are_told_apart() {
    let out = paygate(&["status", "--help"]);
    let help = text(&out.stdout);
    assert!(help.contains("payneteasy-sandbox"), "{help}");
    assert!(help.contains("sandbox.payneteasy.com"), "{help}");
    assert!(help.contains("paygate sandbox"), "{help}");
    let out = paygate(&["sandbox", "--help"]);
    let help = text(&out.stdout);
    assert!(help.contains("embedded"), "{help}");
    assert!(help.contains("ROUTE:SPEC"), "{help}");
    // `sandbox` stays an alias of `payneteasy-sandbox`; a wrong name lists both.
    let out = paygate(&[
        "status",
        "--json",
        "--gateway",
        "nowhere",
        "--endpoint",
        "1",
        "--login",
        "m",
        "--key",
        KEY,
        "--client-orderid",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let value = json_failure(&out);
    let message = value["error"]["message"].as_str().unwrap();
    assert!(message.contains("payneteasy-sandbox"), "{message}");
}

#[test]
fn every_help_lists_the_exit_codes() {
    for command in [
        "demo",
        "load",
        "sign",
        "verify",
        "create-key",
        "tokenize-card",
        "sandbox",
        "create-card-ref",
        "status",
    ] {
        let out = paygate(&[command, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{command}");
        let help = text(&out.stdout);
        assert!(help.contains("Exit codes:"), "{command}: {help}");
        assert!(help.contains("  0 "), "{command}: {help}");
        assert!(help.contains("  2 "), "{command}: {help}");
    }
    let help = text(&paygate(&["verify", "--help"]).stdout);
    assert!(help.contains("  1 "), "{help}");
    let help = text(&paygate(&["status", "--help"]).stdout);
    assert!(help.contains("  5 "), "{help}");
}

#[test]
fn create_key_expiry_is_readable() {
    let sandbox = SandboxProcess::start(&[]);
    let base = sandbox.url("paysecure_base_url");
    let args = [
        "create-key",
        "--gateway",
        &base,
        "--merchant-id",
        TEST_MERCHANT_ID,
        "--user",
        TEST_USER_NAME,
        "--version",
        TEST_VERSION,
        "--ttl",
        "15",
    ];
    let out = paygate_env(&args, &[("PAYSECURE_PASSWORD", TEST_PASSWORD)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("Expires:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    // `Expires:  2026-12-01T10:15:00Z (in 15 minutes)`: RFC 3339 UTC, no raw milliseconds.
    assert!(!line.contains("Unix ms"), "{line}");
    let stamp = line.split_whitespace().nth(1).unwrap();
    assert!(stamp.ends_with('Z') && stamp.contains('T'), "{line}");
    assert!(
        line.contains("(in 15 minutes)") || line.contains("(in 14 minutes)"),
        "{line}"
    );

    let mut with_json = args.to_vec();
    with_json.push("--json");
    let out = paygate_env(&with_json, &[("PAYSECURE_PASSWORD", TEST_PASSWORD)]);
    assert_eq!(out.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(value["expires_at_unix_ms"].is_u64(), "{value}");
    let rfc3339 = value["expires_at"].as_str().unwrap();
    assert!(rfc3339.ends_with('Z') && rfc3339.contains('T'), "{value}");
}

#[test]
fn trace_of_successful_calls_holds_no_secret() {
    let sandbox = SandboxProcess::start(&[]);
    let url = sandbox.url("payneteasy_base_url");
    let out = paygate(&[
        "-vvv",
        "status",
        "--gateway",
        &url,
        "--endpoint",
        "39915",
        "--login",
        "paygate-test-merchant",
        "--key",
        KEY,
        "--client-orderid",
        "34T43R77N",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "{stderr}"
    );
    for secret in ["oauth_signature", "OAuth oauth_", "PRIVATE KEY"] {
        assert!(!stderr.contains(secret), "{secret} in {stderr}");
    }
    let base = sandbox.url("paysecure_base_url");
    let out = paygate_env(
        &[
            "-vvv",
            "create-key",
            "--gateway",
            &base,
            "--merchant-id",
            TEST_MERCHANT_ID,
            "--user",
            TEST_USER_NAME,
            "--version",
            TEST_VERSION,
        ],
        &[("PAYSECURE_PASSWORD", TEST_PASSWORD)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains(TEST_PASSWORD),
        "{}",
        text(&out.stderr)
    );
}

/// A mistyped path (`/paynet/apl/v4`): the sandbox answers 404. The request reached the host, but the
/// answer proves the gateway did not process it (`outcome` `not_processed`), and the text no
/// longer says it "may have reached the gateway". A refused connection is `not_processed`
/// and `retryable`; a 503 without `Retry-After` is `unknown`.
#[test]
fn json_errors_carry_the_outcome_and_whether_retryable() {
    let sandbox = SandboxProcess::start(&["--fault", "status:status=503"]);
    let mistyped = sandbox
        .url("payneteasy_base_url")
        .replace("/paynet/api/", "/paynet/apl/");
    assert!(mistyped.ends_with("/paynet/apl/v4"), "{mistyped}");
    let port = closed_port();
    let closed = format!("http://127.0.0.1:{port}/paynet/api/v4");
    let status = |url: &str, json: bool| {
        let mut args = vec![
            "status",
            "--gateway",
            url,
            "--endpoint",
            "39915",
            "--login",
            "paygate-test-merchant",
            "--key",
            KEY,
            "--client-orderid",
            "34T43R77N",
        ];
        if json {
            args.push("--json");
        }
        paygate(&args)
    };

    let out = status(&mistyped, true);
    assert_eq!(out.code_or_panic(), 5);
    let value = json_failure(&out);
    assert_eq!(value["error"]["kind"], "response_unreadable", "{value}");
    assert_eq!(value["error"]["may_have_reached_gateway"], true, "{value}");
    assert_eq!(value["error"]["outcome"], "not_processed", "{value}");
    assert_eq!(value["error"]["retryable"], false, "{value}");
    assert_eq!(
        value["error"]["attempts"], 1,
        "a 404 is not retried: {value}"
    );
    let out = status(&mistyped, false);
    assert_eq!(out.code_or_panic(), 5);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("did NOT process"), "{stderr}");
    assert!(!stderr.contains("may have reached"), "{stderr}");

    let value = json_failure(&status(&closed, true));
    assert_eq!(value["error"]["outcome"], "not_processed", "{value}");
    assert_eq!(value["error"]["retryable"], true, "{value}");

    let value = json_failure(&status(&sandbox.url("payneteasy_base_url"), true));
    assert_eq!(value["error"]["outcome"], "unknown", "{value}");
    assert_eq!(value["error"]["retryable"], false, "{value}");
}
