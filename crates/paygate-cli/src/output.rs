//! Shared plumbing for the subcommands: exit codes, one-line errors, input files, and the one
//! way to print (every byte this tool writes to stdout or stderr goes through [`print()`],
//! [`eprint_line`] or [`print_json_value`], so terminal escapes from a gateway and known
//! secrets never reach the terminal).

use std::borrow::Cow;
use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};

use paygate_client::redact::Redactor;

/// The exit codes every command shares (`0` and `2`), listed in each `--help` by
/// [`exit_codes`].
pub(crate) const EXIT_CODES: &[(u8, &str)] = &[
    (0, "success"),
    (
        2,
        "bad arguments (clap's usage errors too), an unreadable or invalid key or input file,\n     \
         a missing secret; with --json one JSON object on stdout, error.kind says which",
    ),
];

/// The exit codes of the commands that call a gateway ([`crate::report`]).
pub(crate) const EXIT_CODES_GATEWAY: &[(u8, &str)] = &[
    (3, "the gateway said no (error.kind rejected)"),
    (
        4,
        "authentication refused (error.kind authentication_refused)",
    ),
    (
        5,
        "transport failure: error.kind not_sent, maybe_sent or response_unreadable; the\n     \
         message says whether the request may have reached the gateway and how many attempts\n     \
         were made (error.attempts in JSON)",
    ),
];

/// The `Exit codes:` table of a command's `--help`: [`EXIT_CODES`], then `extra` (a code
/// given in both takes the text of `extra`), by code, after `intro` (a paragraph or "").
pub(crate) fn exit_codes(intro: &str, extra: &[&[(u8, &str)]]) -> String {
    let mut codes: Vec<(u8, &str)> = EXIT_CODES.to_vec();
    for &(code, text) in extra.iter().copied().flatten() {
        codes.retain(|(c, _)| *c != code);
        codes.push((code, text));
    }
    codes.sort_by_key(|(c, _)| *c);
    let mut out = String::from(intro);
    if !intro.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str("Exit codes:");
    for (code, text) in codes {
        out.push_str(&format!("\n  {code}  {text}"));
    }
    out
}

/// Exit code for bad arguments and unreadable keys.
pub(crate) fn exit_usage() -> ExitCode {
    ExitCode::from(2)
}

/// Exit code for "the signature is invalid".
pub(crate) fn exit_invalid() -> ExitCode {
    ExitCode::from(1)
}

/// What a [`CliError`] is about: the `error.kind` of the `--json` failure object (stable
/// names, documented in the README and [`crate::report`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// Bad arguments: clap's errors and values that do not make sense.
    Usage,
    /// A key file that cannot be read, or that is not a key.
    Key,
    /// Another input file (`--ca-cert`, a `--merchant` public key) that cannot be read.
    InputFile,
    /// A secret (password, card number) that is not available or not valid.
    Secret,
    /// The machine refused something (the async runtime, a signal handler, a listening port).
    System,
}

impl ErrorKind {
    /// The stable name in JSON.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::Key => "key",
            ErrorKind::InputFile => "input_file",
            ErrorKind::Secret => "secret",
            ErrorKind::System => "system",
        }
    }
}

/// A one-line error for the user (exit code 2), with its [`ErrorKind`].
#[derive(Debug)]
pub(crate) struct CliError {
    kind: ErrorKind,
    line: String,
}

impl CliError {
    /// A one-line usage error with no underlying cause.
    pub(crate) fn message(text: impl Into<String>) -> Self {
        CliError {
            kind: ErrorKind::Usage,
            line: text.into().replace('\n', " "),
        }
    }

    /// `context: error: source: source…` on one line (a usage error).
    pub(crate) fn new(context: impl fmt::Display, error: &dyn std::error::Error) -> Self {
        let mut line = format!("{context}: {error}");
        let mut source = error.source();
        while let Some(e) = source {
            // A client `Error`'s text already holds its causes: each is written once.
            let text = e.to_string();
            if !line.contains(text.as_str()) {
                line.push_str(": ");
                line.push_str(&text);
            }
            source = e.source();
        }
        CliError {
            kind: ErrorKind::Usage,
            line: line.replace('\n', " "),
        }
    }

    /// The same error as another kind.
    #[must_use]
    pub(crate) fn kind(self, kind: ErrorKind) -> Self {
        CliError { kind, ..self }
    }

    /// Prints it (text on stderr, or in `--json` mode one JSON object on ONE line of stdout)
    /// and returns the exit code 2.
    pub(crate) fn report(&self) -> ExitCode {
        if json_mode() {
            let _ = print_json_value(
                &serde_json::json!({
                    "ok": false,
                    "error": { "kind": self.kind.name(), "message": self.line },
                }),
                false,
            );
        } else {
            eprint_line(&format!("paygate: {}", Shown(&self.line)));
        }
        exit_usage()
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

static JSON_MODE: AtomicBool = AtomicBool::new(false);

/// Whether `--json` is among the arguments (before a `--`): then every failure, clap's usage
/// errors included, is one JSON object on one line of stdout (the successes are on stdout
/// too: one line for `sandbox`, `demo` and `load`, pretty-printed for the others).
pub(crate) fn json_requested<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(
    args: I,
) -> bool {
    args.into_iter()
        .map(|a| a.as_ref().to_owned())
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// Turns `--json` failure reporting on (see [`json_requested`]).
pub(crate) fn set_json_mode(on: bool) {
    JSON_MODE.store(on, Ordering::Relaxed);
}

/// Whether failures are reported as JSON.
pub(crate) fn json_mode() -> bool {
    JSON_MODE.load(Ordering::Relaxed)
}

/// Reads a key file: PEM text (one-line `\n` escapes included) or raw DER.
pub(crate) enum KeyFile {
    Pem(String),
    Der(Vec<u8>),
}

/// Reads a key file with [`read_input_file`]: PEM when it is UTF-8, DER otherwise.
pub(crate) fn read_key_file(path: &Path) -> Result<KeyFile, CliError> {
    let bytes = read_input_file(path, "key file").map_err(|e| e.kind(ErrorKind::Key))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(KeyFile::Pem(text)),
        Err(e) => Ok(KeyFile::Der(e.into_bytes())),
    }
}

/// The largest key, certificate or other input file read: far above any RSA key or CA bundle
/// a merchant uses, far below what would hurt.
pub(crate) const MAX_INPUT_FILE_BYTES: u64 = 256 * 1024;

/// Reads a small regular file given on the command line (`what` names it in errors).
///
/// Anything that is not a regular file (a device such as `/dev/zero`, a FIFO, `/dev/stdin`,
/// a directory) is refused before it is read, so nothing waits on a pipe or reads forever; the
/// check is made on the path (links followed) and again on the opened handle, which is opened
/// non-blocking in case the path was swapped for a FIFO in between. A file over
/// [`MAX_INPUT_FILE_BYTES`] is refused, and at most one byte more than the limit is ever read
/// (a file that grows while being read is caught too).
///
/// # Errors
/// A one-line [`CliError`] of kind [`ErrorKind::InputFile`] (exit 2) naming the path and the
/// reason.
pub(crate) fn read_input_file(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    read_input_file_inner(path, what).map_err(|e| e.kind(ErrorKind::InputFile))
}

fn read_input_file_inner(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    let refuse = |reason: &str| {
        CliError::message(format!("cannot read {what} {}: {reason}", path.display()))
    };
    let limit = MAX_INPUT_FILE_BYTES;
    let too_large = || refuse(&format!("it is larger than {} KiB", limit / 1024));
    let check = |metadata: &std::fs::Metadata| {
        if !metadata.is_file() {
            Err(refuse("it is not a regular file"))
        } else if metadata.len() > limit {
            Err(too_large())
        } else {
            Ok(())
        }
    };
    let metadata = std::fs::metadata(path)
        .map_err(|e| CliError::new(format!("cannot read {what} {}", path.display()), &e))?;
    check(&metadata)?;
    let file = open_no_wait(path)
        .map_err(|e| CliError::new(format!("cannot read {what} {}", path.display()), &e))?;
    check(
        &file
            .metadata()
            .map_err(|e| CliError::new(format!("cannot read {what} {}", path.display()), &e))?,
    )?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::new(format!("cannot read {what} {}", path.display()), &e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Opens a file for reading without blocking on a FIFO or a terminal, and without making a
/// terminal the controlling one.
#[cfg(unix)]
fn open_no_wait(path: &Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(std::fs::File::from(fd))
}

/// Opens a file for reading (the metadata check before it rules out devices and pipes).
#[cfg(not(unix))]
fn open_no_wait(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Whether a character must not reach a terminal as it is: C0 controls (ESC, BEL, CR, LF,
/// backspace, …), DEL, C1 controls (U+0080–U+009F, which some terminals obey like ESC
/// sequences), the bidirectional marks, embeddings, overrides and isolates (they reorder what
/// is displayed), and the Unicode line and paragraph separators.
fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// THE escaping of text for a terminal: every [unsafe character](is_unsafe_char) is written
/// visibly (`\n`, `\r`, `\t`, `\x1b` below U+0080, `\u{202e}` above), except `\n` and `\t`
/// when `keep_layout` is set (for whole outputs whose line structure is ours). Text without
/// such a character is returned borrowed.
pub(crate) fn escape_for_terminal(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let unsafe_here = |c: char| is_unsafe_char(c) && !(keep_layout && matches!(c, '\n' | '\t'));
    if !text.chars().any(unsafe_here) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !unsafe_here(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x80 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

/// A value that came from outside (the network, a file, the command line) shown inside a line
/// of text: secrets the CLI knows are redacted, and every unsafe character is escaped,
/// newlines included, so a value can neither move the cursor nor fake a line of its own.
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = redact(self.0);
        f.write_str(&escape_for_terminal(&redacted, false))
    }
}

/// The secrets this process read (password, PAN, CVN): removed from everything printed.
static SECRETS: LazyLock<Mutex<Redactor>> = LazyLock::new(|| Mutex::new(Redactor::new()));

/// Registers a text secret (a password): it is never printed from now on.
pub(crate) fn register_text_secret(secret: &str) {
    if let Ok(mut secrets) = SECRETS.lock() {
        secrets.add_text(secret);
    }
}

/// Registers a digit secret (a PAN, a CVN): it is never printed from now on.
pub(crate) fn register_digit_secret(secret: &str) {
    if let Ok(mut secrets) = SECRETS.lock() {
        secrets.add_digits(secret);
    }
}

fn redact(text: &str) -> Cow<'_, str> {
    match SECRETS.lock() {
        Ok(secrets) => match secrets.redact(text) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(clean) => Cow::Owned(clean),
        },
        Err(_) => Cow::Borrowed(text),
    }
}

/// Writes text to stdout: known secrets redacted, unsafe characters escaped (our own `\n`
/// and `\t` kept). A closed pipe (`paygate … | head`) is not an error worth a panic.
pub(crate) fn print(text: &str) {
    let redacted = redact(text);
    let clean = escape_for_terminal(&redacted, true);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(clean.as_bytes()).and_then(|()| out.flush());
}

/// Writes one line to stderr, as [`print()`] does to stdout (the newline is added).
pub(crate) fn eprint_line(text: &str) {
    let redacted = redact(text);
    let clean = escape_for_terminal(&redacted, true);
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(clean.as_bytes())
        .and_then(|()| err.write_all(b"\n"))
        .and_then(|()| err.flush());
}

/// Writes text to stderr as it is given (no newline added), redacted and escaped like
/// [`eprint_line`] (the text's own `\n` and `\t` kept).
pub(crate) fn eprint_text(text: &str) {
    let redacted = redact(text);
    let clean = escape_for_terminal(&redacted, true);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(clean.as_bytes()).and_then(|()| err.flush());
}

/// JSON text with the unsafe characters serde_json leaves raw (DEL, C1, bidi controls, line
/// separators; it already escapes C0) written as `\uXXXX`: the same JSON value, safe on a
/// terminal. Outside strings, JSON text is ASCII, so only string contents change.
pub(crate) fn escape_json_text(json: &str) -> Cow<'_, str> {
    // serde_json writes C0 inside strings escaped, so a raw newline is its own layout.
    let unsafe_here = |c: char| is_unsafe_char(c) && c != '\n';
    if !json.chars().any(unsafe_here) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_here(c) {
            // Every unsafe character is in the Basic Multilingual Plane: one escape.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Prints one JSON value (pretty or on one line) and a newline, escaped as
/// [`escape_json_text`] describes and with known secrets redacted.
pub(crate) fn print_json_value(value: &serde_json::Value, pretty: bool) -> Result<(), CliError> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|e| CliError::new("cannot write JSON", &e))?;
    let escaped = escape_json_text(&text);
    print(&format!("{escaped}\n"));
    Ok(())
}

/// The transport settings of a gateway command: the defaults, plus the `--ca-cert` file as an
/// extra trusted root when one is given (read with [`read_input_file`]).
pub(crate) fn transport_config(
    ca_cert: Option<&Path>,
) -> Result<paygate_client::TransportConfig, CliError> {
    let mut builder = paygate_client::TransportConfig::builder();
    if let Some(path) = ca_cert {
        builder = builder.extra_root_pem(read_input_file(path, "--ca-cert")?);
    }
    // The same text as when the client refuses it (a configuration error, not sent).
    builder.build().map_err(|e| {
        CliError::new(
            "cannot set up the HTTP client",
            &paygate_client::Error::from(e),
        )
    })
}

/// The transport settings of a command talking to the embedded sandbox: `builder`, trusting
/// exactly the sandbox's throwaway CA, nothing else, when the sandbox serves HTTPS.
pub(crate) fn sandbox_transport_config(
    builder: paygate_client::TransportConfigBuilder,
    sandbox: &paygate_sandbox::Sandbox,
) -> Result<paygate_client::TransportConfig, CliError> {
    let builder = match sandbox.ca_certificate_pem() {
        Some(ca) => builder
            .roots(paygate_client::Roots::None)
            .extra_root_pem(ca),
        None => builder,
    };
    builder.build().map_err(|e| {
        CliError::new(
            "cannot set up the HTTP client",
            &paygate_client::Error::from(e),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_for_the_terminal() {
        let hostile = "a\u{1b}[31mb\nc\td\re\u{7f}f\u{9b}g\u{202e}h\u{2066}i\u{2028}j\u{0}";
        assert_eq!(
            Shown(hostile).to_string(),
            "a\\x1b[31mb\\nc\\td\\re\\x7ff\\u{9b}g\\u{202e}h\\u{2066}i\\u{2028}j\\x00"
        );
        assert_eq!(
            escape_for_terminal("line 1\n\tline 2\u{1b}\n", true),
            "line 1\n\tline 2\\x1b\n"
        );
        assert!(matches!(
            escape_for_terminal("plain ünïcode text", false),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn json_text_keeps_its_value() {
        let value = serde_json::json!({
            "message": "\u{1b}[2J\u{7f}\u{9b}\u{202e}\u{2029}\n\"quoted\"",
            "list": ["\u{85}", 1, null],
        });
        for pretty in [false, true] {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            let escaped = escape_json_text(&text);
            assert!(
                !escaped.chars().any(|c| is_unsafe_char(c) && c != '\n'),
                "{escaped}"
            );
            let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
            assert_eq!(back, value);
        }
    }

    #[test]
    fn input_files_are_bounded() {
        let dir = std::env::temp_dir().join(format!("paygate-output-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let at_limit = dir.join("at-limit.pem");
        std::fs::write(&at_limit, vec![b'k'; MAX_INPUT_FILE_BYTES as usize]).unwrap();
        assert_eq!(
            read_input_file(&at_limit, "key file").unwrap().len() as u64,
            MAX_INPUT_FILE_BYTES
        );
        let over = dir.join("over.pem");
        std::fs::write(&over, vec![b'k'; MAX_INPUT_FILE_BYTES as usize + 1]).unwrap();
        let err = read_input_file(&over, "key file").unwrap_err().to_string();
        assert!(err.contains("larger than 256 KiB"), "{err}");
        let err = read_input_file(&dir, "--ca-cert").unwrap_err().to_string();
        assert!(
            err.starts_with("cannot read --ca-cert") && err.contains("not a regular file"),
            "{err}"
        );
        let err = read_input_file(&dir.join("missing"), "key file")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read key file"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
