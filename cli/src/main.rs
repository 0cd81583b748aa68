//! `webhooks`: the operators' command-line tool. A thin dispatcher, one module per subcommand.

mod csv;
mod translations;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "webhooks", version, about = "Operate the watsonx Assistant webhooks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The translation memory: export machine translations for review, import reviewed ones.
    #[command(subcommand)]
    Translations(translations::Command),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Translations(command) => translations::run(command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("webhooks: {error}");
            ExitCode::FAILURE
        }
    }
}
