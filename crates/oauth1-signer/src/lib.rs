//! Sans-IO OAuth 1.0a request signing and verification (RFC 5849).
//!
//! No I/O, no clock and no random numbers in the core API: the nonce and the timestamp are
//! inputs, and signing returns what to put on the request (the `Authorization` header value)
//! together with every intermediate step (normalized parameters, base string, signature), so
//! tests can pin inputs and assert exact outputs.
//!
//! # Quick start
//!
//! Sign Payneteasy's `create-card-ref` example request with RSA-SHA256:
//!
//! ```
//! # #[cfg(feature = "aws-lc-rs")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oauth1_signer::{OAuthParams, Request, RequestUrl, RsaPrivateKey, sign};
//!
//! # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/keys/rsa4096-pkcs1.pem"))?;
//! let key = RsaPrivateKey::from_pem(&pem)?; // PKCS#1 or PKCS#8, PEM or DER
//! let url = RequestUrl::parse("https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915")?;
//! let body = "client_orderid=34T43R77N&orderid=6868305";
//! let request = Request::new("POST", url)
//!     .with_body(Some("application/x-www-form-urlencoded"), body.as_bytes());
//! let params = OAuthParams::new("TestMerchant", "KT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q", 1673335450);
//!
//! let signed = sign(&request, &params, &key)?;
//! assert_eq!(
//!     signed.normalized_parameters,
//!     "client_orderid=34T43R77N&oauth_consumer_key=TestMerchant\
//!      &oauth_nonce=KT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q&oauth_signature_method=RSA-SHA256\
//!      &oauth_timestamp=1673335450&oauth_version=1.0&orderid=6868305"
//! );
//! assert_eq!(
//!     signed.base_string,
//!     "POST&https%3A%2F%2Fsandbox.payneteasy.com%2Fpaynet%2Fapi%2Fv4%2Fcreate-card-ref%2F39915\
//!      &client_orderid%3D34T43R77N%26oauth_consumer_key%3DTestMerchant\
//!      %26oauth_nonce%3DKT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q%26oauth_signature_method%3DRSA-SHA256\
//!      %26oauth_timestamp%3D1673335450%26oauth_version%3D1.0%26orderid%3D6868305"
//! );
//! assert!(signed.signature_base64().starts_with("QcRepIi5n6dpO9LMDk2KHHrMIxNVH6JSeIFccA1jfaLu"));
//! assert_eq!(
//!     signed.authorization(),
//!     format!(
//!         "OAuth oauth_consumer_key=\"TestMerchant\", oauth_nonce=\"KT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q\", \
//!          oauth_signature=\"{}\", oauth_signature_method=\"RSA-SHA256\", \
//!          oauth_timestamp=\"1673335450\", oauth_version=\"1.0\"",
//!         oauth1_signer::percent_encode(signed.signature_base64()),
//!     )
//! );
//!
//! // The receiving side: parse the header and verify with the public key.
//! use oauth1_signer::{AuthorizationHeader, VerifyPolicy, verify};
//! let header = AuthorizationHeader::parse(signed.authorization())?;
//! let policy = VerifyPolicy::new(1673335460, 300); // now, allowed skew
//! let verified = verify(&request, &header, &key.public_key(), &policy)?;
//! assert_eq!(verified.consumer_key, "TestMerchant");
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "aws-lc-rs"))]
//! # fn main() {}
//! ```
//!
//! # Design
//!
//! - [`RequestUrl`] is a URL **as sent on the wire** (already percent-encoded); plain values go
//!   in [`OAuthParams`] or through [`form_urlencode`]. The two cannot be confused.
//! - Base string (§3.4.1): scheme and host lower-cased, only the scheme's default port dropped,
//!   empty path → `/`, the path taken exactly as sent and encoded again, query and fragment
//!   removed; the authority can be overridden ([`Request::with_authority`]).
//! - Parameters: the query (form-decoded: `+` is a space, bare `name` is `(name, "")`), the body
//!   only when its content type is `application/x-www-form-urlencoded` (case-insensitive,
//!   parameters such as `; charset=UTF-8` ignored), and the protocol parameters. Decoding is to
//!   bytes (`%FF` stays a byte), duplicates are kept, sorting is by encoded name then encoded
//!   value, byte-wise. The base string is built in one pre-sized `String`.
//! - Methods: RSA-SHA256 (primary), RSA-SHA1, RSA-SHA512, HMAC-SHA1, HMAC-SHA256, PLAINTEXT,
//!   behind two small traits ([`SigningKey`], [`VerifyingKey`]) so an HSM or KMS can plug in.
//! - [`verify`] reports which check failed ([`VerifyError`]); time and replay checks take the
//!   clock and a [`NonceStore`] through [`VerifyPolicy`].
//! - Hostile input is bounded: [`AuthorizationHeader::parse`] is linear and applies
//!   [`HeaderLimits`] (total length, parameter count, value length); [`verify`] refuses a nonce
//!   over [`VerifyPolicy::max_nonce_bytes`]; [`MemoryNonceStore`] is bounded by count and bytes
//!   and, when full, forgets the oldest timestamps rather than locking clients out.
//!
//! Decisions where RFC 5849 is silent: a request whose query or form body already carries an
//! `oauth_*` protocol parameter is refused (each may appear once); `oauth_timestamp` and
//! `oauth_nonce` are required for every method, PLAINTEXT included; `realm` is percent-encoded
//! in the header like every other value; `oauth_body_hash` is ignored for form bodies when
//! signing and refused on them when verifying.
//!
//! # Replay protection in two steps (shared and asynchronous stores)
//!
//! [`verify`] with a [`NonceStore`] in the policy does everything in one synchronous call. A
//! verifier behind a load balancer needs a replay cache shared by its instances, reached over
//! the network: verification then stays synchronous and I/O-free, and hands back what the
//! replay check needs ([`Verified::nonce_claim`]: consumer key, nonce, timestamp and how long
//! to remember it); claiming it in a store is a separate step, synchronous for
//! [`MemoryNonceStore::claim`] and asynchronous through [`AsyncNonceStore`] and
//! [`claim_nonce`]. A store that cannot answer fails closed with
//! [`VerifyError::ReplayCheckUnavailable`]: the request is refused, never accepted.
//!
//! ```
//! # #[cfg(feature = "aws-lc-rs")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oauth1_signer::{
//!     AsyncNonceStore, AuthorizationHeader, MemoryNonceStore, OAuthParams, Request, RequestUrl,
//!     RsaPrivateKey, VerifyError, VerifyPolicy, claim_nonce, sign, verify_without_replay,
//! };
//! # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/keys/rsa4096-pkcs1.pem"))?;
//! let key = RsaPrivateKey::from_pem(&pem)?;
//! let url = RequestUrl::parse("https://sandbox.payneteasy.com/paynet/api/v4/status/39915")?;
//! let request = Request::new("POST", url);
//! let signed = sign(&request, &OAuthParams::new("TestMerchant", "n-1", 1673335450), &key)?;
//! let header = AuthorizationHeader::parse(signed.authorization())?;
//! let policy = VerifyPolicy::new(1673335460, 300);
//!
//! // Step 1, synchronous and I/O-free: everything but the replay check.
//! let verified = verify_without_replay(&request, &header, &key.public_key(), &policy)?;
//!
//! // Step 2a, synchronous: an in-process store.
//! let memory = MemoryNonceStore::default();
//! memory.claim(&verified.nonce_claim())?;
//! assert!(matches!(memory.claim(&verified.nonce_claim()), Err(VerifyError::ReplayedNonce)));
//!
//! // Step 2b, asynchronous: any `AsyncNonceStore` (such as the Redis store of the
//! // `oauth1-nonce-redis` crate), awaited on the service's runtime.
//! let shared: &dyn AsyncNonceStore = &MemoryNonceStore::default();
//! # let block_on = |f| poll_once(f);
//! let first = block_on(Box::pin(claim_nonce(shared, verified.nonce_claim())));
//! assert!(first.is_ok());
//! # fn poll_once<F: std::future::Future + Unpin>(mut f: F) -> F::Output {
//! #     // The memory store answers at once: one poll with a no-op waker completes it.
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     match std::pin::Pin::new(&mut f).poll(&mut cx) {
//! #         std::task::Poll::Ready(out) => out,
//! #         std::task::Poll::Pending => unreachable!("the memory store never waits"),
//! #     }
//! # }
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "aws-lc-rs"))]
//! # fn main() {}
//! ```
//!
//! # Crate features
//!
//! - `std` (default): [`generate_nonce`] (32 alphanumerics from `getrandom`) and
//!   [`unix_timestamp_now`]. The rest of the crate never reads the clock or the OS RNG (the
//!   crate itself always links `std`).
//! - `aws-lc-rs` (default): RSA through `aws-lc-rs`, constant-time and fast; keys of 2048–8192
//!   bits; RSA-SHA1 can be verified but not signed.
//! - `rsa`: RSA through RustCrypto's pure-Rust `rsa` 0.9 ([`Backend::RustCrypto`]); keys of
//!   1024–8192 bits, all three RSA methods. **Security:** `rsa` is affected by
//!   [RUSTSEC-2023-0071](https://rustsec.org/advisories/RUSTSEC-2023-0071) (“Marvin”, a timing
//!   side channel in private-key operations, no fixed release). This crate signs only through the
//!   blinded `sign_with_rng` path with the OS CSPRNG, which narrows but does not remove the
//!   exposure; prefer `aws-lc-rs` for signing in production, and never let an attacker measure
//!   many of your signing operations with the `rsa` back end.
//! - `http`: [`sign_http_request`] signs an `http::Request` and inserts the header.
//! - `fuzzing`: the hidden `fuzzing` module used by `fuzz/`.
//!
//! With no default features the crate builds with HMAC-SHA1/256 and PLAINTEXT only (RustCrypto
//! `hmac`, `sha1`, `sha2`, `subtle`).
//!
//! # Secrets
//!
//! Private keys, HMAC and PLAINTEXT keys have redacted `Debug` output and are zeroized on drop;
//! see [`RsaPrivateKey`] for exactly what is wiped by whom. Errors never contain key material.
//! [`VerifyError::SignatureMismatch`] carries the computed base string for diagnostics, but its
//! `Display` text does not include it.
// Items behind a feature that is off have no page to link to: point their links at the feature
// list instead, so the docs build without broken links in every feature combination.
#![cfg_attr(
    not(feature = "std"),
    doc = "\n\n[`generate_nonce`]: #crate-features\n[`unix_timestamp_now`]: #crate-features"
)]
#![cfg_attr(
    not(feature = "http"),
    doc = "\n\n[`sign_http_request`]: #crate-features"
)]
#![cfg_attr(
    not(feature = "rsa"),
    doc = "\n\n[`Backend::RustCrypto`]: #crate-features"
)]
#![cfg_attr(
    not(any(feature = "aws-lc-rs", feature = "rsa")),
    doc = "\n\n[`RsaPrivateKey`]: #crate-features"
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod base_string;
mod encoding;
mod error;
mod header;
mod keys;
mod method;
mod params;
mod request;
mod sign;
mod verify;

#[cfg(feature = "std")]
mod convenience;
#[cfg(feature = "http")]
mod http_adapter;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use base_string::normalize_parameters;
pub use encoding::{
    BadEscape, form_decode, form_urlencode, is_form_content_type, percent_decode, percent_encode,
    percent_encode_into, percent_encoded_len,
};
pub use error::{BoxError, Error, HeaderError, KeyError, ReplayCheckUnavailable, VerifyError};
pub use header::{AuthorizationHeader, HeaderLimits};
pub use keys::{HmacAlgorithm, HmacKey, PlaintextKey, SigningKey, VerifyingKey};
pub use method::SignatureMethod;
pub use params::{Param, parse_form};
pub use request::{Request, RequestUrl};
pub use sign::{BodyHash, OAuthParams, Signed, sign};
pub use verify::{
    AsyncNonceStore, DEFAULT_MAX_NONCE_BYTES, MemoryNonceStore, NonceCheck, NonceCheckFuture,
    NonceClaim, NonceStore, Verified, VerifyPolicy, base_string_for_header, claim_nonce, verify,
    verify_without_replay,
};

#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "aws-lc-rs", feature = "rsa"))))]
pub use keys::rsa::{Backend, RsaPrivateKey, RsaPublicKey, RsaSigner, RsaVerifier};

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use convenience::{generate_nonce, unix_timestamp_now};
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use http_adapter::sign_http_request;
