//! Client and server configuration. Defaults are the safe choice: TLS 1.3 and TLS 1.2 with
//! ECDHE (the post-quantum hybrid first), the extended master secret offered, RSA key exchange
//! off until one setting turns it on.

use crate::crypto::{self, KeyExchange, SigningKey, Suite, Suite13};
use crate::error::{ConfigError, Error, PeerIncompatible};
use crate::keylog::KeyLog;
use crate::session::{DEFAULT_SESSION_LIFETIME, MemoryStore, SessionStore, TicketKeys};
use crate::verify::{ClientCertVerifier, RootStore, ServerCertVerifier};
use crate::version::Version;
use crate::wire::{CipherSuite, NamedGroup, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// RFC 5246 allows handshake messages of up to 2^24-1 bytes; real chains stay far below 64 KiB.
pub const DEFAULT_MAX_HANDSHAKE_SIZE: usize = 64 * 1024;

/// The key-exchange groups glasstls implements, in its default order of preference.
pub const SUPPORTED_GROUPS: &[NamedGroup] = crypto::ALL_GROUPS;

/// Whether glasstls implements this cipher suite (in either version).
pub fn suite_is_supported(suite: CipherSuite) -> bool {
    crypto::suite(suite).is_some() || crypto::suite13(suite).is_some()
}

/// Whether this is a TLS 1.2 suite of the RSA key exchange (RFC 5246 §7.4.7.1: no forward
/// secrecy), which is used only when `rsa_key_exchange` is on.
pub fn suite_uses_rsa_key_exchange(suite: CipherSuite) -> bool {
    crypto::suite(suite).is_some_and(|s| s.kx == KeyExchange::Rsa)
}

/// The smallest `max_fragment_size` accepted: smaller records would cost more in headers and
/// tags than they carry.
pub const MIN_FRAGMENT_SIZE: usize = 64;

/// What both sides share.
#[derive(Clone)]
pub struct Common {
    /// The versions this side will negotiate (TLS 1.3 and TLS 1.2 by default).
    pub versions: Vec<Version>,
    /// Suites in preference order. RSA-key-exchange suites in this list are used only when
    /// `rsa_key_exchange` is on.
    pub cipher_suites: Vec<CipherSuite>,
    /// Key-exchange groups in preference order (the client sends a share for the first).
    pub groups: Vec<NamedGroup>,
    /// The static-RSA key exchange of RFC 5246 §7.4.7.1 (no forward secrecy). Off by default.
    pub rsa_key_exchange: bool,
    /// Refuse peers that do not negotiate the extended master secret (RFC 7627 §5.2/§5.3).
    pub require_extended_master_secret: bool,
    /// Application protocols (ALPN, RFC 7301) in preference order; empty: none.
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Record [`crate::trace::Event`]s for [`crate::Connection::take_events`].
    pub trace: bool,
    /// Put secret values into the trace. For learning only.
    pub reveal_secrets: bool,
    /// Where the NSS key log goes, when set.
    pub key_log: Option<Arc<dyn KeyLog>>,
    /// The largest handshake message accepted from the peer (raise it for long chains).
    pub max_handshake_size: usize,
    /// The most plaintext we put in one record we send, from 64 bytes to 2^14 (the default,
    /// `None`): smaller records for a peer or a path that needs them (RFC 8449's record size
    /// limit is the negotiated form of the same idea).
    pub max_fragment_size: Option<usize>,
}

impl Default for Common {
    fn default() -> Self {
        Self {
            versions: Version::ALL.to_vec(),
            cipher_suites: crypto::TLS13_SUITES
                .iter()
                .map(|s| s.suite)
                .chain(crypto::ALL_SUITES.iter().map(|s| s.suite))
                .collect(),
            groups: crypto::ALL_GROUPS.to_vec(),
            rsa_key_exchange: false,
            require_extended_master_secret: false,
            alpn_protocols: Vec::new(),
            trace: false,
            reveal_secrets: false,
            key_log: None,
            max_handshake_size: DEFAULT_MAX_HANDSHAKE_SIZE,
            max_fragment_size: None,
        }
    }
}

impl Common {
    /// What a connection refuses to start with, whichever its role.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if let Some(size) = self.max_fragment_size {
            if !(MIN_FRAGMENT_SIZE..=crate::record::MAX_PLAINTEXT).contains(&size) {
                return Err(ConfigError::FragmentSize(size).into());
            }
        }
        Ok(())
    }

    /// TLS 1.2 suites enabled, in order; empty when TLS 1.2 is off.
    pub(crate) fn tls12_suites(&self) -> Vec<&'static Suite> {
        if !self.enables(Version::Tls12) {
            return Vec::new();
        }
        self.cipher_suites
            .iter()
            .filter_map(|s| crypto::suite(*s))
            .filter(|s| s.kx != KeyExchange::Rsa || self.rsa_key_exchange)
            .collect()
    }

    /// TLS 1.3 suites enabled, in order; empty when TLS 1.3 is off.
    pub(crate) fn tls13_suites(&self) -> Vec<&'static Suite13> {
        if !self.enables(Version::Tls13) {
            return Vec::new();
        }
        self.cipher_suites
            .iter()
            .filter_map(|s| crypto::suite13(*s))
            .collect()
    }

    /// Whether `version` may be negotiated.
    pub fn enables(&self, version: Version) -> bool {
        self.versions.contains(&version)
    }

    /// Groups usable with TLS 1.2 (no hybrids).
    pub(crate) fn tls12_groups(&self) -> Vec<NamedGroup> {
        self.groups()
            .into_iter()
            .filter(|g| crypto::group_usable_in_tls12(*g))
            .collect()
    }

    /// The configured groups that glasstls implements, in order.
    pub(crate) fn groups(&self) -> Vec<NamedGroup> {
        self.groups
            .iter()
            .copied()
            .filter(|g| crypto::ALL_GROUPS.contains(g))
            .collect()
    }
}

/// What a client needs: what both sides share, the roots it trusts, and its session cache.
#[derive(Clone)]
pub struct ClientConfig {
    /// What both sides share.
    pub common: Common,
    /// The trust anchors server chains are verified against.
    pub roots: RootStore,
    /// When set, decides on the server's chain instead of `roots` (the handshake signature is
    /// checked either way).
    pub verifier: Option<Arc<dyn ServerCertVerifier>>,
    /// The signature schemes offered and accepted for handshake signatures, best first.
    pub signature_schemes: Vec<SignatureScheme>,
    /// Sessions kept per server name and offered again; `None` turns resumption off.
    pub session_cache: Option<Arc<dyn SessionStore>>,
    /// Ask for and offer RFC 5077 session tickets.
    pub tickets: bool,
    /// The chain and key presented when a server asks for a client certificate (mutual TLS).
    /// It is sent when its key can sign with a scheme the server accepts (and, in TLS 1.2, is
    /// of a certificate type the server names); otherwise the answer is an empty Certificate,
    /// as RFC 5246 §7.4.6 and RFC 8446 §4.4.2 require.
    pub identity: Option<Identity>,
    /// Encrypted Client Hello (RFC 9849 §6): GREASE by default; [`crate::ech::EchMode::Offer`]
    /// with the server's ECHConfigList hides the name asked for. A config is per server, so a
    /// `ClientConfig` that offers one is for that server's connections.
    pub ech: crate::ech::EchMode,
}

/// How many servers' sessions a client keeps by default.
pub const DEFAULT_CLIENT_SESSIONS: usize = 256;

impl ClientConfig {
    /// The defaults, trusting `roots`.
    pub fn new(roots: RootStore) -> Self {
        Self {
            common: Common::default(),
            roots,
            verifier: None,
            signature_schemes: crypto::VERIFY_SCHEMES.to_vec(),
            session_cache: Some(Arc::new(MemoryStore::new(DEFAULT_CLIENT_SESSIONS))),
            tickets: true,
            identity: None,
            ech: crate::ech::EchMode::default(),
        }
    }
}

/// A certificate chain and the private key for its end-entity certificate.
#[derive(Clone, Debug)]
pub struct Identity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: Arc<SigningKey>,
    /// The schemes this identity signs with, best first; `None`: every scheme its key can.
    signing_schemes: Option<Vec<SignatureScheme>>,
}

impl Identity {
    /// A chain (end entity first) and the end entity's private key.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> Result<Self, Error> {
        let Some(end_entity) = chain.first() else {
            return Err(ConfigError::EmptyChain.into());
        };
        let key = SigningKey::from_der(key)?;
        // The certificate's SubjectPublicKeyInfo ends with its subjectPublicKey BIT STRING,
        // whose contents are the key's public bytes (RFC 5280 §4.1.2.7). A certificate
        // rustls-webpki cannot read (an X.509 v1 one, say) is served unchecked, as before:
        // its peers decide.
        let der = rustls_pki_types::CertificateDer::from(end_entity.as_ref());
        let matches = webpki::EndEntityCert::try_from(&der).map_or(true, |cert| {
            let spki = cert.subject_public_key_info();
            let public = key.public_key();
            !public.is_empty() && spki.as_ref().ends_with(public)
        });
        if !matches {
            return Err(ConfigError::KeyMismatch { files: None }.into());
        }
        Ok(Self {
            chain,
            key: Arc::new(key),
            signing_schemes: None,
        })
    }

    /// [`Identity::new`] without the check that the key is the certificate's: for tests of a
    /// peer's signature check (a server whose signatures cannot verify).
    #[doc(hidden)]
    pub fn new_unchecked(
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(ConfigError::EmptyChain.into());
        }
        Ok(Self {
            chain,
            key: Arc::new(SigningKey::from_der(key)?),
            signing_schemes: None,
        })
    }

    /// Signs only with `schemes`, in this order of preference (a policy such as FIPS, or a
    /// peer that mishandles one); schemes the key cannot sign with are skipped.
    pub fn with_signing_schemes(mut self, schemes: Vec<SignatureScheme>) -> Self {
        self.signing_schemes = Some(schemes);
        self
    }

    /// The schemes this identity signs a handshake of `version` with, best first.
    pub(crate) fn signing_schemes(
        &self,
        version: Version,
    ) -> impl Iterator<Item = SignatureScheme> + '_ {
        let able = self.key.schemes(version);
        let chosen: &[SignatureScheme] = self.signing_schemes.as_deref().unwrap_or(able);
        chosen.iter().copied().filter(move |s| able.contains(s))
    }

    /// A chain and key from PEM files.
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| unreadable(cert, "certificates", e))?;
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| match what_it_holds(key) {
            Some(reason) => ConfigError::File {
                path: key.display().to_string(),
                what: "a private key",
                reason,
            },
            None => unreadable(key, "a private key", e),
        })?;
        Self::new(chain, &key_der).map_err(|e| match e {
            Error::Config(ConfigError::KeyMismatch { .. }) => ConfigError::KeyMismatch {
                files: Some((cert.display().to_string(), key.display().to_string())),
            }
            .into(),
            other => other,
        })
    }

    /// The certificate chain, end entity first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }
}

/// For a key file that holds no private key: what it holds instead, from its PEM labels, and
/// what to do about it.
fn what_it_holds(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let labels: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .collect();
    let expected = "expected PRIVATE KEY (PKCS #8), RSA PRIVATE KEY or EC PRIVATE KEY";
    Some(match labels.as_slice() {
        [] => format!("it holds no PEM block; {expected}"),
        l if l.contains(&"ENCRYPTED PRIVATE KEY") => "it holds an encrypted private key: \
            decrypt it first (openssl pkey -in KEY -out plain.pem)"
            .to_string(),
        l if l.iter().any(|x| x.contains("PRIVATE KEY")) => return None,
        l => format!("it holds {}, not a private key; {expected}", l.join(", ")),
    })
}

/// What a server needs: what both sides share, its identities, and how it resumes sessions.
#[derive(Clone)]
pub struct ServerConfig {
    /// What both sides share.
    pub common: Common,
    /// The default identities, for clients that send no name or a name we do not know: one or
    /// more chains (e.g. RSA and ECDSA); the server picks the one the suite needs. May be empty
    /// when `named_identities` covers every name served.
    pub identities: Vec<Identity>,
    /// Identities chosen by SNI (RFC 6066 §3): an exact host name, or `*.domain` for any single
    /// label in front of `domain`. Several entries may share a name (RSA and ECDSA).
    pub named_identities: Vec<(String, Identity)>,
    /// Issue session IDs and resume from them (RFC 5246 §7.3).
    pub session_ids: bool,
    /// Where sessions are kept for resumption by ID (and TLS 1.3 tickets without ticket keys).
    pub session_store: Arc<dyn SessionStore>,
    /// Issue and accept RFC 5077 tickets; `None` turns them off.
    pub tickets: Option<Arc<TicketKeys>>,
    /// How long a session may be resumed after its full handshake.
    pub session_lifetime: Duration,
    /// Ask clients for a certificate (mutual TLS); `None` asks for none.
    pub client_auth: Option<ClientAuth>,
    /// Encrypted Client Hello keys (RFC 9849), newest first; several while keys rotate. Empty:
    /// ECH offers are ignored (as GREASE).
    pub ech_keys: Vec<Arc<crate::ech::EchKey>>,
    /// When set, chooses the identities for each ClientHello in place of `identities` and
    /// `named_identities` (a certificate per name from a database, reloaded while serving).
    pub resolver: Option<Arc<dyn IdentityResolver>>,
    /// Choose the cipher suite in our order of `common.cipher_suites` rather than the
    /// client's (nginx's `ssl_prefer_server_ciphers`). Off by default: the client knows
    /// whether it has AES hardware.
    pub prefer_server_suite_order: bool,
}

/// What a ClientHello says that a choice of certificate may depend on.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct HelloInfo<'a> {
    /// The name asked for (SNI), if any.
    pub server_name: Option<&'a str>,
    /// The signature schemes the client accepts.
    pub signature_schemes: &'a [SignatureScheme],
    /// The cipher suites it offers.
    pub cipher_suites: &'a [CipherSuite],
}

/// Chooses a server's certificate for each ClientHello ([`ServerConfig::resolver`]): the
/// application decides, from the name or anything else the hello says, and can swap what it
/// returns while the server runs (a reload).
pub trait IdentityResolver: Send + Sync {
    /// The identities that may serve this hello, best first; glasstls takes the first whose
    /// key fits the suite and the client's schemes. None: the handshake is refused
    /// (unrecognized_name when a name was sent, handshake_failure otherwise).
    fn resolve(&self, hello: &HelloInfo<'_>) -> Vec<Arc<Identity>>;
}

/// The identities for one handshake: borrowed from the config, or from a resolver.
pub(crate) enum Resolved<'c> {
    Config(Vec<&'c Identity>),
    Dynamic(Vec<Arc<Identity>>),
}

impl<'c> Resolved<'c> {
    /// The identities as the choosers take them (borrowed as they are from a config: no
    /// allocation on the usual path).
    pub(crate) fn refs(&self) -> std::borrow::Cow<'_, [&Identity]> {
        match self {
            Self::Config(refs) => std::borrow::Cow::Borrowed(refs.as_slice()),
            Self::Dynamic(owned) => owned.iter().map(|i| i.as_ref()).collect(),
        }
    }
}

/// How a server asks for and checks client certificates (RFC 5246 §7.4.4, RFC 8446 §4.3.2).
#[derive(Clone)]
pub struct ClientAuth {
    /// The trust anchors client chains are verified against (client-auth usage).
    pub roots: RootStore,
    /// When set, decides on the client's chain instead of `roots` (its CertificateVerify is
    /// checked either way).
    pub verifier: Option<Arc<dyn ClientCertVerifier>>,
    /// Refuse a client that sends no certificate (TLS 1.2: handshake_failure; TLS 1.3:
    /// certificate_required). Otherwise it goes on unauthenticated.
    pub required: bool,
    /// The schemes offered in CertificateRequest and accepted in the client's
    /// CertificateVerify, best first.
    pub signature_schemes: Vec<SignatureScheme>,
}

impl ClientAuth {
    /// Client certificates verified against `roots`, `required` or optional.
    pub fn new(roots: RootStore, required: bool) -> Self {
        Self {
            roots,
            verifier: None,
            required,
            signature_schemes: crypto::VERIFY_SCHEMES.to_vec(),
        }
    }
}

/// How many sessions a server keeps by default (a few hundred bytes each).
pub const DEFAULT_SERVER_SESSIONS: usize = 10_000;

impl ServerConfig {
    /// Finds, before any client comes, what would fail every handshake: no identity, no
    /// enabled suite, an identity no enabled suite can use (a TLS 1.2-only server whose suites
    /// all need another kind of key), a fragment size out of bounds. `glasstls serve` calls it
    /// at startup.
    pub fn validate(&self) -> Result<(), Error> {
        if self.identities.is_empty() && self.named_identities.is_empty() && self.resolver.is_none()
        {
            return Err(ConfigError::NoIdentity.into());
        }
        self.common.check()?;
        let tls13 = !self.common.tls13_suites().is_empty();
        let suites12 = self.common.tls12_suites();
        if !tls13 && suites12.is_empty() {
            return Err(ConfigError::NoCipherSuite.into());
        }
        let every = self
            .identities
            .iter()
            .chain(self.named_identities.iter().map(|(_, identity)| identity));
        for identity in every {
            let kind = identity.key.kind();
            if !tls13 && !suites12.iter().any(|s| s.auth.fits(kind)) {
                let key = match kind {
                    crypto::KeyKind::Rsa => "RSA",
                    crypto::KeyKind::Ecdsa => "ECDSA",
                    crypto::KeyKind::Ed25519 => "Ed25519",
                };
                return Err(ConfigError::NoSuiteForKey { key }.into());
            }
        }
        Ok(())
    }

    /// The defaults, serving `identities` to every name.
    pub fn new(identities: Vec<Identity>) -> Self {
        Self {
            common: Common::default(),
            identities,
            named_identities: Vec::new(),
            session_ids: true,
            session_store: Arc::new(MemoryStore::new(DEFAULT_SERVER_SESSIONS)),
            tickets: Some(Arc::new(TicketKeys::new(
                Duration::from_secs(6 * 60 * 60),
                DEFAULT_SESSION_LIFETIME,
            ))),
            session_lifetime: DEFAULT_SESSION_LIFETIME,
            client_auth: None,
            ech_keys: Vec::new(),
            resolver: None,
            prefer_server_suite_order: false,
        }
    }

    /// RFC 6066 §3: the identities for the name the client asked for. Exact names win over
    /// wildcards; with no match (or no name) the default identities serve, and when there are
    /// none the name is unrecognized. Returns the identities and whether the name chose them.
    pub(crate) fn resolve(&self, hello: &HelloInfo<'_>) -> Result<(Resolved<'_>, bool), Error> {
        let server_name = hello.server_name;
        if let Some(resolver) = &self.resolver {
            let chosen = resolver.resolve(hello);
            if chosen.is_empty() {
                return Err(match server_name {
                    Some(name) => PeerIncompatible::UnrecognizedName(name.to_string()),
                    None => PeerIncompatible::NoNameAndNoDefaultCertificate,
                }
                .into());
            }
            return Ok((Resolved::Dynamic(chosen), server_name.is_some()));
        }
        if let Some(name) = server_name {
            let name = name.trim_end_matches('.');
            let exact: Vec<&Identity> = self
                .named_identities
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, i)| i)
                .collect();
            if !exact.is_empty() {
                return Ok((Resolved::Config(exact), true));
            }
            let wildcard: Vec<&Identity> = self
                .named_identities
                .iter()
                .filter(|(n, _)| wildcard_matches(n, name))
                .map(|(_, i)| i)
                .collect();
            if !wildcard.is_empty() {
                return Ok((Resolved::Config(wildcard), true));
            }
        }
        if !self.identities.is_empty() {
            return Ok((Resolved::Config(self.identities.iter().collect()), false));
        }
        Err(match server_name {
            Some(name) => PeerIncompatible::UnrecognizedName(name.to_string()),
            None => PeerIncompatible::NoNameAndNoDefaultCertificate,
        }
        .into())
    }
}

fn unreadable(path: &Path, what: &'static str, e: rustls_pki_types::pem::Error) -> ConfigError {
    ConfigError::File {
        path: path.display().to_string(),
        what,
        reason: e.to_string(),
    }
}

/// `*.example.test` matches `a.example.test` but neither `example.test` nor `a.b.example.test`.
fn wildcard_matches(pattern: &str, name: &str) -> bool {
    let Some(suffix) = pattern.strip_prefix("*.") else {
        return false;
    };
    match name.split_once('.') {
        Some((label, rest)) => !label.is_empty() && rest.eq_ignore_ascii_case(suffix),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_exactly_one_label() {
        assert!(wildcard_matches("*.example.test", "a.example.test"));
        assert!(wildcard_matches("*.example.test", "A.EXAMPLE.test"));
        assert!(!wildcard_matches("*.example.test", "example.test"));
        assert!(!wildcard_matches("*.example.test", "a.b.example.test"));
        assert!(!wildcard_matches("*.example.test", ".example.test"));
        assert!(!wildcard_matches("example.test", "example.test"));
    }
}
