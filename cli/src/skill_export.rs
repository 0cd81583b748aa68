//! The assistant's authored replies, read from IBM's own exports: an actions or dialog skill's
//! JSON ("Downloading and uploading assistant files", or the v1 API's workspace export), and the
//! `action-responses.csv` / `dialog-responses.csv` of IBM's multilingual download ("Adding support
//! for global audiences": a `translatable_string` column).
//!
//! A skill stores a text response as variations (`values`), each a plain `text` or, in actions, a
//! `text_expression` that concatenates `scalar` pieces with variables. Each variation becomes the
//! runtime item the assistant would send (`{"response_type": "text", "text": …}`); every other
//! response item (options, cards, carousels, …) already has the runtime shape. The texts are then
//! taken with the one shared walk postmessage translates by ([`reply_texts_mut`]), so the seed reads
//! exactly what the webhook will be asked to translate. Disambiguation ("Did you mean:", the
//! actions' titles, the dialog nodes' names) becomes the `suggestion` item the assistant sends.
//!
//! A text that holds a per-user value (an actions variable or expression, a dialog `$variable`,
//! `@entity` or `<? expression ?>`) is counted and left out: the runtime never sees it as written.

use serde_json::{Map, Value, json};
use shared::payload::{GenericItem, reply_texts_mut};

/// What one export holds that a user reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthoredTexts {
    /// `actions`, `dialog`, `actions+dialog` or `multilingual CSV`.
    pub format: &'static str,
    /// The skill's `language`, when the export says.
    pub language: Option<String>,
    /// Response items read (variations counted one by one).
    pub items: usize,
    /// Distinct texts a user reads, in order of first appearance.
    pub texts: Vec<String>,
    /// Texts left out because they hold a per-user value.
    pub per_user: usize,
}

/// The authored texts of an export; `name` (the file name) tells a training CSV from a responses one.
pub fn read(name: &str, content: &str) -> Result<AuthoredTexts, String> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    if content.trim_start().starts_with(['{', '[']) {
        let value: Value = serde_json::from_str(content).map_err(|error| format!("not a skill export: {error}"))?;
        Ok(read_json(&value))
    } else {
        read_csv(name, content)
    }
}

fn read_json(export: &Value) -> AuthoredTexts {
    let mut collector = Collector::default();
    collector.walk(export, false);
    let (actions, dialog) = (collector.actions, collector.dialog);
    let mut texts = collector.finish();
    texts.format = match (actions, dialog) {
        (true, true) => "actions+dialog",
        (false, true) => "dialog",
        _ => "actions",
    };
    texts.language = export.get("language").and_then(Value::as_str).map(str::to_owned);
    texts
}

/// IBM's multilingual download: every cell of the `translatable_string` column.
fn read_csv(name: &str, content: &str) -> Result<AuthoredTexts, String> {
    if name.contains("training") {
        return Err(format!("{name}: training examples are what users write; seed the responses file"));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(content.as_bytes());
    let headers = reader.headers().map_err(|error| format!("{name}: {error}"))?.clone();
    let column = headers
        .iter()
        .position(|header| header.trim().eq_ignore_ascii_case("translatable_string"))
        .ok_or_else(|| format!("{name}: no `translatable_string` column (IBM's multilingual download has one)"))?;
    let mut collector = Collector::default();
    for record in reader.records() {
        let record = record.map_err(|error| format!("{name}: {error}"))?;
        if let Some(text) = record.get(column) {
            collector.push_runtime(json!({"response_type": "text", "text": text}), true);
        }
    }
    Ok(AuthoredTexts { format: "multilingual CSV", ..collector.finish() })
}

#[derive(Default)]
struct Collector {
    /// Runtime items, each with whether dialog's shorthand (`$var`, `@entity`, `<? ?>`) applies.
    items: Vec<(GenericItem, bool)>,
    variations: usize,
    per_user: usize,
    actions: bool,
    dialog: bool,
}

impl Collector {
    fn walk(&mut self, value: &Value, in_dialog: bool) {
        match value {
            Value::Object(map) => self.walk_object(map, in_dialog),
            Value::Array(values) => values.iter().for_each(|value| self.walk(value, in_dialog)),
            _ => {}
        }
    }

    fn walk_object(&mut self, map: &Map<String, Value>, in_dialog: bool) {
        for (key, member) in map {
            match (key.as_str(), member) {
                ("generic", Value::Array(items)) => {
                    items.iter().for_each(|item| self.push_export_item(item, in_dialog))
                }
                ("output", Value::Object(output)) if in_dialog && is_legacy_output(output) => {
                    self.push_legacy_text(&output["text"])
                }
                ("disambiguation", Value::Object(settings)) => self.push_disambiguation(settings),
                ("actions", Value::Array(actions)) => {
                    self.actions = true;
                    self.push_labels(actions.iter().filter_map(action_title), false);
                    self.walk(member, in_dialog);
                }
                ("dialog_nodes", Value::Array(nodes)) => {
                    self.dialog = true;
                    self.push_labels(nodes.iter().filter_map(node_label), true);
                    self.walk(member, true);
                }
                _ => self.walk(member, in_dialog),
            }
        }
    }

    /// One item of a skill's `generic`: a text's variations each become a runtime text item.
    fn push_export_item(&mut self, item: &Value, dialog: bool) {
        for runtime in expand(item, &mut self.per_user) {
            self.push_runtime(runtime, dialog);
        }
    }

    /// A dialog node's older `output.text`: a string, a list, or `{"values": [...]}`.
    fn push_legacy_text(&mut self, text: &Value) {
        let values = match text {
            Value::Object(map) => map.get("values").cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        let strings: Vec<&str> = match &values {
            Value::String(text) => vec![text.as_str()],
            Value::Array(values) => values.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for text in strings {
            self.push_runtime(json!({"response_type": "text", "text": text}), true);
        }
    }

    /// The clarifying question the assistant asks, as the `suggestion` item it sends.
    fn push_disambiguation(&mut self, settings: &Map<String, Value>) {
        let text = |name: &str| settings.get(name).and_then(Value::as_str).map(str::to_owned);
        let labels: Vec<Value> =
            ["none_of_the_above_prompt", "use_connect_to_support_prompt", "single_answer_clarification_prompt"]
                .into_iter()
                .filter_map(text)
                .map(|label| json!({"label": label}))
                .collect();
        let mut item = json!({"response_type": "suggestion", "suggestions": labels});
        if let Some(prompt) = text("prompt") {
            item["title"] = Value::String(prompt);
        }
        self.push_runtime(item, false);
    }

    /// The names disambiguation lists, as the labels of a `suggestion` item.
    fn push_labels(&mut self, labels: impl Iterator<Item = String>, dialog: bool) {
        let suggestions: Vec<Value> = labels.map(|label| json!({"label": label})).collect();
        if !suggestions.is_empty() {
            self.push_runtime(json!({"response_type": "suggestion", "suggestions": suggestions}), dialog);
        }
    }

    fn push_runtime(&mut self, item: Value, dialog: bool) {
        self.variations += 1;
        // Any JSON object reads as an item (an unknown or malformed one as `Other`, never read).
        if let Ok(item) = serde_json::from_value::<GenericItem>(item) {
            self.items.push((item, dialog));
        }
    }

    /// The distinct texts, through the shared walk; dialog texts with shorthand left out.
    fn finish(mut self) -> AuthoredTexts {
        let mut texts: Vec<String> = Vec::new();
        let mut per_user = self.per_user;
        for (item, dialog) in &mut self.items {
            for text in reply_texts_mut(std::slice::from_mut(item)) {
                if *dialog && has_dialog_shorthand(text) {
                    per_user += 1;
                } else if !texts.iter().any(|seen| seen == text.as_str()) {
                    texts.push(text.clone());
                }
            }
        }
        AuthoredTexts { format: "", language: None, items: self.variations, texts, per_user }
    }
}

/// A dialog node's `output` in the older form (`text` and no `generic`).
fn is_legacy_output(map: &Map<String, Value>) -> bool {
    let text = map.get("text");
    let legacy =
        matches!(text, Some(Value::String(_) | Value::Array(_))) || text.and_then(|text| text.get("values")).is_some();
    legacy && !map.contains_key("generic")
}

/// An item of a skill's `generic` as the runtime sends it: a text response's variations each
/// become one text item (a variation with a per-user value is counted in `per_user` instead);
/// items nested in cards, carousels and grids are expanded the same way.
fn expand(item: &Value, per_user: &mut usize) -> Vec<Value> {
    let Value::Object(map) = item else { return Vec::new() };
    if map.get("response_type").and_then(Value::as_str) == Some("text")
        && let Some(Value::Array(values)) = map.get("values")
    {
        let mut texts = Vec::new();
        for variation in values {
            match variation_text(variation) {
                Some(text) => texts.push(json!({"response_type": "text", "text": text})),
                None => *per_user += 1,
            }
        }
        return texts;
    }
    vec![normalize_nested(item, per_user)]
}

/// `item` with every list of response items inside it expanded.
fn normalize_nested(value: &Value, per_user: &mut usize) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(key, member)| (key.clone(), normalize_nested(member, per_user))).collect())
        }
        Value::Array(values) => Value::Array(
            values
                .iter()
                .flat_map(|value| match value.get("response_type") {
                    Some(_) => expand(value, per_user),
                    None => vec![normalize_nested(value, per_user)],
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A variation's text as written: a plain `text`, or a `text_expression` made only of `scalar`
/// pieces (IBM splits long texts into several). `None` when a piece is a variable or expression.
fn variation_text(variation: &Value) -> Option<String> {
    if let Some(text) = variation.get("text").and_then(Value::as_str) {
        return Some(text.to_owned());
    }
    let parts = variation.pointer("/text_expression/concat")?.as_array()?;
    parts.iter().map(|part| part.get("scalar").and_then(Value::as_str)).collect()
}

/// An action's title, which disambiguation lists (IBM's built-in actions, whose ids do not start
/// with `action_`, and actions opted out are never listed).
fn action_title(action: &Value) -> Option<String> {
    let id = action.get("action").and_then(Value::as_str)?;
    if !id.starts_with("action_") || opted_out(action) {
        return None;
    }
    action.get("title").and_then(Value::as_str).map(str::to_owned)
}

/// A dialog node's name as disambiguation lists it: its `user_label`, or its `title` when its
/// condition names an intent ("Disambiguation", IBM's dialog runtime documentation).
fn node_label(node: &Value) -> Option<String> {
    if opted_out(node) {
        return None;
    }
    if let Some(label) = node.get("user_label").and_then(Value::as_str) {
        return Some(label.to_owned());
    }
    let conditions = node.get("conditions").and_then(Value::as_str).unwrap_or_default();
    conditions.contains('#').then(|| node.get("title").and_then(Value::as_str).map(str::to_owned)).flatten()
}

fn opted_out(value: &Value) -> bool {
    value.get("disambiguation_opt_out").and_then(Value::as_bool).unwrap_or(false)
}

/// Dialog's shorthand for a per-user value: `$variable`, `@entity`, `<? expression ?>`.
pub fn has_dialog_shorthand(text: &str) -> bool {
    if text.contains("<?") {
        return true;
    }
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        let next_is_name = chars.get(i + 1).is_some_and(|next| next.is_ascii_alphabetic() || *next == '_');
        let after_word = i > 0 && chars[i - 1].is_alphanumeric();
        match c {
            '$' => next_is_name,
            '@' => next_is_name && !after_word,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts_of(export: Value) -> AuthoredTexts {
        read("skill.json", &export.to_string()).unwrap()
    }

    #[test]
    fn each_variation_is_a_text_and_a_text_with_a_variable_is_left_out() {
        let export = json!({"language": "en", "workspace": {"actions": [{"action": "action_1", "title": "Order status",
        "steps": [{"output": {"generic": [
            {"response_type": "text", "selection_policy": "random", "values": [
                {"text": "Hi!"},
                {"text_expression": {"concat": [{"scalar": "Hello"}, {"scalar": " there!"}]}},
                {"text_expression": {"concat": [{"scalar": "Hello "}, {"skill_variable": "name"}]}}
            ]},
            {"response_type": "option", "title": "Pick one", "options": [{"label": "Track", "value": {"input": {"text": "track"}}}]},
            {"response_type": "pause", "time": 500}
        ]}}]}]}});
        let texts = texts_of(export);
        assert_eq!(texts.texts, ["Order status", "Hi!", "Hello there!", "Pick one", "Track"]);
        assert_eq!((texts.per_user, texts.format), (1, "actions"));
    }

    #[test]
    fn items_nested_in_cards_are_read_with_the_shared_walk() {
        let export = json!({"workspace": {"actions": [{"action": "welcome", "title": "Greet customer", "steps": [{"output": {"generic": [
            {"response_type": "card", "body": [
                {"response_type": "text", "values": [{"text": "A card's text"}]},
                {"response_type": "image", "source": "https://example.com/a.png", "title": "A picture"}
            ], "footer": [{"response_type": "button", "label": "Open", "button_type": "url", "url": "https://example.com"}]}
        ]}}]}]}});
        assert_eq!(
            texts_of(export).texts,
            ["A card's text", "A picture", "Open"],
            "a built-in action's title is not listed"
        );
    }

    #[test]
    fn dialog_nodes_their_names_and_older_outputs_are_read_and_shorthand_left_out() {
        let export = json!({"language": "en", "dialog_nodes": [
            {"dialog_node": "a", "title": "Order", "conditions": "#order", "output": {"generic": [
                {"response_type": "text", "values": [{"text": "Your order is on its way."}, {"text": "Thanks, $name!"}]}
            ]}},
            {"dialog_node": "b", "title": "utility", "conditions": "true", "user_label": "Something else", "output": {"text": {"values": ["Older text", "Size @size"]}}},
            {"dialog_node": "c", "title": "hidden", "conditions": "#x", "disambiguation_opt_out": true, "output": {"text": "Write to help@example.com <? input.text ?>"}}
        ], "system_settings": {"disambiguation": {"prompt": "Did you mean:", "none_of_the_above_prompt": "None of the above"}}});
        let texts = texts_of(export);
        assert_eq!(texts.format, "dialog");
        assert_eq!(
            texts.texts,
            [
                "Order",
                "Something else",
                "Your order is on its way.",
                "Older text",
                "Did you mean:",
                "None of the above"
            ]
        );
        assert_eq!(texts.per_user, 3);
    }

    #[test]
    fn dialog_shorthand_is_told_from_prices_and_addresses() {
        for text in ["Hi $name", "You chose @size.", "<? input.text ?>"] {
            assert!(has_dialog_shorthand(text), "{text}");
        }
        for text in ["It costs $75.", "Write to help@example.com", "50 $ or 40 €"] {
            assert!(!has_dialog_shorthand(text), "{text}");
        }
    }

    #[test]
    fn the_multilingual_csv_is_read_by_its_column_name_and_training_files_are_refused() {
        let csv = "\u{feff}locator,translatable_string,id\r\nx,\"Hello, world\",1\r\ny,Hi $name,2\r\nz,,3\r\n";
        let texts = read("action-responses.csv", csv).unwrap();
        assert_eq!(
            (texts.format, texts.texts.as_slice(), texts.per_user),
            ("multilingual CSV", &["Hello, world".to_owned()][..], 1)
        );
        assert!(read("action-training.csv", csv).unwrap_err().contains("training"));
        assert!(read("other.csv", "a,b\r\n1,2\r\n").unwrap_err().contains("translatable_string"));
        assert!(read("broken.json", "{").unwrap_err().contains("not a skill export"));
    }
}
