//! Runs the built `paygate` binary against an in-process PaySecure sandbox.

use std::process::{Command, Output};

use paygate_sandbox::paysecure::{TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION};
use paygate_sandbox::{PaySecureSandboxConfig, Sandbox};

/// A sandbox served by its own multi-threaded runtime, so the test can block on the binary.
struct Running {
    sandbox: Sandbox,
    _runtime: tokio::runtime::Runtime,
}

fn start() -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime
        .block_on(
            Sandbox::builder()
                .paysecure(PaySecureSandboxConfig::default())
                .start(),
        )
        .unwrap();
    Running {
        sandbox,
        _runtime: runtime,
    }
}

fn paygate(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paygate"));
    command
        .args(args)
        .env_remove("PAYSECURE_PASSWORD")
        .env_remove("PAYGATE_PAN");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run paygate")
}

fn create_key_args(gateway: &str) -> Vec<&str> {
    vec![
        "create-key",
        "--gateway",
        gateway,
        "--merchant-id",
        TEST_MERCHANT_ID,
        "--user",
        TEST_USER_NAME,
        "--version",
        TEST_VERSION,
    ]
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn create_key_success_prints_the_key() {
    let running = start();
    let base = running.sandbox.paysecure_base_url();
    let out = paygate(
        &create_key_args(&base),
        &[("PAYSECURE_PASSWORD", TEST_PASSWORD)],
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("KeyId:"), "{stdout}");
    assert!(
        stdout.contains("RSA 2048 bits, exponent 010001"),
        "{stdout}"
    );

    let mut args = create_key_args(&base);
    args.extend(["--json", "--ttl", "5"]);
    let out = paygate(&args, &[("PAYSECURE_PASSWORD", TEST_PASSWORD)]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(value["key_bits"], 2048);
    assert_eq!(value["response"]["Exponent"], "010001");
    assert_eq!(value["response"]["KeyId"].as_str().unwrap().len(), 32);
    assert!(
        value["response"]["Timestamps"]["AppLayer"]["InTime"]
            .as_str()
            .unwrap()
            .starts_with("/Date(")
    );
    assert!(value["expires_at_unix_ms"].is_u64());
    assert!(!text(&out.stdout).contains(TEST_PASSWORD));
    assert_eq!(running.sandbox.paysecure_stats().keys_issued, 2);
}

#[test]
fn wrong_password_exits_4() {
    let running = start();
    let base = running.sandbox.paysecure_base_url();
    let out = paygate(
        &create_key_args(&base),
        &[("PAYSECURE_PASSWORD", "wrong-pw-123")],
    );
    assert_eq!(out.status.code(), Some(4), "stderr: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));

    let mut args = create_key_args(&base);
    args.push("--json");
    let out = paygate(&args, &[("PAYSECURE_PASSWORD", "wrong-pw-123")]);
    assert_eq!(out.status.code(), Some(4));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["ok"], false);
    assert_eq!(value["error"]["class"], "authentication_refused");
    assert_eq!(value["error"]["http_status"], 401);
    for stream in [&out.stdout, &out.stderr] {
        assert!(!text(stream).contains("wrong-pw-123"));
    }
}

#[test]
fn connection_refused_exits_5_and_says_not_sent() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/paysecure");
    let out = paygate(&create_key_args(&base), &[("PAYSECURE_PASSWORD", "x")]);
    assert_eq!(out.status.code(), Some(5), "stderr: {}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("NOT sent"),
        "{}",
        text(&out.stderr)
    );

    let mut args = create_key_args(&base);
    args.push("--json");
    let out = paygate(&args, &[("PAYSECURE_PASSWORD", "x")]);
    assert_eq!(out.status.code(), Some(5));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["error"]["class"], "not_sent");
    assert_eq!(value["error"]["may_have_reached_gateway"], false);
}

#[test]
fn bad_arguments_exit_2() {
    // No password in the environment and no terminal.
    let out = paygate(&create_key_args("http://127.0.0.1:9/paysecure"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("PAYSECURE_PASSWORD"),
        "{}",
        text(&out.stderr)
    );
    // Not a gateway.
    let out = paygate(&create_key_args("ftp://x"), &[("PAYSECURE_PASSWORD", "x")]);
    assert_eq!(out.status.code(), Some(2));
    // Plain http to a remote host is refused before sending.
    let out = paygate(
        &create_key_args("http://gateway.example/paysecure"),
        &[("PAYSECURE_PASSWORD", "x")],
    );
    assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
}

#[test]
fn tokenize_card_prints_token_last4_and_bin() {
    let running = start();
    let base = running.sandbox.paysecure_base_url();
    let mut args = create_key_args(&base);
    args[0] = "tokenize-card";
    args.extend(["--expiration", "1230", "--cvn-env", "TEST_CVN", "--verify"]);
    let env = [
        ("PAYSECURE_PASSWORD", TEST_PASSWORD),
        ("PAYGATE_PAN", "4111 1111 1111 1111"),
        ("TEST_CVN", "123"),
    ];
    let out = paygate(&args, &env);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Last4:    1111"), "{stdout}");
    assert!(stdout.contains("BIN:      411111"), "{stdout}");
    assert!(!stdout.contains("4111111111111111"));

    args.push("--json");
    let out = paygate(&args, &env);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["response"]["CardLast4"], "1111");
    assert_eq!(value["response"]["CardToken"].as_str().unwrap().len(), 64);
    assert_eq!(running.sandbox.paysecure_stats().tokenizations, 2);

    // A card number failing Luhn is a bad argument, found before any request.
    let out = paygate(
        &args,
        &[
            ("PAYSECURE_PASSWORD", TEST_PASSWORD),
            ("PAYGATE_PAN", "4111111111111112"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("4111111111111112"));
}

/// `paygate paysecure <service> --gateway … --merchant-id … --user … --version … ARGS --json`.
fn service(
    base: &str,
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Output, serde_json::Value) {
    let mut all = vec![
        "paysecure",
        name,
        "--gateway",
        base,
        "--merchant-id",
        TEST_MERCHANT_ID,
        "--user",
        TEST_USER_NAME,
        "--version",
        TEST_VERSION,
        "--json",
    ];
    all.extend_from_slice(args);
    let mut env = env.to_vec();
    env.push(("PAYSECURE_PASSWORD", TEST_PASSWORD));
    let out = paygate(&all, &env);
    let value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    (out, value)
}

#[test]
fn every_paysecure_service_from_the_command_line() {
    let running = start();
    let base = running.sandbox.paysecure_base_url();
    let (out, v) = service(&base, "ps-bin-check", &["--bin", "411111"], &[]);
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["response"]["PinlessEcommerce"], true);

    let (out, v) = service(
        &base,
        "initiate",
        &[
            "--amount",
            "1500",
            "--currency-code",
            "840",
            "--reference-key",
            "cli-1",
        ],
        &[("PAYGATE_PAN", "4111111111111111")],
    );
    assert_eq!(out.status.code(), Some(0), "{v}");
    let tran_id = v["response"]["TranId"].as_str().unwrap().to_owned();
    assert!(!text(&out.stdout).contains("4111111111111111"));

    let (out, v) = service(
        &base,
        "pre-auth-capture",
        &[
            "--tran-id",
            &tran_id,
            "--amount",
            "1000",
            "--currency-code",
            "840",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["response"]["ResponseCode"], "00");
    // A second capture: the gateway says no (in-band), exit 3.
    let (out, v) = service(
        &base,
        "pre-auth-capture",
        &[
            "--tran-id",
            &tran_id,
            "--amount",
            "1",
            "--currency-code",
            "840",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{v}");
    assert_eq!(v["error"]["rejection"]["code"], "INVALID_TRANSACTION_STATE");

    let by_ref = [
        "--original-identifier-type",
        "ReferenceKey",
        "--original-data-identifier",
        "cli-1",
    ];
    let (out, v) = service(&base, "transaction-status", &by_ref, &[]);
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["response"]["History"]["Status"], "Captured");
    let (out, v) = service(&base, "reverse", &by_ref, &[]);
    assert_eq!(out.status.code(), Some(0), "{v}");
    let (out, v) = service(&base, "pre-auth-void", &by_ref, &[]);
    assert_eq!(out.status.code(), Some(3), "{v}");

    // Usage errors exit 2: a missing member, a bad number.
    let (out, _) = service(&base, "pre-auth-capture", &["--amount", "1"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let (out, _) = service(
        &base,
        "pre-auth-capture",
        &["--tran-id", "T", "--amount", "-1"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    // The aliases.
    let out = paygate(&["paysecure", "create-key", "--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn dry_run_masks_the_password_and_card_data() {
    let running = start();
    let base = running.sandbox.paysecure_base_url();
    let served = running.sandbox.requests_served();
    let (out, v) = service(
        &base,
        "initiate",
        &["--amount", "5", "--currency-code", "840", "--dry-run"],
        &[("PAYGATE_PAN", "4111111111111111")],
    );
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["method"], "POST");
    assert_eq!(v["url"], format!("{base}/Initiate"));
    assert_eq!(v["headers"][0][0], "Content-Type");
    let body = v["body"].as_str().unwrap();
    assert!(body.starts_with(r#"{"Credentials":{"MerchantId":"PGTEST01","UserName":"paygate-test","Password":"***","Version":"1.0"},"CardNumberInfo":{"CardDataType":"Encrypted","CardNumberData":"***","#), "{body}");
    let all = text(&out.stdout);
    assert!(
        !all.contains(TEST_PASSWORD) && !all.contains("4111111111111111"),
        "{all}"
    );
    let (_, v) = service(
        &base,
        "initiate",
        &[
            "--card-data-type",
            "Token",
            "--amount",
            "5",
            "--currency-code",
            "840",
            "--dry-run",
        ],
        &[("PAYGATE_CARD_TOKEN", "secret-token")],
    );
    assert!(!v["body"].as_str().unwrap().contains("secret-token"));
    assert_eq!(
        running.sandbox.requests_served(),
        served,
        "nothing was sent"
    );
}
