//! `serve --config FILE`: the server's settings in TOML. Flags given on the command line
//! override the file; a key the file may not hold is an error that names it (serde's
//! `deny_unknown_fields`), so a typo never goes unnoticed.
//!
//! ```toml
//! listen = "127.0.0.1:8443"
//! versions = ["TLSv1.3", "TLSv1.2"]
//! cipher_suites = ["TLS_AES_128_GCM_SHA256"]
//! groups = ["X25519MLKEM768", "x25519"]
//! alpn = ["http/1.1"]
//! session_ids = true
//! tickets = true
//! handshake_timeout = 30.0
//! idle_timeout = 300.0
//! max_connections = 1024
//! drain_timeout = 10.0
//! workers = 2
//! session_store = "redis://127.0.0.1:6379"   # a fleet's shared sessions and ticket keys
//! store_timeout_ms = 50
//! ticket_rotation = 21600.0
//! ticket_window = 7200.0
//!
//! [[identity]]              # the default identities
//! cert = "rsa.pem"
//! key = "rsa.key"
//!
//! [[sni]]                   # an identity for one name (or `*.domain`)
//! name = "shop.example"
//! cert = "shop.pem"
//! key = "shop.key"
//! ```

use crate::cli::ServeArgs;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeFile {
    listen: Option<String>,
    versions: Option<Vec<String>>,
    cipher_suites: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    alpn: Option<Vec<String>>,
    session_ids: Option<bool>,
    tickets: Option<bool>,
    handshake_timeout: Option<f64>,
    idle_timeout: Option<f64>,
    max_connections: Option<usize>,
    drain_timeout: Option<f64>,
    workers: Option<usize>,
    session_store: Option<String>,
    store_timeout_ms: Option<u64>,
    ticket_rotation: Option<f64>,
    ticket_window: Option<f64>,
    #[serde(default)]
    identity: Vec<FileIdentity>,
    #[serde(default)]
    sni: Vec<NamedIdentity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIdentity {
    cert: PathBuf,
    key: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedIdentity {
    name: String,
    cert: PathBuf,
    key: PathBuf,
}

/// Reads `path`.
pub fn load(path: &Path) -> Result<ServeFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))
}

/// The command line's settings with the file's beneath them: a flag given wins; a list given
/// on the command line replaces the file's. Paths in the file are relative to its directory.
pub fn merge(mut args: ServeArgs, file: ServeFile, dir: &Path) -> Result<ServeArgs, String> {
    let at = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };
    if args.listen.is_none() {
        args.listen = file.listen;
    }
    if args.cert.is_empty() && args.key.is_empty() {
        for identity in file.identity {
            args.cert.push(at(identity.cert));
            args.key.push(at(identity.key));
        }
    }
    if args.sni.is_empty() {
        for named in file.sni {
            args.sni.push(format!(
                "{}={},{}",
                named.name,
                at(named.cert).display(),
                at(named.key).display()
            ));
        }
    }
    let common = &mut args.common;
    if !common.tls12
        && !common.tls13
        && let Some(versions) = file.versions
    {
        let has = |v: &str| versions.iter().any(|x| x.eq_ignore_ascii_case(v));
        match (has("TLSv1.3"), has("TLSv1.2")) {
            (true, true) => {}
            (true, false) => common.tls13 = true,
            (false, true) => common.tls12 = true,
            (false, false) => {
                return Err(format!(
                    "versions = {versions:?}: glasstls speaks TLSv1.3 and TLSv1.2"
                ));
            }
        }
    }
    if common.cipher.is_empty() {
        common.cipher = file.cipher_suites.unwrap_or_default();
    }
    if common.group.is_empty() {
        common.group = file.groups.unwrap_or_default();
    }
    if common.alpn.is_empty() {
        common.alpn = file.alpn.unwrap_or_default();
    }
    if file.session_ids == Some(false) {
        args.no_session_ids = true;
    }
    if file.tickets == Some(false) {
        args.no_tickets = true;
    }
    args.handshake_timeout = args.handshake_timeout.or(file.handshake_timeout);
    args.idle_timeout = args.idle_timeout.or(file.idle_timeout);
    args.max_connections = args.max_connections.or(file.max_connections);
    args.drain_timeout = args.drain_timeout.or(file.drain_timeout);
    args.workers = args.workers.or(file.workers);
    args.session_store = args.session_store.or(file.session_store);
    args.store_timeout = args.store_timeout.or(file.store_timeout_ms);
    args.ticket_rotation = args.ticket_rotation.or(file.ticket_rotation);
    args.ticket_window = args.ticket_window.or(file.ticket_window);
    if args.cert.is_empty() && args.sni.is_empty() {
        return Err(
            "no identity: give [[identity]] or [[sni]] in the file, or --cert/--key".into(),
        );
    }
    Ok(args)
}
