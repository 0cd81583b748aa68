//! The one list of webhook functions: each function's name, the webhook the assistant calls it as,
//! the event it accepts, how it authenticates by default, its names in `template.yaml`, and the
//! facts the tests and scripts start from.
//!
//! Declared once, here. Everything else reads it: each function's `Webhook` impl
//! (`const FUNCTION`), `webhooks self-check` (which functions to check, their stack outputs and
//! secrets, what to paste where), the tests' tables (rows × [`Function::ALL`]), and, through
//! `shared/functions.json` (which a test below keeps equal to this table), the template tests,
//! the bench and the smoke script. Adding a function: a variant, its row in [`Function::facts`],
//! and `WRITE_FUNCTIONS_JSON=1 cargo test -p shared --lib functions` writes the JSON.

use serde::Serialize;

use crate::payload::event_names;

/// A webhook function of this workspace: one folder under `functions/`, one binary, one Lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    PreMessage,
    PostMessage,
    Dialog,
    Log,
    Audio,
}

/// How a function authenticates as the template deploys it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AuthDefault {
    /// `WEBHOOK_AUTH` by default (`shared::auth::AuthMode` names).
    pub mode: &'static str,
    /// The stack parameter that chooses the mode; `None`: fixed (`mode`, or `none` for tests).
    pub mode_parameter: Option<&'static str>,
    /// The stack parameter holding the secret (`WEBHOOK_SECRET`).
    pub secret_parameter: &'static str,
}

/// Everything the workspace knows about one function, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// The binary, the folder under `functions/`, the path of its local URL
    /// (`/lambda-url/<name>/`), the `function` field of its log lines and its metric dimension.
    pub name: &'static str,
    /// The Cargo package (the target of its log lines).
    pub package: &'static str,
    /// What IBM calls the webhook.
    pub webhook: &'static str,
    /// The event name its envelope must carry; `None`: any, or no envelope.
    pub event: Option<&'static str>,
    pub auth: AuthDefault,
    /// `template.yaml`: the function's logical id is `<logical_id>Function`, its role
    /// `<logical_id>FunctionRole`, its concurrency parameter `<logical_id>ReservedConcurrency`.
    pub logical_id: &'static str,
    /// `template.yaml`: its log group's logical id.
    pub log_group: &'static str,
    /// The stack output holding its URL.
    pub stack_output: &'static str,
    /// Where its URL goes in watsonx Assistant.
    pub paste_where: &'static str,
    /// Whether it calls the translation engine (and writes the translation metric line).
    pub translates: bool,
    /// Whether its request body is JSON: the JSON tables of the tests (bad input, forged tokens,
    /// properties) run against it. `false`: the audio webhook's `multipart/form-data`, whose
    /// refusals have a test file of their own (`tests/tests/audio.rs`).
    pub json_body: bool,
    /// The status of an accepted request.
    pub accepted_status: u16,
    /// A ready function-URL event for the local run (`tests/invoke/`), signed for it.
    pub invoke: &'static str,
    /// The valid request body the test tables start from (`tests/data/`); `None`: the body of
    /// `invoke`. Where the body is not JSON, a sample request of its own kind.
    pub fixture: Option<&'static str>,
}

const WEBHOOK_JWT: AuthDefault =
    AuthDefault { mode: "jwt", mode_parameter: Some("WebhookAuth"), secret_parameter: "WebhookSecret" };

const PRE_MESSAGE: Facts = Facts {
    name: "premessage",
    package: "premessage",
    webhook: "pre-message",
    event: Some(event_names::MESSAGE_RECEIVED),
    auth: WEBHOOK_JWT,
    logical_id: "PreMessage",
    log_group: "PreMessageLogGroup",
    stack_output: "PreMessageWebhookUrl",
    paste_where: "Environments > your environment > Settings > Pre-message webhook",
    translates: true,
    json_body: true,
    accepted_status: 200,
    invoke: "tests/invoke/premessage-english.json",
    fixture: Some("tests/data/ibm-docs-pre-message-request-sms-attachment.json"),
};

const POST_MESSAGE: Facts = Facts {
    name: "postmessage",
    package: "postmessage",
    webhook: "post-message",
    event: Some(event_names::MESSAGE_PROCESSED),
    auth: WEBHOOK_JWT,
    logical_id: "PostMessage",
    log_group: "PostMessageLogGroup",
    stack_output: "PostMessageWebhookUrl",
    paste_where: "Environments > your environment > Settings > Post-message webhook",
    translates: true,
    json_body: true,
    accepted_status: 200,
    invoke: "tests/invoke/postmessage-spanish.json",
    fixture: Some("tests/data/ibm-docs-post-message-request-actions.json"),
};

const DIALOG: Facts = Facts {
    name: "dialog",
    package: "dialog",
    webhook: "dialog",
    event: None,
    auth: AuthDefault {
        mode: "basic",
        mode_parameter: Some("DialogWebhookAuth"),
        secret_parameter: "DialogWebhookSecret",
    },
    logical_id: "Dialog",
    log_group: "DialogLogGroup",
    stack_output: "DialogWebhookUrl",
    paste_where: "Dialog skill > Options > Webhooks",
    translates: true,
    json_body: true,
    accepted_status: 200,
    invoke: "tests/invoke/dialog-detect.json",
    fixture: None,
};

const LOG: Facts = Facts {
    name: "log",
    package: "logwebhook",
    webhook: "log",
    event: None,
    auth: AuthDefault { mode: "jwt", mode_parameter: None, secret_parameter: "WebhookSecret" },
    logical_id: "Log",
    log_group: "LogFunctionLogGroup",
    stack_output: "LogWebhookUrl",
    paste_where: "Environments > your environment > Settings > Log webhook",
    translates: false,
    json_body: true,
    accepted_status: 201,
    invoke: "tests/invoke/log-message-logged.json",
    fixture: Some("tests/data/constructed-log-message-logged.json"),
};

const AUDIO: Facts = Facts {
    name: "audio",
    package: "audio",
    webhook: "audio",
    event: None,
    // The audio webhook always signs a JWT with its Secret, as the log webhook does; only
    // `WebhookAuth=none` turns the check off (template.yaml).
    auth: AuthDefault { mode: "jwt", mode_parameter: None, secret_parameter: "WebhookSecret" },
    logical_id: "Audio",
    log_group: "AudioFunctionLogGroup",
    stack_output: "AudioWebhookUrl",
    paste_where: "Environments > your environment > Settings > Audio webhook",
    translates: false,
    json_body: false,
    // IBM documents no status; its example server answers 200 (functions/audio/README.md).
    accepted_status: 200,
    invoke: "tests/invoke/audio-recording.json",
    fixture: Some("tests/data/ibm-assistant-toolkit-audio-webhook-request.multipart"),
};

impl Function {
    /// Every function, in the order tables and reports list them.
    pub const ALL: [Function; 5] =
        [Function::PreMessage, Function::PostMessage, Function::Dialog, Function::Log, Function::Audio];

    /// The one table.
    pub const fn facts(self) -> &'static Facts {
        match self {
            Function::PreMessage => &PRE_MESSAGE,
            Function::PostMessage => &POST_MESSAGE,
            Function::Dialog => &DIALOG,
            Function::Log => &LOG,
            Function::Audio => &AUDIO,
        }
    }

    pub const fn name(self) -> &'static str {
        self.facts().name
    }

    /// The Cargo package, which is also the target of its log lines.
    pub const fn package(self) -> &'static str {
        self.facts().package
    }

    pub const fn event(self) -> Option<&'static str> {
        self.facts().event
    }

    pub const fn stack_output(self) -> &'static str {
        self.facts().stack_output
    }

    /// Whether the assistant signs its calls with a JWT by default (pre-message, post-message
    /// and log webhooks); dialog callouts carry none.
    pub fn takes_signed_jwt(self) -> bool {
        self.facts().auth.mode == "jwt"
    }

    /// Whether its request body is JSON (every function but the audio webhook).
    pub const fn json_body(self) -> bool {
        self.facts().json_body
    }

    /// The functions whose request body is JSON: the ones the JSON test tables run against.
    pub fn with_json_body() -> impl Iterator<Item = Function> {
        Function::ALL.into_iter().filter(|function| function.json_body())
    }

    pub const fn accepted_status(self) -> u16 {
        self.facts().accepted_status
    }

    /// The function of that name (binary name).
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|function| function.name() == name)
    }

    /// The table as `shared/functions.json` holds it, for the scripts.
    pub fn registry_json() -> String {
        let facts: Vec<&Facts> = Function::ALL.iter().map(|function| function.facts()).collect();
        let mut text = serde_json::to_string_pretty(&facts).expect("plain data serialises");
        text.push('\n');
        text
    }
}

impl std::fmt::Display for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scripts read `shared/functions.json`; it is this table, so the two cannot drift.
    #[test]
    fn functions_json_is_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/functions.json");
        let file = std::fs::read_to_string(path).unwrap_or_default();
        let expected = Function::registry_json();
        if file != expected && std::env::var_os("WRITE_FUNCTIONS_JSON").is_some() {
            std::fs::write(path, &expected).expect("write shared/functions.json");
            return;
        }
        assert!(
            file == expected,
            "shared/functions.json is out of date: run `WRITE_FUNCTIONS_JSON=1 cargo test -p shared --lib functions`"
        );
    }

    #[test]
    fn names_and_outputs_are_unique_and_round_trip() {
        for (i, a) in Function::ALL.iter().enumerate() {
            assert_eq!(Function::from_name(a.name()), Some(*a));
            for b in &Function::ALL[i + 1..] {
                let (x, y) = (a.facts(), b.facts());
                assert!(x.name != y.name && x.package != y.package && x.logical_id != y.logical_id, "{a} {b}");
                assert!(x.stack_output != y.stack_output && x.log_group != y.log_group && x.invoke != y.invoke);
            }
        }
        assert_eq!(Function::from_name("nope"), None);
    }

    #[test]
    fn auth_defaults_are_modes_the_edge_knows() {
        for function in Function::ALL {
            let auth = function.facts().auth;
            assert!(crate::auth::AuthMode::NAMES.contains(&auth.mode), "{function}: {}", auth.mode);
        }
    }
}
