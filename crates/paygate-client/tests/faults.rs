//! Every fault the sandbox can inject, against both gateways: which error class a caller sees,
//! which faults an idempotent call recovers from, that a maybe-sent non-idempotent call is never
//! repeated (and that a not-processed one is), that repeated faults never duplicate an effect, and that no call outlives its
//! deadline.
//!
//! Print the fault → error class table with
//! `cargo test -p paygate-client --test faults -- --nocapture fault_table`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth1_signer::RsaPrivateKey;
use paygate_client::paysecure::PlainCard;
use paygate_client::{
    Error, MaybeSentReason, PaySecureClient, PaySecureConfig, PayneteasyClient, PayneteasyConfig,
    RetryPolicy, Transport, TransportConfig, UnreadableReason,
};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::paysecure::{TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION};
use paygate_sandbox::{
    FAULT_HEADER, Fault, PaySecureSandboxConfig, PayneteasySandboxConfig, Sandbox,
};
use payneteasy_proto::{CreateCardRef, CreateCardRefRequest, Endpoint, Environment};
use paysecure_codec::card_crypto::CardEncryptionKey;
use paysecure_proto::card::{Cvn, Pan};
use paysecure_proto::{CardExpiration, Password};

const ENDPOINT: Endpoint = Endpoint::Id(TEST_ENDPOINT_ID);
/// The card-ref-id the sandbox makes for the seeded approved order.
const CARD_REF_ID: &str = "1461608";
const PAN: &str = "4111111111111111";
/// The time of one attempt of a quick operation: a call's deadline is this times its
/// attempts, so that each attempt of an idempotent call waits about this long for the
/// response headers. Only the `delay=10s` fault is meant to reach it.
const ATTEMPT_TIME: Duration = Duration::from_secs(1);
/// The same for `CreateKey`, whose handler may generate an RSA-2048 key inline when the
/// sandbox's key pool is empty (hundreds of milliseconds on two loaded cores).
const CREATE_KEY_ATTEMPT_TIME: Duration = Duration::from_secs(4);
/// The response size limit of every client here; `oversized=` faults go past it.
const MAX_RESPONSE_BYTES: usize = 16 * 1024;
/// The deadline of a call without retries, and of a drip in the fault table (only the slow
/// drip is meant to reach it).
const NEVER_DEADLINE: Duration = Duration::from_secs(20);
/// The deadline of a call the slow drip is meant to blow (every answer is over 100 bytes:
/// 50 s or more at one byte per 500 ms).
const DRIP_DEADLINE: Duration = Duration::from_secs(3);
/// What a call may take past its deadline before it counts as a hang.
const SLACK: Duration = Duration::from_secs(2);

/// The three operations under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Payneteasy `create-card-ref` (idempotent).
    CardRef,
    /// PaySecure `CreateKey` (idempotent).
    CreateKey,
    /// PaySecure `TokenizeCard` (not idempotent).
    Tokenize,
}

const OPS: [Op; 3] = [Op::CardRef, Op::CreateKey, Op::Tokenize];

impl Op {
    /// The sandbox's fault route.
    fn route(self) -> &'static str {
        match self {
            Op::CardRef => "create-card-ref",
            Op::CreateKey => "CreateKey",
            Op::Tokenize => "TokenizeCard",
        }
    }

    /// The time of one attempt of this operation.
    fn attempt_time(self) -> Duration {
        match self {
            Op::CreateKey => CREATE_KEY_ATTEMPT_TIME,
            Op::CardRef | Op::Tokenize => ATTEMPT_TIME,
        }
    }

    /// `retry` with the deadline that gives each of its attempts [`Op::attempt_time`].
    fn fit(self, retry: &RetryPolicy) -> RetryPolicy {
        retry
            .to_builder()
            .deadline(self.attempt_time() * retry.max_attempts())
            .build()
            .unwrap()
    }

    fn title(self) -> &'static str {
        match self {
            Op::CardRef => "Payneteasy create_card_ref",
            Op::CreateKey => "PaySecure create_key",
            Op::Tokenize => "PaySecure tokenize_card_with_key",
        }
    }
}

/// One sandbox with both gateways, and a PaySecure key made before any fault.
struct Env {
    sandbox: Sandbox,
    key: CardEncryptionKey,
}

async fn env() -> Env {
    let sandbox = Sandbox::builder()
        .allow_fault_header(true)
        .payneteasy(PayneteasySandboxConfig::default())
        .paysecure(PaySecureSandboxConfig::default())
        .start()
        .await
        .expect("sandbox starts");
    let setup = Transport::new(TransportConfig::default()).unwrap();
    let key = paysecure_with(&sandbox, RetryPolicy::never(NEVER_DEADLINE), setup)
        .create_key(Some(30))
        .await
        .expect("a key before any fault")
        .key;
    Env { sandbox, key }
}

fn transport() -> Transport {
    Transport::new(
        TransportConfig::builder()
            .max_response_bytes(MAX_RESPONSE_BYTES)
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn payneteasy(sandbox: &Sandbox, retry: RetryPolicy, transport: Transport) -> PayneteasyClient {
    let env = Environment::custom(&sandbox.payneteasy_base_url()).unwrap();
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    let config = PayneteasyConfig::builder(env, TEST_MERCHANT_LOGIN, Arc::new(key))
        .retry(retry)
        .build()
        .unwrap();
    PayneteasyClient::new(config, transport)
}

fn paysecure_with(sandbox: &Sandbox, retry: RetryPolicy, transport: Transport) -> PaySecureClient {
    let config = PaySecureConfig::from_parts(
        TEST_MERCHANT_ID,
        TEST_USER_NAME,
        Password::new(TEST_PASSWORD),
        TEST_VERSION,
    )
    .unwrap()
    .base_url(sandbox.paysecure_base_url())
    .retry(retry)
    .build()
    .unwrap();
    PaySecureClient::new(config, transport)
}

fn approved() -> CreateCardRefRequest {
    CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap()
}

/// A quick retry policy: the default attempts and deadline, short waits.
fn quick_retries() -> RetryPolicy {
    RetryPolicy::builder()
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(50))
        .build()
        .unwrap()
}

/// What a successful call returned, reduced to what the tests compare.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    CardRef(Option<String>),
    Key,
    Token(Option<String>),
}

/// Runs `op` once with `retry` and the given transport.
async fn call_with(
    env: &Env,
    op: Op,
    retry: RetryPolicy,
    transport: Transport,
) -> Result<Answer, Error> {
    match op {
        Op::CardRef => payneteasy(&env.sandbox, retry, transport)
            .create_card_ref(&ENDPOINT, &approved())
            .await
            .map(|r| Answer::CardRef(r.card_ref_id)),
        Op::CreateKey => paysecure_with(&env.sandbox, retry, transport)
            .create_key(Some(5))
            .await
            .map(|_| Answer::Key),
        Op::Tokenize => {
            let pan = Pan::new(PAN).unwrap();
            let cvn = Cvn::new("123").unwrap();
            paysecure_with(&env.sandbox, retry, transport)
                .tokenize_card_with_key(
                    &env.key,
                    &PlainCard::new(pan.clone(), CardExpiration::parse("1230").unwrap())
                        .cvn(cvn.clone()),
                )
                .await
                .map(|r| Answer::Token(r.card_token))
        }
    }
}

/// Runs `op` once with `retry`, its deadline [fitted](Op::fit) to the operation.
async fn call(env: &Env, op: Op, retry: RetryPolicy) -> Result<Answer, Error> {
    call_with(env, op, op.fit(&retry), transport()).await
}

/// `ok`, or the error's class and reason: `class/reason[/HTTP status][ retry-after=N s]`.
fn describe<T>(result: &Result<T, Error>) -> String {
    let Err(e) = result else {
        return "ok".to_owned();
    };
    let mut text = e.class().to_owned();
    match e {
        Error::NotSent { reason, .. } => write!(text, "/{reason:?}").unwrap(),
        Error::MaybeSent { reason, .. } => write!(text, "/{reason:?}").unwrap(),
        Error::ResponseUnreadable { status, reason, .. } => {
            write!(text, "/{reason:?}").unwrap();
            if let Some(status) = status {
                write!(text, "/{status}").unwrap();
            }
        }
        Error::AuthenticationRefused { status, .. } => write!(text, "/{status}").unwrap(),
        Error::Rejected(r) => {
            write!(text, "/{:?}/{}", r.kind, r.code.as_deref().unwrap_or("-")).unwrap()
        }
        other => write!(text, "/{other}").unwrap(),
    }
    if let Some(wait) = e.retry_after() {
        write!(text, " retry-after={}s", wait.as_secs()).unwrap();
    }
    text
}

const TIMEOUT: &str = "maybe_sent/Timeout";
const LOST: &str = "maybe_sent/ConnectionLost";
const TRUNCATED: &str = "response_unreadable/Truncated/200";
const MALFORMED: &str = "response_unreadable/Malformed/200";
const TOO_LARGE: &str = "response_unreadable/TooLarge/200";

/// Fault spec → what every operation gets with retries disabled. The same for the three
/// operations: a fault is judged by where the exchange broke, not by the gateway.
const TABLE: &[(&str, &str)] = &[
    ("delay=50ms", "ok"),
    ("delay=10s", TIMEOUT),
    ("close", LOST),
    ("close-mid-body", TRUNCATED),
    ("status=500", "response_unreadable/UnexpectedStatus/500"),
    ("status=502", "response_unreadable/UnexpectedStatus/502"),
    ("status=503", "response_unreadable/UnexpectedStatus/503"),
    (
        "status=500-empty",
        "response_unreadable/UnexpectedStatus/500",
    ),
    (
        "status=502-empty",
        "response_unreadable/UnexpectedStatus/502",
    ),
    (
        "status=503-empty",
        "response_unreadable/UnexpectedStatus/503",
    ),
    (
        "status=503,retry-after=1",
        "response_unreadable/UnexpectedStatus/503 retry-after=1s",
    ),
    ("garbage", MALFORMED),
    // Both decoders judge a body by its content; the label is only reported.
    ("wrong-content-type", "ok"),
    ("oversized=100000", TOO_LARGE),
    // One byte every 500 ms: the body cannot arrive within DRIP_DEADLINE.
    ("drip=500ms", TRUNCATED),
    // One byte every millisecond: slow, but well within the deadline.
    ("drip=1ms", "ok"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_table() {
    let env = env().await;
    let mut rows = Vec::new();
    let mut mismatches = Vec::new();
    for &(spec, expected) in TABLE {
        let fault: Fault = spec.parse().unwrap();
        let deadline = if matches!(fault, Fault::SlowDrip(d) if d >= Duration::from_millis(100)) {
            DRIP_DEADLINE
        } else {
            NEVER_DEADLINE
        };
        for op in OPS {
            env.sandbox.faults().push(op.route(), fault.clone());
        }
        let served = env.sandbox.requests_served();
        let started = Instant::now();
        // Three routes, three queues: the operations can run side by side.
        // Without retries the one attempt has the whole deadline: the operation's attempt
        // time (so that `delay=10s` reaches it), or for a drip, the drip's deadline (a fast
        // drip must have the time to deliver its body).
        let drip = matches!(fault, Fault::SlowDrip(_));
        let never = |op: Op| {
            let time = if drip { deadline } else { op.attempt_time() };
            call_with(&env, op, RetryPolicy::never(time), transport())
        };
        let (a, b, c) = tokio::join!(
            never(Op::CardRef),
            never(Op::CreateKey),
            never(Op::Tokenize)
        );
        assert!(
            started.elapsed() < deadline + SLACK,
            "{spec}: {:?}",
            started.elapsed()
        );
        assert_eq!(
            env.sandbox.requests_served(),
            served + 3,
            "{spec}: one request per call without retries"
        );
        let got = [describe(&a), describe(&b), describe(&c)];
        for (op, got) in OPS.iter().zip(&got) {
            if got != expected {
                mismatches.push(format!("{spec} / {op:?}: expected {expected}, got {got}"));
            }
        }
        // Reasons are reachable from the typed error too, not only from the text.
        if let Err(e) = &a
            && expected == TIMEOUT
        {
            assert!(matches!(
                e,
                Error::MaybeSent {
                    reason: MaybeSentReason::Timeout,
                    ..
                }
            ));
            assert!(e.may_have_reached_gateway());
        }
        if let Err(Error::ResponseUnreadable { reason, .. }) = &c
            && expected == TOO_LARGE
        {
            assert_eq!(*reason, UnreadableReason::TooLarge);
        }
        rows.push((spec, got));
    }

    let width = |i: usize| {
        rows.iter()
            .map(|(_, got)| got[i].len())
            .chain([OPS[i].title().len()])
            .max()
            .unwrap()
    };
    let mut table = format!(
        "fault → error class with RetryPolicy::never (deadline {} ms, CreateKey {} ms; for a \
         drip {} s, {} s for the slow drip; body limit {} B)\n",
        ATTEMPT_TIME.as_millis(),
        CREATE_KEY_ATTEMPT_TIME.as_millis(),
        NEVER_DEADLINE.as_secs(),
        DRIP_DEADLINE.as_secs(),
        MAX_RESPONSE_BYTES,
    );
    write!(table, "| {:<26} |", "fault").unwrap();
    for (i, op) in OPS.iter().enumerate() {
        write!(table, " {:<w$} |", op.title(), w = width(i)).unwrap();
    }
    table.push('\n');
    for (spec, got) in &rows {
        write!(table, "| {spec:<26} |").unwrap();
        for (i, g) in got.iter().enumerate() {
            write!(table, " {g:<w$} |", w = width(i)).unwrap();
        }
        table.push('\n');
    }
    println!("{table}");
    assert!(mismatches.is_empty(), "{}\n{table}", mismatches.join("\n"));
}

/// Transient faults that may have reached the gateway (or never left a proxy): an idempotent
/// call retries them once and succeeds.
const TRANSIENT: &[&str] = &[
    "close",
    "close-mid-body",
    "status=502",
    "status=503",
    "status=502-empty",
    "status=503-empty",
    "status=503,retry-after=1",
    "delay=10s",
];

async fn recovers_from_one_transient_fault(op: Op) {
    let env = env().await;
    for &spec in TRANSIENT {
        env.sandbox.faults().push(op.route(), spec.parse().unwrap());
        let served = env.sandbox.requests_served();
        let result = call(&env, op, RetryPolicy::default()).await;
        assert!(result.is_ok(), "{op:?} after {spec}: {}", describe(&result));
        assert_eq!(
            env.sandbox.requests_served(),
            served + 2,
            "{op:?} after {spec}: exactly one retry"
        );
        if let Ok(Answer::CardRef(id)) = &result {
            assert_eq!(id.as_deref(), Some(CARD_REF_ID));
        }
    }
    if op == Op::CardRef {
        assert_eq!(env.sandbox.payneteasy_stats().card_refs_created, 1);
        assert_eq!(env.sandbox.payneteasy_stats().refused(), 0, "no replay");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_card_ref_recovers_from_one_transient_fault() {
    recovers_from_one_transient_fault(Op::CardRef).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_key_recovers_from_one_transient_fault() {
    recovers_from_one_transient_fault(Op::CreateKey).await;
}

/// Waits until the sandbox has counted `expected` tokenizations (a handler may still be
/// finishing after its answer was lost), or 5 s pass; returns the last count.
async fn tokenizations_settle(sandbox: &Sandbox, expected: u64) -> u64 {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let n = sandbox.paysecure_stats().tokenizations;
        if n == expected || Instant::now() >= until {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokenize_is_not_retried_after_a_maybe_sent_fault() {
    let env = env().await;
    let expectations: &[(&str, &str)] = &[
        ("close", LOST),
        ("close-mid-body", TRUNCATED),
        ("delay=10s", TIMEOUT),
        ("status=502", "response_unreadable/UnexpectedStatus/502"),
        ("status=503", "response_unreadable/UnexpectedStatus/503"),
        (
            "status=503-empty",
            "response_unreadable/UnexpectedStatus/503",
        ),
    ];
    for &(spec, expected) in expectations {
        let fault: Fault = spec.parse().unwrap();
        env.sandbox
            .faults()
            .push(Op::Tokenize.route(), fault.clone());
        let served = env.sandbox.requests_served();
        let tokenized = env.sandbox.paysecure_stats().tokenizations;
        let result = call(&env, Op::Tokenize, RetryPolicy::default()).await;
        assert_eq!(describe(&result), expected, "{spec}");
        assert_eq!(
            env.sandbox.requests_served(),
            served + 1,
            "{spec}: a maybe-sent TokenizeCard is never repeated"
        );
        // A proxy status never reached the handler; the other faults hit after it ran.
        let ran = u64::from(fault.processes_request());
        assert_eq!(
            tokenizations_settle(&env.sandbox, tokenized + ran).await,
            tokenized + ran,
            "{spec}"
        );
    }
    // Without a fault the same call goes through on the first attempt.
    let served = env.sandbox.requests_served();
    assert!(
        call(&env, Op::Tokenize, RetryPolicy::default())
            .await
            .is_ok()
    );
    assert_eq!(env.sandbox.requests_served(), served + 1);
}

/// A 503 **with** `Retry-After` says the server did not handle the request
/// ([`paygate_client::Outcome::NotProcessed`], retryable): even the non-idempotent
/// `TokenizeCard` is sent again, once, and the card is tokenized once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokenize_is_retried_after_a_503_with_retry_after() {
    let env = env().await;
    let fault: Fault = "status=503,retry-after=1".parse().unwrap();
    assert!(!fault.processes_request());
    env.sandbox.faults().push(Op::Tokenize.route(), fault);
    let served = env.sandbox.requests_served();
    let tokenized = env.sandbox.paysecure_stats().tokenizations;
    let result = call(&env, Op::Tokenize, RetryPolicy::default()).await;
    assert!(result.is_ok(), "{}", describe(&result));
    assert_eq!(
        env.sandbox.requests_served(),
        served + 2,
        "exactly one retry"
    );
    assert_eq!(
        tokenizations_settle(&env.sandbox, tokenized + 1).await,
        tokenized + 1
    );
}

/// A tiny deterministic generator (SplitMix64) so a failing run can be replayed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const CALLS: usize = 40;
/// `none` queues nothing.
const MIXED_FAULTS: &[&str] = &[
    "none",
    "close",
    "close-mid-body",
    "status=500",
    "status=502",
    "status=503-empty",
    "garbage",
    "wrong-content-type",
    "delay=20ms",
    "delay=10s",
    "oversized=100000",
];

/// Faults of [`MIXED_FAULTS`] that end a call with an error even with retries.
fn final_for_idempotent(spec: &str) -> bool {
    matches!(spec, "status=500" | "garbage" | "oversized=100000")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_faulted_card_ref_calls_make_one_card_ref() {
    let env = env().await;
    let client = payneteasy(&env.sandbox, Op::CardRef.fit(&quick_retries()), transport());
    let mut rng = SplitMix(0x5eed_0001);
    let (mut ok, mut expected_ok) = (0, 0);
    for i in 0..CALLS {
        let spec = rng.pick(MIXED_FAULTS);
        if spec != "none" {
            env.sandbox
                .faults()
                .push(Op::CardRef.route(), spec.parse().unwrap());
        }
        expected_ok += usize::from(!final_for_idempotent(spec));
        match client.create_card_ref(&ENDPOINT, &approved()).await {
            Ok(response) => {
                ok += 1;
                assert!(response.status.is_approved(), "call {i} ({spec})");
                assert_eq!(
                    response.card_ref_id.as_deref(),
                    Some(CARD_REF_ID),
                    "call {i} ({spec})"
                );
            }
            Err(e) => assert!(
                final_for_idempotent(spec) && e.class() == "response_unreadable",
                "call {i} ({spec}): {e:?}"
            ),
        }
    }
    assert_eq!(ok, expected_ok);
    let stats = env.sandbox.payneteasy_stats();
    assert_eq!(stats.card_refs_created, 1, "{stats:?}");
    assert_eq!(
        stats.refused(),
        0,
        "every retry was signed afresh: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_faulted_tokenize_calls_never_tokenize_twice() {
    let env = env().await;
    let mut rng = SplitMix(0x5eed_0002);
    let served = env.sandbox.requests_served();
    let before = env.sandbox.paysecure_stats().tokenizations;
    let (mut ok, mut handler_ran) = (0u64, 0u64);
    let mut tokens = Vec::new();
    for i in 0..CALLS {
        let spec = rng.pick(MIXED_FAULTS);
        let fault = (spec != "none").then(|| spec.parse::<Fault>().unwrap());
        if let Some(fault) = &fault {
            env.sandbox
                .faults()
                .push(Op::Tokenize.route(), fault.clone());
        }
        handler_ran += u64::from(fault.as_ref().is_none_or(Fault::processes_request));
        match call(&env, Op::Tokenize, quick_retries()).await {
            Ok(Answer::Token(token)) => {
                ok += 1;
                tokens.push(token);
            }
            Ok(other) => panic!("{other:?}"),
            Err(e) => assert!(
                matches!(spec, "close" | "close-mid-body" | "delay=10s")
                    || spec.starts_with("status=")
                    || final_for_idempotent(spec),
                "call {i} ({spec}): {e:?}"
            ),
        }
    }
    let requests = env.sandbox.requests_served() - served;
    assert_eq!(
        requests, CALLS as u64,
        "one TokenizeCard request per call: no automatic repeat"
    );
    let tokenized = tokenizations_settle(&env.sandbox, before + handler_ran).await - before;
    assert!(tokenized <= CALLS as u64, "{tokenized} > {CALLS}");
    assert_eq!(tokenized, handler_ran);
    assert!(
        ok >= 1 && ok <= tokenized,
        "{ok} answers, {tokenized} tokenizations"
    );
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "the same card, the same token: {tokens:?}");
}

/// `delay=10s` and a slow drip on every request: a call with a 1.5 s deadline returns within
/// the deadline plus slack, however many attempts share it (one attempt waits for the whole
/// deadline, three idempotent attempts for a third each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_call_hangs_past_its_deadline() {
    let env = env().await;
    let deadline = Duration::from_millis(1500);
    let policy = |attempts| {
        RetryPolicy::builder()
            .max_attempts(attempts)
            .deadline(deadline)
            .build()
            .unwrap()
    };
    // The slow drip sends the headers at once and then the body until the deadline cuts it
    // (Truncated); with a short share of the deadline the headers of `CreateKey` may also miss
    // it while the sandbox generates a key (Timeout). Either way the call ends in time.
    let drip: &[&str] = &[TRUNCATED, TIMEOUT];
    let cases: [(&str, u32, &[&str]); 4] = [
        ("delay=10s", 1, &[TIMEOUT]),
        ("delay=10s", 3, &[TIMEOUT]),
        ("drip=500ms", 1, drip),
        ("drip=500ms", 3, drip),
    ];
    for (spec, attempts, expected) in cases {
        for op in OPS {
            env.sandbox
                .faults()
                .set_always(op.route(), Some(spec.parse().unwrap()));
        }
        let client = |op| call_with(&env, op, policy(attempts), transport());
        let started = Instant::now();
        let (a, b, c) = tokio::join!(
            client(Op::CardRef),
            client(Op::CreateKey),
            client(Op::Tokenize)
        );
        let elapsed = started.elapsed();
        assert!(
            elapsed < deadline + SLACK,
            "{spec}, {attempts} attempts: {elapsed:?}"
        );
        for (op, result) in OPS.iter().zip([a, b, c]) {
            let got = describe(&result);
            assert!(
                expected.contains(&got.as_str()),
                "{spec}, {op:?}, {attempts} attempts: {got}"
            );
        }
    }
    env.sandbox.faults().clear();
}

/// The `x-paygate-fault` header selects a fault for one request, ahead of the queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_header_overrides_the_queue() {
    let env = env().await;
    let client = payneteasy(
        &env.sandbox,
        RetryPolicy::never(NEVER_DEADLINE),
        transport(),
    );
    env.sandbox
        .faults()
        .push(Op::CardRef.route(), Fault::CloseBeforeAnswer);
    let mut signed = client
        .sign_request::<CreateCardRef>(&ENDPOINT, &approved())
        .unwrap();
    signed
        .headers_mut()
        .insert(FAULT_HEADER, "status=503,retry-after=1".parse().unwrap());
    let response = client.transport().send(signed, None).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    // The queued fault is still there for the next request.
    let err = client
        .create_card_ref(&ENDPOINT, &approved())
        .await
        .unwrap_err();
    assert_eq!(describe(&Err::<(), _>(err)), LOST);
    assert_eq!(env.sandbox.faults_injected(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_attempts_reports_the_retries_of_the_last_call() {
    let env = env().await;
    // One transient fault: the call succeeds on its second attempt.
    env.sandbox
        .faults()
        .push(Op::CardRef.route(), "status=503".parse().unwrap());
    let (result, attempts) =
        paygate_client::count_attempts(call(&env, Op::CardRef, quick_retries())).await;
    assert!(result.is_ok(), "{}", describe(&result));
    assert_eq!(attempts, 2);
    // A standing fault: every attempt fails, the error comes after all three.
    env.sandbox
        .faults()
        .set_always(Op::CreateKey.route(), Some("status=503".parse().unwrap()));
    let (result, attempts) =
        paygate_client::count_attempts(call(&env, Op::CreateKey, quick_retries())).await;
    assert!(result.is_err());
    assert_eq!(attempts, 3);
    // No fault: one attempt. Nothing attempted: 0.
    env.sandbox.faults().clear();
    let (result, attempts) =
        paygate_client::count_attempts(call(&env, Op::CardRef, quick_retries())).await;
    assert!(result.is_ok());
    assert_eq!(attempts, 1);
    assert_eq!(paygate_client::count_attempts(async {}).await.1, 0);
}
