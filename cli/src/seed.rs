//! `webhooks translations seed`: the assistant's own texts, translated before the first user
//! arrives. Reads an export ([`crate::skill_export`]), translates each text a user reads into the
//! languages named, through the same pipeline and settings as postmessage at run time (protected
//! spans, `PROTECTED_TERMS`, formality, profanity, terminology), and writes each translation as an
//! authored entry (`origin` `authored`) under the id the runtime looks it up by. A text already in
//! the table costs no call (its entry is rewritten as authored, its expiry renewed); a reviewed
//! entry is never overwritten (each write is a conditional PutItem).

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::StreamExt;
use shared::aws::Endpoint;
use shared::config::{self, Variables};
use shared::memory::{DynamoMemory, MemoryEntry, TranslationMemory, item};
use shared::translate::{
    CACHE_MAX_TEXT_BYTES, Engine, SourceLanguage, TranslateError, Translating, TranslationConfig, TranslationPipeline,
    Translator,
};

use crate::skill_export::AuthoredTexts;

/// The `origin` of an entry written here: the assistant's own text, not a user's.
pub const AUTHORED: &str = "authored";
/// PutItems in flight at once.
const CONCURRENT_WRITES: usize = 8;

/// `webhooks translations seed FILE --table T --language es,fr`.
#[derive(clap::Args)]
pub struct Args {
    /// The export: an actions or dialog skill's JSON, or IBM's multilingual `*-responses.csv`.
    pub file: PathBuf,
    /// The table (the stack's TranslationTableName output).
    #[arg(long)]
    pub table: String,
    /// The languages to translate into, e.g. `es,fr,de` (or the option repeated).
    #[arg(long = "language", required = true, value_delimiter = ',')]
    pub languages: Vec<String>,
    /// How long the authored machine translations are kept, in days (run the seed again to renew;
    /// reviewed ones never expire).
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub ttl_days: u64,
    /// A local DynamoDB (e.g. http://127.0.0.1:8000), with test credentials.
    #[arg(long)]
    pub endpoint: Option<String>,
}

/// The command: reads the export, takes the translation settings from the environment as
/// postmessage does (`ASSISTANT_LANGUAGE`, `PROTECTED_TERMS`, `TRANSLATE_*`, with the
/// `POSTMESSAGE_` prefix first), seeds, and prints what it did.
pub async fn run(args: Args) -> Result<(), String> {
    let name = args.file.display().to_string();
    let content = std::fs::read_to_string(&args.file).map_err(|error| format!("{name}: {error}"))?;
    let texts = crate::skill_export::read(&name, &content)?;
    let variables = Variables::of_function("postmessage");
    let source = config::assistant_language(&variables).map_err(|error| error.to_string())?;
    if let Some(language) = texts.language.as_deref().and_then(shared::language::normalize)
        && language != source
    {
        return Err(format!(
            "the export is in `{language}`, ASSISTANT_LANGUAGE is `{source}`: set it to the skill's language"
        ));
    }
    let targets = targets(&args.languages, &source)?;
    let settings = TranslationConfig::read(&variables).map_err(|error| error.to_string())?;
    let translating = Translating::new(&settings, Engine::configured(&settings));
    let client = crate::translations::client(args.endpoint.as_deref()).await;
    let to = Target { client: &client, table: &args.table, endpoint: args.endpoint.into(), ttl_days: args.ttl_days };
    let report = seed(&to, &texts, translating.pipeline(), &source, &targets).await?;
    print!("{}", summary(&name, &texts, &report));
    Ok(())
}

/// The target languages as the runtime spells them; the assistant's own is refused.
fn targets(languages: &[String], source: &str) -> Result<Vec<String>, String> {
    let mut targets = Vec::new();
    for tag in languages.iter().filter(|tag| !tag.trim().is_empty()) {
        let code =
            shared::language::normalize(tag).ok_or_else(|| format!("--language: `{tag}` is not a language code"))?;
        if code == source {
            return Err(format!("--language: `{code}` is the assistant's language"));
        }
        if !targets.contains(&code) {
            targets.push(code);
        }
    }
    Ok(targets)
}

/// What one seed run did, per target language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LanguageReport {
    pub target: String,
    /// Entries written (translated now or already in the table).
    pub written: usize,
    /// Texts translated by the engine in this run.
    pub translated: usize,
    /// Texts already in the table: no engine call.
    pub already_there: usize,
    /// Reviewed entries left as they are.
    pub reviewed_kept: usize,
    /// Texts whose translation failed, by error kind.
    pub failed: Vec<(String, &'static str)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Texts the runtime never looks up in the memory (their template is too long).
    pub not_kept: usize,
    pub languages: Vec<LanguageReport>,
    /// Engine calls made (as the pipeline counts them).
    pub translate_calls: u64,
}

/// Where and how the entries go.
pub struct Target<'a> {
    pub client: &'a Client,
    pub table: &'a str,
    /// The same endpoint as `client`, for the reads.
    pub endpoint: Endpoint,
    /// How long an authored machine translation is kept (a reviewed one: always).
    pub ttl_days: u64,
}

/// Where the runtime's memory keeps a text: the text it stores and looks up (`key`), and the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeKey {
    pub key: String,
    pub id: String,
}

/// Where the runtime looks `text` up in the memory, or `None` when it never does. The one place
/// the seed follows the runtime's keying: [`TranslationPipeline::memory_key`], the text's template
/// (per-user spans as `{1}`, `{2}`, …) and its entry id, for the templates the pipeline takes to
/// the memory (at most [`CACHE_MAX_TEXT_BYTES`]).
pub fn runtime_key<T: Translator>(
    pipeline: &TranslationPipeline<T>,
    text: &str,
    source: &str,
    target: &str,
) -> Option<RuntimeKey> {
    let key = pipeline.memory_key(text, &SourceLanguage::Code(source.to_owned()), target);
    (key.template.len() <= CACHE_MAX_TEXT_BYTES).then_some(RuntimeKey { key: key.template, id: key.id })
}

/// Seeds `texts` from `source` into each of `targets`.
pub async fn seed<T: Translator>(
    to: &Target<'_>,
    texts: &AuthoredTexts,
    pipeline: &TranslationPipeline<T>,
    source: &str,
    targets: &[String],
) -> Result<SeedReport, String> {
    let kept: Vec<&str> = texts
        .texts
        .iter()
        .map(String::as_str)
        .filter(|text| runtime_key(pipeline, text, source, source).is_some())
        .collect();
    let mut report = SeedReport { not_kept: texts.texts.len() - kept.len(), ..SeedReport::default() };
    let before = pipeline.counters().calls;
    for target in targets {
        report.languages.push(seed_language(to, &kept, pipeline, source, target).await?);
    }
    report.translate_calls = pipeline.counters().calls - before;
    Ok(report)
}

async fn seed_language<T: Translator>(
    to: &Target<'_>,
    texts: &[&str],
    pipeline: &TranslationPipeline<T>,
    source: &str,
    target: &str,
) -> Result<LanguageReport, String> {
    let mut report = LanguageReport { target: target.to_owned(), ..LanguageReport::default() };
    let mut keyed: Vec<RuntimeKey> =
        texts.iter().filter_map(|text| runtime_key(pipeline, text, source, target)).collect();
    let mut seen = std::collections::HashSet::new();
    keyed.retain(|key| seen.insert(key.id.clone()));
    let ids: Vec<String> = keyed.iter().map(|key| key.id.clone()).collect();
    let memory = DynamoMemory::new(to.table, Duration::from_secs(30), to.ttl_days, to.endpoint.clone());
    let existing = memory.get_many(&ids).await.map_err(|error| format!("read {}: {error}", to.table))?;
    let mut entries = Vec::new();
    let mut missing = Vec::new();
    for RuntimeKey { key, id } in &keyed {
        match existing.iter().find(|entry| &entry.id == id && &entry.text == key) {
            Some(entry) if entry.reviewed => report.reviewed_kept += 1,
            Some(entry) => {
                report.already_there += 1;
                entries.push(entry.clone());
            }
            None => missing.push((key.as_str(), id.clone())),
        }
    }
    let all: Vec<&str> = missing.iter().map(|(text, _)| *text).collect();
    let results = pipeline.translate_all(&all, &SourceLanguage::Code(source.to_owned()), target).await;
    for ((text, id), result) in missing.into_iter().zip(results) {
        match result {
            Ok(translation) => {
                report.translated += 1;
                entries.push(authored(id, text, source, target, translation.text, translation.source));
            }
            Err(TranslateError::Disabled) => {
                return Err("translation is off: no AWS credentials found (see cli/README.md)".into());
            }
            Err(error) => report.failed.push((text.to_owned(), error.kind())),
        }
    }
    let (written, reviewed) = write_authored(to, &entries).await?;
    report.written = written;
    report.reviewed_kept += reviewed;
    Ok(report)
}

fn authored(id: String, text: &str, source: &str, target: &str, translation: String, detected: String) -> MemoryEntry {
    MemoryEntry {
        id,
        text: text.to_owned(),
        source: source.to_owned(),
        target: target.to_owned(),
        translation,
        detected,
        uses: 0,
        reviewed: false,
        authored: false,
    }
}

/// Writes each entry as authored, unless the table holds a reviewed entry under its id by then;
/// the number written and the number left reviewed.
pub async fn write_authored(to: &Target<'_>, entries: &[MemoryEntry]) -> Result<(usize, usize), String> {
    let expires_at = now_seconds().saturating_add(to.ttl_days.saturating_mul(86_400));
    let writes = entries.iter().map(|entry| put_unless_reviewed(to, entry, expires_at));
    let results: Vec<Result<bool, String>> =
        futures::stream::iter(writes).buffer_unordered(CONCURRENT_WRITES).collect().await;
    let (mut written, mut reviewed) = (0, 0);
    for result in results {
        if result? {
            written += 1;
        } else {
            reviewed += 1;
        }
    }
    Ok((written, reviewed))
}

/// One conditional PutItem: `false` when a reviewed entry holds the id (it stays as it is).
async fn put_unless_reviewed(to: &Target<'_>, entry: &MemoryEntry, expires_at: u64) -> Result<bool, String> {
    let mut stored = item(entry, expires_at);
    stored.insert("origin".to_owned(), AttributeValue::S(AUTHORED.to_owned()));
    let result = to
        .client
        .put_item()
        .table_name(to.table)
        .set_item(Some(stored))
        .condition_expression("attribute_not_exists(#id) OR #reviewed <> :reviewed")
        .expression_attribute_names("#id", "id")
        .expression_attribute_names("#reviewed", "reviewed")
        .expression_attribute_values(":reviewed", AttributeValue::Bool(true))
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
        Err(error) => Err(format!("write {}: {}", to.table, aws_sdk_dynamodb::error::DisplayErrorContext(error))),
    }
}

fn now_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The run's summary, as the command prints it.
pub fn summary(file: &str, texts: &AuthoredTexts, report: &SeedReport) -> String {
    let mut out = format!(
        "{file}: {} export, {} response items, {} distinct texts a user reads, {} left out (per-user values), {} the runtime never looks up\n",
        texts.format,
        texts.items,
        texts.texts.len(),
        texts.per_user,
        report.not_kept
    );
    for language in &report.languages {
        out.push_str(&format!(
            "{}: {} authored entries written ({} translated, {} already in the table), {} reviewed kept, {} failed\n",
            language.target,
            language.written,
            language.translated,
            language.already_there,
            language.reviewed_kept,
            language.failed.len()
        ));
        for (_, kind) in &language.failed {
            out.push_str(&format!("  failed: {kind}\n"));
        }
    }
    out.push_str(&format!("Translate calls: {}\n", report.translate_calls));
    out
}
