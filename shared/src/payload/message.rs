//! The v2 message request and response, and the session context they carry (IBM's pre- and post-message webhook pages, https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-webhook-pre, https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-webhook-post).
//!
//! Only what the functions read or write is typed; every other member lands in `extra` and is
//! written back unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Field, GenericItem};

/// The v2 `/message` request: the pre-message `payload`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageRequest {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub input: Field<MessageInput>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub context: Field<Context>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `input`: `text` is typed; `message_type`, `options`, `source`, `attachments`, … stay as received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageInput {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub text: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The v2 `/message` response: the post-message `payload` (and a skip-mode pre-message reply).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageResponse {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub output: Field<MessageOutput>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub context: Field<Context>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageOutput {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub generic: Field<Vec<GenericItem>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The session context. `skills` uses the literal keys `"main skill"` (dialog) and
/// `"actions skill"` (actions); they are not the skills' names (IBM's "Making a pre-message webhook call" samples).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub global: Field<GlobalContext>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub skills: Field<Skills>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub integrations: Field<Integrations>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GlobalContext {
    /// `timezone`, `user_id`, `turn_count`, `locale`, `skip_user_input`, …
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub system: Field<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Skills {
    #[serde(rename = "main skill", default, skip_serializing_if = "Field::is_absent")]
    pub main: Field<Skill>,
    #[serde(rename = "actions skill", default, skip_serializing_if = "Field::is_absent")]
    pub actions: Field<Skill>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One skill's context. `user_defined` is where webhooks keep their variables (IBM's pre-message page, its translation example);
/// `skill_variables` are an actions skill's session variables, which actions can read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub user_defined: Field<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub skill_variables: Field<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub system: Field<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Integrations {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub chat: Field<ChatIntegration>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatIntegration {
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub browser_info: Field<BrowserInfo>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BrowserInfo {
    /// The browser's language, e.g. `en-US`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub language: Field<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessageRequest {
    /// `input.text`, if present.
    pub fn text(&self) -> Option<&str> {
        self.input.as_ref()?.text.as_ref().map(String::as_str)
    }

    pub fn context_mut(&mut self) -> &mut Context {
        self.context.get_or_insert_with(Context::default)
    }
}

impl MessageResponse {
    pub fn generic_mut(&mut self) -> Option<&mut Vec<GenericItem>> {
        self.output.as_mut()?.generic.as_mut()
    }

    pub fn context_mut(&mut self) -> &mut Context {
        self.context.get_or_insert_with(Context::default)
    }
}

impl Context {
    /// The skills that are present, actions skill first (the current docs' place).
    pub fn skills(&self) -> impl Iterator<Item = &Skill> {
        let skills = self.skills.as_ref();
        [skills.and_then(|s| s.actions.as_ref()), skills.and_then(|s| s.main.as_ref())].into_iter().flatten()
    }

    /// A `user_defined` variable, read from the actions skill first, then the main (dialog) skill.
    pub fn user_defined(&self, key: &str) -> Option<&Value> {
        self.skills().find_map(|skill| skill.user_defined.as_ref()?.get(key))
    }

    /// An actions-skill session variable (`skill_variables`), if present.
    pub fn skill_variable(&self, key: &str) -> Option<&Value> {
        self.skills.as_ref()?.actions.as_ref()?.skill_variables.as_ref()?.get(key)
    }

    /// Whether the context carries the integration `name` (`voice_telephony` on the phone channel).
    pub fn has_integration(&self, name: &str) -> bool {
        self.integrations.as_ref().is_some_and(|integrations| match name {
            "chat" => integrations.chat.as_ref().is_some(),
            _ => integrations.extra.get(name).is_some_and(|value| !value.is_null()),
        })
    }

    /// The browser's language hint from the web chat integration.
    pub fn browser_language(&self) -> Option<&str> {
        let chat = self.integrations.as_ref()?.chat.as_ref()?;
        chat.browser_info.as_ref()?.language.as_ref().map(String::as_str)
    }

    /// The skills to write to: the ones present, or both kinds when neither is (the webhook
    /// cannot tell whether the assistant runs a dialog or an actions skill).
    fn skills_to_write(&mut self) -> Vec<&mut Skill> {
        let skills = self.skills.get_or_insert_with(Skills::default);
        let (has_actions, has_main) = (skills.actions.as_ref().is_some(), skills.main.as_ref().is_some());
        let (write_actions, write_main) = if has_actions || has_main { (has_actions, has_main) } else { (true, true) };
        let mut out = Vec::with_capacity(2);
        if write_actions {
            out.push(skills.actions.get_or_insert_with(Skill::default));
        }
        if write_main {
            out.push(skills.main.get_or_insert_with(Skill::default));
        }
        out
    }

    /// Sets a `user_defined` variable on every skill present (creating the objects as needed).
    pub fn set_user_defined(&mut self, key: &str, value: Value) {
        for skill in self.skills_to_write() {
            skill.user_defined.get_or_insert_with(Map::new).insert(key.to_owned(), value.clone());
        }
    }

    /// Removes a `user_defined` variable wherever it is.
    pub fn remove_user_defined(&mut self, key: &str) {
        let Some(skills) = self.skills.as_mut() else { return };
        for skill in [skills.actions.as_mut(), skills.main.as_mut()].into_iter().flatten() {
            if let Some(vars) = skill.user_defined.as_mut() {
                vars.remove(key);
            }
        }
    }

    /// Sets an actions-skill session variable (`skill_variables`), creating the objects as needed.
    /// Dialog skills have no session variables of this kind, so only the actions skill is written,
    /// and only when the context has one or has no skill at all.
    pub fn set_skill_variable(&mut self, key: &str, value: Value) {
        let skills = self.skills.get_or_insert_with(Skills::default);
        if skills.main.as_ref().is_some() && skills.actions.as_ref().is_none() {
            return;
        }
        let actions = skills.actions.get_or_insert_with(Skill::default);
        actions.skill_variables.get_or_insert_with(Map::new).insert(key.to_owned(), value);
    }
}
