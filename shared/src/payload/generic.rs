//! `output.generic[]` items, by `response_type` (reference §3.3).
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

/// Search results come from the customer's documents and stay as they are; the header is ours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchItem {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub header: Field<String>,
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
            GenericItem::Search(item) => texts.extend(item.header.as_mut()),
            GenericItem::Other(_) => {}
        }
        texts
    }
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
            GenericItem::Other(map) => return map.serialize(serializer),
        };
        map.serialize(serializer)
    }
}
