//! `webhooks`: the project's command-line tool. One module per subcommand; this file only parses
//! the command line and hands over.

use clap::{Parser, Subcommand};
use webhooks_cli::self_check;

#[derive(Parser)]
#[command(name = "webhooks", version, about = "watsonx Assistant webhooks on AWS Lambda: checks and tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send signed sample turns to every function and say what works, what to fix, and what to
    /// paste where in the assistant.
    SelfCheck(self_check::Args),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match Cli::parse().command {
        Command::SelfCheck(args) => self_check::main(args).await,
    }
}
