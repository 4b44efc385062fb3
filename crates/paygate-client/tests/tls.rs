//! The main scenarios of both gateways, each run twice: over plain HTTP on loopback and over
//! HTTPS with the sandbox's throwaway CA as the only trusted root. A client that does not
//! trust that CA never sends anything.

use oauth1_signer::{RsaPrivateKey, SigningKey};
use paygate_client::paysecure::PlainCard;
use paygate_client::{
    Error, NotSentReason, PaySecureClient, PaySecureConfig, PayneteasyClient, PayneteasyConfig,
    Roots, Transport, TransportConfig,
};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::paysecure::{TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION};
use paygate_sandbox::{PaySecureSandboxConfig, PayneteasySandboxConfig, Sandbox};
use payneteasy_proto::{CreateCardRefRequest, Endpoint, Environment, Status, StatusRequest};
use paysecure_proto::card::{Cvn, Pan};
use paysecure_proto::{CardExpiration, Password};
use std::sync::Arc;

const ENDPOINT: Endpoint = Endpoint::Id(TEST_ENDPOINT_ID);

/// A sandbox with both gateways, over HTTPS when `tls`.
async fn sandbox(tls: bool) -> Sandbox {
    let sandbox = Sandbox::builder()
        .tls(tls)
        .payneteasy(PayneteasySandboxConfig::default())
        .paysecure(PaySecureSandboxConfig::default())
        .start()
        .await
        .expect("sandbox starts");
    let scheme = if tls { "https://" } else { "http://" };
    assert!(sandbox.base_url().starts_with(scheme));
    assert_eq!(sandbox.ca_certificate_pem().is_some(), tls);
    sandbox
}

/// A transport trusting only the sandbox's CA (when it has one).
fn transport(sandbox: &Sandbox) -> Transport {
    let ca = sandbox
        .ca_certificate_pem()
        .map(|pem| pem.as_bytes().to_vec());
    let mut config = TransportConfig::builder().roots(Roots::None);
    if let Some(ca) = ca {
        config = config.extra_root_pem(ca);
    }
    Transport::new(config.build().unwrap()).unwrap()
}

fn payneteasy(
    sandbox: &Sandbox,
    key: Arc<dyn SigningKey>,
    transport: Transport,
) -> PayneteasyClient {
    let env = Environment::custom(&sandbox.payneteasy_base_url()).unwrap();
    PayneteasyClient::new(
        PayneteasyConfig::builder(env, TEST_MERCHANT_LOGIN, key)
            .build()
            .unwrap(),
        transport,
    )
}

fn paysecure(sandbox: &Sandbox, password: &str, transport: Transport) -> PaySecureClient {
    let config = PaySecureConfig::from_parts(
        TEST_MERCHANT_ID,
        TEST_USER_NAME,
        Password::new(password),
        TEST_VERSION,
    )
    .unwrap()
    .base_url(sandbox.paysecure_base_url())
    .build()
    .unwrap();
    PaySecureClient::new(config, transport)
}

fn merchant_key() -> Arc<dyn SigningKey> {
    Arc::new(RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap())
}

fn other_key() -> Arc<dyn SigningKey> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/keys/other2048-pkcs1.pem"
    );
    Arc::new(RsaPrivateKey::from_pem(&std::fs::read_to_string(path).unwrap()).unwrap())
}

/// Approved order → card ref; the repeat gets the same one; `status` reports it; a foreign
/// key is refused with 403. The URL signed includes the scheme, so this also proves the
/// client and the sandbox agree on `https` in the signature base string.
async fn payneteasy_main_scenario(tls: bool) {
    let sandbox = sandbox(tls).await;
    let client = payneteasy(&sandbox, merchant_key(), transport(&sandbox));
    let request = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap();
    let first = client.create_card_ref(&ENDPOINT, &request).await.unwrap();
    assert_eq!(first.status, Status::Approved);
    assert_eq!(first.card_ref_id.as_deref(), Some("1461608"));
    let again = client.create_card_ref(&ENDPOINT, &request).await.unwrap();
    assert_eq!(again.card_ref_id, first.card_ref_id);

    let ask = StatusRequest::new(APPROVED_CLIENT_ORDERID)
        .unwrap()
        .with_orderid(APPROVED_ORDERID)
        .unwrap();
    let status = client.status(&ENDPOINT, &ask).await.unwrap();
    assert_eq!(status.status, Status::Approved);
    assert_eq!(status.card_ref_id, first.card_ref_id);

    let intruder = payneteasy(&sandbox, other_key(), transport(&sandbox));
    match intruder.create_card_ref(&ENDPOINT, &request).await {
        Err(Error::AuthenticationRefused {
            status, excerpt, ..
        }) => {
            assert_eq!(status, 403);
            assert!(excerpt.contains("Access is denied"), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
    let stats = sandbox.payneteasy_stats();
    assert_eq!(stats.card_refs_created, 1);
    assert_eq!(stats.answered, 3);
    assert_eq!(stats.refused_bad_signature, 1);
    assert_eq!(stats.refused(), 1);
}

/// `CreateKey`, then a card tokenized under that key; wrong credentials are refused.
async fn paysecure_main_scenario(tls: bool) {
    let sandbox = sandbox(tls).await;
    let client = paysecure(&sandbox, TEST_PASSWORD, transport(&sandbox));
    let issued = client.create_key(Some(15)).await.unwrap();
    assert_eq!(issued.key.bits(), 2048);
    let pan = Pan::new("4111111111111111").unwrap();
    let cvn = Cvn::new("123").unwrap();
    let expiration = CardExpiration::parse("1230").unwrap();
    let first = client
        .tokenize_card_with_key(
            &issued.key,
            &PlainCard::new(pan.clone(), expiration)
                .cvn(cvn.clone())
                .verify(true),
        )
        .await
        .unwrap();
    assert_eq!(first.card_last4.as_deref(), Some("1111"));
    assert_eq!(first.card_bin.as_deref(), Some("411111"));
    assert_eq!(first.response_code.as_deref(), Some("00"));
    let again = client
        .tokenize_card_with_key(&issued.key, &PlainCard::new(pan.clone(), expiration))
        .await
        .unwrap();
    assert_eq!(again.card_token, first.card_token);

    let wrong = paysecure(&sandbox, "not-the-password", transport(&sandbox));
    assert!(matches!(
        wrong.create_key(None).await.unwrap_err(),
        Error::AuthenticationRefused { status: 401, .. }
    ));
    let stats = sandbox.paysecure_stats();
    assert_eq!(
        (
            stats.keys_issued,
            stats.tokenizations,
            stats.authentication_failures
        ),
        (1, 2, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payneteasy_over_http() {
    payneteasy_main_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payneteasy_over_https() {
    payneteasy_main_scenario(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paysecure_over_http() {
    paysecure_main_scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paysecure_over_https() {
    paysecure_main_scenario(true).await;
}

fn assert_tls_not_sent(err: &Error, what: &str) {
    assert!(
        matches!(
            err,
            Error::NotSent {
                reason: NotSentReason::Tls,
                ..
            }
        ),
        "{what}: {err:?}"
    );
    assert!(!err.may_have_reached_gateway(), "{what}");
    assert_eq!(err.class(), "not_sent");
}

/// Untrusted: the default Mozilla roots, an empty root store, and another sandbox's CA. Every
/// call fails in the handshake, as `NotSent(Tls)`, before any request reaches the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_trust_the_ca_never_sends() {
    let sandbox = sandbox(true).await;
    let stranger = Sandbox::builder().tls(true).start().await.unwrap();
    let other_ca = stranger.ca_certificate_pem().unwrap().as_bytes().to_vec();
    let configs = [
        ("webpki roots", TransportConfig::default()),
        (
            "no roots",
            TransportConfig::builder()
                .roots(Roots::None)
                .build()
                .unwrap(),
        ),
        (
            "another CA",
            TransportConfig::builder()
                .roots(Roots::None)
                .extra_root_pem(other_ca)
                .build()
                .unwrap(),
        ),
    ];
    for (what, config) in configs {
        let transport = Transport::new(config).unwrap();
        let err = payneteasy(&sandbox, merchant_key(), transport.clone())
            .create_card_ref(
                &ENDPOINT,
                &CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap(),
            )
            .await
            .unwrap_err();
        assert_tls_not_sent(&err, what);
        let err = paysecure(&sandbox, TEST_PASSWORD, transport)
            .create_key(None)
            .await
            .unwrap_err();
        assert_tls_not_sent(&err, what);
    }
    // The handshakes failed before any HTTP request reached the server.
    assert_eq!(sandbox.requests_served(), 0);
    assert_eq!(sandbox.payneteasy_stats().card_refs_created, 0);
    assert_eq!(sandbox.paysecure_stats().keys_issued, 0);
}
