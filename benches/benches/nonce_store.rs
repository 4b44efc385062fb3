//! The replay check: the in-memory store beside the Redis store (`oauth1-nonce-redis`) of a
//! local `redis-server`, named by `PAYGATE_TEST_REDIS_URL` (the bench prints that it skipped
//! the Redis figures when the variable is unset).
//!
//! Criterion groups:
//! - `nonce_claim/memory`, `nonce_claim/redis`: one claim of a fresh nonce, awaited (Redis:
//!   one `SET NX PX` round trip on loopback).
//! - `verified_request/memory_claim`, `verified_request/redis_claim`: RSA-2048 verification of
//!   the seed request (`verify_without_replay`) followed by the claim: the difference is the
//!   latency the shared store adds to each verified request.
//!
//! After criterion, when Redis is reachable, the bench prints a Markdown table (also written
//! to `target/nonce-store-bench.md`): the p50/p99 of 5,000 sequential verified requests with
//! each store, and the claims per second of 64 concurrent tasks for 2 s on a 2-worker runtime.
#![allow(missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use oauth1_nonce_redis::{RedisNonceStore, RedisNonceStoreConfig};
use oauth1_signer::{
    AsyncNonceStore, AuthorizationHeader, MemoryNonceStore, NonceClaim, OAuthParams, Request,
    RequestUrl, RsaPrivateKey, RsaPublicKey, VerifyPolicy, claim_nonce, sign,
    verify_without_replay,
};
use paygate_benches::test_vector;

const FORM: &str = "application/x-www-form-urlencoded";
const NOW: u64 = 1_700_000_000;

fn redis_url() -> Option<String> {
    std::env::var("PAYGATE_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime")
}

fn redis_store(rt: &tokio::runtime::Runtime, url: &str) -> RedisNonceStore {
    let prefix = format!("paygate-bench:{}:", std::process::id());
    rt.block_on(RedisNonceStore::connect(
        RedisNonceStoreConfig::new(url)
            .expect("url")
            .prefix(prefix)
            .timeout(Duration::from_secs(2)),
    ))
    .expect("connect to PAYGATE_TEST_REDIS_URL")
}

/// Fresh nonces: a counter, and a timestamp that moves every 1,000 claims so that the memory
/// store's window expires old entries instead of filling up.
struct Nonces(AtomicU64);

impl Nonces {
    fn next(&self) -> (String, u64) {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        (format!("bench-nonce-{n:016x}"), NOW + n / 1000)
    }
}

fn claim<'a>(nonce: &'a str, timestamp: u64) -> NonceClaim<'a> {
    // Remembered for 2 s: the Redis keys of a run expire soon after it.
    NonceClaim {
        consumer_key: "bench-merchant",
        nonce,
        timestamp,
        remember_for_secs: 2,
    }
}

/// The seed request signed with the 2048-bit test key, one header per nonce (made ahead).
struct Signed {
    request_url: String,
    body: String,
    headers: Vec<AuthorizationHeader>,
    key: RsaPublicKey,
}

fn signed_requests(count: usize, salt: &str) -> Signed {
    let private = RsaPrivateKey::from_pem(&test_vector("keys/rsa2048-pkcs1.pem")).expect("key");
    let request_url = "https://sandbox.payneteasy.com/paynet/api/v4/status/39915".to_owned();
    let body = "client_orderid=34T43R77N".to_owned();
    let url = RequestUrl::parse(&request_url).expect("url");
    let request = Request::new("POST", url).with_body(Some(FORM), body.as_bytes());
    let headers = (0..count)
        .map(|i| {
            let nonce = format!("{salt}-{i}");
            let signed = sign(
                &request,
                &OAuthParams::new("bench-merchant", &nonce, NOW),
                &private,
            )
            .expect("sign");
            AuthorizationHeader::parse(signed.authorization()).expect("header")
        })
        .collect();
    Signed {
        request_url,
        body,
        headers,
        key: private.public_key(),
    }
}

fn claims(c: &mut Criterion) {
    let mut group = c.benchmark_group("nonce_claim");
    group.throughput(Throughput::Elements(1));
    let memory = MemoryNonceStore::new(600, 1_000_000);
    let nonces = Nonces(AtomicU64::new(0));
    group.bench_function("memory", |b| {
        b.iter(|| {
            let (nonce, ts) = nonces.next();
            memory.claim(black_box(&claim(&nonce, ts))).expect("fresh")
        })
    });
    match redis_url() {
        Some(url) => {
            let rt = runtime(1);
            let redis = redis_store(&rt, &url);
            group.bench_function("redis", |b| {
                b.iter(|| {
                    let (nonce, ts) = nonces.next();
                    rt.block_on(redis.claim(black_box(&claim(&nonce, ts))))
                        .expect("fresh")
                })
            });
        }
        None => println!("nonce_claim/redis skipped: PAYGATE_TEST_REDIS_URL is not set"),
    }
    group.finish();

    // Verification plus the claim. Each iteration takes a fresh pre-signed header.
    let signed = signed_requests(4096, "criterion");
    let url = RequestUrl::parse(&signed.request_url).expect("url");
    let request = Request::new("POST", url).with_body(Some(FORM), signed.body.as_bytes());
    let policy = VerifyPolicy::new(NOW, 300);
    let mut group = c.benchmark_group("verified_request");
    group.throughput(Throughput::Elements(1));
    let next = AtomicU64::new(0);
    // The memory store forgets nothing inside the window: a header reused after 4,096
    // iterations would be a replay, so each pass over the headers gets its own store.
    let stores: Vec<MemoryNonceStore> = Vec::new();
    let stores = std::sync::Mutex::new(stores);
    group.bench_function("memory_claim", |b| {
        b.iter(|| {
            let i = next.fetch_add(1, Ordering::Relaxed) as usize;
            let mut stores = stores.lock().expect("lock");
            if i.is_multiple_of(signed.headers.len()) {
                stores.clear();
                stores.push(MemoryNonceStore::default());
            }
            let header = &signed.headers[i % signed.headers.len()];
            let verified =
                verify_without_replay(&request, header, &signed.key, &policy).expect("valid");
            stores[0].claim(&verified.nonce_claim()).expect("fresh")
        })
    });
    if let Some(url) = redis_url() {
        let rt = runtime(1);
        let redis = redis_store(&rt, &url);
        let pass = AtomicU64::new(0);
        group.bench_function("redis_claim", |b| {
            b.iter(|| {
                let i = pass.fetch_add(1, Ordering::Relaxed);
                let header = &signed.headers[(i as usize) % signed.headers.len()];
                let verified =
                    verify_without_replay(&request, header, &signed.key, &policy).expect("valid");
                // A header comes back every 4,096 iterations: claim under a per-pass
                // consumer key so that it is fresh again (the same one SET NX PX round trip).
                let pass_key = format!("bench-merchant-{}", i / signed.headers.len() as u64);
                let claim = NonceClaim {
                    consumer_key: &pass_key,
                    ..verified.nonce_claim()
                };
                rt.block_on(claim_nonce(&redis, claim)).expect("fresh")
            })
        });
    }
    group.finish();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// p50/p99 of sequential verified requests and concurrent claims per second.
fn report() {
    let Some(url) = redis_url() else {
        println!("nonce-store report skipped: PAYGATE_TEST_REDIS_URL is not set");
        return;
    };
    const REQUESTS: usize = 5_000;
    let rt = runtime(2);
    let redis = Arc::new(redis_store(&rt, &url));
    let memory = Arc::new(MemoryNonceStore::new(60, 1_000_000));
    let mut md = String::new();
    let _ = writeln!(
        md,
        "| store | verified requests (RSA-2048) | p50 | p99 | claim alone p50 | claim alone p99 |\n|---|---|---|---|---|---|"
    );
    let mut p50s = Vec::new();
    for (name, store) in [
        ("memory", memory.clone() as Arc<dyn AsyncNonceStore>),
        (
            "redis (loopback)",
            redis.clone() as Arc<dyn AsyncNonceStore>,
        ),
    ] {
        let signed = signed_requests(REQUESTS, name);
        let url = RequestUrl::parse(&signed.request_url).expect("url");
        let request = Request::new("POST", url).with_body(Some(FORM), signed.body.as_bytes());
        let policy = VerifyPolicy::new(NOW, 300);
        let (mut total, mut claim_only) = (Vec::new(), Vec::new());
        rt.block_on(async {
            for header in &signed.headers {
                let start = Instant::now();
                let verified =
                    verify_without_replay(&request, header, &signed.key, &policy).expect("valid");
                let before_claim = Instant::now();
                claim_nonce(&*store, verified.nonce_claim())
                    .await
                    .expect("fresh");
                total.push(start.elapsed());
                claim_only.push(before_claim.elapsed());
            }
        });
        total.sort();
        claim_only.sort();
        p50s.push((percentile(&total, 0.5), percentile(&total, 0.99)));
        let _ = writeln!(
            md,
            "| {name} | {REQUESTS} sequential | {} | {} | {} | {} |",
            micros(percentile(&total, 0.5)),
            micros(percentile(&total, 0.99)),
            micros(percentile(&claim_only, 0.5)),
            micros(percentile(&claim_only, 0.99)),
        );
    }
    if let [(m50, m99), (r50, r99)] = p50s[..] {
        let _ = writeln!(
            md,
            "\nAdded by the Redis claim per verified request: p50 +{}, p99 +{}.\n",
            micros(r50.saturating_sub(m50)),
            micros(r99.saturating_sub(m99)),
        );
    }

    let _ = writeln!(
        md,
        "| store | concurrent tasks | claims in 2 s | claims/s |\n|---|---|---|---|"
    );
    // Shared by every row: no row replays another's nonces.
    let nonces = Arc::new(Nonces(AtomicU64::new(1 << 40)));
    // A second Redis connection (another store) tells whether a pool would help.
    let second = Arc::new(redis_store(&rt, &url)) as Arc<dyn AsyncNonceStore>;
    for (name, stores) in [
        ("memory", vec![memory as Arc<dyn AsyncNonceStore>]),
        (
            "redis (loopback), one multiplexed connection",
            vec![redis.clone() as Arc<dyn AsyncNonceStore>],
        ),
        (
            "redis (loopback), two connections (tasks split between them)",
            vec![redis as Arc<dyn AsyncNonceStore>, second],
        ),
    ] {
        let done = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(2);
        let started = Instant::now();
        rt.block_on(async {
            let tasks: Vec<_> = (0..64)
                .map(|i| {
                    let store = stores[i % stores.len()].clone();
                    let (done, nonces) = (done.clone(), nonces.clone());
                    tokio::spawn(async move {
                        while Instant::now() < deadline {
                            let (nonce, ts) = nonces.next();
                            claim_nonce(&*store, claim(&nonce, ts))
                                .await
                                .expect("fresh");
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("task");
            }
        });
        let count = done.load(Ordering::Relaxed);
        let _ = writeln!(
            md,
            "| {name} | 64 | {count} | {:.0} |",
            count as f64 / started.elapsed().as_secs_f64()
        );
    }
    println!("\n{md}");
    // Read by `cargo xtask bench` for its replay-cache section of BENCHMARKS.md.
    let dir = paygate_benches::workspace_root().join("target");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("nonce-store-bench.md"), &md);
}

fn all(c: &mut Criterion) {
    claims(c);
    report();
}

criterion_group!(benches, all);
criterion_main!(benches);
