//! `webhooks`: the project's command-line tool. A thin dispatcher, one module per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use webhooks_cli::{self_check, translations};

#[derive(Parser)]
#[command(name = "webhooks", version, about = "Check and operate the watsonx Assistant webhooks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send signed sample turns to every function and say what works, what to fix, and what to
    /// paste where in the assistant.
    SelfCheck(Box<self_check::Args>),
    /// The translation memory: export machine translations for review, import reviewed ones.
    #[command(subcommand)]
    Translations(translations::Command),
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::SelfCheck(args) => self_check::main(*args).await,
        Command::Translations(command) => match translations::run(command).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("webhooks: {error}");
                ExitCode::FAILURE
            }
        },
    }
}
