//! `paygate sandbox --tls`: the CA certificate file is private, exclusive and removed on exit.

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

fn start(args: &[&str]) -> (Child, Option<serde_json::Value>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_paygate"))
        .arg("sandbox")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start paygate sandbox");
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    let info = serde_json::from_str(&line).ok();
    (child, info)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Sends `signal` to the child (by its id) and waits up to 20 s for it to exit.
fn stop(child: &mut Child, signal: &str) -> ExitStatus {
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    wait(child)
}

fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the sandbox did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ca_file(info: &serde_json::Value) -> PathBuf {
    PathBuf::from(info["ca_cert_file"].as_str().expect("ca_cert_file"))
}

#[test]
fn the_ca_file_is_private_and_removed_on_ctrl_c_and_sigterm() {
    for signal in ["-INT", "-TERM"] {
        let (mut child, info) = start(&["--tls", "--json"]);
        let file = ca_file(&info.expect("one line of JSON"));
        let dir = file.parent().unwrap().to_owned();
        assert_eq!(mode(&file), 0o600, "{}", file.display());
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        assert!(
            std::fs::read_to_string(&file)
                .unwrap()
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        let status = stop(&mut child, signal);
        assert!(status.success(), "{signal}: {status}");
        assert!(!file.exists(), "{signal}: {} left behind", file.display());
        assert!(!dir.exists(), "{signal}: {} left behind", dir.display());
    }
}

#[test]
fn ca_cert_out_is_created_exclusively_and_removed() {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("ca.pem");
    let (mut child, info) = start(&["--tls", "--json", "--ca-cert-out", path.to_str().unwrap()]);
    assert_eq!(ca_file(&info.expect("one line of JSON")), path);
    assert_eq!(mode(&path), 0o600);
    assert!(stop(&mut child, "-INT").success());
    assert!(!path.exists());
}

#[test]
fn ca_cert_out_refuses_a_planted_symlink() {
    let scratch = tempfile::tempdir().unwrap();
    let victim = scratch.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let link = scratch.path().join("ca.pem");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let (mut child, info) = start(&["--tls", "--json", "--ca-cert-out", link.to_str().unwrap()]);
    // With --json the refusal is one line of JSON too, not the sandbox's description.
    let info = info.expect("one line of JSON");
    assert_eq!(info["ok"], false, "the sandbox started: {info}");
    assert!(info["base_url"].is_null(), "the sandbox started: {info}");
    let status = wait(&mut child);
    assert_eq!(status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
