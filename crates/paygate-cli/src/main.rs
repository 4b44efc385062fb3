//! `paygate`: command-line tools for the paygate workspace.
//!
//! `main` only parses the command line and dispatches to one module per subcommand; each module
//! owns its clap `Args` and a `run` function returning an [`ExitCode`].
//!
//! Exit codes: 0 success, 1 "verify says the signature is invalid", 2 bad arguments or an
//! unreadable key (a one-line reason on stderr; clap's usage errors also exit 2).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod create_key;
mod demo;
mod load;
mod output;
mod payneteasy_cmd;
mod report;
mod sandbox;
mod sign;
mod tokenize;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Command-line tools for the Payneteasy / PaySecure paygate workspace.
#[derive(Debug, Parser)]
#[command(name = "paygate", version, about, propagate_version = true)]
struct Cli {
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
    /// Run the gateway emulator (Payneteasy v4 and PaySecure) until Ctrl-C; print how to reach it.
    Sandbox(sandbox::Args),
    /// Payneteasy `create-card-ref`: a card reference from an approved first payment.
    CreateCardRef(payneteasy_cmd::CreateCardRefArgs),
    /// Payneteasy `status`: the current state of an order.
    Status(payneteasy_cmd::StatusArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = e.print();
            return if e.use_stderr() {
                output::exit_usage()
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Load(args) => load::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::CreateKey(args) => create_key::run(args),
        Command::TokenizeCard(args) => tokenize::run(args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::CreateCardRef(args) => payneteasy_cmd::run_create_card_ref(args),
        Command::Status(args) => payneteasy_cmd::run_status(args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("paygate: {e}");
        output::exit_usage()
    })
}
