//! A small PEM reader (RFC 7468) that names the problem precisely and keeps every copy of the
//! key material in zeroized memory. Accepts one-line PEM with literal `\n` escapes (as found in
//! environment variables and JSON configuration).

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::KeyError;

/// One decoded PEM block.
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) der: Zeroizing<Vec<u8>>,
}

/// Decodes the first PEM block of `text`.
pub(crate) fn decode(text: &str) -> Result<PemBlock, KeyError> {
    // Literal "\n" (backslash, n) escapes: turn them into real line breaks first.
    let unescaped: Zeroizing<String>;
    let text = if text.contains("\\n") || text.contains("\\r") {
        unescaped = Zeroizing::new(text.replace("\\r", "").replace("\\n", "\n"));
        unescaped.as_str()
    } else {
        text
    };
    const BEGIN: &str = "-----BEGIN ";
    let start = text.find(BEGIN).ok_or(KeyError::NotPem)?;
    let after_begin = &text[start + BEGIN.len()..];
    let label_end = after_begin.find("-----").ok_or(KeyError::Pem {
        reason: "unterminated BEGIN line",
    })?;
    let label = &after_begin[..label_end];
    if label.contains(['\n', '\r']) {
        return Err(KeyError::Pem {
            reason: "unterminated BEGIN line",
        });
    }
    let body_and_rest = &after_begin[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let body_end = body_and_rest.find(&end_marker).ok_or(KeyError::Pem {
        reason: "no matching END line (truncated key?)",
    })?;
    let body = &body_and_rest[..body_end];

    let mut base64_text = Zeroizing::new(String::with_capacity(body.len()));
    let mut encrypted = false;
    for line in body.lines() {
        let line = line.trim();
        if let Some((name, value)) = line.split_once(':') {
            // RFC 1421 headers such as "Proc-Type: 4,ENCRYPTED" / "DEK-Info: …".
            if name.trim().eq_ignore_ascii_case("Proc-Type") && value.contains("ENCRYPTED") {
                encrypted = true;
            }
            continue;
        }
        base64_text.push_str(line);
    }
    if encrypted {
        return Err(KeyError::Encrypted {
            format: "legacy OpenSSL PEM encryption (Proc-Type: 4,ENCRYPTED)",
        });
    }
    if base64_text.is_empty() {
        return Err(KeyError::Pem {
            reason: "empty body",
        });
    }
    let mut der = Zeroizing::new(Vec::with_capacity(base64_text.len() / 4 * 3 + 3));
    base64::engine::general_purpose::STANDARD
        .decode_vec(base64_text.as_bytes(), &mut der)
        .map_err(|_| KeyError::Pem {
            reason: "the body is not valid base64 (corrupted or truncated?)",
        })?;
    Ok(PemBlock {
        label: label.to_owned(),
        der,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_errors() {
        assert!(matches!(decode("hello"), Err(KeyError::NotPem)));
        assert!(matches!(
            decode("-----BEGIN X-----\nAAAA\n"),
            Err(KeyError::Pem { .. })
        ));
        assert!(matches!(
            decode("-----BEGIN X-----\n!!!!\n-----END X-----"),
            Err(KeyError::Pem { .. })
        ));
        assert!(matches!(
            decode("-----BEGIN X-----\n-----END X-----"),
            Err(KeyError::Pem { .. })
        ));
        assert!(matches!(
            decode(
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----"
            ),
            Err(KeyError::Encrypted { .. })
        ));
        let block = decode("-----BEGIN X-----\\nAAEC\\n-----END X-----\\n").unwrap();
        assert_eq!(block.label, "X");
        assert_eq!(block.der.as_slice(), &[0, 1, 2]);
    }
}
