//! Finding personal values in a text, exact wherever a format can be checked:
//! - **iban**: a country of the IBAN registry with its length, optionally in groups of four,
//!   passing the ISO 13616 mod-97 check;
//! - **card**: 13 to 19 digits starting with 1 to 6 (airlines, banking and finance in ISO/IEC
//!   7812's major industry identifier), unbroken or in groups of 4 to 6 digits joined by single
//!   spaces or dashes (the last group shorter), passing Luhn's check;
//! - **phone**: by Google's libphonenumber metadata (the `phonenumber` crate): `+CC` numbers whose
//!   country code exists, always; national ones only with a region (`MASK_PHONE_REGION`), valid
//!   in its numbering plan, written with its trunk prefix where it has `0` (FR, DE…), and not
//!   shaped like a date;
//! - **email**: the syntax of an address (dot-atom local part, a domain with a top-level label);
//! - **ip**: IPv4 and IPv6 addresses as the standard library parses them.
//!
//! Values are found whole (never inside a longer word or number); when two kinds claim the same
//! characters, the first in the order above wins.

use std::ops::Range;

use phonenumber::country::Id as Region;

use super::Kind;

/// One value found: its kind and its byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    pub range: Range<usize>,
}

/// The enabled kinds, and the region national phone numbers are read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detector {
    kinds: Vec<Kind>,
    region: Option<Region>,
}

/// Space-like characters that group digits: space, no-break and narrow no-break space.
const GROUP_SPACES: [char; 3] = [' ', '\u{a0}', '\u{202f}'];

impl Detector {
    pub fn new(kinds: &[Kind], region: Option<Region>) -> Self {
        let kinds = Kind::ALL.into_iter().filter(|kind| kinds.contains(kind)).collect();
        Detector { kinds, region }
    }

    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// Every value of an enabled kind, in text order, none overlapping.
    pub fn find(&self, text: &str) -> Vec<Found> {
        let mut found: Vec<Found> = Vec::new();
        for &kind in &self.kinds {
            // A word inside a value already found starts no other (a card's groups are no phone).
            let free = |at: usize| !found.iter().any(|f| f.range.contains(&at));
            let ranges = self.candidates(kind, text, free);
            for range in ranges {
                if !found.iter().any(|f| f.range.start < range.end && range.start < f.range.end) {
                    found.push(Found { kind, range });
                }
            }
        }
        found.sort_by_key(|f| f.range.start);
        found
    }

    fn candidates(&self, kind: Kind, text: &str, free: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
        let starts = |first: fn(char) -> bool| starts(text, first).filter(|at| free(*at));
        match kind {
            Kind::Card => starts(|c| c.is_ascii_digit()).filter_map(|at| card_at(text, at)).collect(),
            Kind::Iban => starts(|c| c.is_ascii_alphabetic()).filter_map(|at| iban_at(text, at)).collect(),
            Kind::Phone if self.region.is_some() => starts(|c| c == '+' || c == '(' || c.is_ascii_digit())
                .filter_map(|at| phone_at(text, at, self.region))
                .collect(),
            Kind::Phone => starts(|c| c == '+').filter_map(|at| phone_at(text, at, None)).collect(),
            Kind::Email => emails(text),
            Kind::Ip => starts(|c| c.is_ascii_hexdigit() || c == ':').filter_map(|at| ip_at(text, at)).collect(),
        }
    }
}

/// Byte offsets where a word starts with a character `first` accepts.
fn starts(text: &str, first: impl Fn(char) -> bool) -> impl Iterator<Item = usize> {
    let mut previous: Option<char> = None;
    text.char_indices().filter_map(move |(at, c)| {
        let boundary =
            previous.is_none_or(|p| !(p.is_alphanumeric() || matches!(p, '+' | '.' | ':' | '@' | '-' | '_')));
        previous = Some(c);
        (boundary && first(c)).then_some(at)
    })
}

/// Whether the value ending at `end` ends a word.
fn ends_word(text: &str, end: usize) -> bool {
    text[end..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '@' | '_')))
}

/// Groups of `in_group` characters from `at`, joined by one separator `joins` accepts; the end of
/// each group, longest first.
fn group_ends(text: &str, at: usize, in_group: fn(char) -> bool, joins: fn(char) -> bool) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut chars = text[at..].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if in_group(c) {
            if chars.peek().is_none_or(|(_, next)| !in_group(*next)) {
                ends.push(at + offset + c.len_utf8());
            }
        } else if !(joins(c) && chars.peek().is_some_and(|(_, next)| in_group(*next))) {
            break;
        }
    }
    ends.reverse();
    ends
}

/// The characters of `span` that `keep` accepts (the digits of a grouped number).
fn kept(span: &str, keep: fn(char) -> bool) -> String {
    span.chars().filter(|c| keep(*c)).collect()
}

fn card_at(text: &str, at: usize) -> Option<Range<usize>> {
    if !matches!(text.as_bytes()[at], b'1'..=b'6') {
        return None;
    }
    let joins = |c: char| c == '-' || GROUP_SPACES.contains(&c);
    group_ends(text, at, |c| c.is_ascii_digit(), joins)
        .into_iter()
        .find(|&end| {
            let digits = text[at..end].bytes().filter(u8::is_ascii_digit).count();
            (13..=19).contains(&digits)
                && ends_word(text, end)
                && card_groups(&text[at..end])
                && luhn(&kept(&text[at..end], |c| c.is_ascii_digit()))
        })
        .map(|end| at..end)
}

/// Unbroken, or groups as cards print them: 4 to 6 digits each, the last 1 to 6 (`4-4-4-4`,
/// `4-6-5`, `4-4-4-1`), so an ISBN (`978-0-924960-24-6`) is not one.
fn card_groups(number: &str) -> bool {
    let groups: Vec<&str> = number.split(|c: char| !c.is_ascii_digit()).collect();
    let (last, rest) = groups.split_last().unwrap_or((&"", &[]));
    groups.len() == 1 || ((1..=6).contains(&last.len()) && rest.iter().all(|group| (4..=6).contains(&group.len())))
}

/// Luhn's check (ISO/IEC 7812-1): doubling every second digit from the right, the sum ends in 0.
pub fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 { if d > 4 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// IBAN length per country (SWIFT's IBAN registry).
const IBAN_LENGTHS: &str = "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 \
DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 \
KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 \
PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 \
YE30";

/// The IBAN length for the two letters `country` opens with, in either case. Each entry of the
/// table is five bytes ("AD24 "): no allocation or splitting per candidate word.
fn iban_length(country: [u8; 2]) -> Option<usize> {
    let country = country.map(|b| b.to_ascii_uppercase());
    let entry = IBAN_LENGTHS.as_bytes().chunks(5).find(|entry| entry[..2] == country)?;
    Some(usize::from(entry[2] - b'0') * 10 + usize::from(entry[3] - b'0'))
}

fn iban_at(text: &str, at: usize) -> Option<Range<usize>> {
    // Two letters and then check digits (perhaps after a space) open every IBAN: most words end
    // the search here, before the table.
    let opening = text.as_bytes().get(at..at + 3)?;
    if !opening[..2].iter().all(u8::is_ascii_alphabetic) || opening[2].is_ascii_alphabetic() {
        return None;
    }
    let length = iban_length([opening[0], opening[1]])?;
    let joins = |c: char| GROUP_SPACES.contains(&c);
    group_ends(text, at, |c| c.is_ascii_alphanumeric(), joins)
        .into_iter()
        .find(|&end| {
            let iban = kept(&text[at..end], |c| c.is_ascii_alphanumeric());
            iban.len() == length && ends_word(text, end) && iban_checksum(&iban)
        })
        .map(|end| at..end)
}

/// ISO 13616: the first four characters moved to the end, letters as 10…35, the number mod 97 is 1.
pub fn iban_checksum(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if bytes.len() < 5 || !bytes[2].is_ascii_digit() || !bytes[3].is_ascii_digit() {
        return false;
    }
    let mut remainder: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        let value = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            _ => return false,
        };
        let base = if value < 10 { 10 } else { 100 };
        remainder = (remainder * base + value) % 97;
    }
    remainder == 1
}

fn phone_at(text: &str, at: usize, region: Option<Region>) -> Option<Range<usize>> {
    let in_group = |c: char| c.is_ascii_digit() || c == '+' || c == '(' || c == ')';
    let joins = |c: char| matches!(c, '-' | '.' | '/') || GROUP_SPACES.contains(&c);
    group_ends(text, at, in_group, joins).into_iter().find_map(|end| {
        let digits = text[at..end].bytes().filter(u8::is_ascii_digit).count();
        let end_with_extension = extension_end(text, end);
        let fits = (7..=15).contains(&digits) && ends_word(text, end_with_extension) && balanced(&text[at..end]);
        (fits && is_phone_number(&text[at..end], region)).then_some(at..end_with_extension)
    })
}

/// `+CC` numbers: the country code exists and the rest could be a number there (a `+` followed by
/// grouped digits is a phone number in writing, even one outside the current numbering plan).
/// National numbers: valid in `region`'s numbering plan, nothing less.
fn is_phone_number(number: &str, region: Option<Region>) -> bool {
    if let Some(international) = number.strip_prefix('+') {
        return is_international_number(international);
    }
    let Some(region) = region else { return false };
    let digits = number.trim_start_matches('(');
    let trunk_zero =
        phonenumber::metadata::DATABASE.by_id(region.as_ref()).and_then(|m| m.national_prefix()) == Some("0");
    (!trunk_zero || digits.starts_with('0'))
        && !looks_like_date(number)
        && phonenumber::parse(Some(region), number).is_ok_and(|parsed| phonenumber::is_valid(&parsed))
}

/// The digits after a `+` as libphonenumber's parser reads them, without its general parser
/// (a regular expression cache behind a lock: about 16 µs a number): the first 1 to 3 digits that
/// are a country calling code in its metadata (never one starting with 0), then a national number
/// of at least 6 significant digits. The tests hold this to `phonenumber::parse`.
fn is_international_number(number: &str) -> bool {
    let digits: Vec<u8> = number.bytes().filter(u8::is_ascii_digit).collect();
    if digits.first().is_none_or(|first| *first == b'0') {
        return false;
    }
    let code_length = (1..=3.min(digits.len())).find(|&length| {
        let code = digits[..length].iter().fold(0u16, |code, digit| code * 10 + u16::from(digit - b'0'));
        phonenumber::metadata::DATABASE.region(&code).is_some()
    });
    let Some(code_length) = code_length else { return false };
    let national = &digits[code_length..];
    let significant = national.iter().skip_while(|digit| **digit == b'0').count();
    national.len() <= MAX_NATIONAL_DIGITS && significant >= 6
}

/// libphonenumber's longest national significant number.
const MAX_NATIONAL_DIGITS: usize = 17;

/// `09.11.1979`, `04/03/2010`, `2014-10-20`: three groups of day, month and year in some order.
fn looks_like_date(number: &str) -> bool {
    let groups: Vec<&str> = number.split(['.', '/', '-']).collect();
    let small = |group: &&str| group.len() <= 2 && group.parse::<u32>().is_ok_and(|n| (1..=31).contains(&n));
    let year = |group: &&str| group.len() == 4 || group.len() == 2;
    groups.len() == 3
        && groups.iter().all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()))
        && ((small(&groups[0]) && small(&groups[1]) && year(&groups[2]))
            || (groups[0].len() == 4 && small(&groups[1]) && small(&groups[2])))
}

/// Past an extension written right after a number (`x123`, ` ext. 123`), else `end`.
fn extension_end(text: &str, end: usize) -> usize {
    let rest = &text[end..];
    let marker = ["x", " x", " ext. ", " ext ", "ext."].into_iter().find(|marker| rest.starts_with(marker));
    let Some(marker) = marker else { return end };
    let digits = rest[marker.len()..].bytes().take_while(u8::is_ascii_digit).count();
    if (1..=6).contains(&digits) { end + marker.len() + digits } else { end }
}

/// `+` only first, parentheses paired.
fn balanced(number: &str) -> bool {
    let plus_first = number.rfind('+').is_none_or(|at| at == 0);
    plus_first && number.matches('(').count() == number.matches(')').count()
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c)
}

fn emails(text: &str) -> Vec<Range<usize>> {
    text.match_indices('@').filter_map(|(at, _)| email_around(text, at)).collect()
}

fn email_around(text: &str, at: usize) -> Option<Range<usize>> {
    let local_start = text[..at].char_indices().rev().take_while(|(_, c)| is_local_char(*c)).last()?.0;
    let mut start = local_start;
    while text[start..at].starts_with(['.', '\'']) {
        start += 1;
    }
    let local = &text[start..at];
    if local.is_empty() || local.ends_with('.') || local.contains("..") {
        return None;
    }
    let domain_len = text[at + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-')).count();
    let domain = text[at + 1..at + 1 + domain_len].trim_end_matches(['.', '-']);
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-');
    let tld = labels.last()?;
    let valid =
        labels.len() >= 2 && labels.iter().all(label_ok) && tld.len() >= 2 && tld.chars().all(char::is_alphabetic);
    let end = at + 1 + domain.len();
    (valid && ends_word(text, end)).then_some(start..end)
}

fn ip_at(text: &str, at: usize) -> Option<Range<usize>> {
    let length = text[at..].chars().take_while(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':')).count();
    let mut candidate = &text[at..at + length];
    if candidate.ends_with('.') || (candidate.ends_with(':') && !candidate.ends_with("::")) {
        candidate = &candidate[..candidate.len() - 1];
    }
    let end = at + candidate.len();
    let v4 = candidate.matches('.').count() == 3 && candidate.parse::<std::net::Ipv4Addr>().is_ok();
    let v6 = candidate.matches(':').count() >= 2 && candidate.parse::<std::net::Ipv6Addr>().is_ok();
    ((v4 || v6) && ends_word(text, end)).then_some(at..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(detector: &Detector, text: &str) -> Vec<(Kind, String)> {
        detector.find(text).into_iter().map(|f| (f.kind, text[f.range].to_owned())).collect()
    }

    fn all(region: Option<Region>) -> Detector {
        Detector::new(&Kind::ALL, region)
    }

    #[test]
    fn checksums() {
        assert!(luhn("4111111111111111") && !luhn("4111111111111112"));
        assert!(iban_checksum("DE89370400440532013000") && iban_checksum("GB82WEST12345698765432"));
        assert!(!iban_checksum("DE89370400440532013001"));
    }

    #[test]
    fn each_kind_whole_and_checked() {
        let text = "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, mail ana.b+x@example.co.uk. \
                    Call +33 6 12 34 56 78 from 192.168.0.10 or 2001:db8::1.";
        let expected = [
            (Kind::Card, "4111 1111 1111 1111"),
            (Kind::Iban, "DE89 3704 0044 0532 0130 00"),
            (Kind::Email, "ana.b+x@example.co.uk"),
            (Kind::Phone, "+33 6 12 34 56 78"),
            (Kind::Ip, "192.168.0.10"),
            (Kind::Ip, "2001:db8::1"),
        ];
        let expected: Vec<(Kind, String)> = expected.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        assert_eq!(found(&all(None), text), expected);
    }

    #[test]
    fn national_phone_numbers_only_with_a_region() {
        let text = "Appelez le 06 12 34 56 78 svp";
        assert!(found(&all(None), text).is_empty());
        assert_eq!(found(&all(Some(Region::FR)), text), [(Kind::Phone, "06 12 34 56 78".to_owned())]);
        let german = "Rufen Sie 030 12345678 an, nicht 3012345678";
        assert_eq!(found(&all(Some(Region::DE)), german), [(Kind::Phone, "030 12345678".to_owned())]);
        let us = "call (415) 555-2671 today or 415.555.2671x42";
        let expected = [(Kind::Phone, "(415) 555-2671".to_owned()), (Kind::Phone, "415.555.2671x42".to_owned())];
        assert_eq!(found(&all(Some(Region::US)), us), expected);
        let outside_the_plan = "+1-739-955-2346 or +999 1234 5678";
        assert_eq!(found(&all(None), outside_the_plan), [(Kind::Phone, "+1-739-955-2346".to_owned())]);
    }

    /// The fast `+CC` check gives `phonenumber::parse`'s answer on the numbers detection asks
    /// about (7 to 15 digits), every country code from 1 to 999, grouped by spaces.
    #[test]
    fn international_numbers_as_libphonenumber_reads_them() {
        let reference =
            |number: &str| phonenumber::parse(None, number).is_ok_and(|parsed| parsed.national().value() >= 100_000);
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |below: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % below
        };
        let (mut missed, mut extra) = (Vec::new(), Vec::new());
        for case in 0..20_000u64 {
            let code = 1 + case % 999;
            // 7 to 15 digits in all, the country code's included.
            let national_digits = 7 - code.to_string().len() as u64 + next(9);
            let mut number = format!("+{code}");
            for index in 0..national_digits {
                if index == 0 || next(3) == 0 {
                    number.push(' ');
                }
                number.push(char::from(b'0' + next(10) as u8));
            }
            match (is_international_number(&number[1..]), reference(&number)) {
                (false, true) => missed.push(number),
                (true, false) => extra.push(number),
                _ => {}
            }
        }
        assert!(missed.is_empty(), "{} numbers libphonenumber reads are missed: {missed:?}", missed.len());
        // Masked though the parser refuses them: a few short numbers whose national part starts
        // with the country's trunk prefix or a carrier code ("+7 874426": the parser drops
        // Russia's 8 and five digits are left). Over-masking errs on the user's side.
        assert!(extra.len() <= 100, "{} of 20,000 masked beyond the parser: {extra:?}", extra.len());
    }

    /// Written with only `-` and `.`, the crate reads a number as RFC 3966 and takes the whole
    /// first group for the country code, so it refuses "+4420-7946-0958"; Google's libphonenumber,
    /// and this check, read the country code off the digits.
    #[test]
    fn an_international_number_grouped_by_dashes_is_read_by_its_digits() {
        for number in ["+4420-7946-0958", "+33.6.12.34.56.78", "+1-415-555-2671"] {
            assert!(is_international_number(&number[1..]), "{number}");
        }
        for number in ["+999 1234 5678", "+0044 20 7946 0958", "+44 20", "+1 0000 0012"] {
            assert!(!is_international_number(&number[1..]), "{number}");
        }
    }

    #[test]
    fn look_alikes_are_left_alone() {
        for text in [
            "version 1.2.3 of the app",
            "order 12345678 shipped on 12.03.2024",
            "invoice 4111111111111112",
            "meet at 12:30 or 09:45:10",
            "IBAN DE89370400440532013001 is wrong",
            "write to ana@localhost or @handle",
            "build 10.0.19045",
            "order #A-2024-000123",
            "Die Bestellung 995934977 kam am 09.11.1979, 04/03/2010 oder 2014-10-20",
            "ISBN 978-0-924960-24-6, EAN 9001192496023",
        ] {
            assert_eq!(found(&all(Some(Region::FR)), text), [], "{text}");
        }
    }

    #[test]
    fn the_iban_table_is_read_in_five_byte_entries() {
        let entries: Vec<&str> = IBAN_LENGTHS.split(' ').collect();
        assert!(entries.iter().all(|e| e.len() == 4 && e[..2].bytes().all(|b| b.is_ascii_uppercase())), "{entries:?}");
        for entry in entries {
            let expected: usize = entry[2..].parse().unwrap();
            let country = [entry.as_bytes()[0], entry.as_bytes()[1].to_ascii_lowercase()];
            assert_eq!(iban_length(country), Some(expected), "{entry}");
        }
        assert_eq!(iban_length(*b"ZZ"), None);
    }

    #[test]
    fn an_iban_with_its_country_apart() {
        let text = "IBAN de 89 3704 0044 0532 0130 00, merci";
        assert_eq!(found(&all(None), text), [(Kind::Iban, "de 89 3704 0044 0532 0130 00".to_owned())]);
    }

    #[test]
    fn an_iban_is_not_read_as_a_card_inside_it() {
        let text = "IBAN : FR43 6350 0990 5766 9447 2633 353";
        assert_eq!(found(&all(None), text), [(Kind::Iban, "FR43 6350 0990 5766 9447 2633 353".to_owned())]);
    }

    #[test]
    fn only_enabled_kinds() {
        let detector = Detector::new(&[Kind::Email], None);
        assert_eq!(found(&detector, "a@b.io 4111111111111111"), [(Kind::Email, "a@b.io".to_owned())]);
    }
}
