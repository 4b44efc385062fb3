//! serde helpers shared by the message declarations: unknown fields kept in wire order, values
//! that arrive as a number or a string, the validation of request text fields, and the one
//! walk over a message's fields ([`serialize_fields`]) that both the validation and the form
//! codec's serializer are built on.
//!
//! They are public so that a message declared outside this crate uses the same rules.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::{self, Impossible, Serialize, Serializer};
use serde::{Deserialize, Deserializer};

use crate::error::{ProtoError, check_text};

/// Text that the gateway sends as a JSON number in some places and a string in others
/// (`paynet-order-id`, `error-code`); form bodies always give text.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// `#[serde(default, deserialize_with = "text_or_number")]` for an `Option<String>` field whose
/// JSON type varies: a string, an integer or a decimal number are all kept as text, `null` is
/// `None`.
///
/// # Errors
/// The deserializer's error for any other type (an object, an array, a boolean).
pub fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Text>::deserialize(d)?.map(|t| t.0))
}

/// `#[serde(flatten, with = "extra")]` for the `extra` field of a response: every field the
/// message does not model, as `(name, value)` pairs in wire order (serialized back in that
/// order, so a body re-encodes byte for byte). Values may be strings or numbers.
pub mod extra {
    use super::*;

    /// Writes the pairs as map entries, in order.
    ///
    /// # Errors
    /// The serializer's own.
    pub fn serialize<S: Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(pairs.iter().map(|(n, v)| (n, v)))
    }

    /// Reads the remaining map entries, in order, refusing a name given twice.
    ///
    /// # Errors
    /// A duplicate name, or a value that is neither text nor a number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Vec<(String, String)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, String)> = Vec::new();
                while let Some((name, Text(value))) = map.next_entry::<String, Text>()? {
                    if out.iter().any(|(n, _)| *n == name) {
                        return Err(de::Error::custom(ProtoError::DuplicateField(name)));
                    }
                    out.push((name, value));
                }
                Ok(out)
            }
        }
        d.deserialize_map(PairsVisitor)
    }
}

/// Checks every text field of a request (the length limit of its name, see
/// [`field_limit`](crate::field_limit)), the typed values (an [`Amount`](crate::Amount), a
/// [`Currency`](crate::Currency), a [`CardNumber`](crate::CardNumber), a
/// [`Cvv2`](crate::Cvv2)), and that an `amount` comes with its `currency` and fits its minor
/// unit, naming the field by its wire name, which the walk takes from the message's serde
/// declaration.
pub(crate) fn check_fields<T: Serialize>(message: &T) -> Result<(), ProtoError> {
    let mut check = Check::default();
    serialize_fields(message, &mut check).map_err(|e| e.0)?;
    match (check.amount, check.currency) {
        (Some(amount), Some(currency)) => {
            crate::values::amount_minor_units(&amount, &currency).map(|_| ())
        }
        (Some(_), None) => Err(ProtoError::InvalidValue {
            field: "currency",
            reason: "an amount is sent without its currency",
        }),
        _ => Ok(()),
    }
}

/// The [`FieldSink`] of [`check_fields`]: every value is checked as text under its field's
/// name, typed values by their type; a map entry (no `&'static` name to report) is refused.
#[derive(Default)]
struct Check {
    amount: Option<String>,
    currency: Option<String>,
}

impl FieldSink for Check {
    type Error = CheckError;
    fn field(&mut self, name: Cow<'static, str>, value: String) -> Result<(), CheckError> {
        self.typed_field(name, None, value)
    }
    fn typed_field(
        &mut self,
        name: Cow<'static, str>,
        kind: Option<&'static str>,
        value: String,
    ) -> Result<(), CheckError> {
        let Cow::Borrowed(name) = name else {
            return Err(ser::Error::custom("a map entry"));
        };
        check_text(name, &value).map_err(CheckError)?;
        if let Some(kind) = kind {
            crate::values::check_kind(name, kind, &value).map_err(CheckError)?;
        }
        match name {
            "amount" => self.amount = Some(value),
            "currency" => self.currency = Some(value),
            _ => {}
        }
        Ok(())
    }
}

/// A [`ProtoError`] carried through serde's error trait.
#[derive(Debug)]
struct CheckError(ProtoError);

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for CheckError {}

impl ser::Error for CheckError {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self(ProtoError::Unsupported(
            "a request field of another shape than text",
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// The walk over a message's fields: one serde serializer for the request checks above and
// the form codec's `to_fields` (`payneteasy-codec`), so that both see the same fields, by the
// same names, in the same order.

/// Receives the fields of a message from [`serialize_fields`], in declaration order.
pub trait FieldSink {
    /// The error of the walk. [`serde::ser::Error::custom`] receives the description of a
    /// shape the form format has no place for (`"… has no form representation"`).
    type Error: ser::Error;

    /// One present field: its wire name (borrowed for a struct field, owned for a map entry,
    /// which serde uses for a struct with a `flatten` field) and its value as text.
    ///
    /// # Errors
    /// Whatever the sink refuses; the walk stops at the first error.
    fn field(&mut self, name: Cow<'static, str>, value: String) -> Result<(), Self::Error>;

    /// One present field with the serde name of the newtype that holds its value, when it is
    /// one (`payneteasy_proto::Amount`, …): the request check uses it to apply the type's
    /// rules. By default the kind is ignored and [`FieldSink::field`] is called.
    ///
    /// # Errors
    /// Whatever the sink refuses; the walk stops at the first error.
    fn typed_field(
        &mut self,
        name: Cow<'static, str>,
        kind: Option<&'static str>,
        value: String,
    ) -> Result<(), Self::Error> {
        let _ = kind;
        self.field(name, value)
    }
}

/// Walks the top level of `message` (a struct, or a map) and hands each present field to
/// `sink`, in declaration order. Values are text, numbers, booleans (`Display`), unit enum
/// variants (the variant's serde name), newtypes or options of those; `None` is left out.
///
/// # Errors
/// The sink's error; `S::Error::custom` for a message that is not a struct or map of such
/// values (a nested struct, a sequence, bytes, …).
pub fn serialize_fields<T: Serialize + ?Sized, S: FieldSink>(
    message: &T,
    sink: &mut S,
) -> Result<(), S::Error> {
    message.serialize(Pairs { sink })
}

fn unsupported<T, E: ser::Error>(what: &str) -> Result<T, E> {
    Err(E::custom(format_args!("{what} has no form representation")))
}

/// The top level: a struct or a map.
struct Pairs<'a, S> {
    sink: &'a mut S,
}

/// The pending key of a map entry.
struct MapPairs<'a, S> {
    sink: &'a mut S,
    key: Option<String>,
}

/// One value: `Some(text)`, or `None` to leave the field out. `kind` receives the serde name
/// of the outermost newtype struct around the value.
struct Value<'k, E> {
    kind: &'k mut Option<&'static str>,
    error: PhantomData<fn() -> E>,
}

impl<'k, E> Value<'k, E> {
    fn new(kind: &'k mut Option<&'static str>) -> Self {
        Self {
            kind,
            error: PhantomData,
        }
    }
}

macro_rules! refuse {
    ($what:literal: $($method:ident($($ty:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<$ret, Self::Error> {
            unsupported($what)
        }
    )*};
}

macro_rules! refuse_compounds {
    ($what:literal) => {
        refuse! { $what:
            serialize_seq(Option<usize>) -> Self::SerializeSeq;
            serialize_tuple(usize) -> Self::SerializeTuple;
            serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
            serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
            serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, Self::Error> {
            unsupported($what)
        }
    };
}

impl<'a, S: FieldSink> Serializer for Pairs<'a, S> {
    type Ok = ();
    type Error = S::Error;
    type SerializeSeq = Impossible<(), S::Error>;
    type SerializeTuple = Impossible<(), S::Error>;
    type SerializeTupleStruct = Impossible<(), S::Error>;
    type SerializeTupleVariant = Impossible<(), S::Error>;
    type SerializeMap = MapPairs<'a, S>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), S::Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, S::Error> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapPairs<'a, S>, S::Error> {
        Ok(MapPairs {
            sink: self.sink,
            key: None,
        })
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        value.serialize(self)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), S::Error> {
        value.serialize(self)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), S::Error> {
        Ok(())
    }
    refuse! { "a message that is not a struct":
        serialize_bool(bool) -> (); serialize_i8(i8) -> (); serialize_i16(i16) -> ();
        serialize_i32(i32) -> (); serialize_i64(i64) -> (); serialize_u8(u8) -> ();
        serialize_u16(u16) -> (); serialize_u32(u32) -> (); serialize_u64(u64) -> ();
        serialize_f32(f32) -> (); serialize_f64(f64) -> (); serialize_char(char) -> ();
        serialize_str(&str) -> (); serialize_bytes(&[u8]) -> (); serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
    }
    refuse_compounds!("a message that is not a struct");
}

impl<S: FieldSink> ser::SerializeStruct for Pairs<'_, S> {
    type Ok = ();
    type Error = S::Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        let mut kind = None;
        match value.serialize(Value::new(&mut kind))? {
            Some(text) => self.sink.typed_field(Cow::Borrowed(key), kind, text),
            None => Ok(()),
        }
    }
    fn end(self) -> Result<(), S::Error> {
        Ok(())
    }
}

impl<S: FieldSink> ser::SerializeMap for MapPairs<'_, S> {
    type Ok = ();
    type Error = S::Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), S::Error> {
        match key.serialize(Value::new(&mut None))? {
            Some(key) => {
                self.key = Some(key);
                Ok(())
            }
            None => unsupported("an absent field name"),
        }
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), S::Error> {
        let Some(key) = self.key.take() else {
            return unsupported("a map value without a key");
        };
        let mut kind = None;
        match value.serialize(Value::new(&mut kind))? {
            Some(text) => self.sink.typed_field(Cow::Owned(key), kind, text),
            None => Ok(()),
        }
    }
    fn end(self) -> Result<(), S::Error> {
        Ok(())
    }
}

macro_rules! display {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method(self, v: $ty) -> Result<Option<String>, E> {
            Ok(Some(v.to_string()))
        }
    )*};
}

impl<E: ser::Error> Serializer for Value<'_, E> {
    type Ok = Option<String>;
    type Error = E;
    type SerializeSeq = Impossible<Option<String>, E>;
    type SerializeTuple = Impossible<Option<String>, E>;
    type SerializeTupleStruct = Impossible<Option<String>, E>;
    type SerializeTupleVariant = Impossible<Option<String>, E>;
    type SerializeMap = Impossible<Option<String>, E>;
    type SerializeStruct = Impossible<Option<String>, E>;
    type SerializeStructVariant = Impossible<Option<String>, E>;

    display! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str);
    }
    fn serialize_none(self) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<Option<String>, E> {
        v.serialize(self)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Option<String>, E> {
        Ok(Some(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<Option<String>, E> {
        if self.kind.is_none() {
            *self.kind = Some(name);
        }
        v.serialize(self)
    }
    refuse! { "a field value that is not text":
        serialize_bytes(&[u8]) -> Option<String>;
        serialize_unit() -> Option<String>;
        serialize_unit_struct(&'static str) -> Option<String>;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
    }
    refuse_compounds!("a field value that is not text");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Sample {
        text: &'static str,
        number: u32,
        absent: Option<String>,
        present: Option<&'static str>,
    }

    struct Names(Vec<(String, String)>);

    impl FieldSink for Names {
        type Error = CheckError;
        fn field(&mut self, name: Cow<'static, str>, value: String) -> Result<(), CheckError> {
            self.0.push((name.into_owned(), value));
            Ok(())
        }
    }

    #[test]
    fn one_walk_for_checks_and_pairs() {
        let sample = Sample {
            text: "a b",
            number: 7,
            absent: None,
            present: Some(""),
        };
        let mut names = Names(Vec::new());
        serialize_fields(&sample, &mut names).unwrap();
        let pairs: Vec<(&str, &str)> = names.0.iter().map(|(n, v)| (&**n, &**v)).collect();
        assert_eq!(pairs, [("text", "a b"), ("number", "7"), ("present", "")]);
        // The check walks the same fields and names the first bad one.
        assert_eq!(
            check_fields(&sample),
            Err(ProtoError::Empty { field: "present" })
        );
        assert_eq!(
            check_fields(&("not", "a struct")),
            Err(ProtoError::Unsupported(
                "a request field of another shape than text"
            ))
        );
    }
}
