//! The Redis nonce store against a real `redis-server` (see `support` for how one is found:
//! `PAYGATE_TEST_REDIS_URL`, else an own server, else skipped outside CI).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth1_nonce_redis::{RedisNonceError, RedisNonceStore, RedisNonceStoreConfig};
use oauth1_signer::{
    AsyncNonceStore, AuthorizationHeader, HmacKey, NonceCheck, NonceClaim, OAuthParams, Request,
    RequestUrl, VerifyError, VerifyPolicy, claim_nonce, sign, verify_without_replay,
};

async fn store(url: &str, prefix: &str) -> RedisNonceStore {
    RedisNonceStore::connect(
        RedisNonceStoreConfig::new(url)
            .unwrap()
            .prefix(prefix)
            .timeout(Duration::from_secs(2)),
    )
    .await
    .expect("connect to the test Redis")
}

fn claim<'a>(nonce: &'a str, remember_for_secs: u64) -> NonceClaim<'a> {
    NonceClaim {
        consumer_key: "merchant:one",
        nonce,
        timestamp: 1_700_000_000,
        remember_for_secs,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nonce_accepted_by_one_verifier_is_refused_by_another() {
    let Some(redis) = support::redis("a_nonce_accepted_by_one_verifier_is_refused_by_another")
    else {
        return;
    };
    let prefix = support::unique_prefix("two-verifiers");
    // Two verifier instances: each its own store and connection.
    let a = store(&redis.url(), &prefix).await;
    let b = store(&redis.url(), &prefix).await;

    let key = HmacKey::new("secret", "");
    let request = Request::new(
        "POST",
        RequestUrl::parse("https://gw.example/paynet/api/v4/status/1").unwrap(),
    );
    let now = oauth1_signer::unix_timestamp_now();
    let nonce = oauth1_signer::generate_nonce().unwrap();
    let signed = sign(&request, &OAuthParams::new("ck", &nonce, now), &key).unwrap();
    let header = AuthorizationHeader::parse(signed.authorization()).unwrap();
    let policy = VerifyPolicy::new(now, 300);

    let on_a = verify_without_replay(&request, &header, &key, &policy).unwrap();
    claim_nonce(&a, on_a.nonce_claim()).await.unwrap();
    let on_b = verify_without_replay(&request, &header, &key, &policy).unwrap();
    assert!(matches!(
        claim_nonce(&b, on_b.nonce_claim()).await,
        Err(VerifyError::ReplayedNonce)
    ));
    assert!(matches!(
        a.claim(&on_a.nonce_claim()).await,
        Err(VerifyError::ReplayedNonce)
    ));
    // Another consumer, or another prefix, is another namespace.
    let other_consumer = NonceClaim {
        consumer_key: "ck2",
        ..on_a.nonce_claim()
    };
    assert_eq!(
        b.check_and_remember(&other_consumer).await.unwrap(),
        NonceCheck::Fresh
    );
    let other_service = store(&redis.url(), &format!("{prefix}other:")).await;
    assert_eq!(
        other_service
            .check_and_remember(&on_a.nonce_claim())
            .await
            .unwrap(),
        NonceCheck::Fresh
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nonce_is_forgotten_after_the_window() {
    let Some(redis) = support::redis("a_nonce_is_forgotten_after_the_window") else {
        return;
    };
    let store = store(&redis.url(), &support::unique_prefix("window")).await;
    let claim = claim("short-lived", 1);
    assert_eq!(
        store.check_and_remember(&claim).await.unwrap(),
        NonceCheck::Fresh
    );
    assert_eq!(
        store.check_and_remember(&claim).await.unwrap(),
        NonceCheck::Replayed
    );
    // Remembered for one second (PX 1000): poll until Redis has expired it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        match store.check_and_remember(&claim).await.unwrap() {
            NonceCheck::Fresh => break,
            NonceCheck::Replayed => assert!(Instant::now() < deadline, "never forgotten"),
            other => panic!("unexpected verdict {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_verifiers_racing_on_one_nonce_accept_it_exactly_once() {
    let Some(redis) = support::redis("two_verifiers_racing_on_one_nonce_accept_it_exactly_once")
    else {
        return;
    };
    let prefix = support::unique_prefix("race");
    let a = Arc::new(store(&redis.url(), &prefix).await);
    let b = Arc::new(store(&redis.url(), &prefix).await);
    for round in 0..5 {
        let nonce = format!("raced-{round}");
        let mut tasks = Vec::new();
        for i in 0..200 {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let nonce = nonce.clone();
            tasks.push(tokio::spawn(async move {
                store.check_and_remember(&claim(&nonce, 60)).await.unwrap()
            }));
        }
        let mut fresh = 0;
        for task in tasks {
            match task.await.unwrap() {
                NonceCheck::Fresh => fresh += 1,
                NonceCheck::Replayed => {}
                other => panic!("unexpected verdict {other:?}"),
            }
        }
        assert_eq!(fresh, 1, "round {round}: accepted {fresh} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_run_fails_closed_and_recovers() {
    let Some(mut redis) = support::own_redis("redis_stopped_mid_run_fails_closed_and_recovers")
    else {
        return;
    };
    let store = RedisNonceStore::connect(
        RedisNonceStoreConfig::new(&redis.url())
            .unwrap()
            .timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap();
    assert_eq!(
        store
            .check_and_remember(&claim("before", 60))
            .await
            .unwrap(),
        NonceCheck::Fresh
    );

    redis.stop();
    // Every claim while Redis is gone is refused with the typed error; none is accepted.
    for i in 0..5 {
        let nonce = format!("while-down-{i}");
        let err = claim_nonce(&store, claim(&nonce, 60)).await.unwrap_err();
        let VerifyError::ReplayCheckUnavailable(unavailable) = &err else {
            panic!("expected ReplayCheckUnavailable, got {err:?}");
        };
        assert!(
            err.to_string().contains("replay check unavailable"),
            "{err}"
        );
        let reason = unavailable
            .reason()
            .downcast_ref::<RedisNonceError>()
            .expect("the Redis error is the reason");
        assert!(
            matches!(
                reason,
                RedisNonceError::Redis(_) | RedisNonceError::Timeout(_)
            ),
            "{reason:?}"
        );
    }

    redis.restart();
    // The connection manager reconnects: claims succeed again (within a few attempts).
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut attempts = 0;
    loop {
        attempts += 1;
        match store.check_and_remember(&claim("after", 60)).await {
            Ok(NonceCheck::Fresh) => break,
            Ok(other) => panic!("unexpected verdict {other:?}"),
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "no recovery after {attempts} attempts: {e}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    eprintln!("recovered after {attempts} attempt(s)");
    assert_eq!(
        store.check_and_remember(&claim("after", 60)).await.unwrap(),
        NonceCheck::Replayed
    );
}

#[tokio::test]
async fn an_unreachable_redis_fails_closed() {
    // A port nobody listens on (bound, then released).
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = RedisNonceStoreConfig::new(&format!("redis://127.0.0.1:{port}/")).unwrap();
    assert!(RedisNonceStore::connect(config.clone()).await.is_err());
    let lazy = RedisNonceStore::lazy(config).unwrap();
    let err = claim_nonce(&lazy, claim("n", 60)).await.unwrap_err();
    assert!(
        matches!(err, VerifyError::ReplayCheckUnavailable(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_hung_redis_fails_closed_after_the_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let store = RedisNonceStore::lazy(
        RedisNonceStoreConfig::new(&format!("redis://127.0.0.1:{port}/"))
            .unwrap()
            .timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let err = store.check_and_remember(&claim("n", 60)).await.unwrap_err();
    assert!(
        matches!(err, RedisNonceError::Timeout(_) | RedisNonceError::Redis(_)),
        "{err:?}"
    );
    let dyn_store: &dyn AsyncNonceStore = &store;
    assert!(
        dyn_store
            .check_and_remember_async(claim("n", 60))
            .await
            .is_err()
    );
    hold.abort();
}
