//! `-v` / `RUST_LOG`: tracing on stderr, through the same redaction and escaping as every
//! other byte this tool prints ([`crate::output::eprint_text`]), without colours.
//!
//! The level: `RUST_LOG` when it is set (`info`, `paygate_client=debug`,
//! `paygate_client=trace,hyper=info`: targets and levels, no span filters), else `-v` info,
//! `-vv` debug, `-vvv` trace; without either, nothing (the sandbox: info, so that it logs
//! refusals and faults as before). The client's spans and events carry no secret by design,
//! and a secret this process read (password, card number) is redacted from every line anyway.

use std::io;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Installs the subscriber for this process (once; a second call does nothing).
pub(crate) fn init(verbose: u8, is_sandbox: bool) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(text) if !text.trim().is_empty() => match text.parse::<Targets>() {
            Ok(targets) => targets,
            Err(e) => {
                crate::output::eprint_line(&format!(
                    "paygate: warning: RUST_LOG ignored: {}",
                    crate::output::Shown(&e.to_string())
                ));
                Targets::new().with_default(level(verbose, is_sandbox))
            }
        },
        _ => Targets::new().with_default(level(verbose, is_sandbox)),
    };
    if filter.default_level() == Some(LevelFilter::OFF) && filter.iter().next().is_none() {
        return;
    }
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(RedactedStderr);
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
}

fn level(verbose: u8, is_sandbox: bool) -> LevelFilter {
    match verbose {
        0 if is_sandbox => LevelFilter::INFO,
        0 => LevelFilter::OFF,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Makes one [`EventWriter`] per event.
struct RedactedStderr;

impl<'a> MakeWriter<'a> for RedactedStderr {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter(Vec::new())
    }
}

/// Collects one formatted event and prints it, redacted and escaped, when dropped.
struct EventWriter(Vec<u8>);

impl io::Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // An event is a few hundred bytes; a runaway one is cut rather than buffered forever.
        const MAX_EVENT_BYTES: usize = 64 * 1024;
        let room = MAX_EVENT_BYTES.saturating_sub(self.0.len());
        self.0.extend_from_slice(&buf[..buf.len().min(room)]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            crate::output::eprint_text(&String::from_utf8_lossy(&self.0));
        }
    }
}
