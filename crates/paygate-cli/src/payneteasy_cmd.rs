//! `paygate create-card-ref` and `paygate status`: one signed Payneteasy v4 call each.
//!
//! Exit codes: 0 the call succeeded (and a decoded `status` is not a decline); 3 the gateway
//! said no (`validation-error`, `error`); 6 a final `status` of declined, filtered or error; 4
//! authentication refused; 5 transport failure (the message says whether the request may
//! have been sent); 2 bad arguments or an unreadable key. The error mapping is shared with the
//! PaySecure commands ([`crate::report::report_error`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use oauth1_signer::RsaPrivateKey;
use paygate_client::{PayneteasyClient, PayneteasyConfig, Transport};
use payneteasy_proto::{CreateCardRefRequest, Endpoint, Environment, Status, StatusRequest};

use crate::output::{CliError, ErrorKind, KeyFile, Shown, eprint_line, print, read_key_file};
use crate::report::{print_json, report_error, runtime};

use crate::report::EXIT_DECLINED;

/// `--gateway` for Payneteasy's hosted sandbox ([`Environment::Sandbox`],
/// sandbox.payneteasy.com); `sandbox` is accepted as an alias.
const PAYNETEASY_SANDBOX: &str = "payneteasy-sandbox";

/// The `--help` text after the options of both commands.
fn after_help() -> String {
    crate::output::exit_codes(
        "--gateway payneteasy-sandbox is Payneteasy's hosted sandbox on the internet; the \
embedded sandbox started by `paygate sandbox` runs on this machine and is reached by the base \
URL it prints.",
        &[
            &[(
                0,
                "the call succeeded (and a decoded status is not a decline)",
            )],
            crate::output::EXIT_CODES_GATEWAY,
            &[(
                crate::report::EXIT_DECLINED,
                "the payment was declined: a final status of declined, filtered or error",
            )],
        ],
    )
}

/// Where and as whom to call Payneteasy; shared by both commands.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["endpoint", "group"])))]
pub(crate) struct ConnectionArgs {
    /// `payneteasy-sandbox` (alias `sandbox`): Payneteasy's hosted sandbox
    /// (sandbox.payneteasy.com); `production`; or a base URL up to the API version, such as
    /// the embedded sandbox started by `paygate sandbox` (`http://127.0.0.1:PORT/paynet/api/v4`,
    /// printed when it starts).
    #[arg(long, value_name = "GW")]
    gateway: String,
    /// The merchant's ENDPOINTID.
    #[arg(long, value_name = "ID")]
    endpoint: Option<u64>,
    /// The merchant's ENDPOINTGROUPID (instead of --endpoint).
    #[arg(long, value_name = "ID")]
    group: Option<u64>,
    /// The merchant login (oauth_consumer_key).
    #[arg(long, value_name = "L")]
    login: String,
    /// The merchant's RSA private key: PEM (PKCS#1 or PKCS#8) or DER.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Extra trusted root certificate (PEM), for a private CA or `paygate sandbox --tls`.
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// Print one JSON object (the typed response or the typed error) instead of text.
    #[arg(long)]
    json: bool,
}

impl ConnectionArgs {
    fn endpoint(&self) -> Endpoint {
        match (self.endpoint, self.group) {
            (Some(id), _) => Endpoint::Id(id),
            (None, Some(id)) => Endpoint::Group(id),
            // clap's required group guarantees one of the two.
            (None, None) => Endpoint::Id(0),
        }
    }

    fn client(&self, send_login: bool) -> Result<PayneteasyClient, CliError> {
        let environment = match self.gateway.as_str() {
            PAYNETEASY_SANDBOX | "sandbox" => Environment::Sandbox,
            "production" => Environment::Production,
            url => Environment::custom(url).map_err(|e| {
                CliError::new(
                    format!(
                        "--gateway must be {PAYNETEASY_SANDBOX} (alias sandbox: Payneteasy's hosted \
                         sandbox), production, or a base URL such as the one `paygate sandbox` \
                         prints, not {url:?}"
                    ),
                    &e,
                )
            })?,
        };
        let key = match read_key_file(&self.key)? {
            KeyFile::Pem(text) => RsaPrivateKey::from_pem(&text),
            KeyFile::Der(der) => RsaPrivateKey::from_der(&der),
        }
        .map_err(|e| {
            CliError::new(
                format!("cannot load private key {}", self.key.display()),
                &e,
            )
            .kind(ErrorKind::Key)
        })?;
        let transport = crate::output::transport_config(self.ca_cert.as_deref())?;
        let config = PayneteasyConfig::builder(environment, self.login.as_str(), Arc::new(key))
            .send_login(send_login)
            .build()
            .map_err(|e| CliError::new("invalid Payneteasy configuration", &e))?;
        let transport = Transport::new(transport)
            .map_err(|e| CliError::new("cannot set up the HTTP client", &e))?;
        Ok(PayneteasyClient::new(config, transport))
    }
}

/// Arguments of `paygate create-card-ref`.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help())]
pub(crate) struct CreateCardRefArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// The merchant's order id of the first (approved) payment.
    #[arg(long, value_name = "X")]
    client_orderid: String,
    /// The gateway's order id of that payment.
    #[arg(long, value_name = "Y")]
    orderid: String,
    /// Also send `login` in the body (signed like every body field).
    #[arg(long)]
    send_login: bool,
}

/// Arguments of `paygate status`.
#[derive(Debug, clap::Args)]
#[command(after_help = after_help())]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// The merchant's order id.
    #[arg(long, value_name = "X")]
    client_orderid: String,
    /// The gateway's order id, when known.
    #[arg(long, value_name = "Y")]
    orderid: Option<String>,
    /// The status of the request with this serial number.
    #[arg(long, value_name = "SN")]
    by_request_sn: Option<String>,
}

pub(crate) fn run_create_card_ref(args: CreateCardRefArgs) -> Result<ExitCode, CliError> {
    let request = CreateCardRefRequest::new(args.client_orderid.as_str(), args.orderid.as_str())
        .map_err(|e| CliError::new("bad order ids", &e))?;
    let connection = &args.connection;
    let client = connection.client(args.send_login)?;
    let (outcome, attempts) = runtime()?.block_on(paygate_client::count_attempts(
        client.create_card_ref(&connection.endpoint(), &request),
    ));
    match outcome {
        Ok(response) => finish(
            "create-card-ref",
            &response.status,
            payneteasy_codec::to_fields(&response),
            connection.json,
        ),
        Err(e) => Ok(report_error(&e, attempts, connection.json)),
    }
}

pub(crate) fn run_status(args: StatusArgs) -> Result<ExitCode, CliError> {
    let mut request = StatusRequest::new(args.client_orderid.as_str())
        .map_err(|e| CliError::new("bad --client-orderid", &e))?;
    if let Some(orderid) = &args.orderid {
        request = request
            .with_orderid(orderid.as_str())
            .map_err(|e| CliError::new("bad --orderid", &e))?;
    }
    if let Some(sn) = &args.by_request_sn {
        request = request
            .with_by_request_sn(sn.as_str())
            .map_err(|e| CliError::new("bad --by-request-sn", &e))?;
    }
    let connection = &args.connection;
    let client = connection.client(false)?;
    let (outcome, attempts) = runtime()?.block_on(paygate_client::count_attempts(
        client.status(&connection.endpoint(), &request),
    ));
    match outcome {
        Ok(response) => finish(
            "status",
            &response.status,
            payneteasy_codec::to_fields(&response),
            connection.json,
        ),
        Err(e) => Ok(report_error(&e, attempts, connection.json)),
    }
}

/// Prints a decoded response and picks the exit code: a final status other than approved is
/// the gateway saying no.
fn finish(
    command: &str,
    status: &Status,
    fields: Result<Vec<(String, String)>, payneteasy_codec::EncodeError>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let declined = status.is_final() && !status.is_approved();
    let status_is_final = status.is_final();
    // The fields in wire order, from the message's declaration (a decoded response always
    // encodes: it is a struct of text).
    let fields = fields.unwrap_or_default();
    if json {
        let object: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().into()))
            .collect();
        print_json(&serde_json::json!({
            "ok": !declined,
            "command": command,
            "final": status.is_final(),
            "response": object,
        }))?;
    } else {
        let width = fields.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let mut text = String::new();
        for (name, value) in &fields {
            text.push_str(&format!("{name:<width$}  {}\n", Shown(value)));
        }
        print(&text);
        let status = status.to_string();
        if declined {
            eprint_line(&format!(
                "paygate: the gateway answered status={}",
                Shown(&status)
            ));
        } else if !status_is_final {
            eprint_line(&format!(
                "paygate: status {} is not final: ask `paygate status` again later",
                Shown(&status)
            ));
        }
    }
    Ok(if declined {
        ExitCode::from(EXIT_DECLINED)
    } else {
        ExitCode::SUCCESS
    })
}
