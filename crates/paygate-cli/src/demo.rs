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
    Ok(())
}

/// A fresh 2048-bit key that no merchant registered.
fn wrong_key() -> Result<RsaPrivateKey, String> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| format!("key generation: {e}"))?;
    let der = pair
        .as_der()
        .map_err(|e| format!("key serialization: {e}"))?;
    RsaPrivateKey::from_der(der.as_ref()).map_err(|e| e.to_string())
}
