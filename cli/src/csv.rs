//! RFC 4180 CSV, just what the translation round trip needs: quoted fields with commas, quotes
//! and line breaks inside.

pub fn write_row(out: &mut String, fields: &[&str]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

/// Every row of `text`; an error names the line where a quoted field never closes.
pub fn read(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut line) = (false, 1);
    let mut chars = text.chars().peekable();
    let mut started = false;
    while let Some(c) = chars.next() {
        started = true;
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                line += 1;
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                started = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {line}: a quoted field never closes"));
    }
    if started {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_and_line_breaks_round_trip() {
        let fields = ["plain", "a, b", "say \"hi\"", "two\nlines", "¡Hola!"];
        let mut text = String::new();
        write_row(&mut text, &fields);
        write_row(&mut text, &["x", "", "z", "", ""]);
        let rows = read(&text).unwrap();
        assert_eq!(
            rows,
            vec![fields.map(str::to_owned).to_vec(), vec!["x".into(), "".into(), "z".into(), "".into(), "".into()]]
        );
        assert!(read("a,\"open\n").unwrap_err().starts_with("line 2"));
    }
}
