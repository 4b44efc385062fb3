//! Answers whose DTO is not published (`PreAuthCapture`, `Reverse`): only what every
//! PaySecure answer is sourced to carry is decoded, the rest is kept as raw JSON.

use core::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::messages::{ResponseStatus, Timestamps};

/// A JSON value as received (`serde_json::Value`).
pub type JsonValue = serde_json::Value;

/// Members kept as raw JSON, in the order received: name (as sent) → value. A name repeated
/// (ignoring ASCII case) keeps its last value; `null` members are left out, as ServiceStack
/// leaves them out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawMembers(Vec<(String, JsonValue)>);

impl RawMembers {
    /// No members.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` (replacing a member of the same name in any case); a `null` value removes
    /// it.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<JsonValue>) {
        let (name, value) = (name.into(), value.into());
        let at = self
            .0
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(&name));
        match (at, value.is_null()) {
            (Some(i), true) => {
                self.0.remove(i);
            }
            (Some(i), false) => self.0[i] = (name, value),
            (None, true) => {}
            (None, false) => self.0.push((name, value)),
        }
    }

    /// The value of `name`, ignoring ASCII case.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&JsonValue> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The value of `name` when it is a JSON string.
    #[must_use]
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(JsonValue::as_str)
    }

    /// The members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &JsonValue)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// How many members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` without members.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The answer of a service whose response DTO is **not published** (`PreAuthCapture`,
/// `Reverse`). Decoded: ServiceStack's `ResponseStatus` and the `Timestamps` of the
/// `PaysecureResponseInternal` base every PaySecure answer derives from. Every other member is
/// kept as raw JSON in [`Self::members`] for the caller; none is invented.
///
/// The in-band judgment ([`crate::Answer`]) reads `ErrorCode` and `ErrorMessage` from the raw
/// members when they are JSON strings, as every published PaySecure answer carries them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnpublishedResponse {
    /// `ResponseStatus`.
    pub response_status: Option<ResponseStatus>,
    /// `Timestamps`.
    pub timestamps: Option<Timestamps>,
    /// Every other member, as received.
    pub members: RawMembers,
}

const RESPONSE_STATUS: &str = "ResponseStatus";
const TIMESTAMPS: &str = "Timestamps";

impl Serialize for UnpublishedResponse {
    /// The raw members in order, then `ResponseStatus` and `Timestamps` when set.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = self.members.len()
            + usize::from(self.response_status.is_some())
            + usize::from(self.timestamps.is_some());
        let mut map = serializer.serialize_map(Some(len))?;
        for (name, value) in self.members.iter() {
            map.serialize_entry(name, value)?;
        }
        if let Some(status) = &self.response_status {
            map.serialize_entry(RESPONSE_STATUS, status)?;
        }
        if let Some(timestamps) = &self.timestamps {
            map.serialize_entry(TIMESTAMPS, timestamps)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for UnpublishedResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;

        impl<'de> Visitor<'de> for Members {
            type Value = UnpublishedResponse;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = UnpublishedResponse::default();
                while let Some(name) = map.next_key::<String>()? {
                    if name.eq_ignore_ascii_case(RESPONSE_STATUS) {
                        out.response_status = map.next_value()?;
                    } else if name.eq_ignore_ascii_case(TIMESTAMPS) {
                        out.timestamps = map.next_value()?;
                    } else {
                        let value: JsonValue = map.next_value()?;
                        out.members.insert(name, value);
                    }
                }
                Ok(out)
            }
        }

        deserializer.deserialize_map(Members)
    }
}

impl crate::Answer for UnpublishedResponse {
    fn error_code(&self) -> Option<&str> {
        self.members.get_str("ErrorCode")
    }
    fn error_message(&self) -> Option<&str> {
        self.members.get_str("ErrorMessage")
    }
}
