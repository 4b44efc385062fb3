//! The request being signed or verified: method, URL as sent, optional body, authority override.

use crate::Error;
use crate::encoding::{is_form_content_type, percent_encode_bytes_into};
use crate::params::{Param, Text, for_each_form_pair, parse_form_into};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// An absolute `http`/`https` URL **exactly as it is sent on the wire** (already
/// percent-encoded). The path is used byte for byte in the base string (and encoded once more
/// there); the query is decoded as form data. Nothing is re-encoded or "fixed" on the way in, so
/// a raw, unencoded string cannot be passed by mistake: it is rejected if it contains spaces,
/// control characters or non-ASCII bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestUrl<'a> {
    raw: &'a str,
    scheme: Scheme,
    host: &'a str,
    port: Option<u16>,
    path: &'a str,
    query: Option<&'a str>,
}

/// Splits `host[:port]` (or `[v6]:port`) into its parts; an empty port counts as absent.
fn split_authority(authority: &str) -> Result<(&str, Option<u16>), &'static str> {
    if authority.is_empty() {
        return Err("the host is empty");
    }
    if authority.contains('@') {
        return Err("user information (user@host) is not allowed");
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or("unclosed '[' in an IPv6 host")?;
        let (host, rest) = authority.split_at(close + 1);
        match rest.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if rest.is_empty() => (host, None),
            None => return Err("unexpected characters after the IPv6 host"),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err("the host is empty");
    }
    if host
        .bytes()
        .any(|b| matches!(b, b'/' | b'?' | b'#' | b'[' | b']') && !host.starts_with('['))
    {
        return Err("the host contains a delimiter");
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            if !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err("the port is not a number");
            }
            Some(p.parse::<u16>().map_err(|_| "the port is out of range")?)
        }
    };
    Ok((host, port))
}

impl<'a> RequestUrl<'a> {
    /// Parses an absolute `http`/`https` URL as sent on the wire.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] when the URL is not absolute, the scheme is not `http`/`https`, it
    /// contains whitespace, control or non-ASCII characters (it must already be encoded), it has
    /// user information, or the host or port is malformed.
    pub fn parse(url: &'a str) -> Result<Self, Error> {
        let invalid = |reason| Error::InvalidUrl { reason };
        if url.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
            return Err(invalid(
                "it contains whitespace, control or non-ASCII characters (pass the URL exactly as sent, percent-encoded)",
            ));
        }
        let (scheme, rest) = url.split_once("://").ok_or(Error::InvalidUrl {
            reason: "it is not absolute (expected http:// or https://)",
        })?;
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else {
            return Err(invalid("the scheme must be http or https"));
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(authority_end);
        let (host, port) = split_authority(authority).map_err(invalid)?;
        let rest = rest
            .split_once('#')
            .map_or(rest, |(before, _fragment)| before);
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        Ok(RequestUrl {
            raw: url,
            scheme,
            host,
            port,
            path,
            query,
        })
    }

    /// The URL exactly as given.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The scheme, lower-case.
    pub fn scheme(&self) -> &'static str {
        self.scheme.as_str()
    }

    /// The host as written (not yet lower-cased).
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The path as sent (percent-encoded), possibly empty.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The query (without `?`), if any.
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// The base string URI of RFC 5849 §3.4.1.2 (before its final encoding into the base string):
    /// scheme and host lower-cased, the scheme's default port dropped, empty path → `/`,
    /// query and fragment removed.
    ///
    /// ```
    /// let url = oauth1_signer::RequestUrl::parse("HTTP://Example.COM:80/A%20b?q=1#f")?;
    /// assert_eq!(url.base_string_uri(None)?, "http://example.com/A%20b");
    /// # Ok::<(), oauth1_signer::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidAuthority`] when `authority` (the `Host` the server sees, overriding the
    /// URL's) is malformed.
    pub fn base_string_uri(&self, authority: Option<&str>) -> Result<String, Error> {
        let (host, port) = self.authority(authority)?;
        let mut out = String::with_capacity(self.raw.len() + 1);
        out.push_str(self.scheme.as_str());
        out.push_str("://");
        out.extend(host.chars().map(|c| c.to_ascii_lowercase()));
        if let Some(port) = port {
            out.push(':');
            out.push_str(&port.to_string());
        }
        out.push_str(if self.path.is_empty() { "/" } else { self.path });
        Ok(out)
    }

    /// Host and non-default port, from the override if given.
    fn authority<'h>(
        &'h self,
        authority: Option<&'h str>,
    ) -> Result<(&'h str, Option<u16>), Error> {
        let (host, port) = match authority {
            Some(a) => {
                if a.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
                    return Err(Error::InvalidAuthority {
                        reason: "it contains whitespace, control or non-ASCII characters",
                    });
                }
                if a.contains(['/', '?', '#']) {
                    return Err(Error::InvalidAuthority {
                        reason: "it contains a path, query or fragment",
                    });
                }
                split_authority(a).map_err(|reason| Error::InvalidAuthority { reason })?
            }
            None => (self.host, self.port),
        };
        Ok((host, port.filter(|&p| p != self.scheme.default_port())))
    }

    /// Appends `enc(base string URI)` to `out` without building the URI separately.
    pub(crate) fn encode_base_uri_into(
        &self,
        out: &mut Vec<u8>,
        authority: Option<&str>,
    ) -> Result<(), Error> {
        let (host, port) = self.authority(authority)?;
        out.extend_from_slice(self.scheme.as_str().as_bytes());
        out.extend_from_slice(b"%3A%2F%2F");
        let start = out.len();
        percent_encode_bytes_into(out, host.as_bytes());
        // Lower-casing after encoding is the same as before: escapes are `%XX` of non-letters
        // (their hex digits are upper-case by the RFC and must stay so), letters are unreserved.
        lower_outside_escapes(&mut out[start..]);
        if let Some(port) = port {
            out.extend_from_slice(b"%3A");
            let mut digits = [0u8; 5];
            let mut n = port;
            let mut i = digits.len();
            loop {
                i -= 1;
                digits[i] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            out.extend_from_slice(&digits[i..]);
        }
        if self.path.is_empty() {
            out.extend_from_slice(b"%2F");
        } else {
            percent_encode_bytes_into(out, self.path.as_bytes());
        }
        Ok(())
    }
}

/// ASCII-lower-cases `encoded` except the two hex digits after each `%`.
fn lower_outside_escapes(encoded: &mut [u8]) {
    let mut i = 0;
    while i < encoded.len() {
        if encoded[i] == b'%' {
            i += 3;
        } else {
            encoded[i] = encoded[i].to_ascii_lowercase();
            i += 1;
        }
    }
}

/// A request to sign or verify: method, [`RequestUrl`], optional `(content type, body)` and an
/// optional authority override.
///
/// The body counts towards the signature only when its content type is
/// `application/x-www-form-urlencoded` (case-insensitive, parameters such as `; charset=UTF-8`
/// ignored). The body is the exact bytes on the wire (already form-encoded).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    method: &'a str,
    url: RequestUrl<'a>,
    content_type: Option<&'a str>,
    body: Option<&'a [u8]>,
    authority: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A request without a body. The method is upper-cased in the base string.
    pub fn new(method: &'a str, url: RequestUrl<'a>) -> Self {
        Request {
            method,
            url,
            content_type: None,
            body: None,
            authority: None,
        }
    }

    /// Adds the body exactly as sent and its `Content-Type` (if any).
    #[must_use]
    pub fn with_body(self, content_type: Option<&'a str>, body: &'a [u8]) -> Self {
        Request {
            content_type,
            body: Some(body),
            ..self
        }
    }

    /// Overrides the host and port used in the base string (the `Host` the server sees), e.g.
    /// behind a proxy. Checked when signing or verifying.
    #[must_use]
    pub fn with_authority(self, authority: &'a str) -> Self {
        Request {
            authority: Some(authority),
            ..self
        }
    }

    /// The HTTP method as given.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The URL.
    pub fn url(&self) -> &RequestUrl<'a> {
        &self.url
    }

    /// The body, if any.
    pub fn body(&self) -> Option<&'a [u8]> {
        self.body
    }

    /// The content type, if any.
    pub fn content_type(&self) -> Option<&'a str> {
        self.content_type
    }

    /// The authority override, if any.
    pub fn authority(&self) -> Option<&'a str> {
        self.authority
    }

    /// `true` when the body is single-part form data that counts towards the signature.
    pub fn has_form_body(&self) -> bool {
        self.body.is_some() && self.content_type.is_some_and(is_form_content_type)
    }

    /// The request's own parameters (query, then form body), decoded to bytes, in order,
    /// duplicates kept. Protocol parameters from the header are not included.
    pub fn parameters(&self) -> Vec<Param<'a>> {
        let mut out = Vec::new();
        self.parameters_into(&mut out);
        out
    }

    /// The request's own parameters as undecoded [`Text`]s, in the order of
    /// [`parameters`](Self::parameters).
    pub(crate) fn for_each_parameter(&self, mut f: impl FnMut(Text<'a>, Text<'a>)) {
        if let Some(query) = self.url.query {
            for_each_form_pair(query.as_bytes(), &mut f);
        }
        if let Some(body) = self.body.filter(|_| self.has_form_body()) {
            for_each_form_pair(body, &mut f);
        }
    }

    fn parameters_into(&self, out: &mut Vec<Param<'a>>) {
        if let Some(query) = self.url.query {
            parse_form_into(query.as_bytes(), out);
        }
        if let Some(body) = self.body.filter(|_| self.has_form_body()) {
            parse_form_into(body, out);
        }
    }

    /// Checks the method and returns it (not yet upper-cased).
    pub(crate) fn checked_method(&self) -> Result<&'a str, Error> {
        let ok = !self.method.is_empty()
            && self
                .method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if ok {
            Ok(self.method)
        } else {
            Err(Error::InvalidMethod)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalizes() {
        let cases = [
            (
                "http://EXAMPLE.COM:80/r%20v/X",
                "http://example.com/r%20v/X",
            ),
            (
                "https://www.example.net:8080/?q=1",
                "https://www.example.net:8080/",
            ),
            ("HTTP://www.example.com:443/", "http://www.example.com:443/"),
            ("https://example.com:443/a#frag", "https://example.com/a"),
            ("http://example.com", "http://example.com/"),
            ("http://example.com?x", "http://example.com/"),
            ("http://[::1]:8080/p", "http://[::1]:8080/p"),
            ("http://example.com:/p", "http://example.com/p"),
        ];
        for (url, expected) in cases {
            let parsed = RequestUrl::parse(url).unwrap();
            assert_eq!(parsed.base_string_uri(None).unwrap(), expected, "{url}");
            let mut encoded = Vec::new();
            parsed.encode_base_uri_into(&mut encoded, None).unwrap();
            assert_eq!(encoded, crate::percent_encode(expected).into_bytes());
        }
    }

    #[test]
    fn authority_override() {
        let url = RequestUrl::parse("https://internal:8443/x").unwrap();
        assert_eq!(
            url.base_string_uri(Some("API.example.com:443")).unwrap(),
            "https://api.example.com/x"
        );
        assert_eq!(
            url.base_string_uri(Some("api.example.com:80")).unwrap(),
            "https://api.example.com:80/x"
        );
        assert!(url.base_string_uri(Some("a/b")).is_err());
        assert!(url.base_string_uri(Some("")).is_err());
    }

    #[test]
    fn rejects_bad_urls() {
        for url in [
            "",
            "example.com/x",
            "ftp://example.com/",
            "http://",
            "http:///x",
            "http://a b/",
            "http://example.com/a b",
            "http://user@example.com/",
            "http://example.com:99999/",
            "http://example.com:8x/",
            "http://example.com/é",
            "http://[::1/",
        ] {
            assert!(RequestUrl::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn method_check() {
        let url = RequestUrl::parse("http://a/").unwrap();
        assert!(Request::new("post", url).checked_method().is_ok());
        assert!(Request::new("", url).checked_method().is_err());
        assert!(Request::new("PO ST", url).checked_method().is_err());
    }
}
