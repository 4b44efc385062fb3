//! Runs the built `paygate` binary against the shared vectors.

use std::path::PathBuf;
use std::process::{Command, Output};

use base64::Engine as _;

const URL: &str = "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915";
const BODY: &str = "client_orderid=34T43R77N&orderid=6868305";

fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Runs `paygate` from the workspace root, so `testdata/vectors/…` paths work as documented.
fn paygate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paygate"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("run paygate")
}

fn seed_vector() -> serde_json::Value {
    let path = workspace_root().join("testdata/vectors/oauth1/rsa_sha256.json");
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "payneteasy_create_card_ref_seed")
        .unwrap();
    case.clone()
}

fn sign_seed() -> serde_json::Value {
    let out = paygate(&[
        "sign",
        "--json",
        "--key",
        "testdata/vectors/keys/rsa4096-pkcs1.pem",
        "--url",
        URL,
        "--consumer-key",
        "TestMerchant",
        "--nonce",
        "KT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q",
        "--timestamp",
        "1673335450",
        "--param",
        "client_orderid=34T43R77N",
        "--param",
        "orderid=6868305",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn assert_usage_error(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
}

#[test]
fn sign_json_reproduces_the_seed_vector() {
    let json = sign_seed();
    let expected = &seed_vector()["expected"];
    let object = json.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "authorization",
            "base_string",
            "body",
            "normalized_parameters",
            "signature_base64",
            "signature_hex"
        ]
    );
    assert_eq!(
        json["normalized_parameters"],
        expected["normalized_parameters"]
    );
    assert_eq!(json["base_string"], expected["base_string"]);
    assert_eq!(json["signature_base64"], expected["signature"]);
    assert_eq!(json["body"], BODY);
    let raw = base64::engine::general_purpose::STANDARD
        .decode(expected["signature"].as_str().unwrap())
        .unwrap();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(json["signature_hex"], hex.as_str());
    let authorization = json["authorization"].as_str().unwrap();
    assert!(authorization.starts_with("OAuth oauth_consumer_key=\"TestMerchant\", oauth_nonce=\""));
    assert!(authorization.ends_with(", oauth_signature_method=\"RSA-SHA256\", oauth_timestamp=\"1673335450\", oauth_version=\"1.0\""));
}

#[test]
fn verify_accepts_the_seed_and_rejects_wrong_key_or_body() {
    let json = sign_seed();
    let authorization = json["authorization"].as_str().unwrap();
    let run = |key: &str, body: &str| {
        paygate(&[
            "verify",
            "--public-key",
            key,
            "--url",
            URL,
            "--authorization",
            authorization,
            "--body",
            body,
        ])
    };

    let ok = run("testdata/vectors/keys/rsa4096-public.pem", BODY);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("signature valid"));

    let expected_base_string = seed_vector()["expected"]["base_string"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong_key = run("testdata/vectors/keys/other2048-public.pem", BODY);
    assert_eq!(wrong_key.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&wrong_key.stdout);
    assert!(stdout.contains("signature invalid"), "{stdout}");
    assert!(stdout.contains(&expected_base_string), "{stdout}");

    let changed = run(
        "testdata/vectors/keys/rsa4096-public.pem",
        "client_orderid=34T43R77N&orderid=6868306",
    );
    assert_eq!(changed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&changed.stdout).contains("orderid%3D6868306"));

    // JSON mode.
    let out = paygate(&[
        "verify",
        "--json",
        "--public-key",
        "testdata/vectors/keys/rsa4096-public.pem",
        "--url",
        URL,
        "--authorization",
        authorization,
        "--body",
        BODY,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["base_string"], expected_base_string.as_str());

    // A malformed header is an invalid request (1), not a usage error.
    let bad = paygate(&[
        "verify",
        "--public-key",
        "testdata/vectors/keys/rsa4096-public.pem",
        "--url",
        URL,
        "--authorization",
        "OAuth oauth_consumer_key=TestMerchant",
    ]);
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn sign_with_random_nonce_and_current_time_verifies() {
    let out = paygate(&[
        "sign",
        "--key",
        "testdata/vectors/keys/rsa2048-pkcs8.pem",
        "--url",
        "https://gate.example/paynet/api/v4/status/1?x=a+b",
        "--consumer-key",
        "m",
        "--param",
        "note=a b&c=d",
        "--param",
        "empty=",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("note=a+b%26c%3Dd&empty="), "{text}");
    let authorization = text.lines().find(|l| l.starts_with("OAuth ")).unwrap();
    let verified = paygate(&[
        "verify",
        "--public-key",
        "testdata/vectors/keys/rsa2048-public.pem",
        "--url",
        "https://gate.example/paynet/api/v4/status/1?x=a+b",
        "--authorization",
        authorization,
        "--body",
        "note=a+b%26c%3Dd&empty=",
        "--content-type",
        "application/x-www-form-urlencoded; charset=UTF-8",
    ]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

#[test]
fn bad_arguments_and_unreadable_keys_exit_2() {
    let key = "testdata/vectors/keys/rsa4096-pkcs1.pem";
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["frobnicate"],
        vec!["sign", "--key", key, "--consumer-key", "m"],
        vec![
            "sign",
            "--key",
            key,
            "--url",
            URL,
            "--consumer-key",
            "m",
            "--param",
            "no-equals",
        ],
        vec![
            "sign",
            "--key",
            key,
            "--url",
            URL,
            "--consumer-key",
            "m",
            "--timestamp",
            "soon",
        ],
        vec![
            "sign",
            "--key",
            key,
            "--url",
            "not a url",
            "--consumer-key",
            "m",
        ],
        vec![
            "sign",
            "--key",
            "/nonexistent/key.pem",
            "--url",
            URL,
            "--consumer-key",
            "m",
        ],
        vec![
            "sign",
            "--key",
            "testdata/vectors/README.md",
            "--url",
            URL,
            "--consumer-key",
            "m",
        ],
        vec![
            "sign",
            "--key",
            "testdata/vectors/keys/rsa4096-public.pem",
            "--url",
            URL,
            "--consumer-key",
            "m",
        ],
        vec![
            "sign",
            "--key",
            "testdata/vectors/keys/oauthlib-test-1024-pkcs1.pem",
            "--url",
            URL,
            "--consumer-key",
            "m",
        ],
        vec![
            "verify",
            "--public-key",
            "/nonexistent.pem",
            "--url",
            URL,
            "--authorization",
            "OAuth",
        ],
        vec![
            "verify",
            "--public-key",
            key,
            "--url",
            URL,
            "--authorization",
            "OAuth",
        ],
    ];
    for args in cases {
        let out = paygate(&args);
        assert_usage_error(&out);
        if args.len() > 2 {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.starts_with("paygate: ") {
                assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
            }
        }
    }
    // Help is not an error.
    assert_eq!(paygate(&["--help"]).status.code(), Some(0));
    let help = paygate(&["verify", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("NO timestamp or nonce"));
}
