//! `RequestorCredentials` and the secret-safe `Password`.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::Error;

/// The PaySecure password: redacted in `Debug` and `Display`, zeroized on drop.
///
/// ```
/// use paysecure_proto::Password;
///
/// let p = Password::new("hunter2");
/// assert_eq!(p.expose(), "hunter2");
/// assert_eq!(format!("{p:?}"), "Password(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    #[must_use]
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The clear text, for the codec that writes it on the wire.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `true` when the password is the empty string.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Password {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl Serialize for Password {
    /// The clear text: the wire needs it (only `Debug` and `Display` redact).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `RequestorCredentials`: who is calling. All four members are required and non-empty, both
/// when built with [`RequestorCredentials::new`] and when deserialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestorCredentials {
    #[serde(deserialize_with = "crate::serde_support::non_empty")]
    merchant_id: String,
    #[serde(deserialize_with = "crate::serde_support::non_empty")]
    user_name: String,
    #[serde(deserialize_with = "crate::serde_support::non_empty")]
    password: Password,
    #[serde(deserialize_with = "crate::serde_support::non_empty")]
    version: String,
}

impl RequestorCredentials {
    /// Checks and builds the credentials.
    ///
    /// The server marks the four members `[Required]`, which ServiceStack treats as a database
    /// hint rather than a validator, so the check happens here.
    ///
    /// # Errors
    /// [`Error::MissingField`] naming the first empty member (`MerchantId`, `UserName`,
    /// `Password`, `Version`).
    pub fn new(
        merchant_id: impl Into<String>,
        user_name: impl Into<String>,
        password: Password,
        version: impl Into<String>,
    ) -> Result<Self, Error> {
        let merchant_id = merchant_id.into();
        let user_name = user_name.into();
        let version = version.into();
        for (field, empty) in [
            ("MerchantId", merchant_id.is_empty()),
            ("UserName", user_name.is_empty()),
            ("Password", password.is_empty()),
            ("Version", version.is_empty()),
        ] {
            if empty {
                return Err(Error::MissingField { field });
            }
        }
        Ok(Self {
            merchant_id,
            user_name,
            password,
            version,
        })
    }

    /// `MerchantId`.
    #[must_use]
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// `UserName`.
    #[must_use]
    pub fn user_name(&self) -> &str {
        &self.user_name
    }

    /// `Password` (still wrapped; call [`Password::expose`] to write it).
    #[must_use]
    pub fn password(&self) -> &Password {
        &self.password
    }

    /// `Version`.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_every_member() {
        let ok = RequestorCredentials::new("m", "u", Password::new("p"), "v").unwrap();
        assert_eq!(ok.password().expose(), "p");
        let missing = |m: &str, u: &str, p: &str, v: &str| match RequestorCredentials::new(
            m,
            u,
            Password::new(p),
            v,
        ) {
            Err(Error::MissingField { field }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(missing("", "u", "p", "v"), "MerchantId");
        assert_eq!(missing("m", "", "p", "v"), "UserName");
        assert_eq!(missing("m", "u", "", "v"), "Password");
        assert_eq!(missing("m", "u", "p", ""), "Version");
    }

    #[test]
    fn password_never_printed() {
        let c = RequestorCredentials::new("m", "u", Password::new("s3cr3t-pw"), "v").unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t-pw"));
        assert!(!format!("{c:#?}").contains("s3cr3t-pw"));
        assert!(!c.password().to_string().contains("s3cr3t-pw"));
    }
}
