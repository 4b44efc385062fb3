//! The PaySecure client against the in-process sandbox, over loopback sockets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use paygate_client::paysecure::Clock;
use paygate_client::paysecure::PlainCard;
use paygate_client::{
    Error, NotSentReason, PaySecureClient, PaySecureConfig, RejectionKind, RetryPolicy, Transport,
    TransportConfig, UnreadableReason,
};
use paygate_sandbox::faults::Fault;
use paygate_sandbox::paysecure::{
    KEY_EXPIRED, KEY_NOT_FOUND, TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION,
};
use paygate_sandbox::{PaySecureSandboxConfig, Sandbox};
use paysecure_codec::card_crypto::{CardEncryptionKey, KeyEncoding};
use paysecure_proto::card::{Cvn, Pan};
use paysecure_proto::{CardExpiration, Password};

const PAN: &str = "4111111111111111";

/// A clock that starts now and moves only when told.
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

fn config(sandbox: &Sandbox, password: &str) -> PaySecureConfig {
    PaySecureConfig::from_parts(
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
    )
    .build()
    .unwrap()
}

fn client(sandbox: &Sandbox) -> PaySecureClient {
    PaySecureClient::with_transport_config(
        config(sandbox, TEST_PASSWORD),
        TransportConfig::default(),
    )
    .unwrap()
}

fn expiration() -> CardExpiration {
    CardExpiration::parse("1230").unwrap()
}

#[tokio::test]
async fn create_key_success() {
    let sandbox = sandbox().await;
    let before = SystemTime::now();
    let issued = client(&sandbox).create_key(Some(15)).await.unwrap();
    let after = SystemTime::now();

    let key_id = issued.session.key_id.as_deref().unwrap();
    assert_eq!(key_id.len(), 32);
    assert_eq!(issued.key.key_id(), key_id);
    assert_eq!(issued.key.bits(), 2048);
    assert_eq!(issued.session.exponent.as_deref(), Some("010001"));
    assert_eq!(
        issued.key.expires_at(),
        Some(issued.key.issued_at() + Duration::from_secs(15 * 60))
    );

    // The stage times that ran are real instants within the call; the others are "not set".
    let t = issued.session.timestamps.unwrap();
    let window = |d: paysecure_proto::WcfDate| {
        let at = d.to_system_time().unwrap();
        assert!(
            at + Duration::from_millis(1) >= before && at <= after,
            "{d} outside the call"
        );
    };
    for stage in [t.app_layer, t.card_encrypt, t.db_insert] {
        let stage = stage.unwrap();
        window(stage.in_time.unwrap());
        window(stage.out_time.unwrap());
    }
    assert!(t.network.unwrap().in_time.unwrap().is_unset());
    assert_eq!(sandbox.paysecure_stats().keys_issued, 1);
}

#[tokio::test]
async fn wrong_credentials_are_refused_without_retry() {
    let sandbox = sandbox().await;
    let client = PaySecureClient::with_transport_config(
        config(&sandbox, "not-the-password"),
        TransportConfig::default(),
    )
    .unwrap();
    let err = client.create_key(None).await.unwrap_err();
    match &err {
        Error::AuthenticationRefused { status, .. } => assert_eq!(*status, 401),
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains("not-the-password"));
    assert!(!format!("{err:?}").contains("not-the-password"));
    assert_eq!(sandbox.requests_served(), 1);
    assert_eq!(sandbox.paysecure_stats().authentication_failures, 1);
    assert_eq!(sandbox.paysecure_stats().keys_issued, 0);
}

#[tokio::test]
async fn missing_field_is_caught_by_client_and_server() {
    // The client refuses to build credentials with an empty member, before any I/O.
    let err = PaySecureConfig::from_parts("M", "U", Password::new(""), "1.0").unwrap_err();
    assert!(matches!(
        err,
        Error::NotSent {
            reason: NotSentReason::InvalidRequest,
            ..
        }
    ));
    assert!(err.to_string().contains("Password"));

    // The server answers a raw request without `Version` with 400 and the field name.
    let sandbox = sandbox().await;
    let transport = Transport::new(TransportConfig::default()).unwrap();
    let body = format!(
        r#"{{"Credentials":{{"MerchantId":"{TEST_MERCHANT_ID}","UserName":"{TEST_USER_NAME}","Password":"{TEST_PASSWORD}"}}}}"#
    );
    let request = http::Request::post(format!("{}/CreateKey", sandbox.paysecure_base_url()))
        .header("content-type", "application/json")
        .body(Bytes::from(body))
        .unwrap();
    let response = transport.send(request, None).await.unwrap();
    assert_eq!(response.status(), 400);
    let status = paysecure_codec::decode_error_response(response.body()).unwrap();
    assert_eq!(status.errors.len(), 1);
    assert_eq!(status.errors[0].field_name.as_deref(), Some("Version"));
    let text = std::str::from_utf8(response.body()).unwrap();
    assert!(!text.contains(TEST_PASSWORD), "{text}");
}

#[tokio::test]
async fn expired_key_is_a_validation_rejection_proved_not_processed() {
    let (sandbox_clock, advance) = manual_clock();
    let sandbox = sandbox_with(PaySecureSandboxConfig {
        clock: sandbox_clock,
        ..PaySecureSandboxConfig::default()
    })
    .await;
    let client = client(&sandbox);
    let issued = client.create_key(Some(1)).await.unwrap();
    advance.store(61, Ordering::Relaxed);
    let pan = Pan::new(PAN).unwrap();
    let err = client
        .tokenize_card_with_key(&issued.key, &PlainCard::new(pan.clone(), expiration()))
        .await
        .unwrap_err();
    match err {
        Error::Rejected(ref r) => {
            // A refused key proves the card was not processed (the key-refusal codes).
            assert_eq!(r.kind, RejectionKind::Validation);
            assert_eq!(err.outcome(), paygate_client::Outcome::NotProcessed);
            assert_eq!(r.code.as_deref(), Some(KEY_EXPIRED));
            assert_eq!(r.http_status, 200);
            assert!(r.message.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.paysecure_stats().tokenizations, 0);
    assert_eq!(sandbox.paysecure_stats().in_band_errors, 1);
}

#[tokio::test]
async fn unknown_key_is_a_validation_rejection_and_not_retried() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let issued = client.create_key(None).await.unwrap();
    let mut forged = issued.session.clone();
    forged.key_id = Some("NO-SUCH-KEY".into());
    let key =
        CardEncryptionKey::from_session(&forged, KeyEncoding::Auto, SystemTime::now()).unwrap();
    let served = sandbox.requests_served();
    let pan = Pan::new(PAN).unwrap();
    let err = client
        .tokenize_card_with_key(
            &key,
            &PlainCard::new(pan.clone(), expiration()).verify(false),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Rejected(r) if r.kind == RejectionKind::Validation && r.code.as_deref() == Some(KEY_NOT_FOUND)),
        "{err:?}"
    );
    assert_eq!(sandbox.requests_served(), served + 1);
    assert!(!err.to_string().contains(PAN));
}

#[tokio::test]
async fn card_round_trip_gives_last4_bin_and_a_stable_token() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let pan = Pan::new("4111-1111-1111-1111").unwrap();
    let cvn = Cvn::new("123").unwrap();
    let first = client
        .tokenize_card(
            &PlainCard::new(pan.clone(), expiration())
                .cvn(cvn.clone())
                .verify(true),
        )
        .await
        .unwrap();
    assert_eq!(first.card_last4.as_deref(), Some("1111"));
    assert_eq!(first.card_bin.as_deref(), Some("411111"));
    assert_eq!(first.card_expiration.as_deref(), Some("1230"));
    assert_eq!(first.response_code.as_deref(), Some("00"));
    let token = first.card_token.clone().unwrap();
    assert_eq!(token.len(), 64);
    assert!(!token.contains("4111111111111111"));

    let second = client
        .tokenize_card(&PlainCard::new(pan.clone(), expiration()))
        .await
        .unwrap();
    assert_eq!(second.card_token.as_deref(), Some(token.as_str()));

    let other = client
        .tokenize_card(&PlainCard::new(
            Pan::new("5555555555554444").unwrap(),
            expiration(),
        ))
        .await
        .unwrap();
    assert_ne!(other.card_token.as_deref(), Some(token.as_str()));
    assert_eq!(other.card_bin.as_deref(), Some("555555"));

    let stats = sandbox.paysecure_stats();
    assert_eq!(stats.tokenizations, 3);
    assert_eq!(stats.keys_issued, 1, "the cached key serves every call");
}

#[tokio::test]
async fn key_cache_refreshes_before_expiry() {
    let sandbox = sandbox().await;
    let (clock, advance) = manual_clock();
    let config = config(&sandbox, TEST_PASSWORD)
        .to_builder()
        .cache_ttl_minutes(2)
        .cache_refresh_margin(Duration::from_secs(60))
        .build()
        .unwrap();
    let client = PaySecureClient::with_transport_config(config, TransportConfig::default())
        .unwrap()
        .with_clock(clock);

    // Concurrent first callers share one fetch.
    let (a, b, c) = tokio::join!(
        client.cached_key(),
        client.cached_key(),
        client.cached_key()
    );
    let first = a.unwrap().key.key_id().to_owned();
    assert_eq!(b.unwrap().key.key_id(), first);
    assert_eq!(c.unwrap().key.key_id(), first);
    assert_eq!(sandbox.paysecure_stats().keys_issued, 1);

    advance.store(59, Ordering::Relaxed); // 61 s left: still fresh
    assert_eq!(client.cached_key().await.unwrap().key.key_id(), first);
    assert_eq!(sandbox.paysecure_stats().keys_issued, 1);

    advance.store(61, Ordering::Relaxed); // 59 s left: inside the margin, refresh
    let second = client.cached_key().await.unwrap();
    assert_ne!(second.key.key_id(), first);
    assert_eq!(sandbox.paysecure_stats().keys_issued, 2);
    assert_eq!(
        client.cached_key().await.unwrap().key.key_id(),
        second.key.key_id()
    );

    client.clear_cached_key().await;
    assert_ne!(
        client.cached_key().await.unwrap().key.key_id(),
        second.key.key_id()
    );
    assert_eq!(sandbox.paysecure_stats().keys_issued, 3);
}

#[tokio::test]
async fn create_key_is_retried_after_a_proxy_error_and_html_is_kept_as_excerpt() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    sandbox.faults().push(
        "CreateKey",
        Fault::Status {
            code: 503,
            with_body: true,
            retry_after: None,
        },
    );
    client.create_key(None).await.unwrap();
    assert_eq!(sandbox.requests_served(), 2);
    assert_eq!(sandbox.paysecure_stats().keys_issued, 1);

    // A 500 is not retried, and the error keeps what the body said.
    sandbox.faults().push(
        "CreateKey",
        Fault::Status {
            code: 500,
            with_body: true,
            retry_after: Some(2),
        },
    );
    match client.create_key(None).await.unwrap_err() {
        Error::ResponseUnreadable {
            status: Some(500),
            reason: UnreadableReason::UnexpectedStatus,
            retry_after,
            excerpt: Some(excerpt),
            ..
        } => {
            assert_eq!(retry_after, Some(Duration::from_secs(2)));
            assert!(excerpt.contains("Internal Server Error"), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }

    // Garbage on a 200 is malformed.
    sandbox.faults().push("CreateKey", Fault::Garbage);
    assert!(matches!(
        client.create_key(None).await.unwrap_err(),
        Error::ResponseUnreadable {
            reason: UnreadableReason::Malformed,
            ..
        }
    ));
}

#[tokio::test]
async fn tokenize_is_not_retried_once_maybe_sent() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    client.cached_key().await.unwrap();
    let served = sandbox.requests_served();
    sandbox
        .faults()
        .push("TokenizeCard", Fault::CloseBeforeAnswer);
    let err = client
        .tokenize_card(&PlainCard::new(Pan::new(PAN).unwrap(), expiration()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MaybeSent { .. }), "{err:?}");
    assert_eq!(sandbox.requests_served(), served + 1);
}
