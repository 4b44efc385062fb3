//! The hyper server under both gateway halves: accept loop, optional TLS, routing by path
//! prefix, request size limit, and fault delivery.
//!
//! Every connection is in a table ([`Tracker`]) with its phase and the time the phase began
//! (one atomic per connection, so the hot path takes no shared lock): TLS handshake, idle,
//! reading a request head, reading a body, being answered, writing the answer. One watchdog
//! per connection ([`Watchdog`], one timer) closes it when a phase that waits on the client
//! outlasts its [`ServerLimits`] timeout; hyper's own head timer (which needs a timer to be set, or is
//! silently off) backs it up. When the table is full, the connection that has waited on its
//! client longest is shed for the newcomer.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

use crate::faults::{FAULT_HEADER, Fault, FaultController};

/// The largest request body the sandbox reads; larger requests get HTTP 413.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Timeouts and limits of the sandbox's HTTP server: how long a connection may wait on its
/// client in each phase, how large a request head may be, and how many connections are open
/// at once.
///
/// The defaults are safe for a sandbox reachable by others: no phase that waits on the client
/// lasts more than 10 s (see [`ServerLimits::default`]). Set them with the `with_*` methods and
/// pass them to [`SandboxBuilder::limits`](crate::SandboxBuilder::limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// How long a TLS handshake may take, from the accept (HTTPS only).
    pub tls_handshake_timeout: Duration,
    /// How long a connection may wait for a whole request head (request line and headers),
    /// from the moment it started waiting for it: the accept (or the end of the TLS
    /// handshake), or the end of the previous answer on a keep-alive connection.
    pub header_read_timeout: Duration,
    /// How long a connection may stay idle, without a byte of a next request, before it is
    /// closed. Only meaningful below [`Self::header_read_timeout`], which bounds it anyway.
    pub idle_timeout: Duration,
    /// How long the request body may take to arrive in full, from the end of the request head.
    /// A late body is answered `408 Request Timeout` and the connection is closed.
    pub body_timeout: Duration,
    /// How long writing an answer may make no progress (a client that does not read) before
    /// the connection is closed.
    pub send_timeout: Duration,
    /// The largest request head (request line and headers) in bytes; a larger one is answered
    /// `431 Request Header Fields Too Large`. The connection's read buffer is bounded by it too
    /// (at least 8 KiB).
    pub max_header_bytes: usize,
    /// How many connections may be open at once. When a new connection arrives with the table
    /// full, the connection that has been waiting on its client longest (for a request head,
    /// idle, for a body, or not reading its answer) is closed to make room; the new one is
    /// refused only when every open connection has a request being answered.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    /// TLS handshake 5 s, idle 5 s, request head 10 s, body 10 s, send 10 s, request head
    /// 16 KiB, 1,024 connections.
    fn default() -> Self {
        ServerLimits {
            tls_handshake_timeout: Duration::from_secs(5),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_connections: 1024,
        }
    }
}

/// The smallest [`ServerLimits::max_header_bytes`] accepted.
pub const MIN_HEADER_BYTES: usize = 1024;

impl ServerLimits {
    /// Sets [`Self::tls_handshake_timeout`].
    pub fn with_tls_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.tls_handshake_timeout = timeout;
        self
    }

    /// Sets [`Self::header_read_timeout`].
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets [`Self::idle_timeout`].
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`Self::body_timeout`].
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Sets [`Self::send_timeout`].
    pub fn with_send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// Sets [`Self::max_header_bytes`].
    pub fn with_max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }

    /// Sets [`Self::max_connections`].
    pub fn with_max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// Checks the limits: every timeout above zero, at least one connection, a request head
    /// of at least [`MIN_HEADER_BYTES`].
    pub(crate) fn validate(&self) -> Result<(), String> {
        let timeouts = [
            ("tls_handshake_timeout", self.tls_handshake_timeout),
            ("header_read_timeout", self.header_read_timeout),
            ("idle_timeout", self.idle_timeout),
            ("body_timeout", self.body_timeout),
            ("send_timeout", self.send_timeout),
        ];
        for (name, timeout) in timeouts {
            if timeout.is_zero() {
                return Err(format!("{name} must be above zero"));
            }
        }
        if self.max_connections == 0 {
            return Err("max_connections must be at least 1".to_owned());
        }
        if self.max_header_bytes < MIN_HEADER_BYTES {
            return Err(format!(
                "max_header_bytes must be at least {MIN_HEADER_BYTES}"
            ));
        }
        Ok(())
    }
}

/// The response body type: whole, or streamed for the drip and truncation faults.
pub(crate) type Body = BoxBody<Bytes, io::Error>;

/// The answer of [`GatewayHalf::handle_async`].
pub(crate) type HandlerFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Response<Bytes>> + Send + 'a>>;

/// One gateway emulated by the sandbox, mounted under a path prefix.
pub(crate) trait GatewayHalf: Send + Sync + 'static {
    /// The path prefix this half serves, such as `/paynet/api/v4/`.
    fn prefix(&self) -> &str;
    /// The fault route of a request path (the command name), if this half knows it.
    fn route<'a>(&self, path: &'a str) -> Option<&'a str>;
    /// Answers one request. Runs inline on the server's task unless [`Self::may_block`] says
    /// otherwise, so it should take microseconds, not milliseconds.
    fn handle(&self, request: Request<Bytes>) -> Response<Bytes>;
    /// Answers one request on the server's task, awaiting what the answer needs (the
    /// Payneteasy half awaits a shared nonce store here). The server calls this for every
    /// request not sent to the blocking pool; the default answers with [`Self::handle`].
    fn handle_async<'a>(&'a self, request: Request<Bytes>) -> HandlerFuture<'a> {
        Box::pin(std::future::ready(self.handle(request)))
    }
    /// Whether answering `route` can take long (RSA key generation): such requests are
    /// answered on the blocking pool instead of the reactor.
    fn may_block(&self, _route: &str) -> bool {
        false
    }
    /// Whether faults ([`crate::faults`]) apply to this half (the console's pages: never).
    fn faultable(&self) -> bool {
        true
    }
    /// Bounds how many of this half's [`Self::may_block`] requests hold a blocking thread.
    fn blocking_admission(&self) -> Option<&crate::admission::BlockingAdmission> {
        None
    }
}

/// Counters shared by the server and the sandbox handle.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) faults: AtomicU64,
}

pub(crate) struct Shared {
    pub(crate) halves: Vec<Arc<dyn GatewayHalf>>,
    pub(crate) faults: FaultController,
    /// Whether [`FAULT_HEADER`] is honoured (off unless the builder allows it).
    pub(crate) allow_fault_header: bool,
    pub(crate) counters: Counters,
    pub(crate) limits: ServerLimits,
    /// The table of open connections.
    pub(crate) tracker: Arc<Tracker>,
}

/// What a tracked connection is doing, packed with the time it started into one atomic
/// ([`Conn::state`]): `since_ms << 8 | phase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// The TLS handshake is running (bounded by [`ServerLimits::tls_handshake_timeout`]).
    Handshake = 0,
    /// Waiting for the first byte of a request (bounded by [`ServerLimits::idle_timeout`]).
    Idle = 1,
    /// Reading a request head (bounded by [`ServerLimits::header_read_timeout`] from the
    /// start of the wait, which `since` keeps from [`Phase::Idle`]).
    Head = 2,
    /// Reading the request body (bounded by [`ServerLimits::body_timeout`] in [`answer`]).
    Body = 3,
    /// The gateway is answering: the only phase that does not wait on the client, never
    /// timed and never shed.
    Handler = 4,
    /// Writing the answer (bounded by [`ServerLimits::send_timeout`] since the last progress).
    Respond = 5,
}

impl Phase {
    fn from_bits(bits: u64) -> Phase {
        match bits & 0xff {
            0 => Phase::Handshake,
            1 => Phase::Idle,
            2 => Phase::Head,
            3 => Phase::Body,
            4 => Phase::Handler,
            _ => Phase::Respond,
        }
    }
}

/// One open connection in the [`Tracker`]'s table. Its phase changes are per-connection
/// atomic stores: the hot path takes no shared lock.
pub(crate) struct Conn {
    /// `since_ms << 8 | phase`, `since_ms` counted from [`Tracker::epoch`].
    state: AtomicU64,
    /// Woken when the connection is shed to make room.
    shed: Notify,
    epoch: Instant,
}

impl Conn {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX >> 8)
    }

    fn load(&self) -> (Phase, u64) {
        let bits = self.state.load(Ordering::Acquire);
        (Phase::from_bits(bits), bits >> 8)
    }

    fn set(&self, phase: Phase) {
        self.state
            .store(self.now_ms() << 8 | phase as u64, Ordering::Release);
    }

    /// Moves from `from` to `to` if the connection is still in `from`; `restart` also resets
    /// the phase's start time (else it keeps the one of `from`).
    fn advance(&self, from: Phase, to: Phase, restart: bool) {
        let bits = self.state.load(Ordering::Relaxed);
        if Phase::from_bits(bits) != from {
            return;
        }
        let since = if restart { self.now_ms() } else { bits >> 8 };
        let _ = self.state.compare_exchange(
            bits,
            since << 8 | to as u64,
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }
}

/// Counters of the connection table, for [`Sandbox::connection_stats`](crate::Sandbox::connection_stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionStats {
    /// Connections open now.
    pub open: usize,
    /// Connections accepted so far.
    pub accepted: u64,
    /// Connections closed because they waited on their client longer than a timeout (TLS
    /// handshake, idle, request head, body, or an answer not read).
    pub timed_out: u64,
    /// Connections closed to make room for a new one (the table was full), or to free a file
    /// descriptor when accepting failed for lack of them.
    pub shed: u64,
    /// New connections refused because the table was full of requests being answered.
    pub refused: u64,
}

/// The table of open connections: bounded by [`ServerLimits::max_connections`]; locked once
/// when a connection opens and once when it closes, never per request.
pub(crate) struct Tracker {
    epoch: Instant,
    max: usize,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    accepted: AtomicU64,
    timed_out: AtomicU64,
    shed: AtomicU64,
    refused: AtomicU64,
    warned_full_ms: AtomicU64,
}

/// At most one warning about a full connection table in this many milliseconds.
const FULL_WARNING_EVERY_MS: u64 = 10_000;

impl Tracker {
    pub(crate) fn new(max: usize) -> Tracker {
        Tracker {
            epoch: Instant::now(),
            max,
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            accepted: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            shed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            warned_full_ms: AtomicU64::new(u64::MAX),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        crate::lock(&self.open)
    }

    pub(crate) fn stats(&self) -> ConnectionStats {
        ConnectionStats {
            open: self.table().len(),
            accepted: self.accepted.load(Ordering::Relaxed),
            timed_out: self.timed_out.load(Ordering::Relaxed),
            shed: self.shed.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }

    /// Takes a new connection into the table, shedding the one that has waited on its client
    /// longest when the table is full. `None`: refused (every connection is being answered).
    fn admit(self: &Arc<Self>, phase: Phase) -> Option<ConnGuard> {
        let conn = Arc::new(Conn {
            state: AtomicU64::new(0),
            shed: Notify::new(),
            epoch: self.epoch,
        });
        conn.set(phase);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut table = self.table();
        if table.len() >= self.max {
            if !self.shed_locked(&mut table) {
                drop(table);
                self.refused.fetch_add(1, Ordering::Relaxed);
                self.warn_full("refusing new connections: every open connection is being answered");
                return None;
            }
            self.warn_full("connection table full: shedding the connections that wait longest");
        }
        table.insert(id, conn.clone());
        drop(table);
        self.accepted.fetch_add(1, Ordering::Relaxed);
        Some(ConnGuard {
            tracker: self.clone(),
            id,
            conn,
        })
    }

    /// Sheds the connection that has waited on its client longest, if any (to free a file
    /// descriptor). `true` when one was shed.
    fn shed_one(&self) -> bool {
        let mut table = self.table();
        self.shed_locked(&mut table)
    }

    fn shed_locked(&self, table: &mut HashMap<u64, Arc<Conn>>) -> bool {
        let victim = table
            .iter()
            .filter_map(|(id, conn)| {
                let (phase, since) = conn.load();
                (phase != Phase::Handler).then_some((since, *id))
            })
            .min();
        let Some((_, id)) = victim else {
            return false;
        };
        if let Some(conn) = table.remove(&id) {
            conn.shed.notify_one();
            self.shed.fetch_add(1, Ordering::Relaxed);
        }
        true
    }

    /// One warning per [`FULL_WARNING_EVERY_MS`], not one per connection.
    fn warn_full(&self, what: &'static str) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let last = self.warned_full_ms.load(Ordering::Relaxed);
        let due = last == u64::MAX || now.saturating_sub(last) >= FULL_WARNING_EVERY_MS;
        if due
            && self
                .warned_full_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                max_connections = self.max,
                shed = self.shed.load(Ordering::Relaxed),
                refused = self.refused.load(Ordering::Relaxed),
                "{what}"
            );
        }
    }
}

/// A connection's place in the table, given back when the connection task ends.
struct ConnGuard {
    tracker: Arc<Tracker>,
    id: u64,
    conn: Arc<Conn>,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.tracker.table().remove(&self.id);
    }
}

/// The stream under hyper, which tells the connection's [`Conn`] when a request starts to
/// arrive and when an answer makes progress.
struct TrackedIo<S> {
    inner: S,
    conn: Arc<Conn>,
}

impl<S: AsyncRead + Unpin> AsyncRead for TrackedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            // The first bytes of a request: still bounded by the head timeout from the start
            // of the wait, no longer by the idle timeout.
            self.conn.advance(Phase::Idle, Phase::Head, false);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> TrackedIo<S> {
    fn wrote(&self, polled: &Poll<io::Result<usize>>) {
        if matches!(polled, Poll::Ready(Ok(n)) if *n > 0) {
            self.conn.advance(Phase::Respond, Phase::Respond, true);
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TrackedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The answer's body, which puts the connection back to [`Phase::Idle`] once it has been
/// sent (hyper drops it then).
pub(crate) struct TrackedBody {
    inner: Body,
    conn: Arc<Conn>,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            self.conn.advance(Phase::Respond, Phase::Idle, true);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        self.conn.advance(Phase::Respond, Phase::Idle, true);
    }
}

/// Resolves, with the phase, when the connection has waited on its client longer than its
/// phase allows.
///
/// It must be polled right after the connection's serving future, in the same task (a
/// `biased` select): every phase change happens while that future is polled, so the watchdog
/// sees each change at once and moves its one timer to the new deadline. Re-arming costs a
/// timer reset when the deadline changes, not a wake-up or an allocation.
struct Watchdog<'a> {
    conn: &'a Conn,
    limits: ServerLimits,
    epoch: tokio::time::Instant,
    sleep: Pin<Box<tokio::time::Sleep>>,
    armed: Option<tokio::time::Instant>,
}

impl<'a> Watchdog<'a> {
    fn new(conn: &'a Conn, limits: ServerLimits) -> Self {
        let epoch = tokio::time::Instant::from_std(conn.epoch);
        Watchdog {
            conn,
            limits,
            epoch,
            sleep: Box::pin(tokio::time::sleep_until(epoch)),
            armed: None,
        }
    }

    /// How long the phase may last: `None` for the phases that do not wait on the client (the
    /// body has its own timeout, with a 408 answer, in [`answer`]).
    fn limit(&self, phase: Phase) -> Option<Duration> {
        match phase {
            Phase::Handshake => Some(self.limits.tls_handshake_timeout),
            Phase::Idle => Some(
                self.limits
                    .idle_timeout
                    .min(self.limits.header_read_timeout),
            ),
            Phase::Head => Some(self.limits.header_read_timeout),
            Phase::Respond => Some(self.limits.send_timeout),
            Phase::Body | Phase::Handler => None,
        }
    }
}

impl Future for Watchdog<'_> {
    type Output = Phase;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Phase> {
        let (phase, since) = self.conn.load();
        let Some(limit) = self.limit(phase) else {
            // Not timed: a wake-up from an earlier deadline finds this again and waits.
            self.armed = None;
            return Poll::Pending;
        };
        let deadline = self.epoch + Duration::from_millis(since) + limit;
        if self.armed != Some(deadline) {
            self.armed = Some(deadline);
            self.sleep.as_mut().reset(deadline);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(phase),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Whether an accept error concerns only the connection being accepted (retry at once), as
/// opposed to the process (out of file descriptors, memory: back off).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// The first and the longest pause after a failed accept (`EMFILE`, `ENFILE`, `ENOMEM`).
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(5);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Failed accepts less than this far apart belong to one burst, logged once; a burst that
/// goes on gets one summary line this often.
const ACCEPT_BURST_QUIET: Duration = Duration::from_secs(30);

/// Exponential, bounded backoff after failed accepts, logged once per burst (not once per
/// failure: a process out of descriptors would log hundreds of lines a second).
#[derive(Default)]
struct AcceptBackoff {
    /// The pause after the last failure; doubles while accepts keep failing back to back,
    /// back to the minimum after a success.
    delay: Duration,
    /// The last failure, and the last line logged.
    last_failure: Option<Instant>,
    logged: Option<Instant>,
    /// Failures since the last line logged.
    unlogged: u64,
}

impl AcceptBackoff {
    /// Records a failure and returns how long to pause.
    fn failed(&mut self, e: &io::Error, shed: bool) -> Duration {
        let now = Instant::now();
        let new_burst = self
            .last_failure
            .is_none_or(|at| now.duration_since(at) >= ACCEPT_BURST_QUIET);
        self.last_failure = Some(now);
        self.unlogged += 1;
        self.delay = if self.delay.is_zero() {
            ACCEPT_BACKOFF_MIN
        } else {
            (self.delay * 2).min(ACCEPT_BACKOFF_MAX)
        };
        let summary_due = self
            .logged
            .is_some_and(|at| now.duration_since(at) >= ACCEPT_BURST_QUIET);
        if new_burst || summary_due {
            tracing::warn!(
                error = %e,
                failures = self.unlogged,
                shed_a_connection = shed,
                "accept failed; backing off up to {} ms and shedding the connection that waits \
                 longest; failures in this burst are counted, one line per {} s",
                ACCEPT_BACKOFF_MAX.as_millis(),
                ACCEPT_BURST_QUIET.as_secs()
            );
            self.logged = Some(now);
            self.unlogged = 0;
        }
        self.delay
    }

    /// Records a successful accept: the next failure pauses the minimum again.
    fn succeeded(&mut self) {
        self.delay = Duration::ZERO;
    }
}

pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let limits = shared.limits;
    let tracker = shared.tracker.clone();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.keep_alive(true)
        // hyper's own head timer (from the start of the wait, like ours) is off without a
        // timer: both are set, the connection watchdog below is the one that usually fires.
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(MIN_HYPER_BUF));
    let http = Arc::new(http);
    let mut backoff = AcceptBackoff::default();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => {
                backoff.succeeded();
                pair
            }
            Err(e) if is_connection_error(&e) => {
                tracing::debug!(error = %e, "accept failed for one connection");
                continue;
            }
            Err(e) => {
                // Out of file descriptors and similar: free one by shedding the connection
                // that waits longest, and back off instead of spinning.
                let shed = tracker.shed_one();
                let pause = backoff.failed(&e, shed);
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => return,
                }
                continue;
            }
        };
        let first = if tls.is_some() {
            Phase::Handshake
        } else {
            Phase::Idle
        };
        let Some(guard) = tracker.admit(first) else {
            tracing::debug!(%peer, "connection refused: the table is full");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        let http = http.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let conn = guard.conn.clone();
            let serve = async {
                match tls {
                    Some(acceptor) => {
                        match tokio::time::timeout(
                            limits.tls_handshake_timeout,
                            acceptor.accept(stream),
                        )
                        .await
                        {
                            Ok(Ok(tls_stream)) => {
                                conn.set(Phase::Idle);
                                serve_connection(&http, tls_stream, peer, shared, conn.clone())
                                    .await;
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed")
                            }
                            Err(_) => {
                                guard.tracker.timed_out.fetch_add(1, Ordering::Relaxed);
                                tracing::debug!(%peer, "TLS handshake timed out");
                            }
                        }
                    }
                    None => serve_connection(&http, stream, peer, shared, conn.clone()).await,
                }
            };
            // Biased: the serving future first, then the watchdog, which so sees every phase
            // change made while serving (see [`Watchdog`]).
            tokio::select! {
                biased;
                () = serve => {}
                phase = Watchdog::new(&conn, limits) => {
                    guard.tracker.timed_out.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%peer, ?phase, "closing a connection that waited on its client too long");
                }
                () = conn.shed.notified() => {
                    tracing::debug!(%peer, "connection shed to make room");
                }
                _ = shutdown.changed() => {}
            }
            drop(guard);
        });
    }
}

/// The smallest read buffer hyper accepts.
const MIN_HYPER_BUF: usize = 8192;

async fn serve_connection<S>(
    http: &hyper::server::conn::http1::Builder,
    stream: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    conn: Arc<Conn>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TrackedIo {
        inner: stream,
        conn: conn.clone(),
    };
    let service = service_fn(move |req| {
        let shared = shared.clone();
        let conn = conn.clone();
        async move {
            conn.set(Phase::Body);
            let response = answer(shared, &conn, req).await?;
            conn.set(Phase::Respond);
            Ok::<_, io::Error>(response.map(|inner| TrackedBody { inner, conn }))
        }
    });
    if let Err(e) = http.serve_connection(TokioIo::new(io), service).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Marks an answer as the last on its connection (the request body was not read in full).
fn closing(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn full(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(
        Full::new(body.into())
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Answers one request, applying the fault chosen for it. An `Err` makes hyper close the
/// connection without an answer (the `close` fault).
async fn answer(
    shared: Arc<Shared>,
    conn: &Conn,
    request: Request<Incoming>,
) -> Result<Response<Body>, io::Error> {
    shared.counters.requests.fetch_add(1, Ordering::Relaxed);
    let path = request.uri().path().to_owned();
    let Some(half) = shared
        .halves
        .iter()
        .find(|h| path.starts_with(h.prefix()))
        .cloned()
    else {
        return Ok(full(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "no such sandbox route\n",
        ));
    };
    let route = half.route(&path).unwrap_or("*").to_owned();
    let header = Some(FAULT_HEADER).filter(|_| shared.allow_fault_header);
    let fault = match header.and_then(|name| request.headers().get(name)) {
        _ if !half.faultable() => None,
        Some(value) => match value.to_str().ok().map(str::parse::<Fault>) {
            Some(Ok(fault)) => Some(fault),
            Some(Err(e)) => {
                return Ok(full(
                    StatusCode::BAD_REQUEST,
                    "text/plain; charset=utf-8",
                    format!("{e}\n"),
                ));
            }
            None => {
                return Ok(full(
                    StatusCode::BAD_REQUEST,
                    "text/plain; charset=utf-8",
                    "fault header is not text\n",
                ));
            }
        },
        None => shared.faults.take(&route),
    };
    if let Some(fault) = &fault {
        shared.counters.faults.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%route, %fault, "injecting fault");
        if let Fault::Status {
            code,
            with_body,
            retry_after,
        } = fault
        {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = if *with_body {
                format!(
                    "{} {}\n",
                    status.as_str(),
                    status.canonical_reason().unwrap_or("")
                )
            } else {
                String::new()
            };
            let mut response = full(status, "text/plain; charset=utf-8", body);
            if let Some(ra) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*ra));
            }
            return Ok(response);
        }
    }

    // Read the request body, bounded in size and in time. A body announced too large is
    // refused before a byte of it is read (and before `100 Continue` is sent).
    let (parts, body) = request.into_parts();
    if http_body::Body::size_hint(&body).lower() > MAX_REQUEST_BYTES as u64 {
        return Ok(closing(full(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain; charset=utf-8",
            "request body too large\n",
        )));
    }
    let read = tokio::time::timeout(
        shared.limits.body_timeout,
        Limited::new(body, MAX_REQUEST_BYTES).collect(),
    );
    let body = match read.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            return if too_large {
                Ok(closing(full(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "text/plain; charset=utf-8",
                    "request body too large\n",
                )))
            } else {
                Err(io::Error::other("request body could not be read"))
            };
        }
        Err(_) => {
            shared.tracker.timed_out.fetch_add(1, Ordering::Relaxed);
            return Ok(closing(full(
                StatusCode::REQUEST_TIMEOUT,
                "text/plain; charset=utf-8",
                "request body too slow\n",
            )));
        }
    };
    conn.set(Phase::Handler);
    let request = Request::from_parts(parts, body);
    // Most gateway work is short (an RSA verification is ~20-50 µs), so it runs inline: a
    // hand-off to the blocking pool per request costs more than the work (measured with
    // `paygate load`). Routes that may generate an RSA key go to the blocking pool.
    let response = if half.may_block(&route) {
        // Wait for a slot as a task, not on a thread: bounds the blocking threads.
        let _slot = match half.blocking_admission().map(|a| a.enter()) {
            Some(entering) => match entering.await {
                Ok(slot) => Some(slot),
                Err(busy) => return deliver(busy, fault).await,
            },
            None => None,
        };
        tokio::task::spawn_blocking(move || half.handle(request))
            .await
            .map_err(|_| io::Error::other("sandbox handler panicked"))?
    } else {
        half.handle_async(request).await
    };
    deliver(response, fault).await
}

async fn deliver(
    response: Response<Bytes>,
    fault: Option<Fault>,
) -> Result<Response<Body>, io::Error> {
    let (mut parts, body) = response.into_parts();
    let whole = |parts: http::response::Parts, body: Bytes| {
        Response::from_parts(
            parts,
            Full::new(body)
                .map_err(|never: Infallible| match never {})
                .boxed(),
        )
    };
    match fault {
        None | Some(Fault::Status { .. }) => Ok(whole(parts, body)),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            Ok(whole(parts, body))
        }
        Some(Fault::CloseBeforeAnswer) => Err(io::Error::other("fault: close before answering")),
        Some(Fault::WrongContentType) => {
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            Ok(whole(parts, body))
        }
        Some(Fault::Garbage) => {
            // Deterministic bytes that are neither a form nor JSON nor UTF-8.
            let garbage: Vec<u8> = (0u32..512)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 0x80)
                .collect();
            parts.headers.remove(header::CONTENT_LENGTH);
            Ok(whole(parts, Bytes::from(garbage)))
        }
        Some(Fault::CloseMidBody) => {
            let half = body.len() / 2;
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            let (mut tx, channel) = http_body_util::channel::Channel::<Bytes, io::Error>::new(2);
            tokio::spawn(async move {
                let _ = tx.send_data(body.slice(..half)).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                tx.abort(io::Error::other("fault: close in the middle of the body"));
            });
            Ok(Response::from_parts(parts, channel.boxed()))
        }
        Some(Fault::Oversized(n)) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            let (mut tx, channel) = http_body_util::channel::Channel::<Bytes, io::Error>::new(4);
            tokio::spawn(async move {
                const CHUNK: usize = 16 * 1024;
                let chunk = Bytes::from(vec![b'x'; CHUNK]);
                let mut left = n;
                while left > 0 {
                    let len = left.min(CHUNK);
                    // A client that stops reading makes this fail: stop producing.
                    if tx.send_data(chunk.slice(..len)).await.is_err() {
                        return;
                    }
                    left -= len;
                }
            });
            Ok(Response::from_parts(parts, channel.boxed()))
        }
        Some(Fault::SlowDrip(interval)) => {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            let (mut tx, channel) = http_body_util::channel::Channel::<Bytes, io::Error>::new(1);
            tokio::spawn(async move {
                for i in 0..body.len() {
                    if tx.send_data(body.slice(i..i + 1)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(interval).await;
                }
            });
            Ok(Response::from_parts(parts, channel.boxed()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_backoff_doubles_up_to_its_bound_and_restarts_after_a_success() {
        let mut backoff = AcceptBackoff::default();
        let e = io::Error::other("Too many open files");
        let pauses: Vec<Duration> = (0..12).map(|_| backoff.failed(&e, false)).collect();
        assert_eq!(pauses[0], ACCEPT_BACKOFF_MIN);
        assert_eq!(pauses[1], ACCEPT_BACKOFF_MIN * 2);
        assert!(pauses.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*pauses.last().unwrap(), ACCEPT_BACKOFF_MAX);
        // One line for the whole burst: the rest are counted.
        assert_eq!(backoff.unlogged, 11);
        backoff.succeeded();
        assert_eq!(backoff.failed(&e, false), ACCEPT_BACKOFF_MIN);
        // Still the same burst (no quiet period): not logged again.
        assert_eq!(backoff.unlogged, 12);
    }

    #[test]
    fn the_watchdog_moves_its_timer_when_the_phase_changes_to_a_shorter_deadline() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let tracker = Arc::new(Tracker::new(1));
            let guard = tracker.admit(Phase::Idle).unwrap();
            let limits = ServerLimits::default()
                .with_idle_timeout(Duration::from_secs(60))
                .with_header_read_timeout(Duration::from_secs(60))
                .with_send_timeout(Duration::from_millis(100));
            let mut watchdog = std::pin::pin!(Watchdog::new(&guard.conn, limits));
            // Armed for the idle deadline, a minute away.
            let first = tokio::time::timeout(Duration::from_millis(20), watchdog.as_mut()).await;
            assert!(first.is_err());
            // The answer starts and stalls: the next poll moves the timer to the send deadline.
            guard.conn.set(Phase::Respond);
            let fired = tokio::time::timeout(Duration::from_secs(10), watchdog).await;
            assert_eq!(fired, Ok(Phase::Respond));
        });
    }

    #[test]
    fn the_table_sheds_the_connection_waiting_longest_and_never_one_being_answered() {
        let tracker = Arc::new(Tracker::new(3));
        let answering = tracker.admit(Phase::Idle).unwrap();
        answering.conn.set(Phase::Handler);
        let oldest = tracker.admit(Phase::Idle).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let newer = tracker.admit(Phase::Idle).unwrap();
        // Full: the fourth sheds the oldest waiting one.
        let fourth = tracker.admit(Phase::Idle).unwrap();
        let stats = tracker.stats();
        assert_eq!((stats.open, stats.shed, stats.refused), (3, 1, 0));
        let table = tracker.table();
        assert!(!table.contains_key(&oldest.id));
        assert!(table.contains_key(&answering.id) && table.contains_key(&newer.id));
        drop(table);
        // Only requests being answered: a newcomer is refused.
        newer.conn.set(Phase::Handler);
        fourth.conn.set(Phase::Handler);
        assert!(tracker.admit(Phase::Idle).is_none());
        assert_eq!(tracker.stats().refused, 1);
        drop((answering, newer, fourth, oldest));
        assert_eq!(tracker.stats().open, 0);
    }
}
