//! Turning a client [`Error`] into an exit code and a message or one JSON object; shared by
//! every subcommand that talks to a gateway.
//!
//! Exit codes: 0 success; 2 bad arguments (including problems found before sending, such as
//! plain `http` to a remote host); 3 the gateway said no; 4 authentication refused; 5 transport
//! failure (the message says whether the request may have reached the gateway).

use std::process::ExitCode;

use paygate_client::{Error, NotSentReason, Rejection};

use crate::output::{CliError, Shown, eprint_line, exit_usage, print_json_value};

/// Exit code: the gateway said no.
pub(crate) const EXIT_REJECTED: u8 = 3;
/// Exit code: authentication refused.
pub(crate) const EXIT_AUTHENTICATION: u8 = 4;
/// Exit code: transport failure (not sent, maybe sent, unreadable answer).
pub(crate) const EXIT_TRANSPORT: u8 = 5;

/// A single-threaded runtime for one call.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new("cannot start the async runtime", &e))
}

/// Prints one pretty JSON object (see [`print_json_value`]).
pub(crate) fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    print_json_value(value, true)
}

/// Prints a client error (text on stderr, or one JSON object on stdout) and picks the exit
/// code. Error texts never hold the password, PAN or CVN: the client redacts what it sent from
/// the gateway's text, and the printing redacts the secrets this process read. Gateway text
/// is escaped ([`Shown`]; JSON mode escapes it as JSON).
pub(crate) fn report_error(error: &Error, json: bool) -> ExitCode {
    let code = match error {
        Error::Rejected(_) => EXIT_REJECTED,
        Error::AuthenticationRefused { .. } => EXIT_AUTHENTICATION,
        // Problems with what the user gave us, found before sending.
        Error::NotSent {
            reason:
                NotSentReason::InvalidRequest
                | NotSentReason::InsecureUrl
                | NotSentReason::Configuration,
            ..
        } => return usage_error(error, json),
        _ => EXIT_TRANSPORT,
    };
    let sent = if error.may_have_reached_gateway() {
        "the request may have reached the gateway"
    } else {
        "the request was NOT sent"
    };
    let line = one_line(error);
    if json {
        let mut object = serde_json::json!({
            "ok": false,
            "error": {
                "class": error.class(),
                "may_have_reached_gateway": error.may_have_reached_gateway(),
                "message": line,
            }
        });
        if let Error::Rejected(r) = error {
            object["error"]["rejection"] = rejection_json(r);
        }
        if let Error::AuthenticationRefused { status, .. } = error {
            object["error"]["http_status"] = (*status).into();
        }
        let _ = print_json(&object);
    } else if code == EXIT_TRANSPORT {
        eprint_line(&format!("paygate: {} ({sent})", Shown(&line)));
    } else {
        eprint_line(&format!("paygate: {}", Shown(&line)));
    }
    ExitCode::from(code)
}

fn usage_error(error: &Error, json: bool) -> ExitCode {
    let line = one_line(error);
    if json {
        let _ = print_json(&serde_json::json!({
            "ok": false,
            "error": { "class": error.class(), "may_have_reached_gateway": false, "message": line }
        }));
    } else {
        eprint_line(&format!("paygate: {}", Shown(&line)));
    }
    exit_usage()
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
    // `Display` already includes the first source; add the rest of the chain.
    let mut line = error.to_string();
    let mut source = std::error::Error::source(error).and_then(|s| s.source());
    while let Some(e) = source {
        line.push_str(": ");
        line.push_str(&e.to_string());
        source = e.source();
    }
    line.replace('\n', " ")
}
