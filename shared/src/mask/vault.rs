//! The sealed values of a session, in the context: `user_defined.masked_values`, an object from
//! a token's label to its sealed value (`{"email A": "…"}`), on every skill the context has.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::SealKey;
use crate::payload::Context;

/// The `user_defined` variable that holds the session's sealed values.
pub const MASKED_VALUES_KEY: &str = "masked_values";

pub(super) struct Vault {
    entries: Map<String, Value>,
}

impl Vault {
    pub fn read(context: &Context) -> Vault {
        let entries = context.user_defined(MASKED_VALUES_KEY).and_then(Value::as_object).cloned().unwrap_or_default();
        Vault { entries }
    }

    pub fn labels(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    pub fn insert(&mut self, label: &str, sealed: String) {
        self.entries.insert(label.to_owned(), Value::String(sealed));
    }

    pub fn open(&self, key: &SealKey, session: &str, label: &str) -> Option<String> {
        key.open(self.entries.get(label)?.as_str()?, session, label)
    }

    /// Every value that opens, to its label: a value seen before keeps its token.
    pub fn open_all(&self, key: &SealKey, session: &str) -> HashMap<String, String> {
        self.labels().filter_map(|label| Some((self.open(key, session, label)?, label.clone()))).collect()
    }

    pub fn write(self, context: &mut Context) {
        if !self.entries.is_empty() {
            context.set_user_defined(MASKED_VALUES_KEY, Value::Object(self.entries));
        }
    }
}
