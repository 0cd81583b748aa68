//! HTML tags inside a text: which element, which protected piece it carries, where it ends.

pub(super) enum Tag {
    Open { name: String, piece: Option<usize>, self_closing: bool },
    Close { name: String },
}

impl Tag {
    /// An HTML tag at the start of `text`, and its length. Attribute values may hold `>`.
    pub(super) fn parse(text: &str) -> Option<(Tag, usize)> {
        let body = text.strip_prefix('<')?;
        let (closing, body) = match body.strip_prefix('/') {
            Some(body) => (true, body),
            None => (false, body),
        };
        if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let name_length = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(body.len());
        let name = body[..name_length].to_ascii_lowercase();
        let mut quote: Option<char> = None;
        let mut end = None;
        for (offset, c) in body[name_length..].char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '>') => {
                    end = Some(name_length + offset);
                    break;
                }
                (None, '\n') if closing => return None,
                (None, '<') => return None,
                _ => {}
            }
        }
        let end = end?;
        let attributes = &body[name_length..end];
        if !attributes.is_empty() && !attributes.starts_with(|c: char| c.is_whitespace() || c == '/') {
            return None;
        }
        let length = 1 + usize::from(closing) + end + 1;
        if closing {
            return attributes.trim().is_empty().then_some((Tag::Close { name }, length));
        }
        let self_closing = attributes.trim_end().ends_with('/');
        Some((Tag::Open { name, piece: piece_attribute(attributes), self_closing }, length))
    }
}

/// The value of `data-p`, quoted or not.
pub(super) fn piece_attribute(attributes: &str) -> Option<usize> {
    let at = attributes.find("data-p")?;
    let value = attributes[at + "data-p".len()..].trim_start().strip_prefix('=')?.trim_start();
    let value = value.trim_start_matches(['"', '\'']);
    let digits = value.len() - value.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    value[..digits].parse().ok()
}

/// The length of an element's content up to (not including) its matching closing tag.
pub(super) fn element_content_length(inner: &str, name: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut offset = 0;
    while let Some(found) = inner[offset..].find('<') {
        let at = offset + found;
        match Tag::parse(&inner[at..]) {
            Some((Tag::Open { name: open, self_closing: false, .. }, length)) if open == name => {
                depth += 1;
                offset = at + length;
            }
            Some((Tag::Close { name: close }, length)) if close == name => {
                if depth == 0 {
                    return Some(at);
                }
                depth -= 1;
                offset = at + length;
            }
            Some((_, length)) => offset = at + length,
            None => offset = at + 1,
        }
    }
    None
}

/// Past the rest of an element whose start tag was just read, its closing tag included.
pub(super) fn skip_element<'t>(rest: &'t str, name: &str) -> Option<&'t str> {
    let content = element_content_length(rest, name)?;
    let (_, close) = Tag::parse(&rest[content..])?;
    Some(&rest[content + close..])
}
