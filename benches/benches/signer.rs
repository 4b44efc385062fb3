//! `oauth1-signer` beside raw RSA: the ratio of each pair is the signer's overhead.
//!
//! Groups (each pair in one group, measured in the same run):
//! - `sign_2048`, `sign_4096`: full signing of the seed's create-card-ref request
//!   (`payneteasy_create_card_ref_seed`) with `oauth1_signer` (aws-lc-rs back end) beside a raw
//!   aws-lc-rs RSA-SHA256 signature of the same base string, and the `rsa` back end.
//! - `base_string`: everything but the crypto (a no-op signer; a no-op verifier), and
//!   normalization alone.
//! - `verify_2048`, `verify_4096`: header parse + verify beside raw aws-lc-rs verification with
//!   a public key parsed once outside the loop (as `RsaPublicKey` does at load time), and the
//!   `rsa` back end.
//! - `header_parse`: `AuthorizationHeader::parse` of a normal signed header beside hostile ones
//!   made of many short distinct parameters (`p0="", p1="", …`): 5,000 and 40,000 parameters and
//!   a 400 KB header. With the default limits the hostile ones are refused;
//!   `short_params_40000_unlimited` parses the 40,000 parameters with every limit lifted.
#![allow(missing_docs)]

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oauth1_signer::{
    AuthorizationHeader, Backend, Error, HeaderLimits, OAuthParams, Request, RequestUrl,
    RsaPrivateKey, RsaPublicKey, SignatureMethod, SigningKey, VerifyPolicy, VerifyingKey,
    normalize_parameters, sign, verify,
};
use paygate_benches::test_vector;

const FORM: &str = "application/x-www-form-urlencoded";

struct Seed {
    url: String,
    body: String,
    consumer_key: String,
    nonce: String,
    timestamp: u64,
}

fn seed() -> Seed {
    let all: serde_json::Value =
        serde_json::from_str(&test_vector("oauth1/rsa_sha256.json")).expect("vectors");
    let case = all
        .as_array()
        .and_then(|cases| {
            cases
                .iter()
                .find(|c| c["name"] == "payneteasy_create_card_ref_seed")
        })
        .expect("seed case");
    let text = |field: &str| case[field].as_str().expect(field).to_owned();
    Seed {
        url: text("url"),
        body: text("body"),
        consumer_key: text("consumer_key"),
        nonce: text("nonce"),
        timestamp: text("timestamp").parse().expect("timestamp"),
    }
}

fn pem_der(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("PEM body")
}

/// A signer that does no crypto: measures base string and header construction alone.
struct NoCrypto;

impl SigningKey for NoCrypto {
    fn method(&self) -> SignatureMethod {
        SignatureMethod::RsaSha256
    }

    fn sign(&self, _base_string: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(vec![0u8; 256])
    }
}

/// A verifier that does no crypto: measures header parsing, parameter collection and the base
/// string alone (the work `verify` adds on top of the RSA check).
struct NoCryptoVerifier;

impl VerifyingKey for NoCryptoVerifier {
    fn method(&self) -> SignatureMethod {
        SignatureMethod::RsaSha256
    }

    fn verify(&self, _base_string: &[u8], _signature: &[u8]) -> Result<(), Error> {
        Ok(())
    }
}

fn bench_size(c: &mut Criterion, bits: usize) {
    let seed = seed();
    let private_pem = test_vector(&format!("keys/rsa{bits}-pkcs1.pem"));
    let public_pem = test_vector(&format!("keys/rsa{bits}-public.pem"));
    let url = RequestUrl::parse(&seed.url).expect("url");
    let request = Request::new("POST", url).with_body(Some(FORM), seed.body.as_bytes());
    let params = OAuthParams::new(&seed.consumer_key, &seed.nonce, seed.timestamp);

    let key = RsaPrivateKey::from_pem(&private_pem).expect("key");
    let rsa_key = RsaPrivateKey::from_pem_with(Backend::RustCrypto, &private_pem).expect("rsa key");
    let raw_key = RsaKeyPair::from_der(&pem_der(&private_pem)).expect("raw key");
    let signed = sign(&request, &params, &key).expect("sign");
    let base_string = signed.base_string.clone();
    let rng = SystemRandom::new();

    let mut group = c.benchmark_group(format!("sign_{bits}"));
    group.throughput(Throughput::Elements(1));
    group.bench_function("oauth1_signer", |b| {
        b.iter(|| sign(black_box(&request), &params, &key).expect("sign"))
    });
    group.bench_function("raw_aws_lc_rs", |b| {
        b.iter(|| {
            let mut signature = vec![0u8; raw_key.public_modulus_len()];
            raw_key
                .sign(
                    &RSA_PKCS1_SHA256,
                    &rng,
                    black_box(base_string.as_bytes()),
                    &mut signature,
                )
                .expect("raw sign");
            signature
        })
    });
    group.bench_function("oauth1_signer_rsa_backend", |b| {
        b.iter(|| sign(black_box(&request), &params, &rsa_key).expect("sign"))
    });
    group.finish();

    let public = RsaPublicKey::from_pem(&public_pem).expect("public key");
    let rsa_public =
        RsaPublicKey::from_pem_with(Backend::RustCrypto, &public_pem).expect("rsa public key");
    // Parsed once, like `RsaPublicKey` does at load time: both sides do the same RSA work per
    // call (no DER decoding, cached Montgomery context), so the ratio is the signer's overhead.
    let raw_public =
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_key().to_pkcs1_der())
            .expect("raw public key");
    let header_text = signed.authorization().to_owned();
    let policy = VerifyPolicy::signature_only();
    let mut group = c.benchmark_group(format!("verify_{bits}"));
    group.throughput(Throughput::Elements(1));
    group.bench_function("oauth1_signer", |b| {
        b.iter(|| {
            let header = AuthorizationHeader::parse(black_box(&header_text)).expect("header");
            verify(&request, &header, &public, &policy).expect("verify")
        })
    });
    group.bench_function("raw_aws_lc_rs", |b| {
        b.iter(|| {
            raw_public
                .verify_sig(black_box(base_string.as_bytes()), &signed.signature)
                .expect("raw verify")
        })
    });
    group.bench_function("oauth1_signer_rsa_backend", |b| {
        b.iter(|| {
            let header = AuthorizationHeader::parse(black_box(&header_text)).expect("header");
            verify(&request, &header, &rsa_public, &policy).expect("verify")
        })
    });
    group.finish();
}

fn signing(c: &mut Criterion) {
    bench_size(c, 2048);
    bench_size(c, 4096);
}

fn base_string(c: &mut Criterion) {
    let seed = seed();
    let url = RequestUrl::parse(&seed.url).expect("url");
    let request = Request::new("POST", url).with_body(Some(FORM), seed.body.as_bytes());
    let params = OAuthParams::new(&seed.consumer_key, &seed.nonce, seed.timestamp);
    let pairs = request.parameters();
    let mut group = c.benchmark_group("base_string");
    group.throughput(Throughput::Elements(1));
    group.bench_function("oauth1_signer_without_crypto", |b| {
        b.iter(|| sign(black_box(&request), &params, &NoCrypto).expect("sign"))
    });
    let key = RsaPrivateKey::from_pem(&test_vector("keys/rsa2048-pkcs1.pem")).expect("key");
    let header_text = sign(&request, &params, &key)
        .expect("sign")
        .authorization()
        .to_owned();
    let policy = VerifyPolicy::signature_only();
    group.bench_function("oauth1_signer_verify_without_crypto", |b| {
        b.iter(|| {
            let header = AuthorizationHeader::parse(black_box(&header_text)).expect("header");
            verify(&request, &header, &NoCryptoVerifier, &policy).expect("verify")
        })
    });
    group.bench_function("normalize_parameters", |b| {
        b.iter(|| normalize_parameters(black_box(&pairs)))
    });
    group.finish();
}

/// `OAuth p0="", p1="", …` with distinct names, at least `min_bytes` long or `params` parameters.
fn short_params_header(params: usize, min_bytes: usize) -> String {
    let mut text = String::from("OAuth ");
    let mut i = 0;
    while i < params || text.len() < min_bytes {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&format!("p{i}=\"\""));
        i += 1;
    }
    text
}

fn header_parse(c: &mut Criterion) {
    let seed = seed();
    let url = RequestUrl::parse(&seed.url).expect("url");
    let request = Request::new("POST", url).with_body(Some(FORM), seed.body.as_bytes());
    let params = OAuthParams::new(&seed.consumer_key, &seed.nonce, seed.timestamp);
    let key = RsaPrivateKey::from_pem(&test_vector("keys/rsa4096-pkcs1.pem")).expect("key");
    let normal = sign(&request, &params, &key)
        .expect("sign")
        .authorization()
        .to_owned();
    let mut group = c.benchmark_group("header_parse");
    group.throughput(Throughput::Elements(1));
    group.bench_function("normal_rsa4096", |b| {
        b.iter(|| AuthorizationHeader::parse(black_box(&normal)).expect("header"))
    });
    let cases = [
        ("short_params_5000", short_params_header(5_000, 0)),
        ("short_params_40000", short_params_header(40_000, 0)),
        ("short_params_400kb", short_params_header(0, 400_000)),
    ];
    for (name, text) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| AuthorizationHeader::parse(black_box(text)).is_ok())
        });
    }
    // With every limit lifted the whole header is read: linear (plus an O(n log n) duplicate
    // check), where the pairwise check took seconds.
    let (name, text) = &cases[1];
    group.bench_function(format!("{name}_unlimited"), |b| {
        b.iter(|| {
            AuthorizationHeader::parse_with_limits(black_box(text), &HeaderLimits::UNLIMITED)
                .expect("unique names")
        })
    });
    group.finish();
}

criterion_group!(benches, base_string, signing, header_parse);
criterion_main!(benches);
