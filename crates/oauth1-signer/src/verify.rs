//! Verification: header + request + key + policy in, a typed verdict out.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use base64::Engine as _;
use sha2::Digest as _;

use crate::base_string::{Pairs, base_string};
use crate::encoding::Text;
use crate::request::Request;
use crate::sign::PROTOCOL_PARAMETERS;
use crate::{AuthorizationHeader, Error, SignatureMethod, VerifyError, VerifyingKey};

/// Remembers nonces to refuse replays. `check_and_remember` returns `false` for a replay (or
/// when the store cannot vouch for the request), `true` after remembering a fresh nonce.
pub trait NonceStore: Send + Sync {
    /// Atomically checks that `(consumer_key, timestamp, nonce)` is new and remembers it.
    fn check_and_remember(&self, consumer_key: &str, timestamp: u64, nonce: &str) -> bool;
}

#[derive(Default)]
struct NonceState {
    /// timestamp → (consumer key, nonce) pairs seen with it.
    by_timestamp: BTreeMap<u64, HashSet<(String, String)>>,
    len: usize,
    newest: u64,
}

/// An in-memory, thread-safe, bounded [`NonceStore`].
///
/// It keeps no clock: entries older than `window_secs` before the newest timestamp seen are
/// forgotten, and a request older than that is refused (the store can no longer prove it is
/// fresh). Pick `window_secs >= 2 * max_skew_secs` of your [`VerifyPolicy`]: any timestamp that
/// passes the skew check is then still inside the window. When `capacity` entries are held, new
/// nonces are refused (fail closed) until old ones expire.
pub struct MemoryNonceStore {
    window_secs: u64,
    capacity: usize,
    state: Mutex<NonceState>,
}

impl std::fmt::Debug for MemoryNonceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryNonceStore")
            .field("window_secs", &self.window_secs)
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl MemoryNonceStore {
    /// A store remembering nonces for `window_secs`, holding at most `capacity` of them.
    pub fn new(window_secs: u64, capacity: usize) -> Self {
        MemoryNonceStore {
            window_secs,
            capacity,
            state: Mutex::new(NonceState::default()),
        }
    }

    /// Number of nonces held.
    pub fn len(&self) -> usize {
        self.state.lock().map(|s| s.len).unwrap_or(0)
    }

    /// `true` when no nonce is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryNonceStore {
    /// A 10-minute window (for a 5-minute skew) and 100 000 entries.
    fn default() -> Self {
        MemoryNonceStore::new(600, 100_000)
    }
}

impl NonceStore for MemoryNonceStore {
    fn check_and_remember(&self, consumer_key: &str, timestamp: u64, nonce: &str) -> bool {
        // A poisoned lock only means another thread panicked mid-update; the map is still a
        // valid set of seen nonces, so keep using it rather than failing open or panicking.
        let mut state = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        state.newest = state.newest.max(timestamp);
        let cutoff = state.newest.saturating_sub(self.window_secs);
        if timestamp < cutoff {
            return false;
        }
        if state
            .by_timestamp
            .first_key_value()
            .is_some_and(|(&oldest, _)| oldest < cutoff)
        {
            let kept = state.by_timestamp.split_off(&cutoff);
            let dropped: usize = state.by_timestamp.values().map(HashSet::len).sum();
            state.by_timestamp = kept;
            state.len -= dropped;
        }
        let key = (consumer_key.to_owned(), nonce.to_owned());
        if state
            .by_timestamp
            .get(&timestamp)
            .is_some_and(|set| set.contains(&key))
        {
            return false;
        }
        if state.len >= self.capacity {
            return false;
        }
        state.by_timestamp.entry(timestamp).or_default().insert(key);
        state.len += 1;
        true
    }
}

/// What [`verify`] checks besides the signature. The clock is an input.
#[derive(Clone, Copy)]
pub struct VerifyPolicy<'a> {
    /// The verifier's current Unix time in seconds.
    pub now: u64,
    /// How far `oauth_timestamp` may be from `now`, either way. `u64::MAX` turns the check off.
    pub max_skew_secs: u64,
    /// Where to check and remember nonces; `None` skips replay protection.
    pub nonce_store: Option<&'a dyn NonceStore>,
}

impl std::fmt::Debug for VerifyPolicy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyPolicy")
            .field("now", &self.now)
            .field("max_skew_secs", &self.max_skew_secs)
            .field("nonce_store", &self.nonce_store.is_some())
            .finish()
    }
}

impl<'a> VerifyPolicy<'a> {
    /// A policy with a clock and a skew, without a nonce store.
    pub fn new(now: u64, max_skew_secs: u64) -> Self {
        VerifyPolicy {
            now,
            max_skew_secs,
            nonce_store: None,
        }
    }

    /// No timestamp or nonce checks: for offline tools that only check the signature.
    pub fn signature_only() -> Self {
        VerifyPolicy {
            now: 0,
            max_skew_secs: u64::MAX,
            nonce_store: None,
        }
    }

    /// Adds a nonce store.
    #[must_use]
    pub fn with_nonce_store(self, store: &'a dyn NonceStore) -> Self {
        VerifyPolicy {
            nonce_store: Some(store),
            ..self
        }
    }
}

/// A verified request: who signed it and the values that were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// `oauth_consumer_key`.
    pub consumer_key: String,
    /// `oauth_token`, if any.
    pub token: Option<String>,
    /// `oauth_timestamp`.
    pub timestamp: u64,
    /// `oauth_nonce`.
    pub nonce: String,
    /// The signature method.
    pub method: SignatureMethod,
    /// The normalized parameter string that was signed.
    pub normalized_parameters: String,
    /// The base string that was signed.
    pub base_string: String,
}

/// The protocol parameters `verify` reads, found in one pass over the header.
#[derive(Default)]
struct ProtocolValues<'h> {
    consumer_key: Option<&'h [u8]>,
    signature_method: Option<&'h [u8]>,
    signature: Option<&'h [u8]>,
    timestamp: Option<&'h [u8]>,
    nonce: Option<&'h [u8]>,
    version: Option<&'h [u8]>,
    body_hash: Option<&'h [u8]>,
    token: Option<&'h [u8]>,
}

impl<'h> ProtocolValues<'h> {
    fn of(header: &'h AuthorizationHeader) -> Self {
        let mut values = ProtocolValues::default();
        for (name, value) in header.iter_bytes() {
            let slot = match name {
                b"oauth_consumer_key" => &mut values.consumer_key,
                b"oauth_signature_method" => &mut values.signature_method,
                b"oauth_signature" => &mut values.signature,
                b"oauth_timestamp" => &mut values.timestamp,
                b"oauth_nonce" => &mut values.nonce,
                b"oauth_version" => &mut values.version,
                b"oauth_body_hash" => &mut values.body_hash,
                b"oauth_token" => &mut values.token,
                _ => continue,
            };
            // Header names are unique (the parser refuses duplicates).
            *slot = Some(value);
        }
        values
    }
}

fn required<'h>(value: Option<&'h [u8]>, name: &'static str) -> Result<&'h str, VerifyError> {
    match value {
        None => Err(VerifyError::MissingParameter { name }),
        Some(bytes) => std::str::from_utf8(bytes).map_err(|_| VerifyError::MalformedParameter {
            name,
            reason: "not UTF-8",
        }),
    }
}

/// The signature base string a verifier computes for `request` carrying `header` (every header
/// parameter except `realm` and `oauth_signature` is signed), without checking anything else.
/// Useful to show a sender what the receiver signed.
///
/// # Errors
/// [`Error::InvalidMethod`] or [`Error::InvalidAuthority`].
pub fn base_string_for_header(
    request: &Request<'_>,
    header: &AuthorizationHeader,
) -> Result<String, Error> {
    let mut pairs = Pairs::new();
    request.for_each_parameter(|n, v| pairs.push(n, v));
    push_signed_header_params(&mut pairs, header);
    base_string(request, &pairs.normalize())
}

/// Adds every header parameter except `realm` and `oauth_signature` (the signed ones).
fn push_signed_header_params<'h>(pairs: &mut Pairs<'h>, header: &'h AuthorizationHeader) {
    for (name, value) in header.iter_bytes() {
        if name != b"realm" && name != b"oauth_signature" {
            pairs.push(Text::Plain(name), Text::Plain(value));
        }
    }
}

/// Base64 signatures decode into this stack buffer when they fit (8192-bit RSA: 1024 bytes).
const SIGNATURE_STACK_BYTES: usize = 1024;

/// Verifies a signed request (RFC 5849 §3.2).
///
/// Checks, in order: the required protocol parameters are present (`oauth_consumer_key`,
/// `oauth_signature_method`, `oauth_signature`, `oauth_timestamp`, `oauth_nonce` — required for
/// every method, PLAINTEXT included), `oauth_version` is `1.0` if present, the method is the
/// key's, the timestamp is within `max_skew_secs` of `now`, no protocol parameter is repeated in
/// the query or body, `oauth_body_hash` (if sent) matches a non-form body, the signature matches
/// the recomputed base string, and finally the nonce is fresh (checked last so that forged
/// requests cannot fill the store).
///
/// # Errors
/// A [`VerifyError`] naming the failed check.
pub fn verify(
    request: &Request<'_>,
    header: &AuthorizationHeader,
    key: &dyn VerifyingKey,
    policy: &VerifyPolicy<'_>,
) -> Result<Verified, VerifyError> {
    let values = ProtocolValues::of(header);
    let consumer_key = required(values.consumer_key, "oauth_consumer_key")?;
    let method_name = required(values.signature_method, "oauth_signature_method")?;
    let signature_text = values.signature.ok_or(VerifyError::MissingParameter {
        name: "oauth_signature",
    })?;
    let timestamp_text = required(values.timestamp, "oauth_timestamp")?;
    let nonce = required(values.nonce, "oauth_nonce")?;
    if let Some(version) = values.version.filter(|v| *v != b"1.0") {
        return Err(VerifyError::UnsupportedVersion {
            version: String::from_utf8_lossy(version).into_owned(),
        });
    }
    let method = key.method();
    if method_name != method.as_str() {
        return Err(VerifyError::MethodMismatch {
            expected: method,
            found: method_name.to_owned(),
        });
    }
    if nonce.is_empty() {
        return Err(VerifyError::MalformedParameter {
            name: "oauth_nonce",
            reason: "empty",
        });
    }
    let timestamp = match timestamp_text.parse::<u64>() {
        Ok(t) if t > 0 && timestamp_text.bytes().all(|b| b.is_ascii_digit()) => t,
        _ => {
            return Err(VerifyError::MalformedParameter {
                name: "oauth_timestamp",
                reason: "not a positive integer",
            });
        }
    };
    if timestamp.abs_diff(policy.now) > policy.max_skew_secs {
        return Err(VerifyError::StaleTimestamp {
            timestamp,
            now: policy.now,
            max_skew_secs: policy.max_skew_secs,
        });
    }

    let mut pairs = Pairs::new();
    request.for_each_parameter(|n, v| pairs.push(n, v));
    if let Some((name, _)) = pairs
        .as_slice()
        .iter()
        .find(|(n, _)| PROTOCOL_PARAMETERS.iter().any(|p| n.eq_bytes(p.as_bytes())))
    {
        return Err(VerifyError::DuplicateParameter {
            name: String::from_utf8_lossy(&name.decoded()).into_owned(),
        });
    }

    if let Some(sent) = values.body_hash {
        if request.has_form_body() {
            return Err(VerifyError::BodyHashOnFormBody);
        }
        let body = request.body().unwrap_or_default();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(sent)
            .map_err(|_| VerifyError::MalformedParameter {
                name: "oauth_body_hash",
                reason: "not base64",
            })?;
        let matches = match decoded.len() {
            20 => sha1::Sha1::digest(body).as_slice() == decoded.as_slice(),
            32 => sha2::Sha256::digest(body).as_slice() == decoded.as_slice(),
            _ => false,
        };
        if !matches {
            return Err(VerifyError::BodyHashMismatch);
        }
    }

    let mut stack = [0u8; SIGNATURE_STACK_BYTES];
    let heap;
    let signature: &[u8] = if method.signature_is_base64() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let not_base64 = |_| VerifyError::MalformedParameter {
            name: "oauth_signature",
            reason: "not base64",
        };
        match b64.decode_slice(signature_text, &mut stack) {
            Ok(len) => &stack[..len],
            Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                heap = b64
                    .decode(signature_text)
                    .map_err(|e| not_base64(base64::DecodeSliceError::DecodeError(e)))?;
                &heap
            }
            Err(e) => return Err(not_base64(e)),
        }
    } else {
        signature_text
    };

    push_signed_header_params(&mut pairs, header);
    let normalized_parameters = pairs.normalize();
    let base_string = base_string(request, &normalized_parameters).map_err(VerifyError::Request)?;
    match key.verify(base_string.as_bytes(), signature) {
        Ok(()) => {}
        Err(Error::BadSignature) => return Err(VerifyError::SignatureMismatch { base_string }),
        Err(other) => return Err(VerifyError::Verifier(other)),
    }

    if policy
        .nonce_store
        .is_some_and(|store| !store.check_and_remember(consumer_key, timestamp, nonce))
    {
        return Err(VerifyError::ReplayedNonce);
    }

    Ok(Verified {
        consumer_key: consumer_key.to_owned(),
        token: values
            .token
            .and_then(|t| std::str::from_utf8(t).ok())
            .map(str::to_owned),
        timestamp,
        nonce: nonce.to_owned(),
        method,
        normalized_parameters,
        base_string,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_store_window_and_capacity() {
        let store = MemoryNonceStore::new(100, 3);
        assert!(store.check_and_remember("k", 1000, "a"));
        assert!(!store.check_and_remember("k", 1000, "a"));
        assert!(store.check_and_remember("other", 1000, "a"));
        assert!(store.check_and_remember("k", 1001, "a"));
        assert!(
            !store.check_and_remember("k", 1002, "b"),
            "full: fail closed"
        );
        // Moving the window forward frees the old entries.
        assert!(store.check_and_remember("k", 1200, "c"));
        assert_eq!(store.len(), 1);
        assert!(
            !store.check_and_remember("k", 1000, "z"),
            "older than the window"
        );
    }
}
