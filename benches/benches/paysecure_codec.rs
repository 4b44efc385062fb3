//! Decoding and encoding the seed's `CreateKeySession` sample: the codec's typed,
//! case-insensitive decode (serde_json under the member-matching adapter) beside
//! `serde_json::from_slice::<serde_json::Value>` of the same bytes, measured in the same run.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paygate_benches::test_vector;
use paysecure_codec::{decode_body, encode};
use paysecure_proto::CreateKeySession;

fn decode(c: &mut Criterion) {
    let seed = test_vector("paysecure/createkey_response_seed.json");
    let body = seed.trim_end_matches('\n').as_bytes();

    // Both sides must see the same document before their speed is compared.
    let typed = decode_body::<CreateKeySession>(body).expect("the seed decodes");
    assert_eq!(encode(&typed), body);
    let value: serde_json::Value = serde_json::from_slice(body).expect("the seed is JSON");
    assert_eq!(value["KeyId"], "String");

    let mut group = c.benchmark_group("paysecure_decode");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("typed", |b| {
        b.iter(|| decode_body::<CreateKeySession>(black_box(body)).expect("decodes"))
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(body)).expect("parses"))
    });
    group.finish();

    let mut group = c.benchmark_group("paysecure_encode");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("typed", |b| b.iter(|| encode(black_box(&typed))));
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::to_vec(black_box(&value)).expect("writes"))
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
