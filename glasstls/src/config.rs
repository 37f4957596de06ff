//! Client and server configuration. Defaults are the safe choice: ECDHE suites only, extended
//! master secret offered, RSA key exchange off until one setting turns it on.

use crate::crypto::{self, KeyExchange, SigningKey, Suite};
use crate::error::Error;
use crate::keylog::KeyLog;
use crate::verify::RootStore;
use crate::wire::{CipherSuite, NamedGroup, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// RFC 5246 allows handshake messages of up to 2^24-1 bytes; real chains stay far below 64 KiB.
pub const DEFAULT_MAX_HANDSHAKE_SIZE: usize = 64 * 1024;

/// What both sides share.
#[derive(Clone)]
pub struct Common {
    /// Suites in preference order. RSA-key-exchange suites in this list are used only when
    /// `rsa_key_exchange` is on.
    pub cipher_suites: Vec<CipherSuite>,
    pub groups: Vec<NamedGroup>,
    /// The static-RSA key exchange of RFC 5246 §7.4.7.1 (no forward secrecy). Off by default.
    pub rsa_key_exchange: bool,
    /// Refuse peers that do not negotiate the extended master secret (RFC 7627 §5.2/§5.3).
    pub require_extended_master_secret: bool,
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Record [`crate::trace::Event`]s for [`crate::Connection::take_events`].
    pub trace: bool,
    /// Put secret values into the trace. For learning only.
    pub reveal_secrets: bool,
    pub key_log: Option<Arc<dyn KeyLog>>,
    pub max_handshake_size: usize,
}

impl Default for Common {
    fn default() -> Self {
        Self {
            cipher_suites: crypto::ALL_SUITES.iter().map(|s| s.suite).collect(),
            groups: crypto::ALL_GROUPS.to_vec(),
            rsa_key_exchange: false,
            require_extended_master_secret: false,
            alpn_protocols: Vec::new(),
            trace: false,
            reveal_secrets: false,
            key_log: None,
            max_handshake_size: DEFAULT_MAX_HANDSHAKE_SIZE,
        }
    }
}

impl Common {
    /// The suites this side will negotiate, in order.
    pub fn enabled_suites(&self) -> Vec<&'static Suite> {
        self.cipher_suites
            .iter()
            .filter_map(|s| crypto::suite(*s))
            .filter(|s| s.kx != KeyExchange::Rsa || self.rsa_key_exchange)
            .collect()
    }

    pub fn enabled_groups(&self) -> Vec<NamedGroup> {
        self.groups
            .iter()
            .copied()
            .filter(|g| crypto::ALL_GROUPS.contains(g))
            .collect()
    }
}

#[derive(Clone)]
pub struct ClientConfig {
    pub common: Common,
    pub roots: RootStore,
    pub signature_schemes: Vec<SignatureScheme>,
}

impl ClientConfig {
    pub fn new(roots: RootStore) -> Self {
        Self {
            common: Common::default(),
            roots,
            signature_schemes: crypto::VERIFY_SCHEMES.to_vec(),
        }
    }
}

/// A certificate chain and the private key for its end-entity certificate.
#[derive(Clone, Debug)]
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Arc<SigningKey>,
}

impl Identity {
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::General(
                "a certificate chain needs at least one certificate".into(),
            ));
        }
        Ok(Self {
            chain,
            key: Arc::new(SigningKey::from_der(key)?),
        })
    }

    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                Error::General(format!(
                    "cannot read certificates from {}: {e}",
                    cert.display()
                ))
            })?;
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
            Error::General(format!(
                "cannot read a private key from {}: {e}",
                key.display()
            ))
        })?;
        Self::new(chain, &key_der)
    }
}

#[derive(Clone)]
pub struct ServerConfig {
    pub common: Common,
    /// One or more chains (e.g. RSA and ECDSA); the server picks the one the suite needs.
    pub identities: Vec<Identity>,
}

impl ServerConfig {
    pub fn new(identities: Vec<Identity>) -> Self {
        Self {
            common: Common::default(),
            identities,
        }
    }
}
