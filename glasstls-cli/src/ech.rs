//! `glasstls ech keygen`: a server's ECH key and the ECHConfigList it publishes.

use crate::cli::EchCommand;
use glasstls::ech::{self, EchKey};
use std::io::Write;

pub fn run(command: &EchCommand) -> Result<(), String> {
    match command {
        EchCommand::Keygen {
            public_name,
            config_id,
            out,
        } => {
            let key = EchKey::generate(public_name, *config_id).map_err(|e| e.to_string())?;
            let list = ech::config_list(std::slice::from_ref(&key.config));
            if let Some(path) = out {
                let pem = key.to_pem().map_err(|e| e.to_string())?;
                write_private(path, pem.as_bytes())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                eprintln!(
                    "wrote the private key and its ECHConfigList to {} (serve --ech-key reads it)",
                    path.display()
                );
            }
            // The base64 on stdout alone, so that it can go straight into a DNS record.
            println!("{}", ech::base64(&list));
            Ok(())
        }
    }
}

/// Creates `path` readable by its owner only: it holds a private key.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}
