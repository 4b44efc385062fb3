//! `paygate tokenize-card`: fetch a fresh key, encrypt the card, and exchange it for a token.

use std::process::ExitCode;

use paygate_client::paysecure::PlainCard;
use paysecure_proto::CardExpiration;
use paysecure_proto::card::{Cvn, Pan};

use crate::create_key::ConnectionArgs;
use crate::output::{CliError, ErrorKind, Shown, print};
use crate::report::{print_json, report_error, runtime};
use crate::secret::{SecretKind, read_secret};

/// Arguments of `paygate tokenize-card`.
#[derive(Debug, clap::Args)]
#[command(
    disable_version_flag = true,
    after_help = crate::output::exit_codes(
        "The password is read from PAYSECURE_PASSWORD and the card number from the \
variable named by --pan-env (default PAYGATE_PAN), or asked on the terminal without echo; never \
from the command line or a pipe. The test card 4111111111111111 works with the embedded sandbox \
(`paygate sandbox`).\nThe card number and CVN are encrypted with RSA PKCS#1 v1.5 under a fresh \
CreateKey key (base64), Expiration is MMYY.",
        &[&[(0, "tokenized")], crate::output::EXIT_CODES_GATEWAY],
    )
)]
pub(crate) struct Args {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// The environment variable holding the card number.
    #[arg(long, value_name = "VAR", default_value = "PAYGATE_PAN")]
    pan_env: String,
    /// Card expiration, `MMYY`.
    #[arg(long, value_name = "MMYY")]
    expiration: String,
    /// The environment variable holding the CVN (none sent when left out).
    #[arg(long, value_name = "VAR")]
    cvn_env: Option<String>,
    /// Ask the gateway to verify the card (`VerifyCard`).
    #[arg(long)]
    verify: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let expiration = CardExpiration::parse(&args.expiration)
        .map_err(|e| CliError::new("bad --expiration", &e))?;
    let pan_text = read_secret(
        &args.pan_env,
        "Card number",
        &format!("no card number: set {} or run on a terminal", args.pan_env),
        SecretKind::Digits,
    )?;
    let pan = Pan::new(&pan_text).map_err(|e| CliError::new("bad card number", &e))?;
    let cvn = match &args.cvn_env {
        None => None,
        Some(var) => {
            let text = std::env::var(var)
                .map(zeroize::Zeroizing::new)
                .map_err(|e| {
                    CliError::new(format!("cannot read {var}"), &e).kind(ErrorKind::Secret)
                })?;
            crate::secret::register(&text, SecretKind::Digits);
            Some(Cvn::new(&text).map_err(|e| CliError::new("bad CVN", &e))?)
        }
    };
    let client = args.connection.client()?;
    let json = args.connection.json;
    let mut card = PlainCard::new(pan, expiration);
    if let Some(cvn) = cvn {
        card = card.cvn(cvn);
    }
    if args.verify {
        card = card.verify(true);
    }
    let (outcome, attempts) = runtime()?.block_on(paygate_client::count_attempts(async {
        let issued = client.create_key(None).await?;
        client
            .tokenize_card_with_key(&issued.key, &card)
            .await
            .map(|response| (issued, response))
    }));
    let (issued, response) = match outcome {
        Ok(pair) => pair,
        Err(e) => return Ok(report_error(&e, attempts, json)),
    };
    if json {
        let body = paysecure_codec::encode(&response);
        let response: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| CliError::new("cannot re-read the response as JSON", &e))?;
        print_json(&serde_json::json!({
            "ok": true,
            "command": "TokenizeCard",
            "key_id": issued.key.key_id(),
            "response": response,
        }))?;
    } else {
        let field = |v: &Option<String>| Shown(v.as_deref().unwrap_or("-")).to_string();
        print(&format!(
            "Token:    {}\nLast4:    {}\nBIN:      {}\nExpires:  {}\nResponse: {}\n",
            field(&response.card_token),
            field(&response.card_last4),
            field(&response.card_bin),
            field(&response.card_expiration),
            field(&response.response_code),
        ));
    }
    Ok(ExitCode::SUCCESS)
}
