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
//! A member that may be one object or an array of them asks for a struct named
//! [`ONE_OR_MANY`]: only it may be given an array.
//!
//! **Writing.** serde_json with a [`Formatter`] that writes `/` as `\/` in strings that begin
//! with `/Date(`, the escapes ServiceStack writes for dates (JSON reads `\/` as `/`, so no value
//! changes). Member order and left-out `None` members come from the DTOs' derives.

use core::fmt;

use paysecure_proto::serde_support::ONE_OR_MANY;
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
    /// A struct repeats one of its members: [`from_str`] decodes the body again, buffered, so
    /// that the last one wins; never returned by [`from_str`].
    Repeated,
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
///
/// One pass of serde_json through [`Adapter`]; a body that repeats a declared member is decoded
/// again by [`from_str_buffered`], the only way to let the last one win (see there).
pub(crate) fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, Failure> {
    let slot = Slot::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let result = T::deserialize(Adapter {
        de: &mut de,
        slot: &slot,
    })
    .and_then(|value| de.end().map(|()| value).map_err(Fail::Inner));
    match result {
        Ok(value) => Ok(value),
        Err(fail) => match resolve(text, &slot, fail) {
            Failure::Repeated => from_str_buffered(text),
            failure => Err(failure),
        },
    }
}

/// The failure behind `fail`, with serde_json's position where the failure has none.
fn resolve(text: &str, slot: &Slot, fail: Fail<serde_json::Error>) -> Failure {
    let at = |e: &serde_json::Error| offset_of(text, e.line(), e.column());
    match fail {
        Fail::Typed(Failure::Type { at: None }) => Failure::Type { at: Some(0) },
        Fail::Typed(failure) => failure,
        Fail::Inner(e) => match slot.take() {
            Some(Failure::Type { at: None }) => Failure::Type { at: Some(at(&e)) },
            Some(failure) => failure,
            None => Failure::Json {
                category: e.classify(),
                at: at(&e),
            },
        },
    }
}

/// Decodes `text` by slices: every struct's members are first collected as raw text, so that
/// the last of a repeated member can win; each value is then parsed again.
///
/// Kept only for bodies that repeat a declared member (ServiceStack never writes one): on the
/// CreateKey answer this path costs about three times the single pass of [`from_str`] (several
/// walks of the text, a `String` per member name), which is why it is not the default.
fn from_str_buffered<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, Failure> {
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
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Failure> {
        if name == ONE_OR_MANY && self.text.starts_with('[') {
            return self.deserialize_seq(visitor);
        }
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

// ---------------------------------------------------------------------------------------------
// The single pass: serde_json's deserializer behind an adapter that applies ServiceStack's rules.
// ---------------------------------------------------------------------------------------------

/// Where a [`Failure`] waits while it crosses serde_json, whose error type cannot carry it:
/// the failure is put here and serde_json gets a message-less error (which it gives a position).
type Slot = core::cell::Cell<Option<Failure>>;

/// The error of the adapter's layers: serde_json's own, or one of ours not yet through it.
#[derive(Debug)]
enum Fail<E> {
    Inner(E),
    Typed(Failure),
}

impl<E> fmt::Display for Fail<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the body does not decode into the DTO")
    }
}

impl<E: fmt::Debug> std::error::Error for Fail<E> {}

impl<E: de::Error> de::Error for Fail<E> {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::Typed(<Failure as de::Error>::custom(message))
    }

    fn invalid_length(len: usize, expected: &dyn de::Expected) -> Self {
        Self::Typed(<Failure as de::Error>::invalid_length(len, expected))
    }

    fn missing_field(field: &'static str) -> Self {
        Self::Typed(Failure::Missing(field))
    }

    fn duplicate_field(_field: &'static str) -> Self {
        Self::Typed(Failure::Repeated)
    }
}

/// `fail` as the error of the serde_json layer below.
fn tunnel<E: de::Error>(slot: &Slot, fail: Fail<E>) -> E {
    match fail {
        Fail::Inner(e) => e,
        Fail::Typed(failure) => {
            slot.set(Some(failure));
            E::custom("")
        }
    }
}

/// A deserializer of the serde_json layer, with ServiceStack's rules on top.
struct Adapter<'s, D> {
    de: D,
    slot: &'s Slot,
}

/// A visitor of the DTO, handed serde_json's values through the adapter.
struct Wrap<'s, V> {
    visitor: V,
    slot: &'s Slot,
}

macro_rules! forward_leaves {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            let slot = self.slot;
            self.de.$method(Wrap { visitor, slot }).map_err(Fail::Inner)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Adapter<'_, D> {
    type Error = Fail<D::Error>;

    forward_leaves! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let slot = self.slot;
        (self.de)
            .deserialize_unit_struct(name, Wrap { visitor, slot })
            .map_err(Fail::Inner)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let slot = self.slot;
        (self.de)
            .deserialize_tuple(len, Wrap { visitor, slot })
            .map_err(Fail::Inner)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let slot = self.slot;
        (self.de)
            .deserialize_tuple_struct(name, len, Wrap { visitor, slot })
            .map_err(Fail::Inner)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let slot = self.slot;
        (self.de)
            .deserialize_enum(name, variants, Wrap { visitor, slot })
            .map_err(Fail::Inner)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let slot = self.slot;
        let visitor = StructVisitor {
            visitor,
            fields,
            slot,
        };
        if name == ONE_OR_MANY {
            // One object or an array of them (the visitor then sees the array).
            return self.de.deserialize_any(visitor).map_err(Fail::Inner);
        }
        (self.de).deserialize_map(visitor).map_err(Fail::Inner)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let slot = self.slot;
        let checked = TextCheck {
            visitor,
            slot,
            name,
        };
        if name == WcfDate::NEWTYPE_NAME || name == CardExpiration::NEWTYPE_NAME {
            self.de.deserialize_any(checked).map_err(Fail::Inner)
        } else {
            (self.de)
                .deserialize_newtype_struct(name, checked.into_wrap())
                .map_err(Fail::Inner)
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        // serde_json's own skipping ignores its nesting limit: walk the value instead.
        self.de
            .deserialize_any(CheckedVisitor)
            .map_err(Fail::Inner)?;
        visitor.visit_unit()
    }
}

macro_rules! forward_visits {
    ($($method:ident($ty:ty))*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            let slot = self.slot;
            self.visitor.$method(v).map_err(|f| tunnel(slot, f))
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    forward_visits! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
        visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
        visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str)
        visit_borrowed_str(&'de str) visit_string(String) visit_bytes(&[u8])
        visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        let slot = self.slot;
        self.visitor
            .visit_none()
            .map_err(|f: Fail<E>| tunnel(slot, f))
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        let slot = self.slot;
        self.visitor
            .visit_unit()
            .map_err(|f: Fail<E>| tunnel(slot, f))
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        let slot = self.slot;
        (self.visitor)
            .visit_some(Adapter { de, slot })
            .map_err(|f| tunnel(slot, f))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        let slot = self.slot;
        (self.visitor)
            .visit_newtype_struct(Adapter { de, slot })
            .map_err(|f| tunnel(slot, f))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let slot = self.slot;
        (self.visitor)
            .visit_seq(Elements { seq, slot })
            .map_err(|f| tunnel(slot, f))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let slot = self.slot;
        (self.visitor)
            .visit_map(PlainEntries { map, slot })
            .map_err(|f| tunnel(slot, f))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<V::Value, A::Error> {
        // No DTO is an enum: refused as a type error, like any other unexpected shape.
        Err(de::Error::custom(""))
    }
}

/// A seed of the DTO, given the adapter.
struct Seed<'s, S> {
    seed: S,
    slot: &'s Slot,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        let slot = self.slot;
        (self.seed)
            .deserialize(Adapter { de, slot })
            .map_err(|f| tunnel(slot, f))
    }
}

/// An array's entries, `null` entries left out.
struct Elements<'s, A> {
    seq: A,
    slot: &'s Slot,
}

/// An array entry: its value, or the seed back for a `null` one.
enum Element<T, S> {
    Value(T),
    Null(S),
}

struct ElementSeed<'s, S> {
    seed: S,
    slot: &'s Slot,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for ElementSeed<'_, S> {
    type Value = Element<S::Value, S>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for ElementSeed<'_, S> {
    type Value = Element<S::Value, S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array entry")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Element::Null(self.seed))
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        let slot = self.slot;
        (self.seed)
            .deserialize(Adapter { de, slot })
            .map(Element::Value)
            .map_err(|f| tunnel(slot, f))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Elements<'_, A> {
    type Error = Fail<A::Error>;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        mut seed: S,
    ) -> Result<Option<S::Value>, Self::Error> {
        loop {
            let slot = self.slot;
            match (self.seq)
                .next_element_seed(ElementSeed { seed, slot })
                .map_err(Fail::Inner)?
            {
                None => return Ok(None),
                Some(Element::Value(value)) => return Ok(Some(value)),
                Some(Element::Null(back)) => seed = back,
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// The members of an object asked for as a map: names and values as they are.
struct PlainEntries<'s, A> {
    map: A,
    slot: &'s Slot,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for PlainEntries<'_, A> {
    type Error = Fail<A::Error>;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let slot = self.slot;
        (self.map)
            .next_key_seed(Seed { seed, slot })
            .map_err(Fail::Inner)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        let slot = self.slot;
        (self.map)
            .next_value_seed(Seed { seed, slot })
            .map_err(Fail::Inner)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A struct asked for by the DTO, read from a JSON object.
struct StructVisitor<'s, V> {
    visitor: V,
    fields: &'static [&'static str],
    slot: &'s Slot,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for StructVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let slot = self.slot;
        (self.visitor)
            .visit_map(StructMembers {
                map,
                fields: self.fields,
                seen: 0,
                field: "",
                slot,
            })
            .map_err(|f| tunnel(slot, f))
    }

    /// Only asked for by a [`ONE_OR_MANY`] member: its entries, `null` ones left out.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let slot = self.slot;
        (self.visitor)
            .visit_seq(Elements { seq, slot })
            .map_err(|f| tunnel(slot, f))
    }
}

/// A struct's members, matched to its declared names.
struct StructMembers<'s, A> {
    map: A,
    fields: &'static [&'static str],
    /// The declared members met so far (by index; the first 128).
    seen: u128,
    /// The declared name of the member whose value comes next.
    field: &'static str,
    slot: &'s Slot,
}

/// A member name: the index of the declared member it matches, ignoring ASCII case.
struct FieldSeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Option<usize>, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|f| f.eq_ignore_ascii_case(name)))
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StructMembers<'_, A> {
    type Error = Fail<A::Error>;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        loop {
            match (self.map)
                .next_key_seed(FieldSeed(self.fields))
                .map_err(Fail::Inner)?
            {
                None => return Ok(None),
                // Unknown: walked (for syntax and nesting) without a value being built.
                Some(None) => {
                    self.map.next_value::<Checked>().map_err(Fail::Inner)?;
                }
                Some(Some(index)) => {
                    let bit = 1u128.checked_shl(u32::try_from(index).unwrap_or(u32::MAX));
                    if let Some(bit) = bit {
                        if self.seen & bit != 0 {
                            return Err(Fail::Typed(Failure::Repeated));
                        }
                        self.seen |= bit;
                    }
                    self.field = self.fields[index];
                    return seed
                        .deserialize(de::value::BorrowedStrDeserializer::new(self.field))
                        .map(Some);
                }
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        let (slot, field) = (self.slot, self.field);
        (self.map)
            .next_value_seed(MemberSeed { seed, field, slot })
            .map_err(|e| {
                // An empty required string is the member missing.
                match slot.take() {
                    Some(Failure::Empty) => slot.set(Some(Failure::Missing(field))),
                    other => slot.set(other),
                }
                Fail::Inner(e)
            })
    }
}

/// A member's value; `null` is the member absent.
struct MemberSeed<'s, S> {
    seed: S,
    field: &'static str,
    slot: &'s Slot,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for MemberSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        de.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for MemberSeed<'_, S> {
    type Value = S::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member value")
    }

    fn visit_none<E: de::Error>(self) -> Result<S::Value, E> {
        let slot = self.slot;
        (self.seed)
            .deserialize(Absent {
                field: self.field,
                error: core::marker::PhantomData,
            })
            .map_err(|f| tunnel(slot, f))
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        let slot = self.slot;
        (self.seed)
            .deserialize(Adapter { de, slot })
            .map_err(|f| tunnel(slot, f))
    }
}

/// A `null` member, answering as a member that is not there: `None` for an `Option`, empty
/// for a sequence (the `#[serde(default)]` of `Errors`), `missing_field` for anything else.
struct Absent<E> {
    field: &'static str,
    error: core::marker::PhantomData<E>,
}

impl<'de, E: de::Error> Deserializer<'de> for Absent<E> {
    type Error = Fail<E>;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(Fail::Typed(Failure::Missing(self.field)))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_none()
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_seq(de::value::SeqDeserializer::new(core::iter::empty::<()>()))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct tuple tuple_struct map struct enum
        identifier
    }
}

/// A date or an expiration: the text checked by its parser, so that a bad value keeps its
/// typed error.
struct TextCheck<'s, V> {
    visitor: V,
    slot: &'s Slot,
    name: &'static str,
}

impl<'s, V> TextCheck<'s, V> {
    fn into_wrap(self) -> Wrap<'s, V> {
        Wrap {
            visitor: self.visitor,
            slot: self.slot,
        }
    }

    /// A date given as a JSON number or literal: refused, quoting its JSON text.
    fn not_text<E: de::Error, T>(self, text: &str) -> Result<T, E> {
        let failure = if self.name == WcfDate::NEWTYPE_NAME {
            date_failure(text, WcfDate::parse(text).err())
        } else {
            Failure::Type { at: None }
        };
        Err(tunnel(self.slot, Fail::Typed(failure)))
    }
}

/// The failure of a date whose text is `text`.
fn date_failure(text: &str, source: Option<paysecure_proto::Error>) -> Failure {
    let source = source.unwrap_or(paysecure_proto::Error::InvalidDate {
        value: String::new(),
        reason: "not a WCF date",
    });
    let value = match &source {
        paysecure_proto::Error::InvalidDate { value, .. } => value.clone(),
        _ => text.to_owned(),
    };
    Failure::Date { value, source }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TextCheck<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<V::Value, E> {
        let slot = self.slot;
        let failure = if self.name == WcfDate::NEWTYPE_NAME {
            WcfDate::parse(text)
                .err()
                .map(|source| date_failure(text, Some(source)))
        } else {
            CardExpiration::parse(text).err().map(Failure::Invalid)
        };
        if let Some(failure) = failure {
            return Err(tunnel(slot, Fail::Typed(failure)));
        }
        (self.visitor)
            .visit_newtype_struct(text.into_deserializer())
            .map_err(|f: Fail<E>| tunnel(slot, f))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.not_text(if v { "true" } else { "false" })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.not_text(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.not_text(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        let text = serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string());
        self.not_text(&text)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.not_text("null")
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
