//! `paygate sandbox --json` as a child process, and `paygate create-card-ref` / `status`
//! against it with the shipped test key.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

const KEY: &str = "crates/paygate-sandbox/keys/test-merchant-private.pem";
const WRONG_KEY: &str = "testdata/vectors/keys/other2048-pkcs1.pem";

fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The sandbox child; killed on drop, so a failing assertion does not leak it.
struct SandboxProcess {
    child: Child,
    info: serde_json::Value,
}

impl SandboxProcess {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_paygate"))
            .args(["sandbox", "--json"])
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

    fn url(&self) -> String {
        self.info["payneteasy_base_url"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn paygate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paygate"))
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("run paygate")
}

fn create_card_ref(url: &str, key: &str, client_orderid: &str, orderid: &str) -> Output {
    paygate(&[
        "create-card-ref",
        "--gateway",
        url,
        "--endpoint",
        "39915",
        "--login",
        "paygate-test-merchant",
        "--key",
        key,
        "--client-orderid",
        client_orderid,
        "--orderid",
        orderid,
        "--json",
    ])
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {:?} stderr {:?}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn create_card_ref_against_the_sandbox_process() {
    let sandbox = SandboxProcess::start();
    let info = &sandbox.info;
    assert!(
        info["base_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(info["merchants"][0]["login"], "paygate-test-merchant");
    assert_eq!(info["merchants"][0]["endpoint_id"], 39915);
    assert_eq!(info["merchants"][0]["endpoint_group_id"], 1144);
    let url = sandbox.url();

    let ok = create_card_ref(&url, KEY, "34T43R77N", "6868305");
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let body = json(&ok);
    assert_eq!(body["response"]["card-ref-id"], "1461608");
    assert_eq!(body["response"]["status"], "approved");

    let refused = create_card_ref(&url, WRONG_KEY, "34T43R77N", "6868305");
    assert_eq!(refused.status.code(), Some(4));
    let body = json(&refused);
    assert_eq!(body["error"]["class"], "authentication_refused");
    assert_eq!(body["error"]["may_have_reached_gateway"], true);

    let unknown = create_card_ref(&url, KEY, "no-such-order", "1");
    assert_eq!(unknown.status.code(), Some(3));
    assert_eq!(json(&unknown)["error"]["class"], "rejected");

    // A decoded decline has its own exit code (6), apart from a refused request (3).
    let declined = paygate(&[
        "status",
        "--gateway",
        &url,
        "--group",
        "1144",
        "--login",
        "paygate-test-merchant",
        "--key",
        KEY,
        "--client-orderid",
        "PG-DECLINED-1",
    ]);
    assert_eq!(declined.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&declined.stdout).contains("declined"));
}

#[test]
fn create_key_against_the_sandbox_process_with_the_reported_credentials() {
    let sandbox = SandboxProcess::start();
    let ps = &sandbox.info["paysecure"];
    let base = sandbox.info["paysecure_base_url"]
        .as_str()
        .expect("paysecure_base_url");
    let out = Command::new(env!("CARGO_BIN_EXE_paygate"))
        .args([
            "create-key",
            "--gateway",
            base,
            "--merchant-id",
            ps["merchant_id"].as_str().expect("merchant_id"),
            "--user",
            ps["user_name"].as_str().expect("user_name"),
            "--version",
            ps["version"].as_str().expect("version"),
            "--json",
        ])
        .env(
            "PAYSECURE_PASSWORD",
            ps["password"].as_str().expect("password"),
        )
        .current_dir(workspace_root())
        .output()
        .expect("run paygate");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = json(&out);
    assert_eq!(body["key_bits"], 2048);
    assert!(
        body["response"]["KeyId"]
            .as_str()
            .is_some_and(|k| !k.is_empty())
    );
}

#[test]
fn transport_failure_and_bad_arguments() {
    // Nothing listens on port 1: not sent, exit 5, and the message says so.
    let out = create_card_ref("http://127.0.0.1:1/paynet/api/v4", KEY, "a", "1");
    assert_eq!(out.status.code(), Some(5));
    let body = json(&out);
    assert_eq!(body["error"]["class"], "not_sent");
    assert_eq!(body["error"]["may_have_reached_gateway"], false);

    let out = create_card_ref(
        "http://127.0.0.1:1/paynet/api/v4",
        "no-such-key.pem",
        "a",
        "1",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = create_card_ref("not a url", KEY, "a", "1");
    assert_eq!(out.status.code(), Some(2));
}
