//! Optional redaction (`LOG_REDACT_PATHS`): dotted paths whose values are replaced with
//! `"[redacted]"` before an event is stored, for teams that must not keep user text.
//!
//! - A path starts at the top of the webhook request: `payload.request.input.text`.
//! - Arrays are walked through: `payload.response.output.generic.text` masks the `text` of every
//!   item, and `payload.response.output.generic` masks the whole array.
//! - `*` matches every member of an object: `payload.request.context.skills.*.user_defined.original_input`.
//! - Names match ignoring case (`table::fold`), as Athena's JSON SerDe reads them: the path
//!   `payload.request.input.text` also masks `"Text"`, `"TEXT"` or `"Payload"`, which the table
//!   would read as the same column.
//! - Redaction works on the event as parsed, and the record stored is always that value written
//!   out again: a key sent twice is one member (the last one, as the JSON parser keeps it), and an
//!   escaped name (`"te\u0078t"`) is the name it spells.
//! - A missing path or a `null` value is left alone; nothing is ever added.
//! - A path must not land where the Glue table declares anything but a string (a struct, an
//!   array, a map, a number or a boolean): `"[redacted]"` there would make Athena queries over
//!   that data fail. `LogSettings` refuses such a path at cold start (see `table`).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;
use shared::mask::{self, Detector, MASKED_VALUES_KEY};

use crate::table::fold;

pub const REDACTED: &str = "[redacted]";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactPath {
    segments: Vec<String>,
    /// The segments folded as the table compares names (`*` stays `*`).
    folded: Vec<String>,
}

impl FromStr for RedactPath {
    type Err = String;

    fn from_str(path: &str) -> Result<Self, Self::Err> {
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        if segments.iter().any(|segment| segment.trim().is_empty()) {
            return Err(format!("`{path}` is not a dotted path such as payload.request.input.text"));
        }
        let folded = segments.iter().map(|segment| fold(segment)).collect();
        Ok(RedactPath { segments, folded })
    }
}

impl RedactPath {
    pub fn segments(&self) -> &[String] {
        &self.segments
    }
}

impl fmt::Display for RedactPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segments.join("."))
    }
}

/// Masks every path in `value`; returns how many values were replaced.
pub fn redact(value: &mut Value, paths: &[RedactPath]) -> usize {
    paths.iter().map(|path| apply(value, &path.folded)).sum()
}

/// With `MASK_PERSONAL_DATA` on: every personal value the detector finds in any string of the
/// event becomes a token of its kind (`[email]`), wherever it is (input, reply, `original_input`,
/// context variables), so the store holds only the masked form even if a reply carried a value
/// put back by postmessage. The sealed values (`masked_values`) are left as they are. Returns
/// how many strings changed.
pub fn mask_personal_data(value: &mut Value, detector: &Detector) -> usize {
    match value {
        Value::String(text) => match mask::redact(detector, text) {
            Some(masked) => {
                *text = masked;
                1
            }
            None => 0,
        },
        Value::Array(items) => items.iter_mut().map(|item| mask_personal_data(item, detector)).sum(),
        Value::Object(members) => members
            .iter_mut()
            .filter(|(key, _)| key.as_str() != MASKED_VALUES_KEY)
            .map(|(_, member)| mask_personal_data(member, detector))
            .sum(),
        _ => 0,
    }
}

fn apply(value: &mut Value, segments: &[String]) -> usize {
    let Some((first, rest)) = segments.split_first() else { return 0 };
    match value {
        Value::Array(items) => items.iter_mut().map(|item| apply(item, segments)).sum(),
        Value::Object(members) => {
            let targets: Vec<&mut Value> = if first == "*" {
                members.values_mut().collect()
            } else {
                members.iter_mut().filter(|(key, _)| fold(key) == *first).map(|(_, member)| member).collect()
            };
            targets
                .into_iter()
                .map(|target| match (rest.is_empty(), &*target) {
                    (true, Value::Null) => 0,
                    (true, _) => {
                        *target = Value::String(REDACTED.to_owned());
                        1
                    }
                    (false, _) => apply(target, rest),
                })
                .sum()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(list: &[&str]) -> Vec<RedactPath> {
        list.iter().map(|p| p.parse().unwrap()).collect()
    }

    #[test]
    fn leaves_arrays_wildcards_and_missing_paths() {
        let mut event = json!({
            "payload": {
                "request": {"input": {"text": "my card is 4111", "message_type": "text"},
                            "context": {"skills": {"actions skill": {"user_defined": {"original_input": "mi tarjeta", "language": "es"}},
                                                   "main skill": {"user_defined": {"original_input": null}}}}},
                "response": {"output": {"generic": [{"response_type": "text", "text": "Thanks"}, {"response_type": "pause", "time": 5}]}}
            }
        });
        let count = redact(
            &mut event,
            &paths(&[
                "payload.request.input.text",
                "payload.request.context.skills.*.user_defined.original_input",
                "payload.response.output.generic.text",
                "payload.not.there",
                "payload.request.input.text.deeper",
            ]),
        );
        assert_eq!(count, 3);
        assert_eq!(event["payload"]["request"]["input"], json!({"text": "[redacted]", "message_type": "text"}));
        let skills = &event["payload"]["request"]["context"]["skills"];
        assert_eq!(skills["actions skill"]["user_defined"], json!({"original_input": "[redacted]", "language": "es"}));
        assert_eq!(skills["main skill"]["user_defined"], json!({"original_input": null}), "null stays null");
        assert_eq!(
            event["payload"]["response"]["output"]["generic"][0],
            json!({"response_type": "text", "text": "[redacted]"})
        );
        assert_eq!(
            event["payload"]["response"]["output"]["generic"][1],
            json!({"response_type": "pause", "time": 5}),
            "nothing added"
        );

        let whole = redact(&mut event, &paths(&["payload.response.output.generic"]));
        assert_eq!((whole, &event["payload"]["response"]["output"]["generic"]), (1, &json!("[redacted]")));
    }

    #[test]
    fn personal_data_is_masked_in_every_string_but_the_sealed_values() {
        let detector = Detector::new(&mask::Kind::ALL, None);
        let mut event = json!({
            "payload": {
                "request": {"input": {"text": "I am [email A]"},
                            "context": {"skills": {"main skill": {"user_defined": {
                                "original_input": "soy ana@example.com",
                                "masked_values": {"email A": "sealed-ana@example.com-stays"}}}}}},
                "response": {"output": {"generic": [{"response_type": "text", "text": "Mail sent to ana@example.com"}]}},
                "turns": 3
            }
        });
        assert_eq!(mask_personal_data(&mut event, &detector), 2);
        let user_defined = &event["payload"]["request"]["context"]["skills"]["main skill"]["user_defined"];
        assert_eq!(user_defined["original_input"], "soy [email]");
        assert_eq!(user_defined["masked_values"]["email A"], "sealed-ana@example.com-stays");
        assert_eq!(event["payload"]["response"]["output"]["generic"][0]["text"], "Mail sent to [email]");
        assert_eq!(event["payload"]["turns"], 3);
    }

    #[test]
    fn names_match_ignoring_case_at_every_level() {
        let mut event = json!({
            "Payload": {"REQUEST": {"input": {"text": "a", "Text": "b", "TEXT": {"nested": "c"}, "texts": "kept"}},
                        "request": {"context": {"s\u{212A}ills": {"main skill": {"User_Defined": {"Original_Input": "d"}}}}}}
        });
        let count = redact(
            &mut event,
            &paths(&["payload.request.input.text", "payload.request.context.skills.*.user_defined.original_input"]),
        );
        assert_eq!(count, 4);
        assert_eq!(
            event["Payload"]["REQUEST"]["input"],
            json!({"text": "[redacted]", "Text": "[redacted]", "TEXT": "[redacted]", "texts": "kept"})
        );
        assert_eq!(
            event["Payload"]["request"]["context"]["s\u{212A}ills"]["main skill"]["User_Defined"]["Original_Input"],
            "[redacted]"
        );
    }

    #[test]
    fn paths_must_have_no_empty_segment() {
        for bad in ["", ".", "payload.", ".payload", "payload..text", "payload. .text"] {
            assert!(bad.parse::<RedactPath>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "payload.request.input.text".parse::<RedactPath>().unwrap().to_string(),
            "payload.request.input.text"
        );
    }
}
