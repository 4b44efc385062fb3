//! Where a command is sent: the environment's base URL and the merchant's endpoint.

use std::fmt;
use std::str::FromStr;

use crate::error::ProtoError;
use crate::operation::ApiVersion;

/// Base URL of Payneteasy's integration (sandbox) environment, up to the API version.
pub const SANDBOX_BASE_URL: &str = "https://sandbox.payneteasy.com/paynet/api/v4";
/// Base URL of Payneteasy's production environment, up to the API version.
pub const PRODUCTION_BASE_URL: &str = "https://gate.payneteasy.com/paynet/api/v4";

/// The merchant's endpoint: one id per currency, or a group serving several currencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `ENDPOINTID`: the URL ends in `/<id>`.
    Id(u64),
    /// `ENDPOINTGROUPID`: the URL ends in `/group/<id>`.
    Group(u64),
}

impl Endpoint {
    /// The last segment(s) of a command URL: `39915` or `group/1144`.
    pub fn path_suffix(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Group(id) => write!(f, "group/{id}"),
        }
    }
}

impl FromStr for Endpoint {
    type Err = ProtoError;

    /// Reads `39915` or `group/1144` (the forms [`Endpoint`]'s `Display` writes).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        fn number(digits: &str) -> Result<u64, ProtoError> {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ProtoError::InvalidEndpoint {
                    reason: "expected decimal digits",
                });
            }
            digits.parse().map_err(|_| ProtoError::InvalidEndpoint {
                reason: "number out of range",
            })
        }
        match s.strip_prefix("group/") {
            Some(rest) => number(rest).map(Self::Group),
            None => number(s).map(Self::Id),
        }
    }
}

/// A validated base URL: `http(s)://host[:port]/path/up/to/the/api/version`, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Validates a base URL such as `http://127.0.0.1:8080/paynet/api/v4`.
    ///
    /// Trailing slashes are removed so that command URLs never contain `//`.
    ///
    /// # Errors
    /// [`ProtoError::InvalidBaseUrl`] when the scheme is not `http` or `https`, the host is
    /// empty, or the URL contains whitespace, control or non-ASCII characters, a query, a
    /// fragment, or `//` inside its path.
    pub fn parse(url: &str) -> Result<Self, ProtoError> {
        let invalid = |reason| ProtoError::InvalidBaseUrl { reason };
        if !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "only visible ASCII characters are allowed (no spaces)",
            ));
        }
        if url.contains(['?', '#']) {
            return Err(invalid("a query or fragment is not allowed"));
        }
        let lower = url.to_ascii_lowercase();
        let rest_at = if lower.starts_with("https://") {
            8
        } else if lower.starts_with("http://") {
            7
        } else {
            return Err(invalid("the scheme must be http:// or https://"));
        };
        let trimmed = url.trim_end_matches('/');
        let rest = trimmed.get(rest_at..).unwrap_or("");
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.starts_with(':') || authority.contains('@') {
            return Err(invalid("the host is missing or carries user information"));
        }
        if path.contains("//") {
            return Err(invalid("the path contains an empty segment"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The URL text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BaseUrl {
    type Err = ProtoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Which gateway installation to talk to.
///
/// The documentation warns that the path prefix may change and white-label hosts exist, so
/// [`Environment::Custom`] takes any base URL up to the API version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Environment {
    /// [`SANDBOX_BASE_URL`].
    Sandbox,
    /// [`PRODUCTION_BASE_URL`].
    Production,
    /// Another installation, a local emulator or a proxy.
    Custom(BaseUrl),
}

impl Environment {
    /// A custom environment from its base URL (see [`BaseUrl::parse`]).
    ///
    /// # Errors
    /// [`ProtoError::InvalidBaseUrl`] as for [`BaseUrl::parse`].
    pub fn custom(base_url: &str) -> Result<Self, ProtoError> {
        BaseUrl::parse(base_url).map(Self::Custom)
    }

    /// The base URL up to the API version, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Self::Sandbox => SANDBOX_BASE_URL,
            Self::Production => PRODUCTION_BASE_URL,
            Self::Custom(url) => url.as_str(),
        }
    }

    /// The full URL of a command: `<base>/<command>/<endpoint>`.
    ///
    /// `command` is a path such as `create-card-ref` (see [`crate::Operation::PATH`]); slashes
    /// around it are ignored so the result never contains `//`.
    pub fn command_url(&self, command: &str, endpoint: &Endpoint) -> String {
        let command = command.trim_matches('/');
        format!("{}/{}/{}", self.base_url(), command, endpoint)
    }

    /// The full URL of an operation of API `version`: `<base>/<command>/<endpoint>`, where a
    /// base whose last segment is an API version (`v4`, `v2`, ...) has that segment replaced
    /// by `version`. A base that does not end in a version (a proxy) is used as it is.
    pub fn operation_url(&self, version: ApiVersion, command: &str, endpoint: &Endpoint) -> String {
        let base = self.base_url();
        let versioned = base.rsplit_once('/').filter(|(_, last)| {
            last.len() > 1
                && last.starts_with(['v', 'V'])
                && last[1..].bytes().all(|b| b.is_ascii_digit())
        });
        match versioned {
            Some((head, _)) => format!(
                "{head}/{}/{}/{endpoint}",
                version.as_str(),
                command.trim_matches('/')
            ),
            None => self.command_url(command, endpoint),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(Endpoint::Id(39915).path_suffix(), "39915");
        assert_eq!(Endpoint::Group(1144).path_suffix(), "group/1144");
        assert_eq!("39915".parse(), Ok(Endpoint::Id(39915)));
        assert_eq!("group/1144".parse(), Ok(Endpoint::Group(1144)));
        for bad in [
            "",
            "group/",
            "+1",
            "12a",
            "group/-1",
            "99999999999999999999999",
            "g/1",
        ] {
            assert!(bad.parse::<Endpoint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn environments() {
        let e = Endpoint::Id(39915);
        assert_eq!(
            Environment::Sandbox.command_url("create-card-ref", &e),
            "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915"
        );
        assert_eq!(
            Environment::Production.command_url("/status/", &Endpoint::Group(7)),
            "https://gate.payneteasy.com/paynet/api/v4/status/group/7"
        );
        let custom = Environment::custom("http://127.0.0.1:8080/paynet/api/v4/").unwrap();
        assert_eq!(custom.base_url(), "http://127.0.0.1:8080/paynet/api/v4");
        assert_eq!(
            custom.command_url("status", &e),
            "http://127.0.0.1:8080/paynet/api/v4/status/39915"
        );
        assert_eq!(
            custom.operation_url(ApiVersion::V2, "status", &e),
            "http://127.0.0.1:8080/paynet/api/v2/status/39915"
        );
        let proxy = Environment::custom("https://proxy.example/pay").unwrap();
        assert_eq!(
            proxy.operation_url(ApiVersion::V2, "status", &e),
            "https://proxy.example/pay/status/39915"
        );
        assert_eq!(
            Environment::custom("HTTPS://Pay.example")
                .unwrap()
                .base_url(),
            "HTTPS://Pay.example"
        );
    }

    #[test]
    fn bad_base_urls() {
        for bad in [
            "",
            "ftp://x/y",
            "https://",
            "https:///path",
            "https://:80/x",
            "https://user@host/x",
            "https://host/a b",
            "https://host/a?x=1",
            "https://host/a#f",
            "https://host//a",
            "https://hôst/a",
            "sandbox.payneteasy.com/paynet",
        ] {
            assert!(Environment::custom(bad).is_err(), "{bad}");
        }
    }
}
