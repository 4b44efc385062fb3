//! `paygate demo`: the main job. Starts the embedded sandbox (both gateways, HTTPS on
//! loopback with a certificate made at start) and walks through both gateways end to end,
//! one short line per step with its timing, checking that every step behaves as expected.
//!
//! Exit 0 only if every step behaved as expected; 1 otherwise; 2 when the demo could not even
//! start (no loopback socket, no runtime).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use oauth1_signer::RsaPrivateKey;
use paygate_client::paysecure::PlainCard;
use paygate_client::{
    Error, PaySecureClient, PaySecureConfig, PayneteasyClient, PayneteasyConfig, RejectionKind,
    Transport, TransportConfig,
};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::paysecure::{
    BIN_FULL_PINLESS, TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION,
};
use paygate_sandbox::{PaySecureSandboxConfig, PayneteasySandboxConfig, Sandbox};
use payneteasy_proto::{CreateCardRef, CreateCardRefRequest, Endpoint, Environment, Status};
use paysecure_codec::card_crypto::{Output, Padding};
use paysecure_proto::CardExpiration;
use paysecure_proto::card::{Cvn, Pan};
use paysecure_proto::{OriginalTransaction, Password};

use crate::output::{CliError, Shown, print};

// The Payneteasy lifecycle steps.
use paygate_client::payneteasy::{NextAction, PollSchedule, WaitOutcome};
use paygate_sandbox::payneteasy::{CARD_3DS, TEST_CONTROL_KEY};
use payneteasy_proto::{
    Amount, ApiVersion, CardNumber, ControlKey, CreateCardRefV2, CreateCardRefV2Request, Currency,
    Cvv2, MakeRebillRequest, MakeRebillSale, Return, ReturnRequest, Sale, SaleFields, SaleRequest,
    StatusV2Request, TransactionType,
};
use std::time::Duration;

/// The test card of the demo: a well-known Visa test number, never a real card.
const TEST_PAN: &str = "4111111111111111";
const TEST_CVN: &str = "123";
const TEST_EXPIRATION: &str = "1230";

/// Arguments of `paygate demo`.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::output::exit_codes(
    "Runs entirely on loopback against the embedded sandbox: nothing leaves this machine.",
    &[&[
        (0, "every step behaved as expected"),
        (1, "a step did not"),
        (2, "the demo could not start (bad arguments, no runtime, no port)"),
    ]],
))]
pub(crate) struct Args {
    /// Print one JSON object with every step instead of text.
    #[arg(long)]
    json: bool,
    /// Serve and call over plain HTTP on loopback instead of HTTPS.
    #[arg(long)]
    no_tls: bool,
}

/// One step of the walk-through.
struct Step {
    name: &'static str,
    expected: &'static str,
    ok: bool,
    millis: f64,
    detail: String,
}

struct Walk {
    json: bool,
    steps: Vec<Step>,
}

impl Walk {
    fn record(
        &mut self,
        name: &'static str,
        expected: &'static str,
        started: Instant,
        outcome: Result<String, String>,
    ) -> bool {
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        let (ok, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        if !self.json {
            let n = self.steps.len() + 1;
            let mark = if ok { "ok  " } else { "FAIL" };
            print(&format!(
                "[{mark}] {n:>2}. {name:<38} {millis:>8.1} ms  {}\n",
                Shown(&detail)
            ));
        }
        self.steps.push(Step {
            name,
            expected,
            ok,
            millis,
            detail,
        });
        ok
    }

    fn skip(&mut self, name: &'static str, expected: &'static str, why: &str) {
        self.record(
            name,
            expected,
            Instant::now(),
            Err(format!("skipped: {why}")),
        );
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, CliError> {
    let runtime = crate::report::multi_thread_runtime(None)?;
    runtime.block_on(demo(args))
}

async fn demo(args: Args) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let tls = !args.no_tls;
    let sandbox = Sandbox::builder()
        .tls(tls)
        .payneteasy(PayneteasySandboxConfig::default())
        .paysecure(PaySecureSandboxConfig::default())
        .start()
        .await
        .map_err(|e| {
            CliError::new("cannot start the sandbox", &e).kind(crate::output::ErrorKind::System)
        })?;
    let transport_config =
        crate::output::sandbox_transport_config(TransportConfig::builder(), &sandbox)?;
    let transport = Transport::new(transport_config)
        .map_err(|e| CliError::new("cannot set up the HTTP client", &e))?;
    if !args.json {
        print(&format!(
            "paygate demo: embedded sandbox on {} ({}), started in {:.1} ms\n\n",
            sandbox.base_url(),
            if tls {
                "HTTPS, certificate made at start and trusted as the only root"
            } else {
                "plain HTTP on loopback"
            },
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    let mut walk = Walk {
        json: args.json,
        steps: Vec::new(),
    };
    paysecure_steps(&mut walk, &sandbox, &transport).await?;
    payneteasy_steps(&mut walk, &sandbox, &transport).await?;

    let passed = walk.steps.iter().filter(|s| s.ok).count();
    let total = walk.steps.len();
    let all_ok = passed == total;
    let total_ms = started.elapsed().as_secs_f64() * 1000.0;
    let requests = sandbox.requests_served();
    let card_refs = sandbox.payneteasy_stats().card_refs_created;
    let keys = sandbox.paysecure_stats().keys_issued;
    if args.json {
        let steps: Vec<serde_json::Value> = walk
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                serde_json::json!({
                    "step": i + 1,
                    "name": s.name,
                    "expected": s.expected,
                    "ok": s.ok,
                    "ms": (s.millis * 1000.0).round() / 1000.0,
                    "detail": s.detail,
                })
            })
            .collect();
        let line = serde_json::json!({
            "ok": all_ok,
            "tls": tls,
            "base_url": sandbox.base_url(),
            "steps": steps,
            "passed": passed,
            "total": total,
            "total_ms": (total_ms * 1000.0).round() / 1000.0,
            "sandbox": {
                "requests_served": requests,
                "card_refs_created": card_refs,
                "paysecure_keys_issued": keys,
            },
        });
        crate::output::print_json_value(&line, false)?;
    } else {
        print(&format!(
            "\n{passed}/{total} steps behaved as expected in {total_ms:.1} ms; the sandbox served \
             {requests} requests, created {card_refs} card reference(s) and issued {keys} \
             PaySecure key(s).\n"
        ));
    }
    sandbox.shutdown().await;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The PaySecure walk: BIN check → key → encrypt → tokenize → initiate → capture → status →
/// reverse. A step that fails skips the steps that need its result.
async fn paysecure_steps(
    walk: &mut Walk,
    sandbox: &Sandbox,
    transport: &Transport,
) -> Result<(), CliError> {
    let config = PaySecureConfig::from_parts(
        TEST_MERCHANT_ID,
        TEST_USER_NAME,
        Password::new(TEST_PASSWORD),
        TEST_VERSION,
    )
    .map_err(|e| CliError::new("invalid PaySecure test credentials", &e))?
    .base_url(sandbox.paysecure_base_url())
    .build()
    .map_err(|e| CliError::new("invalid PaySecure configuration", &e))?;
    let client = PaySecureClient::new(config, transport.clone());

    const BIN_CHECK: (&str, &str) = (
        "PaySecure PSBINCheck (test BIN)",
        "pinless e-commerce, recurring, dual message",
    );
    const CREATE_KEY: (&str, &str) = (
        "PaySecure CreateKey",
        "a fresh RSA public key with its KeyId",
    );
    const ENCRYPT: (&str, &str) = (
        "PaySecure: encrypt the test card",
        "ciphertext under the KeyId",
    );
    const TOKENIZE: (&str, &str) = (
        "PaySecure TokenizeCard",
        "a token; the gateway saw the same last 4 and BIN",
    );
    const INITIATE: (&str, &str) = (
        "PaySecure Initiate (with the token)",
        "a TranId; the transaction is authorised",
    );
    const CAPTURE: (&str, &str) = ("PaySecure PreAuthCapture", "captured, ResponseCode 00");
    const STATUS: (&str, &str) = (
        "PaySecure TransactionStatus",
        "the transaction, captured for the amount",
    );
    const REVERSE: (&str, &str) = ("PaySecure Reverse", "reversed in full");
    let skip_from = |walk: &mut Walk, steps: &[(&'static str, &'static str)], why: &str| {
        for (name, expected) in steps {
            walk.skip(name, expected, why);
        }
    };

    let t = Instant::now();
    let outcome = match client.bin_check(BIN_FULL_PINLESS.bin).await {
        Ok(r) if r.can_pinless_ecommerce() && r.can_recurring() && r.is_dual_message() => {
            Ok(format!(
                "BIN {}: pinless e-commerce, bill pay {}, recurring, dual message (capture needed), incremental auth {}",
                BIN_FULL_PINLESS.bin,
                r.can_pinless_bill_pay(),
                r.supports_incremental_auth()
            ))
        }
        Ok(r) => Err(format!("unexpected capabilities: {r:?}")),
        Err(e) => Err(e.to_string()),
    };
    walk.record(BIN_CHECK.0, BIN_CHECK.1, t, outcome);

    let t = Instant::now();
    let issued = match client.create_key(Some(15)).await {
        Ok(issued) => {
            walk.record(
                CREATE_KEY.0,
                CREATE_KEY.1,
                t,
                Ok(format!(
                    "KeyId {}, RSA-{} public key, valid 15 min",
                    issued.key.key_id(),
                    issued.key.bits()
                )),
            );
            issued
        }
        Err(e) => {
            walk.record(CREATE_KEY.0, CREATE_KEY.1, t, Err(e.to_string()));
            skip_from(
                walk,
                &[ENCRYPT, TOKENIZE, INITIATE, CAPTURE, STATUS, REVERSE],
                "no key",
            );
            return Ok(());
        }
    };

    let pan = Pan::new(TEST_PAN).map_err(|e| CliError::new("test PAN", &e))?;
    let cvn = Cvn::new(TEST_CVN).map_err(|e| CliError::new("test CVN", &e))?;
    let t = Instant::now();
    let encrypted = issued
        .key
        .encrypt_pan(&pan, Padding::default(), Output::default());
    walk.record(
        ENCRYPT.0,
        ENCRYPT.1,
        t,
        match &encrypted {
            Ok(c) => Ok(format!(
                "card {pan} -> {} base64 chars, PKCS#1 v1.5, KeyId {}",
                c.ciphertext.len(),
                c.key_id
            )),
            Err(e) => Err(e.to_string()),
        },
    );

    let expiration =
        CardExpiration::parse(TEST_EXPIRATION).map_err(|e| CliError::new("test expiry", &e))?;
    let t = Instant::now();
    let outcome = client
        .tokenize_card_with_key(
            &issued.key,
            &PlainCard::new(pan.clone(), expiration).cvn(cvn),
        )
        .await;
    let token = match outcome {
        Ok(r) => {
            let last4 = r.card_last4.as_deref().unwrap_or("");
            let bin = r.card_bin.as_deref().unwrap_or("");
            let token = r.card_token.clone().unwrap_or_default();
            let intact = last4 == pan.last4() && bin == pan.bin() && !token.is_empty();
            walk.record(
                TOKENIZE.0,
                TOKENIZE.1,
                t,
                if intact {
                    Ok(format!(
                        "token {}…, last4 {last4}, BIN {bin}: the card arrived intact",
                        &token[..token.len().min(12)]
                    ))
                } else {
                    Err(format!(
                        "card arrived altered: last4 {last4:?}, BIN {bin:?}"
                    ))
                },
            );
            intact.then_some(token)
        }
        Err(e) => {
            walk.record(TOKENIZE.0, TOKENIZE.1, t, Err(e.to_string()));
            None
        }
    };
    let Some(token) = token else {
        skip_from(walk, &[INITIATE, CAPTURE, STATUS, REVERSE], "no token");
        return Ok(());
    };

    const AMOUNT: u64 = 1999;
    const CAPTURED: u64 = 1500;
    const REFERENCE: &str = "demo-order-1";
    let t = Instant::now();
    let tran_id = match client
        .initiate_token(&token, Some(expiration), AMOUNT, "840", Some(REFERENCE))
        .await
    {
        Ok(r) => {
            let tran_id = r.tran_id.unwrap_or_default();
            walk.record(
                INITIATE.0,
                INITIATE.1,
                t,
                Ok(format!(
                    "TranId {tran_id}, AccuId {}, {AMOUNT} minor units of 840, ReferenceKey {REFERENCE}",
                    r.accu_id.as_deref().unwrap_or("-")
                )),
            );
            tran_id
        }
        Err(e) => {
            walk.record(INITIATE.0, INITIATE.1, t, Err(e.to_string()));
            skip_from(walk, &[CAPTURE, STATUS, REVERSE], "no transaction");
            return Ok(());
        }
    };

    let t = Instant::now();
    let outcome = match client.pre_auth_capture(&tran_id, CAPTURED, "840").await {
        Ok(r) if r.members.get_str("ResponseCode") == Some("00") => Ok(format!(
            "{CAPTURED} of {AMOUNT} captured, ApprovalCode {} (answer DTO unpublished: kept raw)",
            r.members.get_str("ApprovalCode").unwrap_or("-")
        )),
        Ok(r) => Err(format!(
            "ResponseCode {:?}",
            r.members.get_str("ResponseCode")
        )),
        Err(e) => Err(e.to_string()),
    };
    walk.record(CAPTURE.0, CAPTURE.1, t, outcome);

    let t = Instant::now();
    let by_reference = OriginalTransaction::by_reference_key(REFERENCE)
        .map_err(|e| CliError::new("reference key", &e))?;
    let outcome = match client.transaction_status(by_reference.clone()).await {
        Ok(r) => match r.history {
            Some(h) if h.approved_amount == Some(CAPTURED as i64) => Ok(format!(
                "TranId {}, Status {}, approved {}, open {}",
                h.tran_id.as_deref().unwrap_or("-"),
                h.status.as_deref().unwrap_or("-"),
                h.approved_amount.unwrap_or_default(),
                h.open_amount.unwrap_or_default()
            )),
            other => Err(format!("unexpected History {other:?}")),
        },
        Err(e) => Err(e.to_string()),
    };
    walk.record(STATUS.0, STATUS.1, t, outcome);

    let t = Instant::now();
    let outcome = match client.reverse(by_reference.clone()).await {
        Ok(_) => {
            match client.transaction_status(by_reference).await {
                Ok(r) => {
                    let status = r.history.and_then(|h| h.status).unwrap_or_default();
                    if status == "Reversed" {
                        Ok("reversed in full (Reverse has no Amount); TransactionStatus says Reversed".to_owned())
                    } else {
                        Err(format!("status {status:?} after Reverse"))
                    }
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    walk.record(REVERSE.0, REVERSE.1, t, outcome);
    Ok(())
}

async fn payneteasy_steps(
    walk: &mut Walk,
    sandbox: &Sandbox,
    transport: &Transport,
) -> Result<(), CliError> {
    let environment = Environment::custom(&sandbox.payneteasy_base_url())
        .map_err(|e| CliError::new("sandbox base URL", &e))?;
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM)
        .map_err(|e| CliError::new("test merchant key", &e))?;
    let client = PayneteasyClient::new(
        PayneteasyConfig::builder(environment.clone(), TEST_MERCHANT_LOGIN, Arc::new(key))
            .build()
            .map_err(|e| CliError::new("invalid Payneteasy configuration", &e))?,
        transport.clone(),
    );
    let endpoint = Endpoint::Id(TEST_ENDPOINT_ID);
    let request = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID)
        .map_err(|e| CliError::new("seed order", &e))?;

    // The seed's example order: final and approved.
    let t = Instant::now();
    let first = client.create_card_ref(&endpoint, &request).await;
    let first_ref = match &first {
        Ok(r) if r.status == Status::Approved && r.card_ref_id.is_some() => r.card_ref_id.clone(),
        _ => None,
    };
    walk.record(
        "Payneteasy create-card-ref (seed order)",
        "approved, with a card-ref-id",
        t,
        match &first {
            Ok(r) => match &r.card_ref_id {
                Some(id) if r.status == Status::Approved => Ok(format!(
                    "{APPROVED_CLIENT_ORDERID}/{APPROVED_ORDERID}: approved, card-ref-id {id}, \
                     recurring-payment-id {}",
                    r.recurring_payment_id.as_deref().unwrap_or("-")
                )),
                _ => Err(format!(
                    "status {} without the expected card reference",
                    r.status.as_str()
                )),
            },
            Err(e) => Err(e.to_string()),
        },
    );

    let t = Instant::now();
    let again = client.create_card_ref(&endpoint, &request).await;
    walk.record(
        "create-card-ref again (same order)",
        "the same card-ref-id, nothing created twice",
        t,
        match (&again, &first_ref) {
            (Ok(r), Some(first)) if r.card_ref_id.as_ref() == Some(first) => Ok(format!(
                "card-ref-id {first} again; sandbox created {} card reference(s)",
                sandbox.payneteasy_stats().card_refs_created
            )),
            (Ok(r), _) => Err(format!(
                "card-ref-id {:?} differs from {first_ref:?}",
                r.card_ref_id
            )),
            (Err(e), _) => Err(e.to_string()),
        },
    );

    let t = Instant::now();
    let status_request = payneteasy_proto::StatusRequest::new(APPROVED_CLIENT_ORDERID)
        .and_then(|r| r.with_orderid(APPROVED_ORDERID))
        .map_err(|e| CliError::new("status request", &e))?;
    let status = client.status(&endpoint, &status_request).await;
    walk.record(
        "Payneteasy status (seed order)",
        "approved, final",
        t,
        match status {
            Ok(r) if r.status == Status::Approved && r.status.is_final() => Ok(format!(
                "status approved (final), card-ref-id {}, card {}…{}",
                r.card_ref_id.as_deref().unwrap_or("-"),
                r.bin.as_deref().unwrap_or("?"),
                r.last_four_digits.as_deref().unwrap_or("?")
            )),
            Ok(r) => Err(format!("status {}", r.status.as_str())),
            Err(e) => Err(e.to_string()),
        },
    );

    // What failures look like from the caller's side. (Key generation is not timed.)
    let wrong = wrong_key();
    let t = Instant::now();
    let outcome = match wrong {
        Ok(wrong) => {
            let impostor = PayneteasyClient::new(
                PayneteasyConfig::builder(
                    environment.clone(),
                    TEST_MERCHANT_LOGIN,
                    Arc::new(wrong),
                )
                .build()
                .map_err(|e| CliError::new("invalid Payneteasy configuration", &e))?,
                transport.clone(),
            );
            match impostor.create_card_ref(&endpoint, &request).await {
                Err(Error::AuthenticationRefused {
                    status, excerpt, ..
                }) => Ok(format!(
                    "refused: HTTP {status} \"{excerpt}\" (authentication_refused, not retried)"
                )),
                Err(e) => Err(format!("unexpected error class {}: {e}", e.class())),
                Ok(_) => Err("a request signed with an unknown key was accepted".to_owned()),
            }
        }
        Err(e) => Err(e),
    };
    walk.record(
        "signed with a key the gateway never saw",
        "HTTP 403, authentication refused",
        t,
        outcome,
    );

    let t = Instant::now();
    let unknown = CreateCardRefRequest::new("NO-SUCH-ORDER", "1")
        .map_err(|e| CliError::new("unknown order", &e))?;
    walk.record(
        "create-card-ref for an unknown order",
        "validation-error from the gateway",
        t,
        match client.create_card_ref(&endpoint, &unknown).await {
            Err(Error::Rejected(r)) if r.kind == RejectionKind::Validation => Ok(format!(
                "rejected (validation): code {}, \"{}\"",
                r.code.as_deref().unwrap_or("-"),
                r.message.as_deref().unwrap_or("")
            )),
            Err(e) => Err(format!("unexpected error class {}: {e}", e.class())),
            Ok(r) => Err(format!("accepted with status {}", r.status.as_str())),
        },
    );

    // A signed request sent twice: the nonce is spent after the first.
    let t = Instant::now();
    let outcome = match client.sign_request::<CreateCardRef>(&endpoint, &request) {
        Ok(signed) => {
            let first = transport.send(signed.clone(), None).await;
            let second = transport.send(signed, None).await;
            match (first, second) {
                (Ok(a), Ok(b)) => {
                    let limits = payneteasy_codec::DecodeLimits::default();
                    let first_ok =
                        payneteasy_codec::decode_response::<CreateCardRef>(&a, &limits).is_ok();
                    match payneteasy_codec::decode_response::<CreateCardRef>(&b, &limits) {
                        Err(e) if first_ok && e.is_authentication_refused() => Ok(format!(
                            "first send HTTP {}, the same bytes again HTTP {}: replay refused",
                            a.status().as_u16(),
                            b.status().as_u16()
                        )),
                        other => Err(format!(
                            "first HTTP {}, replay HTTP {}: {other:?}",
                            a.status().as_u16(),
                            b.status().as_u16()
                        )),
                    }
                }
                (a, b) => Err(format!("transport failed: {:?} / {:?}", a.err(), b.err())),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    walk.record(
        "the same signed request replayed",
        "the replay is refused (HTTP 403)",
        t,
        outcome,
    );
    lifecycle_steps(walk, &environment, transport, &endpoint).await
}

/// A fresh 2048-bit key that no merchant registered.
fn wrong_key() -> Result<RsaPrivateKey, String> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| format!("key generation: {e}"))?;
    let der = pair
        .as_der()
        .map_err(|e| format!("key serialization: {e}"))?;
    RsaPrivateKey::from_der(der.as_ref()).map_err(|e| e.to_string())
}

/// The Payneteasy lifecycle on v2 (`control`-checked) commands: a sale with 3-D Secure, its
/// status, the payer at the ACS, the customer return verified and confirmed, a card reference,
/// a recurring charge, a partial refund, and the server callback received by a local
/// receiver, verified and confirmed with `status`.
async fn lifecycle_steps(
    walk: &mut Walk,
    environment: &Environment,
    transport: &Transport,
    endpoint: &Endpoint,
) -> Result<(), CliError> {
    const SALE: &str = "Payneteasy v2 sale, 3-D Secure card";
    const STATUS: &str = "status: the 3-D Secure page to show";
    const ACS: &str = "the payer at the ACS";
    const RETURN: &str = "customer return received and verified";
    const FINAL: &str = "status after 3-D Secure";
    const CARD_REF: &str = "create-card-ref (v2) of the sale";
    const REBILL: &str = "make-rebill-sale with the card-ref-id";
    const REFUND: &str = "partial return of the sale";
    const CALLBACK: &str = "server callback received and verified";
    let later = [
        (STATUS, "processing, with html"),
        (ACS, "authenticated; the page posts the return"),
        (RETURN, "control valid; status confirms approved"),
        (FINAL, "approved, final"),
        (CARD_REF, "approved, with a card-ref-id"),
        (REBILL, "async-response, then approved"),
        (REFUND, "4.00 of 10.42 returned: a reversal"),
        (CALLBACK, "GET with a valid control; status agrees"),
    ];
    let skip_from = |walk: &mut Walk, from: usize, why: &str| {
        for (name, expected) in &later[from..] {
            walk.skip(name, expected, why);
        }
    };
    let control =
        ControlKey::new(TEST_CONTROL_KEY).map_err(|e| CliError::new("sandbox control key", &e))?;
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM)
        .map_err(|e| CliError::new("test merchant key", &e))?;
    let client = PayneteasyClient::new(
        PayneteasyConfig::builder(environment.clone(), TEST_MERCHANT_LOGIN, Arc::new(key))
            .control_key(control)
            .build()
            .map_err(|e| CliError::new("invalid Payneteasy configuration", &e))?,
        transport.clone(),
    );
    let mut merchant = Receiver::start()
        .await
        .map_err(|e| CliError::new("cannot start the callback receiver", &e))?;
    let schedule = PollSchedule::builder()
        .interval(Duration::from_millis(20))
        .slow_interval(Duration::from_millis(20))
        .deadline(Duration::from_secs(10))
        .build()
        .map_err(|e| CliError::new("poll schedule", &e))?;
    const CLIENT_ORDERID: &str = "demo-3ds-1";
    let usd = |amount: &str| {
        Ok::<_, CliError>((
            Amount::new(amount).map_err(|e| CliError::new("demo amount", &e))?,
            Currency::new("USD").map_err(|e| CliError::new("demo currency", &e))?,
        ))
    };
    let (amount, currency) = usd("10.42")?;
    let sale = SaleRequest::try_from(SaleFields {
        client_orderid: CLIENT_ORDERID.into(),
        order_desc: "paygate demo".into(),
        address1: "1 Main St".into(),
        city: "Springfield".into(),
        zip_code: "12345".into(),
        country: "US".into(),
        phone: "+15555550100".into(),
        email: "payer@example.com".into(),
        amount,
        currency,
        ipaddress: "127.0.0.1".into(),
        card_printed_name: "JOHN DOE".into(),
        credit_card_number: CardNumber::new(CARD_3DS)
            .map_err(|e| CliError::new("test card", &e))?,
        expire_month: "12".into(),
        expire_year: "2030".into(),
        cvv2: Cvv2::new(TEST_CVN).map_err(|e| CliError::new("test CVV", &e))?,
        redirect_url: merchant.url("/return"),
        server_callback_url: Some(merchant.url("/callback")),
        ..SaleFields::default()
    })
    .map_err(|e| CliError::new("demo sale", &e))?;

    let t = Instant::now();
    let accepted = client.execute::<Sale>(endpoint, &sale).await;
    let orderid = match &accepted {
        Ok(r) => r.paynet_order_id.clone(),
        Err(_) => None,
    };
    let ok = walk.record(
        SALE,
        "async-response, processing",
        t,
        match (&accepted, &orderid) {
            (Ok(r), Some(id)) => Ok(format!(
                "card {}…{}: {} {}, paynet-order-id {id}",
                &CARD_3DS[..6],
                &CARD_3DS[CARD_3DS.len() - 4..],
                r.response_type,
                r.status.as_ref().map_or("-", Status::as_str),
            )),
            (Ok(_), None) => Err("no paynet-order-id".to_owned()),
            (Err(e), _) => Err(e.to_string()),
        },
    );
    let Some(orderid) = orderid.filter(|_| ok) else {
        skip_from(walk, 0, "no order");
        return Ok(());
    };

    let query = StatusV2Request::new(TEST_MERCHANT_LOGIN, CLIENT_ORDERID, orderid.as_str())
        .map_err(|e| CliError::new("status request", &e))?;
    let mut waiter = client.waiter(endpoint, query, schedule.clone());
    let t = Instant::now();
    let html = match waiter.next().await {
        Ok(WaitOutcome::Action {
            action: NextAction::ShowHtml(html),
            ..
        }) => {
            walk.record(
                STATUS,
                later[0].1,
                t,
                Ok(format!(
                    "processing; html of {} bytes (a form to the ACS), after {} poll(s)",
                    html.len(),
                    waiter.polls()
                )),
            );
            html
        }
        other => {
            walk.record(STATUS, later[0].1, t, Err(format!("{other:?}")));
            skip_from(walk, 1, "no 3-D Secure page");
            return Ok(());
        }
    };

    // The payer's browser: the page posts itself to the ACS, the payer authenticates, the
    // answer posts the customer return to redirect_url.
    let t = Instant::now();
    let payer = async {
        let (acs_url, fields) = payer_form(&html).ok_or("the html has no form")?;
        let acs_page = payer_post(transport, &acs_url, &fields).await?;
        let (answer_url, _) = payer_form(&acs_page).ok_or("the ACS page has no form")?;
        let answer = vec![("result".to_owned(), "success".to_owned())];
        let returning = payer_post(transport, &resolve(&acs_url, &answer_url), &answer).await?;
        let (return_url, fields) = payer_form(&returning).ok_or("no customer return form")?;
        payer_post(transport, &return_url, &fields).await?;
        Ok::<String, String>(acs_url)
    };
    let payer = payer.await;
    let ok = walk.record(
        ACS,
        later[1].1,
        t,
        payer.map(|acs| {
            format!(
                "ACS {} answered \"Authenticate\"; the return was posted to the merchant",
                Shown(&acs)
            )
        }),
    );
    if !ok {
        skip_from(walk, 2, "the payer could not finish");
        return Ok(());
    }

    let t = Instant::now();
    let returned = match merchant.next("POST").await {
        Some(body) => match payneteasy_codec::parse_customer_return(&body) {
            Ok(customer_return) => client
                .confirm_customer_return(endpoint, &customer_return, ApiVersion::V2)
                .await
                .map_err(|e| e.to_string())
                .and_then(|c| {
                    if c.is_approved() {
                        Ok(format!(
                            "status={} orderid={}: control valid, status confirms {}",
                            customer_return.status, customer_return.orderid, c.status.status
                        ))
                    } else {
                        Err(format!("not confirmed: {c:?}"))
                    }
                }),
            Err(e) => Err(format!("unreadable return: {e}")),
        },
        None => Err("no customer return arrived".to_owned()),
    };
    walk.record(RETURN, later[2].1, t, returned);

    let t = Instant::now();
    let final_status = waiter.next().await;
    walk.record(
        FINAL,
        later[3].1,
        t,
        match final_status {
            Ok(WaitOutcome::Final(r)) if r.status.is_approved() => Ok(format!(
                "approved after {} poll(s) in all, card {}…{}",
                waiter.polls(),
                r.bin.as_deref().unwrap_or("?"),
                r.last_four_digits.as_deref().unwrap_or("?")
            )),
            other => Err(format!("{other:?}")),
        },
    );

    let t = Instant::now();
    let card_ref =
        match CreateCardRefV2Request::new(TEST_MERCHANT_LOGIN, CLIENT_ORDERID, orderid.as_str()) {
            Ok(request) => client
                .execute::<CreateCardRefV2>(endpoint, &request)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
    let cardrefid = card_ref.as_ref().ok().and_then(|r| r.card_ref_id.clone());
    walk.record(
        CARD_REF,
        later[4].1,
        t,
        match (&card_ref, &cardrefid) {
            (Ok(r), Some(id)) if r.status.is_approved() => Ok(format!("card-ref-id {id}")),
            (Ok(r), _) => Err(format!("status {} without a card-ref-id", r.status)),
            (Err(e), _) => Err(e.clone()),
        },
    );

    let t = Instant::now();
    let rebill = match &cardrefid {
        Some(cardrefid) => {
            let (amount, currency) = usd("5.00")?;
            match MakeRebillRequest::new(
                TEST_MERCHANT_LOGIN,
                "demo-rebill-1",
                cardrefid.as_str(),
                amount,
                currency,
            ) {
                Ok(request) => rebill_and_wait(&client, endpoint, &request, &schedule).await,
                Err(e) => Err(e.to_string()),
            }
        }
        None => Err("skipped: no card reference".to_owned()),
    };
    walk.record(REBILL, later[5].1, t, rebill);

    let t = Instant::now();
    let (amount, currency) = usd("4.00")?;
    let refund = match ReturnRequest::new(TEST_MERCHANT_LOGIN, CLIENT_ORDERID, orderid.as_str())
        .and_then(|r| r.with_amount(amount, currency))
    {
        Ok(request) => match client.execute::<Return>(endpoint, &request).await {
            Ok(_) => {
                let query =
                    StatusV2Request::new(TEST_MERCHANT_LOGIN, CLIENT_ORDERID, orderid.as_str())
                        .map_err(|e| CliError::new("status request", &e))?;
                match client
                    .wait_for_status(endpoint, query, schedule.clone())
                    .await
                {
                    Ok(WaitOutcome::Final(r))
                        if r.transaction_type == Some(TransactionType::Reversal) =>
                    {
                        Ok(format!(
                            "return accepted; status {} {} (transaction-type reversal)",
                            r.status,
                            r.amount.as_deref().unwrap_or("")
                        ))
                    }
                    other => Err(format!("{other:?}")),
                }
            }
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    walk.record(REFUND, later[6].1, t, refund);

    let t = Instant::now();
    let callback = match merchant.next("GET").await {
        Some(target) => {
            let query = String::from_utf8_lossy(&target)
                .split_once('?')
                .map(|(_, q)| q.to_owned())
                .unwrap_or_default();
            match payneteasy_codec::parse_server_callback(&query) {
                Ok(callback) => match client
                    .confirm_callback(endpoint, &callback, ApiVersion::V2)
                    .await
                {
                    Ok(c) if c.agrees => {
                        let key = callback.dedup_key();
                        Ok(format!(
                            "GET status={} orderid={} type={}: control valid, status agrees; \
                             deduplicated on ({}, {}, {}, {})",
                            callback.status,
                            callback.orderid,
                            callback
                                .transaction_type
                                .as_ref()
                                .map_or("-", TransactionType::as_str),
                            key.status,
                            key.transaction_type,
                            key.orderid,
                            key.client_orderid
                        ))
                    }
                    Ok(c) => Err(format!("status disagrees: {c:?}")),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(format!("unreadable callback: {e}")),
            }
        }
        None => Err("no server callback arrived".to_owned()),
    };
    walk.record(CALLBACK, later[7].1, t, callback);
    merchant.stop();
    Ok(())
}

async fn rebill_and_wait(
    client: &PayneteasyClient,
    endpoint: &Endpoint,
    request: &MakeRebillRequest,
    schedule: &PollSchedule,
) -> Result<String, String> {
    let accepted = client
        .execute::<MakeRebillSale>(endpoint, request)
        .await
        .map_err(|e| e.to_string())?;
    let orderid = accepted.paynet_order_id.ok_or("no paynet-order-id")?;
    let query = StatusV2Request::new(TEST_MERCHANT_LOGIN, "demo-rebill-1", orderid.as_str())
        .map_err(|e| e.to_string())?;
    match client
        .wait_for_status(endpoint, query, schedule.clone())
        .await
    {
        Ok(WaitOutcome::Final(r)) if r.status.is_approved() => Ok(format!(
            "{} 5.00 USD, paynet-order-id {orderid}: approved",
            accepted.response_type
        )),
        other => Err(format!("{other:?}")),
    }
}

/// The action and the fields of the first form of a payer page (what a browser posts).
fn payer_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    fn attr(tag: &str, name: &str) -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(
            tag[start..end]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#39;", "'")
                .replace("&amp;", "&"),
        )
    }
    let form = &html[html.find("<form")?..];
    let form = &form[..form.find("</form>")?];
    let action = attr(&form[..form.find('>')?], "action")?;
    let fields = form
        .split("<input")
        .skip(1)
        .filter_map(|tag| Some((attr(tag, "name")?, attr(tag, "value")?)))
        .collect();
    Some((action, fields))
}

/// `action` (absolute, or a path) as seen from the page at `page`.
fn resolve(page: &str, action: &str) -> String {
    if !action.starts_with('/') {
        return action.to_owned();
    }
    match page.parse::<http::Uri>() {
        Ok(uri) => format!(
            "{}://{}{action}",
            uri.scheme_str().unwrap_or("http"),
            uri.authority().map_or("", |a| a.as_str())
        ),
        Err(_) => action.to_owned(),
    }
}

/// Posts a form as the payer's browser does; the page that comes back.
async fn payer_post(
    transport: &Transport,
    url: &str,
    fields: &[(String, String)],
) -> Result<String, String> {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
    let request = http::Request::post(url)
        .header(
            http::header::CONTENT_TYPE,
            payneteasy_codec::FORM_CONTENT_TYPE,
        )
        .body(payneteasy_codec::encode_form(&pairs).into())
        .map_err(|e| e.to_string())?;
    let response = transport
        .send(request, None)
        .await
        .map_err(|e| e.to_string())?;
    String::from_utf8(response.body().to_vec()).map_err(|e| e.to_string())
}

/// The merchant's side of the demo: a loopback HTTP server that answers 200 to every request
/// and hands over what it received (a `GET` target, a `POST` body). Bounded: requests up to
/// 64 KiB, at most 64 kept.
struct Receiver {
    base: String,
    rx: tokio::sync::mpsc::Receiver<(String, Vec<u8>)>,
    /// Requests received but not asked for yet (a callback may come before the return).
    pending: Vec<(String, Vec<u8>)>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Some(received) = receive(stream).await {
                        let _ = tx.try_send(received);
                    }
                });
            }
        });
        Ok(Receiver {
            base,
            rx,
            pending: Vec::new(),
            task,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The next request of `method` (its body for a POST, its target for a GET), waiting up
    /// to 10 s.
    async fn next(&mut self, method: &str) -> Option<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(i) = self.pending.iter().position(|(m, _)| m == method) {
                return Some(self.pending.remove(i).1);
            }
            let (m, data) = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .ok()??;
            self.pending.push((m, data));
        }
    }

    fn stop(self) {
        self.task.abort();
    }
}

/// Reads one HTTP/1.1 request and answers `200 OK`: `("GET", target)` or `("POST", body)`.
async fn receive(mut stream: tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    const LIMIT: usize = 64 * 1024;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let (head, body) = loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 || data.len() + n > LIMIT {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&data[..end]).into_owned();
        let length = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if data.len() >= end + 4 + length {
            break (head, data[end + 4..end + 4 + length].to_vec());
        }
    };
    let _ = stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nOK")
        .await;
    let mut line = head.lines().next()?.split(' ');
    let method = line.next()?.to_owned();
    let target = line.next()?.to_owned();
    Some(match method.as_str() {
        "POST" => (method, body),
        _ => (method, target.into_bytes()),
    })
}
