//! JSON writing the way ServiceStack writes it: PascalCase members in declaration order, null
//! members left out, dates as `"\/Date(ms[±HHMM])\/"`.

use paysecure_proto::{
    CreateKeySession, CreateKeySessionRequest, InOutTimes, ResponseStatus, Timestamps,
    TokenizeCardRequest, TokenizeCardResponse, WcfDate,
};

/// The body of `POST /CreateKey`.
///
/// The result holds the password in clear text; zeroize it after sending if that matters to you.
#[must_use]
pub fn encode_create_key_request(request: &CreateKeySessionRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    let mut o = Obj::open(&mut out);
    o.key("Credentials");
    {
        let c = &request.credentials;
        let mut inner = Obj::open(o.out);
        inner.str("MerchantId", Some(c.merchant_id()));
        inner.str("UserName", Some(c.user_name()));
        inner.str("Password", Some(c.password().expose()));
        inner.str("Version", Some(c.version()));
        inner.close();
    }
    o.int("TTLInMinutes", request.ttl_in_minutes.map(i64::from));
    o.close();
    out
}

/// A `CreateKeySession` body, as a server sends it (used by the sandbox and the round-trip
/// tests). Member order: `KeyId`, `Modulus`, `Exponent`, `ErrorMessage`, `ErrorCode`,
/// `Timestamps`, exactly as in the seed's sample.
#[must_use]
pub fn encode_create_key_response(session: &CreateKeySession) -> Vec<u8> {
    let mut out = Vec::with_capacity(1280);
    let mut o = Obj::open(&mut out);
    o.str("KeyId", session.key_id.as_deref());
    o.str("Modulus", session.modulus.as_deref());
    o.str("Exponent", session.exponent.as_deref());
    o.str("ErrorMessage", session.error_message.as_deref());
    o.str("ErrorCode", session.error_code.as_deref());
    o.timestamps(session.timestamps.as_ref());
    o.close();
    out
}

/// The body of `TokenizeCard`. Member order: `KeyId`, `EncryptedCardNumber`, `Expiration`
/// (`MMYY`), `EncryptedCVN`, `VerifyCard`.
#[must_use]
pub fn encode_tokenize_card_request(request: &TokenizeCardRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(1200);
    let mut o = Obj::open(&mut out);
    o.str("KeyId", Some(&request.key_id));
    o.str("EncryptedCardNumber", Some(&request.encrypted_card_number));
    o.str("Expiration", Some(&request.expiration.to_string()));
    o.str("EncryptedCVN", request.encrypted_cvn.as_deref());
    o.bool("VerifyCard", request.verify_card);
    o.close();
    out
}

/// A `TokenizeCardResponse` body, as a server sends it. Member order: `CardToken`, `CardHash`,
/// `CardLast4`, `CardBIN`, `CardExpiration`, `ResponseCode`, `ErrorMessage`, `ErrorCode`,
/// `Timestamps` (the shared members last, as in `CreateKeySession`).
#[must_use]
pub fn encode_tokenize_card_response(response: &TokenizeCardResponse) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut o = Obj::open(&mut out);
    o.str("CardToken", response.card_token.as_deref());
    o.str("CardHash", response.card_hash.as_deref());
    o.str("CardLast4", response.card_last4.as_deref());
    o.str("CardBIN", response.card_bin.as_deref());
    o.str("CardExpiration", response.card_expiration.as_deref());
    o.str("ResponseCode", response.response_code.as_deref());
    o.str("ErrorMessage", response.error_message.as_deref());
    o.str("ErrorCode", response.error_code.as_deref());
    o.timestamps(response.timestamps.as_ref());
    o.close();
    out
}

/// ServiceStack's error body, `{"ResponseStatus":{"ErrorCode",…,"Errors":[…]}}`, as a server
/// sends it with a 4xx/5xx status. `Errors` is left out when empty.
#[must_use]
pub fn encode_error_response(status: &ResponseStatus) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut o = Obj::open(&mut out);
    o.key("ResponseStatus");
    {
        let mut rs = Obj::open(o.out);
        rs.str("ErrorCode", status.error_code.as_deref());
        rs.str("Message", status.message.as_deref());
        rs.str("StackTrace", status.stack_trace.as_deref());
        if !status.errors.is_empty() {
            rs.key("Errors");
            rs.out.push(b'[');
            for (i, e) in status.errors.iter().enumerate() {
                if i > 0 {
                    rs.out.push(b',');
                }
                let mut item = Obj::open(rs.out);
                item.str("ErrorCode", e.error_code.as_deref());
                item.str("FieldName", e.field_name.as_deref());
                item.str("Message", e.message.as_deref());
                item.close();
            }
            rs.out.push(b']');
        }
        rs.close();
    }
    o.close();
    out
}

/// Writes the members of one JSON object, handling commas.
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    fn close(self) {
        self.out.push(b'}');
    }

    fn key(&mut self, name: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn str(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.key(name);
            write_string(self.out, v);
        }
    }

    fn int(&mut self, name: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.key(name);
            write_i64(self.out, v);
        }
    }

    fn bool(&mut self, name: &str, value: Option<bool>) {
        if let Some(v) = value {
            self.key(name);
            self.out
                .extend_from_slice(if v { b"true" } else { b"false" });
        }
    }

    fn date(&mut self, name: &str, value: Option<WcfDate>) {
        if let Some(d) = value {
            self.key(name);
            write_date(self.out, d);
        }
    }

    fn timestamps(&mut self, value: Option<&Timestamps>) {
        let Some(t) = value else { return };
        self.key("Timestamps");
        let mut ts = Obj::open(self.out);
        for (name, stage) in Timestamps::STAGE_NAMES.iter().zip(t.stages()) {
            if let Some(InOutTimes { in_time, out_time }) = stage {
                ts.key(name);
                let mut times = Obj::open(ts.out);
                times.date("InTime", in_time);
                times.date("OutTime", out_time);
                times.close();
            }
        }
        ts.close();
    }
}

/// A JSON string: `"` and `\` escaped, control characters as `\b \f \n \r \t` or `\u00XX`,
/// everything else (including non-ASCII) as UTF-8.
fn write_string(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// `"\/Date(ms)\/"` or `"\/Date(ms±HHMM)\/"`, the escapes ServiceStack writes.
fn write_date(out: &mut Vec<u8>, date: WcfDate) {
    out.extend_from_slice(b"\"\\/Date(");
    write_i64(out, date.unix_millis());
    if let Some(o) = date.suffix() {
        out.push(if o.is_negative() { b'-' } else { b'+' });
        for n in [o.hours(), o.minutes()] {
            out.push(b'0' + n / 10);
            out.push(b'0' + n % 10);
        }
    }
    out.extend_from_slice(b")\\/\"");
}

fn write_i64(out: &mut Vec<u8>, value: i64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut n = value.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(v: &str) -> String {
        let mut out = Vec::new();
        write_string(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes() {
        assert_eq!(string("plain"), r#""plain""#);
        assert_eq!(string("a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(
            string("\n\r\t\u{8}\u{c}\u{1}\u{1f}"),
            r#""\n\r\t\b\f\u0001\u001f""#
        );
        assert_eq!(string("żółw ✓"), "\"żółw ✓\"");
        for v in ["", "\"", "x\u{0}y", "\u{7f}\u{2028}"] {
            assert_eq!(serde_json::from_str::<String>(&string(v)).unwrap(), v);
        }
    }

    #[test]
    fn integers() {
        for v in [0, 1, -1, 9, 10, i64::MAX, i64::MIN, -62_135_596_800_000] {
            let mut out = Vec::new();
            write_i64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }

    #[test]
    fn dates() {
        let mut out = Vec::new();
        write_date(&mut out, WcfDate::parse("/Date(-86400000-0500)/").unwrap());
        assert_eq!(out, br#""\/Date(-86400000-0500)\/""#);
    }

    #[test]
    fn error_body() {
        let status = ResponseStatus {
            error_code: Some("E".into()),
            message: None,
            stack_trace: None,
            errors: vec![Default::default()],
        };
        assert_eq!(
            encode_error_response(&status),
            br#"{"ResponseStatus":{"ErrorCode":"E","Errors":[{}]}}"#
        );
    }
}
