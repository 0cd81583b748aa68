//! The Watson webhook payloads: typed where the functions read or write, lossless everywhere else.

mod envelope;
mod field;
mod generic;
mod message;

pub use envelope::{Envelope, Event, PayloadReply, SKIP_ASSISTANT_HEADER, WebhookReply, event_names};
pub use field::Field;
pub use generic::{
    AgentMessage, AnswerText, ButtonItem, ButtonPanel, CardItem, CarouselItem, ChannelTransferItem, Choice, Citation,
    ConnectToAgentItem, ConversationalSearchItem, GenericItem, GridCell, GridItem, GridRow, Highlight, KeptItem,
    MediaItem, OptionItem, SearchAnswer, SearchItem, SearchResult, SuggestionItem, TableItem, TableRow, TextItem, Walk,
    reply_texts_mut,
};
pub use message::{
    BrowserInfo, ChatIntegration, Context, GlobalContext, Integrations, MessageInput, MessageOutput, MessageRequest,
    MessageResponse, Skill, Skills,
};

/// A pre-message request (`message_received`).
pub type PreMessageRequest = Envelope<MessageRequest>;
/// A post-message request (`message_processed`).
pub type PostMessageRequest = Envelope<MessageResponse>;
