//! serde helpers shared by the message declarations: unknown fields kept in wire order, values
//! that arrive as a number or a string, and the validation of request text fields.
//!
//! They are public so that a message declared outside this crate uses the same rules.

use std::fmt;

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

/// Checks every text field of a request (see [`MAX_ID_CHARS`](crate::MAX_ID_CHARS)), naming
/// the field by its wire name, which the walk takes from the message's serde declaration.
pub(crate) fn check_fields<T: Serialize>(message: &T) -> Result<(), ProtoError> {
    message.serialize(Fields).map_err(|e| e.0)
}

/// Walks the top level of a struct.
struct Fields;
/// Checks one field's value.
struct Field(&'static str);

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

macro_rules! unsupported {
    ($($method:ident($($ty:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<$ret, CheckError> {
            Err(ser::Error::custom(""))
        }
    )*};
}

impl Serializer for Fields {
    type Ok = ();
    type Error = CheckError;
    type SerializeSeq = Impossible<(), CheckError>;
    type SerializeTuple = Impossible<(), CheckError>;
    type SerializeTupleStruct = Impossible<(), CheckError>;
    type SerializeTupleVariant = Impossible<(), CheckError>;
    type SerializeMap = Impossible<(), CheckError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), CheckError>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, CheckError> {
        Ok(self)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CheckError> {
        value.serialize(self)
    }
    unsupported! {
        serialize_bool(bool) -> (); serialize_i8(i8) -> (); serialize_i16(i16) -> ();
        serialize_i32(i32) -> (); serialize_i64(i64) -> (); serialize_u8(u8) -> ();
        serialize_u16(u16) -> (); serialize_u32(u32) -> (); serialize_u64(u64) -> ();
        serialize_f32(f32) -> (); serialize_f64(f64) -> (); serialize_char(char) -> ();
        serialize_str(&str) -> (); serialize_bytes(&[u8]) -> (); serialize_none() -> ();
        serialize_unit() -> (); serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), CheckError> {
        Err(ser::Error::custom(""))
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), CheckError> {
        Err(ser::Error::custom(""))
    }
}

impl ser::SerializeStruct for Fields {
    type Ok = ();
    type Error = CheckError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CheckError> {
        value.serialize(Field(key))
    }
    fn end(self) -> Result<(), CheckError> {
        Ok(())
    }
}

impl Serializer for Field {
    type Ok = ();
    type Error = CheckError;
    type SerializeSeq = Impossible<(), CheckError>;
    type SerializeTuple = Impossible<(), CheckError>;
    type SerializeTupleStruct = Impossible<(), CheckError>;
    type SerializeTupleVariant = Impossible<(), CheckError>;
    type SerializeMap = Impossible<(), CheckError>;
    type SerializeStruct = Impossible<(), CheckError>;
    type SerializeStructVariant = Impossible<(), CheckError>;

    fn serialize_str(self, v: &str) -> Result<(), CheckError> {
        check_text(self.0, v).map_err(CheckError)
    }
    fn serialize_none(self) -> Result<(), CheckError> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), CheckError> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CheckError> {
        value.serialize(self)
    }
    unsupported! {
        serialize_bool(bool) -> (); serialize_i8(i8) -> (); serialize_i16(i16) -> ();
        serialize_i32(i32) -> (); serialize_i64(i64) -> (); serialize_u8(u8) -> ();
        serialize_u16(u16) -> (); serialize_u32(u32) -> (); serialize_u64(u64) -> ();
        serialize_f32(f32) -> (); serialize_f64(f64) -> (); serialize_char(char) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_unit() -> (); serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), CheckError> {
        Err(ser::Error::custom(""))
    }
}
