//! `paygate sign`: sign a Payneteasy-style form POST and print every intermediate step.

use std::path::PathBuf;
use std::process::ExitCode;

use oauth1_signer::{OAuthParams, Request, RequestUrl, RsaPrivateKey, form_urlencode, sign};

use crate::output::{CliError, ErrorKind, KeyFile, print, print_json_value, read_key_file};

/// Arguments of `paygate sign`.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::output::exit_codes(
    "Without --nonce and --timestamp a random nonce and the current time are used.\n\
The body is the --param pairs in the given order, form-encoded; the signature covers the\n\
query of --url, the body and the oauth_* parameters (RSA-SHA256, oauth_version=\"1.0\").\n\
Offline: nothing is sent.",
    &[&[(0, "signed; every step printed")]],
))]
pub(crate) struct Args {
    /// Private key file: PEM (PKCS#1 or PKCS#8, one-line `\n` escapes accepted) or DER.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The endpoint URL exactly as it will be sent (already percent-encoded).
    #[arg(long, value_name = "URL")]
    url: String,
    /// oauth_consumer_key (Payneteasy: the merchant login).
    #[arg(long, value_name = "LOGIN")]
    consumer_key: String,
    /// A body parameter as plain text, split at the first `=`; repeat for more.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// HTTP method.
    #[arg(long, default_value = "POST")]
    method: String,
    /// oauth_nonce to use instead of a random one.
    #[arg(long, value_name = "N")]
    nonce: Option<String>,
    /// oauth_timestamp (Unix seconds) to use instead of the current time.
    #[arg(long, value_name = "T")]
    timestamp: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some(("", _)) => Err("the parameter name is empty".to_owned()),
        Some((name, value)) => Ok((name.to_owned(), value.to_owned())),
        None => Err(format!("expected NAME=VALUE, got {text:?}")),
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let key = match read_key_file(&args.key)? {
        KeyFile::Pem(text) => RsaPrivateKey::from_pem(&text),
        KeyFile::Der(der) => RsaPrivateKey::from_der(&der),
    }
    .map_err(|e| {
        CliError::new(
            format!("cannot load private key {}", args.key.display()),
            &e,
        )
        .kind(ErrorKind::Key)
    })?;
    let url = RequestUrl::parse(&args.url).map_err(|e| CliError::new("bad --url", &e))?;
    let nonce = match args.nonce {
        Some(nonce) => nonce,
        None => {
            oauth1_signer::generate_nonce().map_err(|e| CliError::new("cannot make a nonce", &e))?
        }
    };
    let timestamp = args
        .timestamp
        .unwrap_or_else(oauth1_signer::unix_timestamp_now);
    let body = form_urlencode(args.params.iter().map(|(n, v)| (n, v)));
    let request = Request::new(&args.method, url)
        .with_body(Some("application/x-www-form-urlencoded"), body.as_bytes());
    let params = OAuthParams::new(&args.consumer_key, &nonce, timestamp);
    let signed = sign(&request, &params, &key).map_err(|e| CliError::new("cannot sign", &e))?;

    if args.json {
        let object = serde_json::json!({
            "normalized_parameters": signed.normalized_parameters,
            "base_string": signed.base_string,
            "signature_hex": signed.signature_hex(),
            "signature_base64": signed.signature_base64(),
            "authorization": signed.authorization(),
            "body": body,
        });
        print_json_value(&object, true)?;
    } else {
        print(&format!(
            "normalized parameters:\n{}\n\nbase string:\n{}\n\nsignature (hex):\n{}\n\nsignature (base64):\n{}\n\n\
             Authorization header:\n{}\n\nbody:\n{}\n",
            signed.normalized_parameters,
            signed.base_string,
            signed.signature_hex(),
            signed.signature_base64(),
            signed.authorization(),
            body,
        ));
    }
    Ok(ExitCode::SUCCESS)
}
