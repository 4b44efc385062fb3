//! The serde helpers the DTOs share: text checked by a parser, required strings, and a member
//! that may be one object or an array.

use core::fmt;
use core::marker::PhantomData;

use serde::Deserialize;
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

/// The struct name under which [`one_or_many`] asks for a member that may be one object or
/// an array of them; `paysecure-codec` knows it and lets such a member be either.
#[doc(hidden)]
pub const ONE_OR_MANY: &str = "paysecure::OneOrMany";

/// The member names `T`'s derive declares (serde hands them to `deserialize_struct`).
pub(crate) fn struct_fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    #[derive(Debug)]
    struct Names(&'static [&'static str]);
    impl fmt::Display for Names {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("member names")
        }
    }
    impl std::error::Error for Names {}
    impl de::Error for Names {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Names(&[])
        }
    }
    struct Probe;
    impl<'de> Deserializer<'de> for Probe {
        type Error = Names;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Names> {
            Err(Names(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Names> {
            Err(Names(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Names(names)) => names,
        Ok(_) => &[],
    }
}

/// A member published as one object that may arrive as an array (`TransactionStatus.History`):
/// `null`, `[]` and `[null]` are `None`; an array gives its first object.
pub(crate) fn one_or_many<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Optional<T>(PhantomData<T>);
    struct OneOrMany<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Optional<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object, an array of objects or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<T>, D2::Error> {
            d.deserialize_struct(
                ONE_OR_MANY,
                struct_fields::<T>(),
                OneOrMany::<T>(PhantomData),
            )
        }
    }

    impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrMany<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object or an array of objects")
        }

        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
            let first = seq.next_element::<T>()?;
            while seq.next_element::<de::IgnoredAny>()?.is_some() {}
            Ok(first)
        }
    }

    deserializer.deserialize_option(Optional::<T>(PhantomData))
}
