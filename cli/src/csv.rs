//! The review spreadsheet's CSV, with the `csv` crate (RFC 4180: quoted fields with commas,
//! quotes and line breaks inside), made safe to open in a spreadsheet and to bring back:
//!
//! - a cell that a spreadsheet would run as a formula (its first character `=`, `+`, `-`, `@`, a
//!   tab or a carriage return) is written with a `'` in front, so it shows as text ("CSV
//!   Injection", OWASP); so is a cell that starts with `'` itself, so that every text comes back
//!   exactly: reading strips one leading `'`, never more;
//! - a UTF-8 byte-order mark (what spreadsheets write in "CSV UTF-8") is accepted on reading.

/// What marks a cell written so that it cannot run.
pub const GUARD: char = '\'';

/// `field` as written to the file: guarded when it starts like a formula or with the guard.
pub fn guard(field: &str) -> String {
    match field.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | GUARD) => format!("{GUARD}{field}"),
        _ => field.to_owned(),
    }
}

/// A cell as read back: one leading guard removed.
pub fn unguard(cell: &str) -> &str {
    cell.strip_prefix(GUARD).unwrap_or(cell)
}

/// The rows as CSV (CRLF line ends), every cell guarded.
pub fn write(rows: &[Vec<String>]) -> String {
    let mut writer = csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(row.iter().map(|field| guard(field)));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// Every row of `text`, each cell unguarded; an error names the line that cannot be read.
pub fn read(text: &str) -> Result<Vec<Vec<String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| match error.position() {
            Some(position) => format!("line {}: {error}", position.line()),
            None => error.to_string(),
        })?;
        rows.push(record.iter().map(|cell| unguard(cell).to_owned()).collect());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|field| (*field).to_owned()).collect()
    }

    #[test]
    fn fields_with_commas_quotes_and_line_breaks_round_trip() {
        let rows = vec![row(&["plain", "a, b", "say \"hi\"", "two\nlines", "¡Hola!"]), row(&["x", "", "z", "", ""])];
        assert_eq!(read(&write(&rows)).unwrap(), rows);
        assert!(write(&rows).ends_with("\r\n"));
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_written_so_they_cannot_and_come_back_unchanged() {
        let risky = ["=1+1", "+34 600 000 000", "-5 %", "@SUM(A1)", "\tTab", "\rReturn", "=HYPERLINK(\"x\")"];
        for text in risky {
            let written = write(&[row(&[text])]);
            assert!(written.trim_start_matches('"').starts_with('\''), "{text:?} written as {written:?}");
            assert_eq!(read(&written).unwrap(), vec![row(&[text])], "{text:?}");
        }
        // Safe first characters stay as they are.
        assert_eq!(write(&[row(&["Hello = world", "1+1"])]), "Hello = world,1+1\r\n");
    }

    #[test]
    fn a_text_that_starts_with_the_guard_itself_round_trips() {
        for text in ["'Tis the season", "''", "'", "'=1"] {
            assert_eq!(read(&write(&[row(&[text])])).unwrap(), vec![row(&[text])], "{text:?}");
        }
        assert_eq!(guard("'x"), "''x");
        assert_eq!(unguard("''x"), "'x", "exactly one guard is stripped");
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let rows = read("\u{feff}source,language\r\nHello,es\r\n").unwrap();
        assert_eq!(rows, vec![row(&["source", "language"]), row(&["Hello", "es"])]);
    }
}
