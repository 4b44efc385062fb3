//! PEM (RFC 7468) through `rustls-pki-types`, whose base64 decoding of private-key sections is
//! constant-time. This module only picks the section to read and turns the result into our
//! [`KeyError`]s; it decodes nothing itself. Accepts one-line PEM with literal `\n` escapes (as
//! found in environment variables and JSON configuration).

use rustls_pki_types::pem::{self, PemObject as _, SectionKind};
use zeroize::Zeroizing;

use crate::KeyError;

/// Which kind of key the caller loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Private,
    Public,
}

/// `rustls-pki-types` has no section kind for a PKCS#1 public key (`RSA PUBLIC KEY`); such a
/// document is read under the `PUBLIC KEY` label (public data, decoded by the same reader) and
/// its DER told apart from SPKI afterwards by the DER reader.
const PKCS1_PUBLIC_LABEL: &str = "RSA PUBLIC KEY";

/// Decodes the first PEM block of `text`, which must hold a key of `kind`, into DER (zeroized
/// on drop).
pub(crate) fn decode(text: &str, kind: KeyKind) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    // Literal "\n" (backslash, n) escapes: turn them into real line breaks first.
    let unescaped: Zeroizing<String>;
    let mut text = if text.contains("\\n") || text.contains("\\r") {
        unescaped = Zeroizing::new(text.replace("\\r", "").replace("\\n", "\n"));
        unescaped.as_str()
    } else {
        text
    };
    let relabelled: String;
    let section = match (first_label(text)?, kind) {
        ("RSA PRIVATE KEY", KeyKind::Private) => SectionKind::RsaPrivateKey,
        ("PRIVATE KEY", KeyKind::Private) => SectionKind::PrivateKey,
        ("PUBLIC KEY", KeyKind::Public) => SectionKind::PublicKey,
        (PKCS1_PUBLIC_LABEL, KeyKind::Public) => {
            relabelled = text.replace(PKCS1_PUBLIC_LABEL, "PUBLIC KEY");
            text = &relabelled;
            SectionKind::PublicKey
        }
        (label, kind) => return Err(wrong_label(label, kind)),
    };
    // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: …") are not base64: name the
    // legacy encryption instead of reporting bad base64.
    if text
        .lines()
        .any(|l| l.trim_start().starts_with("Proc-Type:") && l.contains("ENCRYPTED"))
    {
        return Err(KeyError::Encrypted {
            format: "legacy OpenSSL PEM encryption (Proc-Type: 4,ENCRYPTED)",
        });
    }
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(text.as_bytes()) {
        let (found, der) = item.map_err(pem_error)?;
        let der = Zeroizing::new(der);
        if found != section {
            continue;
        }
        if der.is_empty() {
            return Err(KeyError::Pem {
                reason: "empty body",
            });
        }
        return Ok(der);
    }
    Err(KeyError::Pem {
        reason: "no matching END line (truncated key?)",
    })
}

/// The label of the first `-----BEGIN …-----` line, to choose the section and name errors.
fn first_label(text: &str) -> Result<&str, KeyError> {
    const BEGIN: &str = "-----BEGIN ";
    let start = text.find(BEGIN).ok_or(KeyError::NotPem)?;
    let after = &text[start + BEGIN.len()..];
    match after.find("-----") {
        Some(end) if !after[..end].contains(['\n', '\r']) => Ok(&after[..end]),
        _ => Err(KeyError::Pem {
            reason: "unterminated BEGIN line",
        }),
    }
}

/// The error for a PEM block that is not a key of `kind`.
fn wrong_label(label: &str, kind: KeyKind) -> KeyError {
    let unsupported = |found: String| KeyError::UnsupportedFormat { found };
    match (label, kind) {
        ("ENCRYPTED PRIVATE KEY", KeyKind::Private) => KeyError::Encrypted {
            format: "PKCS#8 ENCRYPTED PRIVATE KEY",
        },
        ("EC PRIVATE KEY", KeyKind::Private) => KeyError::NotRsa { algorithm: "EC" },
        ("DSA PRIVATE KEY", KeyKind::Private) => KeyError::NotRsa { algorithm: "DSA" },
        ("OPENSSH PRIVATE KEY", KeyKind::Private) => unsupported(
            "an OpenSSH private key (convert it: `ssh-keygen -p -m PEM -f FILE`)".into(),
        ),
        ("PUBLIC KEY" | PKCS1_PUBLIC_LABEL, KeyKind::Private) => KeyError::WrongKind {
            expected: "a private key",
            found: "a public key",
        },
        ("CERTIFICATE", KeyKind::Private) => KeyError::WrongKind {
            expected: "a private key",
            found: "an X.509 certificate",
        },
        ("CERTIFICATE", KeyKind::Public) => unsupported(
            "an X.509 certificate (extract the key: `openssl x509 -pubkey -noout -in cert.pem`)"
                .into(),
        ),
        (label, KeyKind::Public) if label.contains("PRIVATE KEY") => KeyError::WrongKind {
            expected: "a public key",
            found: "a private key",
        },
        (other, _) => unsupported(format!("a PEM block labelled {other:?}")),
    }
}

fn pem_error(error: pem::Error) -> KeyError {
    let reason = match error {
        pem::Error::MissingSectionEnd { .. } => "no matching END line (truncated key?)",
        pem::Error::IllegalSectionStart { .. } => "unterminated BEGIN line",
        pem::Error::Base64Decode(_) => "the body is not valid base64 (corrupted or truncated?)",
        pem::Error::SectionTooLarge => "the section is too large",
        _ => "unreadable",
    };
    KeyError::Pem { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_errors() {
        let private = |text| decode(text, KeyKind::Private);
        assert!(matches!(private("hello"), Err(KeyError::NotPem)));
        assert!(matches!(
            private("-----BEGIN PRIVATE KEY-----\nAAAA\n"),
            Err(KeyError::Pem { .. })
        ));
        assert!(matches!(
            private("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----"),
            Err(KeyError::Pem { .. })
        ));
        assert!(matches!(
            private("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----"),
            Err(KeyError::Pem { .. })
        ));
        assert!(matches!(
            private("-----BEGIN PRIVATE KEY\nAAAA\n-----END PRIVATE KEY-----"),
            Err(KeyError::Pem { .. })
        ));
        assert!(matches!(
            private(
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----"
            ),
            Err(KeyError::Encrypted { .. })
        ));
        assert!(matches!(
            private("-----BEGIN X-----\nAAEC\n-----END X-----"),
            Err(KeyError::UnsupportedFormat { .. })
        ));
        let der =
            private("-----BEGIN PRIVATE KEY-----\\nAAEC\\n-----END PRIVATE KEY-----\\n").unwrap();
        assert_eq!(der.as_slice(), &[0, 1, 2]);
        let der = decode(
            "-----BEGIN RSA PUBLIC KEY-----\nAAEC\n-----END RSA PUBLIC KEY-----\n",
            KeyKind::Public,
        )
        .unwrap();
        assert_eq!(der.as_slice(), &[0, 1, 2]);
    }
}
