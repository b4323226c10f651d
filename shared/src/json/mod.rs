//! A small JSON reader and writer for the widget.
//!
//! The server speaks JSON through serde (the derives on the wire types are the
//! format). In the browser, serde_json's code generated per type was a quarter of
//! the widget's wasm; this module reads into one [`Json`] tree and writes through
//! one [`JsonWriter`], and the wire types the widget uses implement [`FromJson`]
//! and [`ToJson`] by hand ([`wire`]). Tests hold both to the same format: every
//! value read or written here equals serde_json's reading or writing of it.
//!
//! No floating-point formatting or parsing is linked in (integers are read and
//! written exactly; the few fractions a newer server might send are read
//! approximately and never written).

mod time;
mod wire;

pub use time::{read_timestamp, write_timestamp};

/// A parsed JSON value. Objects keep their members in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number without fraction or exponent that fits an `i64`, exactly.
    Int(i64),
    /// Any other number, approximately.
    Float(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Why a JSON text or value could not be read: a sentence for a console line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError(pub String);

impl JsonError {
    fn at(what: &str, field: &str) -> JsonError {
        let mut s = String::with_capacity(what.len() + field.len() + 2);
        s.push_str(field);
        s.push_str(": ");
        s.push_str(what);
        JsonError(s)
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How deep arrays and objects may nest: text from storage could be anything.
const MAX_DEPTH: usize = 64;

impl Json {
    /// Parses a whole JSON text (RFC 8259).
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut p = Parser {
            text,
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value(0)?;
        p.ws();
        if p.i != p.s.len() {
            return Err(p.error("text after the JSON value"));
        }
        Ok(v)
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// A required member, read as `T`; errors name the field.
    pub fn field<T: FromJson>(&self, key: &str) -> Result<T, JsonError> {
        match self.get(key) {
            Some(v) => T::from_json(v).map_err(|e| JsonError::at(&e.0, key)),
            None if matches!(self, Json::Object(_)) => Err(JsonError::at("missing", key)),
            None => Err(JsonError("not an object".into())),
        }
    }

    /// An optional member: absent or `null` is `None`.
    pub fn optional<T: FromJson>(&self, key: &str) -> Result<Option<T>, JsonError> {
        match self.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => T::from_json(v)
                .map(Some)
                .map_err(|e| JsonError::at(&e.0, key)),
        }
    }

    /// A member with a default when absent (serde's `#[serde(default)]`).
    pub fn or_default<T: FromJson + Default>(&self, key: &str) -> Result<T, JsonError> {
        Ok(self.optional(key)?.unwrap_or_default())
    }
}

struct Parser<'a> {
    text: &'a str,
    /// `text`'s bytes.
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> JsonError {
        let mut s = String::from("not JSON: ");
        s.push_str(what);
        s.push_str(" at byte ");
        write_u64(&mut s, self.i as u64);
        JsonError(s)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(Json::Object(members));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return Err(self.error("expected a member name"));
                    }
                    let key = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return Err(self.error("expected ':'"));
                    }
                    let v = self.value(depth + 1)?;
                    members.push((key, v));
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("}") {
                        return Ok(Json::Object(members));
                    }
                    return Err(self.error("expected ',' or '}'"));
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("]") {
                        return Ok(Json::Array(items));
                    }
                    return Err(self.error("expected ',' or ']'"));
                }
            }
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.eat("true") => Ok(Json::Bool(true)),
            _ if self.eat("false") => Ok(Json::Bool(false)),
            _ if self.eat("null") => Ok(Json::Null),
            _ => Err(self.error("expected a value")),
        }
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let negative = self.eat("-");
        fn digits<'a>(p: &mut Parser<'a>) -> &'a [u8] {
            let start = p.i;
            while let Some(b'0'..=b'9') = p.s.get(p.i) {
                p.i += 1;
            }
            &p.s[start..p.i]
        }
        let int = digits(self);
        if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
            return Err(self.error("a malformed number"));
        }
        let mut fraction: &[u8] = &[];
        if self.eat(".") {
            fraction = digits(self);
            if fraction.is_empty() {
                return Err(self.error("a malformed number"));
            }
        }
        let mut exponent = 0i32;
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            self.i += 1;
            let minus = self.eat("-");
            if !minus {
                self.eat("+");
            }
            let e = digits(self);
            if e.is_empty() {
                return Err(self.error("a malformed number"));
            }
            for &d in e.iter().take(6) {
                exponent = exponent * 10 + i32::from(d - b'0');
            }
            if minus {
                exponent = -exponent;
            }
        }
        if fraction.is_empty() && exponent == 0 {
            let n = int.iter().try_fold(0u64, |n, &d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            });
            match n {
                Some(n) if !negative && n <= i64::MAX as u64 => return Ok(Json::Int(n as i64)),
                // -0 is a float to serde_json; so it is here.
                Some(n) if negative && n != 0 && n <= 1 << 63 => {
                    return Ok(Json::Int((n as i64).wrapping_neg()));
                }
                _ => {}
            }
        }
        // Approximate: such numbers are only ever skipped or compared roughly.
        let mut x = 0f64;
        for &d in int.iter().chain(fraction) {
            x = x * 10.0 + f64::from(d - b'0');
        }
        let scale = exponent - fraction.len() as i32;
        x *= 10f64.powi(scale);
        Ok(Json::Float(if negative { -x } else { x }))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n = 0u32;
        for _ in 0..4 {
            let Some(d) = self.s.get(self.i).and_then(|c| hex_digit(*c)) else {
                return Err(self.error("a malformed \\u escape"));
            };
            n = n * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // the opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&c) = self.s.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // Both ends are at ASCII bytes (or the end): character boundaries.
            out.push_str(&self.text[start..self.i]);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.s.get(self.i).copied();
                    self.i += 1;
                    out.push(match c {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let mut code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code) && self.eat("\\u") {
                                let low = self.hex4()?;
                                if (0xDC00..0xE000).contains(&low) {
                                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                                }
                            }
                            // A lone surrogate cannot be a char: the replacement character.
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => return Err(self.error("a malformed escape")),
                    });
                }
                _ => return Err(self.error("an unterminated string")),
            }
        }
    }
}

/// Reads a value of a wire type from a [`Json`] tree.
pub trait FromJson: Sized {
    fn from_json(v: &Json) -> Result<Self, JsonError>;

    /// Parses a JSON text into `Self`.
    fn from_json_text(text: &str) -> Result<Self, JsonError> {
        Self::from_json(&Json::parse(text)?)
    }
}

/// Writes a value of a wire type as JSON, exactly as serde_json would.
pub trait ToJson {
    fn write_json(&self, w: &mut JsonWriter);

    fn to_json(&self) -> String {
        let mut w = JsonWriter::default();
        self.write_json(&mut w);
        w.out
    }
}

/// Builds JSON text: objects member by member, in the order serde's derives use.
#[derive(Default)]
pub struct JsonWriter {
    out: String,
    /// Whether the open object or array still has no member (no comma yet).
    first: bool,
}

impl JsonWriter {
    pub fn into_string(self) -> String {
        self.out
    }

    pub fn begin_object(&mut self) {
        self.out.push('{');
        self.first = true;
    }

    pub fn end_object(&mut self) {
        self.out.push('}');
        self.first = false;
    }

    /// Writes `"key":` (after a comma if needed); the value must follow.
    pub fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_string(&mut self.out, key);
        self.out.push(':');
    }

    /// A member `key: value`.
    pub fn member<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) {
        self.key(key);
        value.write_json(self);
        self.first = false;
    }

    /// A member written only when `value` is `Some` (`skip_serializing_if = "Option::is_none"`).
    pub fn member_if<T: ToJson>(&mut self, key: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.member(key, v);
        }
    }

    pub fn string(&mut self, s: &str) {
        write_string(&mut self.out, s);
    }

    pub fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    pub fn array<T: ToJson>(&mut self, items: &[T]) {
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            item.write_json(self);
        }
        self.out.push(']');
        self.first = false;
    }
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `n` in decimal, without the formatting machinery.
pub fn write_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[i..].iter().map(|&d| char::from(d)));
}

/// The value of a hexadecimal digit, either case.
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Where the hyphenated form of a UUID has its hyphens.
const UUID_HYPHENS: [usize; 4] = [8, 13, 18, 23];

/// A UUID as text, hyphenated and lowercase (`67e55044-10b1-426f-9247-bb680e5fe0c8`,
/// as serde writes it). Written here, not by the uuid crate: its formatter and
/// parser cost the widget's download a kilobyte (README, "Where the widget's
/// bytes go").
pub fn uuid_text(id: &uuid::Uuid) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for b in id.as_bytes() {
        if UUID_HYPHENS.contains(&(s.len())) {
            s.push('-');
        }
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// Reads the hyphenated form (either case): the one the API and the widget's
/// queue write. (The braced, URN and simple forms serde would also read never
/// reach the widget.)
pub fn parse_uuid(s: &str) -> Option<uuid::Uuid> {
    let s = s.as_bytes();
    if s.len() != 36 || UUID_HYPHENS.iter().any(|&i| s[i] != b'-') {
        return None;
    }
    let mut digits = s.iter().filter(|&&c| c != b'-').map(|&c| hex_digit(c));
    let mut bytes = [0u8; 16];
    for b in &mut bytes {
        *b = digits.next()?? << 4 | digits.next()??;
    }
    Some(uuid::Uuid::from_bytes(bytes))
}

/// `n` in decimal (see [`write_u64`]).
pub fn u64_text(n: u64) -> String {
    let mut s = String::new();
    write_u64(&mut s, n);
    s
}

// ---- the primitive types ----

impl FromJson for String {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| JsonError("not a string".into()))
    }
}

impl ToJson for str {
    fn write_json(&self, w: &mut JsonWriter) {
        w.string(self);
    }
}

impl ToJson for String {
    fn write_json(&self, w: &mut JsonWriter) {
        w.string(self);
    }
}

impl FromJson for bool {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        match v {
            Json::Bool(b) => Ok(*b),
            _ => Err(JsonError("not true or false".into())),
        }
    }
}

impl ToJson for bool {
    fn write_json(&self, w: &mut JsonWriter) {
        w.raw(if *self { "true" } else { "false" });
    }
}

impl FromJson for u64 {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        match v {
            Json::Int(n) if *n >= 0 => Ok(*n as u64),
            _ => Err(JsonError("not a whole number of 0 or more".into())),
        }
    }
}

impl ToJson for u64 {
    fn write_json(&self, w: &mut JsonWriter) {
        write_u64(&mut w.out, *self);
    }
}

/// Unsigned integers narrower than `u64`, range-checked.
macro_rules! narrow_unsigned {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_json(v: &Json) -> Result<Self, JsonError> {
                <$t>::try_from(u64::from_json(v)?).map_err(|_| JsonError("out of range".into()))
            }
        }
        impl ToJson for $t {
            fn write_json(&self, w: &mut JsonWriter) {
                write_u64(&mut w.out, u64::from(*self));
            }
        }
    )*};
}
narrow_unsigned!(u8, u32);

impl FromJson for i64 {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        match v {
            Json::Int(n) => Ok(*n),
            _ => Err(JsonError("not a whole number".into())),
        }
    }
}

impl ToJson for i64 {
    fn write_json(&self, w: &mut JsonWriter) {
        if *self < 0 {
            w.out.push('-');
        }
        write_u64(&mut w.out, self.unsigned_abs());
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        v.as_array()
            .ok_or_else(|| JsonError("not an array".into()))?
            .iter()
            .map(T::from_json)
            .collect()
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, w: &mut JsonWriter) {
        w.array(self);
    }
}

impl<T: FromJson> FromJson for std::collections::BTreeMap<String, T> {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        // Inserted one by one: collecting would link a sort (kilobytes of wasm).
        let mut map = std::collections::BTreeMap::new();
        for (k, v) in v
            .as_object()
            .ok_or_else(|| JsonError("not an object".into()))?
        {
            map.insert(
                k.clone(),
                T::from_json(v).map_err(|e| JsonError::at(&e.0, k))?,
            );
        }
        Ok(map)
    }
}

impl<T: ToJson> ToJson for std::collections::BTreeMap<String, T> {
    fn write_json(&self, w: &mut JsonWriter) {
        w.begin_object();
        for (k, v) in self {
            w.member(k, v);
        }
        w.end_object();
    }
}

impl FromJson for uuid::Uuid {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        v.as_str()
            .and_then(parse_uuid)
            .ok_or_else(|| JsonError("not a UUID".into()))
    }
}

impl ToJson for uuid::Uuid {
    fn write_json(&self, w: &mut JsonWriter) {
        w.string(&uuid_text(self));
    }
}

impl FromJson for Json {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        Ok(v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_json's reading of a text, as a [`Json`], for comparison.
    fn serde_tree(text: &str) -> Json {
        fn convert(v: serde_json::Value) -> Json {
            match v {
                serde_json::Value::Null => Json::Null,
                serde_json::Value::Bool(b) => Json::Bool(b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Json::Int(i),
                    None => Json::Float(n.as_f64().unwrap()),
                },
                serde_json::Value::String(s) => Json::String(s),
                serde_json::Value::Array(a) => Json::Array(a.into_iter().map(convert).collect()),
                serde_json::Value::Object(m) => {
                    Json::Object(m.into_iter().map(|(k, v)| (k, convert(v))).collect())
                }
            }
        }
        convert(serde_json::from_str(text).unwrap())
    }

    #[test]
    fn uuids_read_and_write_as_serde_does() {
        for id in [
            uuid::Uuid::nil(),
            uuid::Uuid::max(),
            uuid::Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8),
            uuid::Uuid::new_v4(),
        ] {
            let serde = serde_json::to_string(&id).unwrap();
            assert_eq!(id.to_json(), serde);
            assert_eq!(uuid_text(&id), id.to_string());
            assert_eq!(uuid::Uuid::from_json_text(&serde).unwrap(), id);
            assert_eq!(parse_uuid(&id.to_string().to_uppercase()), Some(id));
        }
        for bad in [
            "",
            "67e55044-10b1-426f-9247-bb680e5fe0c",
            "67e55044-10b1-426f-9247-bb680e5fe0c80",
            "67e55044010b1-426f-9247-bb680e5fe0c8",
            "67e55044-10b1-426f-9247-bb680e5fe0cg",
            "+7e55044-10b1-426f-9247-bb680e5fe0c8",
            "67e5504410b1426f9247bb680e5fe0c8",
            "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
            "67e55044-10b1-426f-9247-bb680e5fé0c",
        ] {
            assert_eq!(parse_uuid(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            r#"{"a":[1,-2,true,false,null,"x"],"b":{"c":"\u00e9\ud83d\ude00\n\"\\\/"}}"#,
            "  [ ]  ",
            "{}",
            "0",
            "-0",
            "9007199254740993",
            r#""tab\tand\u0001""#,
            "[[[[1]]]]",
        ] {
            let mine = Json::parse(text).unwrap();
            // serde_json's Map is sorted; compare member sets, not order.
            assert_eq!(sorted(mine), sorted(serde_tree(text)), "{text}");
        }
        match Json::parse("[1.5e3, -2.25, 1E2, 12345678901234567890]").unwrap() {
            Json::Array(v) => {
                assert_eq!(v[0], Json::Float(1500.0));
                assert_eq!(v[1], Json::Float(-2.25));
                assert_eq!(v[2], Json::Float(100.0));
                assert!(matches!(v[3], Json::Float(f) if (f - 1.2345678901234567e19).abs() < 1e5));
            }
            other => panic!("{other:?}"),
        }
    }

    fn sorted(v: Json) -> Json {
        match v {
            Json::Object(mut m) => {
                m.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(m.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Json::Array(a) => Json::Array(a.into_iter().map(sorted).collect()),
            v => v,
        }
    }

    #[test]
    fn refuses_what_is_not_json() {
        for text in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "-",
            "\"open",
            "\"\\x\"",
            "nul",
            "[1] x",
            "{'a':1}",
            "\"a\u{1}\"",
        ] {
            assert!(Json::parse(text).is_err(), "{text:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?}"
            );
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(Json::parse(&deep).unwrap_err().0.contains("deeply"));
    }

    #[test]
    fn writes_strings_and_numbers_as_serde_json_does() {
        for s in [
            "",
            "plain",
            "quote\" back\\ nl\n cr\r tab\t",
            "\u{1}\u{1f}\u{7f}",
            "é😀 \u{2028}",
        ] {
            assert_eq!(s.to_string().to_json(), serde_json::to_string(s).unwrap());
        }
        for n in [0u64, 7, 10, 1_000_000_000_000_000, u64::MAX] {
            assert_eq!(n.to_json(), serde_json::to_string(&n).unwrap());
        }
        for n in [i64::MIN, -1, 0, 42, i64::MAX] {
            assert_eq!(n.to_json(), serde_json::to_string(&n).unwrap());
            assert_eq!(i64::from_json_text(&n.to_json()).unwrap(), n);
        }
    }

    #[test]
    fn errors_name_the_field() {
        let v = Json::parse(r#"{"a":{"b":"x"}}"#).unwrap();
        let e = v.field::<Json>("a").unwrap().field::<u64>("b").unwrap_err();
        assert_eq!(e.0, "b: not a whole number of 0 or more");
        assert_eq!(v.field::<u64>("z").unwrap_err().0, "z: missing");
        assert_eq!(u8::from_json_text("300").unwrap_err().0, "out of range");
    }
}
