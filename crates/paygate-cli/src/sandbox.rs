//! `paygate sandbox`: run the embedded gateway emulator until Ctrl-C.
//!
//! Prints how to reach it: as text, or (`--json`) as ONE line of JSON printed first and
//! flushed, so a script or a test can start the sandbox as a child process and read the line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use paygate_sandbox::faults::parse_route_fault;
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, HOSTED_FIELDS_TOKEN_PREFIX, LONG_PROCESSING_POLLS,
    TEST_AMOUNTS, TEST_CARDS, TEST_CONTROL_KEY, TEST_ENDPOINT_GROUP_ID, TEST_ENDPOINT_ID,
    TEST_MERCHANT_LOGIN, TEST_MERCHANT_PRIVATE_KEY_FILE,
};
use paygate_sandbox::paysecure::{TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION};
use paygate_sandbox::{
    CaCertificateFile, Fault, PaySecureSandboxConfig, PayneteasyMerchant, PayneteasySandboxConfig,
    Sandbox, SeededOrder, ServerLimits,
};
use payneteasy_proto::ControlKey;

use oauth1_nonce_redis::{RedisNonceStore, RedisNonceStoreConfig};
use oauth1_signer::AsyncNonceStore;

use crate::output::{CliError, print};

/// Arguments of `paygate sandbox`.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::output::exit_codes("\
The embedded sandbox: a local emulator on this machine (loopback by default), not Payneteasy's\n\
hosted sandbox (sandbox.payneteasy.com, `--gateway payneteasy-sandbox` of the other commands).\n\
Payneteasy is served under BASE/paynet/api/v4, PaySecure under BASE/paysecure (test merchant\n\
PGTEST01, user paygate-test, password sandbox-password, version 1.0).\n\
The v2 commands are under BASE/paynet/api/v2, checked with each merchant's control key.\n\
The default Payneteasy merchant is `paygate-test-merchant` on endpoint 39915 / group 1144, control\n\
key paygate-test-control; its private key ships in\n\
crates/paygate-sandbox/keys/test-merchant-private.pem. Each --merchant gets the next endpoint and\n\
group ids (39916 / 1145, ...) and the control key paygate-test-control-N (N = 1, 2, ...).\n\
Seeded orders: 34T43R77N/6868305 (approved), PG-DECLINED-1/6868306, PG-PROCESSING-1/6868307,\n\
PG-PENDING-1/6868308. Test cards: 4111111111111111 approved, 4000000000000002 declined,\n\
4000000000000069 filtered, 4000000000000119 error, 4000000000003063 3-D Secure challenge,\n\
4000000000000077 processing for 3 status calls; test amounts 40.05 declined, 40.06 filtered,\n\
40.07 error, 40.08 processing (--json lists them).\n\
--fault ROUTE:SPEC sets a standing fault for a route: ROUTE is a Payneteasy command path (sale,\n\
status, create-card-ref, make-rebill-sale, sync/account-verification, ...), a PaySecure\n\
service (CreateKey, TokenizeCard, PSBINCheck, TransactionStatus, Initiate, PreAuthCapture,\n\
PreAuthVoid, Reverse), or * for every route (quote it for the shell); the route is always\n\
written, e.g. --fault status:delay=2s, --fault create-card-ref:status=503, --fault '*:close'.\n\
SPEC: delay=D, close, close-mid-body, status=N[-empty][,retry-after=S], garbage,\n\
wrong-content-type, oversized=N, drip=D (D as 250ms or 2s).\n\
Slow clients are cut by the timeouts above (no phase waits on a client more than 10 s by\n\
default), and a full connection table sheds the connection waiting longest.\n\
With --tls the CA certificate is written to a new private directory (0700) as ca.pem (0600), or\n\
to --ca-cert-out PATH (which must not exist: a planted file or symlink is refused); it is removed\n\
when the sandbox stops (Ctrl-C or SIGTERM).",
    &[&[(0, "stopped by Ctrl-C or SIGTERM")]],
))]
pub(crate) struct Args {
    /// Address to listen on (port 0: a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// An extra Payneteasy merchant: its login and its RSA public key file (PEM); repeatable.
    #[arg(long = "merchant", value_name = "LOGIN=PUBLIC_KEY_PEM_FILE", value_parser = parse_merchant)]
    merchants: Vec<(String, PathBuf)>,
    /// Serve HTTPS with a throwaway certificate; its CA is written to a file (printed),
    /// removed on exit.
    #[arg(long)]
    tls: bool,
    /// With --tls: write the CA certificate here (created exclusively, mode 0600; refused if
    /// anything, a symlink included, exists there) instead of a new private temporary directory.
    #[arg(long, value_name = "PATH", requires = "tls")]
    ca_cert_out: Option<PathBuf>,
    /// Honour the per-request `x-paygate-fault: SPEC` header from any client (off by default).
    #[arg(long)]
    allow_fault_header: bool,
    /// A standing fault, ROUTE:SPEC (ROUTE `*` for every route); repeatable.
    #[arg(long = "fault", value_name = "ROUTE:SPEC", value_parser = parse_fault)]
    faults: Vec<(String, Fault)>,
    /// Print one line of JSON describing the sandbox first, instead of text.
    #[arg(long)]
    json: bool,
    /// Where Payneteasy nonces are remembered: `memory` (this process only, the default) or
    /// `redis://HOST:PORT[/DB]`, a replay cache shared by every sandbox using the same URL.
    /// A Redis that cannot answer makes requests fail closed with HTTP 503.
    #[arg(long, value_name = "memory|redis://HOST:PORT", default_value = "memory", value_parser = parse_nonce_store)]
    nonce_store: NonceStoreArg,
    /// Most connections open at once (default 1024); when full, the one waiting on its client
    /// longest is closed for the newcomer.
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Largest request head in bytes (default 16384, at least 1024); larger: 431.
    #[arg(long, value_name = "BYTES")]
    max_header_bytes: Option<usize>,
    /// Time allowed for a whole request head, e.g. 10s or 300ms (default 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    header_timeout: Option<Duration>,
    /// Time a connection may wait for the first byte of a request (default 5s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    idle_timeout: Option<Duration>,
    /// Time allowed for a whole request body after its head (default 10s); later: 408.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    body_timeout: Option<Duration>,
    /// Time allowed for a TLS handshake (default 5s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    tls_handshake_timeout: Option<Duration>,
    /// Time an answer may make no progress because the client does not read it (default 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    send_timeout: Option<Duration>,
}

/// `--nonce-store`: the URL is kept out of `Debug` (it may hold a password).
#[derive(Clone)]
enum NonceStoreArg {
    Memory,
    Redis(String),
}

impl std::fmt::Debug for NonceStoreArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NonceStoreArg::Memory => f.write_str("Memory"),
            NonceStoreArg::Redis(_) => f.write_str("Redis(<url redacted>)"),
        }
    }
}

impl NonceStoreArg {
    fn kind(&self) -> &'static str {
        match self {
            NonceStoreArg::Memory => "memory",
            NonceStoreArg::Redis(_) => "redis",
        }
    }
}

fn parse_nonce_store(text: &str) -> Result<NonceStoreArg, String> {
    if text == "memory" {
        return Ok(NonceStoreArg::Memory);
    }
    if text.starts_with("redis://")
        || text.starts_with("rediss://")
        || text.starts_with("redis+unix://")
    {
        // Checked here so that a typo is a usage error; the server is reached at start.
        RedisNonceStoreConfig::new(text).map_err(|e| e.to_string())?;
        return Ok(NonceStoreArg::Redis(text.to_owned()));
    }
    Err("expected `memory` or a redis:// URL".to_owned())
}

/// The shared nonce store, connected (a sandbox that cannot reach it does not start).
async fn nonce_store(arg: &NonceStoreArg) -> Result<Option<Arc<dyn AsyncNonceStore>>, CliError> {
    match arg {
        NonceStoreArg::Memory => Ok(None),
        NonceStoreArg::Redis(url) => {
            let config = RedisNonceStoreConfig::new(url)
                .map_err(|e| CliError::new("invalid --nonce-store", &e))?;
            let store = RedisNonceStore::connect(config)
                .await
                .map_err(|e| CliError::new("cannot reach the --nonce-store Redis", &e))?;
            Ok(Some(Arc::new(store)))
        }
    }
}

/// `300ms`, `10s` or `10` (seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let parsed = if let Some(ms) = text.strip_suffix("ms") {
        ms.parse().ok().map(Duration::from_millis)
    } else {
        text.strip_suffix('s')
            .unwrap_or(text)
            .parse()
            .ok()
            .map(Duration::from_secs)
    };
    parsed.ok_or_else(|| format!("expected a duration such as 10s or 300ms, got {text:?}"))
}

/// The server limits: the defaults, with the ones given on the command line.
fn limits(args: &Args) -> ServerLimits {
    let mut limits = ServerLimits::default();
    if let Some(n) = args.max_connections {
        limits = limits.with_max_connections(n);
    }
    if let Some(n) = args.max_header_bytes {
        limits = limits.with_max_header_bytes(n);
    }
    if let Some(d) = args.header_timeout {
        limits = limits.with_header_read_timeout(d);
    }
    if let Some(d) = args.idle_timeout {
        limits = limits.with_idle_timeout(d);
    }
    if let Some(d) = args.body_timeout {
        limits = limits.with_body_timeout(d);
    }
    if let Some(d) = args.tls_handshake_timeout {
        limits = limits.with_tls_handshake_timeout(d);
    }
    if let Some(d) = args.send_timeout {
        limits = limits.with_send_timeout(d);
    }
    limits
}

fn parse_merchant(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((login, file)) if !login.is_empty() && !file.is_empty() => {
            Ok((login.to_owned(), PathBuf::from(file)))
        }
        _ => Err(format!("expected LOGIN=PUBLIC_KEY_PEM_FILE, got {text:?}")),
    }
}

fn parse_fault(text: &str) -> Result<(String, Fault), String> {
    parse_route_fault(text).map_err(|e| e.to_string())
}

/// The merchants to serve: the test merchant, then one per `--merchant`.
fn merchants(args: &Args) -> Result<Vec<PayneteasyMerchant>, CliError> {
    let mut merchants = vec![PayneteasyMerchant::test()];
    for (n, (login, file)) in (1u64..).zip(&args.merchants) {
        // Bounded like every other key file the CLI reads: a regular file of at most 256 KiB.
        let bytes = crate::output::read_input_file(file, &format!("the public key of {login}"))?;
        let public_key_pem = String::from_utf8(bytes).map_err(|_| {
            CliError::message(format!(
                "the public key of {login} ({}) is not PEM text",
                file.display()
            ))
        })?;
        merchants.push(PayneteasyMerchant {
            login: login.clone(),
            public_key_pem,
            control_key: Some(extra_control_key(n)?),
            endpoint_id: TEST_ENDPOINT_ID + n,
            endpoint_group_id: TEST_ENDPOINT_GROUP_ID + n,
        });
    }
    Ok(merchants)
}

/// The control key of the `n`-th `--merchant`: `paygate-test-control-N` (a public sandbox
/// credential, like the test merchant's).
fn extra_control_key(n: u64) -> Result<ControlKey, CliError> {
    ControlKey::new(extra_control_key_text(n))
        .map_err(|e| CliError::new("cannot make a control key", &e))
}

fn extra_control_key_text(n: u64) -> String {
    format!("{TEST_CONTROL_KEY}-{n}")
}

/// The control key of each merchant, as text (`merchants` is the test merchant, then one per
/// `--merchant` in order).
fn control_key_text(index: usize) -> String {
    match index {
        0 => TEST_CONTROL_KEY.to_owned(),
        n => extra_control_key_text(n as u64),
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let merchants = merchants(&args)?;
    let mut config = PayneteasySandboxConfig {
        merchants: merchants.clone(),
        orders: SeededOrder::defaults(),
        ..PayneteasySandboxConfig::default()
    };
    let runtime = crate::report::multi_thread_runtime(None)?;
    // Refusals (with their reason), card references and faults are logged on stderr (at info
    // unless -v or RUST_LOG says otherwise, see `crate::logging`); stdout stays for the
    // description.
    runtime.block_on(async move {
        // Listen for the signals before the CA file exists, so that no stop can skip removing it.
        let mut stop = StopSignals::new()?;
        config.nonce_store = nonce_store(&args.nonce_store).await?;
        let ca_file = match &args.ca_cert_out {
            Some(path) => CaCertificateFile::At(path.clone()),
            None => CaCertificateFile::PrivateTemp,
        };
        let builder = Sandbox::builder()
            .addr(args.addr)
            .tls(args.tls)
            .ca_certificate_file(ca_file)
            .allow_fault_header(args.allow_fault_header)
            .limits(limits(&args))
            .payneteasy(config)
            .paysecure(PaySecureSandboxConfig::default());
        let sandbox = builder.start().await.map_err(|e| {
            CliError::new("cannot start the sandbox", &e).kind(crate::output::ErrorKind::System)
        })?;
        for (route, fault) in &args.faults {
            sandbox.faults().set_always(route, Some(fault.clone()));
        }
        let ca_file = sandbox.ca_certificate_file().map(Path::to_path_buf);
        if args.json {
            let mut description = describe(&sandbox, &merchants, ca_file.as_deref());
            description["nonce_store"] = args.nonce_store.kind().into();
            let line = serde_json::to_string(&description)
                .map_err(|e| CliError::new("cannot write JSON", &e))?;
            print(&format!("{line}\n"));
        } else {
            let mut out = text(&sandbox, &merchants, ca_file.as_deref());
            if let NonceStoreArg::Redis(_) = args.nonce_store {
                let at = out.find("\nTry:").unwrap_or(out.len());
                out.insert_str(at, "  nonces: shared through Redis (--nonce-store)\n");
            }
            print(&out);
        }
        stop.wait().await;
        // Removes the CA file.
        sandbox.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from creation on.
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn new() -> Result<Self, CliError> {
        use tokio::signal::unix::{SignalKind, signal};
        let catch = |kind| {
            signal(kind).map_err(|e| {
                CliError::new("cannot catch Ctrl-C and SIGTERM", &e)
                    .kind(crate::output::ErrorKind::System)
            })
        };
        Ok(StopSignals {
            interrupt: catch(SignalKind::interrupt())?,
            terminate: catch(SignalKind::terminate())?,
        })
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// The one JSON line of `--json`. Every gateway adds its own keys here.
fn describe(
    sandbox: &Sandbox,
    merchants: &[PayneteasyMerchant],
    ca_file: Option<&Path>,
) -> serde_json::Value {
    // The control keys are printed on purpose, like the PaySecure password below: public
    // sandbox credentials that scripts need to sign v2 requests and check callbacks.
    let merchants: Vec<serde_json::Value> = merchants
        .iter()
        .enumerate()
        .map(|(i, m)| {
            serde_json::json!({
                "login": m.login,
                "endpoint_id": m.endpoint_id,
                "endpoint_group_id": m.endpoint_group_id,
                "control_key": control_key_text(i),
            })
        })
        .collect();
    let cards: Vec<serde_json::Value> = TEST_CARDS
        .iter()
        .map(|c| serde_json::json!({"number": c.number, "outcome": c.outcome.as_str()}))
        .collect();
    let amounts: Vec<serde_json::Value> = TEST_AMOUNTS
        .iter()
        .map(|a| serde_json::json!({"amount": a.amount, "outcome": a.outcome.as_str()}))
        .collect();
    // The PaySecure test merchant's password is printed on purpose: it is a public sandbox
    // credential, and scripts need it to call the sandbox.
    serde_json::json!({
        "base_url": sandbox.base_url(),
        "payneteasy_base_url": sandbox.payneteasy_base_url(),
        "payneteasy_v2_base_url": sandbox.payneteasy_v2_base_url(),
        "payneteasy_test_cards": cards,
        "payneteasy_test_amounts": amounts,
        "payneteasy_long_processing_polls": LONG_PROCESSING_POLLS,
        "payneteasy_hosted_fields_token_prefix": HOSTED_FIELDS_TOKEN_PREFIX,
        "paysecure_base_url": sandbox.paysecure_base_url(),
        "console_url": sandbox.console_url(),
        "request_log_url": sandbox.console_url().map(|c| format!("{c}log.json")),
        "paysecure": {
            "merchant_id": TEST_MERCHANT_ID,
            "user_name": TEST_USER_NAME,
            "password": TEST_PASSWORD,
            "version": TEST_VERSION,
        },
        "merchants": merchants,
        "test_merchant_login": TEST_MERCHANT_LOGIN,
        "test_merchant_key_file": TEST_MERCHANT_PRIVATE_KEY_FILE,
        "ca_cert_file": ca_file.map(|p| p.display().to_string()),
    })
}

fn text(sandbox: &Sandbox, merchants: &[PayneteasyMerchant], ca_file: Option<&Path>) -> String {
    let mut out = format!(
        "paygate sandbox listening on {}\n(the embedded sandbox on this machine, not Payneteasy's \
         hosted sandbox.payneteasy.com)\n\nPayneteasy v4 base URL: {}\nPayneteasy v2 base URL: {}\n",
        sandbox.base_url(),
        sandbox.payneteasy_base_url(),
        sandbox.payneteasy_v2_base_url()
    );
    for (i, m) in merchants.iter().enumerate() {
        out.push_str(&format!(
            "  merchant {:<24} endpoint {}  group {}  control key {}\n",
            m.login,
            m.endpoint_id,
            m.endpoint_group_id,
            control_key_text(i)
        ));
    }
    out.push_str("  test cards:");
    for card in TEST_CARDS {
        out.push_str(&format!(" {} {},", card.number, card.outcome.as_str()));
    }
    out.pop();
    out.push_str("\n  test amounts:");
    for amount in TEST_AMOUNTS {
        out.push_str(&format!(" {} {},", amount.amount, amount.outcome.as_str()));
    }
    out.pop();
    out.push('\n');
    out.push_str(&format!(
        "  test merchant private key: {TEST_MERCHANT_PRIVATE_KEY_FILE}\n\
         \x20 seeded orders: {APPROVED_CLIENT_ORDERID}/{APPROVED_ORDERID} approved, \
         PG-DECLINED-1/6868306 declined, PG-PROCESSING-1/6868307 processing, \
         PG-PENDING-1/6868308 pending\n"
    ));
    out.push_str(&format!(
        "\nPaySecure base URL: {}\n  merchant id {TEST_MERCHANT_ID}, user {TEST_USER_NAME}, \
         password {TEST_PASSWORD}, version {TEST_VERSION}\n",
        sandbox.paysecure_base_url()
    ));
    if let Some(console) = sandbox.console_url() {
        out.push_str(&format!(
            "\nConsole (request builder, request log): {console}\n  request log as JSON: \
             {console}log.json\n"
        ));
    }
    let ca = match ca_file {
        Some(path) => {
            out.push_str(&format!("  TLS CA certificate: {}\n", path.display()));
            format!(" --ca-cert {}", path.display())
        }
        None => String::new(),
    };
    out.push_str(&format!(
        "\nTry:\n  paygate create-card-ref --gateway {} --endpoint {TEST_ENDPOINT_ID} \
         --login {TEST_MERCHANT_LOGIN} --key {TEST_MERCHANT_PRIVATE_KEY_FILE} \
         --client-orderid {APPROVED_CLIENT_ORDERID} --orderid {APPROVED_ORDERID}{ca}\n\
         \x20 paygate status --gateway {} --group {TEST_ENDPOINT_GROUP_ID} \
         --login {TEST_MERCHANT_LOGIN} --key {TEST_MERCHANT_PRIVATE_KEY_FILE} \
         --client-orderid {APPROVED_CLIENT_ORDERID}{ca}\n\
         \x20 PAYSECURE_PASSWORD={TEST_PASSWORD} paygate create-key --gateway {} \
         --merchant-id {TEST_MERCHANT_ID} --user {TEST_USER_NAME} --version {TEST_VERSION}{ca}\n\
         \nPress Ctrl-C to stop.\n",
        sandbox.payneteasy_base_url(),
        sandbox.payneteasy_base_url(),
        sandbox.paysecure_base_url(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_reports_each_merchants_control_key_and_the_test_cards() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut second = PayneteasyMerchant::test();
            second.login = "second".into();
            second.endpoint_id += 1;
            second.endpoint_group_id += 1;
            second.control_key = Some(extra_control_key(1).unwrap());
            let merchants = vec![PayneteasyMerchant::test(), second];
            let sandbox = Sandbox::builder()
                .payneteasy(PayneteasySandboxConfig {
                    merchants: merchants.clone(),
                    ..PayneteasySandboxConfig::default()
                })
                .start()
                .await
                .unwrap();
            let json = describe(&sandbox, &merchants, None);
            assert_eq!(json["merchants"][0]["control_key"], TEST_CONTROL_KEY);
            assert_eq!(
                json["merchants"][1]["control_key"],
                "paygate-test-control-1"
            );
            let cards = json["payneteasy_test_cards"].as_array().unwrap();
            assert_eq!(cards.len(), TEST_CARDS.len());
            assert!(
                cards
                    .iter()
                    .any(|c| c["number"] == "4000000000003063" && c["outcome"] == "3ds-challenge")
            );
            assert_eq!(json["payneteasy_test_amounts"][0]["amount"], "40.05");
            assert!(
                json["payneteasy_v2_base_url"]
                    .as_str()
                    .unwrap()
                    .ends_with("/paynet/api/v2")
            );
            let text = text(&sandbox, &merchants, None);
            assert!(
                text.contains("control key paygate-test-control-1"),
                "{text}"
            );
            assert!(text.contains("4111111111111111 approved"), "{text}");
        });
    }

    #[test]
    fn durations_parse_in_seconds_or_milliseconds() {
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        for bad in ["", "ms", "1.5s", "-1s", "10m"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn nonce_store_is_memory_or_a_redis_url_kept_out_of_debug() {
        assert!(matches!(
            parse_nonce_store("memory"),
            Ok(NonceStoreArg::Memory)
        ));
        let redis = parse_nonce_store("redis://:hunter2@127.0.0.1:6379/0").unwrap();
        assert_eq!(redis.kind(), "redis");
        assert!(!format!("{redis:?}").contains("hunter2"));
        for bad in [
            "",
            "Memory",
            "127.0.0.1:6379",
            "http://127.0.0.1:6379",
            "redis://",
        ] {
            assert!(parse_nonce_store(bad).is_err(), "{bad:?}");
        }
    }
}
