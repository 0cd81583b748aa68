//! `output.generic[]` items, by `response_type` (IBM's "Response types reference" and the
//! watsonx Assistant v2 API reference).
//!
//! The types whose text a user reads are typed so that the post-message function can find that
//! text; every other member, and every item of a type not listed here, is kept exactly as received.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::Field;

#[derive(Debug, Clone, PartialEq)]
pub enum GenericItem {
    Text(TextItem),
    Option(OptionItem),
    Suggestion(SuggestionItem),
    ConnectToAgent(ConnectToAgentItem),
    ChannelTransfer(ChannelTransferItem),
    /// `image`, `video`, `audio` or `iframe`; `kind` is the `response_type`.
    Media {
        kind: String,
        item: MediaItem,
    },
    Search(SearchItem),
    Button(ButtonItem),
    Card(CardItem),
    Carousel(CarouselItem),
    Grid(GridItem),
    Table(TableItem),
    /// Conversational search's generated answer: `conversational_search`, spelt
    /// `conversation_search` in IBM's SDKs; `kind` is the spelling received.
    ConversationalSearch {
        kind: String,
        item: ConversationalSearchItem,
    },
    /// Any other `response_type` (`pause`, `date`, `user_defined`, types added later): never touched.
    Other(Map<String, Value>),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub text: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OptionItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub options: Field<Vec<Choice>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SuggestionItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub suggestions: Field<Vec<Choice>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An option or a suggestion: the `label` is shown; the `value` is what the assistant routes on
/// and must come back unmodified, so it stays in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub label: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectToAgentItem {
    /// Shown to the human agent, not to the user: it stays in the assistant's language.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub message_to_human_agent: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub agent_available: Field<AgentMessage>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub agent_unavailable: Field<AgentMessage>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentMessage {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub message: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelTransferItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub message_to_user: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `source` (a URL) stays in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alt_text: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Search results: the header, and each result's title, body, highlights (with their `<em>`
/// markup) and answers. `url`, `id` and metadata stay in `extra`. `results` is the shape before
/// API version 2020-09-24; `primary_results` and `additional_results` the current one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub header: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub results: Field<Vec<SearchResult>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub primary_results: Field<Vec<SearchResult>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub additional_results: Field<Vec<SearchResult>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub body: Field<String>,
    /// Field name to highlighted passages; every field but `url` is text the user reads.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub highlight: Field<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub answers: Field<Vec<SearchAnswer>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchAnswer {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub text: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A button: the label and alt text are read; `button_type`, `value`, `url`, `custom_event_name`
/// and `user_defined` stay in `extra`. A `show_panel` button's panel holds response items.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ButtonItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub label: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alt_text: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub panel: Field<ButtonPanel>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ButtonPanel {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub body: Field<Vec<GenericItem>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub footer: Field<Vec<GenericItem>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A card: response items in its body and buttons in its footer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub body: Field<Vec<GenericItem>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub footer: Field<Vec<GenericItem>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A carousel: its `items` are cards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CarouselItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub items: Field<Vec<GenericItem>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A grid: rows of cells, each cell a list of response items; `columns` and alignments stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GridItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub rows: Field<Vec<GridRow>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GridRow {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub cells: Field<Vec<GridCell>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GridCell {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub items: Field<Vec<GenericItem>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A table: title, description, headers and cells are read. A cell is a string or a number;
/// numbers stay numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub headers: Field<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub rows: Field<Vec<TableRow>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub cells: Field<Vec<Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The generated answer of conversational search, its citations and the results it drew on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationalSearchItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub text: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub citations_title: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub disclaimer: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub citations: Field<Vec<Citation>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub search_results: Field<Vec<SearchResult>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `search_result_index`, `url` and `ranges` stay in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub text: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub body: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

const RESPONSE_TYPE: &str = "response_type";

impl GenericItem {
    /// The item's `response_type`, if it has one.
    pub fn response_type(&self) -> Option<&str> {
        Some(match self {
            GenericItem::Text(_) => "text",
            GenericItem::Option(_) => "option",
            GenericItem::Suggestion(_) => "suggestion",
            GenericItem::ConnectToAgent(_) => "connect_to_agent",
            GenericItem::ChannelTransfer(_) => "channel_transfer",
            GenericItem::Media { kind, .. } => kind,
            GenericItem::Search(_) => "search",
            GenericItem::Button(_) => "button",
            GenericItem::Card(_) => "card",
            GenericItem::Carousel(_) => "carousel",
            GenericItem::Grid(_) => "grid",
            GenericItem::Table(_) => "table",
            GenericItem::ConversationalSearch { kind, .. } => kind,
            GenericItem::Other(map) => return map.get(RESPONSE_TYPE)?.as_str(),
        })
    }

    /// Every text of this item that the user reads, for translation. Never a `value`, an id, a
    /// URL or a member of an unknown type.
    pub fn user_visible_texts_mut(&mut self) -> Vec<&mut String> {
        fn choices(choices: &mut Field<Vec<Choice>>) -> impl Iterator<Item = &mut String> {
            choices.as_mut().into_iter().flatten().filter_map(|choice| choice.label.as_mut())
        }
        let mut texts: Vec<&mut String> = Vec::new();
        match self {
            GenericItem::Text(item) => texts.extend(item.text.as_mut()),
            GenericItem::Option(item) => {
                texts.extend(item.title.as_mut());
                texts.extend(item.description.as_mut());
                texts.extend(choices(&mut item.options));
            }
            GenericItem::Suggestion(item) => {
                texts.extend(item.title.as_mut());
                texts.extend(choices(&mut item.suggestions));
            }
            GenericItem::ConnectToAgent(item) => {
                for message in [item.agent_available.as_mut(), item.agent_unavailable.as_mut()].into_iter().flatten() {
                    texts.extend(message.message.as_mut());
                }
            }
            GenericItem::ChannelTransfer(item) => texts.extend(item.message_to_user.as_mut()),
            GenericItem::Media { item, .. } => {
                texts.extend(item.title.as_mut());
                texts.extend(item.description.as_mut());
                texts.extend(item.alt_text.as_mut());
            }
            GenericItem::Search(item) => {
                texts.extend(item.header.as_mut());
                for results in [&mut item.results, &mut item.primary_results, &mut item.additional_results] {
                    texts.extend(results.as_mut().into_iter().flatten().flat_map(SearchResult::texts_mut));
                }
            }
            GenericItem::Button(item) => {
                texts.extend(item.label.as_mut());
                texts.extend(item.alt_text.as_mut());
                if let Some(panel) = item.panel.as_mut() {
                    texts.extend(panel.title.as_mut());
                    texts.extend(nested(&mut panel.body));
                    texts.extend(nested(&mut panel.footer));
                }
            }
            GenericItem::Card(item) => {
                texts.extend(nested(&mut item.body));
                texts.extend(nested(&mut item.footer));
            }
            GenericItem::Carousel(item) => texts.extend(nested(&mut item.items)),
            GenericItem::Grid(item) => {
                let cells = item.rows.as_mut().into_iter().flatten().filter_map(|row| row.cells.as_mut()).flatten();
                texts.extend(cells.flat_map(|cell| nested(&mut cell.items)));
            }
            GenericItem::Table(item) => {
                texts.extend(item.title.as_mut());
                texts.extend(item.description.as_mut());
                texts.extend(strings(&mut item.headers));
                for row in item.rows.as_mut().into_iter().flatten() {
                    texts.extend(strings(&mut row.cells));
                }
            }
            GenericItem::ConversationalSearch { item, .. } => {
                texts.extend(item.text.as_mut());
                texts.extend(item.citations_title.as_mut());
                texts.extend(item.disclaimer.as_mut());
                for citation in item.citations.as_mut().into_iter().flatten() {
                    texts.extend(citation.title.as_mut());
                    texts.extend(citation.text.as_mut());
                    texts.extend(citation.body.as_mut());
                }
                texts.extend(item.search_results.as_mut().into_iter().flatten().flat_map(SearchResult::texts_mut));
            }
            GenericItem::Other(_) => {}
        }
        texts
    }

    /// Before translation: what the assistant routes on must not change with the label. A
    /// `post_back` button without `value.input.text` sends its label back (IBM's "Response types
    /// reference"), so the original label is written there first.
    pub fn keep_routing_values(&mut self) {
        match self {
            GenericItem::Button(item) => {
                let post_back = item.extra.get("button_type").and_then(Value::as_str) == Some("post_back");
                let has_text = item.extra.get("value").and_then(|value| value.pointer("/input/text")).is_some();
                if let (true, false, Some(label)) = (post_back, has_text, item.label.as_mut()) {
                    let value = item.extra.entry("value").or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(value) = value {
                        let input = value.entry("input").or_insert_with(|| Value::Object(Map::new()));
                        if let Value::Object(input) = input {
                            input.insert("text".to_owned(), Value::String(label.clone()));
                        }
                    }
                }
                if let Some(panel) = item.panel.as_mut() {
                    for nested in [&mut panel.body, &mut panel.footer] {
                        nested.as_mut().into_iter().flatten().for_each(GenericItem::keep_routing_values);
                    }
                }
            }
            GenericItem::Card(item) => {
                for nested in [&mut item.body, &mut item.footer] {
                    nested.as_mut().into_iter().flatten().for_each(GenericItem::keep_routing_values);
                }
            }
            GenericItem::Carousel(item) => {
                item.items.as_mut().into_iter().flatten().for_each(GenericItem::keep_routing_values)
            }
            GenericItem::Grid(item) => {
                let cells = item.rows.as_mut().into_iter().flatten().filter_map(|row| row.cells.as_mut()).flatten();
                cells.filter_map(|cell| cell.items.as_mut()).flatten().for_each(GenericItem::keep_routing_values);
            }
            _ => {}
        }
    }

    /// After translation: a citation's `ranges` are character positions in the untranslated
    /// answer and would mark the wrong words, so a translated answer drops them.
    pub fn drop_stale_positions(&mut self) {
        if let GenericItem::ConversationalSearch { item, .. } = self {
            for citation in item.citations.as_mut().into_iter().flatten() {
                citation.extra.remove("ranges");
            }
        }
    }
}

impl SearchResult {
    fn texts_mut(&mut self) -> impl Iterator<Item = &mut String> {
        let highlights = self.highlight.as_mut().into_iter().flat_map(|highlight| {
            highlight.iter_mut().filter(|(field, _)| field.as_str() != "url").flat_map(|(_, passages)| match passages {
                Value::Array(passages) => passages.iter_mut().collect(),
                passage => vec![passage],
            })
        });
        let highlights = highlights.filter_map(|passage| match passage {
            Value::String(text) => Some(text),
            _ => None,
        });
        let answers = self.answers.as_mut().into_iter().flatten().filter_map(|answer| answer.text.as_mut());
        self.title.as_mut().into_iter().chain(self.body.as_mut()).chain(highlights).chain(answers)
    }
}

/// The user-visible texts of nested response items (a card's body, a grid cell, a panel).
fn nested(items: &mut Field<Vec<GenericItem>>) -> Vec<&mut String> {
    items.as_mut().into_iter().flatten().flat_map(GenericItem::user_visible_texts_mut).collect()
}

/// The string members of a list that may also hold numbers (a table's headers and cells).
fn strings(values: &mut Field<Vec<Value>>) -> impl Iterator<Item = &mut String> {
    values.as_mut().into_iter().flatten().filter_map(|value| match value {
        Value::String(text) => Some(text),
        _ => None,
    })
}

impl<'de> Deserialize<'de> for GenericItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(deserializer)?;
        let kind = match map.get(RESPONSE_TYPE) {
            Some(Value::String(kind)) => kind.clone(),
            _ => return Ok(GenericItem::Other(map)),
        };
        fn typed<T: serde::de::DeserializeOwned, E: serde::de::Error>(mut map: Map<String, Value>) -> Result<T, E> {
            map.remove(RESPONSE_TYPE);
            serde_json::from_value(Value::Object(map)).map_err(E::custom)
        }
        Ok(match kind.as_str() {
            "text" => GenericItem::Text(typed(map)?),
            "option" => GenericItem::Option(typed(map)?),
            "suggestion" => GenericItem::Suggestion(typed(map)?),
            "connect_to_agent" => GenericItem::ConnectToAgent(typed(map)?),
            "channel_transfer" => GenericItem::ChannelTransfer(typed(map)?),
            "image" | "video" | "audio" | "iframe" => GenericItem::Media { item: typed(map)?, kind },
            "search" => GenericItem::Search(typed(map)?),
            "button" => GenericItem::Button(typed(map)?),
            "card" => GenericItem::Card(typed(map)?),
            "carousel" => GenericItem::Carousel(typed(map)?),
            "grid" => GenericItem::Grid(typed(map)?),
            "table" => GenericItem::Table(typed(map)?),
            "conversational_search" | "conversation_search" => {
                GenericItem::ConversationalSearch { item: typed(map)?, kind }
            }
            _ => {
                map.insert(RESPONSE_TYPE.to_owned(), Value::String(kind));
                GenericItem::Other(map)
            }
        })
    }
}

impl Serialize for GenericItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let typed = |item: Result<Value, serde_json::Error>| -> Result<Map<String, Value>, S::Error> {
            match item.map_err(S::Error::custom)? {
                Value::Object(mut map) => {
                    let kind = self.response_type().unwrap_or_default().to_owned();
                    map.insert(RESPONSE_TYPE.to_owned(), Value::String(kind));
                    Ok(map)
                }
                _ => Err(S::Error::custom("a generic item serializes to an object")),
            }
        };
        let map = match self {
            GenericItem::Text(item) => typed(serde_json::to_value(item))?,
            GenericItem::Option(item) => typed(serde_json::to_value(item))?,
            GenericItem::Suggestion(item) => typed(serde_json::to_value(item))?,
            GenericItem::ConnectToAgent(item) => typed(serde_json::to_value(item))?,
            GenericItem::ChannelTransfer(item) => typed(serde_json::to_value(item))?,
            GenericItem::Media { item, .. } => typed(serde_json::to_value(item))?,
            GenericItem::Search(item) => typed(serde_json::to_value(item))?,
            GenericItem::Button(item) => typed(serde_json::to_value(item))?,
            GenericItem::Card(item) => typed(serde_json::to_value(item))?,
            GenericItem::Carousel(item) => typed(serde_json::to_value(item))?,
            GenericItem::Grid(item) => typed(serde_json::to_value(item))?,
            GenericItem::Table(item) => typed(serde_json::to_value(item))?,
            GenericItem::ConversationalSearch { item, .. } => typed(serde_json::to_value(item))?,
            GenericItem::Other(map) => return map.serialize(serializer),
        };
        map.serialize(serializer)
    }
}
