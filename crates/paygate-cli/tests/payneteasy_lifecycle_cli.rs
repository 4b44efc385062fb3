//! `paygate payneteasy <command>` through the binary, against `paygate sandbox --json` as a
//! child process: every operation has its subcommand, `--dry-run --json`, card data only from
//! the environment, `--wait`, the exit codes, JSON mode.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use paygate_sandbox::payneteasy::{
    AMOUNT_LONG_PROCESSING, CARD_3DS, CARD_APPROVED, CARD_DECLINED, TEST_CONTROL_KEY,
};

const KEY: &str = "crates/paygate-sandbox/keys/test-merchant-private.pem";
const CARD: &str = "PAYNETEASY_CREDIT_CARD_NUMBER";
const CVV: &str = "PAYNETEASY_CVV2";

fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The sandbox child; killed on drop.
struct SandboxProcess {
    child: Child,
    url: String,
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
        let info: serde_json::Value = serde_json::from_str(&line).expect("one line of JSON");
        let url = info["payneteasy_base_url"].as_str().unwrap().to_owned();
        SandboxProcess { child, url }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `paygate payneteasy <args>` with the test merchant's settings and `env`, stdin closed.
fn payneteasy(gateway: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paygate"));
    command
        .arg("payneteasy")
        .args(args)
        .args([
            "--gateway",
            gateway,
            "--endpoint",
            "39915",
            "--login",
            "paygate-test-merchant",
            "--key",
            KEY,
        ])
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .env_remove(CARD)
        .env_remove(CVV)
        .env("PAYNETEASY_CONTROL_KEY", TEST_CONTROL_KEY);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run paygate")
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

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// The flags of a v2 sale of `amount` USD for `client_orderid`.
fn sale_args<'a>(client_orderid: &'a str, amount: &'a str) -> Vec<&'a str> {
    vec![
        "sale",
        "--api",
        "v2",
        "--client-orderid",
        client_orderid,
        "--order-desc",
        "cli test",
        "--address1",
        "1 Main St",
        "--city",
        "Springfield",
        "--zip-code",
        "12345",
        "--country",
        "US",
        "--phone",
        "+15555550100",
        "--email",
        "payer@example.com",
        "--amount",
        amount,
        "--currency",
        "USD",
        "--ipaddress",
        "127.0.0.1",
        "--card-printed-name",
        "JOHN DOE",
        "--expire-month",
        "12",
        "--expire-year",
        "2030",
        "--redirect-url",
        "http://127.0.0.1:1/return",
    ]
}

fn card(number: &str) -> [(&'static str, &str); 2] {
    [(CARD, number), (CVV, "123")]
}

#[test]
fn every_operation_has_a_subcommand_whose_help_lists_the_exit_codes() {
    let mut names = Vec::new();
    macro_rules! collect {
        ($op:ident, $name:literal) => {
            names.push($name);
        };
    }
    payneteasy_proto::for_each_operation!(collect);
    names.dedup();
    for name in names {
        let out = Command::new(env!("CARGO_BIN_EXE_paygate"))
            .args(["payneteasy", name, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert_eq!(code(&out), 0, "{name}");
        for line in [
            "Exit codes:",
            "  3  the gateway said no",
            "  6  declined",
            "  7  not final",
        ] {
            assert!(help.contains(line), "{name}: {line}\n{help}");
        }
        assert!(!help.contains("--credit-card-number") && !help.contains("--cvv2"));
    }
}

#[test]
fn dry_run_prints_the_exact_request_with_card_data_masked() {
    // capture with amount: the specification's computed vector (table A.2).
    let out = payneteasy(
        "sandbox",
        &[
            "capture",
            "--client-orderid",
            "902B4FF5",
            "--orderid",
            "1234567",
            "--amount",
            "10.42",
            "--currency",
            "USD",
            "--dry-run",
            "--json",
        ],
        &[],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let dry = json(&out);
    assert_eq!(dry["method"], "POST");
    assert_eq!(
        dry["url"],
        "https://sandbox.payneteasy.com/paynet/api/v2/capture/39915"
    );
    let body = dry["body"].as_str().unwrap();
    assert!(
        body.starts_with("login=paygate-test-merchant&client_orderid=902B4FF5&orderid=1234567&amount=10.42&currency=USD&control="),
        "{body}"
    );
    // The sale: card number masked to its last four digits, CVV masked, control shown.
    let mut args = sale_args("dry-1", "10.42");
    args.extend(["--dry-run", "--json"]);
    let out = payneteasy("sandbox", &args, &card(CARD_APPROVED));
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(CARD_APPROVED), "{stdout}");
    let body = json(&out)["body"].as_str().unwrap().to_owned();
    assert!(
        body.contains("credit_card_number=************1111&"),
        "{body}"
    );
    assert!(body.contains("&cvv2=***&"), "{body}");
    assert!(body.contains("&control="), "{body}");
    let headers = json(&out)["headers"].clone();
    assert!(
        headers
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "content-type"),
        "{headers}"
    );
    // v4: the OAuth Authorization header is shown.
    let out = payneteasy(
        "sandbox",
        &["status", "--client-orderid", "a", "--dry-run", "--json"],
        &[],
    );
    let headers = json(&out)["headers"].to_string();
    assert!(headers.contains("OAuth oauth_consumer_key"), "{headers}");
    // JSON mode asks for JSON.
    let out = payneteasy(
        "sandbox",
        &[
            "status",
            "--client-orderid",
            "a",
            "--dry-run",
            "--json",
            "--mode",
            "json",
        ],
        &[],
    );
    assert!(
        json(&out)["headers"]
            .to_string()
            .contains("application/vnd.pay+json")
    );
}

#[test]
fn card_data_never_comes_from_the_command_line() {
    let mut args = sale_args("nocard-1", "1.00");
    args.extend(["--credit-card-number", CARD_APPROVED]);
    let out = payneteasy("sandbox", &args, &[]);
    assert_eq!(code(&out), 2);
    // Without the variable and without a terminal: refused, nothing sent.
    let args = sale_args("nocard-2", "1.00");
    let out = payneteasy("sandbox", &[&args[..], &["--json"]].concat(), &[]);
    assert_eq!(code(&out), 2);
    let error = json(&out);
    assert_eq!(error["error"]["kind"], "secret", "{error}");
    assert!(
        error["error"]["message"].as_str().unwrap().contains(CARD),
        "{error}"
    );
    // A missing field names its flag.
    let out = payneteasy(
        "sandbox",
        &["capture", "--client-orderid", "x", "--json"],
        &[],
    );
    assert_eq!(code(&out), 2);
    assert!(
        json(&out)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--orderid")
    );
}

#[test]
fn lifecycle_through_the_binary() {
    let sandbox = SandboxProcess::start();
    let url = sandbox.url.as_str();

    // Approved sale, waited for: exit 0, final approved.
    let mut args = sale_args("cli-1", "10.42");
    args.extend(["--wait", "--poll-every", "0.05", "--json"]);
    let out = payneteasy(url, &args, &card(CARD_APPROVED));
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let body = json(&out);
    assert_eq!(body["response"]["type"], "async-response", "{body}");
    assert_eq!(body["status_response"]["status"], "approved", "{body}");
    assert_eq!(body["final"], true);
    let orderid = body["response"]["paynet-order-id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(CARD_APPROVED));

    // Without --wait the accepted payment exits 0, not final.
    let out = payneteasy(
        url,
        &[&sale_args("cli-2", "1.00")[..], &["--json"]].concat(),
        &card(CARD_APPROVED),
    );
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["final"], false);

    // create-card-ref v2 → make-rebill-sale --wait → partial return --wait.
    let out = payneteasy(
        url,
        &[
            "create-card-ref",
            "--api",
            "v2",
            "--client-orderid",
            "cli-1",
            "--orderid",
            &orderid,
            "--json",
        ],
        &[],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let cardrefid = json(&out)["response"]["card-ref-id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = payneteasy(
        url,
        &[
            "make-rebill-sale",
            "--client-orderid",
            "cli-rebill-1",
            "--cardrefid",
            &cardrefid,
            "--amount",
            "5.00",
            "--currency",
            "USD",
            "--wait",
            "--poll-every",
            "0.05",
            "--json",
        ],
        &[],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(json(&out)["status_response"]["status"], "approved");
    let out = payneteasy(
        url,
        &[
            "return",
            "--client-orderid",
            "cli-1",
            "--orderid",
            &orderid,
            "--amount",
            "4.00",
            "--currency",
            "USD",
            "--wait",
            "--poll-every",
            "0.05",
            "--json",
        ],
        &[],
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        json(&out)["status_response"]["transaction-type"],
        "reversal"
    );
    // More than what remains: the gateway says no (3).
    let out = payneteasy(
        url,
        &[
            "return",
            "--client-orderid",
            "cli-1",
            "--orderid",
            &orderid,
            "--amount",
            "100.00",
            "--currency",
            "USD",
            "--json",
        ],
        &[],
    );
    assert_eq!(code(&out), 3, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(json(&out)["error"]["kind"], "rejected");

    // A declined card: exit 6 once final.
    let mut args = sale_args("cli-declined", "1.00");
    args.extend(["--wait", "--poll-every", "0.05", "--json"]);
    let out = payneteasy(url, &args, &card(CARD_DECLINED));
    assert_eq!(code(&out), 6, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(json(&out)["status_response"]["status"], "declined");

    // Long processing: polled until approved.
    let mut args = sale_args("cli-long", AMOUNT_LONG_PROCESSING);
    args.extend(["--wait", "--poll-every", "0.05", "--json"]);
    let out = payneteasy(url, &args, &card(CARD_APPROVED));
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    assert!(json(&out)["polls"].as_u64().unwrap() >= 3);

    // 3-D Secure with nobody at the ACS: the page to show, then not final at the deadline (7).
    let mut args = sale_args("cli-3ds", "2.00");
    args.extend([
        "--wait",
        "--poll-every",
        "0.05",
        "--wait-timeout",
        "0.5",
        "--json",
    ]);
    let out = payneteasy(url, &args, &card(CARD_3DS));
    assert_eq!(code(&out), 7, "{}", String::from_utf8_lossy(&out.stdout));
    let body = json(&out);
    assert_eq!(body["next_actions"][0]["action"], "show_html", "{body}");
    assert_eq!(body["ok"], false);

    // Status in JSON mode, v4 and v2.
    for api in ["v4", "v2"] {
        let out = payneteasy(
            url,
            &[
                "status",
                "--api",
                api,
                "--client-orderid",
                "cli-1",
                "--orderid",
                &orderid,
                "--mode",
                "json",
                "--json",
            ],
            &[],
        );
        assert_eq!(
            code(&out),
            0,
            "{api}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(json(&out)["response"]["status"], "approved");
    }

    // The ephemeral ticket (v4, JSON only) in either mode.
    for mode in ["form", "json"] {
        let out = payneteasy(
            url,
            &["tokenize-create-ephemeral-ticket", "--mode", mode, "--json"],
            &[],
        );
        assert_eq!(
            code(&out),
            0,
            "{mode}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let response = &json(&out)["response"];
        assert!(response["ephemeralTicket"].as_str().is_some(), "{response}");
        assert!(response.get("type").is_none(), "{response}");
    }

    // A wrong control key: the gateway refuses the control.
    let out = payneteasy(
        url,
        &[
            "status",
            "--api",
            "v2",
            "--client-orderid",
            "cli-1",
            "--orderid",
            &orderid,
            "--control-key-env",
            "WRONG_KEY",
            "--json",
        ],
        &[("WRONG_KEY", "not-the-key")],
    );
    assert_eq!(code(&out), 3, "{}", String::from_utf8_lossy(&out.stdout));
}
