//! The PaySecure services after `TokenizeCard` against the in-process sandbox: BIN check,
//! initiate, capture, void, reverse, status by every identifier, key rotation and resolving
//! unknown outcomes with `TransactionStatus`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use paygate_client::paysecure::{Clock, PlainCard, Settled};
use paygate_client::{
    Error, Outcome, PaySecureClient, PaySecureConfig, RejectionKind, RetryPolicy, TransportConfig,
};
use paygate_sandbox::faults::Fault;
use paygate_sandbox::paysecure::{
    AMOUNT_EXCEEDS_AUTHORIZED, BIN_BILL_PAY_ONLY, BIN_ECOMMERCE_ONLY, BIN_FULL_PINLESS,
    BIN_NOT_FOUND, BIN_PIN_ONLY, CARD_NOT_ELIGIBLE, DUPLICATE_REFERENCE_KEY,
    INVALID_TRANSACTION_STATE, KEY_EXPIRED, PARTIAL_VOID_NOT_SUPPORTED, TEST_MERCHANT_ID,
    TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION, TRANSACTION_NOT_FOUND,
};
use paygate_sandbox::{PaySecureSandboxConfig, Sandbox};
use paysecure_proto::card::Pan;
use paysecure_proto::{
    Card, CardExpiration, Initiate, InitiateRequest, OriginalDataType, OriginalTransaction,
    Password, TransType,
};

fn manual_clock() -> (Clock, Arc<AtomicU64>) {
    let start = SystemTime::now();
    let offset = Arc::new(AtomicU64::new(0));
    let read = offset.clone();
    let clock: Clock = Arc::new(move || start + Duration::from_secs(read.load(Ordering::Relaxed)));
    (clock, offset)
}

async fn sandbox_with(config: PaySecureSandboxConfig) -> Sandbox {
    Sandbox::builder().paysecure(config).start().await.unwrap()
}

async fn sandbox() -> Sandbox {
    sandbox_with(PaySecureSandboxConfig::default()).await
}

fn client_with(
    sandbox: &Sandbox,
    password: &str,
    refusal_codes: Option<Vec<String>>,
) -> PaySecureClient {
    let mut builder = PaySecureConfig::from_parts(
        TEST_MERCHANT_ID,
        TEST_USER_NAME,
        Password::new(password),
        TEST_VERSION,
    )
    .unwrap()
    .base_url(sandbox.paysecure_base_url())
    .retry(
        RetryPolicy::builder()
            .base_delay(Duration::from_millis(20))
            .build()
            .unwrap(),
    );
    if let Some(codes) = refusal_codes {
        builder = builder.key_refusal_codes(codes);
    }
    PaySecureClient::with_transport_config(builder.build().unwrap(), TransportConfig::default())
        .unwrap()
}

fn client(sandbox: &Sandbox) -> PaySecureClient {
    client_with(sandbox, TEST_PASSWORD, None)
}

fn card(pan: &str) -> PlainCard {
    PlainCard::new(
        Pan::new(pan).unwrap(),
        CardExpiration::parse("1230").unwrap(),
    )
}

fn in_band_code(error: &Error) -> Option<&str> {
    match error {
        Error::Rejected(r) if r.kind == RejectionKind::InBand => r.code.as_deref(),
        _ => None,
    }
}

#[tokio::test]
async fn bin_check_answers_each_test_profile() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let full = client.bin_check(BIN_FULL_PINLESS.bin).await.unwrap();
    assert!(full.can_pinless_ecommerce() && full.can_recurring() && full.is_dual_message());
    assert!(full.supports_incremental_auth());
    let ecom = client.bin_check(BIN_ECOMMERCE_ONLY.bin).await.unwrap();
    assert!(ecom.can_pinless_ecommerce() && !ecom.can_recurring() && !ecom.is_dual_message());
    let bill = client.bin_check(BIN_BILL_PAY_ONLY.bin).await.unwrap();
    assert!(!bill.can_pinless_ecommerce() && bill.can_pinless_bill_pay() && bill.can_recurring());
    let pin = client.bin_check(BIN_PIN_ONLY.bin).await.unwrap();
    assert!(pin.can_internet_pin_debit() && !pin.can_pinless_ecommerce());
    let err = client.bin_check("999999").await.unwrap_err();
    assert_eq!(in_band_code(&err), Some(BIN_NOT_FOUND));
    assert!(matches!(
        client.bin_check("12").await.unwrap_err(),
        Error::NotSent { .. }
    ));
    assert_eq!(sandbox.paysecure_stats().bin_checks, 5);
}

#[tokio::test]
async fn initiate_capture_status_reverse() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let token = client
        .tokenize_card(&card(BIN_FULL_PINLESS.pan))
        .await
        .unwrap();
    let token = token.card_token.unwrap();
    let initiated = client
        .initiate_token(&token, None, 2500, "840", Some("order-1"))
        .await
        .unwrap();
    let tran_id = initiated.tran_id.unwrap();
    let accu_id = initiated.accu_id.unwrap();

    // Found by each of the four identifier types.
    let by_tran = OriginalTransaction::by_tran_id(&tran_id).unwrap();
    let history = client
        .transaction_status(by_tran.clone())
        .await
        .unwrap()
        .history
        .unwrap();
    assert_eq!(history.status.as_deref(), Some("Authorized"));
    assert_eq!(history.open_amount, Some(2500));
    let external = history.external_ids[0].clone();
    for original in [
        OriginalTransaction::by_reference_key("order-1").unwrap(),
        OriginalTransaction::new(OriginalDataType::ExternalId, external).unwrap(),
        OriginalTransaction::new(OriginalDataType::InternalTransactionId, accu_id).unwrap(),
    ] {
        let found = client
            .transaction_status(original)
            .await
            .unwrap()
            .history
            .unwrap();
        assert_eq!(found.tran_id.as_deref(), Some(tran_id.as_str()));
    }

    let err = client
        .pre_auth_capture(&tran_id, 2501, "840")
        .await
        .unwrap_err();
    assert_eq!(in_band_code(&err), Some(AMOUNT_EXCEEDS_AUTHORIZED));
    let captured = client
        .pre_auth_capture(&tran_id, 2000, "840")
        .await
        .unwrap();
    assert_eq!(captured.members.get_str("TranId"), Some(tran_id.as_str()));
    assert!(captured.timestamps.is_some());
    // Captured once.
    let err = client
        .pre_auth_capture(&tran_id, 1, "840")
        .await
        .unwrap_err();
    assert_eq!(in_band_code(&err), Some(INVALID_TRANSACTION_STATE));
    assert_eq!(err.outcome(), Outcome::Processed);
    let err = client
        .pre_auth_void(by_tran.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(in_band_code(&err), Some(INVALID_TRANSACTION_STATE));
    let history = client
        .transaction_status(by_tran.clone())
        .await
        .unwrap()
        .history
        .unwrap();
    assert_eq!(history.status.as_deref(), Some("Captured"));
    assert_eq!(
        (history.approved_amount, history.open_amount),
        (Some(2000), Some(0))
    );

    client.reverse(by_tran.clone()).await.unwrap();
    let err = client.reverse(by_tran.clone()).await.unwrap_err();
    assert_eq!(in_band_code(&err), Some(INVALID_TRANSACTION_STATE));
    let history = client
        .transaction_status(by_tran)
        .await
        .unwrap()
        .history
        .unwrap();
    assert_eq!(history.status.as_deref(), Some("Reversed"));

    let err = client
        .initiate_token(&token, None, 1, "840", Some("order-1"))
        .await
        .unwrap_err();
    assert_eq!(in_band_code(&err), Some(DUPLICATE_REFERENCE_KEY));
    let err = client
        .transaction_status(OriginalTransaction::by_tran_id("nope").unwrap())
        .await
        .unwrap_err();
    assert_eq!(in_band_code(&err), Some(TRANSACTION_NOT_FOUND));
    let stats = sandbox.paysecure_stats();
    assert_eq!(
        (stats.transactions, stats.captures, stats.reversals),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn initiate_with_ciphertext_then_void() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let initiated = client
        .initiate_card(&card(BIN_ECOMMERCE_ONLY.pan), 700, "840", None)
        .await
        .unwrap();
    let original = OriginalTransaction::by_tran_id(initiated.tran_id.unwrap()).unwrap();
    let err = client
        .pre_auth_void(original.clone(), Some(100))
        .await
        .unwrap_err();
    assert_eq!(in_band_code(&err), Some(PARTIAL_VOID_NOT_SUPPORTED));
    let voided = client
        .pre_auth_void(original.clone(), Some(700))
        .await
        .unwrap();
    assert_eq!(voided.response_code.as_deref(), Some("00"));
    let history = client
        .transaction_status(original)
        .await
        .unwrap()
        .history
        .unwrap();
    assert_eq!(history.status.as_deref(), Some("Voided"));
    // A card that is not pinless e-commerce is refused.
    let err = client
        .initiate_card(&card(BIN_BILL_PAY_ONLY.pan), 700, "840", None)
        .await
        .unwrap_err();
    assert_eq!(in_band_code(&err), Some(CARD_NOT_ELIGIBLE));
}

#[tokio::test]
async fn every_service_refuses_unknown_credentials() {
    let sandbox = sandbox().await;
    let client = client_with(&sandbox, "wrong", None);
    let original = OriginalTransaction::by_tran_id("T").unwrap();
    let errors = [
        client.bin_check("411111").await.unwrap_err(),
        client
            .transaction_status(original.clone())
            .await
            .unwrap_err(),
        client.pre_auth_capture("T", 1, "840").await.unwrap_err(),
        client
            .pre_auth_void(original.clone(), None)
            .await
            .unwrap_err(),
        client.reverse(original).await.unwrap_err(),
        client
            .initiate_token("t", None, 1, "840", None)
            .await
            .unwrap_err(),
    ];
    for e in errors {
        assert!(
            matches!(e, Error::AuthenticationRefused { status: 401, .. }),
            "{e:?}"
        );
    }
}

/// The gateway refuses the cached key as expired (its clock runs ahead of the client's): the
/// refusal proves nothing was processed, so the card is encrypted under a fresh key and
/// sent once more. Without the rotation (no refusal codes configured) the call fails.
#[tokio::test]
async fn a_key_refused_as_expired_is_rotated_and_the_card_sent_again() {
    let (sandbox_clock, advance) = manual_clock();
    let sandbox = sandbox_with(PaySecureSandboxConfig {
        clock: sandbox_clock,
        ..PaySecureSandboxConfig::default()
    })
    .await;
    let client = client(&sandbox);
    client.cached_key().await.unwrap();
    advance.store(16 * 60, Ordering::Relaxed);
    let token = client
        .tokenize_card(&card(BIN_FULL_PINLESS.pan))
        .await
        .unwrap();
    assert!(token.card_token.is_some());
    let stats = sandbox.paysecure_stats();
    assert_eq!(
        (stats.keys_issued, stats.tokenizations, stats.in_band_errors),
        (2, 1, 1)
    );

    // Initiate with ciphertext rotates the same way.
    advance.store(32 * 60, Ordering::Relaxed);
    client
        .initiate_card(&card(BIN_FULL_PINLESS.pan), 100, "840", None)
        .await
        .unwrap();
    assert_eq!(sandbox.paysecure_stats().keys_issued, 3);

    // The same refusal without rotation: a validation rejection, outcome not processed.
    let plain = client_with(&sandbox, TEST_PASSWORD, Some(Vec::new()));
    plain.cached_key().await.unwrap();
    advance.store(48 * 60, Ordering::Relaxed);
    let err = plain
        .tokenize_card(&card(BIN_FULL_PINLESS.pan))
        .await
        .unwrap_err();
    assert_eq!(in_band_code(&err), Some(KEY_EXPIRED));
    let rotating = client_with(&sandbox, TEST_PASSWORD, None);
    rotating.cached_key().await.unwrap();
    advance.store(64 * 60, Ordering::Relaxed);
    // `rotating`'s key is refused, its error (had it not rotated) is provably not processed.
    let token = rotating
        .tokenize_card(&card(BIN_FULL_PINLESS.pan))
        .await
        .unwrap();
    assert!(token.card_token.is_some());
}

/// The refused key is rotated once; when the second send's outcome is unknown (the
/// connection closes after the gateway acted), the card is not sent a third time.
#[tokio::test]
async fn a_card_is_never_sent_twice_when_the_outcome_is_unknown() {
    let (sandbox_clock, advance) = manual_clock();
    let sandbox = sandbox_with(PaySecureSandboxConfig {
        clock: sandbox_clock,
        ..PaySecureSandboxConfig::default()
    })
    .await;
    let client = client(&sandbox);
    client.cached_key().await.unwrap();

    // Unknown outcome at once: no rotation, no resend.
    sandbox
        .faults()
        .push("TokenizeCard", Fault::CloseBeforeAnswer);
    let served = sandbox.requests_served();
    let err = client
        .tokenize_card(&card(BIN_FULL_PINLESS.pan))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MaybeSent { .. }), "{err:?}");
    assert_eq!(err.outcome(), Outcome::Unknown);
    assert_eq!(sandbox.requests_served(), served + 1);
    assert_eq!(sandbox.paysecure_stats().keys_issued, 1);

    // Refused (expired) first, then the resend's answer is lost: two sends, never three.
    advance.store(16 * 60, Ordering::Relaxed);
    sandbox
        .faults()
        .push("TokenizeCard", Fault::Delay(Duration::ZERO));
    sandbox
        .faults()
        .push("TokenizeCard", Fault::CloseBeforeAnswer);
    let before = sandbox.paysecure_stats();
    let err = client
        .tokenize_card(&card(BIN_FULL_PINLESS.pan))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MaybeSent { .. }), "{err:?}");
    let after = sandbox.paysecure_stats();
    assert_eq!(after.keys_issued, before.keys_issued + 1);
    assert_eq!(after.in_band_errors, before.in_band_errors + 1);
    assert_eq!(
        after.tokenizations,
        before.tokenizations + 1,
        "the one resend ran"
    );
}

/// A money-moving call whose answer is lost is resolved with `TransactionStatus` (by its
/// `ReferenceKey`), never sent again.
#[tokio::test]
async fn an_unknown_initiate_is_resolved_by_reference_key() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let token = client
        .tokenize_card(&card(BIN_FULL_PINLESS.pan))
        .await
        .unwrap()
        .card_token
        .unwrap();
    let request = InitiateRequest::new(
        client.config().credentials().clone(),
        Card::token(token),
        None,
        900,
        "840",
        TransType::ECommerce,
    )
    .unwrap()
    .with_reference_key("order-lost");
    let lookup = OriginalTransaction::by_reference_key("order-lost").unwrap();

    sandbox.faults().push("Initiate", Fault::CloseBeforeAnswer);
    match client
        .resolve::<Initiate>(&request, lookup.clone())
        .await
        .unwrap()
    {
        Settled::Resolved { error, history } => {
            assert_eq!(error.outcome(), Outcome::Unknown);
            let history = history.expect("the gateway made the transaction");
            assert_eq!(history.transaction_amount, Some(900));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.paysecure_stats().transactions, 1, "sent once");

    // Lost before the handler ran (a proxy 502): nothing was made.
    let other = request.clone().with_reference_key("order-never");
    sandbox.faults().push(
        "Initiate",
        Fault::Status {
            code: 502,
            with_body: true,
            retry_after: None,
        },
    );
    let lookup = OriginalTransaction::by_reference_key("order-never").unwrap();
    match client.resolve::<Initiate>(&other, lookup).await.unwrap() {
        Settled::Resolved { history: None, .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.paysecure_stats().transactions, 1);

    // An answered call is just answered.
    let fresh = request.with_reference_key("order-2");
    let lookup = OriginalTransaction::by_reference_key("order-2").unwrap();
    assert!(matches!(
        client.resolve::<Initiate>(&fresh, lookup).await.unwrap(),
        Settled::Answered(_)
    ));
}
