//! Protected spans: the parts of a text that machine translation must hand back byte-identical
//! and in place, while the words around them are still translated in one call.
//!
//! Amazon Translate's documented mechanism is HTML: it keeps tags and their attributes, and it
//! does not translate an element marked `translate="no"` (Amazon Translate Developer Guide,
//! "Using do-not-translate in Amazon Translate",
//! https://docs.aws.amazon.com/translate/latest/dg/customizing-translations-tags.html).
//! So a text is sent as HTML:
//! - an *atom* (URL, e-mail address, masked value's token, code span, id or number, protected term, line break with its
//!   list marker or heading, HTML entity, a tag that wraps nothing) becomes
//!   `<span translate="no" data-p="N">…</span>`;
//! - a *pair* whose inside is still prose (`**bold**`, `*em*`, `_em_`, `~~del~~`, `[label](target)`,
//!   an HTML element with its attributes) becomes `<b data-p="N">…</b>`, so the label or the
//!   emphasised words are translated and the delimiters and the link target are not;
//! - what is not markup (`&`, `<`, `>`) is escaped, and what comes back is unescaped, so the user
//!   never reads `&amp;` or `&#39;`.
//!
//! [`Protected::restore`] puts every original piece back by its number (a translation may move
//! it), and refuses an answer that lost, repeated or invented one: the caller then keeps the
//! original text (fail open) rather than show the user a damaged one.

use std::fmt::Write as _;
use std::ops::Range;

mod html;
mod spans;

use html::*;
use spans::*;
pub(crate) use spans::{email, ends_word, id_or_number, is_unspaced_script, placeholder, url};

/// The operator's do-not-translate list and the rules above, built once at cold start.
#[derive(Debug, Clone, Default)]
pub struct Protector {
    /// Longest first, so "Acme Cloud" wins over "Acme".
    terms: Vec<String>,
}

/// A text ready to send: its HTML form and the pieces to put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    html: String,
    pieces: Vec<Piece>,
    /// Leading and trailing white space, kept outside the call.
    lead: String,
    trail: String,
    translatable: bool,
    /// The words only, protected pieces replaced by a space: what the language check reads.
    prose: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Atom(String),
    Pair { open: String, close: String },
}

/// Why a translation could not be mapped back onto the original's protected pieces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("protected piece {0} is missing from the translation")]
    Missing(usize),
    #[error("protected piece {0} came back twice")]
    Repeated(usize),
    #[error("the translation holds markup that was not sent")]
    UnexpectedMarkup,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Atom(String),
    Pair { open: String, close: String, tag: String, children: Vec<Node> },
}

/// Elements with no closing tag.
const VOID_ELEMENTS: [&str; 14] =
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];
/// Elements whose content is code or data, never prose.
const OPAQUE_ELEMENTS: [&str; 6] = ["code", "pre", "script", "style", "kbd", "samp"];

impl Protector {
    /// `terms`: case-sensitive, matched whole (not inside a longer word), longest first.
    pub fn new<I, S>(terms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut terms: Vec<String> =
            terms.into_iter().map(Into::into).filter(|term: &String| !term.trim().is_empty()).collect();
        terms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        terms.dedup();
        Protector { terms }
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    pub fn protect(&self, text: &str) -> Protected {
        let core = text.trim();
        let start = text.len() - text.trim_start().len();
        let lead = text[..start].to_owned();
        let trail = text[start + core.len()..].to_owned();
        let nodes = self.scanner().scan(core, true);
        let mut protected = Protected {
            html: String::with_capacity(core.len() + 32),
            pieces: Vec::new(),
            lead,
            trail,
            translatable: false,
            prose: String::new(),
        };
        protected.render(nodes);
        protected
    }

    /// The byte ranges of `text` that one atom or markup pair takes whole, in order: a text cut
    /// strictly inside one would be protected differently, a cut anywhere else would not.
    pub fn covered(&self, text: &str) -> Vec<Range<usize>> {
        let core = text.trim();
        let start = text.len() - text.trim_start().len();
        let mut covered = Vec::new();
        self.scanner().scan_covering(core, true, &mut Some(&mut covered));
        covered.iter().map(|range| range.start + start..range.end + start).collect()
    }

    fn scanner(&self) -> Scanner<'_> {
        Scanner { protector: self }
    }
}

impl Protected {
    /// What goes to the translation service.
    pub fn html(&self) -> &str {
        &self.html
    }

    /// False when the text is made only of protected pieces, numbers, punctuation and spaces:
    /// there is nothing a translation could change, so no call is made.
    pub fn needs_translation(&self) -> bool {
        self.translatable
    }

    /// The words a translation would change, without URLs, ids, code or protected terms: a
    /// language check on this is not misled by an English command or an id in a Spanish message.
    pub fn prose(&self) -> &str {
        &self.prose
    }

    /// Whether anything was protected (for tests and logs).
    pub fn piece_count(&self) -> usize {
        self.pieces.len()
    }

    /// The original text, rebuilt without any translation (what `restore(html())` gives).
    pub fn original(&self) -> String {
        self.restore(&self.html).unwrap_or_default()
    }

    /// The translated HTML mapped back: every piece exactly once, in the place the translation put
    /// it, and every entity of the text unescaped.
    pub fn restore(&self, translated: &str) -> Result<String, RestoreError> {
        let mut out = String::with_capacity(translated.len() + self.lead.len() + self.trail.len());
        let mut used = vec![false; self.pieces.len()];
        let mut open: Vec<(String, Option<usize>)> = Vec::new();
        let mut rest = translated.trim();
        while !rest.is_empty() {
            if rest.starts_with('<')
                && let Some((tag, length)) = Tag::parse(rest)
            {
                rest = &rest[length..];
                match tag {
                    Tag::Open { name, piece, self_closing } => {
                        let Some(index) = piece.filter(|index| *index < self.pieces.len()) else {
                            return Err(RestoreError::UnexpectedMarkup);
                        };
                        if std::mem::replace(&mut used[index], true) {
                            return Err(RestoreError::Repeated(index));
                        }
                        match &self.pieces[index] {
                            Piece::Atom(atom) => {
                                out.push_str(atom);
                                if !self_closing {
                                    rest = skip_element(rest, &name).ok_or(RestoreError::UnexpectedMarkup)?;
                                }
                            }
                            Piece::Pair { open: opening, close } => {
                                out.push_str(opening);
                                if self_closing {
                                    out.push_str(close);
                                } else {
                                    open.push((name, Some(index)));
                                }
                            }
                        }
                    }
                    Tag::Close { name } => {
                        let Some((_, index)) = open.pop().filter(|(open_name, _)| *open_name == name) else {
                            return Err(RestoreError::UnexpectedMarkup);
                        };
                        if let Some(Piece::Pair { close, .. }) = index.map(|index| &self.pieces[index]) {
                            out.push_str(close);
                        }
                    }
                }
                continue;
            }
            if rest.starts_with('&')
                && let Some((decoded, length)) = decode_entity(rest)
            {
                out.push(decoded);
                rest = &rest[length..];
                continue;
            }
            let next = rest.char_indices().skip(1).find(|(_, c)| *c == '<' || *c == '&').map_or(rest.len(), |(i, _)| i);
            out.push_str(&rest[..next]);
            rest = &rest[next..];
        }
        if !open.is_empty() {
            return Err(RestoreError::UnexpectedMarkup);
        }
        if let Some(missing) = used.iter().position(|used| !used) {
            return Err(RestoreError::Missing(missing));
        }
        Ok(format!("{}{}{}", self.lead, out.trim(), self.trail))
    }

    fn render(&mut self, nodes: Vec<Node>) {
        for node in nodes {
            match node {
                Node::Text(text) => {
                    self.translatable |= text.chars().any(char::is_alphabetic);
                    escape_into(&mut self.html, &text);
                    self.prose.push_str(&text);
                }
                Node::Atom(atom) => {
                    self.prose.push(' ');
                    let index = self.pieces.len();
                    let _ = write!(self.html, "<span translate=\"no\" data-p=\"{index}\">");
                    escape_into(&mut self.html, &atom);
                    self.html.push_str("</span>");
                    self.pieces.push(Piece::Atom(atom));
                }
                Node::Pair { open, close, tag, children } => {
                    let index = self.pieces.len();
                    self.pieces.push(Piece::Pair { open, close });
                    let _ = write!(self.html, "<{tag} data-p=\"{index}\">");
                    self.render(children);
                    let _ = write!(self.html, "</{tag}>");
                }
            }
        }
    }
}

struct Scanner<'p> {
    protector: &'p Protector,
}

impl Scanner<'_> {
    /// Splits `text` into prose, atoms and pairs. `line_start`: `text` begins a line, so a list
    /// marker or heading there is markup.
    fn scan(&self, text: &str, line_start: bool) -> Vec<Node> {
        self.scan_covering(text, line_start, &mut None)
    }

    /// [`Self::scan`], noting in `covered` the byte range each atom or pair takes.
    fn scan_covering(&self, text: &str, line_start: bool, covered: &mut Option<&mut Vec<Range<usize>>>) -> Vec<Node> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut prose = String::new();
        let mut i = 0;
        let mut at_line_start = line_start;
        while i < text.len() {
            let rest = &text[i..];
            let previous = text[..i].chars().next_back();
            // In scripts written without spaces, an id starts right after a letter: "订单12345".
            let word_start = previous.is_none_or(|c| !c.is_alphanumeric() || is_unspaced_script(c));
            if at_line_start && let Some(length) = line_marker(rest) {
                push_atom(&mut nodes, &mut prose, &rest[..length]);
                take(covered, &mut i, length);
                at_line_start = false;
                continue;
            }
            at_line_start = false;
            if let Some(length) = line_break(rest) {
                push_atom(&mut nodes, &mut prose, &rest[..length]);
                take(covered, &mut i, length);
                at_line_start = true;
                continue;
            }
            if word_start && let Some(length) = self.word_atom(rest) {
                push_atom(&mut nodes, &mut prose, &rest[..length]);
                take(covered, &mut i, length);
                continue;
            }
            if let Some((node, length)) = self.markup(rest, previous) {
                flush(&mut nodes, &mut prose);
                match node {
                    Node::Atom(atom) => push_atom(&mut nodes, &mut prose, &atom),
                    other => nodes.push(other),
                }
                take(covered, &mut i, length);
                continue;
            }
            let c = rest.chars().next().unwrap_or_default();
            prose.push(c);
            i += c.len_utf8();
        }
        flush(&mut nodes, &mut prose);
        nodes
    }

    /// A protected term, URL, e-mail address, or id/number that starts a word here.
    fn word_atom(&self, rest: &str) -> Option<usize> {
        for term in &self.protector.terms {
            if rest.starts_with(term.as_str()) && ends_word(rest, term.len()) {
                return Some(term.len());
            }
        }
        // A masked value's token (`[email A]`) is kept whole, so postmessage finds it again.
        placeholder(rest)
            .or_else(|| url(rest))
            .or_else(|| email(rest))
            .or_else(|| crate::mask::token::token_length(rest))
            .or_else(|| id_or_number(rest))
    }

    /// Markdown or HTML markup starting here.
    fn markup(&self, rest: &str, previous: Option<char>) -> Option<(Node, usize)> {
        match rest.as_bytes()[0] {
            b'`' => code_span(rest).map(|length| (Node::Atom(rest[..length].to_owned()), length)),
            b'<' => self.html(rest),
            b'&' => entity_length(rest).map(|length| (Node::Atom(rest[..length].to_owned()), length)),
            b'[' => self.link(rest, "["),
            b'!' if rest.starts_with("![") => self.link(rest, "!["),
            b'*' | b'_' | b'~' => self.emphasis(rest, previous),
            _ => None,
        }
    }

    fn html(&self, rest: &str) -> Option<(Node, usize)> {
        if rest.starts_with("<!--") {
            let end = rest.find("-->")? + 3;
            return Some((Node::Atom(rest[..end].to_owned()), end));
        }
        if let Some(length) = autolink(rest) {
            return Some((Node::Atom(rest[..length].to_owned()), length));
        }
        let (tag, length) = Tag::parse(rest)?;
        let atom = |length: usize| Some((Node::Atom(rest[..length].to_owned()), length));
        let (name, self_closing) = match tag {
            Tag::Open { name, self_closing, .. } => (name, self_closing),
            Tag::Close { .. } => return atom(length),
        };
        if self_closing || VOID_ELEMENTS.contains(&name.as_str()) {
            return atom(length);
        }
        let inner = &rest[length..];
        let Some(inner_length) = element_content_length(inner, &name) else { return atom(length) };
        let close_length = Tag::parse(&inner[inner_length..]).map_or(0, |(_, close)| close);
        let whole = length + inner_length + close_length;
        // Code, and what the author already marked `translate="no"`, go whole.
        let marked_no = rest[..length].contains("translate=\"no\"") || rest[..length].contains("translate=no");
        if OPAQUE_ELEMENTS.contains(&name.as_str()) || marked_no {
            return atom(whole);
        }
        let children = self.scan(&inner[..inner_length], false);
        let node = Node::Pair {
            open: rest[..length].to_owned(),
            close: inner[inner_length..inner_length + close_length].to_owned(),
            tag: name,
            children,
        };
        Some((node, whole))
    }

    /// `[label](target)` or `![alt](source)`: the label is prose, the rest is kept.
    fn link(&self, rest: &str, opening: &str) -> Option<(Node, usize)> {
        let label_start = opening.len();
        let mut depth = 0usize;
        let mut label_end = None;
        for (offset, c) in rest[label_start..].char_indices() {
            match c {
                '\n' => return None,
                '[' => depth += 1,
                ']' if depth == 0 => {
                    label_end = Some(label_start + offset);
                    break;
                }
                ']' => depth -= 1,
                _ => {}
            }
        }
        let label_end = label_end?;
        let after = &rest[label_end + 1..];
        if !after.starts_with('(') {
            return None;
        }
        let mut depth = 0usize;
        let mut target_end = None;
        for (offset, c) in after.char_indices() {
            match c {
                '\n' => return None,
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        target_end = Some(offset + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let target_end = target_end?;
        if label_end == label_start || target_end <= 2 {
            return None;
        }
        let children = self.scan(&rest[label_start..label_end], false);
        let close = rest[label_end..label_end + 1 + target_end].to_owned();
        let tag = if opening == "[" { "a" } else { "span" };
        let node = Node::Pair { open: opening.to_owned(), close, tag: tag.to_owned(), children };
        Some((node, label_end + 1 + target_end))
    }

    /// `**x**`, `__x__`, `~~x~~`, `*x*`, `_x_` on one line, with CommonMark's flanking rules in
    /// their simplest form: no space just inside, and `_` never inside a word.
    fn emphasis(&self, rest: &str, previous: Option<char>) -> Option<(Node, usize)> {
        let first = rest.chars().next()?;
        let doubled = rest[1..].starts_with(first);
        if first == '~' && !doubled {
            return None;
        }
        let delimiter = if doubled { &rest[..2] } else { &rest[..1] };
        if first == '_' && previous.is_some_and(char::is_alphanumeric) {
            return None;
        }
        let body = &rest[delimiter.len()..];
        if body.starts_with(char::is_whitespace) || body.starts_with(first) {
            return None;
        }
        let line = &body[..body.find('\n').unwrap_or(body.len())];
        let mut from = 0;
        while let Some(found) = line[from..].find(delimiter) {
            let at = from + found;
            let before = line[..at].chars().next_back();
            let after = line[at + delimiter.len()..].chars().next();
            let closes = at > 0
                && before.is_some_and(|c| !c.is_whitespace())
                && !(first == '_' && after.is_some_and(char::is_alphanumeric))
                && !(!doubled && (after == Some(first) || before == Some(first)));
            if closes {
                let tag = match (first, doubled) {
                    ('~', _) => "s",
                    (_, true) => "b",
                    _ => "i",
                };
                let children = self.scan(&line[..at], false);
                let node = Node::Pair {
                    open: delimiter.to_owned(),
                    close: delimiter.to_owned(),
                    tag: tag.to_owned(),
                    children,
                };
                return Some((node, delimiter.len() * 2 + at));
            }
            from = at + delimiter.len();
        }
        None
    }
}

/// Moves `i` past a piece of `length` bytes, noting its range.
fn take(covered: &mut Option<&mut Vec<Range<usize>>>, i: &mut usize, length: usize) {
    if let Some(covered) = covered {
        covered.push(*i..*i + length);
    }
    *i += length;
}

fn flush(nodes: &mut Vec<Node>, prose: &mut String) {
    if !prose.is_empty() {
        nodes.push(Node::Text(std::mem::take(prose)));
    }
}

/// Adjacent atoms become one: fewer tags for the service to carry.
fn push_atom(nodes: &mut Vec<Node>, prose: &mut String, atom: &str) {
    flush(nodes, prose);
    if let Some(Node::Atom(last)) = nodes.last_mut() {
        last.push_str(atom);
    } else {
        nodes.push(Node::Atom(atom.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(protector: &Protector, text: &str) -> Protected {
        let protected = protector.protect(text);
        assert_eq!(protected.restore(protected.html()).as_deref(), Ok(text), "html: {}", protected.html());
        protected
    }

    #[test]
    fn prose_goes_as_it_is_and_markup_characters_are_escaped() {
        let protector = Protector::default();
        let plain = round_trip(&protector, "Let me check your order.");
        assert_eq!(plain.html(), "Let me check your order.");
        assert_eq!(plain.piece_count(), 0);
        let escaped = round_trip(&protector, "Fish & chips <b> 'quoted' \"too\"");
        assert_eq!(
            escaped.html(),
            "Fish &amp; chips <span translate=\"no\" data-p=\"0\">&lt;b&gt;</span> 'quoted' \"too\""
        );
        let decoded = escaped.restore(
            "Pescado &amp; patatas <span translate=\"no\" data-p=\"0\"></span> &#39;citado&#39; &quot;también&quot;",
        );
        assert_eq!(decoded.unwrap(), "Pescado & patatas <b> 'citado' \"también\"");
    }

    #[test]
    fn a_markdown_link_keeps_its_target_and_translates_its_label() {
        let protected = round_trip(&Protector::default(), "See [our FAQ](https://example.com/faq?a=1&b=2) now.");
        assert_eq!(protected.html(), "See <a data-p=\"0\">our FAQ</a> now.");
        let translated = "Mira <a data-p=\"0\">nuestras preguntas</a> ahora.";
        assert_eq!(
            protected.restore(translated).unwrap(),
            "Mira [nuestras preguntas](https://example.com/faq?a=1&b=2) ahora."
        );
    }

    #[test]
    fn atoms_survive_reordering_and_lost_pieces_are_refused() {
        let protected = round_trip(&Protector::new(["Acme Cloud"]), "Write to help@acme.com about Acme Cloud.");
        assert_eq!(protected.piece_count(), 2);
        let moved =
            "Sobre <span translate=no data-p=1>x</span>, escriba a <span translate=\"no\" data-p=\"0\">y</span>.";
        assert_eq!(protected.restore(moved).unwrap(), "Sobre Acme Cloud, escriba a help@acme.com.");
        assert_eq!(protected.restore("Escriba sobre Acme Cloud."), Err(RestoreError::Missing(0)));
        assert_eq!(protected.restore("<p>Escriba</p>"), Err(RestoreError::UnexpectedMarkup));
    }

    /// `shared/README.md`'s before-and-after example, exactly as sent.
    #[test]
    fn the_readme_example() {
        let reply = "See our [FAQ page](https://example.com/faq), write to help@example.com, or open \
                     <a href=\"https://example.com/app\">the Acme Cloud app</a>.";
        let protected = round_trip(&Protector::new(["Acme Cloud"]), reply);
        assert_eq!(
            protected.html(),
            "See our <a data-p=\"0\">FAQ page</a>, write to <span translate=\"no\" data-p=\"1\">help@example.com</span>, \
             or open <a data-p=\"2\">the <span translate=\"no\" data-p=\"3\">Acme Cloud</span> app</a>."
        );
    }

    #[test]
    fn a_text_of_only_protected_pieces_needs_no_call() {
        let protector = Protector::new(["Acme"]);
        for text in ["ABC-12345", "https://example.com", "juan@example.com", "Acme", "20:30", "42 ", "`reset password`"]
        {
            assert!(!protector.protect(text).needs_translation(), "{text}");
        }
        assert!(protector.protect("Acme rocks").needs_translation());
    }

    /// In scripts without spaces the id is its ASCII letters and digits, not the clause around it.
    #[test]
    fn an_id_inside_cjk_text_is_only_the_id() {
        let protector = Protector::default();
        for (text, ids, prose) in [
            ("我的订单12345在哪里？", &["12345"][..], "我的订单 在哪里？"),
            ("请问12月3日能送到吗", &["12", "3"][..], "请问 月 日能送到吗"),
            ("注文48213をキャンセルしたい", &["48213"][..], "注文 をキャンセルしたい"),
            ("주문번호 A1234B를 취소해 주세요", &["A1234B"][..], "주문번호  를 취소해 주세요"),
            ("ORD-778のステータス", &["ORD-778"][..], " のステータス"),
        ] {
            let protected = round_trip(&protector, text);
            assert!(protected.needs_translation(), "{text}");
            assert_eq!(protected.prose(), prose, "{text}");
            let atoms: Vec<&str> = protected
                .pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Atom(atom) => atom.as_str(),
                    Piece::Pair { .. } => panic!("no pair in {text}"),
                })
                .collect();
            assert_eq!(atoms, ids, "{text}");
        }
        // Latin ids are as before: letters and digits run together, accents included.
        assert_eq!(protector.protect("Pedido ABC-12345 y Größe12").piece_count(), 2);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of text as replies and messages hold them, and the characters that break parsers.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-zÀ-ÿ ]{1,12}",
            "\\PC{1,6}",
            Just("**".to_owned()),
            Just("*".to_owned()),
            Just("_".to_owned()),
            Just("~~".to_owned()),
            Just("`".to_owned()),
            Just("[".to_owned()),
            Just("](".to_owned()),
            Just(")".to_owned()),
            Just("<".to_owned()),
            Just(">".to_owned()),
            Just("&".to_owned()),
            Just("&amp;".to_owned()),
            Just("\n".to_owned()),
            Just("\n- ".to_owned()),
            Just("# ".to_owned()),
            Just("<b>".to_owned()),
            Just("</b>".to_owned()),
            Just("<br/>".to_owned()),
            Just("<a href=\"https://x.io/?a=1&b=2\">".to_owned()),
            Just("</a>".to_owned()),
            Just("https://example.com/a_(b)?c=d".to_owned()),
            Just("juan@example.com".to_owned()),
            Just("ABC-12345".to_owned()),
            Just("20:30".to_owned()),
            Just("Acme Cloud".to_owned()),
            Just("FAQ".to_owned()),
            Just(" ".to_owned()),
            Just("'\"".to_owned()),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(fragment(), 0..12).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// unprotect(protect(x)) == x, whatever the spans.
        #[test]
        fn restore_of_protect_is_the_identity(text in text()) {
            let protected = Protector::new(["Acme Cloud", "FAQ"]).protect(&text);
            prop_assert_eq!(protected.restore(protected.html()), Ok(text.clone()), "html: {}", protected.html());
        }

        /// A translation that rewrites every word and moves nothing still gets every piece back,
        /// in place, and the HTML it was sent is well formed for the service.
        #[test]
        fn pieces_survive_a_translation_of_the_words(text in text()) {
            let protected = Protector::new(["Acme Cloud", "FAQ"]).protect(&text);
            let translated = format!("[x] {}", protected.html());
            let restored = protected.restore(&translated).expect("restored");
            let core = format!("[x] {}", text.trim());
            prop_assert_eq!(restored, format!("{}{}{}", protected.lead, core.trim(), protected.trail));
            // Every `<` sent starts a tag: the service never sees a stray one.
            let html = protected.html();
            for (at, _) in html.match_indices('<') {
                prop_assert!(Tag::parse(&html[at..]).is_some(), "stray < in {}", html);
            }
        }
    }
}
