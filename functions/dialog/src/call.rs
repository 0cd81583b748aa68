//! A dialog node's parameters, read into what it asks for. Dialog nodes send a flat JSON object
//! (IBM's "Making a programmatic call from dialog", https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-dialog-webhooks); every problem is named, with what is accepted.

use serde_json::{Map, Value};

use crate::error::DialogError;

/// The `action`s this webhook offers.
pub const ACTIONS: &[&str] = &["translate", "detect"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogCall {
    /// `{"action": "translate", "text": …, "target": …, "source"?: …}`
    Translate { text: String, target: String, source: Option<String> },
    /// `{"action": "detect", "text": …}`
    Detect { text: String },
    /// IBM Language Translator v3's shape: `{"model_id": "en-es", "text": …}` or
    /// `{"source": "en", "target": "es", "text": …}`, `text` a string or a list of strings.
    LanguageTranslator { texts: Vec<String>, source: String, target: String },
}

impl DialogCall {
    pub fn parse(params: &Map<String, Value>) -> Result<DialogCall, DialogError> {
        match params.get("action") {
            Some(Value::String(action)) => match action.as_str() {
                "translate" => Ok(DialogCall::Translate {
                    text: text(params, "translate")?,
                    target: language(params, "target")?
                        .ok_or(DialogError::MissingParameter { name: "target", action: "translate" })?,
                    source: language(params, "source")?.filter(|source| source != "auto"),
                }),
                "detect" => Ok(DialogCall::Detect { text: text(params, "detect")? }),
                _ => Err(DialogError::UnknownAction),
            },
            Some(_) => Err(DialogError::InvalidParameter { name: "action", expected: "a string" }),
            None if params.contains_key("model_id") || params.contains_key("target") => language_translator(params),
            None => Err(DialogError::MissingParameter { name: "action", action: "any" }),
        }
    }
}

fn text(params: &Map<String, Value>, action: &'static str) -> Result<String, DialogError> {
    match params.get("text") {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(DialogError::InvalidParameter { name: "text", expected: "a string" }),
        None => Err(DialogError::MissingParameter { name: "text", action }),
    }
}

/// A language code such as `es`, `pt-PT` or `zh-TW`: a lower-case language and an optional region.
fn language(params: &Map<String, Value>, name: &'static str) -> Result<Option<String>, DialogError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(code)) if code.trim().is_empty() => Ok(None),
        Some(Value::String(code)) => valid_code(code.trim())
            .map(Some)
            .ok_or(DialogError::InvalidParameter { name, expected: "a language code such as es, pt-PT or zh-TW" }),
        Some(_) => Err(DialogError::InvalidParameter { name, expected: "a language code such as es, pt-PT or zh-TW" }),
    }
}

fn valid_code(code: &str) -> Option<String> {
    if code == "auto" {
        return Some(code.to_owned());
    }
    let (language, region) = match code.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (code, None),
    };
    let language_ok = (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_alphabetic());
    let region_ok = region.is_none_or(|r| (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    (language_ok && region_ok).then(|| match region {
        Some(region) => format!("{}-{}", language.to_ascii_lowercase(), region.to_ascii_uppercase()),
        None => language.to_ascii_lowercase(),
    })
}

fn language_translator(params: &Map<String, Value>) -> Result<DialogCall, DialogError> {
    let texts = match params.get("text") {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or(DialogError::InvalidParameter { name: "text", expected: "a string or a list of strings" })?,
        Some(_) => {
            return Err(DialogError::InvalidParameter { name: "text", expected: "a string or a list of strings" });
        }
        None => return Err(DialogError::MissingParameter { name: "text", action: "model_id" }),
    };
    let (source, target) = match params.get("model_id") {
        Some(Value::String(model)) => model_languages(model).ok_or(DialogError::InvalidParameter {
            name: "model_id",
            expected: "a model id such as en-es or en-zh-TW",
        })?,
        Some(_) => {
            return Err(DialogError::InvalidParameter {
                name: "model_id",
                expected: "a model id such as en-es or en-zh-TW",
            });
        }
        None => (
            language(params, "source")?.unwrap_or_else(|| "auto".to_owned()),
            language(params, "target")?.ok_or(DialogError::MissingParameter { name: "target", action: "model_id" })?,
        ),
    };
    Ok(DialogCall::LanguageTranslator { texts, source, target })
}

/// `en-es` → (`en`, `es`); `en-zh-TW` → (`en`, `zh-TW`); `zh-TW-en` → (`zh-TW`, `en`). A custom
/// model's suffix (`en-es-conversational`) is ignored: Amazon Translate has no such models.
fn model_languages(model: &str) -> Option<(String, String)> {
    let mut codes: Vec<String> = Vec::new();
    for part in model.split('-') {
        let is_language = (2..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_lowercase());
        let is_region = (2..=4).contains(&part.len()) && part.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
        if is_language && codes.len() < 2 {
            codes.push(part.to_owned());
        } else if is_region && !codes.is_empty() && !codes.last()?.contains('-') {
            let last = codes.last_mut()?;
            *last = format!("{last}-{part}");
        } else if codes.len() == 2 {
            break;
        } else {
            return None;
        }
    }
    match <[String; 2]>::try_from(codes) {
        Ok([source, target]) => Some((source, target)),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<DialogCall, DialogError> {
        DialogCall::parse(value.as_object().unwrap())
    }

    #[test]
    fn actions_and_the_language_translator_shape() {
        assert_eq!(
            parse(json!({"action": "translate", "text": "hola", "target": "EN"})),
            Ok(DialogCall::Translate { text: "hola".into(), target: "en".into(), source: None })
        );
        assert_eq!(
            parse(json!({"action": "translate", "text": "hola", "target": "pt-pt", "source": "es"})),
            Ok(DialogCall::Translate { text: "hola".into(), target: "pt-PT".into(), source: Some("es".into()) })
        );
        assert_eq!(parse(json!({"action": "detect", "text": "hola"})), Ok(DialogCall::Detect { text: "hola".into() }));
        assert_eq!(
            parse(json!({"model_id": "en-es", "text": "How are you?"})),
            Ok(DialogCall::LanguageTranslator {
                texts: vec!["How are you?".into()],
                source: "en".into(),
                target: "es".into()
            })
        );
        assert_eq!(
            parse(json!({"target": "de", "text": ["a", "b"]})),
            Ok(DialogCall::LanguageTranslator {
                texts: vec!["a".into(), "b".into()],
                source: "auto".into(),
                target: "de".into()
            })
        );
    }

    #[test]
    fn model_ids() {
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(model_languages("en-es"), pair("en", "es"));
        assert_eq!(model_languages("en-zh-TW"), pair("en", "zh-TW"));
        assert_eq!(model_languages("zh-TW-en"), pair("zh-TW", "en"));
        assert_eq!(model_languages("en-fr-CA"), pair("en", "fr-CA"));
        assert_eq!(model_languages("en-es-conversational"), pair("en", "es"));
        assert_eq!(model_languages("english-spanish"), None);
        assert_eq!(model_languages("en"), None);
    }

    #[test]
    fn problems_are_named() {
        assert_eq!(parse(json!({"action": "summarise", "text": "x"})), Err(DialogError::UnknownAction));
        assert_eq!(parse(json!({"text": "x"})), Err(DialogError::MissingParameter { name: "action", action: "any" }));
        assert_eq!(
            parse(json!({"action": "detect"})),
            Err(DialogError::MissingParameter { name: "text", action: "detect" })
        );
        assert_eq!(
            parse(json!({"action": "translate", "text": "x"})),
            Err(DialogError::MissingParameter { name: "target", action: "translate" })
        );
        assert!(matches!(
            parse(json!({"action": "translate", "text": 5, "target": "es"})),
            Err(DialogError::InvalidParameter { name: "text", .. })
        ));
        assert!(matches!(
            parse(json!({"action": "translate", "text": "x", "target": "spanish!"})),
            Err(DialogError::InvalidParameter { name: "target", .. })
        ));
        assert!(matches!(
            parse(json!({"model_id": "xx", "text": "x"})),
            Err(DialogError::InvalidParameter { name: "model_id", .. })
        ));
        assert!(matches!(
            parse(json!({"model_id": "en-es", "text": [1]})),
            Err(DialogError::InvalidParameter { name: "text", .. })
        ));
    }
}
