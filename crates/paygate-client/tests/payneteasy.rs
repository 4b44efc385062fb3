//! The Payneteasy client against the paygate sandbox, over real loopback sockets.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use oauth1_signer::{RsaPrivateKey, SigningKey};
use paygate_client::{
    Error, MaybeSentReason, PayneteasyClient, PayneteasyConfig, RejectionKind, RetryPolicy,
    Transport, TransportConfig, UnreadableReason,
};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, DECLINED_CLIENT_ORDERID, ERR_ORDER_NOT_FINAL,
    ERR_ORDER_NOT_FOUND, PROCESSING_CLIENT_ORDERID, PROCESSING_ORDERID, TEST_ENDPOINT_GROUP_ID,
    TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN, TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::{Fault, PayneteasySandboxConfig, Sandbox};
use payneteasy_proto::{
    CreateCardRef, CreateCardRefRequest, Endpoint, Environment, Status, StatusRequest,
};

const ENDPOINT: Endpoint = Endpoint::Id(TEST_ENDPOINT_ID);

fn test_key() -> Arc<dyn SigningKey> {
    Arc::new(RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap())
}

fn other_key() -> Arc<dyn SigningKey> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/keys/other2048-pkcs1.pem"
    );
    Arc::new(RsaPrivateKey::from_pem(&std::fs::read_to_string(path).unwrap()).unwrap())
}

async fn sandbox(config: PayneteasySandboxConfig) -> Sandbox {
    Sandbox::builder()
        .payneteasy(config)
        .start()
        .await
        .expect("sandbox starts")
}

fn client_with(
    sandbox: &Sandbox,
    key: Arc<dyn SigningKey>,
    transport: TransportConfig,
    retry: RetryPolicy,
) -> PayneteasyClient {
    let env = Environment::custom(&sandbox.payneteasy_base_url()).unwrap();
    let config = PayneteasyConfig::builder(env, TEST_MERCHANT_LOGIN, key)
        .retry(retry)
        .build()
        .unwrap();
    PayneteasyClient::new(config, Transport::new(transport).unwrap())
}

fn client(sandbox: &Sandbox) -> PayneteasyClient {
    client_with(
        sandbox,
        test_key(),
        TransportConfig::default(),
        RetryPolicy::default(),
    )
}

fn approved_request() -> CreateCardRefRequest {
    CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_and_repeat_give_the_same_card_ref_made_once() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    let client = client(&sandbox);
    let first = client
        .create_card_ref(&ENDPOINT, &approved_request())
        .await
        .unwrap();
    assert_eq!(first.status, Status::Approved);
    assert_eq!(first.card_ref_id.as_deref(), Some("1461608"));
    assert_eq!(first.recurring_payment_id.as_deref(), Some("1491863"));
    let second = client
        .create_card_ref(&ENDPOINT, &approved_request())
        .await
        .unwrap();
    assert_eq!(second.card_ref_id, first.card_ref_id);
    assert_ne!(second.serial_number, first.serial_number);
    let stats = sandbox.payneteasy_stats();
    assert_eq!(stats.card_refs_created, 1);
    assert_eq!(stats.answered, 2);
    assert_eq!(stats.refused(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_login_is_signed_and_accepted() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    let env = Environment::custom(&sandbox.payneteasy_base_url()).unwrap();
    let config = PayneteasyConfig::builder(env, TEST_MERCHANT_LOGIN, test_key())
        .send_login(true)
        .build()
        .unwrap();
    let client = PayneteasyClient::new(config, Transport::new(TransportConfig::default()).unwrap());
    let response = client
        .create_card_ref(&ENDPOINT, &approved_request())
        .await
        .unwrap();
    assert!(response.status.is_approved());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_non_final_orders_are_rejected() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    let client = client(&sandbox);
    let unknown = CreateCardRefRequest::new("no-such-order", "1").unwrap();
    match client.create_card_ref(&ENDPOINT, &unknown).await {
        Err(Error::Rejected(r)) => {
            assert_eq!(r.kind, RejectionKind::Validation);
            assert_eq!(r.code.as_deref(), Some(ERR_ORDER_NOT_FOUND));
            assert_eq!(r.http_status, 200);
            assert!(r.reference.unwrap().starts_with("00000000-0000-0000-0000-"));
        }
        other => panic!("{other:?}"),
    }
    let processing =
        CreateCardRefRequest::new(PROCESSING_CLIENT_ORDERID, PROCESSING_ORDERID).unwrap();
    match client.create_card_ref(&ENDPOINT, &processing).await {
        Err(e @ Error::Rejected(_)) => {
            assert!(e.may_have_reached_gateway());
            let Error::Rejected(r) = e else {
                unreachable!()
            };
            assert_eq!(r.kind, RejectionKind::Processing);
            assert_eq!(r.code.as_deref(), Some(ERR_ORDER_NOT_FINAL));
            assert!(r.message.unwrap().contains("processing"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.payneteasy_stats().card_refs_created, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_is_refused_with_the_access_denied_page() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    let client = client_with(
        &sandbox,
        other_key(),
        TransportConfig::default(),
        RetryPolicy::default(),
    );
    match client.create_card_ref(&ENDPOINT, &approved_request()).await {
        Err(Error::AuthenticationRefused {
            status, excerpt, ..
        }) => {
            assert_eq!(status, 403);
            assert!(excerpt.contains("Access is denied"), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
    let stats = sandbox.payneteasy_stats();
    assert_eq!(
        stats.refused_bad_signature, 1,
        "authentication failures are not retried"
    );
    assert_eq!(stats.card_refs_created, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_request_is_refused() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    let client = client(&sandbox);
    let signed = client
        .sign_request::<CreateCardRef>(&ENDPOINT, &approved_request())
        .unwrap();
    let copy = {
        let mut builder = http::Request::builder()
            .method(signed.method().clone())
            .uri(signed.uri().clone());
        for (name, value) in signed.headers() {
            builder = builder.header(name, value);
        }
        builder.body(signed.body().clone()).unwrap()
    };
    let transport = client.transport();
    let first = transport.send(signed, None).await.unwrap();
    assert_eq!(first.status(), 200);
    let second = transport.send(copy, None).await.unwrap();
    assert_eq!(second.status(), 403);
    assert_eq!(second.headers()["content-type"], "text/html");
    assert!(
        std::str::from_utf8(second.body())
            .unwrap()
            .contains("Access is denied")
    );
    assert_eq!(sandbox.payneteasy_stats().refused_replayed_nonce, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_timestamp_is_refused() {
    // The sandbox's clock runs an hour ahead: the client's fresh timestamp looks stale.
    let config = PayneteasySandboxConfig {
        clock: Arc::new(|| SystemTime::now() + Duration::from_secs(3600)),
        ..PayneteasySandboxConfig::default()
    };
    let sandbox = sandbox(config).await;
    let err = client(&sandbox)
        .create_card_ref(&ENDPOINT, &approved_request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AuthenticationRefused { status: 403, .. }),
        "{err:?}"
    );
    assert_eq!(sandbox.payneteasy_stats().refused_stale_timestamp, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_endpoint_and_foreign_endpoints() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    let client = client(&sandbox);
    let response = client
        .create_card_ref(
            &Endpoint::Group(TEST_ENDPOINT_GROUP_ID),
            &approved_request(),
        )
        .await
        .unwrap();
    assert_eq!(response.card_ref_id.as_deref(), Some("1461608"));
    for foreign in [
        Endpoint::Id(TEST_ENDPOINT_ID + 1),
        Endpoint::Group(TEST_ENDPOINT_GROUP_ID + 1),
    ] {
        let err = client
            .create_card_ref(&foreign, &approved_request())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::AuthenticationRefused { .. }),
            "{err:?}"
        );
    }
    assert_eq!(sandbox.payneteasy_stats().refused_wrong_endpoint, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_orders_and_the_card_ref() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    let client = client(&sandbox);
    let ask = StatusRequest::new(APPROVED_CLIENT_ORDERID)
        .unwrap()
        .with_orderid(APPROVED_ORDERID)
        .unwrap();
    let before = client.status(&ENDPOINT, &ask).await.unwrap();
    assert_eq!(before.status, Status::Approved);
    assert_eq!(before.card_ref_id, None);
    assert_eq!(before.paynet_order_id.as_deref(), Some(APPROVED_ORDERID));
    assert_eq!(
        before.merchant_order_id.as_deref(),
        Some(APPROVED_CLIENT_ORDERID)
    );
    assert_eq!(before.last_four_digits.as_deref(), Some("1111"));
    assert_eq!(before.bin.as_deref(), Some("411111"));
    assert_eq!(
        (before.amount.as_deref(), before.currency.as_deref()),
        (Some("10.00"), Some("EUR"))
    );
    client
        .create_card_ref(&ENDPOINT, &approved_request())
        .await
        .unwrap();
    let after = client.status(&ENDPOINT, &ask).await.unwrap();
    assert_eq!(after.card_ref_id.as_deref(), Some("1461608"));

    // A decline is an answer, not an error: the caller decides.
    let declined = client
        .status(
            &ENDPOINT,
            &StatusRequest::new(DECLINED_CLIENT_ORDERID).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(declined.status, Status::Declined);
    assert!(declined.error_message.is_some());

    let unknown = client
        .status(&ENDPOINT, &StatusRequest::new("nope").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&unknown, Error::Rejected(r) if r.kind == RejectionKind::Validation),
        "{unknown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_retried_with_a_fresh_signature() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    // The gateway processes the first request, then the connection drops before the answer.
    sandbox
        .faults()
        .push("create-card-ref", Fault::CloseBeforeAnswer);
    let response = client(&sandbox)
        .create_card_ref(&ENDPOINT, &approved_request())
        .await
        .unwrap();
    assert!(response.status.is_approved());
    let stats = sandbox.payneteasy_stats();
    assert_eq!(stats.answered, 2);
    assert_eq!(stats.refused(), 0, "the retry was not a replay");
    assert_eq!(stats.card_refs_created, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_answer_is_refused_without_reading_it_all() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    // 4 GiB: reading it all would take far longer than the assertion allows.
    sandbox
        .faults()
        .push("create-card-ref", Fault::Oversized(4 << 30));
    let transport = TransportConfig::builder()
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();
    let client = client_with(
        &sandbox,
        test_key(),
        transport,
        RetryPolicy::never(Duration::from_secs(30)),
    );
    let started = Instant::now();
    let err = client
        .create_card_ref(&ENDPOINT, &approved_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseUnreadable {
                reason: UnreadableReason::TooLarge,
                status: Some(200),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out_as_maybe_sent() {
    let sandbox = sandbox(PayneteasySandboxConfig::default()).await;
    sandbox.faults().set_always(
        "create-card-ref",
        Some(Fault::Delay(Duration::from_secs(60))),
    );
    // One deadline for the call: the first of two attempts waits for its half (300 ms), the
    // retry for what is left.
    let transport = TransportConfig::default();
    let retry = RetryPolicy::builder()
        .max_attempts(2)
        .base_delay(Duration::from_millis(50))
        .max_delay(Duration::from_millis(100))
        .deadline(Duration::from_millis(600))
        .build()
        .unwrap();
    let client = client_with(&sandbox, test_key(), transport, retry);
    let started = Instant::now();
    let err = client
        .create_card_ref(&ENDPOINT, &approved_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::MaybeSent {
                reason: MaybeSentReason::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.class(), "maybe_sent");
    assert!(err.may_have_reached_gateway());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Both attempts reached the handler, each with its own nonce.
    let stats = sandbox.payneteasy_stats();
    assert_eq!((stats.answered, stats.refused()), (2, 0));
}
