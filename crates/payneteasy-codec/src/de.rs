//! The serde deserializer of the form format: decoded `(name, value)` pairs become a message.
//!
//! Every value is text; numbers and booleans are parsed from it when the message asks for
//! them. Unknown fields are whatever the message does with them (requests ignore them,
//! responses keep them in `extra`). Duplicate names are refused before deserialization, by the
//! decoder that collects the pairs.

// The deserializers below share trait methods of one shape (`deserialize_newtype_struct`,
// `deserialize_option`, …): serde's `Deserializer` trait asks each of them for its own.

use std::borrow::Cow;

use serde::de::value::CowStrDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};

use crate::decode::Fields;
use crate::error::DecodeError;

/// Builds a message from decoded fields.
///
/// # Errors
/// [`DecodeError::Invalid`] with [`payneteasy_proto::ProtoError::MissingField`] when a required
/// field is absent, [`DecodeError::DuplicateField`], and [`DecodeError::Mismatch`] when a value
/// does not fit its field.
pub fn from_fields<'de, T: Deserialize<'de>>(fields: Fields<'de>) -> Result<T, DecodeError> {
    T::deserialize(FieldsDeserializer {
        fields: fields.into_iter(),
    })
}

impl de::Error for DecodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self::Mismatch(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Self::Invalid(payneteasy_proto::ProtoError::MissingField(field))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::DuplicateField(field.to_owned())
    }
}

struct FieldsDeserializer<'de> {
    fields: std::vec::IntoIter<(Cow<'de, str>, Cow<'de, str>)>,
}

impl<'de> de::Deserializer<'de> for FieldsDeserializer<'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_map(Entries {
            fields: self.fields,
            value: None,
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct Entries<'de> {
    fields: std::vec::IntoIter<(Cow<'de, str>, Cow<'de, str>)>,
    value: Option<Cow<'de, str>>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((name, value)) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(Text(name)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        match self.value.take() {
            Some(value) => seed.deserialize(Text(value)),
            None => Err(de::Error::custom("a value was asked for before its name")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// A name or a value: text, parsed when a number or a boolean is asked for.
struct Text<'de>(Cow<'de, str>);

impl Text<'_> {
    fn parse<T: std::str::FromStr>(&self, what: &'static str) -> Result<T, DecodeError> {
        self.0
            .parse()
            .map_err(|_| de::Error::invalid_value(de::Unexpected::Str(&self.0), &what))
    }
}

macro_rules! parsed {
    ($($method:ident => $visit:ident: $what:literal,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            visitor.$visit(self.parse($what)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Text<'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.0 {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let text: CowStrDeserializer<'de, DecodeError> = self.0.into_deserializer();
        de::Deserializer::deserialize_enum(text, name, variants, visitor)
    }

    parsed! {
        deserialize_bool => visit_bool: "a boolean",
        deserialize_i8 => visit_i8: "an integer",
        deserialize_i16 => visit_i16: "an integer",
        deserialize_i32 => visit_i32: "an integer",
        deserialize_i64 => visit_i64: "an integer",
        deserialize_u8 => visit_u8: "an integer",
        deserialize_u16 => visit_u16: "an integer",
        deserialize_u32 => visit_u32: "an integer",
        deserialize_u64 => visit_u64: "an integer",
        deserialize_f32 => visit_f32: "a number",
        deserialize_f64 => visit_f64: "a number",
    }

    forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }
}
