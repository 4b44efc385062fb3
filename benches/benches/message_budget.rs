//! The codecs' per-message budget: what encoding a request and decoding its answer costs, set
//! beside one RSA-2048 signature (the cost every Payneteasy call pays anyway), measured in the
//! same run. `cargo xtask bench` reports each as a share of the signature (target ≤ 2%).
//!
//! Every case does the client's codec work of one call: the request body from the typed
//! request, then the typed response from the answer's bytes (status, content type and body,
//! as the transport hands them over). Signing, card encryption and I/O are left out: they are
//! measured elsewhere.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use paygate_benches::test_vector;
use payneteasy_codec::{DecodeLimits, decode_response_parts, encode_request_body, encode_response};
use payneteasy_proto::{
    CreateCardRef, CreateCardRefRequest, Status, StatusCommand, StatusRequest, StatusResponse,
};
use paysecure_codec::{SuccessPolicy, decode_body, decode_response, encode};
use paysecure_proto::card::EncryptedCardData;
use paysecure_proto::{
    CardExpiration, CreateKey, CreateKeySession, CreateKeySessionRequest, Password,
    RequestorCredentials, TokenizeCard, TokenizeCardRequest, TokenizeCardResponse,
};

const FORM_ANSWER: &str = "text/html;charset=utf-8";

fn seed_success_body() -> String {
    let cases: serde_json::Value =
        serde_json::from_str(&test_vector("payneteasy/responses.json")).expect("valid JSON");
    cases
        .as_array()
        .expect("an array of cases")
        .iter()
        .find(|c| c["name"] == "seed_success")
        .and_then(|c| c["body"].as_str())
        .expect("the seed_success body")
        .to_owned()
}

/// A status answer with every modelled field and two unknown ones, as the gateway writes it.
fn full_status_body() -> String {
    let mut answer = StatusResponse::new(Status::Approved);
    answer.amount = Some("10.42".into());
    answer.currency = Some("EUR".into());
    answer.paynet_order_id = Some("6868305".into());
    answer.merchant_order_id = Some("34T43R77N".into());
    answer.serial_number = Some("00000000-0000-0000-0000-000002de3113".into());
    answer.card_ref_id = Some("1461608".into());
    answer.last_four_digits = Some("1111".into());
    answer.bin = Some("411111".into());
    answer
        .extra
        .push(("descriptor".into(), "paygate shop".into()));
    answer
        .extra
        .push(("processor-tx-id".into(), "PNTEST-6868305".into()));
    encode_response::<StatusCommand>(&answer).expect("encodes")
}

fn raw_rsa_2048() -> impl FnMut() -> Vec<u8> {
    let pem = test_vector("keys/rsa2048-pkcs1.pem");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("PEM body");
    let key = RsaKeyPair::from_der(&der).expect("key");
    let rng = SystemRandom::new();
    // The seed's create-card-ref base string is 300-odd bytes; the length barely matters to RSA.
    let message = vec![b'a'; 320];
    move || {
        let mut signature = vec![0u8; key.public_modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &rng, black_box(&message), &mut signature)
            .expect("raw sign");
        signature
    }
}

fn budget(c: &mut Criterion) {
    let limits = DecodeLimits::default();
    let policy = SuccessPolicy::default();

    let card_ref_request = CreateCardRefRequest::new("34T43R77N", "6868305").expect("valid");
    let card_ref_answer = seed_success_body();
    let status_request = StatusRequest::new("34T43R77N")
        .and_then(|r| r.with_orderid("6868305"))
        .expect("valid");
    let status_answer = full_status_body();

    let credentials =
        RequestorCredentials::new("merchant-1", "api-user", Password::new("pw"), "1.0")
            .expect("valid credentials");
    let create_key_request = CreateKeySessionRequest::new(credentials, Some(15));
    // The seed's shape (every member, stage times included) with a real key and no error: the
    // metadata page fills every member with the placeholder "String".
    let create_key_seed = test_vector("paysecure/createkey_response_seed.json");
    let mut session: CreateKeySession =
        decode_body(create_key_seed.trim_end_matches('\n').as_bytes()).expect("the seed decodes");
    session.key_id = Some("7a4c1f0e-2b7d-4c55-9a1e-0d6f3b2a9c81".into());
    session.modulus = Some(format!("C{}1", "F".repeat(510)));
    session.exponent = Some("010001".into());
    session.error_code = Some("0".into());
    session.error_message = None;
    let create_key_answer = encode(&session);
    // A 2048-bit ciphertext in base64 is 344 characters.
    let ciphertext = "QUJD".repeat(86);
    let tokenize_request = TokenizeCardRequest::new(
        EncryptedCardData {
            key_id: "key-1".into(),
            ciphertext: ciphertext.clone(),
        },
        CardExpiration::parse("1230").expect("valid"),
        Some(EncryptedCardData {
            key_id: "key-1".into(),
            ciphertext,
        }),
        Some(true),
    )
    .expect("one key");
    let tokenize_answer = encode(&TokenizeCardResponse {
        card_token: Some("tok_4111_9f2c1e".into()),
        card_last4: Some("1111".into()),
        card_bin: Some("411111".into()),
        card_expiration: Some("1230".into()),
        error_code: Some("0".into()),
        ..TokenizeCardResponse::default()
    });

    // Each case must do what it claims before it is timed.
    assert!(
        decode_response_parts::<CreateCardRef>(
            200,
            Some(FORM_ANSWER),
            card_ref_answer.as_bytes(),
            &limits
        )
        .expect("seed answer")
        .status
        .is_approved()
    );
    assert_eq!(
        decode_response_parts::<StatusCommand>(
            200,
            Some(FORM_ANSWER),
            status_answer.as_bytes(),
            &limits
        )
        .expect("status answer")
        .extra
        .len(),
        2
    );
    decode_response::<CreateKey>(200, Some("application/json"), &create_key_answer, &policy)
        .expect("seed CreateKey answer");
    decode_response::<TokenizeCard>(200, Some("application/json"), &tokenize_answer, &policy)
        .expect("TokenizeCard answer");

    let mut group = c.benchmark_group("message_budget");
    let mut sign = raw_rsa_2048();
    group.bench_function("raw_rsa_2048_sign", |b| b.iter(&mut sign));
    group.bench_function("payneteasy_create_card_ref", |b| {
        b.iter(|| {
            let body = encode_request_body::<CreateCardRef>(black_box(&card_ref_request))
                .expect("encodes");
            let answer = decode_response_parts::<CreateCardRef>(
                200,
                Some(FORM_ANSWER),
                black_box(card_ref_answer.as_bytes()),
                &limits,
            )
            .expect("decodes");
            (body, answer)
        })
    });
    group.bench_function("payneteasy_status", |b| {
        b.iter(|| {
            let body =
                encode_request_body::<StatusCommand>(black_box(&status_request)).expect("encodes");
            let answer = decode_response_parts::<StatusCommand>(
                200,
                Some(FORM_ANSWER),
                black_box(status_answer.as_bytes()),
                &limits,
            )
            .expect("decodes");
            (body, answer)
        })
    });
    group.bench_function("paysecure_create_key", |b| {
        b.iter(|| {
            let body = encode(black_box(&create_key_request));
            let answer = decode_response::<CreateKey>(
                200,
                Some("application/json"),
                black_box(&create_key_answer),
                &policy,
            )
            .expect("decodes");
            (body, answer)
        })
    });
    group.bench_function("paysecure_tokenize_card", |b| {
        b.iter(|| {
            let body = encode(black_box(&tokenize_request));
            let answer = decode_response::<TokenizeCard>(
                200,
                Some("application/json"),
                black_box(&tokenize_answer),
                &policy,
            )
            .expect("decodes");
            (body, answer)
        })
    });
    group.finish();
}

criterion_group!(benches, budget);
criterion_main!(benches);
