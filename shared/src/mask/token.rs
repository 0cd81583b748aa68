//! The tokens that stand for masked values: `[email A]`, `[phone B]`, `[card A]`, numbered per
//! kind per session with capital letters (A…Z, then AA, AB…), so a token holds no digit a
//! detector or a translation could take for data. The translation's protector keeps a token
//! whole (it is a protected atom), so it comes back from Amazon Translate as sent.

use std::ops::Range;

use super::Kind;

/// `label`: what a token says inside its brackets, and the key of its sealed value.
pub fn label(kind: Kind, index: usize) -> String {
    format!("{} {}", kind.name(), letters(index))
}

/// The text that replaces a value: `[label]`.
pub fn token(label: &str) -> String {
    format!("[{label}]")
}

/// How many tokens of `kind` a vault of these labels already holds: the next one's index.
pub fn count_of(kind: Kind, labels: impl Iterator<Item = impl AsRef<str>>) -> usize {
    labels.filter(|label| parse_label(label.as_ref()).is_some_and(|(found, _)| found == kind)).count()
}

/// 0 → `A`, 25 → `Z`, 26 → `AA`, as spreadsheets name columns.
fn letters(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The length of a token at the start of `rest`, if one starts there.
pub fn token_length(rest: &str) -> Option<usize> {
    let inner = rest.strip_prefix('[')?;
    let end = inner.find(']')?;
    parse_label(&inner[..end]).map(|_| end + 2)
}

/// `email A` → (email, "A"); anything else → `None`.
pub fn parse_label(label: &str) -> Option<(Kind, &str)> {
    let (name, letters) = label.split_once(' ')?;
    let kind = Kind::parse(name)?;
    let valid = (1..=3).contains(&letters.len()) && letters.bytes().all(|b| b.is_ascii_uppercase());
    valid.then_some((kind, letters))
}

/// Every token in `text`: its byte range and its label.
pub fn find_tokens(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find('[') {
        let start = from + offset;
        match token_length(&text[start..]) {
            Some(length) => {
                found.push((start..start + length, &text[start + 1..start + length - 1]));
                from = start + length;
            }
            None => from = start + 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_count_in_letters() {
        assert_eq!(label(Kind::Email, 0), "email A");
        assert_eq!(label(Kind::Phone, 25), "phone Z");
        assert_eq!(label(Kind::Card, 26), "card AA");
        assert_eq!(label(Kind::Ip, 27), "ip AB");
        assert_eq!(token("iban C"), "[iban C]");
    }

    #[test]
    fn tokens_are_found_and_look_alikes_are_not() {
        let text = "Write to [email A] or [phone AB]; [email a], [mail A], [email 1] and [email A are not.";
        let found: Vec<&str> = find_tokens(text).into_iter().map(|(_, label)| label).collect();
        assert_eq!(found, ["email A", "phone AB"]);
        assert_eq!(token_length("[card B] then"), Some(8));
        assert_eq!(token_length("[card] then"), None);
        assert_eq!(count_of(Kind::Email, ["email A", "phone A", "email B"].iter()), 2);
    }
}
