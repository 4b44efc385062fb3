//! The `paygate` binary against hostile input: gateway text with terminal escapes, servers that
//! echo the request into their errors, key files that are not small regular files, and the
//! secret prompt on a terminal.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paygate_sandbox::paysecure::{TEST_MERCHANT_ID, TEST_USER_NAME, TEST_VERSION};

fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

const KEY: &str = "crates/paygate-sandbox/keys/test-merchant-private.pem";

/// How long a child may run before the harness kills it (a hang, not a timing check).
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits for `child`, killing it if it runs past [`PATIENCE`]; `None` when it was killed.
fn wait_bounded(mut child: Child) -> Option<Output> {
    let started = Instant::now();
    loop {
        match child.try_wait().expect("poll the child") {
            Some(_) => return Some(child.wait_with_output().expect("collect the output")),
            None if started.elapsed() > PATIENCE => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paygate"));
    command
        .args(args)
        .current_dir(workspace_root())
        .env_remove("PAYSECURE_PASSWORD")
        .env_remove("PAYGATE_PAN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = command(args);
    for (k, v) in env {
        command.env(k, v);
    }
    wait_bounded(command.spawn().expect("run paygate")).expect("paygate did not hang")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A loopback HTTP server answering every request with `answer(body)`, one thread per
/// connection, for the life of the test process.
fn serve(answer: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break at + 4;
                    }
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = text(&buf[..head_end]);
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = stream.write_all(&answer(&buf[head_end..head_end + length]));
            });
        }
    });
    addr
}

fn http(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn status_args(addr: SocketAddr) -> Vec<String> {
    [
        "status",
        "--gateway",
        &format!("http://{addr}/paynet/api/v4"),
        "--endpoint",
        "39915",
        "--login",
        "paygate-test-merchant",
        "--key",
        KEY,
        "--client-orderid",
        "34T43R77N",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn create_key_args(addr: SocketAddr) -> Vec<String> {
    [
        "create-key",
        "--gateway",
        &format!("http://{addr}/paysecure"),
        "--merchant-id",
        TEST_MERCHANT_ID,
        "--user",
        TEST_USER_NAME,
        "--version",
        TEST_VERSION,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn with_json(args: &[String], json: bool) -> Vec<&str> {
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    if json {
        args.push("--json");
    }
    args
}

/// Characters that must never reach a terminal raw: C0 (ESC, BEL, CR, LF…), DEL, C1 and the
/// bidirectional overrides and isolates.
fn raw_control(output: &str) -> Option<char> {
    output.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// ESC sequences, bidi overrides and newlines in gateway text are printed escaped, in text and
/// JSON mode, on stdout and stderr.
#[test]
fn gateway_text_reaches_the_terminal_escaped() {
    // Payneteasy: a validation error whose message and code carry escapes and a newline.
    let payneteasy = serve(|_| {
        let form = "type=validation-error\n&serial-number=%1B%5D0%3Bowned%07\n\
                    &error-message=%1B%5B31mRED%0AFAKE%20LINE%E2%80%AEevil%C2%9B2J\n\
                    &error-code=%1B%5B2J\n";
        http("200 OK", "text/html;charset=utf-8", form)
    });
    // Payneteasy: an answered status whose fields carry escapes (printed as a table).
    let payneteasy_status = serve(|_| {
        let form = "type=status-response\n&serial-number=1\n&merchant-order-id=34T43R77N\n\
                    &orderid=6868305\n&status=declined\n\
                    &error-message=%1B%5B31mdeclined%0Aapproved%7F\n";
        http("200 OK", "text/html;charset=utf-8", form)
    });
    // PaySecure: an in-band error with escapes (JSON `\u001b` decodes to a raw ESC).
    let paysecure = serve(|_| {
        let json =
            r#"{"ErrorCode":"1001\u001b[2J","ErrorMessage":"\u001b[31mbad\nline\u202e\u009b"}"#;
        http("200 OK", "application/json", json)
    });
    let cases = [
        ("status rejected", status_args(payneteasy), 3),
        ("status declined", status_args(payneteasy_status), 6),
        ("create-key in-band", create_key_args(paysecure), 3),
    ];
    for (what, args, code) in &cases {
        for json in [false, true] {
            let out = run(
                &with_json(args, json),
                &[("PAYSECURE_PASSWORD", "sandbox-password")],
            );
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(
                out.status.code(),
                Some(*code),
                "{what} json={json}: {stdout} {stderr}"
            );
            for (stream, output) in [("stdout", &stdout), ("stderr", &stderr)] {
                assert_eq!(
                    raw_control(output),
                    None,
                    "{what} json={json}: raw control character on {stream}: {output:?}"
                );
            }
            let all = format!("{stdout}{stderr}");
            assert!(
                all.contains("RED") || all.contains("bad") || all.contains("declined"),
                "{what} json={json}: the message is still shown: {all}"
            );
            if json {
                let value: serde_json::Value =
                    serde_json::from_str(&stdout).expect("still one JSON object");
                let message = value["error"]["message"]
                    .as_str()
                    .or(value["response"]["error-message"].as_str())
                    .unwrap();
                assert!(
                    message.contains('\u{1b}'),
                    "JSON keeps the exact text, escaped"
                );
            } else {
                assert!(
                    all.contains("\\x1b") || all.contains("\\u{1b}"),
                    "{what}: the escape is visible: {all}"
                );
                // The gateway's newline does not start a line of its own.
                assert!(
                    !all.lines().any(|l| l.starts_with("FAKE LINE")
                        || l.starts_with("approved")
                        || l.starts_with("line")),
                    "{what}: {all}"
                );
            }
        }
    }
}

/// The password, as typed, and a part of it that any leak would show.
const PASSWORD: &str = "Hunter2\"quote/slash";
const PASSWORD_CORE: &str = "Hunter2";

/// A server that echoes the request body (with the password) into its error never puts the
/// password on the terminal.
#[test]
fn echoed_request_bodies_never_reach_the_terminal() {
    type Answer = fn(&[u8]) -> Vec<u8>;
    let answers: [(&str, Answer); 4] = [
        ("ResponseStatus echo", |body| {
            let message = format!("Invalid request: {}", text(body));
            let json = serde_json::json!({
                "ResponseStatus": { "ErrorCode": "ValidationException", "Message": message }
            });
            http("400 Bad Request", "application/json", &json.to_string())
        }),
        ("HTML page echo", |body| {
            let page = format!(
                "<html><body><h1>Error</h1><pre>{}</pre></body></html>",
                text(body)
            );
            http("500 Internal Server Error", "text/html", &page)
        }),
        ("in-band echo", |body| {
            let sent: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let password = sent["Credentials"]["Password"].as_str().unwrap_or("?");
            let json = serde_json::json!({
                "ErrorCode": "1001", "ErrorMessage": format!("wrong password {password}")
            });
            http("200 OK", "application/json", &json.to_string())
        }),
        ("401 echo", |body| {
            let sent: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let password = sent["Credentials"]["Password"].as_str().unwrap_or("?");
            let json = serde_json::json!({
                "ResponseStatus": { "ErrorCode": "Unauthorized", "Message": format!("no {password}") }
            });
            http("401 Unauthorized", "application/json", &json.to_string())
        }),
    ];
    for (what, answer) in answers {
        let addr = serve(answer);
        for json in [false, true] {
            let args = create_key_args(addr);
            let out = run(&with_json(&args, json), &[("PAYSECURE_PASSWORD", PASSWORD)]);
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert!(
                matches!(out.status.code(), Some(3..=5)),
                "{what}: {:?} {all}",
                out.status
            );
            assert!(
                !all.contains(PASSWORD_CORE),
                "{what} json={json}: the password reached the terminal: {all}"
            );
            assert!(all.contains("[redacted]"), "{what} json={json}: {all}");
        }
    }
}

/// A fresh private directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("paygate-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Key and CA files must be small regular files: a device, a FIFO, stdin, a directory or a
/// huge file is refused at once with exit 2 and a clear message (no hang, no huge read).
#[cfg(unix)]
#[test]
fn key_and_ca_files_must_be_small_regular_files() {
    let dir = scratch("files");
    let fifo = dir.join("key.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let big = dir.join("big.pem");
    std::fs::write(&big, vec![b'A'; 300 * 1024]).unwrap();
    let link = dir.join("link-to-zero.pem");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let url = "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915";
    let bad: [(&Path, &str); 6] = [
        (Path::new("/dev/zero"), "not a regular file"),
        (&fifo, "not a regular file"),
        (Path::new("/dev/stdin"), "not a regular file"),
        (&dir, "not a regular file"),
        (&big, "larger than"),
        (&link, "not a regular file"),
    ];
    for (path, reason) in bad {
        let path = path.to_str().unwrap();
        let runs: [Vec<&str>; 4] = [
            vec!["sign", "--key", path, "--url", url, "--consumer-key", "m"],
            vec![
                "verify",
                "--public-key",
                path,
                "--url",
                url,
                "--authorization",
                "OAuth",
            ],
            {
                let mut args = vec![
                    "status",
                    "--gateway",
                    "http://127.0.0.1:1/paynet/api/v4",
                    "--endpoint",
                    "1",
                    "--login",
                    "m",
                    "--client-orderid",
                    "a",
                    "--key",
                ];
                args.push(path);
                args
            },
            vec![
                "status",
                "--gateway",
                "http://127.0.0.1:1/paynet/api/v4",
                "--endpoint",
                "1",
                "--login",
                "m",
                "--client-orderid",
                "a",
                "--key",
                KEY,
                "--ca-cert",
                path,
            ],
        ];
        for args in runs {
            // stdin is an open pipe nobody writes to: reading it would wait forever.
            let child = command(&args)
                .stdin(Stdio::piped())
                .spawn()
                .expect("run paygate");
            let out = wait_bounded(child)
                .unwrap_or_else(|| panic!("{args:?} hung on {path} and was killed"));
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(reason) && stderr.contains(path),
                "{args:?}: {stderr}"
            );
        }
    }
    // A regular key file still works, and a symbolic link to one too.
    let good = dir.join("good.pem");
    std::os::unix::fs::symlink(workspace_root().join(KEY), &good).unwrap();
    let out = run(
        &[
            "sign",
            "--key",
            good.to_str().unwrap(),
            "--url",
            url,
            "--consumer-key",
            "m",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `paygate` with a pseudo-terminal as stdin and waits for its password prompt.
/// Returns the terminal's master side, the child, and the thread collecting its stderr.
#[cfg(unix)]
fn prompting(
    args: &[&str],
) -> (
    std::os::fd::OwnedFd,
    Child,
    std::thread::JoinHandle<Vec<u8>>,
) {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("a pseudo-terminal");
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(name.to_str().unwrap())
        .unwrap();
    let mut child = command(args)
        .stdin(Stdio::from(slave))
        .spawn()
        .expect("run paygate");
    // Wait for the prompt on stderr before typing, so no key is typed before the prompt.
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let collector = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while let Ok(1) = stderr.read(&mut byte) {
            seen.push(byte[0]);
            if seen.ends_with(b"password: ") {
                let _ = tx.send(());
            }
        }
        seen
    });
    rx.recv_timeout(PATIENCE).expect("the password prompt");
    (master, child, collector)
}

/// On a terminal, the password prompt does not echo what is typed, and core dumps are off
/// while it waits; without a terminal and without `PAYSECURE_PASSWORD`, it refuses with a
/// clear message instead of reading stdin.
#[cfg(unix)]
#[test]
fn secret_prompts_do_not_echo() {
    let args = create_key_args("127.0.0.1:1".parse().unwrap());
    let (master, child, stderr) = prompting(&with_json(&args, false));
    // While the secret is being read, the process can dump no core: soft and hard limit 0.
    #[cfg(target_os = "linux")]
    {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&fields[4..6], ["0", "0"], "{line}");
    }
    let mut typing = std::fs::File::from(master.try_clone().unwrap());
    typing.write_all(b"Typed-Secret-77\n").unwrap();
    let out = wait_bounded(child).expect("paygate did not hang");
    // Nothing listens on port 1: the password was read and the call failed as not sent.
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        text(&stderr.join().unwrap())
    );
    // What the terminal displayed: everything the child and the line discipline wrote.
    rustix::fs::fcntl_setfl(&master, rustix::fs::OFlags::NONBLOCK).unwrap();
    let mut shown = Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(n) = rustix::io::read(&master, &mut buf) {
        if n == 0 {
            break;
        }
        shown.extend_from_slice(&buf[..n]);
    }
    assert!(
        !text(&shown).contains("Typed-Secret"),
        "the terminal echoed the password: {:?}",
        text(&shown)
    );

    // No terminal and no variable: a clear refusal, exit 2, nothing read from the pipe.
    let child = command(&with_json(&args, false))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_bounded(child).expect("no hang");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("PAYSECURE_PASSWORD"));
}

/// Ctrl-C at the prompt cancels at once (exit 2, "cancelled") and leaves the terminal as it
/// was: echo, line editing and signals on again.
#[cfg(unix)]
#[test]
fn a_cancelled_prompt_restores_the_terminal() {
    use rustix::termios::{LocalModes, tcgetattr};

    let args = create_key_args("127.0.0.1:1".parse().unwrap());
    let (master, child, stderr) = prompting(&with_json(&args, false));
    let before = tcgetattr(&master).unwrap();
    assert!(
        !before.local_modes.contains(LocalModes::ECHO),
        "echo is off while the prompt waits"
    );
    let mut typing = std::fs::File::from(master.try_clone().unwrap());
    typing.write_all(b"half-typed\x03").unwrap();
    let out = wait_bounded(child).expect("Ctrl-C ends the prompt");
    let stderr = text(&stderr.join().unwrap());
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    assert!(!stderr.contains("half-typed"), "{stderr}");
    let after = tcgetattr(&master).unwrap();
    assert!(
        after
            .local_modes
            .contains(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG),
        "the terminal is restored"
    );
}
