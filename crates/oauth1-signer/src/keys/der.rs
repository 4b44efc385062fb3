//! Just enough DER *reading* to name the problem before a back end sees the key, written once
//! for private and public keys. The back ends parse the keys themselves (aws-lc-rs
//! `RsaKeyPair::from_der`/`from_pkcs8` and `RsaSubjectPublicKey::from_der`; RustCrypto's
//! `pkcs1`/`pkcs8` decoders) and also write every DER encoding this crate hands out. This reader
//! stays because their errors cannot say what the caller needs to hear:
//! - which format it is (PKCS#1 or PKCS#8), to call the right aws-lc-rs parser;
//! - "not an RSA key: found EC/Ed25519/…" (the algorithm OID check, [`rsa_algorithm`]), an
//!   encrypted PKCS#8 structure, or a public key where a private key is needed (and back);
//! - the modulus size *before* the back end refuses it, so a 1024-bit key on aws-lc-rs is
//!   reported as "1024-bit key too small (minimum 2048)" rather than an opaque rejection;
//! - the modulus and exponent for the RustCrypto back end's public keys (its DER decoder caps
//!   them at 4096 bits; ours go to 8192).

use crate::KeyError;

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// rsaEncryption, 1.2.840.113549.1.1.1
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

fn algorithm_name(oid: &[u8]) -> &'static str {
    match oid {
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a] => "RSASSA-PSS (restricted RSA key)",
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => "EC",
        [0x2b, 0x65, 0x70] => "Ed25519",
        [0x2b, 0x65, 0x71] => "Ed448",
        [0x2b, 0x65, 0x6e] => "X25519",
        [0x2b, 0x65, 0x6f] => "X448",
        [0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01] => "DSA",
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x03, 0x01] => "Diffie-Hellman",
        _ => "an unknown algorithm",
    }
}

/// Checks that an `AlgorithmIdentifier`'s content names rsaEncryption: the one OID check, for
/// PKCS#8 and SPKI alike.
fn rsa_algorithm(algorithm: &[u8], format: &'static str) -> Result<(), KeyError> {
    let (oid, _) = expect(algorithm, TAG_OID, format, "AlgorithmIdentifier has no OID")?;
    if oid == OID_RSA {
        Ok(())
    } else {
        Err(KeyError::NotRsa {
            algorithm: algorithm_name(oid),
        })
    }
}

/// Reads one TLV; returns (tag, content, rest).
fn read<'a>(input: &'a [u8], format: &'static str) -> Result<(u8, &'a [u8], &'a [u8]), KeyError> {
    let err = |reason| KeyError::Der { format, reason };
    let (&tag, rest) = input
        .split_first()
        .ok_or(err("truncated (missing element)"))?;
    let (&first, rest) = rest
        .split_first()
        .ok_or(err("truncated (missing length)"))?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else if first == 0x80 {
        return Err(err("indefinite length is not DER"));
    } else {
        let n = usize::from(first & 0x7f);
        if n > 4 {
            return Err(err("length too large"));
        }
        if rest.len() < n {
            return Err(err("truncated (length)"));
        }
        let (len_bytes, rest) = rest.split_at(n);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest)
    };
    if rest.len() < len {
        return Err(err("truncated (content shorter than its length)"));
    }
    let (content, rest) = rest.split_at(len);
    Ok((tag, content, rest))
}

fn expect<'a>(
    input: &'a [u8],
    tag: u8,
    format: &'static str,
    what: &'static str,
) -> Result<(&'a [u8], &'a [u8]), KeyError> {
    let (t, content, rest) = read(input, format)?;
    if t != tag {
        return Err(KeyError::Der {
            format,
            reason: what,
        });
    }
    Ok((content, rest))
}

/// The outer SEQUENCE's content; nothing may follow it.
fn outer_sequence<'a>(der: &'a [u8], format: &'static str) -> Result<&'a [u8], KeyError> {
    let (content, rest) = expect(
        der,
        TAG_SEQUENCE,
        format,
        "not an ASN.1 SEQUENCE (garbage or not a key)",
    )?;
    if !rest.is_empty() {
        return Err(KeyError::Der {
            format,
            reason: "trailing bytes after the key",
        });
    }
    Ok(content)
}

/// Strips the sign byte of a positive INTEGER.
fn unsigned(int: &[u8]) -> &[u8] {
    let mut int = int;
    while let [0, rest @ ..] = int {
        int = rest;
    }
    int
}

/// Size in bits of a big-endian unsigned integer.
pub(crate) fn bit_len(int: &[u8]) -> usize {
    let int = unsigned(int);
    match int.first() {
        None => 0,
        Some(&b) => (int.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
    }
}

/// The `n` and `e` INTEGERs that open both PKCS#1 structures (sign bytes stripped), and the rest.
#[allow(clippy::type_complexity)]
fn modulus_and_exponent<'a>(
    input: &'a [u8],
    format: &'static str,
) -> Result<(&'a [u8], &'a [u8], &'a [u8]), KeyError> {
    let (n, rest) = expect(input, TAG_INTEGER, format, "modulus is not an INTEGER")?;
    let (e, rest) = expect(
        rest,
        TAG_INTEGER,
        format,
        "public exponent is not an INTEGER",
    )?;
    Ok((unsigned(n), unsigned(e), rest))
}

/// The private key formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrivateFormat {
    Pkcs1,
    Pkcs8,
}

/// A classified RSA private key: its format and modulus (borrowed from the input).
pub(crate) struct PrivateKeyInfo<'a> {
    pub(crate) format: PrivateFormat,
    pub(crate) n: &'a [u8],
}

/// The modulus of a PKCS#1 `RSAPrivateKey`, after checking that all its INTEGERs are there.
fn pkcs1_private_modulus<'a>(pkcs1: &'a [u8], format: &'static str) -> Result<&'a [u8], KeyError> {
    let body = outer_sequence(pkcs1, format)?;
    let (version, rest) = expect(
        body,
        TAG_INTEGER,
        format,
        "RSAPrivateKey version is not an INTEGER",
    )?;
    if version != [0] && version != [1] {
        return Err(KeyError::Der {
            format,
            reason: "unsupported RSAPrivateKey version",
        });
    }
    let (n, _, mut rest) = modulus_and_exponent(rest, format)?;
    for what in [
        "private exponent missing",
        "prime p missing",
        "prime q missing",
        "exponent dp missing",
        "exponent dq missing",
        "coefficient missing",
    ] {
        let (_, r) = expect(rest, TAG_INTEGER, format, what)?;
        rest = r;
    }
    Ok(n)
}

/// Classifies DER private key bytes as PKCS#1 or PKCS#8 RSA, or names what else it is.
pub(crate) fn classify_private(der: &[u8]) -> Result<PrivateKeyInfo<'_>, KeyError> {
    let body = outer_sequence(der, "private key")?;
    let (tag, first, rest) = read(body, "private key")?;
    match tag {
        TAG_INTEGER => {
            let (next_tag, _, _) = read(rest, "private key")?;
            if next_tag == TAG_SEQUENCE {
                // PrivateKeyInfo: version, AlgorithmIdentifier, OCTET STRING { RSAPrivateKey }
                let (alg, rest) =
                    expect(rest, TAG_SEQUENCE, "PKCS#8", "missing AlgorithmIdentifier")?;
                rsa_algorithm(alg, "PKCS#8")?;
                let (inner, _) = expect(
                    rest,
                    TAG_OCTET_STRING,
                    "PKCS#8",
                    "private key is not an OCTET STRING",
                )?;
                Ok(PrivateKeyInfo {
                    format: PrivateFormat::Pkcs8,
                    n: pkcs1_private_modulus(inner, "PKCS#8")?,
                })
            } else if next_tag == TAG_OCTET_STRING && first == [1] {
                Err(KeyError::NotRsa {
                    algorithm: "EC (SEC1 \"EC PRIVATE KEY\")",
                })
            } else {
                Ok(PrivateKeyInfo {
                    format: PrivateFormat::Pkcs1,
                    n: pkcs1_private_modulus(der, "PKCS#1")?,
                })
            }
        }
        TAG_SEQUENCE => {
            let (next_tag, _, _) = read(rest, "private key")?;
            match next_tag {
                TAG_OCTET_STRING => Err(KeyError::Encrypted {
                    format: "PKCS#8 EncryptedPrivateKeyInfo",
                }),
                TAG_BIT_STRING => Err(KeyError::WrongKind {
                    expected: "a private key",
                    found: "a public key (SPKI)",
                }),
                _ => Err(KeyError::UnsupportedFormat {
                    found: "an ASN.1 structure that is not a private key".into(),
                }),
            }
        }
        _ => Err(KeyError::Der {
            format: "private key",
            reason: "neither PKCS#1 nor PKCS#8",
        }),
    }
}

/// A classified RSA public key (SPKI or PKCS#1): modulus and exponent, borrowed from the input.
pub(crate) struct PublicKeyInfo<'a> {
    pub(crate) n: &'a [u8],
    /// Read by the RustCrypto back end only.
    #[cfg_attr(not(feature = "rsa"), allow(dead_code))]
    pub(crate) e: &'a [u8],
}

// Alike in shape to `classify_private`: both walk an RSA key container with the shared
// `outer_sequence`/`read`/`expect`/`rsa_algorithm` steps, but the structures differ (an OCTET
// STRING inside PKCS#8, a BIT STRING with an unused-bits byte inside SPKI), so each keeps its
// own few lines of structure.
/// Classifies DER public key bytes (SPKI or PKCS#1).
pub(crate) fn classify_public(der: &[u8]) -> Result<PublicKeyInfo<'_>, KeyError> {
    let body = outer_sequence(der, "public key")?;
    let (tag, first, rest) = read(body, "public key")?;
    match tag {
        TAG_SEQUENCE => {
            // SubjectPublicKeyInfo: AlgorithmIdentifier, BIT STRING { RSAPublicKey }
            rsa_algorithm(first, "SPKI")?;
            let (bits, _) = expect(
                rest,
                TAG_BIT_STRING,
                "SPKI",
                "public key is not a BIT STRING",
            )?;
            let (&unused, pkcs1) = bits.split_first().ok_or(KeyError::Der {
                format: "SPKI",
                reason: "empty BIT STRING",
            })?;
            if unused != 0 {
                return Err(KeyError::Der {
                    format: "SPKI",
                    reason: "BIT STRING has unused bits",
                });
            }
            let (n, e) = parse_pkcs1_public(pkcs1, "SPKI")?;
            Ok(PublicKeyInfo { n, e })
        }
        TAG_INTEGER => {
            if rest.first() == Some(&TAG_INTEGER)
                && read(rest, "public key").is_ok_and(|(_, _, r)| !r.is_empty())
            {
                return Err(KeyError::WrongKind {
                    expected: "a public key",
                    found: "a private key",
                });
            }
            let (n, e) = parse_pkcs1_public(der, "PKCS#1")?;
            Ok(PublicKeyInfo { n, e })
        }
        _ => Err(KeyError::Der {
            format: "public key",
            reason: "neither SPKI nor PKCS#1",
        }),
    }
}

fn parse_pkcs1_public<'a>(
    pkcs1: &'a [u8],
    format: &'static str,
) -> Result<(&'a [u8], &'a [u8]), KeyError> {
    let (n, e, rest) = modulus_and_exponent(outer_sequence(pkcs1, format)?, format)?;
    if !rest.is_empty() {
        return Err(KeyError::Der {
            format,
            reason: "unexpected data after the public exponent",
        });
    }
    Ok((n, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncation() {
        assert!(matches!(classify_private(b""), Err(KeyError::Der { .. })));
        assert!(matches!(
            classify_private(b"\x30\x82\x01"),
            Err(KeyError::Der { .. })
        ));
        assert!(matches!(
            classify_private(b"\x30\x03\x02\x01\x00\x00"),
            Err(KeyError::Der { .. })
        ));
        assert!(matches!(
            classify_public(b"hello"),
            Err(KeyError::Der { .. })
        ));
    }

    #[test]
    fn public_pkcs1() {
        // SEQUENCE { INTEGER 0x0080 01 (sign byte), INTEGER 65537 }
        let der = [
            0x30, 0x0a, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x03, 0x01, 0x00, 0x01,
        ];
        let PublicKeyInfo { n, e } = classify_public(&der).unwrap();
        assert_eq!(e, &[1, 0, 1]);
        assert_eq!(n, &[0x80, 1]);
        assert_eq!(bit_len(n), 16);
    }
}
