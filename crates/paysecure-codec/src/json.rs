//! `serde_json` with ServiceStack's rules, for any DTO that derives serde.
//!
//! **Reading.** serde_json checks the body once (syntax, strings, its nesting limit of 128);
//! then [`Value`], a small self-describing deserializer over slices of the body, hands the DTO
//! its members. When the DTO asks for a struct, serde passes the struct's declared member
//! names (`fields`); a JSON member is matched to them ignoring ASCII case, so the declaration
//! stays the only place a wire name is written. Unknown members are never looked at, `null`
//! members and `null` array entries are left out (so a missing or `null` `Option` is `None`,
//! and a required member reports `missing_field`), and for a repeated member the last one wins.
//! Dates and expirations ask for a newtype struct by name ([`WcfDate::NEWTYPE_NAME`],
//! [`CardExpiration::NEWTYPE_NAME`]); [`Value`] parses them itself to keep the typed error.
//!
//! **Writing.** serde_json with a [`Formatter`] that writes `/` as `\/` in strings that begin
//! with `/Date(`, the escapes ServiceStack writes for dates (JSON reads `\/` as `/`, so no value
//! changes). Member order and left-out `None` members come from the DTOs' derives.

use core::fmt;

use paysecure_proto::{CardExpiration, WcfDate};
use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use serde_json::error::Category;
use serde_json::ser::Formatter;
use serde_json::value::RawValue;

/// Why a body did not decode into the DTO; positions are byte offsets into the body.
#[derive(Debug)]
pub(crate) enum Failure {
    /// serde_json refused the text.
    Json { category: Category, at: usize },
    /// A member's value has the wrong JSON type or range; `at` is set by the member.
    Type { at: Option<usize> },
    /// A date member is not a WCF date.
    Date {
        value: String,
        source: paysecure_proto::Error,
    },
    /// A value broke a DTO rule (an `MMYY` expiration).
    Invalid(paysecure_proto::Error),
    /// A required member is missing, `null` or empty.
    Missing(&'static str),
    /// An empty required string, until the member it belongs to names it.
    Empty,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the body's text: only the kind of failure (the codec reports the details).
        f.write_str("the body does not decode into the DTO")
    }
}

impl std::error::Error for Failure {}

impl de::Error for Failure {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        // serde's messages quote the offending value, which may be a secret: dropped.
        Self::Type { at: None }
    }

    fn invalid_length(len: usize, _expected: &dyn de::Expected) -> Self {
        if len == 0 {
            Self::Empty
        } else {
            Self::Type { at: None }
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Self::Missing(field)
    }
}

/// Decodes `text` (a whole body) into `T`.
pub(crate) fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, Failure> {
    let json = |e: serde_json::Error, at: usize| Failure::Json {
        category: e.classify(),
        at: at + offset_of(text, e.line(), e.column()),
    };
    serde_json::from_str::<Checked>(text).map_err(|e| json(e, 0))?;
    let root: &RawValue = serde_json::from_str(text).map_err(|e| json(e, 0))?;
    T::deserialize(Value::within(text, root.get()))
}

/// The byte offset of serde_json's (1-based) `line` and `column` in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// Line and column (both 1-based) of byte offset `at` in `text`.
pub(crate) fn line_column(text: &[u8], at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, before.len() - line_start + 1)
}

/// A whole document walked through serde_json's own recursion-checked parser and thrown away:
/// the one pass that judges syntax and nesting depth.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(CheckedVisitor)
            .map(|()| Checked)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, Checked>()?.is_some() {}
        Ok(())
    }
}

/// A JSON object's members in body order, values left as text.
struct Entries<'de>(Vec<(String, &'de RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;

        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// One JSON value of an already checked body: its text and where it starts.
#[derive(Clone, Copy)]
struct Value<'de> {
    text: &'de str,
    at: usize,
}

impl<'de> Value<'de> {
    /// `inner`, a slice of `body`, as a value.
    fn within(body: &'de str, inner: &'de str) -> Self {
        Value {
            text: inner,
            at: inner.as_ptr() as usize - body.as_ptr() as usize,
        }
    }

    /// `inner`, a slice of this value's text, as a value.
    fn child(self, inner: &'de RawValue) -> Self {
        let inner = inner.get();
        Value {
            text: inner,
            at: self.at + (inner.as_ptr() as usize - self.text.as_ptr() as usize),
        }
    }

    fn is_null(self) -> bool {
        self.text == "null"
    }

    /// Parses this value's text with serde_json (the body was checked: only type mismatches
    /// fail here).
    fn parse<T: Deserialize<'de>>(self) -> Result<T, Failure> {
        serde_json::from_str(self.text).map_err(|_| Failure::Type { at: Some(self.at) })
    }

    fn string(self) -> Result<String, Failure> {
        self.parse()
    }

    fn type_error(self) -> Failure {
        Failure::Type { at: Some(self.at) }
    }

    /// Gives a failure inside this value its position (and an empty required string the
    /// member's name).
    fn locate(self, failure: Failure, member: Option<&'static str>) -> Failure {
        match (failure, member) {
            (Failure::Type { at: None }, _) => self.type_error(),
            (Failure::Empty, Some(member)) => Failure::Missing(member),
            (other, _) => other,
        }
    }
}

impl<'de> Deserializer<'de> for Value<'de> {
    type Error = Failure;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
        match self.text.as_bytes().first() {
            Some(b'n') => visitor.visit_unit(),
            Some(b't' | b'f') => visitor.visit_bool(self.parse()?),
            Some(b'"') => visitor.visit_string(self.string()?),
            Some(b'[') => self.deserialize_seq(visitor),
            Some(b'{') => {
                let Entries(members) = self.parse()?;
                let members = members
                    .into_iter()
                    .map(|(name, value)| (name, self.child(value)));
                visitor.visit_map(de::value::MapDeserializer::new(members))
            }
            _ => match self.parse::<serde_json::Number>()? {
                n if n.is_u64() => visitor.visit_u64(n.as_u64().unwrap_or_default()),
                n if n.is_i64() => visitor.visit_i64(n.as_i64().unwrap_or_default()),
                n => visitor.visit_f64(n.as_f64().unwrap_or_default()),
            },
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
        if self.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Failure> {
        if !self.text.starts_with('{') {
            return Err(self.type_error());
        }
        let Entries(members) = self.parse()?;
        // Each declared member takes the last JSON member of its name, whatever the case.
        let found = fields
            .iter()
            .filter_map(|&field| {
                members
                    .iter()
                    .rev()
                    .find(|(name, _)| name.eq_ignore_ascii_case(field))
                    .map(|&(_, value)| (field, self.child(value)))
            })
            .filter(|(_, value)| !value.is_null())
            .collect();
        visitor.visit_map(Members {
            members: found,
            next: 0,
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
        if !self.text.starts_with('[') {
            return Err(self.type_error());
        }
        let items: Vec<&'de RawValue> = self.parse()?;
        let items = items
            .into_iter()
            .map(|item| self.child(item))
            .filter(|item| !item.is_null());
        visitor.visit_seq(de::value::SeqDeserializer::new(items))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Failure> {
        let is_string = self.text.starts_with('"');
        if name == WcfDate::NEWTYPE_NAME {
            // A number or any other non-string is quoted as its JSON text.
            let text = if is_string {
                self.string()?
            } else {
                self.text.to_owned()
            };
            if let Err(source) = WcfDate::parse(&text) {
                let value = match &source {
                    paysecure_proto::Error::InvalidDate { value, .. } => value.clone(),
                    _ => text,
                };
                return Err(Failure::Date { value, source });
            }
        } else if name == CardExpiration::NEWTYPE_NAME && is_string {
            CardExpiration::parse(&self.string()?).map_err(Failure::Invalid)?;
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failure> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct tuple tuple_struct map enum identifier
    }
}

impl<'de> IntoDeserializer<'de, Failure> for Value<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// The members of a struct, matched to its declared names.
struct Members<'de> {
    members: Vec<(&'static str, Value<'de>)>,
    next: usize,
}

impl<'de> MapAccess<'de> for Members<'de> {
    type Error = Failure;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Failure> {
        match self.members.get(self.next) {
            Some(&(name, _)) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Failure> {
        let (name, value) = self.members[self.next];
        self.next += 1;
        seed.deserialize(value)
            .map_err(|e| value.locate(e, Some(name)))
    }
}

/// serde_json's compact output, with `/` written `\/` in strings that begin with `/Date(`.
#[derive(Debug, Default)]
pub(crate) struct ServiceStackFormatter {
    first_fragment: bool,
    date: bool,
}

impl Formatter for ServiceStackFormatter {
    fn begin_string<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.first_fragment = true;
        writer.write_all(b"\"")
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if core::mem::take(&mut self.first_fragment) {
            self.date = fragment.starts_with("/Date(");
        }
        if !self.date {
            return writer.write_all(fragment.as_bytes());
        }
        for (i, part) in fragment.split('/').enumerate() {
            if i > 0 {
                writer.write_all(b"\\/")?;
            }
            writer.write_all(part.as_bytes())?;
        }
        Ok(())
    }
}

/// Writes `value` as ServiceStack does.
pub(crate) fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, ServiceStackFormatter::default());
    // Writing to a Vec cannot fail, and the DTOs serialize nothing serde_json refuses (no
    // maps with non-string keys, no non-finite floats).
    if value.serialize(&mut serializer).is_err() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let text = "{\n  \"a\": 1,\n  \"b\": x}";
        let at = text.find('x').unwrap();
        assert_eq!(line_column(text.as_bytes(), at), (3, 8));
        assert_eq!(offset_of(text, 3, 8), at);
        assert_eq!(offset_of(text, 1, 1), 0);
    }

    #[test]
    fn dates_get_their_escapes_other_strings_do_not() {
        assert_eq!(
            to_vec(&["/Date(0)/", "a/b", ""]),
            br#"["\/Date(0)\/","a/b",""]"#
        );
        assert_eq!(to_vec("a\"b\\c\n\u{1}"), br#""a\"b\\c\n\u0001""#);
    }
}
