//! What one connection of a run is asked to do, read from the flags that apply to it.

use crate::flags::{Flags, Refusal};
use glasstls::{CipherSuite, NamedGroup, SignatureScheme};

/// A certificate chain and its key, as files (PEM).
#[derive(Clone, Default, Debug)]
pub struct Credential {
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    /// `-signing-prefs`: the schemes this credential signs with, best first.
    pub signing_prefs: Option<Vec<SignatureScheme>>,
}

/// BoringSSL's compliance policies (`SSL_set_compliance_policy`): what each leaves enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// `-fips-202205`: TLS 1.2 and 1.3, AES-GCM with ECDHE, P-256 and P-384, SHA-2 signatures.
    Fips202205,
    /// `-wpa-202304`: the same at the 192-bit level (AES-256-GCM, P-384, SHA-384 and up).
    Wpa202304,
}

impl Policy {
    pub fn suites(self) -> &'static [CipherSuite] {
        match self {
            Self::Fips202205 => &[
                CipherSuite::TLS_AES_128_GCM_SHA256,
                CipherSuite::TLS_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            ],
            Self::Wpa202304 => &[
                CipherSuite::TLS_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            ],
        }
    }

    pub fn groups(self) -> &'static [NamedGroup] {
        match self {
            Self::Fips202205 => &[NamedGroup::secp256r1, NamedGroup::secp384r1],
            Self::Wpa202304 => &[NamedGroup::secp384r1],
        }
    }

    pub fn schemes(self) -> &'static [SignatureScheme] {
        match self {
            Self::Fips202205 => &[
                SignatureScheme::rsa_pss_rsae_sha256,
                SignatureScheme::rsa_pss_rsae_sha384,
                SignatureScheme::rsa_pss_rsae_sha512,
                SignatureScheme::rsa_pkcs1_sha256,
                SignatureScheme::rsa_pkcs1_sha384,
                SignatureScheme::rsa_pkcs1_sha512,
                SignatureScheme::ecdsa_secp256r1_sha256,
                SignatureScheme::ecdsa_secp384r1_sha384,
            ],
            Self::Wpa202304 => &[
                SignatureScheme::rsa_pss_rsae_sha384,
                SignatureScheme::rsa_pss_rsae_sha512,
                SignatureScheme::rsa_pkcs1_sha384,
                SignatureScheme::rsa_pkcs1_sha512,
                SignatureScheme::ecdsa_secp384r1_sha384,
            ],
        }
    }
}

/// One connection's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub server: bool,
    pub port: u16,
    pub shim_id: u64,
    pub ipv6: bool,
    pub resume_count: usize,
    pub credentials: Vec<Credential>,
    pub trust_cert: Option<String>,
    pub verify_peer: bool,
    /// `-verify-fail`: the verifier refuses every chain.
    pub verify_fail: bool,
    /// `-require-any-client-certificate`: a server refuses a client without one.
    pub require_client_certificate: bool,
    pub min_version: Option<u16>,
    pub max_version: Option<u16>,
    pub no_tls13: bool,
    pub no_tls12: bool,
    pub curves: Option<Vec<NamedGroup>>,
    pub verify_prefs: Option<Vec<SignatureScheme>>,
    pub cipher: Option<Vec<CipherSuite>>,
    pub policy: Option<Policy>,
    /// `-ech-server-config`, `-ech-server-key`, `-ech-is-retry-config`, in order: (config,
    /// raw private key, retry).
    pub ech_keys: Vec<(Vec<u8>, Vec<u8>, bool)>,
    /// `-ech-config-list`: the client offers ECH with this ECHConfigList.
    pub ech_config_list: Option<Vec<u8>>,
    /// `-enable-ech-grease`.
    pub ech_grease: bool,
    pub advertise_alpn: Vec<Vec<u8>>,
    pub select_alpn: Option<Vec<u8>>,
    pub decline_alpn: bool,
    pub reject_alpn: bool,
    pub host_name: Option<String>,
    pub max_send_fragment: Option<usize>,
    pub read_size: usize,
    pub resumption_delay: u64,
    pub no_ticket: bool,
    pub max_cert_list: Option<usize>,
    pub shim_writes_first: bool,
    pub shim_shuts_down: bool,
    pub check_close_notify: bool,
    pub key_update: bool,
    /// `-export-keying-material N`: after the handshake, write N exported bytes.
    pub export_keying_material: usize,
    pub export_label: String,
    pub export_context: String,
    pub use_export_context: bool,
    pub expect: Expectations,
}

/// What the shim must find once the handshake is done.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    pub version: Option<u16>,
    pub curve_id: Option<u16>,
    pub peer_signature_algorithm: Option<u16>,
    pub alpn: Option<Vec<u8>>,
    pub advertised_alpn: Option<Vec<Vec<u8>>>,
    pub server_name: Option<String>,
    pub no_server_name: bool,
    pub hrr: bool,
    pub no_hrr: bool,
    pub session_miss: bool,
    pub no_session: bool,
    pub extended_master_secret: bool,
    pub peer_cert_file: Option<String>,
    pub verify_result: bool,
    pub ech_accept: bool,
    /// `-expect-ech-retry-configs`: the ECHConfigList a rejection must carry.
    pub ech_retry_configs: Option<Vec<u8>>,
    pub no_ech_retry_configs: bool,
    /// `-expect-ech-name-override`: the public name a rejected handshake authenticated.
    pub ech_name_override: Option<String>,
    pub no_ech_name_override: bool,
}

impl Settings {
    /// The settings of connection `index` (0: the first; later ones resume).
    pub fn for_connection(flags: &Flags, index: usize) -> Result<Self, Refusal> {
        let mut s = Settings {
            server: false,
            port: 0,
            shim_id: 0,
            ipv6: false,
            resume_count: 0,
            credentials: vec![Credential::default()],
            trust_cert: None,
            verify_peer: false,
            verify_fail: false,
            require_client_certificate: false,
            min_version: None,
            max_version: None,
            no_tls13: false,
            no_tls12: false,
            curves: None,
            verify_prefs: None,
            cipher: None,
            policy: None,
            ech_keys: Vec::new(),
            ech_config_list: None,
            ech_grease: false,
            advertise_alpn: Vec::new(),
            select_alpn: None,
            decline_alpn: false,
            reject_alpn: false,
            host_name: None,
            max_send_fragment: None,
            read_size: 16 * 1024,
            resumption_delay: 0,
            no_ticket: false,
            max_cert_list: None,
            shim_writes_first: false,
            shim_shuts_down: false,
            check_close_notify: false,
            key_update: false,
            export_keying_material: 0,
            export_label: String::new(),
            export_context: String::new(),
            use_export_context: false,
            expect: Expectations::default(),
        };
        for (name, value) in flags.for_connection(index) {
            s.apply(name, value)?;
        }
        Ok(s)
    }

    fn apply(&mut self, name: &str, value: Option<&str>) -> Result<(), Refusal> {
        let text = || value.unwrap_or_default().to_string();
        let e = &mut self.expect;
        match name {
            "-server" => self.server = true,
            "-ipv6" => self.ipv6 = true,
            "-port" => self.port = number(name, value)?,
            "-shim-id" => self.shim_id = number(name, value)?,
            "-resume-count" => self.resume_count = number(name, value)?,
            "-new-x509-credential" => self.credentials.push(Credential::default()),
            "-cert-file" => self.current_credential().cert_file = Some(text()),
            "-key-file" => self.current_credential().key_file = Some(text()),
            "-trust-cert" => self.trust_cert = Some(text()),
            "-verify-peer" => self.verify_peer = true,
            "-verify-fail" => self.verify_fail = true,
            "-require-any-client-certificate" => self.require_client_certificate = true,
            // BoringSSL has two verify callbacks, which differ in the alert a refusal sends;
            // glasstls has one, whose refusal is certificate_unknown, as the custom one's is.
            "-use-custom-verify-callback" => {}
            "-expect-verify-result" => e.verify_result = true,
            "-min-version" => self.min_version = Some(number(name, value)?),
            "-max-version" => self.max_version = Some(number(name, value)?),
            "-no-tls13" => self.no_tls13 = true,
            "-no-tls12" => self.no_tls12 = true,
            // TLS 1.0 and 1.1 are never enabled, so turning them off changes nothing.
            "-no-tls11" | "-no-tls1" => {}
            "-curves" => self
                .curves
                .get_or_insert_with(Vec::new)
                .push(NamedGroup(number(name, value)?)),
            "-verify-prefs" => self
                .verify_prefs
                .get_or_insert_with(Vec::new)
                .push(SignatureScheme(number(name, value)?)),
            "-cipher" => self.cipher = Some(cipher_list(&text())),
            "-signing-prefs" => self
                .current_credential()
                .signing_prefs
                .get_or_insert_with(Vec::new)
                .push(SignatureScheme(number(name, value)?)),
            "-ech-server-config" => self.ech_keys.push((base64(name, value)?, Vec::new(), true)),
            "-ech-server-key" => {
                if let Some(last) = self.ech_keys.last_mut() {
                    last.1 = base64(name, value)?;
                }
            }
            "-ech-is-retry-config" => {
                if let Some(last) = self.ech_keys.last_mut() {
                    last.2 = value == Some("1");
                }
            }
            "-expect-ech-accept" => e.ech_accept = true,
            "-ech-config-list" => self.ech_config_list = Some(base64(name, value)?),
            "-enable-ech-grease" => self.ech_grease = true,
            "-expect-ech-retry-configs" => e.ech_retry_configs = Some(base64(name, value)?),
            "-expect-no-ech-retry-configs" => e.no_ech_retry_configs = true,
            "-expect-ech-name-override" => e.ech_name_override = Some(text()),
            "-expect-no-ech-name-override" => e.no_ech_name_override = true,
            "-fips-202205" => self.policy = Some(Policy::Fips202205),
            "-wpa-202304" => self.policy = Some(Policy::Wpa202304),
            "-advertise-alpn" => self.advertise_alpn = alpn_list(name, &text())?,
            "-select-alpn" => self.select_alpn = Some(text().into_bytes()),
            "-decline-alpn" => self.decline_alpn = true,
            "-reject-alpn" => self.reject_alpn = true,
            "-host-name" => self.host_name = Some(text()),
            "-max-send-fragment" => self.max_send_fragment = Some(number(name, value)?),
            "-read-size" => self.read_size = number::<usize>(name, value)?.max(1),
            "-resumption-delay" => self.resumption_delay = number(name, value)?,
            "-no-ticket" => self.no_ticket = true,
            "-max-cert-list" => self.max_cert_list = Some(number(name, value)?),
            "-shim-writes-first" => self.shim_writes_first = true,
            "-shim-shuts-down" => self.shim_shuts_down = true,
            "-check-close-notify" => self.check_close_notify = true,
            "-key-update" => self.key_update = true,
            "-export-keying-material" => self.export_keying_material = number(name, value)?,
            "-export-label" => self.export_label = text(),
            "-export-context" => self.export_context = text(),
            "-use-export-context" => self.use_export_context = true,
            "-expect-version" => e.version = Some(number(name, value)?),
            "-expect-curve-id" => e.curve_id = Some(number(name, value)?),
            "-expect-peer-signature-algorithm" => {
                e.peer_signature_algorithm = Some(number(name, value)?)
            }
            "-expect-alpn" => e.alpn = Some(text().into_bytes()),
            "-expect-advertised-alpn" => e.advertised_alpn = Some(alpn_list(name, &text())?),
            "-expect-server-name" => e.server_name = Some(text()),
            "-expect-no-server-name" => e.no_server_name = true,
            "-expect-hrr" => e.hrr = true,
            "-expect-no-hrr" => e.no_hrr = true,
            "-expect-session-miss" => e.session_miss = true,
            "-expect-no-session" => e.no_session = true,
            "-expect-extended-master-secret" => e.extended_master_secret = true,
            "-expect-peer-cert-file" => e.peer_cert_file = Some(text()),
            other => return Err(Refusal::Unhandled(other.to_string())),
        }
        Ok(())
    }

    fn current_credential(&mut self) -> &mut Credential {
        if self.credentials.is_empty() {
            self.credentials.push(Credential::default());
        }
        let last = self.credentials.len() - 1;
        &mut self.credentials[last]
    }
}

fn base64(flag: &str, value: Option<&str>) -> Result<Vec<u8>, Refusal> {
    value
        .and_then(glasstls::ech::unbase64)
        .ok_or_else(|| Refusal::BadValue(format!("{flag}: not base64")))
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<&str>) -> Result<T, Refusal> {
    value
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Refusal::BadValue(format!("{flag} {}", value.unwrap_or_default())))
}

/// ALPN protocols in wire form (each prefixed by its length), as `-advertise-alpn` gives them.
fn alpn_list(flag: &str, wire: &str) -> Result<Vec<Vec<u8>>, Refusal> {
    let mut bytes = wire.as_bytes();
    let mut list = Vec::new();
    while let Some((&len, rest)) = bytes.split_first() {
        let len = usize::from(len);
        let (name, rest) = rest
            .split_at_checked(len)
            .ok_or_else(|| Refusal::BadValue(format!("{flag}: a truncated protocol list")))?;
        list.push(name.to_vec());
        bytes = rest;
    }
    Ok(list)
}

/// An OpenSSL-style cipher list (`A:B:…`). IANA names glasstls implements are kept in order;
/// `ALL` and `DEFAULT` stand for every TLS 1.2 suite glasstls has. Names of suites glasstls
/// lacks (CBC, 3DES) are dropped, as OpenSSL drops names it does not know. TLS 1.3 suites are
/// not chosen by this list (as in BoringSSL), so they stay enabled.
fn cipher_list(list: &str) -> Vec<CipherSuite> {
    let mut suites = Vec::new();
    for name in list.split([':', ',', ' ']).filter(|n| !n.is_empty()) {
        let found: Vec<CipherSuite> = match name {
            "ALL" | "DEFAULT" | "HIGH" => tls12_suites().collect(),
            _ => CipherSuite::from_name(name)
                .filter(|s| glasstls::config::suite_is_supported(*s))
                .into_iter()
                .collect(),
        };
        for suite in found {
            if !suites.contains(&suite) {
                suites.push(suite);
            }
        }
    }
    suites
}

/// Every TLS 1.2 suite glasstls implements.
pub fn tls12_suites() -> impl Iterator<Item = CipherSuite> {
    glasstls::Common::default()
        .cipher_suites
        .into_iter()
        .filter(|s| !is_tls13_suite(*s))
}

/// Whether `suite` is one of TLS 1.3's (RFC 8446 §B.4: 0x13xx).
pub fn is_tls13_suite(suite: CipherSuite) -> bool {
    suite.0 >> 8 == 0x13
}
