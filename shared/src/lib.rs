//! What the Watson webhook functions share: the payload types, webhook auth, the language check
//! and session state, translation, the HTTP edge, configuration, the log subscriber, and the one
//! list of functions.

pub mod auth;
pub mod aws;
pub mod config;
pub mod functions;
pub mod http;
pub mod language;
pub mod logging;
pub mod mask;
pub mod memory;
pub mod metrics;
pub mod oauth;
pub mod object_dir;
pub mod object_key;
pub mod payload;
pub mod protect;
pub mod secrets;
pub mod translate;
pub mod webhook;
