//! The spans a protected text keeps as they are: where each one ends, given the rest of the text.

pub(crate) fn ends_word(rest: &str, length: usize) -> bool {
    let last = rest[..length].chars().next_back();
    let next = rest[length..].chars().next();
    !(last.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric))
}

/// A run of white space holding a line break (Markdown's hard break "  \n" included).
pub(super) fn line_break(rest: &str) -> Option<usize> {
    let length = rest.find(|c: char| !c.is_whitespace()).unwrap_or(rest.len());
    rest[..length].contains('\n').then_some(length)
}

/// A list marker, heading, quote or rule at the start of a line, with its spaces.
pub(super) fn line_marker(rest: &str) -> Option<usize> {
    let indent = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let line = &rest[indent..];
    let line_end = line.find('\n').unwrap_or(line.len());
    let trimmed = line[..line_end].trim_end();
    if trimmed.len() >= 3 && (trimmed.chars().all(|c| c == '-') || trimmed.chars().all(|c| c == '*')) {
        return Some(indent + trimmed.len());
    }
    let marker = if line.starts_with('#') {
        let hashes = line.len() - line.trim_start_matches('#').len();
        (hashes <= 6).then_some(hashes)?
    } else if line.starts_with(['-', '*', '+', '>', '•']) {
        line.chars().next()?.len_utf8()
    } else {
        let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if !(1..=9).contains(&digits) || !line[digits..].starts_with(['.', ')']) {
            return None;
        }
        digits + 1
    };
    let spaces = line[marker..].len() - line[marker..].trim_start_matches([' ', '\t']).len();
    (spaces > 0 || line[marker..].starts_with('\n')).then_some(indent + marker + spaces)
}

pub(super) fn code_span(rest: &str) -> Option<usize> {
    let ticks = rest.len() - rest.trim_start_matches('`').len();
    let fence = &rest[..ticks];
    let mut from = ticks;
    while let Some(found) = rest[from..].find(fence) {
        let at = from + found;
        let run = rest[at..].len() - rest[at..].trim_start_matches('`').len();
        if run == ticks {
            return (at > ticks).then_some(at + ticks);
        }
        from = at + run;
    }
    None
}

/// Where a URL-ish token ends: white space, or a character that closes the sentence around it.
pub(super) fn token_length(rest: &str) -> usize {
    let end = rest.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`')).unwrap_or(rest.len());
    let mut token = &rest[..end];
    loop {
        let trimmed = token.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '*', '_', '~']);
        // A closing bracket the token did not open belongs to the sentence: "(see https://x.io)".
        let unbalanced = |open: char, close: char| {
            trimmed.ends_with(close) && trimmed.matches(open).count() < trimmed.matches(close).count()
        };
        let trimmed =
            if unbalanced('(', ')') || unbalanced('[', ']') { &trimmed[..trimmed.len() - 1] } else { trimmed };
        if trimmed.len() == token.len() {
            return token.len();
        }
        token = trimmed;
    }
}

/// A template's numbered placeholder, `{1}` to `{999}` (see `translate/template.rs`): one atom,
/// so the service keeps it whole and in place.
pub(crate) fn placeholder(rest: &str) -> Option<usize> {
    let digits = rest.strip_prefix('{')?.bytes().take_while(u8::is_ascii_digit).count();
    ((1..=3).contains(&digits) && rest.as_bytes().get(digits + 1) == Some(&b'}')).then_some(digits + 2)
}

pub(crate) fn url(rest: &str) -> Option<usize> {
    let scheme = ["https://", "http://", "www.", "mailto:", "tel:", "ftp://"]
        .iter()
        .find(|s| rest.as_bytes().get(..s.len()).is_some_and(|start| start.eq_ignore_ascii_case(s.as_bytes())))?;
    let length = token_length(rest);
    (length > scheme.len()).then_some(length)
}

/// Whether the word that starts `rest` (up to white space) holds a byte `wanted` accepts. No span
/// below reaches past white space, so this cheap test ends the search for most words.
fn word_holds(rest: &str, wanted: impl Fn(u8) -> bool) -> bool {
    rest.bytes().take_while(|b| !b.is_ascii_whitespace()).any(wanted)
}

pub(crate) fn email(rest: &str) -> Option<usize> {
    if !word_holds(rest, |b| b == b'@') {
        return None;
    }
    let length = token_length(rest);
    let token = &rest[..length];
    let (local, domain) = token.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\''));
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'));
    (local_ok && domain_ok).then_some(length)
}

/// A token that holds a digit: an order id (`ABC-12345`), a time (`20:30`), a date, a version,
/// a number. Machine translation reformats or splits these; entity matching needs them as typed.
/// A letter of a script written without spaces ends the token: in "我的订单12345在哪里" or
/// "12月3日" the ids are the digits, and the ideographs around them are words to translate.
pub(crate) fn id_or_number(rest: &str) -> Option<usize> {
    if !word_holds(rest, |b| b.is_ascii_digit()) {
        return None;
    }
    let joiner = |c: char| matches!(c, '-' | '_' | '/' | '.' | ':' | '#' | '+' | ',');
    let mut length = 0;
    for (offset, c) in rest.char_indices() {
        if is_unspaced_script(c) {
            break;
        }
        if c.is_alphanumeric() || (offset == 0 && c == '#') || (offset > 0 && joiner(c)) {
            length = offset + c.len_utf8();
        } else {
            break;
        }
    }
    // A token ends on a letter or digit: "order 12." keeps its full stop as prose.
    let token = rest[..length].trim_end_matches(|c: char| !c.is_alphanumeric());
    (token.chars().any(|c| c.is_ascii_digit()) && !token.is_empty()).then_some(token.len())
}

/// Letters of scripts that run words together, or glue particles to numbers ("12345를"): Han,
/// kana, Hangul, Thai, Lao, Khmer, Myanmar.
pub(crate) fn is_unspaced_script(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' // hiragana, katakana
        | '\u{31F0}'..='\u{31FF}' // katakana extensions
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{FF66}'..='\u{FF9F}' // half-width katakana
        | '\u{20000}'..='\u{3134F}' // CJK extensions B to G
        | '\u{1100}'..='\u{11FF}' // Hangul jamo
        | '\u{3130}'..='\u{318F}' // Hangul compatibility jamo
        | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
        | '\u{0E00}'..='\u{0EFF}' // Thai, Lao
        | '\u{1000}'..='\u{109F}' // Myanmar
        | '\u{1780}'..='\u{17FF}' // Khmer
    )
}

pub(super) fn autolink(rest: &str) -> Option<usize> {
    let end = rest.find('>')?;
    let inner = &rest[1..end];
    if inner.contains(char::is_whitespace) {
        return None;
    }
    (url(inner) == Some(inner.len()) || email(inner) == Some(inner.len())).then_some(end + 1)
}

pub(super) fn entity_length(rest: &str) -> Option<usize> {
    let end = rest.bytes().take(12).position(|b| b == b';')?;
    let name = &rest[1..end];
    let valid = if let Some(number) = name.strip_prefix('#') {
        match number.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
        }
    } else {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())
    };
    valid.then_some(end + 1)
}

/// The entities a translation service may use for plain text, decoded.
pub(super) fn decode_entity(rest: &str) -> Option<(char, usize)> {
    let length = entity_length(rest)?;
    let name = &rest[1..length - 1];
    let decoded = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((decoded, length))
}

pub(super) fn escape_into(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            _ => html.push(c),
        }
    }
}
