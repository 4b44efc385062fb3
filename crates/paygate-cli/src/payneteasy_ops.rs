//! `paygate payneteasy <command>`: every Payneteasy operation, one subcommand each.
//!
//! Nothing here lists the commands or their fields: the subcommands come from
//! [`payneteasy_proto::for_each_operation!`] (one subcommand per command name; a command that
//! exists in v2 and v4 gets `--api v2|v4`, v4 by default), and each field flag from
//! [`payneteasy_proto::request_field_names`] (the wire name with `_` written as `-`:
//! `--client-orderid`, `--cardrefid`, `--amount`…). The request is then built from the
//! values given by the same deserializer the gateway emulator uses, so it is validated by the
//! request type before anything is sent (a missing or invalid field exits 2).
//!
//! - `login` is not a field flag: it is `--login`, put in the body where the command's
//!   request requires it (every v2 command), or with `--send-login`.
//! - Card data (`credit_card_number`, `cvv2`, the secret field names of
//!   `payneteasy_proto`) never come from the command line: from `PAYNETEASY_<FIELD>`
//!   (`PAYNETEASY_CREDIT_CARD_NUMBER`, `PAYNETEASY_CVV2`), else typed at a no-echo prompt when
//!   the request requires them.
//! - v2 commands are checked by a SHA-1 `control` with the merchant control key, read from
//!   `PAYNETEASY_CONTROL_KEY` (or the variable named by `--control-key-env`), else typed at a
//!   no-echo prompt. v4 commands are signed with `--key`.
//! - `--dry-run` prints the exact request instead of sending it (`--json`: one object
//!   `{"method", "url", "headers", "body"}`, [`crate::dry_run`]); card data is masked in the
//!   body, the `control` and the OAuth signature are shown.
//! - `--wait` polls `status` after an answer that is not final (an `async-response`), with the
//!   documented cadence ([`paygate_client::payneteasy::PollSchedule`], `--poll-every`,
//!   `--wait-timeout`), printing each next action for the payer (`html` to show, a
//!   `redirect-to` or form `redirect-url` to follow) and going on until the status is final.
//! - `--mode json` asks for JSON answers (`Accept: application/vnd.pay+json`).
//!
//! Exit codes: 0 the gateway accepted the request (with `--wait`: the final status is
//! approved); 2 bad arguments or a request the types refuse (nothing sent); 3 the gateway
//! said no; 4 authentication refused; 5 transport failure; 6 declined (a final status of
//! declined, filtered or error); 7 not final (`--wait` gave up at its deadline, still
//! `processing`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches};
use oauth1_signer::{RsaPrivateKey, SigningKey};
use paygate_client::payneteasy::{NextAction, PollSchedule, StatusQuery, WaitOutcome};
use paygate_client::{PayneteasyClient, PayneteasyConfig, Transport};
use payneteasy_proto::{
    ApiVersion, Checked, ControlKey, Endpoint, Environment, Operation, ProtoError, Status,
    StatusRequest, StatusV2Request,
};

use crate::dry_run::DryRun;
use crate::output::{CliError, ErrorKind, KeyFile, Shown, eprint_line, print, read_key_file};
use crate::report::{EXIT_DECLINED, EXIT_NOT_FINAL, print_json, report_error, runtime};
use crate::secret::{SecretKind, read_secret};

/// `--gateway` for Payneteasy's hosted sandbox.
const PAYNETEASY_SANDBOX: &str = "payneteasy-sandbox";

/// The default variable of the merchant control key.
const CONTROL_KEY_ENV: &str = "PAYNETEASY_CONTROL_KEY";

/// One operation: what the CLI needs of its declaration, and its runner.
struct Op {
    name: &'static str,
    path: &'static str,
    version: ApiVersion,
    fields: &'static [&'static str],
    run: fn(&Invocation) -> Result<ExitCode, CliError>,
}

impl Op {
    fn of<O: Operation + 'static>(name: &'static str) -> Op {
        Op {
            name,
            path: O::PATH,
            version: O::VERSION,
            fields: payneteasy_proto::request_field_names::<O>(),
            run: run_operation::<O>,
        }
    }
}

/// Every operation, in the order of [`payneteasy_proto::for_each_operation!`].
fn operations() -> Vec<Op> {
    let mut ops = Vec::new();
    macro_rules! add {
        ($op:ident, $name:literal) => {
            ops.push(Op::of::<payneteasy_proto::$op>($name));
        };
    }
    payneteasy_proto::for_each_operation!(add);
    ops
}

/// The flag of a wire field: `_` written as `-`.
fn flag_name(field: &str) -> String {
    field.replace('_', "-")
}

/// The variable a secret field is read from: `PAYNETEASY_` and the field in capitals.
fn secret_env(field: &str) -> String {
    format!(
        "PAYNETEASY_{}",
        field.replace('-', "_").to_ascii_uppercase()
    )
}

fn is_secret(field: &str) -> bool {
    payneteasy_proto::is_secret_field(field)
}

/// clap wants `&'static str` names and help (its `string` feature is off); the subcommands
/// are built once per run, so the few dozen short strings live as long as the process anyway.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The operations grouped by subcommand, in declaration order.
fn commands() -> Vec<(String, Vec<Op>)> {
    let mut groups: Vec<(String, Vec<Op>)> = Vec::new();
    for op in operations() {
        match groups.iter_mut().find(|(n, _)| n == op.name) {
            Some((_, ops)) => ops.push(op),
            None => groups.push((op.name.to_owned(), vec![op])),
        }
    }
    groups
}

/// The `--help` text after the options of every subcommand.
fn after_help() -> String {
    crate::output::exit_codes(
        "Card data comes only from PAYNETEASY_CREDIT_CARD_NUMBER and PAYNETEASY_CVV2 (in general \
PAYNETEASY_<FIELD>), else a no-echo prompt; the merchant control key of v2 commands from \
PAYNETEASY_CONTROL_KEY (or --control-key-env VAR), else a no-echo prompt. --gateway \
payneteasy-sandbox is Payneteasy's hosted sandbox on the internet; the embedded sandbox started \
by `paygate sandbox` is reached by the base URL it prints.",
        &[
            &[(
                0,
                "the gateway accepted the request (with --wait: the final status is approved)",
            )],
            crate::output::EXIT_CODES_GATEWAY,
            &[
                (
                    EXIT_DECLINED,
                    "declined: a final status of declined, filtered or error",
                ),
                (
                    EXIT_NOT_FINAL,
                    "not final: --wait reached its deadline while the order was still processing",
                ),
            ],
        ],
    )
}

fn subcommand(name: &str, ops: &[Op]) -> clap::Command {
    let versions: Vec<&str> = ops.iter().map(|op| op.version.as_str()).collect();
    let about = format!("Payneteasy `{}` ({})", ops[0].path, versions.join(", "));
    let mut command = clap::Command::new(leak(name.to_owned()))
        .about(leak(about))
        .after_help(leak(after_help()));
    command = connection_args(command);
    if ops.len() > 1 {
        let default = if versions.contains(&"v4") {
            "v4"
        } else {
            versions[0]
        };
        command = command.arg(
            Arg::new("api")
                .long("api")
                .value_name("VERSION")
                .value_parser(clap::builder::PossibleValuesParser::new(
                    versions.iter().map(|v| leak((*v).to_owned())),
                ))
                .default_value(leak(default.to_owned()))
                .help("The API version of the command"),
        );
    }
    let mut seen: Vec<&str> = Vec::new();
    for op in ops {
        for &field in op.fields {
            if field == "login" || is_secret(field) || seen.contains(&field) {
                continue;
            }
            seen.push(field);
            let mut arg = Arg::new(field)
                .long(leak(flag_name(field)))
                .value_name("VALUE")
                .help(leak(format!("The `{field}` field")));
            if ops.len() > 1 && !ops.iter().all(|o| o.fields.contains(&field)) {
                let only: Vec<&str> = ops
                    .iter()
                    .filter(|o| o.fields.contains(&field))
                    .map(|o| o.version.as_str())
                    .collect();
                arg = arg.help(leak(format!(
                    "The `{field}` field ({} only)",
                    only.join(", ")
                )));
            }
            command = command.arg(arg);
        }
    }
    command
}

/// The settings every subcommand shares.
fn connection_args(command: clap::Command) -> clap::Command {
    command
        .arg(
            Arg::new("gateway")
                .long("gateway")
                .value_name("GW")
                .required(true)
                .help(
                    "`payneteasy-sandbox` (alias `sandbox`): Payneteasy's hosted sandbox; \
                     `production`; or a base URL such as the one `paygate sandbox` prints",
                ),
        )
        .arg(
            Arg::new("endpoint")
                .long("endpoint")
                .value_name("ID")
                .value_parser(clap::value_parser!(u64))
                .help("The merchant's ENDPOINTID"),
        )
        .arg(
            Arg::new("group")
                .long("group")
                .value_name("ID")
                .value_parser(clap::value_parser!(u64))
                .conflicts_with("endpoint")
                .help("The merchant's ENDPOINTGROUPID (instead of --endpoint)"),
        )
        .group(
            clap::ArgGroup::new("target")
                .required(true)
                .args(["endpoint", "group"]),
        )
        .arg(
            Arg::new("login")
                .long("login")
                .value_name("L")
                .required(true)
                .help("The merchant login (oauth_consumer_key; `login` in v2 bodies)"),
        )
        .arg(
            Arg::new("key")
                .long("key")
                .value_name("FILE")
                .value_parser(clap::value_parser!(std::path::PathBuf))
                .help("The merchant's RSA private key, PEM or DER (v4 commands)"),
        )
        .arg(
            Arg::new("control-key-env")
                .long("control-key-env")
                .value_name("VAR")
                .default_value(CONTROL_KEY_ENV)
                .help("The variable holding the merchant control key (v2 commands)"),
        )
        .arg(
            Arg::new("ca-cert")
                .long("ca-cert")
                .value_name("PEM")
                .value_parser(clap::value_parser!(std::path::PathBuf))
                .help("Extra trusted root certificate (PEM), for `paygate sandbox --tls`"),
        )
        .arg(
            Arg::new("mode")
                .long("mode")
                .value_name("MODE")
                .value_parser(["form", "json"])
                .default_value("form")
                .help("Answers as forms (the default) or JSON (Accept: application/vnd.pay+json)"),
        )
        .arg(
            Arg::new("send-login")
                .long("send-login")
                .action(ArgAction::SetTrue)
                .help("Also send `login` in the body where it is optional"),
        )
        .arg(
            Arg::new("dry-run")
                .long("dry-run")
                .action(ArgAction::SetTrue)
                .help("Print the exact request (card data masked) instead of sending it"),
        )
        .arg(
            Arg::new("wait")
                .long("wait")
                .action(ArgAction::SetTrue)
                .help("Poll `status` until the order is final (or --wait-timeout)"),
        )
        .arg(
            Arg::new("wait-timeout")
                .long("wait-timeout")
                .value_name("SECONDS")
                .value_parser(parse_seconds)
                .default_value("3600")
                .help("How long --wait polls at most"),
        )
        .arg(
            Arg::new("poll-every")
                .long("poll-every")
                .value_name("SECONDS")
                .value_parser(parse_seconds)
                .default_value("4")
                .help("The wait between polls for the first 5 minutes (then 5 minutes)"),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Print one JSON object (the typed response or the typed error)"),
        )
}

/// Seconds, decimals allowed (`0.05`), positive.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?} is not a positive number of seconds"))
}

/// Arguments of `paygate payneteasy`: the subcommand chosen and its matches (the subcommands
/// are built at run time from the operation list, so this implements clap's traits by hand).
#[derive(Debug, Clone)]
pub(crate) struct Args {
    command: String,
    matches: ArgMatches,
}

impl clap::FromArgMatches for Args {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        match matches.subcommand() {
            Some((name, sub)) => Ok(Args {
                command: name.to_owned(),
                matches: sub.clone(),
            }),
            None => Err(clap::Error::new(clap::error::ErrorKind::MissingSubcommand)),
        }
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for Args {
    fn augment_args(command: clap::Command) -> clap::Command {
        let mut command = command
            .subcommand_required(true)
            .arg_required_else_help(true)
            .after_help(leak(after_help()));
        for (name, ops) in commands() {
            command = command.subcommand(subcommand(&name, &ops));
        }
        command
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

/// Runs `paygate payneteasy <command>`.
pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let groups = commands();
    let Some((_, ops)) = groups.iter().find(|(name, _)| *name == args.command) else {
        return Err(CliError::message(format!(
            "unknown Payneteasy command {:?}",
            args.command
        )));
    };
    let api = args
        .matches
        .try_get_one::<String>("api")
        .ok()
        .flatten()
        .map(String::as_str);
    let op = ops
        .iter()
        .find(|op| api.is_none_or(|v| op.version.as_str() == v))
        .unwrap_or(&ops[0]);
    let invocation = Invocation {
        matches: args.matches.clone(),
        fields: op.fields,
    };
    (op.run)(&invocation)
}

/// One run of a subcommand.
struct Invocation {
    matches: ArgMatches,
    fields: &'static [&'static str],
}

impl Invocation {
    fn text(&self, id: &str) -> Option<&str> {
        self.matches
            .try_get_one::<String>(id)
            .ok()
            .flatten()
            .map(String::as_str)
    }

    fn flag(&self, id: &str) -> bool {
        self.matches.get_flag(id)
    }

    fn login(&self) -> &str {
        self.text("login").unwrap_or_default()
    }

    fn json(&self) -> bool {
        self.flag("json")
    }

    fn endpoint(&self) -> Endpoint {
        match (
            self.matches.get_one::<u64>("endpoint"),
            self.matches.get_one::<u64>("group"),
        ) {
            (Some(id), _) => Endpoint::Id(*id),
            (None, Some(id)) => Endpoint::Group(*id),
            // clap's required group guarantees one of the two.
            (None, None) => Endpoint::Id(0),
        }
    }

    /// The request of operation `O` from the flags, the login and the secrets.
    fn request<O: Operation>(&self) -> Result<O::Request, CliError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for &field in self.fields {
            if field == "login" {
                if O::VERSION == ApiVersion::V2 || self.flag("send-login") {
                    pairs.push((field.to_owned(), self.login().to_owned()));
                }
            } else if is_secret(field) {
                if let Some(value) = std::env::var_os(secret_env(field)) {
                    let value = value.into_string().map_err(|_| {
                        CliError::message(format!("{} is not valid UTF-8", secret_env(field)))
                            .kind(ErrorKind::Secret)
                    })?;
                    crate::secret::register(&value, SecretKind::Digits);
                    pairs.push((field.to_owned(), value));
                }
            } else if let Some(value) = self.text(field) {
                pairs.push((field.to_owned(), value.to_owned()));
            }
        }
        // Required fields that were not given: the login, or a secret typed at a prompt.
        loop {
            let missing = match build_request::<O>(&pairs) {
                Ok(request) => return Ok(request),
                Err(BuildError::Missing(field)) => field,
                Err(BuildError::Invalid(e)) => {
                    return Err(CliError::new(
                        "the request is invalid (nothing was sent)",
                        &e,
                    ));
                }
            };
            if pairs.iter().any(|(n, _)| n == missing) {
                return Err(CliError::message(format!(
                    "the `{missing}` field is missing"
                )));
            }
            if missing == "login" {
                pairs.push((missing.to_owned(), self.login().to_owned()));
            } else if is_secret(missing) {
                let env = secret_env(missing);
                let value = read_secret(
                    &env,
                    &format!("Payneteasy {missing}"),
                    &format!(
                        "{missing} is required: set {env} (it is never read from the command line)"
                    ),
                    SecretKind::Digits,
                )?;
                pairs.push((missing.to_owned(), value.as_str().to_owned()));
            } else {
                return Err(CliError::message(format!(
                    "--{} is required (the `{missing}` field)",
                    flag_name(missing)
                )));
            }
        }
    }

    /// The client for an operation of `version`: v4 signs with `--key`, v2 needs the control
    /// key.
    fn client(&self, version: ApiVersion) -> Result<PayneteasyClient, CliError> {
        let gateway = self.text("gateway").unwrap_or_default();
        let environment = match gateway {
            PAYNETEASY_SANDBOX | "sandbox" => Environment::Sandbox,
            "production" => Environment::Production,
            url => Environment::custom(url).map_err(|e| {
                CliError::new(
                    format!(
                        "--gateway must be {PAYNETEASY_SANDBOX} (alias sandbox), production, or a \
                         base URL such as the one `paygate sandbox` prints, not {url:?}"
                    ),
                    &e,
                )
            })?,
        };
        let key: Arc<dyn SigningKey> = match self.matches.get_one::<std::path::PathBuf>("key") {
            Some(path) => {
                let key = match read_key_file(path)? {
                    KeyFile::Pem(text) => RsaPrivateKey::from_pem(&text),
                    KeyFile::Der(der) => RsaPrivateKey::from_der(&der),
                }
                .map_err(|e| {
                    CliError::new(format!("cannot load private key {}", path.display()), &e)
                        .kind(ErrorKind::Key)
                })?;
                Arc::new(key)
            }
            None if version == ApiVersion::V4 => {
                return Err(CliError::message(
                    "--key is required for a v4 command (it is signed with the merchant's RSA key)",
                ));
            }
            // A v2 command is checked by `control`, never signed: no key is used.
            None => Arc::new(oauth1_signer::HmacKey::new("unused-by-v2-commands", "")),
        };
        let mut config = PayneteasyConfig::builder(environment, self.login(), key)
            .send_login(self.flag("send-login"))
            .json_mode(self.text("mode") == Some("json"));
        if version == ApiVersion::V2 {
            let env = self.text("control-key-env").unwrap_or(CONTROL_KEY_ENV);
            let secret = read_secret(
                env,
                "Payneteasy merchant control key",
                &format!("a v2 command needs the merchant control key: set {env}"),
                SecretKind::Text,
            )?;
            let control = ControlKey::new(secret.as_str())
                .map_err(|e| CliError::new(env, &e).kind(ErrorKind::Secret))?;
            config = config.control_key(control);
        }
        let config = config
            .build()
            .map_err(|e| CliError::new("invalid Payneteasy configuration", &e))?;
        let transport = crate::output::transport_config(
            self.matches
                .get_one::<std::path::PathBuf>("ca-cert")
                .map(std::path::PathBuf::as_path),
        )?;
        let transport = Transport::new(transport)
            .map_err(|e| CliError::new("cannot set up the HTTP client", &e))?;
        Ok(PayneteasyClient::new(config, transport))
    }

    fn schedule(&self) -> Result<PollSchedule, CliError> {
        let seconds = |id| {
            self.matches
                .get_one::<Duration>(id)
                .copied()
                .unwrap_or(Duration::from_secs(4))
        };
        let every = seconds("poll-every");
        PollSchedule::builder()
            .interval(every)
            .slow_interval(every.max(Duration::from_secs(300)))
            .deadline(seconds("wait-timeout"))
            .build()
            .map_err(|e| CliError::new("bad --poll-every or --wait-timeout", &e))
    }
}

enum BuildError {
    Missing(&'static str),
    Invalid(payneteasy_codec::DecodeError),
}

/// The request from text pairs: the request's fields twin read by the form deserializer, then
/// its checks.
fn build_request<O: Operation>(pairs: &[(String, String)]) -> Result<O::Request, BuildError> {
    use std::borrow::Cow;
    let fields: payneteasy_codec::Fields<'_> = pairs
        .iter()
        .map(|(n, v)| (Cow::Borrowed(n.as_str()), Cow::Borrowed(v.as_str())))
        .collect();
    let unchecked = payneteasy_codec::from_fields::<<O::Request as Checked>::Fields>(fields)
        .map_err(|e| match e {
            payneteasy_codec::DecodeError::Invalid(ProtoError::MissingField(f)) => {
                BuildError::Missing(f)
            }
            other => BuildError::Invalid(other),
        })?;
    <O::Request as Checked>::check(unchecked).map_err(|e| match e {
        ProtoError::MissingField(f) => BuildError::Missing(f),
        other => BuildError::Invalid(payneteasy_codec::DecodeError::Invalid(other)),
    })
}

/// The body with card data masked: the card number down to its last four digits, the CVV
/// entirely.
fn masked_body(body: &str) -> String {
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if is_secret(name) => {
                let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
                let shown = if name == "credit_card_number" && digits.len() > 4 {
                    let last: String = digits[digits.len() - 4..].iter().collect();
                    format!("{}{last}", "*".repeat(digits.len() - 4))
                } else {
                    "***".to_owned()
                };
                format!("{name}={shown}")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn run_operation<O: Operation>(invocation: &Invocation) -> Result<ExitCode, CliError> {
    let request = invocation.request::<O>()?;
    let client = invocation.client(O::VERSION)?;
    let endpoint = invocation.endpoint();
    let json = invocation.json();
    if invocation.flag("dry-run") {
        let http = match client.sign_request::<O>(&endpoint, &request) {
            Ok(http) => http,
            Err(e) => return Ok(report_error(&e, 0, json)),
        };
        let dry = DryRun {
            method: http.method().to_string(),
            url: http.uri().to_string(),
            headers: http
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: masked_body(&String::from_utf8_lossy(http.body())),
        };
        dry.print(json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = runtime()?;
    let (outcome, attempts) = runtime.block_on(paygate_client::count_attempts(
        client.execute::<O>(&endpoint, &request),
    ));
    let response = match outcome {
        Ok(response) => response,
        Err(e) => return Ok(report_error(&e, attempts, json)),
    };
    let fields = payneteasy_codec::to_fields(&response).unwrap_or_default();
    let status = field(&fields, "status").map(Status::parse);
    let command = O::PATH.replace('/', "-");
    let form_action = NextAction::from_form_redirect(field(&fields, "redirect-url"));
    let not_final = status.as_ref().is_some_and(|s| !s.is_final());
    if !invocation.flag("wait") || !not_final {
        return finish(
            &command,
            &fields,
            None,
            form_action.into_iter().collect(),
            json,
        );
    }
    // --wait: poll the order's status.
    let request_fields = payneteasy_codec::to_fields(&request).unwrap_or_default();
    let Some(query) = status_query::<O>(invocation.login(), &request_fields, &fields) else {
        eprint_line("paygate: the answer names no order to poll (no paynet-order-id)");
        return finish(&command, &fields, None, Vec::new(), json);
    };
    let query = query.map_err(|e| CliError::new("cannot build the status query", &e))?;
    let schedule = invocation.schedule()?;
    let mut actions: Vec<NextAction> = form_action.into_iter().collect();
    for action in &actions {
        announce(action, json);
    }
    let mut waiter = client.waiter(&endpoint, query, schedule);
    let outcome = runtime.block_on(async {
        loop {
            match waiter.next().await {
                Ok(WaitOutcome::Action { action, .. }) => {
                    announce(&action, json);
                    actions.push(action);
                }
                other => return other,
            }
        }
    });
    match outcome {
        Ok(outcome) => {
            let last = payneteasy_codec::to_fields(outcome.response()).unwrap_or_default();
            finish(
                &command,
                &fields,
                Some((&last, waiter.polls())),
                actions,
                json,
            )
        }
        Err(e) => Ok(report_error(&e, waiter.polls(), json)),
    }
}

/// The `status` query of the order an answer names: the version of the command, the
/// merchant's id from the request (or the answer's `merchant-order-id`), the gateway's from
/// `paynet-order-id` (or the request's `orderid`).
fn status_query<O: Operation>(
    login: &str,
    request: &[(String, String)],
    answer: &[(String, String)],
) -> Option<Result<StatusQuery, ProtoError>> {
    let client_orderid =
        field(request, "client_orderid").or_else(|| field(answer, "merchant-order-id"))?;
    let orderid = field(answer, "paynet-order-id").or_else(|| field(request, "orderid"))?;
    Some(match O::VERSION {
        ApiVersion::V2 => StatusV2Request::new(login, client_orderid, orderid).map(StatusQuery::V2),
        _ => StatusRequest::new(client_orderid)
            .and_then(|r| r.with_orderid(orderid))
            .map(StatusQuery::V4),
    })
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Tells the user (stderr; in JSON mode the actions are in the final object) what the payer
/// must do.
fn announce(action: &NextAction, json: bool) {
    if json {
        return;
    }
    let text = match action {
        NextAction::ShowHtml(html) => format!(
            "paygate: the payer must be shown an HTML page ({} bytes; `--json` prints it)",
            html.len()
        ),
        NextAction::RedirectTo(url) => {
            format!("paygate: send the payer to {} (redirect-to)", Shown(url))
        }
        NextAction::Redirect(url) => {
            format!("paygate: send the payer to the payment form {}", Shown(url))
        }
        other => format!(
            "paygate: next action {}: {}",
            other.name(),
            Shown(other.value())
        ),
    };
    eprint_line(&text);
}

fn json_object(fields: &[(String, String)]) -> serde_json::Value {
    serde_json::Value::Object(
        fields
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().into()))
            .collect(),
    )
}

/// Prints the answer (and, after `--wait`, the last status) and picks the exit code.
fn finish(
    command: &str,
    fields: &[(String, String)],
    waited: Option<(&[(String, String)], u32)>,
    actions: Vec<NextAction>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let last = waited.map_or(fields, |(last, _)| last);
    let status = field(last, "status").map(Status::parse);
    let is_final = status.as_ref().is_none_or(Status::is_final);
    let declined = status
        .as_ref()
        .is_some_and(|s| s.is_final() && !s.is_approved());
    let code = if declined {
        ExitCode::from(EXIT_DECLINED)
    } else if waited.is_some() && !is_final {
        ExitCode::from(EXIT_NOT_FINAL)
    } else {
        ExitCode::SUCCESS
    };
    if json {
        let mut object = serde_json::json!({
            "ok": !declined && (waited.is_none() || is_final),
            "command": command,
            "final": is_final,
            "response": json_object(fields),
        });
        if let Some((last, polls)) = waited {
            object["status_response"] = json_object(last);
            object["polls"] = polls.into();
        }
        if !actions.is_empty() {
            object["next_actions"] = actions
                .iter()
                .map(|a| serde_json::json!({ "action": a.name(), "value": a.value() }))
                .collect();
        }
        print_json(&object)?;
        return Ok(code);
    }
    let print_fields = |fields: &[(String, String)]| {
        let width = fields.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let mut text = String::new();
        for (name, value) in fields {
            text.push_str(&format!("{name:<width$}  {}\n", Shown(value)));
        }
        print(&text);
    };
    print_fields(fields);
    if let Some((last, polls)) = waited {
        print(&format!("\nstatus after {polls} poll(s):\n"));
        print_fields(last);
    }
    let status_text = status.as_ref().map(Status::to_string).unwrap_or_default();
    if declined {
        eprint_line(&format!(
            "paygate: the gateway answered status={}",
            Shown(&status_text)
        ));
    } else if !is_final {
        eprint_line(&format!(
            "paygate: status {} is not final: {}",
            Shown(&status_text),
            if waited.is_some() {
                "--wait reached its deadline"
            } else {
                "poll with --wait, or ask `paygate payneteasy status` later"
            }
        ));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(flag_name("client_orderid"), "client-orderid");
        assert_eq!(flag_name("by-request-sn"), "by-request-sn");
        assert_eq!(
            secret_env("credit_card_number"),
            "PAYNETEASY_CREDIT_CARD_NUMBER"
        );
    }

    #[test]
    fn card_data_is_masked_in_the_body() {
        assert_eq!(
            masked_body("a=1&credit_card_number=4111111111111111&cvv2=123&control=ab"),
            "a=1&credit_card_number=************1111&cvv2=***&control=ab"
        );
    }

    #[test]
    fn every_operation_is_a_subcommand_with_its_fields() {
        let groups = commands();
        for op in operations() {
            let (_, ops) = groups
                .iter()
                .find(|(n, _)| n == op.name)
                .expect("a subcommand");
            assert!(ops.iter().any(|o| o.version == op.version));
        }
        for (name, ops) in &groups {
            let command = subcommand(name, ops);
            for op in ops {
                for field in op.fields {
                    if *field == "login" {
                        // The connection's own `--login`.
                        continue;
                    }
                    let has_flag = command
                        .get_arguments()
                        .any(|a| a.get_id().as_str() == *field);
                    assert_eq!(has_flag, !is_secret(field), "{name}: {field}");
                }
            }
            assert_eq!(
                command.get_arguments().any(|a| a.get_id() == "api"),
                ops.len() > 1,
                "{name}"
            );
        }
    }
}
