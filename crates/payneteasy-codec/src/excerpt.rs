//! Short, sanitized text excerpts of bodies that are not form data (error pages).
//!
//! The one HTML-stripping excerpt of the workspace: `paygate-client`'s `error::excerpt`
//! builds on it. `paysecure-codec` keeps its own plain excerpt (markup kept, no dependency
//! on this crate) for its JSON error bodies.

/// At most this many bytes of a body are looked at to build an excerpt.
const SCAN_LIMIT: usize = 64 * 1024;

/// The visible text of an HTML (or plain text) body, for error messages.
///
/// Tags, comments, and the content of `<style>`, `<script>` and `<head>`'s `<style>` blocks are
/// dropped; runs of whitespace become one space; control characters are removed; invalid UTF-8
/// becomes U+FFFD. The result has at most `max_chars` characters (an ellipsis marks a cut).
/// Only the first 64 KiB of the body are examined.
///
/// ```
/// let page = b"<html><head><style>p {}</style></head><body><p>Access is denied</p></body></html>";
/// assert_eq!(payneteasy_codec::text_excerpt(page, 200), "Access is denied");
/// assert_eq!(payneteasy_codec::text_excerpt(b"abcdef", 3), "abc\u{2026}");
/// ```
#[must_use]
pub fn text_excerpt(body: &[u8], max_chars: usize) -> String {
    let body = &body[..body.len().min(SCAN_LIMIT)];
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut count = 0usize;
    let mut pending_space = false;
    let mut rest: &str = &text;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            rest = skip_markup(rest);
            pending_space = true;
            continue;
        }
        rest = &rest[c.len_utf8()..];
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if c.is_control() {
            continue;
        }
        if pending_space && count > 0 {
            if count + 1 >= max_chars {
                out.push('…');
                return out;
            }
            out.push(' ');
            count += 1;
        }
        pending_space = false;
        if count >= max_chars {
            out.push('…');
            return out;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// Skips one piece of markup starting at `<`: a comment, a `<style>`/`<script>` element with
/// its content, or a single tag. Returns the text after it.
fn skip_markup(s: &str) -> &str {
    if let Some(after) = s.strip_prefix("<!--") {
        return after.find("-->").map_or("", |i| &after[i + 3..]);
    }
    for element in ["style", "script"] {
        if starts_with_tag(s, element) {
            let close = format!("</{element}");
            return match find_ascii_ci(s, &close) {
                Some(i) => skip_tag(&s[i..]),
                None => "",
            };
        }
    }
    skip_tag(s)
}

fn skip_tag(s: &str) -> &str {
    s.find('>').map_or("", |i| &s[i + 1..])
}

fn starts_with_tag(s: &str, name: &str) -> bool {
    let b = s.as_bytes();
    let n = name.len();
    b.len() > n + 1
        && b[1..=n].eq_ignore_ascii_case(name.as_bytes())
        && matches!(b[n + 1], b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/')
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..h.len().saturating_sub(n.len()) + 1)
        .find(|&i| h.len() >= i + n.len() && h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_page() {
        let page = "<!DOCTYPE html>\n<html><head><title>403</title>\n<style type=\"text/css\">\
                    p { margin: 0; }</style><!-- note --></head>\n<body>\n  <p>Access is \
                    denied</p>\n<script>alert(1)</script></body></html>";
        assert_eq!(text_excerpt(page.as_bytes(), 200), "403 Access is denied");
    }

    #[test]
    fn bounded_and_sanitized() {
        assert_eq!(text_excerpt(b"", 200), "");
        assert_eq!(text_excerpt(b"  a\x00b\x07  c\r\n", 200), "ab c");
        assert_eq!(text_excerpt(b"abcdef", 3), "abc…");
        assert_eq!(text_excerpt(b"ab cdef", 3), "ab…");
        assert_eq!(text_excerpt(b"\xff\xfeok", 10), "\u{fffd}\u{fffd}ok");
        assert_eq!(text_excerpt(b"<p unterminated", 10), "");
        assert_eq!(text_excerpt(b"<STYLE>x</Style>y", 10), "y");
        let long = "x".repeat(10_000);
        assert_eq!(text_excerpt(long.as_bytes(), 200).chars().count(), 201);
    }
}
