//! `Field<T>`: a JSON member that may be absent, `null`, or hold a value.
//!
//! `Option<T>` folds `null` and "absent" together, so a payload carrying `"text": null` would come
//! back without the member. Watson wants its payload back as it sent it, so typed members keep the
//! difference.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    /// The member is not in the object (skipped when serializing).
    #[default]
    Absent,
    /// The member is present as `null`.
    Null,
    Value(T),
}

impl<T> Field<T> {
    /// For `skip_serializing_if`.
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    pub fn as_ref(&self) -> Option<&T> {
        match self {
            Field::Value(value) => Some(value),
            Field::Absent | Field::Null => None,
        }
    }

    pub fn as_mut(&mut self) -> Option<&mut T> {
        match self {
            Field::Value(value) => Some(value),
            Field::Absent | Field::Null => None,
        }
    }

    /// The value, first replacing an absent or `null` member with `make()`.
    pub fn get_or_insert_with(&mut self, make: impl FnOnce() -> T) -> &mut T {
        if !matches!(self, Field::Value(_)) {
            *self = Field::Value(make());
        }
        match self {
            Field::Value(value) => value,
            Field::Absent | Field::Null => unreachable!("just set to a value"),
        }
    }
}

impl<T> From<T> for Field<T> {
    fn from(value: T) -> Self {
        Field::Value(value)
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Value(value) => value.serialize(serializer),
            Field::Absent | Field::Null => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Field::Value(value),
            None => Field::Null,
        })
    }
}
