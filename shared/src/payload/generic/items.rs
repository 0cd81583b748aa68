//! The bodies of the response types, each declared once with the members a user reads (IBM's
//! "Response types reference" and the v2 API's `RuntimeResponseGeneric*` models). Every member not
//! listed, `value`, `url`, ids and settings among them, is kept exactly as received in `extra`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::GenericItem;
use super::citations::AnswerText;
use super::walk::Walk;
use crate::payload::Field;

/// Declares payload objects by the members a user reads: each becomes a `Field` (absent, `null`
/// and a value stay apart), in the order the walk lists them; all other members go to `extra`.
macro_rules! read_members {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident { $( $(#[$member_meta:meta])* $member:ident: $ty:ty ),* $(,)? }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            $(
                $(#[$member_meta])*
                #[serde(default, skip_serializing_if = "Field::is_absent")]
                pub $member: Field<$ty>,
            )*
            /// Every member the user does not read, kept exactly as received.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        impl Walk for $name {
            #[allow(unused_variables)]
            fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut String>) {
                $( self.$member.texts_mut(out); )*
            }

            #[allow(unused_variables)]
            fn response_items_mut<'a>(&'a mut self, out: &mut Vec<&'a mut GenericItem>) {
                $( self.$member.response_items_mut(out); )*
            }
        }
    )*};
}

read_members! {
    pub struct TextItem {
        text: String,
    }

    pub struct OptionItem {
        title: String,
        description: String,
        options: Vec<Choice>,
    }

    pub struct SuggestionItem {
        title: String,
        suggestions: Vec<Choice>,
    }

    /// An option or a suggestion: the `label` is shown; the `value` is what the assistant routes
    /// on and must come back unmodified. A suggestion's `output` is what the assistant answers
    /// once it is picked, not shown with the suggestion: kept.
    pub struct Choice {
        label: String,
    }

    /// `message_to_human_agent` is read by the human agent, not by the user: it stays in the
    /// assistant's language, in `extra`, with `transfer_info` and `topic`.
    pub struct ConnectToAgentItem {
        agent_available: AgentMessage,
        agent_unavailable: AgentMessage,
    }

    pub struct AgentMessage {
        message: String,
    }

    /// `transfer_info` (the target channel's URL) is kept.
    pub struct ChannelTransferItem {
        message_to_user: String,
    }

    /// `image`, `video`, `audio` and `iframe`: `source`, `image_url` and `channel_options` are kept.
    pub struct MediaItem {
        title: String,
        description: String,
        alt_text: String,
    }

    /// Search results: `results` is the shape before API version 2020-09-24; `primary_results`
    /// and `additional_results` the current one.
    pub struct SearchItem {
        header: String,
        results: Vec<SearchResult>,
        primary_results: Vec<SearchResult>,
        additional_results: Vec<SearchResult>,
    }

    /// A search result (and a conversational-search answer's source): `url`, `id` and
    /// `result_metadata` are kept.
    pub struct SearchResult {
        title: String,
        body: String,
        highlight: Highlight,
        answers: Vec<SearchAnswer>,
    }

    /// `confidence` is kept.
    pub struct SearchAnswer {
        text: String,
    }

    /// A button: `button_type`, `value`, `url`, `custom_event_name` and `user_defined` are kept.
    /// A `show_panel` button's panel holds response items.
    pub struct ButtonItem {
        label: String,
        alt_text: String,
        panel: ButtonPanel,
    }

    pub struct ButtonPanel {
        title: String,
        body: Vec<GenericItem>,
        footer: Vec<GenericItem>,
    }

    /// A card: response items in its body and buttons in its footer.
    pub struct CardItem {
        body: Vec<GenericItem>,
        footer: Vec<GenericItem>,
    }

    /// A carousel: its `items` are cards.
    pub struct CarouselItem {
        items: Vec<GenericItem>,
    }

    /// A grid: rows of cells, each cell a list of response items; `columns` and alignments are kept.
    pub struct GridItem {
        rows: Vec<GridRow>,
    }

    pub struct GridRow {
        cells: Vec<GridCell>,
    }

    pub struct GridCell {
        items: Vec<GenericItem>,
    }

    /// A table (beta): a header or cell is a string or a number; numbers stay numbers.
    pub struct TableItem {
        title: String,
        description: String,
        headers: Vec<Value>,
        rows: Vec<TableRow>,
    }

    pub struct TableRow {
        cells: Vec<Value>,
    }

    /// Conversational search's generated answer, its citations and the results it drew on;
    /// `confidence_scores` and `response_length_option` are kept.
    pub struct ConversationalSearchItem {
        text: AnswerText,
        citations_title: String,
        disclaimer: String,
        citations: Vec<Citation>,
        search_results: Vec<SearchResult>,
    }

    /// `search_result_index`, `url` and `ranges` are kept; `ranges` are positions in the answer's
    /// `text`, moved onto the translated answer by [`GenericItem::realign_citation_ranges`].
    pub struct Citation {
        title: String,
        text: String,
        body: String,
    }
}

/// The body of a response type that holds nothing a user reads (`pause`, `date`, the phone's
/// commands, `user_defined`): every member kept exactly as received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeptItem {
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Walk for KeptItem {
    fn texts_mut<'a>(&'a mut self, _: &mut Vec<&'a mut String>) {}
}

/// A search result's highlighted passages by field name (`<em>` markup kept): every field but
/// `url` is text the user reads, a list of passages or, in older answers, one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Highlight(pub Map<String, Value>);

impl Walk for Highlight {
    fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut String>) {
        for (_, passages) in self.0.iter_mut().filter(|(field, _)| field.as_str() != "url") {
            match passages {
                Value::Array(passages) => passages.iter_mut().for_each(|passage| passage.texts_mut(out)),
                passage => passage.texts_mut(out),
            }
        }
    }
}
