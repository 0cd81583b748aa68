//! The Glue table's column types (template.yaml, `LogTable`), so that a redaction path can be
//! checked at cold start: `"[redacted]"` is a string, and where the table declares a struct, an
//! array, a map or a non-string scalar, Athena cannot read it and a query over that data fails
//! as a whole. A unit test reads template.yaml and fails if this copy drifts from it.
//!
//! Types are Hive DDL as Glue stores them (see "Data types in Amazon Athena" in the Athena User
//! Guide): `struct<name:type,…>`, `array<type>`, `map<key,value>`, and primitives.

use std::collections::BTreeMap;

/// The table's only column besides the partitions `event` and `dt` (which come from the key).
pub const PAYLOAD_COLUMN: &str = "payload";
/// Its type, exactly as in template.yaml.
pub const PAYLOAD_TYPE: &str = "struct<log_id:string,assistant_id:string,session_id:string,skill_id:string,snapshot:string,request_timestamp:string,response_timestamp:string,language:string,customer_id:string,workspace_id:string,request:struct<input:struct<text:string,message_type:string>,context:struct<skills:map<string,struct<user_defined:map<string,string>,skill_variables:map<string,string>>>>,user_id:string>,response:struct<output:struct<generic:string,intents:array<struct<intent:string,confidence:double>>>,context:struct<skills:map<string,struct<user_defined:map<string,string>,skill_variables:map<string,string>>>>,user_id:string>,global_session_id:string,primary_phone_number:string,failure_occurred:boolean,transfer_occurred:boolean,call:struct<start_timestamp:string,stop_timestamp:string,milliseconds_elapsed:bigint,outbound:boolean,end_reason:string>>";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    Struct(BTreeMap<String, ColumnType>),
    Array(Box<ColumnType>),
    Map(Box<ColumnType>),
    /// `string`, `bigint`, `boolean`, …
    Primitive(String),
}

impl ColumnType {
    /// Parses a Hive type; `None` if it is not one.
    pub fn parse(text: &str) -> Option<ColumnType> {
        let (parsed, rest) = parse_type(text.trim())?;
        rest.is_empty().then_some(parsed)
    }

    /// How the type is named in a message: `struct`, `array`, `map`, or the primitive.
    pub fn kind(&self) -> &str {
        match self {
            ColumnType::Struct(_) => "struct",
            ColumnType::Array(_) => "array",
            ColumnType::Map(_) => "map",
            ColumnType::Primitive(name) => name,
        }
    }
}

fn parse_type(text: &str) -> Option<(ColumnType, &str)> {
    if let Some(rest) = text.strip_prefix("struct<") {
        let mut fields = BTreeMap::new();
        let mut rest = rest;
        loop {
            let colon = rest.find(':')?;
            let name = rest[..colon].trim().to_ascii_lowercase();
            let (field, after) = parse_type(&rest[colon + 1..])?;
            fields.insert(name, field);
            match after.as_bytes().first()? {
                b',' => rest = &after[1..],
                b'>' => return Some((ColumnType::Struct(fields), &after[1..])),
                _ => return None,
            }
        }
    }
    if let Some(rest) = text.strip_prefix("array<") {
        let (item, after) = parse_type(rest)?;
        return Some((ColumnType::Array(Box::new(item)), after.strip_prefix('>')?));
    }
    if let Some(rest) = text.strip_prefix("map<") {
        let (_key, after) = parse_type(rest)?;
        let (value, after) = parse_type(after.strip_prefix(',')?)?;
        return Some((ColumnType::Map(Box::new(value)), after.strip_prefix('>')?));
    }
    let end = text.find([',', '>']).unwrap_or(text.len());
    let name = text[..end].trim();
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then(|| (ColumnType::Primitive(name.to_ascii_lowercase()), &text[end..]))
}

/// A JSON key as the table's SerDe compares it: the OpenX JSON SerDe matches keys to columns
/// ignoring case (its `case.insensitive` default), so `Text`, `TEXT` and `text` are one column.
/// Each character is upper-cased, then lower-cased, with Unicode's full mappings, which covers
/// both Java's `toLowerCase` and `equalsIgnoreCase` (the Kelvin sign folds to `k`, `ſ` to `s`).
/// Declared column names are ASCII lower case, so they fold to themselves.
pub fn fold(key: &str) -> String {
    key.chars().flat_map(char::to_uppercase).flat_map(char::to_lowercase).collect()
}

/// The columns of the table, by name.
pub fn columns() -> BTreeMap<String, ColumnType> {
    let payload = ColumnType::parse(PAYLOAD_TYPE).expect("PAYLOAD_TYPE is a Hive type");
    BTreeMap::from([(PAYLOAD_COLUMN.to_owned(), payload)])
}

/// The declared types a dotted path lands on, walking as redaction does (arrays are walked
/// through, `*` matches every member). Parts of a path the table does not declare, or inside a
/// `string` column (which holds nested JSON as text), land on nothing.
pub fn types_at(segments: &[String]) -> Vec<ColumnType> {
    let mut found = Vec::new();
    let root = ColumnType::Struct(columns());
    walk(&root, segments, &mut found);
    found
}

fn walk(declared: &ColumnType, segments: &[String], found: &mut Vec<ColumnType>) {
    let Some((first, rest)) = segments.split_first() else {
        found.push(declared.clone());
        return;
    };
    match declared {
        ColumnType::Array(item) => walk(item, segments, found),
        ColumnType::Map(value) => walk(value, rest, found),
        ColumnType::Struct(fields) if first == "*" => fields.values().for_each(|field| walk(field, rest, found)),
        // The OpenX SerDe matches JSON keys to columns case-insensitively.
        ColumnType::Struct(fields) => {
            if let Some(field) = fields.get(&fold(first)) {
                walk(field, rest, found)
            }
        }
        ColumnType::Primitive(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: &str) -> Vec<String> {
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        types_at(&segments).iter().map(|t| t.kind().to_owned()).collect()
    }

    #[test]
    fn paths_land_on_the_declared_types() {
        assert_eq!(at("payload.request.input.text"), ["string"]);
        assert_eq!(at("payload.request.input"), ["struct"]);
        assert_eq!(at("payload.response.output.intents"), ["array"]);
        assert_eq!(at("payload.response.output.intents.confidence"), ["double"]);
        assert_eq!(at("payload.response.output.generic"), ["string"]);
        assert_eq!(at("payload.response.output.generic.text"), Vec::<String>::new(), "inside JSON text");
        assert_eq!(at("payload.request.context.skills.*.user_defined.original_input"), ["string"]);
        assert_eq!(at("payload.request.context.skills.*.user_defined"), ["map"]);
        assert_eq!(at("payload.call.outbound"), ["boolean"]);
        assert_eq!(at("payload.brand_new.member"), Vec::<String>::new());
        assert_eq!(at("event.name"), Vec::<String>::new());
        assert_eq!(at("payload.call.*").len(), 5);
    }

    /// template.yaml's `LogTable` declares exactly the columns this module knows, with the same type.
    #[test]
    fn the_types_match_template_yaml() {
        let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))
            .expect("template.yaml at the workspace root");
        let table = &template[template.find("\n  LogTable:\n").expect("a LogTable resource")..];
        let table = &table[..table[1..].find("\n  LogWorkGroup:").map_or(table.len(), |end| end + 1)];
        let listed = &table[table.find("Columns:").expect("the table's Columns")..];
        let mut declared = Vec::new();
        let mut lines = listed.lines().skip(1);
        while let Some(line) = lines.next() {
            let Some(name) = line.trim().strip_prefix("- Name: ") else { continue };
            let type_line = lines.next().expect("a Type after each Name").trim();
            let text = match type_line.strip_prefix("Type:").map(str::trim) {
                Some(">-") => lines.next().expect("the folded type").trim().to_owned(),
                Some(text) => text.to_owned(),
                None => panic!("no Type for column {name}"),
            };
            declared.push((name.trim().to_owned(), text));
        }
        assert_eq!(declared, [(PAYLOAD_COLUMN.to_owned(), PAYLOAD_TYPE.to_owned())], "update table.rs");
        assert_eq!(
            columns().into_iter().collect::<Vec<_>>(),
            [(PAYLOAD_COLUMN.to_owned(), ColumnType::parse(&declared[0].1).unwrap())]
        );
    }

    #[test]
    fn keys_fold_as_the_serde_compares_them() {
        for variant in ["text", "Text", "TEXT", "tExT"] {
            assert_eq!(fold(variant), "text");
        }
        assert_eq!(fold("s\u{212A}ills"), "skills", "the Kelvin sign");
        assert_eq!(fold("\u{17F}kills"), "skills", "the long s");
        assert_eq!(fold("original_input"), "original_input");
        assert_ne!(fold("texts"), "text");
    }

    #[test]
    fn hive_types_parse() {
        assert_eq!(ColumnType::parse("string"), Some(ColumnType::Primitive("string".into())));
        assert!(matches!(
            ColumnType::parse("array<struct<a:string,b:map<string,bigint>>>"),
            Some(ColumnType::Array(_))
        ));
        for bad in ["", "struct<a:string", "array<>", "struct<a string>", "map<string>"] {
            assert_eq!(ColumnType::parse(bad), None, "{bad:?}");
        }
    }
}
