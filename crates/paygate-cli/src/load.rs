//! `paygate load`: a bounded load test on loopback. Starts the embedded sandbox in this
//! process, drives many concurrent signed Payneteasy requests through the client into it over
//! keep-alive connections, and reports throughput and latency percentiles beside what RSA
//! signing alone allows on the same cores (measured first, in the same run).
//!
//! Bounded in count (`--requests`, at most 1,000,000) and time (`--seconds`, at most 120); the
//! only target is the sandbox on 127.0.0.1, so nothing leaves the machine. Exit 0 only when
//! every request succeeded.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use oauth1_signer::{OAuthParams, Request, RequestUrl, RsaPrivateKey, SigningKey, sign};
use paygate_client::{PayneteasyClient, PayneteasyConfig, RetryPolicy, TransportConfig};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_GROUP_ID, TEST_ENDPOINT_ID,
    TEST_MERCHANT_LOGIN, TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::{PayneteasyMerchant, PayneteasySandboxConfig, Sandbox};
use payneteasy_proto::{CreateCardRefRequest, Endpoint, Environment, Status, StatusRequest};

use crate::output::{CliError, print};

const MAX_REQUESTS: u64 = 1_000_000;
const MAX_SECONDS: u64 = 120;

/// Which command the load test sends.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LoadCommand {
    /// `status` for the seeded approved order (a read).
    Status,
    /// `create-card-ref` for the seeded approved order (idempotent: one card reference).
    CreateCardRef,
}

/// Arguments of `paygate load`.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::output::exit_codes(
    "Runs on loopback against the embedded sandbox only.",
    &[&[
        (0, "every request completed without an error"),
        (1, "some requests failed or did not complete in time"),
    ]],
))]
pub(crate) struct Args {
    /// Requests to send in all (at most 1,000,000).
    #[arg(long, default_value_t = 2000)]
    requests: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Stop sending after this many seconds even if requests remain (at most 120).
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// RSA key size of the merchant: 2048 (the shipped test key) or 4096 (made at start;
    /// Payneteasy's key generator defaults to 4096).
    #[arg(long, default_value_t = 2048, value_parser = parse_key_bits)]
    key_bits: u32,
    /// The command to send.
    #[arg(long, value_enum, default_value_t = LoadCommand::Status)]
    command: LoadCommand,
    /// Serve and call over HTTPS instead of plain loopback HTTP.
    #[arg(long)]
    tls: bool,
    /// How long to measure RSA signing alone first, in milliseconds (0: skip).
    #[arg(long, default_value_t = 2000)]
    baseline_ms: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_key_bits(text: &str) -> Result<u32, String> {
    match text {
        "2048" => Ok(2048),
        "4096" => Ok(4096),
        _ => Err("expected 2048 or 4096".to_owned()),
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.requests == 0 || args.requests > MAX_REQUESTS {
        return Err(CliError::message(format!(
            "--requests must be 1..={MAX_REQUESTS}"
        )));
    }
    if args.seconds == 0 || args.seconds > MAX_SECONDS {
        return Err(CliError::message(format!(
            "--seconds must be 1..={MAX_SECONDS}"
        )));
    }
    if args.concurrency == 0 || args.concurrency > 1024 {
        return Err(CliError::message("--concurrency must be 1..=1024"));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let key = merchant_key(args.key_bits)?;
    let baseline = sign_only_throughput(&key, cores, Duration::from_millis(args.baseline_ms));
    let runtime = crate::report::multi_thread_runtime(Some(cores))?;
    let outcome = runtime.block_on(drive(&args, key))?;

    let rps = outcome.completed as f64 / outcome.elapsed.as_secs_f64();
    let mut latencies = outcome.latencies_us;
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i] as f64 / 1000.0
    };
    let ratio = baseline.map(|b| rps / b);
    let ok = outcome.errors == 0 && outcome.completed == args.requests;
    if args.json {
        let line = serde_json::json!({
            "ok": ok,
            "command": format!("{:?}", args.command),
            "key_bits": args.key_bits,
            "tls": args.tls,
            "cores": cores,
            "concurrency": args.concurrency,
            "requests": args.requests,
            "completed": outcome.completed,
            "errors": outcome.errors,
            "error_classes": outcome.error_classes,
            "seconds": outcome.elapsed.as_secs_f64(),
            "requests_per_second": rps,
            "latency_ms": { "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": pct(1.0) },
            "sign_only_per_second": baseline,
            "ratio_to_sign_only": ratio,
            "card_refs_created": outcome.card_refs_created,
        });
        crate::output::print_json_value(&line, false)?;
    } else {
        print(&format!(
            "{} {:?} requests, {} concurrent, RSA-{} key, {} on {cores} cores\n\
             completed {} with {} errors in {:.2} s: {rps:.0} requests/s\n\
             latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
            args.requests,
            args.command,
            args.concurrency,
            args.key_bits,
            if args.tls { "HTTPS" } else { "HTTP" },
            outcome.completed,
            outcome.errors,
            outcome.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.90),
            pct(0.99),
            pct(1.0),
        ));
        if let (Some(b), Some(r)) = (baseline, ratio) {
            print(&format!(
                "RSA signing alone on the same cores: {b:.0} signatures/s; end to end reaches \
                 {:.1}% of it\n",
                r * 100.0
            ));
        }
        for (class, n) in &outcome.error_classes {
            print(&format!("  {n} errors of class {class}\n"));
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The shipped 2048-bit test key, or a 4096-bit key made now.
fn merchant_key(bits: u32) -> Result<RsaPrivateKey, CliError> {
    if bits == 2048 {
        return RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM)
            .map_err(|e| CliError::new("test merchant key", &e));
    }
    let pair = KeyPair::generate(KeySize::Rsa4096)
        .map_err(|e| CliError::message(format!("cannot make a 4096-bit key: {e}")))?;
    let der = pair
        .as_der()
        .map_err(|e| CliError::message(format!("cannot serialize the key: {e}")))?;
    RsaPrivateKey::from_der(der.as_ref()).map_err(|e| CliError::new("generated key", &e))
}

/// Signatures per second when every core does nothing but RSA-SHA256 over the base string of
/// a Payneteasy request (the ceiling for signed requests on this machine).
fn sign_only_throughput(key: &RsaPrivateKey, threads: usize, time: Duration) -> Option<f64> {
    if time.is_zero() {
        return None;
    }
    let url = "http://127.0.0.1/paynet/api/v4/status/39915";
    let body = "client_orderid=34T43R77N&orderid=6868305";
    let request = Request::new("POST", RequestUrl::parse(url).ok()?)
        .with_body(Some("application/x-www-form-urlencoded"), body.as_bytes());
    let signed = sign(
        &request,
        &OAuthParams::new(TEST_MERCHANT_LOGIN, "0123456789abcdef0123456789abcdef", 1),
        key,
    )
    .ok()?;
    let base = signed.base_string.into_bytes();
    let count = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while started.elapsed() < time {
                    if key.sign(&base).is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    Some(count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

struct Outcome {
    completed: u64,
    errors: u64,
    error_classes: std::collections::BTreeMap<String, u64>,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    card_refs_created: u64,
}

async fn drive(args: &Args, key: RsaPrivateKey) -> Result<Outcome, CliError> {
    const LOAD_LOGIN: &str = "paygate-load-merchant";
    let public_key_pem = key.public_key().to_pem();
    let merchants = if args.key_bits == 2048 {
        vec![PayneteasyMerchant::test()]
    } else {
        vec![PayneteasyMerchant {
            login: LOAD_LOGIN.to_owned(),
            public_key_pem,
            control_key: None,
            endpoint_id: TEST_ENDPOINT_ID,
            endpoint_group_id: TEST_ENDPOINT_GROUP_ID,
        }]
    };
    let login = merchants[0].login.clone();
    let sandbox = Sandbox::builder()
        .tls(args.tls)
        .payneteasy(PayneteasySandboxConfig {
            merchants,
            ..PayneteasySandboxConfig::default()
        })
        .start()
        .await
        .map_err(|e| {
            CliError::new("cannot start the sandbox", &e).kind(crate::output::ErrorKind::System)
        })?;
    let transport = crate::output::sandbox_transport_config(
        TransportConfig::builder().pool_max_idle_per_host(args.concurrency),
        &sandbox,
    )?;
    let environment = Environment::custom(&sandbox.payneteasy_base_url())
        .map_err(|e| CliError::new("sandbox URL", &e))?;
    let config = PayneteasyConfig::builder(environment, login, Arc::new(key))
        // Every failure must show: no retry hides one.
        .retry(RetryPolicy::never(Duration::from_secs(30)))
        .build()
        .map_err(|e| CliError::new("invalid Payneteasy configuration", &e))?;
    let client = PayneteasyClient::with_transport_config(config, transport)
        .map_err(|e| CliError::new("cannot set up the client", &e))?;

    let endpoint = Endpoint::Id(TEST_ENDPOINT_ID);
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let client = client.clone();
        let next = next.clone();
        let total = args.requests;
        let command = args.command;
        tasks.spawn(async move {
            let status = StatusRequest::new(APPROVED_CLIENT_ORDERID)
                .and_then(|r| r.with_orderid(APPROVED_ORDERID));
            let card_ref = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID);
            let mut latencies = Vec::new();
            let mut errors: Vec<String> = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total && Instant::now() < deadline {
                let t = Instant::now();
                let result = match (command, &status, &card_ref) {
                    (LoadCommand::Status, Ok(req), _) => client
                        .status(&endpoint, req)
                        .await
                        .map(|r| r.status == Status::Approved),
                    (LoadCommand::CreateCardRef, _, Ok(req)) => client
                        .create_card_ref(&endpoint, req)
                        .await
                        .map(|r| r.status == Status::Approved),
                    _ => Ok(false),
                };
                match result {
                    Ok(true) => {
                        latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX))
                    }
                    Ok(false) => errors.push("unexpected_answer".to_owned()),
                    Err(e) => errors.push(e.class().to_owned()),
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies_us = Vec::with_capacity(args.requests as usize);
    let mut error_classes = std::collections::BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (lat, errs) = joined.map_err(|e| CliError::new("a load task failed", &e))?;
        latencies_us.extend(lat);
        for class in errs {
            *error_classes.entry(class).or_insert(0u64) += 1;
        }
    }
    let elapsed = started.elapsed();
    let card_refs_created = sandbox.payneteasy_stats().card_refs_created;
    sandbox.shutdown().await;
    Ok(Outcome {
        completed: latencies_us.len() as u64,
        errors: error_classes.values().sum(),
        error_classes,
        elapsed,
        latencies_us,
        card_refs_created,
    })
}
