//! Allocation discipline on the hot paths: heap allocations per signed request and per
//! decoded response, counted with dhat's heap profiler in testing mode (exact counts, not
//! timings). Prints one `ALLOCATIONS` line per path and writes
//! `target/criterion/allocations.json` for `cargo xtask bench`.
#![allow(missing_docs)]

use std::hint::black_box;

use oauth1_signer::{
    AuthorizationHeader, OAuthParams, Request, RequestUrl, RsaPrivateKey, VerifyPolicy, sign,
    verify,
};
use paygate_benches::{test_vector, workspace_root};
use payneteasy_codec::{DecodeLimits, decode_response_parts, encode_request};
use payneteasy_proto::{CreateCardRef, CreateCardRefRequest, Endpoint, Environment};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const FORM: &str = "application/x-www-form-urlencoded";
const ITERATIONS: u64 = 200;

/// Runs `f` once to warm up, then `ITERATIONS` times, and returns (blocks, bytes) per call.
fn per_call(mut f: impl FnMut()) -> (f64, f64) {
    f();
    let before = dhat::HeapStats::get();
    for _ in 0..ITERATIONS {
        f();
    }
    let after = dhat::HeapStats::get();
    (
        (after.total_blocks - before.total_blocks) as f64 / ITERATIONS as f64,
        (after.total_bytes - before.total_bytes) as f64 / ITERATIONS as f64,
    )
}

fn response_case(name: &str) -> (String, String) {
    let cases: serde_json::Value =
        serde_json::from_str(&test_vector("payneteasy/responses.json")).expect("JSON");
    let case = cases
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["name"] == name)
        .expect("case");
    (
        case["body"].as_str().expect("body").to_owned(),
        case["content_type"].as_str().unwrap_or("").to_owned(),
    )
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let key = RsaPrivateKey::from_pem(&test_vector("keys/rsa2048-pkcs1.pem")).expect("key");
    let public = key.public_key();
    let url = "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915";
    let body = "client_orderid=34T43R77N&orderid=6868305";
    let nonce = "KT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q";
    let mut results: Vec<(&str, (f64, f64))> = Vec::new();

    results.push((
        "oauth1_signer::sign (seed create-card-ref request, RSA-SHA256 2048)",
        per_call(|| {
            let request = Request::new("POST", RequestUrl::parse(url).expect("url"))
                .with_body(Some(FORM), body.as_bytes());
            let params = OAuthParams::new("TestMerchant", nonce, 1_673_335_450);
            black_box(sign(&request, &params, &key).expect("signs"));
        }),
    ));

    let request = Request::new("POST", RequestUrl::parse(url).expect("url"))
        .with_body(Some(FORM), body.as_bytes());
    let signed = sign(
        &request,
        &OAuthParams::new("TestMerchant", nonce, 1_673_335_450),
        &key,
    )
    .expect("signs");
    let header_text = signed.authorization().to_owned();
    results.push((
        "oauth1_signer::verify (header parse + base string + RSA verify)",
        per_call(|| {
            let header = AuthorizationHeader::parse(&header_text).expect("header");
            black_box(
                verify(&request, &header, &public, &VerifyPolicy::signature_only())
                    .expect("verifies"),
            );
        }),
    ));

    let card_ref = CreateCardRefRequest::new("34T43R77N", "6868305").expect("request");
    results.push((
        "payneteasy_codec::encode_request (typed request to signed http::Request)",
        per_call(|| {
            black_box(
                encode_request::<CreateCardRef>(
                    &Environment::Sandbox,
                    &Endpoint::Id(39915),
                    &card_ref,
                    "TestMerchant",
                    &key,
                    nonce,
                    1_673_335_450,
                )
                .expect("encodes"),
            );
        }),
    ));

    let (success_body, content_type) = response_case("seed_success");
    let limits = DecodeLimits::default();
    results.push((
        "payneteasy_codec::decode_response (seed success body to typed response)",
        per_call(|| {
            black_box(
                decode_response_parts::<CreateCardRef>(
                    200,
                    Some(&content_type),
                    success_body.as_bytes(),
                    &limits,
                )
                .expect("decodes"),
            );
        }),
    ));

    let seed = test_vector("paysecure/createkey_response_seed.json");
    let seed = seed.trim_end_matches('\n').as_bytes().to_vec();
    results.push((
        "paysecure_codec::decode_body::<CreateKeySession> (seed CreateKey response)",
        per_call(|| {
            black_box(
                paysecure_codec::decode_body::<paysecure_proto::CreateKeySession>(&seed)
                    .expect("decodes"),
            );
        }),
    ));

    let mut json = Vec::new();
    for (what, (blocks, bytes)) in &results {
        println!("ALLOCATIONS {what}: {blocks:.1} allocations, {bytes:.0} bytes per call");
        json.push(serde_json::json!({"what": what, "allocations": blocks, "bytes": bytes}));
    }
    let out = workspace_root().join("target/criterion/allocations.json");
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out, serde_json::to_string_pretty(&json).expect("json"))
        .unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
}
