//! Signature method names.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// An OAuth 1.0a signature method (`oauth_signature_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureMethod {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Payneteasy, Mastercard, …). The primary method.
    RsaSha256,
    /// RSASSA-PKCS1-v1_5 with SHA-1 (RFC 5849 §3.4.3).
    RsaSha1,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaSha512,
    /// HMAC-SHA1 (RFC 5849 §3.4.2).
    HmacSha1,
    /// HMAC-SHA256.
    HmacSha256,
    /// PLAINTEXT (RFC 5849 §3.4.4): the key itself; only over TLS.
    Plaintext,
}

impl SignatureMethod {
    /// Every method, in declaration order.
    pub const ALL: [SignatureMethod; 6] = [
        SignatureMethod::RsaSha256,
        SignatureMethod::RsaSha1,
        SignatureMethod::RsaSha512,
        SignatureMethod::HmacSha1,
        SignatureMethod::HmacSha256,
        SignatureMethod::Plaintext,
    ];

    /// The wire name, e.g. `RSA-SHA256`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::RsaSha256 => "RSA-SHA256",
            SignatureMethod::RsaSha1 => "RSA-SHA1",
            SignatureMethod::RsaSha512 => "RSA-SHA512",
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
            SignatureMethod::HmacSha256 => "HMAC-SHA256",
            SignatureMethod::Plaintext => "PLAINTEXT",
        }
    }

    /// `true` for the RSA methods.
    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            SignatureMethod::RsaSha256 | SignatureMethod::RsaSha1 | SignatureMethod::RsaSha512
        )
    }

    /// `true` when `oauth_signature` carries base64 of the signature bytes (every method except
    /// PLAINTEXT, whose signature is the key text itself).
    pub fn signature_is_base64(self) -> bool {
        self != SignatureMethod::Plaintext
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignatureMethod {
    type Err = Error;

    /// Parses a wire name. Names are compared exactly (case-sensitive), as on the wire.
    fn from_str(s: &str) -> Result<Self, Error> {
        SignatureMethod::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| Error::UnsupportedSignatureMethod { name: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for m in SignatureMethod::ALL {
            assert_eq!(m.as_str().parse::<SignatureMethod>().unwrap(), m);
            assert_eq!(m.to_string(), m.as_str());
        }
        assert!("rsa-sha256".parse::<SignatureMethod>().is_err());
    }
}
