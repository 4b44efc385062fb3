//! `paygate create-key`: ask PaySecure (or the sandbox) for a card-encryption key.
//!
//! Also the shared connection arguments of the PaySecure subcommands and reading the password
//! from `PAYSECURE_PASSWORD` or the terminal without echo (never the command line; see
//! [`crate::secret`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use time::format_description::well_known::Rfc3339;

use paygate_client::paysecure::PRODUCTION_BASE_URL;
use paygate_client::{PaySecureClient, PaySecureConfig};
use paysecure_proto::Password;

use crate::output::{CliError, Shown, print};
use crate::report::{print_json, report_error, runtime};
use crate::secret::{SecretKind, read_secret};

/// The environment variable holding the PaySecure password.
pub(crate) const PASSWORD_ENV: &str = "PAYSECURE_PASSWORD";

/// Where and as whom to call PaySecure; shared by `create-key` and `tokenize-card`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConnectionArgs {
    /// `production`, or a base URL: the embedded sandbox started by `paygate sandbox` prints
    /// its own (`http://127.0.0.1:PORT/paysecure`).
    #[arg(long, value_name = "GW")]
    gateway: String,
    /// `MerchantId`.
    #[arg(long, value_name = "M")]
    merchant_id: String,
    /// `UserName`.
    #[arg(long, value_name = "U")]
    user: String,
    /// `Version` of the PaySecure credentials.
    #[arg(long = "version", value_name = "V")]
    api_version: String,
    /// Extra trusted root certificate (PEM), for a private CA or the sandbox's TLS.
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// Print one JSON object (the typed response or the typed error) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

impl ConnectionArgs {
    /// The base URL `--gateway` names.
    pub(crate) fn base_url(&self) -> Result<String, CliError> {
        Ok(if self.gateway == "production" {
            PRODUCTION_BASE_URL.to_owned()
        } else {
            let uri: http::Uri = self.gateway.parse().map_err(|e| {
                CliError::new(format!("--gateway {:?} is not a URL", self.gateway), &e)
            })?;
            if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
                return Err(CliError::message(format!(
                    "--gateway must be `production` or an http(s) base URL, not {:?}",
                    self.gateway
                )));
            }
            self.gateway.clone()
        })
    }

    /// `Credentials` as a dry run shows them: the password masked (and never read).
    pub(crate) fn masked_credentials(&self) -> serde_json::Value {
        serde_json::json!({
            "MerchantId": self.merchant_id,
            "UserName": self.user,
            "Password": "***",
            "Version": self.api_version,
        })
    }

    /// Builds the client: password from the environment or the terminal, base URL, CA.
    pub(crate) fn client(&self) -> Result<PaySecureClient, CliError> {
        let base_url = self.base_url()?;
        let password = read_secret(
            PASSWORD_ENV,
            "PaySecure password",
            "no password: set PAYSECURE_PASSWORD or run on a terminal to be asked",
            SecretKind::Text,
        )?;
        let config = PaySecureConfig::from_parts(
            &self.merchant_id,
            &self.user,
            Password::new(password.as_str()),
            &self.api_version,
        )
        .map_err(|e| CliError::new("invalid credentials", &e))?
        .base_url(base_url)
        .build()
        .map_err(|e| CliError::new("invalid PaySecure configuration", &e))?;
        let transport = crate::output::transport_config(self.ca_cert.as_deref())?;
        PaySecureClient::with_transport_config(config, transport)
            .map_err(|e| CliError::new("cannot set up the HTTP client", &e))
    }
}

/// Arguments of `paygate create-key`.
#[derive(Debug, clap::Args)]
#[command(
    disable_version_flag = true,
    after_help = crate::output::exit_codes(
        "The password is read from PAYSECURE_PASSWORD, or asked on the terminal without echo; \
never from the command line or a pipe.",
        &[&[(0, "key issued")], crate::output::EXIT_CODES_GATEWAY],
    )
)]
pub(crate) struct Args {
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Key lifetime in minutes (`TTLInMinutes`); the gateway's default when left out.
    #[arg(long, value_name = "MINUTES")]
    ttl: Option<i32>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let client = args.connection.client()?;
    let json = args.connection.json;
    let (outcome, attempts) =
        runtime()?.block_on(paygate_client::count_attempts(client.create_key(args.ttl)));
    let issued = match outcome {
        Ok(issued) => issued,
        Err(e) => return Ok(report_error(&e, attempts, json)),
    };
    if json {
        let body = paysecure_codec::encode(&issued.session);
        let response: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| CliError::new("cannot re-read the response as JSON", &e))?;
        print_json(&serde_json::json!({
            "ok": true,
            "command": "CreateKey",
            "key_bits": issued.key.bits(),
            "expires_at_unix_ms": issued.key.expires_at().map(unix_ms),
            "expires_at": issued.key.expires_at().and_then(rfc3339),
            "response": response,
        }))?;
    } else {
        let mut text = format!(
            "KeyId:    {}\nKey:      RSA {} bits, exponent {}\n",
            Shown(issued.key.key_id()),
            issued.key.bits(),
            Shown(issued.session.exponent.as_deref().unwrap_or("?")),
        );
        if let Some(at) = issued.key.expires_at() {
            text.push_str(&format!(
                "Expires:  {}\n",
                readable_time(at, std::time::SystemTime::now())
            ));
        }
        print(&text);
    }
    Ok(ExitCode::SUCCESS)
}

/// `2026-12-01T10:15:00Z (in 15 minutes)`: RFC 3339 in UTC to the second, and how far from
/// `now` (the raw milliseconds stay in the JSON output).
pub(crate) fn readable_time(at: SystemTime, now: SystemTime) -> String {
    let stamp = time::OffsetDateTime::from(at)
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{} ms after the Unix epoch", unix_ms(at)));
    let relative = match at.duration_since(now) {
        Ok(ahead) => match minutes(ahead) {
            0 => "in less than a minute".to_owned(),
            1 => "in 1 minute".to_owned(),
            n => format!("in {n} minutes"),
        },
        Err(e) => match minutes(e.duration()) {
            0 => "less than a minute ago".to_owned(),
            1 => "1 minute ago".to_owned(),
            n => format!("{n} minutes ago"),
        },
    };
    format!("{stamp} ({relative})")
}

/// Whole minutes, rounded to the nearest.
fn minutes(d: Duration) -> u64 {
    (d.as_secs() + 30) / 60
}

/// RFC 3339 in UTC, with the fraction of a second when there is one.
fn rfc3339(at: SystemTime) -> Option<String> {
    time::OffsetDateTime::from(at).format(&Rfc3339).ok()
}

fn unix_ms(t: std::time::SystemTime) -> u128 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_readable() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_119_200); // 2026-12-01T10:00:00Z
        let at = now + Duration::from_millis(15 * 60 * 1000 - 250);
        assert_eq!(
            readable_time(at, now),
            "2026-12-01T10:14:59Z (in 15 minutes)"
        );
        assert_eq!(
            readable_time(now + Duration::from_secs(20), now),
            "2026-12-01T10:00:20Z (in less than a minute)"
        );
        assert_eq!(
            readable_time(now - Duration::from_secs(61), now),
            "2026-12-01T09:58:59Z (1 minute ago)"
        );
        assert_eq!(rfc3339(at).as_deref(), Some("2026-12-01T10:14:59.75Z"));
    }
}
