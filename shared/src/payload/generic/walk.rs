//! The walk over what a user reads: each payload type says which of its members hold user-visible
//! text, and the walk collects them (for translation) without knowing the types around it.

use serde_json::Value;

use super::GenericItem;
use crate::payload::Field;

/// A payload value that may hold text a user reads, or response items nested inside it.
pub trait Walk {
    /// Appends every text a user reads in this value, in document order. Never a `value`, an id,
    /// a URL or a member of an unknown response type.
    fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut String>);

    /// Appends the response items this value is or holds at its top level (a card's body, a grid
    /// cell, a button's panel), for the steps that must reach every nested item.
    fn response_items_mut<'a>(&'a mut self, out: &mut Vec<&'a mut GenericItem>) {
        let _ = out;
    }
}

impl Walk for String {
    fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut String>) {
        out.push(self);
    }
}

/// A table's header or cell: a string is read, a number stays a number.
impl Walk for Value {
    fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut String>) {
        if let Value::String(text) = self {
            out.push(text);
        }
    }
}

impl<T: Walk> Walk for Field<T> {
    fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut String>) {
        if let Some(value) = self.as_mut() {
            value.texts_mut(out);
        }
    }

    fn response_items_mut<'a>(&'a mut self, out: &mut Vec<&'a mut GenericItem>) {
        if let Some(value) = self.as_mut() {
            value.response_items_mut(out);
        }
    }
}

impl<T: Walk> Walk for Vec<T> {
    fn texts_mut<'a>(&'a mut self, out: &mut Vec<&'a mut String>) {
        self.iter_mut().for_each(|value| value.texts_mut(out));
    }

    fn response_items_mut<'a>(&'a mut self, out: &mut Vec<&'a mut GenericItem>) {
        self.iter_mut().for_each(|value| value.response_items_mut(out));
    }
}
