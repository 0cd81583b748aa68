//! `webhooks translations export|import`: the review round trip of the translation memory.
//! Export writes the machine translations most used as CSV (source, language, translation, uses,
//! id); a reviewer corrects the translation column; import marks each row's entry reviewed (it
//! then never expires and wins over machine translation). The id column ties a row to its entry:
//! the same text under other settings or terminology is another entry.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use clap::Subcommand;
use shared::memory::{MemoryEntry, parse_item};

use crate::csv;

pub const HEADER: [&str; 5] = ["source", "language", "translation", "uses", "id"];

#[derive(Subcommand)]
pub enum Command {
    /// Machine translations, most used first, as CSV on stdout.
    Export {
        /// The table (the stack's TranslationTableName output).
        #[arg(long)]
        table: String,
        /// At most this many rows.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Only this target language.
        #[arg(long)]
        language: Option<String>,
        /// A local DynamoDB (e.g. http://127.0.0.1:8000), with test credentials.
        #[arg(long)]
        endpoint: Option<String>,
    },
    /// Marks each row of a reviewed CSV (as exported) reviewed, with its translation.
    Import {
        #[arg(long)]
        table: String,
        file: PathBuf,
        #[arg(long)]
        endpoint: Option<String>,
    },
}

pub async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Export { table, limit, language, endpoint } => {
            let client = client(endpoint.as_deref()).await;
            print!("{}", export(&client, &table, limit, language.as_deref()).await?);
            Ok(())
        }
        Command::Import { table, file, endpoint } => {
            let text = std::fs::read_to_string(&file).map_err(|error| format!("{}: {error}", file.display()))?;
            let client = client(endpoint.as_deref()).await;
            let count = import(&client, &table, &text).await?;
            eprintln!("{count} translations marked reviewed");
            Ok(())
        }
    }
}

/// The DynamoDB client the commands use: the environment's credentials, or a local endpoint.
pub async fn client(endpoint: Option<&str>) -> Client {
    Client::new(&shared::aws::sdk_config(Duration::from_secs(30), &endpoint.map(str::to_owned).into()).await)
}

/// Every live entry of `table` (a full scan: run it off-peak on a large table).
async fn scan(client: &Client, table: &str) -> Result<Vec<MemoryEntry>, String> {
    let mut entries = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let output = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|error| format!("scan {table}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(error)))?;
        entries.extend(output.items().iter().filter_map(parse_item));
        match output.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return Ok(entries),
        }
    }
}

pub async fn export(client: &Client, table: &str, limit: usize, language: Option<&str>) -> Result<String, String> {
    let mut entries: Vec<MemoryEntry> = scan(client, table)
        .await?
        .into_iter()
        .filter(|entry| !entry.reviewed && language.is_none_or(|language| entry.target == language))
        .collect();
    entries.sort_by(|a, b| b.uses.cmp(&a.uses).then_with(|| a.text.cmp(&b.text)));
    let mut out = String::new();
    csv::write_row(&mut out, &HEADER);
    for entry in entries.iter().take(limit) {
        let uses = entry.uses.to_string();
        csv::write_row(&mut out, &[&entry.text, &entry.target, &entry.translation, &uses, &entry.id]);
    }
    Ok(out)
}

/// Marks every row's entry reviewed; the number done. A row whose entry is gone (expired) or
/// whose source text does not match is reported and skipped, and the import then fails.
pub async fn import(client: &Client, table: &str, text: &str) -> Result<usize, String> {
    let rows = csv::read(text)?;
    let Some((header, rows)) = rows.split_first() else { return Err("the file is empty".into()) };
    if header.iter().map(String::as_str).ne(HEADER) {
        return Err(format!("the first line must be the export's header: {}", HEADER.join(",")));
    }
    let (mut done, mut skipped) = (0, Vec::new());
    for (index, row) in rows.iter().enumerate() {
        let line = index + 2;
        let [source, _language, translation, _uses, id] = row.as_slice() else {
            skipped.push(format!("line {line}: expected {} fields", HEADER.len()));
            continue;
        };
        if translation.trim().is_empty() {
            skipped.push(format!("line {line}: empty translation"));
            continue;
        }
        let result = client
            .update_item()
            .table_name(table)
            .key("id", AttributeValue::S(id.clone()))
            .update_expression("SET #translation = :translation, #reviewed = :reviewed REMOVE #expires_at")
            .condition_expression("attribute_exists(#id) AND #text = :text")
            .expression_attribute_names("#translation", "translation")
            .expression_attribute_names("#reviewed", "reviewed")
            .expression_attribute_names("#expires_at", "expires_at")
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#text", "text")
            .expression_attribute_values(":translation", AttributeValue::S(translation.clone()))
            .expression_attribute_values(":reviewed", AttributeValue::Bool(true))
            .expression_attribute_values(":text", AttributeValue::S(source.clone()))
            .send()
            .await;
        match result {
            Ok(_) => done += 1,
            Err(error) => {
                let code = aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&error).unwrap_or("error").to_owned();
                skipped.push(format!("line {line}: {code} (entry gone, or its source text differs)"));
            }
        }
    }
    if skipped.is_empty() {
        Ok(done)
    } else {
        Err(format!("{done} marked reviewed; skipped:\n  {}", skipped.join("\n  ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::memory::{TranslationMemory, entry_id};
    use webhook_tests::local_dynamodb::LocalTable;

    fn entry(text: &str, target: &str, uses: u64) -> MemoryEntry {
        MemoryEntry {
            id: entry_id(text, "en", target, ""),
            text: text.into(),
            source: "en".into(),
            target: target.into(),
            translation: format!("[{target}] {text}"),
            detected: "en".into(),
            uses,
            reviewed: false,
            authored: false,
        }
    }

    #[tokio::test]
    async fn export_then_import_marks_the_reviewed_rows_and_the_memory_serves_them() {
        let table = LocalTable::create().await;
        let memory = table.memory(Duration::from_secs(5));
        let entries = [entry("Main menu", "es", 3), entry("Hello, \"friend\"", "es", 9), entry("Main menu", "fr", 1)];
        memory.put_many(&entries).await.unwrap();
        let client = client(Some(&table.endpoint)).await;

        let csv_text = export(&client, &table.name, 10, Some("es")).await.unwrap();
        let rows = csv::read(&csv_text).unwrap();
        assert_eq!(rows[0], HEADER.map(str::to_owned));
        assert_eq!(rows.len(), 3, "the es entries only");
        assert_eq!((rows[1][0].as_str(), rows[1][3].as_str()), ("Hello, \"friend\"", "9"), "most used first");
        assert_eq!(export(&client, &table.name, 1, None).await.unwrap().lines().count(), 2, "--limit");

        // The reviewer corrects one translation and keeps the other.
        let mut reviewed = String::new();
        csv::write_row(&mut reviewed, &HEADER);
        csv::write_row(&mut reviewed, &[&rows[1][0], "es", "Hola, \"amigo\"", "9", &rows[1][4]]);
        csv::write_row(&mut reviewed, &[&rows[2][0], "es", &rows[2][2], "3", &rows[2][4]]);
        assert_eq!(import(&client, &table.name, &reviewed).await.unwrap(), 2);

        let found = memory.get_many(&[entries[1].id.clone(), entries[2].id.clone()]).await.unwrap();
        let hello = found.iter().find(|e| e.id == entries[1].id).unwrap();
        assert!(hello.reviewed);
        assert_eq!(hello.translation, "Hola, \"amigo\"");
        assert!(!found.iter().find(|e| e.id == entries[2].id).unwrap().reviewed, "fr untouched");
        let items = table.scan().await;
        let stored = items.iter().find(|item| item["id"].as_s().unwrap() == &entries[1].id).unwrap();
        assert!(!stored.contains_key("expires_at"), "reviewed entries never expire");
        // Reviewed entries are no longer exported for review.
        assert_eq!(csv::read(&export(&client, &table.name, 10, Some("es")).await.unwrap()).unwrap().len(), 1);
    }

    #[tokio::test]
    async fn rows_for_missing_entries_or_another_text_are_refused() {
        let table = LocalTable::create().await;
        let memory = table.memory(Duration::from_secs(5));
        let entry = entry("Main menu", "es", 1);
        memory.put_many(std::slice::from_ref(&entry)).await.unwrap();
        let client = client(Some(&table.endpoint)).await;
        let mut text = String::new();
        csv::write_row(&mut text, &HEADER);
        csv::write_row(&mut text, &["Another text", "es", "Otro", "1", &entry.id]);
        csv::write_row(&mut text, &["Main menu", "es", "Menú", "1", "no-such-id"]);
        let error = import(&client, &table.name, &text).await.unwrap_err();
        assert!(error.contains("line 2") && error.contains("line 3"), "{error}");
        assert!(!memory.get_many(std::slice::from_ref(&entry.id)).await.unwrap()[0].reviewed);
        assert!(import(&client, &table.name, "id,text\r\n").await.unwrap_err().contains("header"));
    }
}
