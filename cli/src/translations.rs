//! `webhooks translations export|import|seed`: the review round trip of the translation memory,
//! and the assistant's own texts translated before go-live ([`crate::seed`]).
//! Export writes the machine translations most used as CSV (source, language, translation, uses,
//! id); a reviewer corrects the translation column; import marks reviewed the rows whose
//! translation the reviewer changed (every row with `--all`): a reviewed entry never expires and
//! wins over machine translation. The id column ties a row to its entry: the same text under
//! other settings or terminology is another entry.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use clap::Subcommand;
use shared::memory::{MemoryEntry, parse_item};

use crate::{csv, seed};

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
    /// Marks reviewed, with its translation, each row of a CSV (as exported) whose translation
    /// was changed.
    Import {
        #[arg(long)]
        table: String,
        file: PathBuf,
        /// Mark every row reviewed, changed or not (the reviewer approved them all).
        #[arg(long)]
        all: bool,
        #[arg(long)]
        endpoint: Option<String>,
    },
    /// Translates the assistant's own texts, from a skill export, into authored entries.
    Seed(Box<seed::Args>),
}

pub async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Export { table, limit, language, endpoint } => {
            let client = client(endpoint.as_deref()).await;
            print!("{}", export(&client, &table, limit, language.as_deref()).await?);
            Ok(())
        }
        Command::Import { table, file, all, endpoint } => {
            let text = std::fs::read_to_string(&file).map_err(|error| format!("{}: {error}", file.display()))?;
            let client = client(endpoint.as_deref()).await;
            let report = import(&client, &table, &text, all).await?;
            eprintln!("{} translations marked reviewed, {} rows unchanged", report.reviewed, report.unchanged);
            Ok(())
        }
        Command::Seed(args) => seed::run(*args).await,
    }
}

/// The DynamoDB client the commands use: the environment's credentials and endpoint (the SDK's
/// `AWS_ENDPOINT_URL_DYNAMODB` included), or a local endpoint with test credentials.
pub async fn client(endpoint: Option<&str>) -> Client {
    Client::new(&shared::aws::sdk_config(Duration::from_secs(30), &endpoint.map(str::to_owned).into()).await)
}

/// Every live entry of `table` (a full scan: run it off-peak on a large table).
async fn scan(client: &Client, table: &str) -> Result<Vec<MemoryEntry>, String> {
    let mut entries = Vec::new();
    let mut start = None;
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
    let mut rows = vec![HEADER.map(str::to_owned).to_vec()];
    for entry in entries.iter().take(limit) {
        let row = [&entry.text, &entry.target, &entry.translation, &entry.uses.to_string(), &entry.id];
        rows.push(row.map(String::clone).to_vec());
    }
    Ok(csv::write(&rows))
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows whose entry is now reviewed.
    pub reviewed: usize,
    /// Rows left as they were: their translation is the stored one (without `--all`).
    pub unchanged: usize,
}

/// Marks reviewed the entry of every row whose translation differs from the stored one (of every
/// row, with `all`). A row whose entry is gone (expired) or whose source text does not match is
/// reported and skipped, and the import then fails.
pub async fn import(client: &Client, table: &str, text: &str, all: bool) -> Result<ImportReport, String> {
    let rows = csv::read(text)?;
    let Some((header, rows)) = rows.split_first() else { return Err("the file is empty".into()) };
    if header.iter().map(String::as_str).ne(HEADER) {
        return Err(format!("the first line must be the export's header: {}", HEADER.join(",")));
    }
    let (mut report, mut skipped) = (ImportReport::default(), Vec::new());
    for (index, row) in rows.iter().enumerate() {
        let line = index + 2;
        match import_row(client, table, row, all).await {
            Ok(true) => report.reviewed += 1,
            Ok(false) => report.unchanged += 1,
            Err(why) => skipped.push(format!("line {line}: {why}")),
        }
    }
    if skipped.is_empty() {
        Ok(report)
    } else {
        Err(format!("{} marked reviewed; skipped:\n  {}", report.reviewed, skipped.join("\n  ")))
    }
}

/// One row: `true` when its entry was marked reviewed, `false` when it was left unchanged.
async fn import_row(client: &Client, table: &str, row: &[String], all: bool) -> Result<bool, String> {
    let [source, _language, translation, _uses, id] = row else {
        return Err(format!("expected {} fields", HEADER.len()));
    };
    if translation.trim().is_empty() {
        return Err("empty translation".into());
    }
    if !all && stored_translation(client, table, id, source).await?.as_deref() == Some(translation.as_str()) {
        return Ok(false);
    }
    client
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
        .await
        .map(|_| true)
        .map_err(|error| {
            let code = aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&error).unwrap_or("error").to_owned();
            format!("{code} (entry gone, or its source text differs)")
        })
}

/// The translation stored under `id` for `source` (a consistent read); `None` when the entry is
/// gone or holds another text (the update then refuses the row).
async fn stored_translation(client: &Client, table: &str, id: &str, source: &str) -> Result<Option<String>, String> {
    let output = client
        .get_item()
        .table_name(table)
        .key("id", AttributeValue::S(id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|error| format!("read: {}", aws_sdk_dynamodb::error::DisplayErrorContext(error)))?;
    let Some(item) = output.item() else { return Ok(None) };
    let string = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).cloned();
    Ok(string("translation").filter(|_| string("text").as_deref() == Some(source)))
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

    fn row(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|field| (*field).to_owned()).collect()
    }

    fn csv_of(rows: &[Vec<String>]) -> String {
        let mut all = vec![HEADER.map(str::to_owned).to_vec()];
        all.extend(rows.iter().cloned());
        csv::write(&all)
    }

    async fn reviewed(memory: &impl TranslationMemory, id: &str) -> (bool, String) {
        let found = memory.get_many(&[id.to_owned()]).await.unwrap();
        (found[0].reviewed, found[0].translation.clone())
    }

    #[tokio::test]
    async fn export_then_import_marks_reviewed_only_the_changed_rows_and_the_memory_serves_them() {
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

        // The reviewer corrects one translation and leaves the other as it was.
        let mut corrected = rows[1].clone();
        corrected[2] = "Hola, \"amigo\"".into();
        let file = format!("\u{feff}{}", csv_of(&[corrected, rows[2].clone()]));
        let report = import(&client, &table.name, &file, false).await.unwrap();
        assert_eq!(report, ImportReport { reviewed: 1, unchanged: 1 }, "a byte-order mark is accepted");

        assert_eq!(reviewed(&memory, &entries[1].id).await, (true, "Hola, \"amigo\"".into()));
        assert_eq!(
            reviewed(&memory, &entries[0].id).await,
            (false, "[es] Main menu".into()),
            "unchanged: not reviewed"
        );
        assert!(!reviewed(&memory, &entries[2].id).await.0, "fr untouched");
        let items = table.scan().await;
        let stored = items.iter().find(|item| item["id"].as_s().unwrap() == &entries[1].id).unwrap();
        assert!(!stored.contains_key("expires_at"), "reviewed entries never expire");
        assert_eq!(stored["reviewed"].as_bool().unwrap(), &true, "stored as before: a boolean");
        // Reviewed entries are no longer exported for review.
        let left = csv::read(&export(&client, &table.name, 10, Some("es")).await.unwrap()).unwrap();
        assert_eq!(left.len(), 2);

        // `--all`: the reviewer approves the unchanged row too.
        let report = import(&client, &table.name, &csv_of(&[left[1].clone()]), true).await.unwrap();
        assert_eq!(report, ImportReport { reviewed: 1, unchanged: 0 });
        assert_eq!(reviewed(&memory, &entries[0].id).await, (true, "[es] Main menu".into()));
    }

    #[tokio::test]
    async fn formula_like_cells_go_out_guarded_and_come_back_unchanged() {
        let table = LocalTable::create().await;
        let memory = table.memory(Duration::from_secs(5));
        let mut risky = entry("=1+1 is two", "es", 2);
        risky.translation = "=1+1 son dos".into();
        let mut quoted = entry("'Tis the season", "es", 1);
        quoted.translation = "'Es la temporada".into();
        memory.put_many(&[risky.clone(), quoted.clone()]).await.unwrap();
        let client = client(Some(&table.endpoint)).await;

        let exported = export(&client, &table.name, 10, None).await.unwrap();
        assert!(exported.contains("'=1+1 son dos") && exported.contains("''Es la temporada"), "{exported}");
        assert!(!exported.lines().any(|line| line.split(',').any(|cell| cell.starts_with('='))));
        // Imported back untouched: every row is unchanged, so nothing is marked reviewed.
        assert_eq!(
            import(&client, &table.name, &exported, false).await.unwrap(),
            ImportReport { reviewed: 0, unchanged: 2 }
        );
        assert!(!reviewed(&memory, &risky.id).await.0 && !reviewed(&memory, &quoted.id).await.0);
    }

    #[tokio::test]
    async fn rows_for_missing_entries_or_another_text_are_refused() {
        let table = LocalTable::create().await;
        let memory = table.memory(Duration::from_secs(5));
        let entry = entry("Main menu", "es", 1);
        memory.put_many(std::slice::from_ref(&entry)).await.unwrap();
        let client = client(Some(&table.endpoint)).await;
        let text = csv_of(&[
            row(&["Another text", "es", "Otro", "1", &entry.id]),
            row(&["Main menu", "es", "Menú", "1", "no-such-id"]),
        ]);
        for all in [false, true] {
            let error = import(&client, &table.name, &text, all).await.unwrap_err();
            assert!(error.contains("line 2") && error.contains("line 3"), "{error}");
        }
        assert!(!memory.get_many(std::slice::from_ref(&entry.id)).await.unwrap()[0].reviewed);
        assert!(import(&client, &table.name, "id,text\r\n", false).await.unwrap_err().contains("header"));
    }
}
