//! `paygate verify`: check the OAuth signature of a request with a public key, offline.

use std::path::PathBuf;
use std::process::ExitCode;

use oauth1_signer::{
    AuthorizationHeader, Request, RequestUrl, RsaPublicKey, SignatureMethod, VerifyError,
    VerifyPolicy, base_string_for_header, verify,
};

use crate::output::{
    CliError, ErrorKind, KeyFile, Shown, exit_invalid, print, print_json_value, read_key_file,
};

/// Arguments of `paygate verify`.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::output::exit_codes(
    "This offline tool checks the signature only: it makes NO timestamp or nonce (replay) checks.",
    &[&[
        (0, "the signature is valid"),
        (1, "the signature is invalid (with the reason and the base string it computed)"),
    ]],
))]
pub(crate) struct Args {
    /// Public key file: PEM (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`) or DER.
    #[arg(long, value_name = "FILE")]
    public_key: PathBuf,
    /// The request URL exactly as it was sent.
    #[arg(long, value_name = "URL")]
    url: String,
    /// The Authorization header value (`OAuth oauth_consumer_key="…", …`).
    #[arg(long, value_name = "HEADER")]
    authorization: String,
    /// The request body exactly as sent.
    #[arg(long, value_name = "BODY")]
    body: Option<String>,
    /// Content type of the body [default with --body: application/x-www-form-urlencoded].
    #[arg(long, value_name = "CT")]
    content_type: Option<String>,
    /// HTTP method.
    #[arg(long, default_value = "POST")]
    method: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let key = match read_key_file(&args.public_key)? {
        KeyFile::Pem(text) => RsaPublicKey::from_pem(&text),
        KeyFile::Der(der) => RsaPublicKey::from_der(&der),
    }
    .map_err(|e| {
        CliError::new(
            format!("cannot load public key {}", args.public_key.display()),
            &e,
        )
        .kind(ErrorKind::Key)
    })?;
    let url = RequestUrl::parse(&args.url).map_err(|e| CliError::new("bad --url", &e))?;
    let content_type = args
        .content_type
        .as_deref()
        .unwrap_or("application/x-www-form-urlencoded");
    let mut request = Request::new(&args.method, url);
    if let Some(body) = &args.body {
        request = request.with_body(Some(content_type), body.as_bytes());
    }

    let (outcome, base_string) = match AuthorizationHeader::parse(&args.authorization) {
        Err(e) => (Err(format!("malformed Authorization header: {e}")), None),
        Ok(header) => {
            // Check with the RSA method the header names (RSA-SHA256 unless it says otherwise).
            let method = header
                .signature_method()
                .and_then(|m| m.parse::<SignatureMethod>().ok())
                .filter(|m| m.is_rsa())
                .unwrap_or(SignatureMethod::RsaSha256);
            let verifier = key.with_method(method);
            match verify(
                &request,
                &header,
                &verifier,
                &VerifyPolicy::signature_only(),
            ) {
                Ok(verified) => (Ok(verified.consumer_key), Some(verified.base_string)),
                Err(VerifyError::SignatureMismatch { base_string }) => (
                    Err("the signature does not match the request".to_owned()),
                    Some(base_string),
                ),
                Err(VerifyError::Request(e)) => {
                    return Err(CliError::new("cannot verify this request", &e));
                }
                Err(e) => (
                    Err(describe(&e)),
                    base_string_for_header(&request, &header).ok(),
                ),
            }
        }
    };

    if args.json {
        let object = match &outcome {
            Ok(consumer_key) => serde_json::json!({
                "valid": true, "consumer_key": consumer_key, "reason": null, "base_string": base_string,
            }),
            Err(reason) => serde_json::json!({
                "valid": false, "consumer_key": null, "reason": reason, "base_string": base_string,
            }),
        };
        print_json_value(&object, true)?;
    } else {
        match &outcome {
            Ok(consumer_key) => print(&format!(
                "signature valid (consumer key {})\n",
                Shown(consumer_key)
            )),
            Err(reason) => {
                let mut text = format!("signature invalid: {}\n", Shown(reason));
                if let Some(base_string) = &base_string {
                    text.push_str(&format!(
                        "base string computed here:\n{}\n",
                        Shown(base_string)
                    ));
                }
                print(&text);
            }
        }
    }
    Ok(if outcome.is_ok() {
        ExitCode::SUCCESS
    } else {
        exit_invalid()
    })
}

/// The error and its sources on one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        line.push_str(": ");
        line.push_str(&e.to_string());
        source = e.source();
    }
    line
}
