//! `paygate`: command-line tools for the paygate workspace.
//!
//! `main` only parses the command line and dispatches to one module per subcommand; each module
//! owns its clap `Args` and a `run` function returning an [`ExitCode`].
//!
//! Exit codes: 0 success, 1 "verify says the signature is invalid" (or a demo/load step
//! failed), 2 bad arguments or an unreadable key (a one-line reason on stderr; clap's usage
//! errors also exit 2), 3 to 7 for gateway calls ([`report`]: 6 declined, 7 not final).
//! Every `--help` lists them ([`output::exit_codes`]).
//!
//! Scripts: with `--json` anywhere before `--`, every outcome is ONE JSON object on stdout,
//! failures included (always on one line) (`{"ok": false, "error": {"kind": …, "message": …}}`, the kinds listed in
//! [`report`]); `-v` (repeatable) or `RUST_LOG` sends tracing, redacted and escaped, to stderr
//! ([`logging`]).
//!
//! Hostile input: key and certificate files must be small regular files
//! ([`output::read_input_file`]); everything printed goes through one escaping and redaction
//! path ([`output::print`]); secrets are typed without echo and core dumps are off while they
//! are in memory ([`secret`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod create_key;
mod demo;
mod dry_run;
mod load;
mod logging;
mod output;
mod payneteasy_cmd;
mod payneteasy_ops;
mod paysecure_cmd;
mod report;
mod sandbox;
mod secret;
mod sign;
mod tokenize;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Command-line tools for the Payneteasy / PaySecure paygate workspace.
#[derive(Debug, Parser)]
#[command(
    name = "paygate",
    version,
    about,
    propagate_version = true,
    after_help = output::exit_codes(
        "With --json every outcome, failures included, is one JSON object on stdout.",
        &[&[(1, "verify: the signature is invalid; demo, load: a step failed")], output::EXIT_CODES_GATEWAY],
    )
)]
struct Cli {
    /// More tracing on stderr (-v info, -vv debug, -vvv trace); RUST_LOG, when set, wins
    /// (`RUST_LOG=paygate_client=debug`). Secrets are redacted.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The main job: start the embedded sandbox and run both gateways end to end.
    Demo(demo::Args),
    /// A bounded load test against the embedded sandbox on loopback (throughput, p50/p99).
    Load(load::Args),
    /// Sign a request with OAuth 1.0a RSA-SHA256 and print every step.
    Sign(sign::Args),
    /// Verify the OAuth 1.0a signature of a request with a public key.
    Verify(verify::Args),
    /// Ask PaySecure (or the sandbox) for a card-encryption key (`CreateKey`).
    CreateKey(create_key::Args),
    /// Encrypt a card under a fresh PaySecure key and exchange it for a token (`TokenizeCard`).
    TokenizeCard(tokenize::Args),
    /// Run the embedded sandbox (a local Payneteasy v4 and PaySecure emulator) until Ctrl-C.
    Sandbox(sandbox::Args),
    /// PaySecure services: `paygate paysecure <service>` (ps-bin-check, transaction-status,
    /// initiate, pre-auth-capture, pre-auth-void, reverse, create-key, tokenize-card).
    Paysecure(paysecure_cmd::Args),
    /// Payneteasy `create-card-ref`: a card reference from an approved first payment.
    CreateCardRef(payneteasy_cmd::CreateCardRefArgs),
    /// Payneteasy `status`: the current state of an order.
    Status(payneteasy_cmd::StatusArgs),
    /// Every Payneteasy command (v2 and v4): sale, capture, return, make-rebill-sale, status…
    Payneteasy(payneteasy_ops::Args),
}

impl Command {
    /// Whether the command reads a secret (the PaySecure password, a card, a merchant's
    /// private key): core dumps are then disabled first ([`secret::harden_process`]).
    fn handles_secrets(&self) -> bool {
        match self {
            Command::Sign(_)
            | Command::CreateKey(_)
            | Command::TokenizeCard(_)
            | Command::Paysecure(_)
            | Command::CreateCardRef(_)
            | Command::Status(_)
            | Command::Payneteasy(_) => true,
            // Public keys, or the sandbox's published test material only.
            Command::Verify(_) | Command::Demo(_) | Command::Load(_) | Command::Sandbox(_) => false,
        }
    }
}

fn main() -> ExitCode {
    output::set_json_mode(output::json_requested(std::env::args_os().skip(1)));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    logging::init(cli.verbose, matches!(cli.command, Command::Sandbox(_)));
    if cli.command.handles_secrets()
        && let Err(e) = secret::harden_process()
    {
        output::eprint_line(&format!(
            "paygate: warning: cannot disable core dumps: {}",
            output::Shown(&e.to_string())
        ));
    }
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Load(args) => load::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::CreateKey(args) => create_key::run(args),
        Command::TokenizeCard(args) => tokenize::run(args),
        Command::Paysecure(args) => paysecure_cmd::run(args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::CreateCardRef(args) => payneteasy_cmd::run_create_card_ref(args),
        Command::Status(args) => payneteasy_cmd::run_status(args),
        Command::Payneteasy(args) => payneteasy_ops::run(args),
    };
    result.unwrap_or_else(|e| e.report())
}

/// Help and version go to stdout with 0; usage errors to stderr with 2, or with `--json` as
/// one JSON object on one line of stdout (`error.kind` = `usage`, clap's text in
/// `error.detail`).
fn usage_error(e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if !output::json_mode() {
        let _ = e.print();
        return output::exit_usage();
    }
    let detail = e.render().to_string();
    let message = detail
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_owned();
    let _ = output::print_json_value(
        &serde_json::json!({
            "ok": false,
            "error": { "kind": "usage", "message": message, "detail": detail.trim_end() },
        }),
        false,
    );
    output::exit_usage()
}
