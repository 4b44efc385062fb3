//! `paygate demo`, the README's first command, run as a user runs it.

use std::process::Command;

fn demo(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_paygate"))
        .arg("demo")
        .args(args)
        .arg("--json")
        .output()
        .expect("run paygate demo");
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {:?} stderr {:?}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), body)
}

fn assert_every_step_ok(body: &serde_json::Value) {
    let steps = body["steps"].as_array().expect("steps");
    let paysecure = steps
        .iter()
        .filter(|s| s["name"].as_str().unwrap().starts_with("PaySecure"))
        .count();
    assert_eq!(paysecure, 8, "{body:#}");
    assert!(steps.len() >= paysecure + 6, "{body:#}");
    for step in steps {
        assert_eq!(step["ok"], true, "step failed: {step:#}");
    }
    assert_eq!(body["ok"], true);
    // The seed order's reference (asked for twice, made once) and the lifecycle sale's.
    assert_eq!(
        body["sandbox"]["card_refs_created"], 2,
        "nothing created twice"
    );
    // The Payneteasy lifecycle, in order.
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    let lifecycle = [
        "sale, 3-D Secure",
        "3-D Secure page",
        "ACS",
        "customer return received and verified",
        "status after 3-D Secure",
        "create-card-ref (v2)",
        "make-rebill-sale",
        "partial return",
        "server callback received and verified",
    ];
    let mut at = 0;
    for wanted in lifecycle {
        let found = names[at..]
            .iter()
            .position(|n| n.contains(wanted))
            .unwrap_or_else(|| panic!("no step {wanted:?} after step {at}: {names:?}"));
        at += found + 1;
    }
}

#[test]
fn demo_over_https_behaves_as_expected() {
    let (code, body) = demo(&[]);
    assert_eq!(code, Some(0), "{body:#}");
    assert_eq!(body["tls"], true);
    assert!(
        body["base_url"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:")
    );
    assert_every_step_ok(&body);
    let names: Vec<&str> = body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names[0].contains("PSBINCheck"));
    assert!(names[1].contains("CreateKey"));
    assert!(names.iter().any(|n| n.contains("replayed")));
}

#[test]
fn demo_over_plain_loopback_http_behaves_as_expected() {
    let (code, body) = demo(&["--no-tls"]);
    assert_eq!(code, Some(0), "{body:#}");
    assert_eq!(body["tls"], false);
    assert_every_step_ok(&body);
}
