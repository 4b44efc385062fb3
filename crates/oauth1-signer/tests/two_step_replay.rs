//! The two-step replay check (issue 15): synchronous, I/O-free verification that hands back a
//! claim, then a separate claim against a store — synchronous for the memory store,
//! asynchronous through `AsyncNonceStore` — failing closed when the store cannot answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use oauth1_signer::{
    AsyncNonceStore, AuthorizationHeader, HmacKey, MemoryNonceStore, NonceCheckFuture, NonceClaim,
    OAuthParams, ReplayCheckUnavailable, Request, RequestUrl, VerifyError, VerifyPolicy,
    claim_nonce, sign, verify, verify_without_replay,
};

/// Polls a future that completes without waiting (the stores below never wait).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = Box::pin(future);
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(&mut future).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the test stores answer at once"),
    }
}

fn header(request: &Request<'_>, key: &HmacKey, nonce: &str, ts: u64) -> AuthorizationHeader {
    let signed = sign(request, &OAuthParams::new("ck", nonce, ts), key).unwrap();
    AuthorizationHeader::parse(signed.authorization()).unwrap()
}

/// A store that cannot be reached, counting how often it was asked.
#[derive(Default)]
struct Unreachable {
    asked: AtomicUsize,
}

impl AsyncNonceStore for Unreachable {
    fn check_and_remember_async<'a>(&'a self, _claim: NonceClaim<'a>) -> NonceCheckFuture<'a> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        Box::pin(async {
            Err(ReplayCheckUnavailable::new(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            )))
        })
    }
}

#[test]
fn verify_without_replay_ignores_the_store_and_the_claim_is_separate() {
    let key = HmacKey::new("cs", "");
    let request = Request::new("GET", RequestUrl::parse("https://example.com/r").unwrap());
    let h = header(&request, &key, "abc", 1_000_000);
    let store = MemoryNonceStore::default();
    let policy = VerifyPolicy::new(1_000_000, 300).with_nonce_store(&store);

    let verified = verify_without_replay(&request, &h, &key, &policy).unwrap();
    assert!(store.is_empty(), "step 1 does not touch the store");
    // Again: still no replay check.
    verify_without_replay(&request, &h, &key, &policy).unwrap();

    store.claim(&verified.nonce_claim()).unwrap();
    assert!(matches!(
        store.claim(&verified.nonce_claim()),
        Err(VerifyError::ReplayedNonce)
    ));
    // The one-call form sees the claim made by the two-step form: same store, same verdicts.
    assert!(matches!(
        verify(&request, &h, &key, &policy),
        Err(VerifyError::ReplayedNonce)
    ));
}

#[test]
fn the_memory_store_answers_the_async_claim_like_the_sync_one() {
    let key = HmacKey::new("cs", "");
    let request = Request::new("GET", RequestUrl::parse("https://example.com/r").unwrap());
    let verified = verify_without_replay(
        &request,
        &header(&request, &key, "n", 1_000_000),
        &key,
        &VerifyPolicy::new(1_000_000, 300),
    )
    .unwrap();
    let store = MemoryNonceStore::new(100, 10);
    let shared: &dyn AsyncNonceStore = &store;
    ready(claim_nonce(shared, verified.nonce_claim())).unwrap();
    assert!(matches!(
        ready(claim_nonce(shared, verified.nonce_claim())),
        Err(VerifyError::ReplayedNonce)
    ));
    assert!(matches!(
        store.claim(&verified.nonce_claim()),
        Err(VerifyError::ReplayedNonce)
    ));
    // Verdicts other than a replay keep their meaning (too old for the window).
    store
        .claim(&NonceClaim {
            timestamp: 1_000_500,
            ..verified.nonce_claim()
        })
        .unwrap();
    assert!(matches!(
        ready(claim_nonce(shared, verified.nonce_claim())),
        Err(VerifyError::NonceTooOld {
            timestamp: 1_000_000,
            oldest_accepted: 1_000_400
        })
    ));
}

#[test]
fn an_unreachable_store_fails_closed_with_a_typed_error() {
    let key = HmacKey::new("cs", "");
    let request = Request::new("GET", RequestUrl::parse("https://example.com/r").unwrap());
    let verified = verify_without_replay(
        &request,
        &header(&request, &key, "n", 1_000_000),
        &key,
        &VerifyPolicy::new(1_000_000, 300),
    )
    .unwrap();
    let store = Unreachable::default();
    let err = ready(claim_nonce(&store, verified.nonce_claim())).unwrap_err();
    let VerifyError::ReplayCheckUnavailable(inner) = &err else {
        panic!("expected ReplayCheckUnavailable, got {err:?}");
    };
    let text = err.to_string();
    assert!(text.contains("replay check unavailable"), "{text}");
    assert!(text.contains("refused"), "{text}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the store's error is kept as the source"
    );
    assert_eq!(
        inner.reason().to_string(),
        std::io::Error::from(std::io::ErrorKind::ConnectionRefused).to_string()
    );
}

#[test]
fn the_nonce_bound_applies_before_any_store_is_asked() {
    let key = HmacKey::new("cs", "");
    let request = Request::new("GET", RequestUrl::parse("https://example.com/r").unwrap());
    let long = "n".repeat(300);
    let h = header(&request, &key, &long, 1_000_000);
    assert!(matches!(
        verify_without_replay(&request, &h, &key, &VerifyPolicy::new(1_000_000, 300)),
        Err(VerifyError::NonceTooLong { len: 300, .. })
    ));
}
