//! The webhook envelope: `{"event": {"name": …}, "options": {}, "payload": …}` (IBM's pre-message, post-message and log webhook pages).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Field;

/// A pre-message, post-message or log webhook request. `P` is the payload type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<P> {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub event: Field<Event>,
    /// Undocumented and always `{}` so far; kept as received.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub options: Field<Map<String, Value>>,
    pub payload: P,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<P> Envelope<P> {
    /// The event name, if the request carries one.
    pub fn event_name(&self) -> Option<&str> {
        self.event.as_ref()?.name.as_ref().map(String::as_str)
    }
}

/// The event names the assistant sends (IBM's "Webhook overview", https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-webhook-overview).
pub mod event_names {
    pub const MESSAGE_RECEIVED: &str = "message_received";
    pub const MESSAGE_PROCESSED: &str = "message_processed";
    pub const MESSAGE_LOGGED: &str = "message_logged";
    pub const CDR_LOGGED: &str = "cdr_logged";
}

/// What a pre-message webhook answers (IBM's "Making a pre-message webhook call": normal and skip-processing replies).
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookReply<Req, Resp> {
    /// `{"payload": …}`: the message goes on to the assistant (or, for post-message, to the channel).
    Continue(Req),
    /// A message response returned straight to the channel, skipping the assistant. Sent with the
    /// `x-watson-assistant-webhook-return` response header and without the `payload` wrapper.
    Skip(Resp),
}

/// The response header that makes the assistant skip processing (any value works).
pub const SKIP_ASSISTANT_HEADER: &str = "x-watson-assistant-webhook-return";

/// The `{"payload": …}` body of a normal reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayloadReply<P> {
    pub payload: P,
}
