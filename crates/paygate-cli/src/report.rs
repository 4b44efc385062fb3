//! Turning a client [`Error`] into an exit code and a message or one JSON object; shared by
//! every subcommand that talks to a gateway.
//!
//! Exit codes: 0 success; 2 bad arguments (including problems found before sending, such as
//! plain `http` to a remote host); 3 the gateway said no; 4 authentication refused; 5 transport
//! failure (the message says whether the request was not sent, was proved not processed by the
//! answer, or may have reached the gateway); 6 declined (a final status of declined, filtered
//! or error); 7 not final (`paygate payneteasy … --wait` reached its deadline).
//!
//! With `--json` a failure is one JSON object on one line of stdout, like a success:
//! `{"ok": false, "error": {"kind": …, "message": …, …}}`. The `error.kind` names are stable:
//!
//! | kind | exit | meaning |
//! |---|---|---|
//! | `usage` | 2 | bad arguments: clap's errors (then also `detail`, clap's text), bad values, a request the client refused to send (`class` is then `not_sent`) |
//! | `key` | 2 | a key file that cannot be read or is not a key |
//! | `input_file` | 2 | another input file (`--ca-cert`, a `--merchant` public key) |
//! | `secret` | 2 | no password or card number (variable unset and no terminal), or an invalid one |
//! | `system` | 2 | the machine refused (async runtime, signal handler, listening port) |
//! | `not_sent` | 5 | the request certainly did not reach the gateway |
//! | `maybe_sent` | 5 | it may have: ask `status` before repeating a payment |
//! | `response_unreadable` | 5 | an answer came but cannot be used (HTTP 5xx, truncated, too large) |
//! | `authentication_refused` | 4 | the gateway refused the signature or the credentials (`http_status`) |
//! | `rejected` | 3 | the gateway said no (`rejection` holds its code and message) |
//!
//! Gateway failures also carry `class` (the client's [`Error::class`]),
//! `may_have_reached_gateway` (whether any byte may have reached the gateway's host),
//! `outcome` (what that proves about the payment, [`Error::outcome`]: `not_processed`,
//! `processed` or `unknown`; ask `status` when it is `unknown`), `retryable` (safe to send the
//! same request again now, [`Error::is_retryable`]) and `attempts` (how many times the failing
//! call was sent, the retries included; see [`paygate_client::count_attempts`]); the text form
//! says "after N attempts" when there was more than one.

use std::process::ExitCode;

use paygate_client::{Error, NotSentReason, Outcome, Rejection};

use crate::output::{CliError, Shown, eprint_line, exit_usage, print_json_value};

/// Exit code: the gateway said no.
pub(crate) const EXIT_REJECTED: u8 = 3;
/// Exit code: authentication refused.
pub(crate) const EXIT_AUTHENTICATION: u8 = 4;
/// Exit code: transport failure (not sent, maybe sent, unreadable answer).
pub(crate) const EXIT_TRANSPORT: u8 = 5;
/// Exit code: the gateway processed the payment and declined it (a final status of declined,
/// filtered or error; PaySecure: a transaction answered but not approved).
pub(crate) const EXIT_DECLINED: u8 = 6;
/// Exit code: the request was accepted but its outcome is not final yet (still `processing`
/// when `--wait` gave up, or a next action for the payer is pending).
pub(crate) const EXIT_NOT_FINAL: u8 = 7;

/// A single-threaded runtime for one call.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    build_runtime(tokio::runtime::Builder::new_current_thread())
}

/// A multi-threaded runtime (the demo, the sandbox server, the load generator): `workers`
/// threads, or Tokio's default (one per core) with `None`.
pub(crate) fn multi_thread_runtime(
    workers: Option<usize>,
) -> Result<tokio::runtime::Runtime, CliError> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = workers {
        builder.worker_threads(workers);
    }
    build_runtime(builder)
}

/// Every runtime of the CLI is built here: all drivers on, one error for a failure.
fn build_runtime(
    mut builder: tokio::runtime::Builder,
) -> Result<tokio::runtime::Runtime, CliError> {
    builder.enable_all().build().map_err(|e| {
        CliError::new("cannot start the async runtime", &e).kind(crate::output::ErrorKind::System)
    })
}

/// Prints one pretty JSON object (see [`print_json_value`]).
pub(crate) fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    print_json_value(value, true)
}

/// Prints a client error (text on stderr, or one JSON object on stdout) and picks the exit
/// code; `attempts` is how many times the failing call was sent. Error texts never hold the
/// password, PAN or CVN: the client redacts what it sent from the gateway's text, and the
/// printing redacts the secrets this process read. Gateway text is escaped ([`Shown`]; JSON
/// mode escapes it as JSON).
pub(crate) fn report_error(error: &Error, attempts: u32, json: bool) -> ExitCode {
    let (code, kind) = match error {
        Error::Rejected(_) => (EXIT_REJECTED, error.class()),
        Error::AuthenticationRefused { .. } => (EXIT_AUTHENTICATION, error.class()),
        // Problems with what the user gave us, found before sending.
        Error::NotSent {
            reason:
                NotSentReason::InvalidRequest
                | NotSentReason::InsecureUrl
                | NotSentReason::Configuration,
            ..
        } => (2, "usage"),
        _ => (EXIT_TRANSPORT, error.class()),
    };
    let line = one_line(error);
    if json {
        let mut object = serde_json::json!({
            "ok": false,
            "error": {
                "kind": kind,
                "class": error.class(),
                "may_have_reached_gateway": error.may_have_reached_gateway(),
                "outcome": error.outcome().name(),
                "retryable": error.is_retryable(),
                "attempts": attempts,
                "message": line,
            }
        });
        if let Error::Rejected(r) = error {
            object["error"]["rejection"] = rejection_json(r);
        }
        if let Error::AuthenticationRefused { status, .. } = error {
            object["error"]["http_status"] = (*status).into();
        }
        // A failure is one line, whatever the command (see `output::json_requested`).
        let _ = print_json_value(&object, false);
    } else {
        let mut notes = Vec::new();
        if attempts > 1 {
            notes.push(format!("after {attempts} attempts"));
        }
        if code == EXIT_TRANSPORT {
            notes.push(
                match (error.may_have_reached_gateway(), error.outcome()) {
                    (false, _) => "the request was NOT sent",
                    // An answer that proves it, such as a 404 for a mistyped path.
                    (true, Outcome::NotProcessed) => "the gateway did NOT process the request",
                    (true, _) => "the request may have reached the gateway",
                }
                .to_owned(),
            );
        }
        if notes.is_empty() {
            eprint_line(&format!("paygate: {}", Shown(&line)));
        } else {
            eprint_line(&format!("paygate: {} ({})", Shown(&line), notes.join("; ")));
        }
    }
    if code == 2 {
        exit_usage()
    } else {
        ExitCode::from(code)
    }
}

pub(crate) fn rejection_json(r: &Rejection) -> serde_json::Value {
    serde_json::json!({
        "gateway": r.gateway.to_string(),
        "kind": format!("{:?}", r.kind),
        "code": r.code,
        "message": r.message,
        "http_status": r.http_status,
        "reference": r.reference,
    })
}

/// The error and its whole source chain on one line (newlines become spaces; other control
/// characters are left for the printing to escape, or for JSON to carry exactly).
pub(crate) fn one_line(error: &Error) -> String {
    // `Display` already includes the whole chain of causes, each once.
    error.to_string().replace('\n', " ")
}
