//! The thin layer that reads the OS clock and RNG (feature `std`). The core API never does.

use crate::Error;

const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// 32 random alphanumeric characters from the OS CSPRNG (`getrandom`), without modulo bias.
///
/// ```
/// let nonce = oauth1_signer::generate_nonce()?;
/// assert_eq!(nonce.len(), 32);
/// assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()));
/// # Ok::<(), oauth1_signer::Error>(())
/// ```
///
/// # Errors
/// [`Error::Random`] when the OS RNG fails.
pub fn generate_nonce() -> Result<String, Error> {
    let mut nonce = String::with_capacity(32);
    let mut buf = [0u8; 48];
    while nonce.len() < 32 {
        getrandom::fill(&mut buf).map_err(|e| Error::Random(Box::new(e)))?;
        // 248 = 4 * 62: bytes at or above it would bias the distribution, so they are skipped.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if nonce.len() == 32 {
                break;
            }
            nonce.push(char::from(ALPHANUMERIC[usize::from(b % 62)]));
        }
    }
    Ok(nonce)
}

/// The current Unix time in seconds (0 if the clock is before 1970).
pub fn unix_timestamp_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
