//! `--dry-run`: the exact request a gateway command would send, printed instead of sent.
//!
//! Shared by the Payneteasy and PaySecure commands. The JSON form is one object
//! `{"method", "url", "headers", "body"}`; `headers` keeps the order in which they would be
//! sent. The caller masks the card number, CVV and password in `body` before building a
//! [`DryRun`] (each gateway knows which of its fields are secret); signatures and `control`
//! are shown, since checking them is what a dry run is for.

use crate::output::{CliError, print, print_json_value};

/// A request that was built and signed but not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DryRun {
    /// The HTTP method, `POST` for every gateway command.
    pub(crate) method: String,
    /// The full URL.
    pub(crate) url: String,
    /// The headers, in sending order: `[name, value]` pairs.
    pub(crate) headers: Vec<(String, String)>,
    /// The body, secrets already masked.
    pub(crate) body: String,
}

impl DryRun {
    /// The JSON form: `{"method", "url", "headers": [[name, value], …], "body"}`.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "method": self.method,
            "url": self.url,
            "headers": self.headers,
            "body": self.body,
        })
    }

    /// Prints it: one JSON object (pretty) with `json`, else an HTTP-like text block.
    ///
    /// # Errors
    /// When the JSON cannot be written.
    pub(crate) fn print(&self, json: bool) -> Result<(), CliError> {
        if json {
            return print_json_value(&self.to_json(), true);
        }
        let mut text = format!("{} {}\n", self.method, self.url);
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        text.push('\n');
        text.push_str(&self.body);
        if !self.body.ends_with('\n') {
            text.push('\n');
        }
        print(&text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_method_url_headers_body() {
        let dry = DryRun {
            method: "POST".to_owned(),
            url: "https://example.test/x".to_owned(),
            headers: vec![("Accept".to_owned(), "application/json".to_owned())],
            body: "a=1".to_owned(),
        };
        let value = dry.to_json();
        assert_eq!(
            value,
            serde_json::json!({
                "method": "POST",
                "url": "https://example.test/x",
                "headers": [["Accept", "application/json"]],
                "body": "a=1",
            })
        );
    }
}
