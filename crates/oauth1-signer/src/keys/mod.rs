//! Signing and verifying keys: the two traits, HMAC/PLAINTEXT keys, and RSA keys.

use std::fmt;

use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::encoding::percent_encode_into;
use crate::{Error, SignatureMethod};

#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
pub(crate) mod der;
#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
pub(crate) mod pem;
#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
pub(crate) mod rsa;

/// Something that signs signature base strings: an RSA key, an HMAC key, or your own HSM/KMS
/// adapter.
pub trait SigningKey: Send + Sync {
    /// The `oauth_signature_method` this key produces.
    fn method(&self) -> SignatureMethod;

    /// Signs the base string and returns the raw signature bytes (for PLAINTEXT: the key text).
    ///
    /// # Errors
    /// Whatever the signer cannot do; an adapter should wrap its own errors in
    /// [`Error::Signing`].
    fn sign(&self, base_string: &[u8]) -> Result<Vec<u8>, Error>;
}

/// Something that checks signatures over base strings.
pub trait VerifyingKey: Send + Sync {
    /// The `oauth_signature_method` this key checks.
    fn method(&self) -> SignatureMethod;

    /// Checks `signature` (raw bytes, already base64-decoded) over `base_string`.
    ///
    /// # Errors
    /// [`Error::BadSignature`] when the signature does not match; any other error means the
    /// verifier itself failed.
    fn verify(&self, base_string: &[u8], signature: &[u8]) -> Result<(), Error>;
}

/// `enc(consumer_secret) & enc(token_secret)` (RFC 5849 §3.4.2), in zeroized memory.
fn shared_secret_key(consumer_secret: &str, token_secret: &str) -> Zeroizing<String> {
    let mut key = Zeroizing::new(String::with_capacity(
        3 * (consumer_secret.len() + token_secret.len()) + 1,
    ));
    percent_encode_into(&mut key, consumer_secret.as_bytes());
    key.push('&');
    percent_encode_into(&mut key, token_secret.as_bytes());
    key
}

/// The digest of an HMAC key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HmacAlgorithm {
    /// HMAC-SHA1 (RFC 5849 §3.4.2).
    Sha1,
    /// HMAC-SHA256.
    Sha256,
}

/// An HMAC-SHA1 or HMAC-SHA256 key built from the consumer secret and the token secret (empty
/// when there is no token). Signs and verifies (constant-time comparison). The derived key is
/// zeroized on drop; `Debug` is redacted.
///
/// ```
/// use oauth1_signer::{HmacKey, SigningKey, SignatureMethod};
/// let key = HmacKey::new("cs", "ts");
/// assert_eq!(key.method(), SignatureMethod::HmacSha1);
/// assert_eq!(HmacKey::sha256("cs", "").method(), SignatureMethod::HmacSha256);
/// ```
#[derive(Clone)]
pub struct HmacKey {
    key: Zeroizing<String>,
    algorithm: HmacAlgorithm,
}

impl HmacKey {
    /// An HMAC-SHA1 key (the RFC's method). Use an empty `token_secret` when there is no token.
    pub fn new(consumer_secret: &str, token_secret: &str) -> Self {
        HmacKey {
            key: shared_secret_key(consumer_secret, token_secret),
            algorithm: HmacAlgorithm::Sha1,
        }
    }

    /// An HMAC-SHA256 key.
    pub fn sha256(consumer_secret: &str, token_secret: &str) -> Self {
        HmacKey::new(consumer_secret, token_secret).with_algorithm(HmacAlgorithm::Sha256)
    }

    /// The same key with another digest.
    #[must_use]
    pub fn with_algorithm(mut self, algorithm: HmacAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The digest in use.
    pub fn algorithm(&self) -> HmacAlgorithm {
        self.algorithm
    }

    fn mac(&self, base_string: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here; the fallback
        // keeps this path panic-free anyway.
        match self.algorithm {
            HmacAlgorithm::Sha1 => match Hmac::<sha1::Sha1>::new_from_slice(self.key.as_bytes()) {
                Ok(mut mac) => {
                    mac.update(base_string);
                    mac.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
            HmacAlgorithm::Sha256 => {
                match Hmac::<sha2::Sha256>::new_from_slice(self.key.as_bytes()) {
                    Ok(mut mac) => {
                        mac.update(base_string);
                        mac.finalize().into_bytes().to_vec()
                    }
                    Err(_) => Vec::new(),
                }
            }
        }
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacKey")
            .field("algorithm", &self.algorithm)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl SigningKey for HmacKey {
    fn method(&self) -> SignatureMethod {
        match self.algorithm {
            HmacAlgorithm::Sha1 => SignatureMethod::HmacSha1,
            HmacAlgorithm::Sha256 => SignatureMethod::HmacSha256,
        }
    }

    fn sign(&self, base_string: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.mac(base_string))
    }
}

impl VerifyingKey for HmacKey {
    fn method(&self) -> SignatureMethod {
        SigningKey::method(self)
    }

    fn verify(&self, base_string: &[u8], signature: &[u8]) -> Result<(), Error> {
        let expected = self.mac(base_string);
        if !expected.is_empty() && bool::from(expected.as_slice().ct_eq(signature)) {
            Ok(())
        } else {
            Err(Error::BadSignature)
        }
    }
}

/// A PLAINTEXT key (RFC 5849 §3.4.4): the signature is `enc(consumer_secret) & enc(token_secret)`
/// itself. Only ever use it over TLS. Signs and verifies (constant-time comparison); zeroized on
/// drop; `Debug` is redacted.
#[derive(Clone)]
pub struct PlaintextKey {
    key: Zeroizing<String>,
}

impl PlaintextKey {
    /// A PLAINTEXT key. Use an empty `token_secret` when there is no token.
    pub fn new(consumer_secret: &str, token_secret: &str) -> Self {
        PlaintextKey {
            key: shared_secret_key(consumer_secret, token_secret),
        }
    }
}

impl fmt::Debug for PlaintextKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlaintextKey")
            .field("key", &"<redacted>")
            .finish()
    }
}

impl SigningKey for PlaintextKey {
    fn method(&self) -> SignatureMethod {
        SignatureMethod::Plaintext
    }

    fn sign(&self, _base_string: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.key.as_bytes().to_vec())
    }
}

impl VerifyingKey for PlaintextKey {
    fn method(&self) -> SignatureMethod {
        SignatureMethod::Plaintext
    }

    fn verify(&self, _base_string: &[u8], signature: &[u8]) -> Result<(), Error> {
        if bool::from(self.key.as_bytes().ct_eq(signature)) {
            Ok(())
        } else {
            Err(Error::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiki_hmac_vectors() {
        use base64::Engine as _;
        let b64 = |v: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(v);
        assert_eq!(
            b64(HmacKey::new("cs", "").sign(b"bs").unwrap()),
            "egQqG5AJep5sJ7anhXju1unge2I="
        );
        assert_eq!(
            b64(HmacKey::new("cs", "ts").sign(b"bs").unwrap()),
            "VZVjXceV7JgPq/dOTnNmEfO0Fv8="
        );
    }

    #[test]
    fn plaintext_and_redaction() {
        let key = PlaintextKey::new("c s", "t&");
        assert_eq!(key.sign(b"").unwrap(), b"c%20s&t%26");
        assert!(key.verify(b"x", b"c%20s&t%26").is_ok());
        assert!(matches!(
            key.verify(b"x", b"c%20s&t%2"),
            Err(Error::BadSignature)
        ));
        assert!(!format!("{key:?}").contains("c%20s"));
        assert!(!format!("{:?}", HmacKey::new("secret", "")).contains("secret"));
    }
}
