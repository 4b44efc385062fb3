//! The console's HTML, rendered on the server: plain forms, no script, no external asset.
//! Every value goes through [`escape`].

use std::fmt::Write as _;

use super::builder::{Built, Command, commands};
use super::log::{LoggedRequest, Verdict};
use crate::payneteasy::html_escape as escape;

/// The one style sheet (the Content-Security-Policy allows exactly this text by its hash).
pub(crate) const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:70em;padding:0 1em;color:#222}\
nav a{margin-right:1em}label{display:block;margin-top:.6em;font-weight:600}\
input[type=text],textarea,select{width:100%;box-sizing:border-box;font-family:monospace}\
textarea{height:8em}pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap;word-break:break-all}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3em;vertical-align:top;text-align:left}td{white-space:pre-wrap;word-break:break-all;font-family:monospace}\
.refused{color:#a00;font-weight:600}.rejected{color:#a60;font-weight:600}.accepted{color:#070;font-weight:600}\
.error{background:#fee;border:1px solid #c00;padding:.6em}.note{color:#555;font-size:90%}\
.hint{margin:.2em 0}.confirmed{font-weight:600}";

/// A whole page.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{} · paygate sandbox console</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<nav><a href=\"/console/\">console</a><a href=\"/console/builder\">request builder</a><a href=\"/console/log\">request log</a><a href=\"/console/log.json\">log.json</a></nav>\n<h1>{}</h1>\n{body}\n</body>\n</html>\n",
        escape(title),
        escape(title)
    )
}

/// The error page.
pub(crate) fn error(title: &str, message: &str) -> String {
    page(
        title,
        &format!("<p class=\"error\" id=\"error\">{}</p>", escape(message)),
    )
}

pub(crate) fn index(log_capacity: usize) -> String {
    page(
        "Sandbox console",
        &format!(
            "<ul>\n<li><a href=\"/console/builder\">Request builder</a>: sign any Payneteasy command \
             with a pasted key (v4 OAuth) or a control key (v2) and read every intermediate \
             step.</li>\n<li><a href=\"/console/log\">Request log</a>: the last {log_capacity} \
             requests this sandbox received, why each was refused, and hints \
             (<a href=\"/console/log.json\">JSON</a>).</li>\n</ul>\n<p class=\"note\">Keys \
             pasted here are used for one request and never stored or logged.</p>"
        ),
    )
}

/// The values the builder form shows.
pub(crate) struct FormValues<'a> {
    pub(crate) command: &'static Command,
    pub(crate) url: &'a str,
    pub(crate) login: &'a str,
    pub(crate) nonce: &'a str,
    pub(crate) timestamp: &'a str,
    pub(crate) fields: &'a [(String, String)],
}

fn text_input(id: &str, name: &str, label: &str, value: &str, note: &str) -> String {
    let note = if note.is_empty() {
        String::new()
    } else {
        format!("<div class=\"note\">{}</div>", escape(note))
    };
    format!(
        "<label for=\"{id}\">{}</label>{note}<input type=\"text\" id=\"{id}\" name=\"{}\" value=\"{}\" autocomplete=\"off\" spellcheck=\"false\"/>\n",
        escape(label),
        escape(name),
        escape(value)
    )
}

/// The command chooser (a GET form) and the builder form of one command.
pub(crate) fn builder_form(values: &FormValues<'_>) -> String {
    let command = values.command;
    let mut html = String::new();
    html.push_str("<form method=\"GET\" action=\"/console/builder\" id=\"choose\">\n<label for=\"command\">Command</label><select id=\"command\" name=\"command\">\n");
    for c in commands() {
        let key = c.key();
        let selected = if std::ptr::eq(c, command) {
            " selected"
        } else {
            ""
        };
        let _ = writeln!(
            html,
            "<option value=\"{}\"{selected}>{} ({}, {})</option>",
            escape(&key),
            escape(c.name),
            c.version.as_str(),
            if c.is_oauth() { "OAuth" } else { "control" }
        );
    }
    html.push_str("</select>\n<button type=\"submit\" id=\"choose-command\">Show its fields</button>\n</form>\n");

    html.push_str("<form method=\"POST\" action=\"/console/builder\" id=\"builder\">\n");
    let _ = writeln!(
        html,
        "<input type=\"hidden\" name=\"command\" value=\"{}\"/>",
        escape(&command.key())
    );
    html.push_str(&text_input(
        "url",
        "url",
        "URL",
        values.url,
        "the full command URL, scheme, host, port and endpoint included (it is signed as written)",
    ));
    if command.is_oauth() {
        html.push_str(&text_input(
            "login",
            "login",
            "login",
            values.login,
            "your login is used as the consumer key of the OAuth header, not as a body parameter",
        ));
        html.push_str(
            "<label for=\"key\">Private key (PEM, PKCS#1 or PKCS#8)</label><div class=\"note\">used \
             for this one request, never stored or logged; up to 8192-bit keys</div>\
             <textarea id=\"key\" name=\"key\" autocomplete=\"off\" spellcheck=\"false\"></textarea>\n",
        );
        html.push_str(&text_input(
            "nonce",
            "nonce",
            "oauth_nonce",
            values.nonce,
            "empty: a fresh random nonce",
        ));
        html.push_str(&text_input(
            "timestamp",
            "timestamp",
            "oauth_timestamp",
            values.timestamp,
            "empty: now (Unix seconds)",
        ));
    } else {
        html.push_str(
            "<label for=\"control_key\">Merchant control key</label><div class=\"note\">used for \
             this one request, never stored or logged</div><input type=\"password\" \
             id=\"control_key\" name=\"control_key\" autocomplete=\"off\"/>\n",
        );
    }
    html.push_str("<h2>Request fields</h2>\n<p class=\"note\">Empty fields are not sent.</p>\n");
    for name in command.fields {
        let value = values
            .fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str());
        let note = if *name == "login" && command.is_oauth() {
            "in the body too (optional for this command: Payneteasy's example sends none)"
        } else {
            ""
        };
        html.push_str(&text_input(
            &format!("f-{name}"),
            &format!("f:{name}"),
            name,
            value,
            note,
        ));
    }
    html.push_str(
        "<p><button type=\"submit\" id=\"build\">Build the request</button></p>\n</form>\n",
    );
    html
}

fn pre(id: &str, title: &str, text: &str) -> String {
    format!(
        "<h3>{}</h3>\n<pre id=\"{id}\">{}</pre>\n",
        escape(title),
        escape(text)
    )
}

/// The result of the builder.
pub(crate) fn built(built: &Built) -> String {
    let mut html = String::from("<section id=\"result\">\n<h2>The request</h2>\n");
    html.push_str(&pre("request-url", "URL", &built.url));
    if let Some(oauth) = &built.oauth {
        html.push_str(&pre(
            "normalized-parameters",
            "Normalized parameters string to sign, according to OAuth 1.0a rules",
            &oauth.normalized_parameters,
        ));
        html.push_str(&pre(
            "base-string",
            "Signature base string",
            &oauth.base_string,
        ));
        html.push_str(&pre("body", "POST body parameters to submit", &built.body));
        html.push_str(&pre(
            "authorization",
            "OAuth 1.0a header to submit (Authorization)",
            &oauth.authorization,
        ));
        html.push_str(&pre(
            "signature-hex",
            "HEX encoded signature",
            &oauth.signature_hex,
        ));
        html.push_str(
            "<p class=\"note\">The HEX string is for debugging only: send the signature neither in \
             HEX nor in encoded HEX.</p>\n",
        );
        html.push_str(&pre(
            "signature-base64",
            "Base64 encoded signature",
            &oauth.signature_base64,
        ));
        html.push_str(&pre(
            "oauth-nonce",
            "oauth_nonce and oauth_timestamp used",
            &format!("{} {}", oauth.nonce, oauth.timestamp),
        ));
    } else {
        html.push_str(&pre("body", "POST body parameters to submit", &built.body));
        if let Some(control) = &built.control {
            html.push_str(&pre("control", "control (SHA-1, lowercase hex)", control));
        }
    }
    html.push_str(&pre("curl", "curl", &built.curl));
    html.push_str("</section>\n");
    html
}

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Accepted => "accepted",
        Verdict::Refused => "refused",
        _ => "rejected",
    }
}

fn json_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The request log, newest first.
pub(crate) fn log(entries: &[LoggedRequest], capacity: usize) -> String {
    let mut html = String::new();
    if capacity == 0 {
        html.push_str("<p class=\"note\">The request log is off (capacity 0).</p>\n");
    } else {
        let _ = writeln!(
            html,
            "<p class=\"note\">The last {capacity} Payneteasy requests, newest first. Secrets never \
             appear: the signature is elided, control shows only as present, card numbers keep \
             their last four digits, CVV is dropped. <a href=\"/console/log.json\">JSON</a>.</p>"
        );
    }
    if entries.is_empty() {
        html.push_str("<p id=\"empty\">No request yet.</p>\n");
    }
    for entry in entries.iter().rev() {
        let class = verdict_class(entry.verdict);
        let check = entry.check.as_ref().map(json_name).unwrap_or_default();
        let _ = writeln!(
            html,
            "<section class=\"entry\" id=\"entry-{}\">\n<h2>#{} {} {}</h2>",
            entry.seq,
            entry.seq,
            escape(&entry.method),
            escape(&entry.path)
        );
        if !entry.hints.is_empty() {
            html.push_str("<ul class=\"hints\">\n");
            for hint in &entry.hints {
                let _ = writeln!(
                    html,
                    "<li class=\"hint{}\" data-cause=\"{}\">{}{}</li>",
                    if hint.confirmed { " confirmed" } else { "" },
                    escape(&hint.cause),
                    if hint.confirmed { "Found: " } else { "Hint: " },
                    escape(&hint.text)
                );
            }
            html.push_str("</ul>\n");
        }
        html.push_str("<table>\n");
        let mut row = |name: &str, value: &str, id: &str| {
            let _ = writeln!(
                html,
                "<tr><th>{}</th><td class=\"{id}\">{}</td></tr>",
                escape(name),
                escape(value)
            );
        };
        row(
            "route",
            &match (&entry.api, &entry.command, &entry.endpoint) {
                (Some(api), Some(command), Some(endpoint)) => {
                    format!("{api} {command} on endpoint {endpoint}")
                }
                _ => "(not an API route)".to_owned(),
            },
            "route",
        );
        row(
            "merchant",
            entry.merchant.as_deref().unwrap_or("-"),
            "merchant",
        );
        row(
            "verdict",
            &match (&entry.error_code, check.is_empty()) {
                (Some(code), false) => {
                    format!("{} ({check}, error-code {code})", json_name(&entry.verdict))
                }
                (None, false) => format!("{} ({check})", json_name(&entry.verdict)),
                (Some(code), true) => format!("{} (error-code {code})", json_name(&entry.verdict)),
                (None, true) => json_name(&entry.verdict),
            },
            &format!("verdict {class}"),
        );
        if let Some(detail) = &entry.detail {
            row("reason", detail, "detail");
        }
        if let Some(diff) = entry.clock_difference_secs {
            row(
                "clock difference",
                &format!(
                    "{diff:+} s (oauth_timestamp minus the sandbox's clock; allowed ±{} s)",
                    entry.allowed_skew_secs.unwrap_or(0)
                ),
                "clock",
            );
        }
        if let Some(host) = &entry.host {
            row("Host", host, "host");
        }
        if let Some(content_type) = &entry.content_type {
            row("Content-Type", content_type, "content-type");
        }
        if let Some(authorization) = &entry.authorization {
            row("Authorization", authorization, "authorization");
        }
        let fields: Vec<String> = entry
            .fields
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        row(
            "body fields",
            &format!("{} ({} bytes)", fields.join("\n"), entry.body_bytes),
            "fields",
        );
        if let Some(url) = &entry.signed_url {
            row("signed URL (as the sandbox verifies)", url, "signed-url");
        }
        if let Some(base) = &entry.base_string {
            row("base string the sandbox computed", base, "base-string");
        }
        let answer = &entry.answer;
        row(
            "answer",
            &format!(
                "HTTP {} {}\n{}{}",
                answer.status,
                answer.content_type.as_deref().unwrap_or(""),
                answer.body,
                if answer.truncated { "\n…" } else { "" }
            ),
            "answer",
        );
        html.push_str("</table>\n");
        html.push_str("</section>\n");
    }
    page("Request log", &html)
}
