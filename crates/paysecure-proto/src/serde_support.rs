//! The two serde helpers the DTOs share: text checked by a parser, and required strings.

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

use crate::error::Error;

/// Deserializes a value written as text and checked by `parse` (a [`crate::WcfDate`], a
/// [`crate::card::CardExpiration`]).
///
/// It asks for a newtype struct called `name`: a plain deserializer such as `serde_json`'s
/// hands over the string and a bad value becomes its custom error, while a codec that knows
/// `name` can intercept it and keep the typed [`Error`] (see `paysecure-codec`).
pub(crate) fn parsed_newtype<'de, D, T>(
    deserializer: D,
    name: &'static str,
    expecting: &'static str,
    parse: fn(&str) -> Result<T, Error>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct Text<T> {
        expecting: &'static str,
        parse: fn(&str) -> Result<T, Error>,
    }

    impl<'de, T> Visitor<'de> for Text<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            (self.parse)(v).map_err(E::custom)
        }

        fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<T, D2::Error> {
            d.deserialize_str(self)
        }
    }

    deserializer.deserialize_newtype_struct(name, Text { expecting, parse })
}

/// A required string member: an empty string is refused with `invalid_length(0, …)`, which a
/// codec reports as the member missing (a missing member is serde's `missing_field`).
pub(crate) fn non_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    struct NonEmpty<T>(PhantomData<T>);

    impl<T: From<String>> Visitor<'_> for NonEmpty<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-empty string")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            self.visit_string(v.to_owned())
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
            if v.is_empty() {
                return Err(E::invalid_length(0, &self));
            }
            Ok(T::from(v))
        }
    }

    deserializer.deserialize_string(NonEmpty(PhantomData))
}
