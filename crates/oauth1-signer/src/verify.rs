//! Verification: header + request + key + policy in, a typed verdict out.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use base64::Engine as _;
use sha2::Digest as _;

use crate::base_string::{Pairs, base_string};
use crate::params::{ProtocolProblem, Text, check_protocol_parameters};
use crate::request::Request;
use crate::{
    AuthorizationHeader, Error, ReplayCheckUnavailable, SignatureMethod, VerifyError, VerifyingKey,
};

/// Longest `oauth_nonce` a [`VerifyPolicy::new`] policy accepts, in bytes.
///
/// Payneteasy and oauthlib clients send 32 to 64 characters (this crate's
/// [`generate_nonce`](crate::generate_nonce) sends 32); 128 leaves room for any honest client
/// while keeping what a replay cache has to remember per request small.
pub const DEFAULT_MAX_NONCE_BYTES: usize = 128;

/// What a replay cache has to remember about one verified request: the nonce of a consumer
/// key at a timestamp, and how long it must be remembered.
///
/// [`verify`] builds one and hands it to the policy's [`NonceStore`]; without a store,
/// [`Verified::nonce_claim`] gives the same value so that the check can be made elsewhere
/// (e.g. against a shared cache, asynchronously) after the signature was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceClaim<'a> {
    /// `oauth_consumer_key`.
    pub consumer_key: &'a str,
    /// `oauth_nonce` (at most [`VerifyPolicy::max_nonce_bytes`] bytes).
    pub nonce: &'a str,
    /// `oauth_timestamp`.
    pub timestamp: u64,
    /// How long, from the verifier's `now`, the request would still pass the timestamp check:
    /// after that it is refused as stale anyway, so the nonce can be forgotten. A
    /// time-to-live for stores that expire keys; `u64::MAX` when the skew check is off.
    pub remember_for_secs: u64,
}

/// The verdict of a [`NonceStore`] on a [`NonceClaim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceCheck {
    /// Never seen: now remembered. The request may proceed.
    Fresh,
    /// Already seen with this consumer key and timestamp: a replay.
    Replayed,
    /// Older than what the store still remembers (outside its window, or below the timestamps
    /// it had to forget to make room), so it cannot prove the nonce is new.
    TooOld {
        /// The oldest timestamp the store accepts now.
        oldest_accepted: u64,
    },
    /// The store is full of nonces at least as recent as this one and cannot make room without
    /// forgetting nonces it still needs. Transient: the same request with a later timestamp,
    /// or after the flood, succeeds.
    Full,
}

impl NonceCheck {
    /// The verdict as [`verify`] reports it: `Ok` only for [`NonceCheck::Fresh`], otherwise
    /// [`VerifyError::ReplayedNonce`], [`VerifyError::NonceTooOld`] (for a request made at
    /// `timestamp`) or [`VerifyError::NonceStoreFull`]. Every way of checking a claim (inside
    /// [`verify`], [`MemoryNonceStore::claim`], [`claim_nonce`]) maps verdicts through here.
    ///
    /// # Errors
    /// Every verdict but `Fresh`.
    pub fn into_result(self, timestamp: u64) -> Result<(), VerifyError> {
        match self {
            NonceCheck::Fresh => Ok(()),
            NonceCheck::Replayed => Err(VerifyError::ReplayedNonce),
            NonceCheck::TooOld { oldest_accepted } => Err(VerifyError::NonceTooOld {
                timestamp,
                oldest_accepted,
            }),
            NonceCheck::Full => Err(VerifyError::NonceStoreFull),
        }
    }
}

/// The future an [`AsyncNonceStore`] returns: the store's verdict, or
/// [`ReplayCheckUnavailable`] when it could not give one.
pub type NonceCheckFuture<'a> =
    Pin<Box<dyn Future<Output = Result<NonceCheck, ReplayCheckUnavailable>> + Send + 'a>>;

/// A nonce store that answers asynchronously, such as a cache shared over the network by every
/// instance of a verifying service (the `oauth1-nonce-redis` crate implements it on Redis).
///
/// Used in two steps, so that verification itself stays synchronous and I/O-free: verify
/// without a store ([`verify_without_replay`], or a [`VerifyPolicy`] without one), then
/// `claim_nonce(store, verified.nonce_claim()).await`; only `Ok` makes the request acceptable.
///
/// The same atomicity rule as [`NonceStore`] applies, across every client of the shared store.
/// A store that cannot answer (unreachable, timed out, an error reply) must return
/// [`ReplayCheckUnavailable`], never [`NonceCheck::Fresh`]: the check fails closed.
/// [`MemoryNonceStore`] implements it too (answering at once), so a service can hold either
/// behind one `dyn AsyncNonceStore`.
pub trait AsyncNonceStore: Send + Sync {
    /// Atomically checks that `claim` is new and remembers it (for at least
    /// [`NonceClaim::remember_for_secs`]).
    fn check_and_remember_async<'a>(&'a self, claim: NonceClaim<'a>) -> NonceCheckFuture<'a>;
}

/// The second, asynchronous step of verification: claims the nonce of an already verified
/// request in `store`.
///
/// # Errors
/// [`VerifyError::ReplayedNonce`], [`VerifyError::NonceTooOld`] or
/// [`VerifyError::NonceStoreFull`] as [`verify`] would give them, and
/// [`VerifyError::ReplayCheckUnavailable`] when the store could not answer (the request must
/// then be refused, typically with a "try again later" status rather than as a replay).
pub async fn claim_nonce(
    store: &dyn AsyncNonceStore,
    claim: NonceClaim<'_>,
) -> Result<(), VerifyError> {
    store
        .check_and_remember_async(claim)
        .await
        .map_err(VerifyError::ReplayCheckUnavailable)?
        .into_result(claim.timestamp)
}

/// Remembers nonces to refuse replays.
///
/// An implementation must be atomic: two concurrent claims of the same `(consumer key,
/// timestamp, nonce)` give one [`NonceCheck::Fresh`] at most. It must never answer
/// [`NonceCheck::Fresh`] for a claim it cannot vouch for; answer `TooOld` or `Full` instead.
pub trait NonceStore: Send + Sync {
    /// Atomically checks that `claim` is new and remembers it (for at least
    /// [`NonceClaim::remember_for_secs`], or the store's own window).
    fn check_and_remember(&self, claim: &NonceClaim<'_>) -> NonceCheck;
}

/// Accounted cost of one remembered nonce beyond its bytes: the hash-set slot (with the
/// table's spare capacity) and the allocator's header.
const ENTRY_OVERHEAD_BYTES: usize = 64;
/// Accounted cost of one distinct timestamp: its map node share and its (empty) set.
const BUCKET_OVERHEAD_BYTES: usize = 128;

#[derive(Default)]
struct NonceState {
    /// timestamp → the `(consumer key, nonce)` pairs seen with it, each encoded as
    /// `len(consumer key) as u64 LE ‖ consumer key ‖ nonce` in one allocation.
    by_timestamp: BTreeMap<u64, HashSet<Box<[u8]>>>,
    len: usize,
    bytes: usize,
    newest: u64,
    /// Timestamps below this were forgotten to make room: refused as [`NonceCheck::TooOld`].
    floor: u64,
}

impl NonceState {
    /// Forgets every timestamp in `dropped` (already split off the map).
    fn forget(&mut self, dropped: &BTreeMap<u64, HashSet<Box<[u8]>>>) {
        for set in dropped.values() {
            self.len -= set.len();
            self.bytes -= BUCKET_OVERHEAD_BYTES
                + set
                    .iter()
                    .map(|entry| entry.len() + ENTRY_OVERHEAD_BYTES)
                    .sum::<usize>();
        }
    }

    /// Forgets the oldest timestamp's nonces if it is older than `timestamp`; `false` when
    /// there is nothing older to forget.
    fn evict_oldest_before(&mut self, timestamp: u64) -> bool {
        let Some(entry) = self.by_timestamp.first_entry() else {
            return false;
        };
        let oldest = *entry.key();
        if oldest >= timestamp {
            return false;
        }
        let set = entry.remove();
        self.forget(&BTreeMap::from([(oldest, set)]));
        // A replay of a forgotten nonce must not pass: refuse its timestamp from now on.
        self.floor = self.floor.max(oldest + 1);
        true
    }
}

fn nonce_entry(consumer_key: &str, nonce: &str) -> Box<[u8]> {
    let mut entry = Vec::with_capacity(8 + consumer_key.len() + nonce.len());
    entry.extend_from_slice(&(consumer_key.len() as u64).to_le_bytes());
    entry.extend_from_slice(consumer_key.as_bytes());
    entry.extend_from_slice(nonce.as_bytes());
    entry.into_boxed_slice()
}

/// An in-memory, thread-safe [`NonceStore`], bounded by a count and by bytes.
///
/// It keeps no clock: entries older than `window_secs` before the newest timestamp seen are
/// forgotten, and a request older than that is refused as [`NonceCheck::TooOld`] (the store can
/// no longer prove it is fresh). Pick `window_secs >= 2 * max_skew_secs` of your
/// [`VerifyPolicy`]: any timestamp that passes the skew check is then still inside the window.
///
/// # When the store is full
///
/// At most `capacity` nonces and [`max_bytes`](Self::max_bytes) accounted bytes are held
/// ([`bytes_used`](Self::bytes_used): each nonce costs its consumer key and nonce bytes plus
/// a fixed 72 bytes, each distinct timestamp 128 bytes). When a fresh nonce does not fit, the
/// store forgets the nonces of the **oldest timestamps** first, only those older than the new
/// one, and from then on refuses every timestamp at or below the forgotten ones as
/// [`NonceCheck::TooOld`]: the accepted window shrinks from below, so a replay of a forgotten
/// nonce is still refused, while honest clients, whose timestamps are current, keep being
/// served. A client flooding the store with fresh nonces therefore only pushes out old
/// timestamps; the price is that, while the flood lasts, requests whose clocks lag behind the
/// flood's timestamps are refused (as too old) until the window moves on.
///
/// If every held nonce is at least as recent as the new one (a flood within the current
/// second), nothing can be forgotten safely: the new nonce is refused with the distinct
/// [`NonceCheck::Full`] (not a "replay"), and the next second is served again.
pub struct MemoryNonceStore {
    window_secs: u64,
    capacity: usize,
    max_bytes: usize,
    state: Mutex<NonceState>,
}

impl std::fmt::Debug for MemoryNonceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryNonceStore")
            .field("window_secs", &self.window_secs)
            .field("capacity", &self.capacity)
            .field("max_bytes", &self.max_bytes)
            .field("len", &self.len())
            .field("bytes_used", &self.bytes_used())
            .finish()
    }
}

impl MemoryNonceStore {
    /// Default bound on [`bytes_used`](Self::bytes_used): 64 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

    /// A store remembering nonces for `window_secs`, holding at most `capacity` of them and
    /// [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES) (see [`with_max_bytes`](Self::with_max_bytes)).
    pub fn new(window_secs: u64, capacity: usize) -> Self {
        MemoryNonceStore {
            window_secs,
            capacity,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            state: Mutex::new(NonceState::default()),
        }
    }

    /// The same store bounded by `max_bytes` accounted bytes instead.
    #[must_use]
    pub fn with_max_bytes(self, max_bytes: usize) -> Self {
        MemoryNonceStore { max_bytes, ..self }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, NonceState> {
        // A poisoned lock only means another thread panicked mid-update; the map is still a
        // valid set of seen nonces, so keep using it rather than failing open or panicking.
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Number of nonces held.
    pub fn len(&self) -> usize {
        self.lock().len
    }

    /// `true` when no nonce is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Accounted bytes held (never above [`max_bytes`](Self::max_bytes)).
    pub fn bytes_used(&self) -> usize {
        self.lock().bytes
    }

    /// The bound on [`bytes_used`](Self::bytes_used).
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The bound on [`len`](Self::len).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Claims the nonce of a verified request (the synchronous second step, for a request
    /// verified with [`verify_without_replay`]): [`NonceStore::check_and_remember`] with the
    /// verdict mapped as [`verify`] maps it.
    ///
    /// # Errors
    /// [`VerifyError::ReplayedNonce`], [`VerifyError::NonceTooOld`] or
    /// [`VerifyError::NonceStoreFull`] (see [`NonceCheck::into_result`]).
    pub fn claim(&self, claim: &NonceClaim<'_>) -> Result<(), VerifyError> {
        self.check_and_remember(claim).into_result(claim.timestamp)
    }

    /// The oldest timestamp accepted now (inside the window and above what was forgotten to
    /// make room); 0 before the first nonce.
    pub fn oldest_accepted(&self) -> u64 {
        let state = self.lock();
        state
            .newest
            .saturating_sub(self.window_secs)
            .max(state.floor)
    }
}

impl Default for MemoryNonceStore {
    /// A 10-minute window (for a 5-minute skew), 100 000 entries and 64 MiB.
    fn default() -> Self {
        MemoryNonceStore::new(600, 100_000)
    }
}

impl NonceStore for MemoryNonceStore {
    fn check_and_remember(&self, claim: &NonceClaim<'_>) -> NonceCheck {
        let timestamp = claim.timestamp;
        let mut state = self.lock();
        state.newest = state.newest.max(timestamp);
        let window_start = state.newest.saturating_sub(self.window_secs);
        let oldest_accepted = window_start.max(state.floor);
        if timestamp < oldest_accepted {
            return NonceCheck::TooOld { oldest_accepted };
        }
        if state
            .by_timestamp
            .first_key_value()
            .is_some_and(|(&oldest, _)| oldest < window_start)
        {
            let kept = state.by_timestamp.split_off(&window_start);
            let dropped = std::mem::replace(&mut state.by_timestamp, kept);
            state.forget(&dropped);
        }
        let entry = nonce_entry(claim.consumer_key, claim.nonce);
        let bucket_exists = match state.by_timestamp.get(&timestamp) {
            Some(set) if set.contains(&entry) => return NonceCheck::Replayed,
            Some(_) => true,
            None => false,
        };
        let cost = entry.len()
            + ENTRY_OVERHEAD_BYTES
            + if bucket_exists {
                0
            } else {
                BUCKET_OVERHEAD_BYTES
            };
        while state.len >= self.capacity || state.bytes.saturating_add(cost) > self.max_bytes {
            if !state.evict_oldest_before(timestamp) {
                return NonceCheck::Full;
            }
        }
        state
            .by_timestamp
            .entry(timestamp)
            .or_default()
            .insert(entry);
        state.len += 1;
        state.bytes += cost;
        NonceCheck::Fresh
    }
}

impl AsyncNonceStore for MemoryNonceStore {
    fn check_and_remember_async<'a>(&'a self, claim: NonceClaim<'a>) -> NonceCheckFuture<'a> {
        Box::pin(std::future::ready(Ok(self.check_and_remember(&claim))))
    }
}

/// What [`verify`] checks besides the signature. The clock is an input.
#[derive(Clone, Copy)]
pub struct VerifyPolicy<'a> {
    /// The verifier's current Unix time in seconds.
    pub now: u64,
    /// How far `oauth_timestamp` may be from `now`, either way. `u64::MAX` turns the check off.
    pub max_skew_secs: u64,
    /// Where to check and remember nonces; `None` skips replay protection (the caller may
    /// then check [`Verified::nonce_claim`] itself).
    pub nonce_store: Option<&'a dyn NonceStore>,
    /// Longest `oauth_nonce` accepted, in bytes ([`DEFAULT_MAX_NONCE_BYTES`] from
    /// [`new`](Self::new)); a longer one is refused with [`VerifyError::NonceTooLong`] before
    /// the signature or the store is looked at. `usize::MAX` turns the check off.
    pub max_nonce_bytes: usize,
}

impl std::fmt::Debug for VerifyPolicy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyPolicy")
            .field("now", &self.now)
            .field("max_skew_secs", &self.max_skew_secs)
            .field("nonce_store", &self.nonce_store.is_some())
            .field("max_nonce_bytes", &self.max_nonce_bytes)
            .finish()
    }
}

impl<'a> VerifyPolicy<'a> {
    /// A policy with a clock and a skew, without a nonce store, accepting nonces of up to
    /// [`DEFAULT_MAX_NONCE_BYTES`].
    pub fn new(now: u64, max_skew_secs: u64) -> Self {
        VerifyPolicy {
            now,
            max_skew_secs,
            nonce_store: None,
            max_nonce_bytes: DEFAULT_MAX_NONCE_BYTES,
        }
    }

    /// No timestamp or nonce checks (no nonce length limit either): for offline tools that
    /// only check the signature.
    pub fn signature_only() -> Self {
        VerifyPolicy {
            now: 0,
            max_skew_secs: u64::MAX,
            nonce_store: None,
            max_nonce_bytes: usize::MAX,
        }
    }

    /// Sets the longest `oauth_nonce` accepted, in bytes.
    #[must_use]
    pub fn with_max_nonce_bytes(self, max_nonce_bytes: usize) -> Self {
        VerifyPolicy {
            max_nonce_bytes,
            ..self
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
    /// How long the nonce must be remembered to refuse a replay (see
    /// [`NonceClaim::remember_for_secs`]).
    pub remember_nonce_for_secs: u64,
    /// The signature method.
    pub method: SignatureMethod,
    /// The normalized parameter string that was signed.
    pub normalized_parameters: String,
    /// The base string that was signed.
    pub base_string: String,
}

impl Verified {
    /// The replay-cache entry for this request, for a caller that checks nonces itself (the
    /// policy had no [`NonceStore`], e.g. because the store is remote and asynchronous). Only
    /// a [`NonceCheck::Fresh`] answer makes the request acceptable.
    pub fn nonce_claim(&self) -> NonceClaim<'_> {
        NonceClaim {
            consumer_key: &self.consumer_key,
            nonce: &self.nonce,
            timestamp: self.timestamp,
            remember_for_secs: self.remember_nonce_for_secs,
        }
    }
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
/// key's, the nonce is at most [`VerifyPolicy::max_nonce_bytes`] long; then, by the same check
/// [`sign`](crate::sign) applies, the consumer key and nonce are not empty, the timestamp is a
/// positive integer and no protocol parameter is repeated in the query or body; then the
/// timestamp is within `max_skew_secs` of `now`, `oauth_body_hash` (if sent) matches a non-form body, the signature matches
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
    if nonce.len() > policy.max_nonce_bytes {
        return Err(VerifyError::NonceTooLong {
            len: nonce.len(),
            max: policy.max_nonce_bytes,
        });
    }
    let timestamp = match timestamp_text.parse::<u64>() {
        Ok(t) if timestamp_text.bytes().all(|b| b.is_ascii_digit()) => t,
        _ => {
            return Err(VerifyError::MalformedParameter {
                name: "oauth_timestamp",
                reason: "not a positive integer",
            });
        }
    };
    let mut pairs = Pairs::new();
    request.for_each_parameter(|n, v| pairs.push(n, v));
    check_protocol_parameters(consumer_key, nonce, timestamp, pairs.as_slice()).map_err(
        |problem| match problem {
            ProtocolProblem::Invalid { name, reason } => {
                VerifyError::MalformedParameter { name, reason }
            }
            ProtocolProblem::InRequest { name } => VerifyError::DuplicateParameter { name },
        },
    )?;
    if timestamp.abs_diff(policy.now) > policy.max_skew_secs {
        return Err(VerifyError::StaleTimestamp {
            timestamp,
            now: policy.now,
            max_skew_secs: policy.max_skew_secs,
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

    // Until `timestamp + max_skew_secs` (inclusive) the request passes the skew check.
    let remember_nonce_for_secs = timestamp
        .saturating_add(policy.max_skew_secs)
        .saturating_add(1)
        .saturating_sub(policy.now);
    if let Some(store) = policy.nonce_store {
        let claim = NonceClaim {
            consumer_key,
            nonce,
            timestamp,
            remember_for_secs: remember_nonce_for_secs,
        };
        store.check_and_remember(&claim).into_result(timestamp)?;
    }

    Ok(Verified {
        consumer_key: consumer_key.to_owned(),
        token: values
            .token
            .and_then(|t| std::str::from_utf8(t).ok())
            .map(str::to_owned),
        timestamp,
        nonce: nonce.to_owned(),
        remember_nonce_for_secs,
        method,
        normalized_parameters,
        base_string,
    })
}

/// The first, synchronous and I/O-free step of a two-step verification: every check of
/// [`verify`] except the replay check, which is left to the caller (the policy's
/// [`VerifyPolicy::nonce_store`] is ignored). The caller must then claim
/// [`Verified::nonce_claim`] in a store, with [`MemoryNonceStore::claim`] or
/// [`claim_nonce`] (asynchronous), and accept the request only if that succeeds. The nonce
/// length bound ([`VerifyPolicy::max_nonce_bytes`]) is applied here, before any store sees the
/// nonce.
///
/// # Errors
/// A [`VerifyError`] naming the failed check (never a replay verdict).
pub fn verify_without_replay(
    request: &Request<'_>,
    header: &AuthorizationHeader,
    key: &dyn VerifyingKey,
    policy: &VerifyPolicy<'_>,
) -> Result<Verified, VerifyError> {
    let policy = VerifyPolicy {
        nonce_store: None,
        ..*policy
    };
    verify(request, header, key, &policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signing refuses an empty consumer key; verifying must refuse it too (one check for both).
    #[test]
    fn an_empty_consumer_key_is_refused_like_when_signing() {
        use base64::Engine as _;
        let key = crate::HmacKey::new("cs", "");
        let request = Request::new("POST", crate::RequestUrl::parse("https://h/p?a=1").unwrap());
        let unsigned = "OAuth oauth_consumer_key=\"\", oauth_nonce=\"n\", \
             oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"100\"";
        let header = AuthorizationHeader::parse(unsigned).unwrap();
        let base_string = base_string_for_header(&request, &header).unwrap();
        let signature = crate::SigningKey::sign(&key, base_string.as_bytes()).unwrap();
        let signature =
            crate::percent_encode(base64::engine::general_purpose::STANDARD.encode(signature));
        let signed = format!("{unsigned}, oauth_signature=\"{signature}\"");
        let header = AuthorizationHeader::parse(&signed).unwrap();
        let result = verify(&request, &header, &key, &VerifyPolicy::new(100, 60));
        assert!(
            matches!(
                result,
                Err(VerifyError::MalformedParameter {
                    name: "oauth_consumer_key",
                    ..
                })
            ),
            "{result:?}"
        );
        // The same request with a consumer key passes the check (and fails only on the signature).
        let other = signed.replacen("oauth_consumer_key=\"\"", "oauth_consumer_key=\"ck\"", 1);
        let header = AuthorizationHeader::parse(&other).unwrap();
        let result = verify(&request, &header, &key, &VerifyPolicy::new(100, 60));
        assert!(
            matches!(result, Err(VerifyError::SignatureMismatch { .. })),
            "{result:?}"
        );
    }

    fn claim<'a>(consumer_key: &'a str, timestamp: u64, nonce: &'a str) -> NonceClaim<'a> {
        NonceClaim {
            consumer_key,
            nonce,
            timestamp,
            remember_for_secs: 600,
        }
    }

    #[test]
    fn nonce_store_window_and_capacity() {
        let store = MemoryNonceStore::new(100, 3);
        let check = |k, t, n| store.check_and_remember(&claim(k, t, n));
        assert_eq!(check("k", 1000, "a"), NonceCheck::Fresh);
        assert_eq!(check("k", 1000, "a"), NonceCheck::Replayed);
        assert_eq!(check("other", 1000, "a"), NonceCheck::Fresh);
        assert_eq!(check("k", 1001, "a"), NonceCheck::Fresh);
        // Full: the oldest timestamp (1000) is forgotten and refused from now on.
        assert_eq!(check("k", 1002, "b"), NonceCheck::Fresh);
        assert_eq!(store.len(), 2);
        assert_eq!(
            check("k", 1000, "a"),
            NonceCheck::TooOld {
                oldest_accepted: 1001
            }
        );
        assert_eq!(check("k", 1001, "a"), NonceCheck::Replayed);
        // Moving the window forward frees the old entries.
        assert_eq!(check("k", 1200, "c"), NonceCheck::Fresh);
        assert_eq!(store.len(), 1);
        assert_eq!(
            check("k", 1000, "z"),
            NonceCheck::TooOld {
                oldest_accepted: 1100
            },
            "older than the window"
        );
    }

    #[test]
    fn nonce_store_full_within_one_second_is_full_not_replay() {
        let store = MemoryNonceStore::new(100, 2);
        let check = |n| store.check_and_remember(&claim("k", 1000, n));
        assert_eq!(check("a"), NonceCheck::Fresh);
        assert_eq!(check("b"), NonceCheck::Fresh);
        assert_eq!(check("c"), NonceCheck::Full);
        assert_eq!(check("a"), NonceCheck::Replayed);
        assert_eq!(
            store.check_and_remember(&claim("k", 1001, "c")),
            NonceCheck::Fresh
        );
    }

    #[test]
    fn nonce_store_accounts_bytes_exactly() {
        let store = MemoryNonceStore::new(100, 1000);
        assert_eq!(store.bytes_used(), 0);
        store.check_and_remember(&claim("key", 1000, "nonce"));
        assert_eq!(
            store.bytes_used(),
            8 + 3 + 5 + ENTRY_OVERHEAD_BYTES + BUCKET_OVERHEAD_BYTES
        );
        store.check_and_remember(&claim("key", 1000, "n2"));
        assert_eq!(
            store.bytes_used(),
            2 * (8 + 3 + ENTRY_OVERHEAD_BYTES) + 5 + 2 + BUCKET_OVERHEAD_BYTES
        );
        // Window expiry gives every byte back.
        store.check_and_remember(&claim("key", 2000, "n"));
        assert_eq!(
            store.bytes_used(),
            8 + 3 + 1 + ENTRY_OVERHEAD_BYTES + BUCKET_OVERHEAD_BYTES
        );
    }
}
