//! The `glasstls` command: `demo`, `connect`, `serve`. It parses arguments, builds configs,
//! drives connections and renders their trace; every protocol decision is in the core crate.

#![forbid(unsafe_code)]

pub mod cli;
pub mod config_file;
pub mod connect;
pub mod demo;
pub mod ech;
pub mod explain;
pub mod fleet;
pub mod html;
pub mod inspect;
pub mod metrics;
pub mod pages;
pub mod serve;
pub mod suite_names;
pub mod trace;

use glasstls::config::{SUPPORTED_GROUPS, suite_is_supported, suite_uses_rsa_key_exchange};
use glasstls::{CipherSuite, Common, KeyLogFile, NamedGroup, Version};
use std::sync::Arc;

/// Applies the options both commands share to a config.
pub fn apply_common(common: &mut Common, opts: &cli::CommonOpts) -> Result<(), String> {
    if !opts.cipher.is_empty() {
        common.cipher_suites = opts
            .cipher
            .iter()
            .map(|name| {
                CipherSuite::from_name(name)
                    .filter(|s| suite_is_supported(*s))
                    .ok_or_else(|| {
                        format!(
                            "unknown or unsupported cipher suite {name:?} (use IANA names, e.g. \
                             TLS_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)"
                        )
                    })
            })
            .collect::<Result<_, String>>()?;
    }
    if !opts.group.is_empty() {
        common.groups = opts
            .group
            .iter()
            .map(|name| {
                let lower = name.to_ascii_lowercase();
                let canonical = match lower.as_str() {
                    "p-256" | "p256" | "prime256v1" => "secp256r1",
                    "p-384" | "p384" => "secp384r1",
                    "x25519mlkem768" => "X25519MLKEM768",
                    other => other,
                };
                NamedGroup::from_name(canonical)
                    .filter(|g| SUPPORTED_GROUPS.contains(g))
                    .ok_or_else(|| {
                        format!("unknown or unsupported group {name:?} (X25519MLKEM768, x25519, secp256r1, secp384r1)")
                    })
            })
            .collect::<Result<_, String>>()?;
    }
    if opts.tls12 {
        common.versions = vec![Version::Tls12];
    }
    if opts.tls13 {
        common.versions = vec![Version::Tls13];
    }
    common.alpn_protocols = opts.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    common.trace = opts.trace.is_some() || opts.reveal_secrets;
    common.reveal_secrets = opts.reveal_secrets;
    common.key_log = match &opts.keylog {
        Some(path) => {
            Some(Arc::new(KeyLogFile::open(path).map_err(|e| {
                format!("cannot open key log {}: {e}", path.display())
            })?))
        }
        // SSLKEYLOGFILE, as browsers and curl read it; one that cannot be opened is said once,
        // here, rather than silently logging nothing.
        None => match std::env::var_os("SSLKEYLOGFILE") {
            Some(path) if !path.is_empty() => match KeyLogFile::open(&path) {
                Ok(file) => Some(Arc::new(file) as Arc<dyn glasstls::KeyLog>),
                Err(e) => {
                    eprintln!(
                        "glasstls: warning: SSLKEYLOGFILE={}: cannot open it ({e}); no secrets \
                         are logged",
                        std::path::Path::new(&path).display()
                    );
                    None
                }
            },
            _ => None,
        },
    };
    Ok(())
}

/// Whether a configured suite list asks for the RSA key exchange.
pub fn names_rsa_key_exchange(common: &Common) -> bool {
    common
        .cipher_suites
        .iter()
        .any(|s| suite_uses_rsa_key_exchange(*s))
}
