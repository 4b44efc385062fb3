//! Shared plumbing for the subcommands: exit codes, one-line errors, key files, stdout.

use std::fmt;
use std::io::Write as _;
use std::process::ExitCode;

/// Exit code for bad arguments and unreadable keys.
pub(crate) fn exit_usage() -> ExitCode {
    ExitCode::from(2)
}

/// Exit code for "the signature is invalid".
pub(crate) fn exit_invalid() -> ExitCode {
    ExitCode::from(1)
}

/// A one-line error for the user (exit code 2).
#[derive(Debug)]
pub(crate) struct CliError(String);

impl CliError {
    /// A one-line error with no underlying cause.
    pub(crate) fn message(text: impl Into<String>) -> Self {
        CliError(text.into().replace('\n', " "))
    }

    /// `context: error: source: source…` on one line.
    pub(crate) fn new(context: impl fmt::Display, error: &dyn std::error::Error) -> Self {
        let mut line = format!("{context}: {error}");
        let mut source = error.source();
        while let Some(e) = source {
            line.push_str(": ");
            line.push_str(&e.to_string());
            source = e.source();
        }
        CliError(line.replace('\n', " "))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a key file: PEM text (one-line `\n` escapes included) or raw DER.
pub(crate) enum KeyFile {
    Pem(String),
    Der(Vec<u8>),
}

pub(crate) fn read_key_file(path: &std::path::Path) -> Result<KeyFile, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::new(format!("cannot read key file {}", path.display()), &e))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(KeyFile::Pem(text)),
        Err(e) => Ok(KeyFile::Der(e.into_bytes())),
    }
}

/// Writes to stdout; a closed pipe (`paygate … | head`) is not an error worth a panic.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The transport settings of a gateway command: the defaults, plus the `--ca-cert` file as an
/// extra trusted root when one is given.
pub(crate) fn transport_config(
    ca_cert: Option<&std::path::Path>,
) -> Result<paygate_client::TransportConfig, CliError> {
    let mut config = paygate_client::TransportConfig::default();
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| CliError::new(format!("cannot read --ca-cert {}", path.display()), &e))?;
        config.extra_roots_pem.push(pem);
    }
    Ok(config)
}

/// Makes `config` trust exactly the embedded sandbox's throwaway CA, nothing else, when the
/// sandbox serves HTTPS.
pub(crate) fn trust_sandbox_only(
    config: &mut paygate_client::TransportConfig,
    sandbox: &paygate_sandbox::Sandbox,
) {
    if let Some(ca) = sandbox.ca_certificate_pem() {
        config.roots = paygate_client::Roots::None;
        config.extra_roots_pem = vec![ca.as_bytes().to_vec()];
    }
}
