//! Secrets typed by the user (the PaySecure password, the card number, the CVN) and the
//! process settings that keep them in memory only.
//!
//! - A secret comes from its environment variable, else from a prompt on the terminal with
//!   echo off. Without a terminal on stdin, the command refuses with a clear message rather
//!   than reading a secret from a pipe (scripts set the variable; a secret in a pipe is
//!   too easily logged or left in a file).
//! - Every secret read is registered with the printing ([`crate::output`]), which never
//!   prints it.
//! - Before a command reads a secret or a private key, [`harden_process`] disables core dumps
//!   (`RLIMIT_CORE` = 0) and, on Linux, marks the process not dumpable (no core, no
//!   `ptrace` attach or `/proc/PID/mem` read by other processes of the same user).

use zeroize::Zeroizing;

use crate::output::{CliError, ErrorKind, register_digit_secret, register_text_secret};

/// What a secret looks like, for redaction.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SecretKind {
    /// Free text (a password).
    Text,
    /// Digits (a PAN, a CVN), found again in any spacing.
    Digits,
}

/// A secret from the environment variable `env`, else typed on the terminal without echo
/// after `prompt`. `no_tty` is the message when stdin is not a terminal.
///
/// # Errors
/// A one-line [`CliError`] of kind [`ErrorKind::Secret`]: the variable is not UTF-8, there is no terminal, the terminal
/// cannot be read or its echo cannot be turned off, or the prompt was cancelled (Ctrl-C,
/// Ctrl-D).
pub(crate) fn read_secret(
    env: &str,
    prompt: &str,
    no_tty: &str,
    kind: SecretKind,
) -> Result<Zeroizing<String>, CliError> {
    let secret = match std::env::var_os(env) {
        Some(value) => value
            .into_string()
            .map(Zeroizing::new)
            .map_err(|_| CliError::message(format!("{env} is not valid UTF-8")))
            .map_err(|e| e.kind(ErrorKind::Secret))?,
        None => prompt_hidden(prompt, no_tty).map_err(|e| e.kind(ErrorKind::Secret))?,
    };
    register(&secret, kind);
    Ok(secret)
}

/// Registers a secret read some other way with the printing, so it is never printed.
pub(crate) fn register(secret: &str, kind: SecretKind) {
    match kind {
        SecretKind::Text => register_text_secret(secret),
        SecretKind::Digits => register_digit_secret(secret),
    }
}

#[cfg(unix)]
fn prompt_hidden(prompt: &str, no_tty: &str) -> Result<Zeroizing<String>, CliError> {
    use std::io::IsTerminal as _;
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::message(no_tty.to_owned()));
    }
    let line = hidden::read_line(&stdin, prompt)
        .map_err(|e| CliError::new("cannot read from the terminal", &e))?;
    line.ok_or_else(|| CliError::message(format!("{prompt}: cancelled")))
}

#[cfg(not(unix))]
fn prompt_hidden(_prompt: &str, no_tty: &str) -> Result<Zeroizing<String>, CliError> {
    // Turning the echo off needs platform code this tool carries only for Unix: elsewhere the
    // secret must come from its environment variable.
    Err(CliError::message(no_tty.to_owned()))
}

/// Reading one line from a terminal with echo off, byte by byte in non-canonical mode, so that
/// Ctrl-C cancels at once and restores the terminal (it is not a signal while the prompt is
/// up) and no stray copy of the line is left in a line-discipline echo.
#[cfg(unix)]
mod hidden {
    use std::io::{Read as _, Write as _};
    use std::os::fd::AsFd;

    use rustix::termios::{
        LocalModes, OptionalActions, SpecialCodeIndex, Termios, tcgetattr, tcsetattr,
    };
    use zeroize::Zeroizing;

    /// Puts the terminal's settings back when dropped (also on an error or a panic).
    struct Restore<'a, Fd: AsFd> {
        fd: &'a Fd,
        original: Termios,
    }

    impl<Fd: AsFd> Drop for Restore<'_, Fd> {
        fn drop(&mut self) {
            let _ = tcsetattr(self.fd, OptionalActions::Now, &self.original);
        }
    }

    /// Longest line accepted, in bytes: a password or a card number is far shorter.
    const MAX_LINE: usize = 4096;

    /// The line typed after `prompt` (on stderr), without its end; `None` when cancelled.
    pub(super) fn read_line(
        stdin: &std::io::Stdin,
        prompt: &str,
    ) -> std::io::Result<Option<Zeroizing<String>>> {
        let original = tcgetattr(stdin)?;
        let mut quiet = original.clone();
        quiet
            .local_modes
            .remove(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG);
        quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
        quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
        let interrupt = original.special_codes[SpecialCodeIndex::VINTR];
        let end_of_file = original.special_codes[SpecialCodeIndex::VEOF];
        let erase = original.special_codes[SpecialCodeIndex::VERASE];
        let kill = original.special_codes[SpecialCodeIndex::VKILL];
        // Echo goes off before the prompt shows, and what was typed ahead is discarded.
        tcsetattr(stdin, OptionalActions::Flush, &quiet)?;
        let _restore = Restore {
            fd: stdin,
            original,
        };
        let mut stderr = std::io::stderr();
        let _ = write!(stderr, "{prompt}: ");
        let _ = stderr.flush();
        let mut line = Zeroizing::new(Vec::<u8>::with_capacity(128));
        let mut input = stdin.lock();
        let mut byte = [0u8; 1];
        let outcome = loop {
            if input.read(&mut byte)? == 0 {
                break None;
            }
            match byte[0] {
                b'\n' | b'\r' => break Some(()),
                b if b == interrupt && b != 0 => break None,
                b if b == end_of_file && b != 0 && line.is_empty() => break None,
                b if (b == erase && b != 0) || b == 0x7f || b == 0x08 => {
                    // Remove one whole UTF-8 character.
                    while let Some(last) = line.pop() {
                        if last & 0xc0 != 0x80 {
                            break;
                        }
                    }
                }
                b if b == kill && b != 0 => line.clear(),
                b => {
                    if line.len() < MAX_LINE {
                        line.push(b);
                    }
                }
            }
        };
        // The Enter (or the Ctrl-C) was not echoed: end the prompt's line.
        let _ = writeln!(stderr);
        if outcome.is_none() {
            return Ok(None);
        }
        let text = std::str::from_utf8(&line).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "the input is not UTF-8")
        })?;
        Ok(Some(Zeroizing::new(text.to_owned())))
    }
}

/// Disables core dumps for this process (soft and hard `RLIMIT_CORE` = 0) and, on Linux,
/// makes it not dumpable (`PR_SET_DUMPABLE` 0). Called before a command reads a secret or a
/// private key, so that a crash or a `gcore` cannot write the password, the card or the key
/// to disk.
///
/// # Errors
/// The system refused a setting (lowering limits is always allowed, so this is not expected);
/// the caller warns and goes on.
#[cfg(unix)]
pub(crate) fn harden_process() -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    )?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    Ok(())
}

/// Core dumps are a Unix matter; nothing to do elsewhere.
#[cfg(not(unix))]
pub(crate) fn harden_process() -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In-process: after the call, `/proc/self/limits` shows a core size limit of 0 (soft
    /// and hard) and the process is not dumpable.
    #[cfg(target_os = "linux")]
    #[test]
    fn harden_process_disables_core_dumps() {
        harden_process().unwrap();
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .unwrap();
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&fields[4..6], ["0", "0"], "{line}");
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            rustix::process::DumpableBehavior::NotDumpable
        );
        // Calling it again is harmless.
        harden_process().unwrap();
    }

    #[test]
    fn registered_secrets_are_never_shown() {
        register("Reg1stered-pw", SecretKind::Text);
        register("4000 0000 0000 0002", SecretKind::Digits);
        let shown =
            crate::output::Shown("pw Reg1stered-pw card 4000-0000-0000-0002\x1b").to_string();
        assert_eq!(shown, "pw [redacted] card [redacted]\\x1b");
    }
}
