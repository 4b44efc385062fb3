//! Finding a Redis server for the tests.
//!
//! `PAYGATE_TEST_REDIS_URL` (set by `.ci/run`) names a running server. Without it, a test
//! starts its own `redis-server` on a free loopback port when the binary is on `PATH`. With
//! neither, the test fails when `CI` is `true` and is skipped with a notice otherwise.

#![allow(dead_code, unreachable_pub)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the shared test server.
pub const URL_VAR: &str = "PAYGATE_TEST_REDIS_URL";

/// A `redis-server` child process on a loopback port, killed on drop.
pub struct OwnRedis {
    child: Option<Child>,
    pub port: u16,
}

impl OwnRedis {
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts `redis-server` on a free port (a few attempts: the port is picked, then bound
    /// by the server, and another process may take it in between). `None` when the binary
    /// is missing.
    pub fn start() -> Option<OwnRedis> {
        for _ in 0..5 {
            let port = free_port();
            let child = spawn(port)?;
            let mut own = OwnRedis {
                child: Some(child),
                port,
            };
            if own.wait_ready() {
                return Some(own);
            }
            own.stop();
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    /// Stops the server (the test then sees Redis disappear).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            self.child = spawn(self.port);
            assert!(self.child.is_some(), "redis-server vanished from PATH");
            if self.wait_ready() {
                return;
            }
            self.stop();
            assert!(Instant::now() < deadline, "redis-server did not restart");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(_exited)) = child.try_wait()
            {
                return false;
            }
            if ping(self.port) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local addr").port()
}

fn spawn(port: u16) -> Option<Child> {
    Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// `PING` over a plain socket (the RESP inline form).
fn ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// What a test runs against: the shared server, or one of its own.
pub enum Redis {
    Shared(String),
    Own(OwnRedis),
}

impl Redis {
    pub fn url(&self) -> String {
        match self {
            Redis::Shared(url) => url.clone(),
            Redis::Own(own) => own.url(),
        }
    }
}

/// The shared server when `PAYGATE_TEST_REDIS_URL` is set, else an own server; `None` (after
/// printing why) when neither is possible outside CI. Panics in CI.
pub fn redis(test: &str) -> Option<Redis> {
    if let Ok(url) = std::env::var(URL_VAR)
        && !url.is_empty()
    {
        return Some(Redis::Shared(url));
    }
    own_redis(test).map(Redis::Own)
}

/// A server of the test's own (for tests that stop it), or `None` outside CI without
/// `redis-server`. Panics in CI.
pub fn own_redis(test: &str) -> Option<OwnRedis> {
    match OwnRedis::start() {
        Some(own) => Some(own),
        None if in_ci() => panic!(
            "{test}: needs Redis: set {URL_VAR} or put redis-server on PATH (CI=true: not skipped)"
        ),
        None => {
            eprintln!(
                "NOTICE: {test} skipped: no Redis ({URL_VAR} unset and no redis-server on PATH)"
            );
            None
        }
    }
}

/// A key prefix of its own for each test run, so runs sharing one server never collide.
pub fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("paygate-test:{test}:{}:{nanos}:", std::process::id())
}
