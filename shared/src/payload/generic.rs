//! `output.generic[]` items, by `response_type`: the table below is the one place a response type
//! is declared. It generates the [`GenericItem`] enum, its (de)serialization by `response_type` and
//! the walk over what the user reads; each body type (in `items.rs`) lists the members a user reads.
//!
//! Sources: IBM's "Response types reference" (web chat, phone and channel types) and the v2 API's
//! `RuntimeResponseGeneric*` models (watson-developer-cloud/node-sdk, `assistant/v2.ts`, 2025).
//! A `response_type` not in the table, or an item without one, is [`GenericItem::Other`]: kept
//! exactly as received and never translated.

mod citations;
mod items;
mod walk;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

pub use citations::AnswerText;
pub use items::{
    AgentMessage, ButtonItem, ButtonPanel, CardItem, CarouselItem, ChannelTransferItem, Choice, Citation,
    ConnectToAgentItem, ConversationalSearchItem, GridCell, GridItem, GridRow, Highlight, KeptItem, MediaItem,
    OptionItem, SearchAnswer, SearchItem, SearchResult, SuggestionItem, TableItem, TableRow, TextItem,
};
pub use walk::Walk;

const RESPONSE_TYPE: &str = "response_type";

/// Reads a declared type's body into its variant.
type Reader = fn(Value) -> Result<GenericItem, serde_json::Error>;

/// Declares the response types: `Variant(Body) = "response_type"`, one line each. A name listed
/// twice does not compile (an unreachable pattern under `-D warnings`).
macro_rules! response_types {
    ($( $(#[$meta:meta])* $variant:ident($body:ty) = $name:literal, )*) => {
        /// One item of `output.generic`.
        #[derive(Debug, Clone, PartialEq)]
        pub enum GenericItem {
            $( $(#[$meta])* $variant($body), )*
            /// Any other `response_type`, or none: kept exactly as received, never translated.
            Other(Map<String, Value>),
        }

        impl GenericItem {
            /// Every declared `response_type`, in the table's order.
            pub const RESPONSE_TYPES: &'static [&'static str] = &[$($name),*];

            /// The item's `response_type`, if it has one.
            pub fn response_type(&self) -> Option<&str> {
                match self {
                    $( GenericItem::$variant(_) => Some($name), )*
                    GenericItem::Other(map) => map.get(RESPONSE_TYPE)?.as_str(),
                }
            }

            /// The body of a declared type, for the walk.
            fn body_mut(&mut self) -> Option<&mut dyn Walk> {
                match self {
                    $( GenericItem::$variant(body) => Some(body), )*
                    GenericItem::Other(_) => None,
                }
            }

            /// How to read the body of a declared `response_type` (the member itself removed).
            fn reader(name: &str) -> Option<Reader> {
                match name {
                    $( $name => Some((|body| serde_json::from_value(body).map(GenericItem::$variant)) as Reader), )*
                    _ => None,
                }
            }
        }

        impl Serialize for GenericItem {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( GenericItem::$variant(body) => Tagged { response_type: $name, body }.serialize(serializer), )*
                    GenericItem::Other(map) => map.serialize(serializer),
                }
            }
        }
    };
}

response_types! {
    Text(TextItem) = "text",
    Option(OptionItem) = "option",
    Suggestion(SuggestionItem) = "suggestion",
    ConnectToAgent(ConnectToAgentItem) = "connect_to_agent",
    ChannelTransfer(ChannelTransferItem) = "channel_transfer",
    Image(MediaItem) = "image",
    Video(MediaItem) = "video",
    Audio(MediaItem) = "audio",
    Iframe(MediaItem) = "iframe",
    Search(SearchItem) = "search",
    Button(ButtonItem) = "button",
    Card(CardItem) = "card",
    Carousel(CarouselItem) = "carousel",
    Grid(GridItem) = "grid",
    Table(TableItem) = "table",
    ConversationalSearch(ConversationalSearchItem) = "conversational_search",
    /// The same, as IBM's SDKs spell it.
    ConversationSearch(ConversationalSearchItem) = "conversation_search",
    // Nothing a user reads: declared so that they are known, and kept exactly as received.
    Pause(KeptItem) = "pause",
    Date(KeptItem) = "date",
    /// Whatever the client knows how to show: its text is the client's, not the assistant's.
    UserDefined(KeptItem) = "user_defined",
    Dtmf(KeptItem) = "dtmf",
    EndSession(KeptItem) = "end_session",
    SpeechToText(KeptItem) = "speech_to_text",
    TextToSpeech(KeptItem) = "text_to_speech",
    StartActivities(KeptItem) = "start_activities",
    StopActivities(KeptItem) = "stop_activities",
}

/// A body written with its `response_type` first.
#[derive(Serialize)]
struct Tagged<'a, T> {
    response_type: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

impl<'de> Deserialize<'de> for GenericItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(deserializer)?;
        let reader = map.get(RESPONSE_TYPE).and_then(Value::as_str).and_then(GenericItem::reader);
        let Some(read) = reader else { return Ok(GenericItem::Other(map)) };
        map.remove(RESPONSE_TYPE);
        read(Value::Object(map)).map_err(serde::de::Error::custom)
    }
}

impl Walk for GenericItem {
    fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut String>) {
        if let Some(body) = self.body_mut() {
            body.texts_mut(out);
        }
    }

    fn response_items_mut<'a>(&'a mut self, out: &mut Vec<&'a mut GenericItem>) {
        out.push(self);
    }
}

impl GenericItem {
    /// Every text of this item that the user reads, nested items included, for translation.
    /// Never a `value`, an id, a URL or a member of an unknown type.
    pub fn user_visible_texts_mut(&mut self) -> Vec<&mut String> {
        let mut texts = Vec::new();
        self.texts_mut(&mut texts);
        texts
    }

    /// Applies `step` to this item, then to every item nested in it (a card's body, a grid cell,
    /// a button's panel), depth first.
    pub fn for_each_item_mut(&mut self, step: &mut impl FnMut(&mut GenericItem)) {
        step(self);
        let mut nested = Vec::new();
        if let Some(body) = self.body_mut() {
            body.response_items_mut(&mut nested);
        }
        nested.into_iter().for_each(|item| item.for_each_item_mut(step));
    }

    /// Before translation, on the whole item tree: what the assistant routes on must not change
    /// with a label, and a conversational-search answer is cut where its citations begin and end.
    pub fn prepare_for_translation(&mut self) {
        self.for_each_item_mut(&mut |item| match item {
            GenericItem::Button(button) => button.keep_routing_value(),
            GenericItem::ConversationalSearch(answer) | GenericItem::ConversationSearch(answer) => {
                answer.cut_answer_at_citations()
            }
            _ => {}
        });
    }

    /// After translation: each citation's `ranges` moved onto the translated answer (see
    /// `citations.rs` for which can be placed).
    pub fn realign_citation_ranges(&mut self) {
        self.for_each_item_mut(&mut |item| {
            if let GenericItem::ConversationalSearch(answer) | GenericItem::ConversationSearch(answer) = item {
                answer.realign_citation_ranges();
            }
        });
    }
}

/// Every text of a reply that the user reads, under the one rule postmessage translates by and
/// `webhooks translations seed` reads an assistant's authored replies by: each item prepared
/// ([`GenericItem::prepare_for_translation`]), then its user-visible texts, nested items included,
/// in document order, blank ones left out.
pub fn reply_texts_mut(items: &mut [GenericItem]) -> Vec<&mut String> {
    items.iter_mut().for_each(GenericItem::prepare_for_translation);
    items.iter_mut().flat_map(GenericItem::user_visible_texts_mut).filter(|text| !text.trim().is_empty()).collect()
}

impl ButtonItem {
    /// A `post_back` button without `value.input.text` sends its label back (IBM's "Response
    /// types reference"), so the original label is written there first.
    fn keep_routing_value(&mut self) {
        let post_back = self.extra.get("button_type").and_then(Value::as_str) == Some("post_back");
        let has_text = self.extra.get("value").and_then(|value| value.pointer("/input/text")).is_some();
        let (true, false, Some(label)) = (post_back, has_text, self.label.as_ref()) else { return };
        let value = self.extra.entry("value").or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(value) = value {
            let input = value.entry("input").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(input) = input {
                input.insert("text".to_owned(), Value::String(label.clone()));
            }
        }
    }
}
