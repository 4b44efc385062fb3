//! The serde serializer of the form format: a message becomes its `(name, value)` pairs in
//! declaration order (then [`encode_form`](crate::encode_form) or
//! [`encode_response_body`](crate::encode_response_body) writes the bytes).
//!
//! A message is a struct (or a map, which serde uses for a struct with a `flatten` field) whose
//! values are text, numbers, booleans, unit enum variants or options of those; `None` is
//! omitted.

use serde::ser::{self, Impossible, Serialize};

use crate::error::EncodeError;

/// The fields of a message, in declaration order (absent options left out).
///
/// # Errors
/// [`EncodeError::Unsupported`] when the message is not a struct or map of scalar values.
pub fn to_fields<T: Serialize + ?Sized>(message: &T) -> Result<Vec<(String, String)>, EncodeError> {
    let mut out = Vec::new();
    message.serialize(Pairs { out: &mut out })?;
    Ok(out)
}

impl ser::Error for EncodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self::Unsupported(msg.to_string())
    }
}

fn unsupported<T>(what: &str) -> Result<T, EncodeError> {
    Err(EncodeError::Unsupported(format!(
        "{what} has no form representation"
    )))
}

/// The top level: a struct or a map.
struct Pairs<'a> {
    out: &'a mut Vec<(String, String)>,
}

/// The pending key of a map entry.
struct MapPairs<'a> {
    out: &'a mut Vec<(String, String)>,
    key: Option<String>,
}

/// One value: `Some(text)`, or `None` to leave the field out.
struct Value;

macro_rules! refuse {
    ($what:literal: $($method:ident($($ty:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<$ret, EncodeError> {
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
        ) -> Result<Self::Ok, EncodeError> {
            unsupported($what)
        }
    };
}

impl<'a> ser::Serializer for Pairs<'a> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Impossible<(), EncodeError>;
    type SerializeTuple = Impossible<(), EncodeError>;
    type SerializeTupleStruct = Impossible<(), EncodeError>;
    type SerializeTupleVariant = Impossible<(), EncodeError>;
    type SerializeMap = MapPairs<'a>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), EncodeError>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, EncodeError> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapPairs<'a>, EncodeError> {
        Ok(MapPairs {
            out: self.out,
            key: None,
        })
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), EncodeError> {
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

impl ser::SerializeStruct for Pairs<'_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        if let Some(text) = value.serialize(Value)? {
            self.out.push((key.to_owned(), text));
        }
        Ok(())
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl ser::SerializeMap for MapPairs<'_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), EncodeError> {
        match key.serialize(Value)? {
            Some(key) => {
                self.key = Some(key);
                Ok(())
            }
            None => unsupported("an absent field name"),
        }
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        let Some(key) = self.key.take() else {
            return unsupported("a map value without a key");
        };
        if let Some(text) = value.serialize(Value)? {
            self.out.push((key, text));
        }
        Ok(())
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

macro_rules! display {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method(self, v: $ty) -> Result<Option<String>, EncodeError> {
            Ok(Some(v.to_string()))
        }
    )*};
}

impl ser::Serializer for Value {
    type Ok = Option<String>;
    type Error = EncodeError;
    type SerializeSeq = Impossible<Option<String>, EncodeError>;
    type SerializeTuple = Impossible<Option<String>, EncodeError>;
    type SerializeTupleStruct = Impossible<Option<String>, EncodeError>;
    type SerializeTupleVariant = Impossible<Option<String>, EncodeError>;
    type SerializeMap = Impossible<Option<String>, EncodeError>;
    type SerializeStruct = Impossible<Option<String>, EncodeError>;
    type SerializeStructVariant = Impossible<Option<String>, EncodeError>;

    display! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str);
    }
    fn serialize_none(self) -> Result<Option<String>, EncodeError> {
        Ok(None)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<Option<String>, EncodeError> {
        v.serialize(self)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Option<String>, EncodeError> {
        Ok(Some(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Option<String>, EncodeError> {
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
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Mixed {
        text: &'static str,
        number: u32,
        flag: bool,
        absent: Option<String>,
        present: Option<&'static str>,
    }

    #[test]
    fn scalars_in_order_and_absent_options_left_out() {
        let m = Mixed {
            text: "a b",
            number: 7,
            flag: true,
            absent: None,
            present: Some("x"),
        };
        let fields = to_fields(&m).unwrap();
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["text", "number", "flag", "present"]);
        assert_eq!(fields[1].1, "7");
        let map: BTreeMap<&str, &str> = [("b", "2"), ("a", "1")].into_iter().collect();
        assert_eq!(to_fields(&map).unwrap()[0], ("a".into(), "1".into()));
    }

    #[test]
    fn other_shapes_are_typed_errors() {
        #[derive(Serialize)]
        struct Nested {
            list: Vec<u8>,
        }
        assert!(matches!(
            to_fields(&Nested { list: vec![1] }),
            Err(EncodeError::Unsupported(_))
        ));
        assert!(matches!(
            to_fields("text"),
            Err(EncodeError::Unsupported(_))
        ));
        assert!(matches!(
            to_fields(&[1, 2]),
            Err(EncodeError::Unsupported(_))
        ));
    }
}
