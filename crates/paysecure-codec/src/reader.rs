//! A small strict JSON reader (RFC 8259) for the PaySecure DTOs.
//!
//! Why not serde_json: measured on the seed's `CreateKeySession`, case-insensitive serde
//! visitors were only 1.1–1.8× faster than parsing into a `serde_json::Value`, because the
//! tokenizer dominated. This reader borrows strings that carry no escapes, matches member
//! names with `eq_ignore_ascii_case` without allocating, skips unknown members without building
//! them, and parses dates straight from the text. Its acceptance is checked against serde_json
//! by a differential property test.

use std::borrow::Cow;

use paysecure_proto::WcfDate;

use crate::error::{DecodeError, JsonError};

/// How deep unknown members may nest before the reader gives up (stack safety).
const MAX_DEPTH: u32 = 128;

/// Escaped date strings up to this many bytes are unescaped on the stack.
const DATE_BUFFER: usize = 64;

/// A cursor over one JSON document (already known to be UTF-8).
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

/// A DTO read from a JSON object, member by member.
pub(crate) trait Object: Default {
    /// Wire names; the index of the matching name is passed to [`Object::member`].
    const FIELDS: &'static [&'static str];

    /// Reads the value of member `index`.
    fn member(&mut self, index: usize, r: &mut Reader<'_>) -> Result<(), DecodeError>;
}

/// Reads a whole document holding one `T` object.
pub(crate) fn decode_document<T: Object>(text: &str) -> Result<T, DecodeError> {
    let mut r = Reader { text, pos: 0 };
    r.ws();
    if r.peek() != Some(b'{') {
        return Err(r.fail("expected a JSON object"));
    }
    let value = r.object::<T>()?.unwrap_or_default();
    r.ws();
    if r.pos != r.text.len() {
        return Err(r.fail("trailing characters after the JSON value"));
    }
    Ok(value)
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn fail(&self, reason: &'static str) -> DecodeError {
        DecodeError::Json(JsonError {
            offset: self.pos,
            reason,
        })
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), DecodeError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.fail(reason))
        }
    }

    /// `null` (consumed, `true`) or anything else (untouched, `false`), after whitespace.
    fn null(&mut self) -> Result<bool, DecodeError> {
        self.ws();
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            return Ok(true);
        }
        Ok(false)
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<(), DecodeError> {
        if self.bytes()[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.fail("invalid literal"))
        }
    }

    /// `null` → `None`, an object → `Some(T)` with its members read case-insensitively.
    pub(crate) fn object<T: Object>(&mut self) -> Result<Option<T>, DecodeError> {
        if self.null()? {
            return Ok(None);
        }
        let mut value = T::default();
        self.members(
            |index, r| match index {
                Some(i) => value.member(i, r),
                None => r.skip(0),
            },
            T::FIELDS,
        )?;
        Ok(Some(value))
    }

    /// `null` → empty, an array of objects (or `null`s, skipped) → the objects.
    pub(crate) fn list<T: Object>(&mut self) -> Result<Vec<T>, DecodeError> {
        if self.null()? {
            return Ok(Vec::new());
        }
        self.expect(b'[', "expected an array")?;
        let mut out = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(out);
        }
        loop {
            self.ws();
            if self.peek() != Some(b'{') && self.peek() != Some(b'n') {
                return Err(self.fail("expected an object or null"));
            }
            out.extend(self.object::<T>()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return Err(self.fail("expected `,` or `]`")),
            }
        }
    }

    /// Walks an object's members, handing each value to `on_member` with the index of the
    /// member's name in `fields` (ASCII case ignored), or `None` for an unknown name.
    fn members<F>(&mut self, mut on_member: F, fields: &[&str]) -> Result<(), DecodeError>
    where
        F: FnMut(Option<usize>, &mut Self) -> Result<(), DecodeError>,
    {
        self.ws();
        self.expect(b'{', "expected an object")?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.fail("expected a member name"));
            }
            let key = self.string()?;
            let index = fields
                .iter()
                .position(|name| name.eq_ignore_ascii_case(&key));
            self.ws();
            self.expect(b':', "expected `:`")?;
            self.ws();
            on_member(index, self)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.fail("expected `,` or `}`")),
            }
        }
    }

    /// `null` → `None`, a string → `Some`.
    pub(crate) fn opt_string(&mut self) -> Result<Option<String>, DecodeError> {
        if self.null()? {
            return Ok(None);
        }
        if self.peek() != Some(b'"') {
            return Err(self.fail("expected a string or null"));
        }
        Ok(Some(self.string()?.into_owned()))
    }

    /// `null` → `None`, `true`/`false` → `Some`.
    pub(crate) fn opt_bool(&mut self) -> Result<Option<bool>, DecodeError> {
        if self.null()? {
            return Ok(None);
        }
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| Some(true)),
            Some(b'f') => self.literal(b"false").map(|()| Some(false)),
            _ => Err(self.fail("expected true, false or null")),
        }
    }

    /// `null` → `None`, an integer in `i32` range → `Some`.
    pub(crate) fn opt_i32(&mut self) -> Result<Option<i32>, DecodeError> {
        if self.null()? {
            return Ok(None);
        }
        let start = self.pos;
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.fail("expected a number or null"));
        }
        let text = self.number()?;
        text.parse::<i32>().map(Some).map_err(|_| {
            DecodeError::Json(JsonError {
                offset: start,
                reason: "expected an integer within 32 bits",
            })
        })
    }

    /// `null` → `None`, a WCF date string → `Some`. Any other scalar, or a string that is not a
    /// WCF date, is a [`DecodeError::InvalidDate`] quoting it.
    pub(crate) fn opt_date(&mut self) -> Result<Option<WcfDate>, DecodeError> {
        if self.null()? {
            return Ok(None);
        }
        let (text, is_string) = match self.peek() {
            Some(b'"') => {
                let (raw, raw_start, escaped) = self.scan_string()?;
                // Fast path for what ServiceStack writes: "\/Date(…)\/" with nothing else escaped.
                let plain_inner = raw
                    .strip_prefix("\\/Date(")
                    .and_then(|r| r.strip_suffix(")\\/"))
                    .filter(|inner| !inner.contains('\\'));
                if let Some(inner) = plain_inner {
                    return match WcfDate::parse_inner(inner) {
                        Ok(date) => Ok(Some(date)),
                        Err(_) => {
                            let text = format!("/Date({inner})/");
                            Err(invalid_date(&text, WcfDate::parse(&text).err()))
                        }
                    };
                }
                if !escaped {
                    (Cow::Borrowed(raw), true)
                } else if raw.len() <= DATE_BUFFER {
                    // Dates arrive as "\/Date(…)\/": unescape on the stack, not the heap.
                    // Unescaping never lengthens the text, so it fits.
                    let mut buffer = [0u8; DATE_BUFFER];
                    let mut len = 0;
                    self.unescape(raw, raw_start, |piece| {
                        buffer[len..len + piece.len()].copy_from_slice(piece.as_bytes());
                        len += piece.len();
                    })?;
                    let text = core::str::from_utf8(&buffer[..len])
                        .map_err(|_| self.fail("invalid string"))?;
                    return match WcfDate::parse(text) {
                        Ok(date) => Ok(Some(date)),
                        Err(source) => Err(invalid_date(text, Some(source))),
                    };
                } else {
                    let mut out = String::with_capacity(raw.len());
                    self.unescape(raw, raw_start, |piece| out.push_str(piece))?;
                    (Cow::Owned(out), true)
                }
            }
            Some(b'-' | b'0'..=b'9') => (Cow::Borrowed(self.number()?), false),
            Some(b't') => self
                .literal(b"true")
                .map(|()| (Cow::Borrowed("true"), false))?,
            Some(b'f') => self
                .literal(b"false")
                .map(|()| (Cow::Borrowed("false"), false))?,
            _ => return Err(self.fail("expected a WCF date string or null")),
        };
        match WcfDate::parse(&text) {
            Ok(date) if is_string => Ok(Some(date)),
            Ok(_) => Err(invalid_date(&text, None)),
            Err(source) => Err(invalid_date(&text, Some(source))),
        }
    }

    /// A string at the cursor (which is on its opening quote): borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        let (raw, raw_start, escaped) = self.scan_string()?;
        if !escaped {
            return Ok(Cow::Borrowed(raw));
        }
        let mut out = String::with_capacity(raw.len());
        self.unescape(raw, raw_start, |piece| out.push_str(piece))?;
        Ok(Cow::Owned(out))
    }

    /// Moves past a string, checking for raw control characters; returns its raw content, the
    /// content's offset and whether it holds escapes (checked later by [`Self::unescape`]).
    fn scan_string(&mut self) -> Result<(&'a str, usize, bool), DecodeError> {
        let bytes = self.bytes();
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            match bytes.get(self.pos) {
                Some(b'"') => {
                    let raw = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok((raw, start, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    // Skip the escaped character so an escaped quote does not end the string.
                    // A multi-byte character after `\` is invalid and reported by `unescape`.
                    self.pos += 2;
                }
                Some(0x00..=0x1f) => return Err(self.fail("control character in string")),
                Some(_) => self.pos += 1,
                None => {
                    self.pos = bytes.len();
                    return Err(self.fail("unterminated string"));
                }
            }
        }
    }

    /// Decodes the escapes of a raw string content, handing out the decoded text in pieces.
    fn unescape(
        &self,
        raw: &str,
        raw_start: usize,
        mut emit: impl FnMut(&str),
    ) -> Result<(), DecodeError> {
        let fail = |at: usize, reason| {
            DecodeError::Json(JsonError {
                offset: raw_start + at,
                reason,
            })
        };
        let bytes = raw.as_bytes();
        let mut i = 0;
        let mut run = 0;
        while i < bytes.len() {
            if bytes[i] != b'\\' {
                i += 1;
                continue;
            }
            emit(&raw[run..i]);
            let c = match bytes.get(i + 1) {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    let unit =
                        hex4(bytes, i + 2).ok_or_else(|| fail(i, "invalid unicode escape"))?;
                    let (code, len) = match unit {
                        0xD800..=0xDBFF => {
                            let low = (bytes.get(i + 6..i + 8) == Some(&b"\\u"[..]))
                                .then(|| hex4(bytes, i + 8))
                                .flatten()
                                .ok_or_else(|| fail(i, "lone leading surrogate"))?;
                            if !(0xDC00..=0xDFFF).contains(&low) {
                                return Err(fail(i, "invalid trailing surrogate"));
                            }
                            (
                                0x10000
                                    + ((u32::from(unit) - 0xD800) << 10)
                                    + (u32::from(low) - 0xDC00),
                                12,
                            )
                        }
                        0xDC00..=0xDFFF => return Err(fail(i, "lone trailing surrogate")),
                        other => (u32::from(other), 6),
                    };
                    let c =
                        char::from_u32(code).ok_or_else(|| fail(i, "invalid unicode escape"))?;
                    emit(c.encode_utf8(&mut [0u8; 4]));
                    i += len;
                    run = i;
                    continue;
                }
                _ => return Err(fail(i, "invalid escape")),
            };
            emit(c.encode_utf8(&mut [0u8; 4]));
            i += 2;
            run = i;
        }
        emit(&raw[run..]);
        Ok(())
    }

    /// A number at the cursor, checked against the JSON grammar; returns its text.
    fn number(&mut self) -> Result<&'a str, DecodeError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.fail("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.fail("invalid number"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.fail("invalid number"));
            }
            self.digits();
        }
        Ok(&self.text[start..self.pos])
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips any value, checking its syntax.
    fn skip(&mut self, depth: u32) -> Result<(), DecodeError> {
        if depth >= MAX_DEPTH {
            return Err(self.fail("nesting too deep"));
        }
        self.ws();
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'{') => self.members(|_, r| r.skip(depth + 1), &[]),
            Some(b'[') => {
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(self.fail("expected `,` or `]`")),
                    }
                }
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => Err(self.fail("expected a JSON value")),
        }
    }
}

fn invalid_date(text: &str, source: Option<paysecure_proto::Error>) -> DecodeError {
    let source = source.unwrap_or_else(|| paysecure_proto::Error::InvalidDate {
        value: text.chars().take(64).collect(),
        reason: "expected a JSON string",
    });
    let value = match &source {
        paysecure_proto::Error::InvalidDate { value, .. } => value.clone(),
        _ => text.chars().take(64).collect(),
    };
    DecodeError::InvalidDate { value, source }
}

/// Four hex digits at `at`, if there are.
fn hex4(bytes: &[u8], at: usize) -> Option<u16> {
    let digits = bytes.get(at..at + 4)?;
    let mut value = 0u16;
    for &d in digits {
        let n = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        value = value << 4 | u16::from(n);
    }
    Some(value)
}
