//! One connection of a run: the config its settings ask for, the handshake over the runner's
//! socket, the checks the runner asked for, then BoGo's echo (every byte back XORed with 0xff)
//! until the runner closes.

use crate::errors::boringssl_name;
use crate::settings::{Settings, is_tls13_suite, tls12_suites};
use glasstls::pki_types::pem::PemObject;
use glasstls::pki_types::{CertificateDer, TrustAnchor};
use glasstls::session::{MemoryStore, SessionStore, TicketKeys};
use glasstls::{
    CertificateError, ClientAuth, ClientCertVerifier, ClientConfig, Connection, Identity,
    RootStore, ServerCertVerifier, ServerConfig, ServerName, SignatureScheme, UnixTime, Version,
};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// Why a connection failed, as the runner reads it on stderr.
pub enum Failure {
    /// The TLS connection failed (the alert, if any, was sent).
    Tls(glasstls::Error),
    /// The configuration asked for cannot be built (BoringSSL would fail before connecting).
    Config(String),
    /// `-ech-config-list` does not parse (BoringSSL's SSL_set1_ech_config_list refuses it).
    EchConfigList(String),
    /// A `-expect-*` check failed.
    Expectation(String),
    /// The socket failed.
    Io(io::Error),
    /// The peer closed the socket without close_notify, and `-check-close-notify` was given.
    CloseWithoutCloseNotify,
}

impl Failure {
    /// The line for stderr: BoringSSL's error name first, then ours in words.
    pub fn describe(&self) -> String {
        match self {
            Self::Tls(e) => format!("{} {e}", boringssl_name(e)),
            Self::Config(why) => format!(":NO_CIPHERS_AVAILABLE: {why}"),
            Self::EchConfigList(why) => format!(":INVALID_ECH_CONFIG_LIST: {why}"),
            Self::Expectation(why) => format!("expectation failed: {why}"),
            Self::Io(e) => format!(":SYSCALL: {e}"),
            Self::CloseWithoutCloseNotify => {
                ":CLOSE_WITHOUT_CLOSE_NOTIFY: the peer closed the connection without close_notify"
                    .to_string()
            }
        }
    }
}

impl From<glasstls::Error> for Failure {
    fn from(e: glasstls::Error) -> Self {
        Self::Tls(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// What lives across the connections of one run: the client's session cache, the server's
/// session store and ticket keys.
pub struct Shared {
    start: UnixTime,
    client_sessions: Arc<MemoryStore>,
    server_sessions: Arc<dyn SessionStore>,
    ticket_keys: Arc<TicketKeys>,
}

impl Shared {
    pub fn new(start: UnixTime) -> Self {
        Self {
            start,
            client_sessions: Arc::new(MemoryStore::new(16)),
            server_sessions: Arc::new(MemoryStore::new(16)),
            ticket_keys: Arc::new(TicketKeys::new(
                Duration::from_secs(24 * 60 * 60),
                Duration::from_secs(24 * 60 * 60),
            )),
        }
    }
}

/// Runs connection `index` of the run.
pub fn connection(s: &Settings, index: usize, shared: &Shared) -> Result<(), Failure> {
    // `-resumption-delay N`: the shim's clock runs N seconds ahead for every resumption.
    let now = UnixTime::since_unix_epoch(Duration::from_secs(
        shared.start.as_secs() + s.resumption_delay * index as u64,
    ));
    let mut conn = if s.server {
        Connection::server(Arc::new(server_config(s, shared)?))?
    } else {
        let name = match &s.host_name {
            Some(name) => ServerName::try_from(name.clone())
                .map_err(|e| Failure::Config(format!("-host-name: {e}")))?,
            // No -host-name: no SNI (glasstls sends none for an IP address).
            None => ServerName::IpAddress(Ipv6Addr::LOCALHOST.into()),
        };
        Connection::client_at(Arc::new(client_config(s, shared)?), name, now)?
    };
    let mut tcp = if s.ipv6 {
        TcpStream::connect((Ipv6Addr::LOCALHOST, s.port))?
    } else {
        TcpStream::connect((Ipv4Addr::LOCALHOST, s.port))?
    };
    tcp.set_nodelay(true)?;
    tcp.write_all(&s.shim_id.to_le_bytes())?;
    let mut io = Io {
        tcp,
        buf: vec![0; s.read_size],
        held: Vec::new(),
        now,
        check_close_notify: s.check_close_notify,
    };

    if s.shim_writes_first && !s.server {
        // Written before the handshake ends; glasstls holds it until after our Finished.
        conn.send(b"hello")?;
    }
    while conn.is_handshaking() {
        io.flush(&mut conn)?;
        match io.read(&mut conn) {
            Ok(true) => {}
            Ok(false) => return Err(glasstls::Error::ConnectionClosed.into()),
            Err(Failure::Tls(glasstls::Error::EchRejected(rejected))) => {
                check_rejection(s, &rejected)?;
                return Err(glasstls::Error::EchRejected(rejected).into());
            }
            Err(e) => return Err(e),
        }
    }
    io.flush(&mut conn)?;
    check(s, index, &conn)?;
    if s.export_keying_material > 0 {
        // The runner reads the material first, then compares it with its own export.
        let mut material = vec![0; s.export_keying_material];
        let context = s.use_export_context.then_some(s.export_context.as_bytes());
        conn.export_keying_material(&mut material, s.export_label.as_bytes(), context)?;
        conn.send(&material)?;
    }
    if s.shim_writes_first && s.server {
        conn.send(b"hello")?;
    }
    if s.key_update {
        conn.request_key_update()?;
    }
    if s.shim_shuts_down {
        conn.send_close_notify();
        io.flush(&mut conn)?;
        // What the peer still sends before its close_notify is read and dropped (were it left
        // unread, the connection would take no more once its plaintext bound is reached).
        while !conn.peer_has_closed() {
            let unread = conn.plaintext_available();
            conn.consume_received(unread);
            if !io.read(&mut conn)? {
                break;
            }
        }
        return Ok(());
    }
    echo(&mut conn, &mut io)
}

/// BoGo's echo: every byte back XORed with 0xff, until the peer closes.
fn echo(conn: &mut Connection, io: &mut Io) -> Result<(), Failure> {
    loop {
        io.flush(conn)?;
        let data = conn.received();
        if !data.is_empty() {
            let reply: Vec<u8> = data.iter().map(|b| b ^ 0xff).collect();
            let n = data.len();
            conn.consume_received(n);
            conn.send(&reply)?;
            continue;
        }
        if conn.peer_has_closed() {
            conn.send_close_notify();
            io.flush(conn)?;
            return Ok(());
        }
        if !io.read(conn)? {
            return Ok(());
        }
    }
}

/// The socket and the clock of one connection.
struct Io {
    tcp: TcpStream,
    buf: Vec<u8>,
    /// Bytes read that the connection has not taken yet.
    held: Vec<u8>,
    now: UnixTime,
    check_close_notify: bool,
}

impl Io {
    /// Writes everything the connection has queued.
    fn flush(&mut self, conn: &mut Connection) -> Result<(), Failure> {
        while !conn.outgoing_tls().is_empty() {
            let n = self.tcp.write(conn.outgoing_tls())?;
            conn.consume_outgoing(n);
        }
        Ok(())
    }

    /// After a fatal alert: closes our side and reads what the peer still sends, for a moment,
    /// so that the kernel does not answer its unread bytes with a reset that would destroy the
    /// alert before the peer has read it.
    fn linger(&mut self) {
        let _ = self.tcp.shutdown(std::net::Shutdown::Write);
        let _ = self.tcp.set_read_timeout(Some(Duration::from_secs(2)));
        let mut sink = [0u8; 4096];
        while let Ok(n) = self.tcp.read(&mut sink) {
            if n == 0 {
                break;
            }
        }
    }

    /// Reads once from the socket (unless bytes the connection did not take are held) and
    /// processes it; `false` at the end of the stream. A TLS error sends its alert before it is
    /// returned.
    fn read(&mut self, conn: &mut Connection) -> Result<bool, Failure> {
        if self.held.is_empty() {
            let n = match self.tcp.read(&mut self.buf) {
                Ok(n) => n,
                // The runner may reset the socket once it has what it came for.
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => 0,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                if self.check_close_notify && !conn.peer_has_closed() {
                    return Err(Failure::CloseWithoutCloseNotify);
                }
                return Ok(false);
            }
            self.held.extend_from_slice(&self.buf[..n]);
        }
        loop {
            let taken = conn.read_tls(&self.held);
            self.held.drain(..taken);
            if let Err(e) = conn.process_new_packets(self.now) {
                let _ = self.flush(conn);
                self.linger();
                return Err(e.into());
            }
            // What the connection does not take now (its plaintext bound is reached) waits in
            // `held` until the echo has read some.
            if taken == 0 || self.held.is_empty() {
                break;
            }
        }
        Ok(true)
    }
}

/// The client the settings ask for.
fn client_config(s: &Settings, shared: &Shared) -> Result<ClientConfig, Failure> {
    let mut config = ClientConfig::new(RootStore::empty());
    common(s, &mut config.common)?;
    config.signature_schemes = verify_schemes(s, config.signature_schemes);
    config.tickets = !s.no_ticket;
    config.session_cache = Some(shared.client_sessions.clone());
    config.verifier = Some(Arc::new(ShimVerifier::new(s)?));
    config.identity = identities(s)?.into_iter().next();
    // BoringSSL sends no GREASE ECH unless asked (-enable-ech-grease), and the runner's
    // client tests expect exactly the extensions they configure.
    config.ech = match (&s.ech_config_list, s.ech_grease) {
        (Some(list), _) => glasstls::ech::EchMode::from_config_list(list)
            .map_err(|e| Failure::EchConfigList(e.to_string()))?,
        (None, true) => glasstls::ech::EchMode::Grease,
        (None, false) => glasstls::ech::EchMode::Off,
    };
    Ok(config)
}

/// The signature schemes accepted from the peer: `-verify-prefs`, held to the policy.
fn verify_schemes(s: &Settings, default: Vec<SignatureScheme>) -> Vec<SignatureScheme> {
    let mut schemes = s.verify_prefs.clone().unwrap_or(default);
    if let Some(policy) = s.policy {
        schemes.retain(|scheme| policy.schemes().contains(scheme));
    }
    schemes
}

/// The credentials given (`-cert-file`/`-key-file`), each with its `-signing-prefs`.
fn identities(s: &Settings) -> Result<Vec<Identity>, Failure> {
    let mut identities = Vec::new();
    for credential in &s.credentials {
        if let (Some(cert), Some(key)) = (&credential.cert_file, &credential.key_file) {
            let mut identity = Identity::from_pem_files(cert, key)
                .map_err(|e| Failure::Config(format!("{cert}: {e}")))?;
            let mut prefs = credential.signing_prefs.clone();
            if let Some(policy) = s.policy {
                let allowed = prefs.get_or_insert_with(|| policy.schemes().to_vec());
                allowed.retain(|scheme| policy.schemes().contains(scheme));
            }
            if let Some(prefs) = prefs {
                identity = identity.with_signing_schemes(prefs);
            }
            identities.push(identity);
        }
    }
    Ok(identities)
}

/// The server the settings ask for.
fn server_config(s: &Settings, shared: &Shared) -> Result<ServerConfig, Failure> {
    let mut config = ServerConfig::new(identities(s)?);
    common(s, &mut config.common)?;
    for (ech_config, private, retry) in &s.ech_keys {
        let bad = |e: String| Failure::Config(format!("-ech-server-config: {e}"));
        let parsed =
            glasstls::ech::EchKey::parse_config(ech_config).map_err(|e| bad(e.to_string()))?;
        let mut key =
            glasstls::ech::EchKey::from_raw(private, parsed).map_err(|e| bad(e.to_string()))?;
        key.retry = *retry;
        config.ech_keys.push(Arc::new(key));
    }
    // BoringSSL's SSL_VERIFY_PEER asks for a certificate; FAIL_IF_NO_PEER_CERT requires one.
    if s.verify_peer || s.require_client_certificate {
        let mut auth = ClientAuth::new(RootStore::empty(), s.require_client_certificate);
        auth.verifier = Some(Arc::new(ShimVerifier::new(s)?));
        auth.signature_schemes = verify_schemes(s, auth.signature_schemes);
        config.client_auth = Some(auth);
    }
    config.session_store = shared.server_sessions.clone();
    config.tickets = (!s.no_ticket).then(|| shared.ticket_keys.clone());
    // BoringSSL's ALPN callback, in glasstls's terms: the server's list. `-select-alpn P` is a
    // list of one; `-decline-alpn` none (no ALPN answered); `-reject-alpn` one no client offers
    // (RFC 7301 §3.2: no_application_protocol).
    if let Some(protocol) = &s.select_alpn {
        config.common.alpn_protocols = vec![protocol.clone()];
    }
    if s.decline_alpn {
        config.common.alpn_protocols.clear();
    }
    if s.reject_alpn {
        config.common.alpn_protocols = vec![b"glasstls-bogo: rejects every protocol".to_vec()];
    }
    Ok(config)
}

/// What both roles share: versions, suites, groups, ALPN offered.
fn common(s: &Settings, common: &mut glasstls::Common) -> Result<(), Failure> {
    let allowed = |v: Version, wire: u16| {
        s.min_version.is_none_or(|min| wire >= min)
            && s.max_version.is_none_or(|max| wire <= max)
            && match v {
                Version::Tls13 => !s.no_tls13,
                Version::Tls12 => !s.no_tls12,
            }
    };
    common.versions = [(Version::Tls13, 0x0304), (Version::Tls12, 0x0303)]
        .into_iter()
        .filter(|(v, wire)| allowed(*v, *wire))
        .map(|(v, _)| v)
        .collect();
    if common.versions.is_empty() {
        return Err(Failure::Config(
            ":NO_SUPPORTED_VERSIONS_ENABLED: no version left".into(),
        ));
    }
    // BoringSSL enables the RSA key exchange by default; so does the shim.
    common.rsa_key_exchange = true;
    if let Some(list) = &s.cipher {
        let tls13: Vec<_> = common
            .cipher_suites
            .iter()
            .copied()
            .filter(|c| is_tls13_suite(*c))
            .collect();
        common.cipher_suites = tls13.into_iter().chain(list.iter().copied()).collect();
    } else {
        let all: Vec<_> = common
            .cipher_suites
            .iter()
            .copied()
            .filter(|c| is_tls13_suite(*c))
            .chain(tls12_suites())
            .collect();
        common.cipher_suites = all;
    }
    if let Some(curves) = &s.curves {
        common.groups = curves.clone();
    }
    if let Some(policy) = s.policy {
        common
            .versions
            .retain(|v| matches!(v, Version::Tls12 | Version::Tls13));
        common.cipher_suites.retain(|c| policy.suites().contains(c));
        common.groups.retain(|g| policy.groups().contains(g));
        if common.groups.is_empty() {
            common.groups = policy.groups().to_vec();
        }
    }
    if !s.server {
        common.alpn_protocols = s.advertise_alpn.clone();
    }
    if let Some(max) = s.max_cert_list {
        common.max_handshake_size = max;
    }
    common.max_fragment_size = s.max_send_fragment;
    Ok(())
}

/// BoringSSL's client verifies the server's chain only with `-verify-peer` (against
/// `-trust-cert`, not checking the name unless one was set); without it any chain is accepted.
/// The handshake signature is checked by glasstls either way.
/// With `-verify-fail` it refuses every chain, as BoringSSL's failing callback does.
struct ShimVerifier {
    roots: Option<Vec<TrustAnchor<'static>>>,
    fail: bool,
}

impl ShimVerifier {
    fn new(s: &Settings) -> Result<Self, Failure> {
        // Without -verify-peer (SSL_VERIFY_NONE) a failing callback is not fatal.
        let fail = s.verify_fail && s.verify_peer;
        if !s.verify_peer {
            return Ok(Self { roots: None, fail });
        }
        let mut roots = Vec::new();
        if let Some(path) = &s.trust_cert {
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| Failure::Config(format!("{path}: {e}")))?
            {
                let cert = cert.map_err(|e| Failure::Config(format!("{path}: {e}")))?;
                let anchor = webpki::anchor_from_trusted_cert(&cert)
                    .map_err(|e| Failure::Config(format!("{path}: {e:?}")))?
                    .to_owned();
                roots.push(anchor);
            }
        }
        Ok(Self {
            roots: Some(roots),
            fail,
        })
    }
}

impl ServerCertVerifier for ShimVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), CertificateError> {
        self.verify(
            end_entity,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
        )
    }
}

impl ClientCertVerifier for ShimVerifier {
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), CertificateError> {
        self.verify(
            end_entity,
            intermediates,
            now,
            webpki::KeyUsage::client_auth(),
        )
    }
}

impl ShimVerifier {
    fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        usage: webpki::KeyUsage,
    ) -> Result<(), CertificateError> {
        if self.fail {
            return Err(CertificateError::Other(
                "the shim's verifier refuses every chain (-verify-fail)".into(),
            ));
        }
        let Some(roots) = &self.roots else {
            return Ok(());
        };
        let cert = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|e| CertificateError::BadEncoding(format!("{e:?}")))?;
        cert.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            roots,
            intermediates,
            now,
            usage,
            None,
            None,
        )
        .map(|_| ())
        .map_err(|e| CertificateError::Other(format!("{e:?}")))
    }
}

/// The `-expect-*` checks, once the handshake is done.
/// What BoringSSL's shim checks when ECH was rejected: the retry configs
/// (`SSL_get0_ech_retry_configs`) and the name the certificate was checked for
/// (`SSL_get0_ech_name_override`).
fn check_rejection(s: &Settings, rejected: &glasstls::ech::EchRejection) -> Result<(), Failure> {
    let e = &s.expect;
    let fail = |what: String| Err(Failure::Expectation(what));
    if let Some(want) = &e.ech_retry_configs {
        if rejected.retry_configs.is_empty() || rejected.retry_config_list != *want {
            return fail("other ECH retry configs".into());
        }
    }
    if e.no_ech_retry_configs && !rejected.retry_configs.is_empty() {
        return fail("ECH retry configs where none were expected".into());
    }
    if let Some(want) = &e.ech_name_override {
        if *want != rejected.public_name {
            return fail(format!("ECH name override {}", rejected.public_name));
        }
    }
    if e.no_ech_name_override {
        return fail("an ECH name override where none was expected".into());
    }
    Ok(())
}

fn check(s: &Settings, index: usize, conn: &Connection) -> Result<(), Failure> {
    let info = conn.info();
    let e = &s.expect;
    let fail = |what: String| Err(Failure::Expectation(what));
    let version_wire = info.version.map(|v| match v {
        Version::Tls13 => 0x0304,
        _ => 0x0303,
    });
    // BoringSSL's SSL_get_verify_result: the chain was verified, in this connection or in
    // the one whose session it resumed (which keeps the certificates it verified).
    // A server that got no certificate (where one is optional) has nothing that failed.
    if e.verify_result && s.verify_peer && !s.server && info.peer_certificates.is_empty() {
        return fail("no verified peer certificate".into());
    }
    if e.ech_accept && info.ech != glasstls::EchStatus::Accepted {
        return fail(format!("ECH {:?}, expected accepted", info.ech));
    }
    // A handshake that completes either accepted ECH or never offered it: no retry configs,
    // no name override.
    if e.ech_retry_configs.is_some() || e.ech_name_override.is_some() {
        return fail("the handshake completed; ECH rejection expected".into());
    }
    if let Some(want) = e.version {
        if version_wire != Some(want) {
            return fail(format!("version {version_wire:?}, expected {want:#x}"));
        }
    }
    if let Some(want) = e.curve_id {
        if info.group.map(|g| g.0) != Some(want) {
            return fail(format!("group {:?}, expected {want}", info.group));
        }
    }
    if let Some(want) = e.peer_signature_algorithm {
        let peer = match s.server {
            true => info.client_signature_scheme,
            false => info.signature_scheme,
        };
        if peer.map(|g| g.0) != Some(want) {
            return fail(format!("peer signature {peer:?}, expected {want:#x}"));
        }
    }
    if let Some(want) = &e.alpn {
        if info.alpn_protocol.as_ref() != Some(want) {
            return fail(format!("ALPN {:?}, expected {want:?}", info.alpn_protocol));
        }
    }
    if let Some(want) = &e.advertised_alpn {
        if &info.offered_alpn != want {
            return fail(format!("offered ALPN {:?}", info.offered_alpn));
        }
    }
    if let Some(want) = &e.server_name {
        if info.server_name.as_deref() != Some(want.as_str()) {
            return fail(format!("server name {:?}", info.server_name));
        }
    }
    if e.no_server_name && info.server_name.is_some() {
        return fail(format!("server name {:?}", info.server_name));
    }
    if e.hrr && !info.hello_retry_request {
        return fail("no HelloRetryRequest".into());
    }
    if e.no_hrr && info.hello_retry_request {
        return fail("a HelloRetryRequest".into());
    }
    if index > 0 && e.session_miss && info.resumed.is_some() {
        return fail("resumed, expected a full handshake".into());
    }
    if index > 0 && !e.session_miss && info.resumed.is_none() {
        return fail("a full handshake, expected a resumption".into());
    }
    if e.extended_master_secret
        && info.version == Some(Version::Tls12)
        && !info.extended_master_secret
    {
        return fail("no extended master secret".into());
    }
    if let Some(path) = &e.peer_cert_file {
        let want: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| Failure::Config(format!("{path}: {e}")))?
            .collect::<Result<_, _>>()
            .map_err(|e| Failure::Config(format!("{path}: {e}")))?;
        if info.peer_certificates != want {
            return fail("the peer's chain is not the expected one".into());
        }
    }
    Ok(())
}
