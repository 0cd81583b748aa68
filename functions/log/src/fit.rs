//! Whether a record fits the Athena table before it goes under the table's prefix. One row that
//! Athena cannot read fails every query over its partition, so a record that does not fit goes to
//! the quarantine instead (see `lib.rs`), with a metric and one log line:
//!
//! - `duplicate_keys`: an object holds two keys that differ only in case (`"text"` and `"Text"`).
//!   The OpenX JSON SerDe reads keys ignoring case, and refuses such a row ("Duplicate key").
//! - `wrong_type`: a value where the table declares another type: a struct or a map that is not an
//!   object, an array that is not an array, a `boolean` that is not `true`/`false`, a `bigint`
//!   that is not a whole number within 64 bits, a `double` that is not a number. A `string` column
//!   takes anything (the SerDe gives an object or array there as its JSON text), `null` fits
//!   everywhere, and members the table does not declare are not looked at.
//! - `bad_timestamp`: the event's timestamp is there but gives no date (see `key.rs`), so its
//!   `dt` would be one the function made up.
//! - `too_many_copies`: found by the store, not here (see `store::MAX_KEPT_BESIDE`).
//!
//! The check is strict where the SerDe may be lenient (a string `"12"` in a `bigint` column):
//! what IBM sends fits, and a record that might not is kept, outside the table.

use std::collections::HashSet;

use serde_json::Value;

use crate::table::{ColumnType, columns, fold};

/// Why a record went to the quarantine: the `reason=` segment of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    DuplicateKeys,
    WrongType,
    BadTimestamp,
    TooManyCopies,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::DuplicateKeys => "duplicate_keys",
            Reason::WrongType => "wrong_type",
            Reason::BadTimestamp => "bad_timestamp",
            Reason::TooManyCopies => "too_many_copies",
        }
    }
}

/// A record that does not fit, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    pub reason: Reason,
    /// The declared column, as the table names it (`payload.call.outbound`; `*` for a map's
    /// values), or the timestamp member: never a name the sender chose, so it can be logged.
    pub column: Option<String>,
}

/// `Ok` when Athena can read `record` as a row of the table; `bad_date` is the timestamp member
/// that gave no date, if any (`EventKey::bad_date`).
pub fn check(record: &Value, bad_date: Option<&'static str>) -> Result<(), Misfit> {
    if has_keys_equal_ignoring_case(record) {
        return Err(Misfit { reason: Reason::DuplicateKeys, column: None });
    }
    let mut path = Vec::new();
    if !fits(&ColumnType::Struct(columns()), record, &mut path) {
        return Err(Misfit { reason: Reason::WrongType, column: Some(path.join(".")) });
    }
    match bad_date {
        Some(member) => Err(Misfit { reason: Reason::BadTimestamp, column: Some(format!("payload.{member}")) }),
        None => Ok(()),
    }
}

/// Whether `value` fits `declared`. When it does not, `path` is left naming where.
fn fits(declared: &ColumnType, value: &Value, path: &mut Vec<String>) -> bool {
    match (declared, value) {
        (_, Value::Null) => true,
        (ColumnType::Struct(fields), Value::Object(members)) => members.iter().all(|(key, member)| {
            let name = fold(key);
            let Some(field) = fields.get(&name) else { return true };
            path.push(name);
            let fit = fits(field, member, path);
            if fit {
                path.pop();
            }
            fit
        }),
        (ColumnType::Map(values), Value::Object(members)) => {
            path.push("*".to_owned());
            let fit = members.values().all(|member| fits(values, member, path));
            if fit {
                path.pop();
            }
            fit
        }
        (ColumnType::Array(item), Value::Array(items)) => items.iter().all(|each| fits(item, each, path)),
        (ColumnType::Primitive(name), value) => primitive_fits(name, value),
        _ => false,
    }
}

fn primitive_fits(name: &str, value: &Value) -> bool {
    match name {
        "boolean" => value.is_boolean(),
        "bigint" => value.is_i64() || value.as_u64().is_some_and(|n| i64::try_from(n).is_ok()),
        "int" | "integer" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        "double" | "float" => value.is_number(),
        // `string` takes anything; a type this table does not use is not judged.
        _ => true,
    }
}

/// Whether any object in `value` has two keys that fold alike.
fn has_keys_equal_ignoring_case(value: &Value) -> bool {
    match value {
        Value::Object(members) => {
            let mut seen = HashSet::with_capacity(members.len());
            members.keys().any(|key| !seen.insert(fold(key))) || members.values().any(has_keys_equal_ignoring_case)
        }
        Value::Array(items) => items.iter().any(has_keys_equal_ignoring_case),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message() -> Value {
        serde_json::from_str(include_str!("../../../tests/data/constructed-log-message-logged.json")).unwrap()
    }

    fn misfit(record: Value) -> Option<(Reason, Option<String>)> {
        check(&record, None).err().map(|misfit| (misfit.reason, misfit.column))
    }

    #[test]
    fn what_ibm_sends_fits() {
        assert_eq!(misfit(message()), None);
        let cdr: Value =
            serde_json::from_str(include_str!("../../../tests/data/ibm-docs-log-cdr-logged.json")).unwrap();
        assert_eq!(misfit(cdr), None);
        assert_eq!(misfit(json!({"payload": null, "anything": [1, {"a": "b"}]})), None);
        assert_eq!(misfit(json!({"payload": {"brand_new": {"x": [1, true]}, "log_id": {"an": "object"}}})), None);
    }

    #[test]
    fn a_value_of_another_type_in_a_declared_column_does_not_fit() {
        let wrong = |path: &[&str], value: Value| {
            let mut record = message();
            let mut at = &mut record;
            for member in &path[..path.len() - 1] {
                at = &mut at[*member];
            }
            at[path[path.len() - 1]] = value;
            misfit(record)
        };
        let wrong_type = |column: &str| Some((Reason::WrongType, Some(column.to_owned())));
        assert_eq!(wrong(&["payload"], json!([1, 2, 3])), wrong_type("payload"));
        assert_eq!(wrong(&["payload", "request"], json!("text")), wrong_type("payload.request"));
        assert_eq!(
            wrong(&["payload", "request", "input"], json!([{"text": "x"}])),
            wrong_type("payload.request.input")
        );
        assert_eq!(wrong(&["payload", "failure_occurred"], json!("no")), wrong_type("payload.failure_occurred"));
        assert_eq!(
            wrong(&["payload", "response", "output", "intents"], json!([{"intent": "x", "confidence": "high"}])),
            wrong_type("payload.response.output.intents.confidence")
        );
        assert_eq!(
            wrong(&["payload", "request", "context", "skills"], json!({"main skill": {"user_defined": ["x"]}})),
            wrong_type("payload.request.context.skills.*.user_defined"),
            "a map's values are checked; the map's keys are not named"
        );
        assert_eq!(
            wrong(&["payload", "Call"], json!({"Milliseconds_Elapsed": 1.5})),
            wrong_type("payload.call.milliseconds_elapsed"),
            "names match ignoring case, as the SerDe reads them"
        );
        assert_eq!(
            wrong(&["payload", "call"], json!({"milliseconds_elapsed": 9_223_372_036_854_775_808u64})),
            wrong_type("payload.call.milliseconds_elapsed")
        );
        // Fits: a string column holding JSON, null anywhere, a whole number in a double column.
        assert_eq!(wrong(&["payload", "response", "output", "generic"], json!([{"text": "x"}])), None);
        assert_eq!(wrong(&["payload", "request"], Value::Null), None);
        assert_eq!(wrong(&["payload", "response", "output", "intents"], json!([{"confidence": 1}])), None);
    }

    #[test]
    fn keys_that_differ_only_in_case_do_not_fit_anywhere() {
        let duplicate = Some((Reason::DuplicateKeys, None));
        assert_eq!(misfit(json!({"payload": {"log_id": "a", "LOG_ID": "b"}})), duplicate);
        assert_eq!(misfit(json!({"payload": {"brand_new": [{"x": 1, "X": 2}]}})), duplicate);
        assert_eq!(misfit(json!({"Payload": {}, "payload": {}})), duplicate);
        assert_eq!(misfit(json!({"payload": {"log_id": "a", "log_ids": "b"}})), None);
    }

    #[test]
    fn a_timestamp_that_gives_no_date_does_not_fit() {
        let found = check(&message(), Some("request_timestamp")).unwrap_err();
        assert_eq!(found, Misfit { reason: Reason::BadTimestamp, column: Some("payload.request_timestamp".into()) });
        assert_eq!(Reason::BadTimestamp.as_str(), "bad_timestamp");
    }
}
