//! `paygate paysecure <service>`: every PaySecure service from the command line.
//!
//! `create-key` and `tokenize-card` are the commands of the same names (also top-level). The
//! other services (`ps-bin-check`, `transaction-status`, `initiate`, `pre-auth-capture`,
//! `pre-auth-void`, `reverse`) take one flag per member of their request DTO, named after the
//! member's wire name in kebab case (`TranId` → `--tran-id`, `MerchantDetails.MCC` →
//! `--mcc`, `IntegratorID` → `--integrator-id`; a name used twice in one DTO is prefixed with
//! its parent's). The flags are read from the DTO's own serde declaration at start-up
//! ([`leaves`]): there is no third list of names to keep in step. The values are assembled
//! into the request's JSON and decoded by the DTO itself, so the DTO's rules apply.
//!
//! Never flags: `Credentials` (the connection flags, password from `PAYSECURE_PASSWORD` or a
//! prompt without echo) and `Initiate`'s `CardNumberData` and `KeyID`: the card number comes
//! from `--pan-env` (default `PAYGATE_PAN`) or a prompt and is encrypted under a fresh
//! `CreateKey` key (`CardDataType` `Encrypted`), or `--card-data-type Token` takes the token
//! from `--card-token-env` (default `PAYGATE_CARD_TOKEN`) or a prompt.
//!
//! `--dry-run` prints the request instead of sending it ([`DryRun`]; with `--json` one
//! object `{"method", "url", "headers", "body"}`), the password and the card data masked.

use std::cell::RefCell;
use std::fmt;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Args as _, Command, FromArgMatches};
use paygate_client::PaySecureClient;
use paysecure_proto::card::Pan;
use paysecure_proto::{
    Initiate, PreAuthCapture, PreAuthVoid, PsBinCheck, Reverse, Service, TransactionStatus,
};
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::create_key::ConnectionArgs;
use crate::dry_run::DryRun;
use crate::output::{CliError, Shown, eprint_line, print};
use crate::report::{EXIT_DECLINED, print_json, report_error, runtime};
use crate::secret::{SecretKind, read_secret};

/// The `ResponseCode`s that mean approved. **Decision:** PaySecure publishes no list; `00`
/// is the ISO 8583 approval the sandbox answers.
const APPROVED: &[&str] = &["", "0", "00", "000"];

/// `paygate paysecure <service>`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: PaySecureCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PaySecureCommand {
    /// `CreateKey`: a card-encryption key (also `paygate create-key`).
    CreateKey(crate::create_key::Args),
    /// `TokenizeCard`: a token for a card (also `paygate tokenize-card`).
    TokenizeCard(crate::tokenize::Args),
    #[command(flatten)]
    Dto(DtoCommand),
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.command {
        PaySecureCommand::CreateKey(args) => crate::create_key::run(args),
        PaySecureCommand::TokenizeCard(args) => crate::tokenize::run(args),
        PaySecureCommand::Dto(call) => call.run(),
    }
}

/// The services whose flags come from their request DTO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Svc {
    BinCheck,
    Status,
    Initiate,
    Capture,
    Void,
    Reverse,
}

impl Svc {
    const ALL: [Svc; 6] = [
        Svc::BinCheck,
        Svc::Status,
        Svc::Initiate,
        Svc::Capture,
        Svc::Void,
        Svc::Reverse,
    ];

    fn command_name(self) -> &'static str {
        match self {
            Svc::BinCheck => "ps-bin-check",
            Svc::Status => "transaction-status",
            Svc::Initiate => "initiate",
            Svc::Capture => "pre-auth-capture",
            Svc::Void => "pre-auth-void",
            Svc::Reverse => "reverse",
        }
    }

    fn about(self) -> &'static str {
        match self {
            Svc::BinCheck => "`PSBINCheck`: what cards of a BIN can be used for (read-only).",
            Svc::Status => {
                "`TransactionStatus`: a transaction by TranId, ReferenceKey, ExternalId or InternalTransactionId (read-only)."
            }
            Svc::Initiate => {
                "`Initiate`: start a transaction (card encrypted under a fresh key, or a token). Never retried once sent."
            }
            Svc::Capture => {
                "`PreAuthCapture`: complete an authorisation, up to its amount. Never retried once sent."
            }
            Svc::Void => {
                "`PreAuthVoid`: cancel an uncaptured authorisation. Never retried once sent."
            }
            Svc::Reverse => "`Reverse`: undo a transaction in full. Never retried once sent.",
        }
    }

    fn from_name(name: &str) -> Option<Svc> {
        Svc::ALL.into_iter().find(|s| s.command_name() == name)
    }

    fn route(self) -> &'static str {
        match self {
            Svc::BinCheck => PsBinCheck::ROUTE,
            Svc::Status => TransactionStatus::ROUTE,
            Svc::Initiate => Initiate::ROUTE,
            Svc::Capture => PreAuthCapture::ROUTE,
            Svc::Void => PreAuthVoid::ROUTE,
            Svc::Reverse => Reverse::ROUTE,
        }
    }

    /// The request DTO's members, as flags.
    fn flags(self) -> Vec<Flag> {
        let leaves = match self {
            Svc::BinCheck => leaves::<<PsBinCheck as Service>::Request>(),
            Svc::Status => leaves::<<TransactionStatus as Service>::Request>(),
            Svc::Initiate => leaves::<<Initiate as Service>::Request>(),
            Svc::Capture => leaves::<<PreAuthCapture as Service>::Request>(),
            Svc::Void => leaves::<<PreAuthVoid as Service>::Request>(),
            Svc::Reverse => leaves::<<Reverse as Service>::Request>(),
        };
        flags(leaves)
    }

    /// The members the client checks before sending (only what is structurally needed; the
    /// gateway's own requirements are not published).
    fn required(self) -> &'static [&'static [&'static str]] {
        match self {
            Svc::BinCheck => &[&["BIN"]],
            Svc::Status | Svc::Void | Svc::Reverse => &[
                &["OriginalData", "OriginalIdentifierType"],
                &["OriginalData", "OriginalDataIdentifier"],
            ],
            Svc::Initiate => &[&["Amount"], &["CurrencyCode"]],
            Svc::Capture => &[&["TranId"], &["Amount"]],
        }
    }

    fn command(self) -> Command {
        let mut cmd = Command::new(self.command_name())
            .about(self.about())
            .disable_version_flag(true)
            .after_help(after_help(self));
        cmd = ConnectionArgs::augment_args(cmd);
        for flag in self.flags() {
            let mut arg = Arg::new(flag.long)
                .long(flag.long)
                .value_name(flag.kind.value_name())
                .help(format!(
                    "`{}` ({})",
                    flag.path.join("."),
                    flag.kind.describe()
                ));
            if flag.kind == Kind::List {
                arg = arg.action(ArgAction::Append);
            }
            cmd = cmd.arg(arg);
        }
        cmd = cmd.arg(
            Arg::new("dry-run")
                .long("dry-run")
                .action(ArgAction::SetTrue)
                .help("Print the request (password and card data masked) instead of sending it"),
        );
        if self == Svc::Initiate {
            cmd = cmd
                .arg(
                    Arg::new("pan-env")
                        .long("pan-env")
                        .value_name("VAR")
                        .default_value("PAYGATE_PAN")
                        .help("The environment variable holding the card number (CardDataType Encrypted)"),
                )
                .arg(
                    Arg::new("card-token-env")
                        .long("card-token-env")
                        .value_name("VAR")
                        .default_value("PAYGATE_CARD_TOKEN")
                        .help("The environment variable holding the CardToken (--card-data-type Token)"),
                );
        }
        cmd
    }
}

fn after_help(svc: Svc) -> String {
    let intro = match svc {
        Svc::Initiate => {
            "The password is read from PAYSECURE_PASSWORD, the card number from --pan-env (or the \
token from --card-token-env), or asked on the terminal without echo; never from the command \
line. Amounts are integers in minor units (an inference: PaySecure types them int). After an \
unknown outcome (exit 5, maybe_sent) ask `paygate paysecure transaction-status \
--original-identifier-type ReferenceKey --original-data-identifier REF` before sending again."
        }
        Svc::Capture | Svc::Void | Svc::Reverse => {
            "The password is read from PAYSECURE_PASSWORD or asked on the terminal without echo. \
Amounts are integers in minor units. After an unknown outcome (exit 5, maybe_sent) ask \
`paygate paysecure transaction-status` before sending again."
        }
        Svc::BinCheck | Svc::Status => {
            "The password is read from PAYSECURE_PASSWORD or asked on the terminal without echo. \
Read-only: retried after transient failures."
        }
    };
    crate::output::exit_codes(
        intro,
        &[
            &[(0, "the call succeeded")],
            crate::output::EXIT_CODES_GATEWAY,
            &[
                (
                    EXIT_DECLINED,
                    "answered, but its ResponseCode is not an approval (00)",
                ),
                (
                    crate::report::EXIT_NOT_FINAL,
                    "not used by PaySecure commands (no transaction status values are published)",
                ),
            ],
        ],
    )
}

/// A service call parsed from the command line.
#[derive(Debug)]
pub(crate) struct DtoCommand {
    svc: Svc,
    matches: ArgMatches,
}

impl FromArgMatches for DtoCommand {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let (name, sub) = matches.subcommand().ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::MissingSubcommand,
                "a service is required",
            )
        })?;
        let svc = Svc::from_name(name).ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidSubcommand,
                format!("unknown service {name}"),
            )
        })?;
        Ok(DtoCommand {
            svc,
            matches: sub.clone(),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Subcommand for DtoCommand {
    fn augment_subcommands(mut cmd: Command) -> Command {
        for svc in Svc::ALL {
            cmd = cmd.subcommand(svc.command());
        }
        cmd
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        Svc::from_name(name).is_some()
    }
}

impl DtoCommand {
    fn run(self) -> Result<ExitCode, CliError> {
        let connection = ConnectionArgs::from_arg_matches(&self.matches)
            .map_err(|e| CliError::message(e.to_string()))?;
        let json = connection.json;
        let dry_run = self.matches.get_flag("dry-run");
        let mut body = Map::new();
        for flag in self.svc.flags() {
            let values: Vec<&String> = self
                .matches
                .get_many::<String>(flag.long)
                .map(Iterator::collect)
                .unwrap_or_default();
            if values.is_empty() {
                continue;
            }
            let value = flag.kind.value(flag.long, &values)?;
            insert(&mut body, &flag.path, value);
        }
        for path in self.svc.required() {
            if lookup(&body, path).is_none() {
                let flag = self
                    .svc
                    .flags()
                    .into_iter()
                    .find(|f| f.path == *path)
                    .map_or_else(|| path.join("."), |f| format!("--{}", f.long));
                return Err(CliError::message(format!("{flag} is required")));
            }
        }
        let card = if self.svc == Svc::Initiate {
            Some(self.card_source(&mut body, dry_run)?)
        } else {
            None
        };
        if dry_run {
            return self.print_dry_run(&connection, body, json);
        }
        let client = connection.client()?;
        body.insert(
            "Credentials".to_owned(),
            serde_json::to_value(client.config().credentials())
                .map_err(|e| CliError::new("cannot write the credentials", &e))?,
        );
        let outcome = runtime()?.block_on(paygate_client::count_attempts(async {
            if let Some(CardSource::Pan(pan)) = &card {
                let issued = client.create_key(None).await?;
                let config = client.config();
                let encrypted = issued
                    .key
                    .encrypt_pan(pan, config.padding(), config.ciphertext_output())
                    .map_err(|e| CallError::Usage(CliError::new("cannot encrypt the card", &e)))?;
                let info = body
                    .entry("CardNumberInfo")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(info) = info {
                    info.insert("CardNumberData".into(), encrypted.ciphertext.into());
                    info.insert("KeyID".into(), encrypted.key_id.into());
                }
            }
            let bytes = serde_json::to_vec(&Value::Object(body))
                .map_err(|e| CallError::Usage(CliError::new("cannot write the request", &e)))?;
            send(&client, self.svc, &bytes).await
        }));
        match outcome {
            (Ok(response), _) => finish(self.svc, &response, json),
            (Err(CallError::Client(e)), attempts) => Ok(report_error(&e, attempts, json)),
            (Err(CallError::Usage(e)), _) => Err(e),
        }
    }

    /// Where `Initiate`'s card data comes from; writes `CardDataType` (and a token's data).
    fn card_source(
        &self,
        body: &mut Map<String, Value>,
        dry_run: bool,
    ) -> Result<CardSource, CliError> {
        let kind = lookup(body, &["CardNumberInfo", "CardDataType"])
            .and_then(Value::as_str)
            .unwrap_or("Encrypted")
            .to_owned();
        let data = if kind.eq_ignore_ascii_case("Encrypted") {
            insert(
                body,
                &["CardNumberInfo", "CardDataType"],
                "Encrypted".into(),
            );
            if dry_run {
                CardSource::Masked
            } else {
                let var = self
                    .matches
                    .get_one::<String>("pan-env")
                    .map_or("PAYGATE_PAN", String::as_str);
                let text = read_secret(
                    var,
                    "Card number",
                    &format!("no card number: set {var} or run on a terminal"),
                    SecretKind::Digits,
                )?;
                CardSource::Pan(Pan::new(&text).map_err(|e| CliError::new("bad card number", &e))?)
            }
        } else if kind.eq_ignore_ascii_case("Token") {
            let token = if dry_run {
                "***".to_owned()
            } else {
                let var = self
                    .matches
                    .get_one::<String>("card-token-env")
                    .map_or("PAYGATE_CARD_TOKEN", String::as_str);
                read_secret(
                    var,
                    "Card token",
                    &format!("no card token: set {var} or run on a terminal"),
                    SecretKind::Text,
                )?
                .to_string()
            };
            insert(body, &["CardNumberInfo", "CardNumberData"], token.into());
            CardSource::Token
        } else {
            return Err(CliError::message(format!(
                "--card-data-type {kind:?}: the command line sends Encrypted (the default) or Token card data only"
            )));
        };
        Ok(data)
    }

    fn print_dry_run(
        &self,
        connection: &ConnectionArgs,
        mut body: Map<String, Value>,
        json: bool,
    ) -> Result<ExitCode, CliError> {
        body.insert("Credentials".to_owned(), connection.masked_credentials());
        if let Some(Value::Object(info)) = body.get_mut("CardNumberInfo") {
            info.insert("CardNumberData".into(), "***".into());
            if info.get("CardDataType").and_then(Value::as_str) == Some("Encrypted") {
                info.insert("KeyID".into(), "<KeyId of a fresh CreateKey key>".into());
            }
        }
        // Written by the DTO itself (its rules checked), the secrets already masked.
        let bytes = serde_json::to_vec(&Value::Object(body))
            .map_err(|e| CliError::new("cannot write the request", &e))?;
        let encoded = encode_request(self.svc, &bytes)?;
        let dry = DryRun {
            method: "POST".to_owned(),
            url: format!(
                "{}{}",
                connection.base_url()?.trim_end_matches('/'),
                self.svc.route()
            ),
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Accept".to_owned(), "application/json".to_owned()),
            ],
            body: String::from_utf8_lossy(&encoded).into_owned(),
        };
        dry.print(json)?;
        Ok(ExitCode::SUCCESS)
    }
}

enum CardSource {
    Pan(Pan),
    Token,
    Masked,
}

enum CallError {
    Client(paygate_client::Error),
    Usage(CliError),
}

impl From<paygate_client::Error> for CallError {
    fn from(e: paygate_client::Error) -> Self {
        CallError::Client(e)
    }
}

/// Decodes the body as the service's request DTO (its rules apply) and sends it; the answer
/// comes back as its JSON.
async fn send(client: &PaySecureClient, svc: Svc, body: &[u8]) -> Result<Value, CallError> {
    async fn one<S: Service>(client: &PaySecureClient, body: &[u8]) -> Result<Value, CallError> {
        let request = decode::<S>(body).map_err(CallError::Usage)?;
        let response = client.execute::<S>(&request).await?;
        serde_json::from_slice(&paysecure_codec::encode(&response))
            .map_err(|e| CallError::Usage(CliError::new("cannot re-read the response", &e)))
    }
    match svc {
        Svc::BinCheck => one::<PsBinCheck>(client, body).await,
        Svc::Status => one::<TransactionStatus>(client, body).await,
        Svc::Initiate => one::<Initiate>(client, body).await,
        Svc::Capture => one::<PreAuthCapture>(client, body).await,
        Svc::Void => one::<PreAuthVoid>(client, body).await,
        Svc::Reverse => one::<Reverse>(client, body).await,
    }
}

fn decode<S: Service>(body: &[u8]) -> Result<S::Request, CliError> {
    paysecure_codec::decode_request::<S>(body)
        .map_err(|e| CliError::new(format!("invalid {} request", S::name()), &e))
}

/// The request as the DTO writes it (members in declaration order, `None` left out): the
/// bytes that would be sent.
fn encode_request(svc: Svc, body: &[u8]) -> Result<Vec<u8>, CliError> {
    fn one<S: Service>(body: &[u8]) -> Result<Vec<u8>, CliError> {
        decode::<S>(body).map(|request| paysecure_codec::encode(&request))
    }
    match svc {
        Svc::BinCheck => one::<PsBinCheck>(body),
        Svc::Status => one::<TransactionStatus>(body),
        Svc::Initiate => one::<Initiate>(body),
        Svc::Capture => one::<PreAuthCapture>(body),
        Svc::Void => one::<PreAuthVoid>(body),
        Svc::Reverse => one::<Reverse>(body),
    }
}

/// Prints the answer; a `ResponseCode` that is not an approval exits [`EXIT_DECLINED`].
fn finish(svc: Svc, response: &Value, json: bool) -> Result<ExitCode, CliError> {
    let code = response.get("ResponseCode").and_then(Value::as_str);
    let declined = code.is_some_and(|c| !APPROVED.contains(&c));
    let name = svc.route().trim_start_matches('/');
    if json {
        print_json(&serde_json::json!({
            "ok": !declined,
            "command": name,
            "response": response,
        }))?;
    } else {
        let mut text = String::new();
        if let Value::Object(members) = response {
            let width = members.keys().map(String::len).max().unwrap_or(0);
            for (member, value) in members {
                if member == "Timestamps" {
                    continue;
                }
                let shown = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                text.push_str(&format!("{member:<width$}  {}\n", Shown(&shown)));
            }
        }
        print(&text);
        if declined {
            eprint_line(&format!(
                "paygate: {name} answered ResponseCode {}",
                Shown(code.unwrap_or_default())
            ));
        }
    }
    Ok(if declined {
        ExitCode::from(EXIT_DECLINED)
    } else {
        ExitCode::SUCCESS
    })
}

// ---------------------------------------------------------------------------------------------
// The flags, from the DTO's serde declaration.
// ---------------------------------------------------------------------------------------------

/// What a member holds, as the DTO asks its deserializer for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Unsigned,
    Integer,
    Bool,
    List,
}

impl Kind {
    fn value_name(self) -> &'static str {
        match self {
            Kind::Text => "TEXT",
            Kind::Unsigned => "N",
            Kind::Integer => "INT",
            Kind::Bool => "true|false",
            Kind::List => "TEXT",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Unsigned => "a whole number; amounts in minor units",
            Kind::Integer => "an integer",
            Kind::Bool => "true or false",
            Kind::List => "text, repeatable",
        }
    }

    fn value(self, flag: &str, values: &[&String]) -> Result<Value, CliError> {
        let bad =
            |what: &str, v: &str| CliError::message(format!("--{flag} takes {what}, not {:?}", v));
        let one = values.last().map_or("", |v| v.as_str());
        Ok(match self {
            Kind::Text => one.into(),
            Kind::Unsigned => one
                .parse::<u64>()
                .map_err(|_| bad("a whole number", one))?
                .into(),
            Kind::Integer => one
                .parse::<i64>()
                .map_err(|_| bad("an integer", one))?
                .into(),
            Kind::Bool => one
                .parse::<bool>()
                .map_err(|_| bad("true or false", one))?
                .into(),
            Kind::List => values.iter().map(|v| Value::from(v.as_str())).collect(),
        })
    }
}

/// One member of a request DTO, by its path of wire names.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Leaf {
    path: Vec<&'static str>,
    kind: Kind,
}

/// One flag: a member outside `Credentials` and the card data.
#[derive(Clone, Debug)]
struct Flag {
    long: &'static str,
    path: Vec<&'static str>,
    kind: Kind,
}

/// The members a user gives as flags, named in kebab case (the parent's name first when a
/// leaf name repeats). The names live as long as the process (the flag table is built once
/// per run).
fn flags(leaves: Vec<Leaf>) -> Vec<Flag> {
    let kept: Vec<Leaf> = leaves
        .into_iter()
        .filter(|l| {
            l.path[0] != "Credentials"
                && l.path[..] != ["CardNumberInfo", "CardNumberData"]
                && l.path[..] != ["CardNumberInfo", "KeyID"]
        })
        .collect();
    kept.iter()
        .map(|leaf| {
            let last = leaf.path[leaf.path.len() - 1];
            let repeated = kept
                .iter()
                .filter(|o| o.path[o.path.len() - 1] == last)
                .count()
                > 1;
            let long = if repeated {
                leaf.path
                    .iter()
                    .map(|p| kebab(p))
                    .collect::<Vec<_>>()
                    .join("-")
            } else {
                kebab(last)
            };
            Flag {
                long: String::leak(long),
                path: leaf.path.clone(),
                kind: leaf.kind,
            }
        })
        .collect()
}

/// `TranId` → `tran-id`, `IntegratorID` → `integrator-id`, `MCC` → `mcc`,
/// `SendRecurringPOSEntryModeFeature` → `send-recurring-pos-entry-mode-feature`.
fn kebab(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('-');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn insert(object: &mut Map<String, Value>, path: &[&str], value: Value) {
    match path {
        [] => {}
        [last] => {
            object.insert((*last).to_owned(), value);
        }
        [first, rest @ ..] => {
            let child = object
                .entry((*first).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(child) = child {
                insert(child, rest, value);
            }
        }
    }
}

fn lookup<'v>(object: &'v Map<String, Value>, path: &[&str]) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    let value = object.get(*first)?;
    if rest.is_empty() {
        return Some(value);
    }
    lookup(value.as_object()?, rest)
}

/// The leaf members of `T` in declaration order, by walking `T`'s `Deserialize` with a
/// deserializer that answers each request with a placeholder and notes what was asked.
fn leaves<T: de::DeserializeOwned>() -> Vec<Leaf> {
    let out = RefCell::new(Vec::new());
    // A DTO whose walk fails gives the members met so far.
    let _ = T::deserialize(Tracer {
        path: Vec::new(),
        out: &out,
    });
    out.into_inner()
}

#[derive(Debug)]
struct TraceError;

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a DTO")
    }
}

impl std::error::Error for TraceError {}

impl de::Error for TraceError {
    fn custom<M: fmt::Display>(_: M) -> Self {
        TraceError
    }
}

struct Tracer<'a> {
    path: Vec<&'static str>,
    out: &'a RefCell<Vec<Leaf>>,
}

impl Tracer<'_> {
    fn note(&self, kind: Kind) {
        self.out.borrow_mut().push(Leaf {
            path: self.path.clone(),
            kind,
        });
    }
}

/// Text that every text rule of the DTOs accepts (non-empty, and an `MMYY` expiration).
const PLACEHOLDER: &str = "1230";

impl<'de> Deserializer<'de> for Tracer<'_> {
    type Error = TraceError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        // An open enum asks for any value: it is text on the command line.
        self.note(Kind::Text);
        visitor.visit_str(PLACEHOLDER)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.note(Kind::Text);
        visitor.visit_str(PLACEHOLDER)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.note(Kind::Bool);
        visitor.visit_bool(true)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.note(Kind::Unsigned);
        visitor.visit_u64(1)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.note(Kind::Integer);
        visitor.visit_i64(1)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        self.note(Kind::List);
        visitor
            .visit_seq(de::value::SeqDeserializer::new(core::iter::empty::<Value>()))
            .map_err(|_: serde_json::Error| TraceError)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TraceError> {
        visitor.visit_map(Fields {
            fields,
            next: 0,
            path: self.path,
            out: self.out,
        })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TraceError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i128 u8 u16 u128 f32 f64 char bytes byte_buf unit unit_struct tuple
        tuple_struct map enum identifier
    }
}

struct Fields<'a> {
    fields: &'static [&'static str],
    next: usize,
    path: Vec<&'static str>,
    out: &'a RefCell<Vec<Leaf>>,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = TraceError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TraceError> {
        match self.fields.get(self.next) {
            Some(&name) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, TraceError> {
        let name = self.fields[self.next];
        self.next += 1;
        let mut path = self.path.clone();
        path.push(name);
        seed.deserialize(Tracer {
            path,
            out: self.out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_of_wire_names() {
        for (wire, flag) in [
            ("TranId", "tran-id"),
            ("IntegratorID", "integrator-id"),
            ("MCC", "mcc"),
            ("KeyID", "key-id"),
            ("BIN", "bin"),
            ("Custom1", "custom1"),
            (
                "SendRecurringPOSEntryModeFeature",
                "send-recurring-pos-entry-mode-feature",
            ),
            ("UseOrgPOSCode", "use-org-pos-code"),
            ("OriginalIdentifierType", "original-identifier-type"),
        ] {
            assert_eq!(kebab(wire), flag, "{wire}");
        }
    }

    #[test]
    fn flags_come_from_the_dto_declarations() {
        let names =
            |svc: Svc| -> Vec<&'static str> { svc.flags().iter().map(|f| f.long).collect() };
        assert_eq!(names(Svc::BinCheck), ["bin"]);
        assert_eq!(
            names(Svc::Status),
            ["original-identifier-type", "original-data-identifier"]
        );
        let initiate = names(Svc::Initiate);
        assert_eq!(
            initiate[..6],
            [
                "card-data-type",
                "expiration-date",
                "amount",
                "currency-code",
                "trans-type",
                "reference-key"
            ]
        );
        assert!(
            !initiate
                .iter()
                .any(|n| n.contains("password") || *n == "card-number-data" || *n == "key-id")
        );
        let capture = names(Svc::Capture);
        for flag in [
            "tran-id",
            "amount",
            "mcc",
            "fn-snum",
            "use-org-pos-code",
            "custom5",
            "integrator-id",
        ] {
            assert!(capture.contains(&flag), "{flag}: {capture:?}");
        }
        assert!(
            !names(Svc::Reverse).contains(&"amount"),
            "Reverse has no Amount"
        );
        let kinds: Vec<Kind> = Svc::Capture.flags().iter().map(|f| f.kind).collect();
        assert_eq!(kinds[1], Kind::Unsigned);
        // Every service's command builds (no clashing flag names).
        for svc in Svc::ALL {
            svc.command().debug_assert();
        }
    }
}
