//! Key logging in the NSS format (`CLIENT_RANDOM <client_random> <master_secret>`), which
//! Wireshark reads to decrypt a capture. Off unless configured.

use crate::trace::hex;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// Where NSS key log lines go.
pub trait KeyLog: Send + Sync {
    /// `label` is the NSS label, e.g. `CLIENT_RANDOM`.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]);
}

/// Appends lines to a file. This is I/O the user asked for by configuring it; the protocol core
/// only calls the [`KeyLog`] trait.
pub struct KeyLogFile {
    file: Mutex<File>,
}

impl KeyLogFile {
    /// Appends to `path`, creating it if needed.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// The file named by `SSLKEYLOGFILE`, if that variable is set and the file opens.
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os("SSLKEYLOGFILE")?;
        Self::open(path).ok()
    }
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        if let Ok(mut file) = self.file.lock() {
            // A key log is a debugging aid: failing to write it must not fail the connection.
            let _ = file.write_all(line.as_bytes());
        }
    }
}
