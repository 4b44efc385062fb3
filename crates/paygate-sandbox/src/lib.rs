//! An embedded emulator of the Payneteasy (v2 and v4) and PaySecure gateways, for tests,
//! demos and your own integration tests.
//!
//! The sandbox is a real hyper server on a real socket (plain HTTP on loopback, or HTTPS with
//! a certificate made at start). It uses the same codecs as the client and the signer's
//! *verify* path, checks every signature and credential, keeps seeded data with real
//! semantics, and can misbehave on purpose ([`faults`]).
//!
//! Routes: Payneteasy under `/paynet/api/v4/` and `/paynet/api/v2/`
//! ([`Sandbox::payneteasy_base_url`], [`Sandbox::payneteasy_v2_base_url`]) with its payer pages
//! under `/paynet/acs/` and `/paynet/form/` ([`payneteasy`] lists the commands, the order state
//! machine, the test cards and the callbacks), PaySecure under `/paysecure/`
//! ([`Sandbox::paysecure_base_url`]), and the integrator's [`console`] under `/console/`
//! ([`Sandbox::console_url`]): a request builder for every Payneteasy command, and the request
//! log of what the sandbox received, why each request was refused and hints for the usual
//! mistakes (also [`Sandbox::request_log`] and `GET /console/log.json`).
//!
//! # Timeouts and limits
//!
//! The server is safe to leave where others can reach it: no connection waits on a slow
//! client for more than 10 s in any phase by default ([`ServerLimits`], set with
//! [`SandboxBuilder::limits`]):
//!
//! | limit | default | what happens |
//! |---|---|---|
//! | [`tls_handshake_timeout`](ServerLimits::tls_handshake_timeout) | 5 s | the connection is dropped |
//! | [`idle_timeout`](ServerLimits::idle_timeout) | 5 s without a byte of a request | closed |
//! | [`header_read_timeout`](ServerLimits::header_read_timeout) | 10 s for the whole request head, from the start of the wait | closed |
//! | [`body_timeout`](ServerLimits::body_timeout) | 10 s for the whole body, from the end of the head | `408`, closed |
//! | [`send_timeout`](ServerLimits::send_timeout) | 10 s without progress writing an answer | closed |
//! | [`max_header_bytes`](ServerLimits::max_header_bytes) | 16 KiB of request head (and of read buffer) | `431`, closed |
//! | [`MAX_REQUEST_BYTES`] | 64 KiB of body (a larger `Content-Length` is refused before reading) | `413`, closed |
//! | [`max_connections`](ServerLimits::max_connections) | 1,024 open connections | the one waiting on its client longest is shed; a newcomer is refused only when every connection has a request being answered |
//!
//! When accepting fails for lack of file descriptors (`EMFILE`, `ENFILE`), the server sheds
//! the connection that waits longest and backs off (5 ms doubling to 1 s), logging one line per
//! burst. [`Sandbox::connection_stats`] counts what was accepted, timed out, shed and refused.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admission;
pub mod console;
pub mod faults;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod log_limit;
pub mod payneteasy;
pub mod paysecure;
mod server;
mod tls;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use faults::{FAULT_HEADER, Fault, FaultController, FaultParseError, FaultSpecProblem};
pub use payneteasy::{
    AuthorityError, PayneteasyMerchant, PayneteasySandboxConfig, PayneteasyStats, SeededOrder,
};
pub use paysecure::{PaySecureMerchant, PaySecureSandboxConfig, PaySecureStats};
pub use server::{ConnectionStats, MAX_REQUEST_BYTES, MIN_HEADER_BYTES, ServerLimits};
pub use tls::{CaCertificateFile, CaFileError, TlsSetupError};

use server::{Counters, GatewayHalf, Shared};

/// The sandbox's clock, shared by both gateway halves
/// ([`PayneteasySandboxConfig::clock`], [`PaySecureSandboxConfig::clock`]); injectable so
/// tests can age timestamps and expire keys. Also re-exported as `payneteasy::Clock` and
/// `paysecure::Clock`.
pub type Clock = Arc<dyn Fn() -> std::time::SystemTime + Send + Sync>;

/// Locks `mutex`, taking over the state a panicking holder left behind: a panic in one
/// request must not take the whole sandbox down with it. Every module of the crate locks
/// through this one helper.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    /// The CA certificate file could not be created ([`SandboxBuilder::ca_certificate_file`]).
    #[error(transparent)]
    CaFile(#[from] CaFileError),
    /// A gateway half's configuration is invalid (a bad public key, a duplicate merchant, …).
    #[error("invalid sandbox configuration: {0}")]
    Config(String),
}

/// Configures and starts a [`Sandbox`].
#[must_use]
pub struct SandboxBuilder {
    addr: SocketAddr,
    tls: bool,
    ca_file: CaCertificateFile,
    halves: Vec<Arc<dyn GatewayHalf>>,
    faults: FaultController,
    allow_fault_header: bool,
    paysecure: Option<Arc<paysecure::Counters>>,
    payneteasy: Option<(Arc<payneteasy::PayneteasyHalf>, Arc<payneteasy::Counters>)>,
    config_errors: Vec<String>,
    limits: ServerLimits,
    console: bool,
    request_log_capacity: usize,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            ca_file: CaCertificateFile::None,
            halves: Vec::new(),
            faults: FaultController::default(),
            allow_fault_header: false,
            paysecure: None,
            payneteasy: None,
            config_errors: Vec::new(),
            limits: ServerLimits::default(),
            console: true,
            request_log_capacity: console::DEFAULT_REQUEST_LOG_CAPACITY,
        }
    }
}

impl SandboxBuilder {
    /// The address to listen on. Default `127.0.0.1:0` (a free port on loopback).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Serve HTTPS with a certificate made at start (default: plain HTTP).
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// With TLS, also write the CA certificate to a file ([`CaCertificateFile`]: created
    /// exclusively, mode 0600, removed on shutdown). Default [`CaCertificateFile::None`].
    /// Ignored without TLS.
    pub fn ca_certificate_file(mut self, location: CaCertificateFile) -> Self {
        self.ca_file = location;
        self
    }

    /// The server's timeouts and connection limits (default: [`ServerLimits::default`]).
    /// Invalid limits (a zero timeout, no connection allowed, a tiny request head) make
    /// [`Self::start`] fail with [`StartError::Config`].
    pub fn limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Serve the integrator's console ([`console`]: the request builder and the request log)
    /// under [`console::CONSOLE_PREFIX`]. Default `true`.
    pub fn console(mut self, on: bool) -> Self {
        self.console = on;
        self
    }

    /// How many requests the request log keeps ([`Sandbox::request_log`], the console's log
    /// pages). Default [`console::DEFAULT_REQUEST_LOG_CAPACITY`]; 0 records nothing.
    pub fn request_log_capacity(mut self, entries: usize) -> Self {
        self.request_log_capacity = entries;
        self
    }

    /// Faults scripted before the start (the same controller is available afterwards
    /// from [`Sandbox::faults`]).
    pub fn faults(mut self, faults: FaultController) -> Self {
        self.faults = faults;
        self
    }

    /// Honour the per-request fault header [`FAULT_HEADER`] (`x-paygate-fault: SPEC`).
    /// Default `false`: the header is ignored, so that a client that can merely reach the
    /// sandbox cannot make it stall or stream large bodies. Faults scripted through
    /// [`Self::faults`] / [`Sandbox::faults`] work either way. Every spec the header can carry
    /// is bounded ([`faults`] lists the bounds).
    pub fn allow_fault_header(mut self, allow: bool) -> Self {
        self.allow_fault_header = allow;
        self
    }

    /// Mounts the PaySecure emulator under `/paysecure/` ([`paysecure`] lists its routes and
    /// answers). A bad configuration makes [`Self::start`] fail with [`StartError::Config`].
    pub fn paysecure(self, config: PaySecureSandboxConfig) -> Self {
        let counters = Arc::new(paysecure::Counters::default());
        match paysecure::PaySecureHalf::new(config, counters.clone()) {
            Ok(half) => {
                let mut builder = self.half(Arc::new(half));
                builder.paysecure = Some(counters);
                builder
            }
            Err(reason) => {
                let mut builder = self;
                builder.config_errors.push(reason);
                builder
            }
        }
    }

    /// Mounts the Payneteasy emulator under `/paynet/` (v2 and v4 commands, payer pages;
    /// [`payneteasy`] lists its routes and answers). A bad configuration (an unreadable public key, a duplicate
    /// merchant) makes [`Self::start`] fail with [`StartError::Config`].
    pub fn payneteasy(self, config: PayneteasySandboxConfig) -> Self {
        let counters = Arc::new(payneteasy::Counters::default());
        match payneteasy::PayneteasyHalf::new(config, counters.clone()) {
            Ok(half) => {
                let half = Arc::new(half);
                let mut builder = self.half(half.clone());
                builder.payneteasy = Some((half, counters));
                builder
            }
            Err(reason) => {
                let mut builder = self;
                builder.config_errors.push(reason);
                builder
            }
        }
    }

    #[allow(dead_code)]
    pub(crate) fn half(mut self, half: Arc<dyn GatewayHalf>) -> Self {
        self.halves.push(half);
        self
    }

    /// Binds the socket and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    /// [`StartError::Bind`] when the address is taken or not allowed, [`StartError::Tls`]
    /// when the certificate cannot be made, [`StartError::CaFile`] when the CA file cannot be
    /// created (something already exists at the path), [`StartError::Config`] when a gateway's
    /// configuration or the [`ServerLimits`] are invalid.
    pub async fn start(self) -> Result<Sandbox, StartError> {
        if let Some(reason) = self.config_errors.first() {
            return Err(StartError::Config(reason.clone()));
        }
        self.limits.validate().map_err(StartError::Config)?;
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: self.addr,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.addr,
            source,
        })?;
        let (tls_acceptor, ca_pem, ca_file) = if self.tls {
            let extra = vec![local_addr.ip().to_string()];
            let made = tls::make(&extra)?;
            let file = tls::WrittenCaFile::write(&self.ca_file, &made.ca_pem)?;
            (Some(made.acceptor), Some(made.ca_pem), file)
        } else {
            (None, None, None)
        };
        let request_log = Arc::new(console::RequestLog::new(self.request_log_capacity));
        let mut halves = self.halves;
        if self.console {
            halves.push(Arc::new(console::ConsoleHalf::new(
                request_log.clone(),
                self.tls,
            )));
        }
        let shared = Arc::new(Shared {
            halves,
            faults: self.faults.clone(),
            allow_fault_header: self.allow_fault_header,
            counters: Counters::default(),
            limits: self.limits,
            tracker: Arc::new(server::Tracker::new(self.limits.max_connections)),
        });
        if let Some((half, _)) = &self.payneteasy {
            half.set_tls(self.tls);
            half.set_request_log(request_log.clone());
            half.start_callbacks();
        }
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            tls_acceptor,
            shared.clone(),
            shutdown_rx,
        ));
        Ok(Sandbox {
            paysecure: self.paysecure,
            payneteasy: self.payneteasy.map(|(_, counters)| counters),
            addr: local_addr,
            ca_pem,
            ca_file,
            faults: self.faults,
            console: self.console,
            request_log,
            shared,
            shutdown: shutdown_tx,
            task: Some(task),
        })
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    ca_pem: Option<String>,
    ca_file: Option<tls::WrittenCaFile>,
    faults: FaultController,
    console: bool,
    request_log: Arc<console::RequestLog>,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    paysecure: Option<Arc<paysecure::Counters>>,
    payneteasy: Option<Arc<payneteasy::Counters>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("tls", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A builder with the defaults: `127.0.0.1:0`, plain HTTP, no gateway mounted.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The Payneteasy base URL up to the API version: `BASE/paynet/api/v4` (a client's
    /// `Environment::custom` of it reaches the v2 commands too: the last segment is the
    /// version).
    pub fn payneteasy_base_url(&self) -> String {
        format!("{}/paynet/api/v4", self.base_url())
    }

    /// The Payneteasy v2 base URL: `BASE/paynet/api/v2`.
    pub fn payneteasy_v2_base_url(&self) -> String {
        format!("{}/paynet/api/v2", self.base_url())
    }

    /// The PaySecure base URL: `BASE/paysecure` (the service routes such as `/CreateKey`
    /// follow it).
    pub fn paysecure_base_url(&self) -> String {
        format!("{}/paysecure", self.base_url())
    }

    /// The console's URL, `BASE/console/` ([`console`]), when it is served.
    pub fn console_url(&self) -> Option<String> {
        self.console
            .then(|| format!("{}{}", self.base_url(), console::CONSOLE_PREFIX))
    }

    /// The Payneteasy requests the sandbox received, oldest first: the last
    /// [`SandboxBuilder::request_log_capacity`] of them, each with its verdict, the base string
    /// the sandbox computed, the answer and hints, secrets redacted ([`console::LoggedRequest`];
    /// the same entries as `GET /console/log.json`).
    pub fn request_log(&self) -> Vec<console::LoggedRequest> {
        self.request_log.entries()
    }

    /// Forgets the logged requests (the numbering goes on).
    pub fn clear_request_log(&self) {
        self.request_log.clear();
    }

    /// The PEM of the throwaway CA that signed the HTTPS certificate (TLS only).
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The CA certificate file written at start ([`SandboxBuilder::ca_certificate_file`]),
    /// until [`Self::shutdown`] removes it.
    pub fn ca_certificate_file(&self) -> Option<&std::path::Path> {
        self.ca_file.as_ref().map(tls::WrittenCaFile::path)
    }

    /// The fault plan of this sandbox.
    pub fn faults(&self) -> &FaultController {
        &self.faults
    }

    /// Requests received so far (every route, faulted ones included).
    pub fn requests_served(&self) -> u64 {
        self.shared.counters.requests.load(Ordering::Relaxed)
    }

    /// What the Payneteasy emulator has done so far (all zero when it is not mounted).
    pub fn payneteasy_stats(&self) -> PayneteasyStats {
        self.payneteasy
            .as_ref()
            .map(|c| c.snapshot())
            .unwrap_or_default()
    }

    /// What the PaySecure emulator has done so far (all zero when it is not mounted).
    pub fn paysecure_stats(&self) -> PaySecureStats {
        self.paysecure
            .as_ref()
            .map(|c| c.snapshot())
            .unwrap_or_default()
    }

    /// The server's connection table: connections open now, and how many were accepted,
    /// closed for a timeout, shed to make room, or refused ([`ServerLimits`]).
    pub fn connection_stats(&self) -> ConnectionStats {
        self.shared.tracker.stats()
    }

    /// The server's timeouts and limits.
    pub fn limits(&self) -> ServerLimits {
        self.shared.limits
    }

    /// Faults injected so far.
    pub fn faults_injected(&self) -> u64 {
        self.shared.counters.faults.load(Ordering::Relaxed)
    }

    /// Stops accepting connections, closes the open ones and removes the CA certificate file
    /// (dropping the sandbox removes it too).
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(mut file) = self.ca_file.take() {
            file.remove();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
