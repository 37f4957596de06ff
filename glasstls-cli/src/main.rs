use clap::Parser;
use glasstls_cli::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => glasstls_cli::demo::run(&args),
        Command::Connect(args) => glasstls_cli::connect::run(&args),
        Command::Serve(args) => glasstls_cli::serve::run(&args),
        Command::Ech(command) => glasstls_cli::ech::run(&command),
        Command::TicketKeys(command) => glasstls_cli::fleet::run(&command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("glasstls: {message}");
            ExitCode::FAILURE
        }
    }
}
