//! Decoding the seed's create-card-ref success body: the codec's typed decode beside
//! `serde_urlencoded` into `Vec<(String, String)>` plus trimming every value (what existing
//! Payneteasy libraries do), measured in the same run.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paygate_benches::test_vector;
use payneteasy_codec::{DecodeLimits, decode_response_fields, decode_response_parts};
use payneteasy_proto::{CreateCardRef, Status};

fn seed_success() -> (String, String) {
    let cases: serde_json::Value =
        serde_json::from_str(&test_vector("payneteasy/responses.json")).expect("valid JSON");
    let case = cases
        .as_array()
        .expect("an array of cases")
        .iter()
        .find(|c| c["name"] == "seed_success")
        .expect("the seed_success case");
    (
        case["body"].as_str().expect("body").to_owned(),
        case["content_type"]
            .as_str()
            .expect("content_type")
            .to_owned(),
    )
}

fn decode(c: &mut Criterion) {
    let (body, content_type) = seed_success();
    let body = body.as_bytes();
    let limits = DecodeLimits::default();

    // Both sides must agree before their speed is compared.
    let typed =
        decode_response_parts::<CreateCardRef>(200, Some(&content_type), body, &limits).unwrap();
    assert_eq!(typed.status, Status::Approved);
    let mut baseline: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap();
    for (_, v) in &mut baseline {
        let n = v.trim_end().len();
        v.truncate(n);
    }
    assert_eq!(baseline.len(), 6);
    assert_eq!(baseline[5], ("status".to_owned(), "approved".to_owned()));

    let mut group = c.benchmark_group("payneteasy_decode");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("codec", |b| {
        b.iter(|| {
            decode_response_parts::<CreateCardRef>(
                200,
                Some(black_box(&content_type)),
                black_box(body),
                &limits,
            )
            .unwrap()
        });
    });
    group.bench_function("codec_fields", |b| {
        b.iter(|| {
            decode_response_fields(
                200,
                Some(black_box(&content_type)),
                black_box(body),
                &limits,
            )
            .unwrap()
        });
    });
    group.bench_function("serde_urlencoded_trim", |b| {
        b.iter(|| {
            let mut fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(black_box(body)).unwrap();
            for (_, v) in &mut fields {
                let n = v.trim_end().len();
                v.truncate(n);
            }
            fields
        });
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
