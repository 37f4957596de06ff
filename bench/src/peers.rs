//! The three libraries behind one in-memory `Endpoint`, and the scenarios the rows measure.

use glasstls::{CipherSuite, NamedGroup};
use glasstls_test::pki::{Ca, KeyKind, Leaf};
use openssl::ssl::{ErrorCode, Ssl, SslContext, SslMethod, SslStream, SslVerifyMode, SslVersion};
use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lib {
    Glasstls,
    /// rustls's buffered API (`ClientConnection`/`ServerConnection`: `read_tls`, `write_tls`).
    Rustls,
    /// rustls's unbuffered API (`UnbufferedClientConnection`/`UnbufferedServerConnection`):
    /// records encrypted into and decrypted in the caller's buffers.
    RustlsUnbuffered,
    Openssl,
}

impl Lib {
    pub const ALL: [Lib; 4] = [
        Lib::Glasstls,
        Lib::Rustls,
        Lib::RustlsUnbuffered,
        Lib::Openssl,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cert {
    Rsa,
    Ecdsa,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    No,
    SessionId,
    Ticket,
}

pub struct Scenario {
    pub name: &'static str,
    pub tls13: bool,
    pub suite: CipherSuite,
    /// OpenSSL's name for the suite.
    pub openssl_suite: &'static str,
    pub group: NamedGroup,
    pub cert: Cert,
    pub resume: Resume,
    /// Encrypted Client Hello offered with the server's config, and accepted.
    pub ech: bool,
    pub note: &'static str,
}

/// One row of the scenario table; positional so that the table reads as a table.
#[allow(clippy::too_many_arguments)]
const fn scenario(
    name: &'static str,
    tls13: bool,
    suite: CipherSuite,
    openssl_suite: &'static str,
    group: NamedGroup,
    cert: Cert,
    resume: Resume,
    note: &'static str,
) -> Scenario {
    Scenario {
        name,
        tls13,
        suite,
        openssl_suite,
        group,
        cert,
        resume,
        ech: false,
        note,
    }
}

use CipherSuite as S;
use NamedGroup as G;

/// TLS 1.3, ECDSA, x25519: the row the traced, ECH, tokio and memory rows build on.
pub const TLS13_ECDSA: Scenario = scenario(
    "TLS1.3 ECDSA x25519",
    true,
    S::TLS_AES_128_GCM_SHA256,
    "TLS_AES_128_GCM_SHA256",
    G::X25519,
    Cert::Ecdsa,
    Resume::No,
    "",
);

pub static HANDSHAKES: &[Scenario] = &[
    scenario(
        "TLS1.2 RSA key exchange",
        false,
        S::TLS_RSA_WITH_AES_128_GCM_SHA256,
        "AES128-GCM-SHA256",
        G::X25519,
        Cert::Rsa,
        Resume::No,
        "rustls has no RSA key exchange",
    ),
    scenario(
        "TLS1.2 ECDHE-RSA x25519",
        false,
        S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-RSA-AES128-GCM-SHA256",
        G::X25519,
        Cert::Rsa,
        Resume::No,
        "",
    ),
    scenario(
        "TLS1.2 ECDHE-ECDSA x25519",
        false,
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        G::X25519,
        Cert::Ecdsa,
        Resume::No,
        "",
    ),
    scenario(
        "TLS1.3 RSA x25519",
        true,
        S::TLS_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
        G::X25519,
        Cert::Rsa,
        Resume::No,
        "",
    ),
    TLS13_ECDSA,
    scenario(
        "TLS1.3 RSA X25519MLKEM768",
        true,
        S::TLS_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
        G::X25519MLKEM768,
        Cert::Rsa,
        Resume::No,
        "OpenSSL 3.0 has no X25519MLKEM768",
    ),
    scenario(
        "TLS1.3 ECDSA X25519MLKEM768",
        true,
        S::TLS_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
        G::X25519MLKEM768,
        Cert::Ecdsa,
        Resume::No,
        "OpenSSL 3.0 has no X25519MLKEM768",
    ),
];

/// A row with Encrypted Client Hello accepted.
const fn with_ech(mut s: Scenario, name: &'static str, note: &'static str) -> Scenario {
    s.name = name;
    s.ech = true;
    s.note = note;
    s
}

pub static ECH: &[Scenario] = &[with_ech(
    TLS13_ECDSA,
    "TLS1.3 ECDSA x25519, ECH accepted",
    "rustls has an ECH client only: its client row runs against a glasstls server; OpenSSL 3.0 has no ECH",
)];

const OPENSSL_RESUMPTION: &str =
    "OpenSSL's client resumes with SslRef::set_session (the bench's one unsafe call)";

pub static RESUMPTIONS: &[Scenario] = &[
    scenario(
        "TLS1.2 resumed, session ID",
        false,
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        G::X25519,
        Cert::Ecdsa,
        Resume::SessionId,
        OPENSSL_RESUMPTION,
    ),
    scenario(
        "TLS1.2 resumed, ticket",
        false,
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        G::X25519,
        Cert::Ecdsa,
        Resume::Ticket,
        OPENSSL_RESUMPTION,
    ),
    scenario(
        "TLS1.3 resumed, ticket (x25519)",
        true,
        S::TLS_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
        G::X25519,
        Cert::Ecdsa,
        Resume::Ticket,
        OPENSSL_RESUMPTION,
    ),
];

pub static BULK: &[Scenario] = &[
    scenario(
        "TLS1.2 AES-128-GCM 16KiB writes",
        false,
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        G::X25519,
        Cert::Ecdsa,
        Resume::No,
        "",
    ),
    scenario(
        "TLS1.2 AES-256-GCM 16KiB writes",
        false,
        S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        G::X25519,
        Cert::Ecdsa,
        Resume::No,
        "",
    ),
    scenario(
        "TLS1.2 CHACHA20-POLY1305 16KiB writes",
        false,
        S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        G::X25519,
        Cert::Ecdsa,
        Resume::No,
        "",
    ),
    scenario(
        "TLS1.3 AES-128-GCM 16KiB writes",
        true,
        S::TLS_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
        G::X25519,
        Cert::Ecdsa,
        Resume::No,
        "",
    ),
    scenario(
        "TLS1.3 AES-256-GCM 16KiB writes",
        true,
        S::TLS_AES_256_GCM_SHA384,
        "TLS_AES_256_GCM_SHA384",
        G::X25519,
        Cert::Ecdsa,
        Resume::No,
        "",
    ),
    scenario(
        "TLS1.3 CHACHA20-POLY1305 16KiB writes",
        true,
        S::TLS_CHACHA20_POLY1305_SHA256,
        "TLS_CHACHA20_POLY1305_SHA256",
        G::X25519,
        Cert::Ecdsa,
        Resume::No,
        "",
    ),
];

pub struct Pki {
    pub ca: Ca,
    pub rsa: Leaf,
    pub ecdsa: Leaf,
}

impl Pki {
    pub fn new() -> Self {
        let ca = Ca::new("bench CA").expect("CA");
        let rsa = ca
            .issue(&["localhost"], KeyKind::Rsa2048)
            .expect("RSA leaf");
        let ecdsa = ca
            .issue(&["localhost"], KeyKind::EcdsaP256)
            .expect("ECDSA leaf");
        Self { ca, rsa, ecdsa }
    }

    fn leaf(&self, cert: Cert) -> &Leaf {
        match cert {
            Cert::Rsa => &self.rsa,
            Cert::Ecdsa => &self.ecdsa,
        }
    }
}

/// One side of an in-memory connection.
pub trait Endpoint {
    /// The TLS bytes to send to the peer, each library's cheapest way: glasstls lends its
    /// output queue; rustls copies its records out with `write_tls` into `wire` (the
    /// harness's buffer, reused); OpenSSL's memory BIO has already copied them and is swapped
    /// with `wire`.
    fn pending_tls<'a>(&'a mut self, wire: &'a mut Vec<u8>) -> &'a [u8];
    /// The bytes `pending_tls` returned were delivered.
    fn sent_tls(&mut self);
    /// TLS bytes from the peer; any plaintext is read and counted.
    fn give_tls(&mut self, data: &[u8]);
    fn handshaking(&self) -> bool;
    fn send(&mut self, data: &[u8]);
    /// Plaintext bytes received since the last call.
    fn take_received(&mut self) -> usize;
    /// Whether the handshake resumed a session.
    fn resumed(&self) -> bool;
    /// A client keeps the session it has for the next connection, where the library does not
    /// do it by itself (OpenSSL).
    fn keep_session(&mut self) {}
    /// The network delivers `data` (untimed): a library that reads records in a buffer of its
    /// own (rustls's unbuffered API decrypts there in place) gets them copied there now, as a
    /// socket read would put them; the others read `data` where it lies in `give_tls`.
    fn stage_tls(&mut self, _data: &[u8]) {}
}

// ---- glasstls ----

struct Glass {
    conn: glasstls::Connection,
    received: usize,
    /// Render every event as `--trace=json` does (the traced row); off, nothing is touched.
    json: bool,
}

impl Glass {
    fn new(conn: glasstls::Connection, json: bool) -> Self {
        Self {
            conn,
            received: 0,
            json,
        }
    }

    /// The JSON lines of the events since the last call, written nowhere (their length is
    /// used, so the rendering is not optimised away).
    fn render(&mut self) {
        if self.json {
            let lines: usize = self
                .conn
                .take_events()
                .iter()
                .map(|e| {
                    glasstls_cli::trace::event_json(e, 0, None)
                        .to_string()
                        .len()
                })
                .sum();
            std::hint::black_box(lines);
        }
    }
}

thread_local! {
    /// Where OpenSSL, which has no way to lend its plaintext, copies what it reads: the
    /// harness's buffer, outside what the memory rows count.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; 64 * 1024]);
}

impl Endpoint for Glass {
    fn pending_tls<'a>(&'a mut self, _: &'a mut Vec<u8>) -> &'a [u8] {
        self.conn.outgoing_tls()
    }
    fn sent_tls(&mut self) {
        let n = self.conn.outgoing_tls().len();
        self.conn.consume_outgoing(n);
        self.render();
    }
    fn give_tls(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = self.conn.read_tls(data);
            data = &data[n..];
            if let Err(e) = self.conn.process_new_packets(glasstls::UnixTime::now()) {
                panic!(
                    "glasstls refused: {e} (offered {:?})",
                    self.conn.info().offered_suites
                );
            }
            // The application reads the plaintext where the connection holds it.
            let n = self.conn.received().len();
            self.conn.consume_received(n);
            self.received += n;
        }
        self.render();
    }
    fn handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }
    fn send(&mut self, data: &[u8]) {
        self.conn.send(data).expect("glasstls send");
    }
    fn take_received(&mut self) -> usize {
        std::mem::take(&mut self.received)
    }
    fn resumed(&self) -> bool {
        self.conn.info().resumed.is_some()
    }
}

// ---- rustls ----

struct Rust {
    conn: rustls::Connection,
    received: usize,
}

impl Endpoint for Rust {
    fn pending_tls<'a>(&'a mut self, wire: &'a mut Vec<u8>) -> &'a [u8] {
        wire.clear();
        while self.conn.wants_write() {
            self.conn.write_tls(wire).expect("rustls write_tls");
        }
        wire
    }
    fn sent_tls(&mut self) {}
    fn give_tls(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            self.conn.read_tls(&mut data).expect("rustls read_tls");
            self.conn.process_new_packets().expect("rustls refused");
            // As for glasstls: the plaintext is read where rustls holds it (`BufRead`).
            let mut reader = self.conn.reader();
            loop {
                match reader.fill_buf() {
                    Ok([]) | Err(_) => break,
                    Ok(chunk) => {
                        let n = chunk.len();
                        reader.consume(n);
                        self.received += n;
                    }
                }
            }
        }
    }
    fn handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }
    fn send(&mut self, data: &[u8]) {
        self.conn.writer().write_all(data).expect("rustls send");
    }
    fn take_received(&mut self) -> usize {
        std::mem::take(&mut self.received)
    }
    fn resumed(&self) -> bool {
        self.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
    }
}

// ---- rustls, unbuffered ----

enum UnbufConn {
    Client(rustls::client::UnbufferedClientConnection),
    Server(rustls::server::UnbufferedServerConnection),
}

/// rustls's unbuffered API as its documentation and examples drive it: one incoming buffer
/// that records are decrypted in, one outgoing buffer that records are encrypted into.
struct RustUnbuf {
    conn: UnbufConn,
    incoming: Vec<u8>,
    /// Bytes of `incoming` that hold records not yet processed.
    used: usize,
    outgoing: Vec<u8>,
    out_len: usize,
    received: usize,
}

impl RustUnbuf {
    /// The buffers start empty and grow to what the connection needs (rustls says how much
    /// with `InsufficientSizeError`): a handshake does not pay for zeroing a bulk transfer's.
    fn new(conn: UnbufConn) -> Self {
        Self {
            conn,
            incoming: Vec::new(),
            used: 0,
            outgoing: Vec::new(),
            out_len: 0,
            received: 0,
        }
    }

    /// Runs the connection until it waits for the peer; `data`, if any, is encrypted once
    /// traffic may flow.
    fn run(&mut self, mut data: Option<&[u8]>) {
        loop {
            let Self {
                conn,
                incoming,
                used,
                outgoing,
                out_len,
                received,
            } = self;
            let input = &mut incoming[..*used];
            let (discard, more) = match conn {
                UnbufConn::Client(c) => unbuf_step(
                    c.process_tls_records(input),
                    outgoing,
                    out_len,
                    received,
                    &mut data,
                ),
                UnbufConn::Server(s) => unbuf_step(
                    s.process_tls_records(input),
                    outgoing,
                    out_len,
                    received,
                    &mut data,
                ),
            };
            // The processed records leave the front of the buffer before the next call.
            if discard > 0 {
                incoming.copy_within(discard..*used, 0);
                *used -= discard;
            }
            if !more {
                return;
            }
        }
    }

    fn common(&self) -> &rustls::CommonState {
        match &self.conn {
            UnbufConn::Client(c) => c,
            UnbufConn::Server(s) => s,
        }
    }
}

/// Handles one state; returns how much input to discard and whether to call again.
fn unbuf_step<Data>(
    status: rustls::unbuffered::UnbufferedStatus<'_, '_, Data>,
    outgoing: &mut Vec<u8>,
    out_len: &mut usize,
    received: &mut usize,
    data: &mut Option<&[u8]>,
) -> (usize, bool) {
    use rustls::unbuffered::{ConnectionState, EncodeError, EncryptError};
    let rustls::unbuffered::UnbufferedStatus { discard, state } = status;
    let more = match state.expect("rustls (unbuffered) refused") {
        ConnectionState::EncodeTlsData(mut encode) => {
            loop {
                match encode.encode(&mut outgoing[*out_len..]) {
                    Ok(n) => break *out_len += n,
                    Err(EncodeError::InsufficientSize(e)) => {
                        outgoing.resize(*out_len + e.required_size, 0)
                    }
                    Err(e) => panic!("rustls (unbuffered) encode: {e}"),
                }
            }
            true
        }
        // What was encoded stays in `outgoing` until the harness takes it (`pending_tls`).
        ConnectionState::TransmitTlsData(transmit) => {
            transmit.done();
            true
        }
        ConnectionState::BlockedHandshake => false,
        ConnectionState::WriteTraffic(mut write) => {
            if let Some(plaintext) = data.take() {
                loop {
                    match write.encrypt(plaintext, &mut outgoing[*out_len..]) {
                        Ok(n) => break *out_len += n,
                        Err(EncryptError::InsufficientSize(e)) => {
                            outgoing.resize(*out_len + e.required_size, 0)
                        }
                        Err(e) => panic!("rustls (unbuffered) encrypt: {e}"),
                    }
                }
            }
            false
        }
        ConnectionState::ReadTraffic(mut read) => {
            while let Some(record) = read.next_record() {
                *received += record.expect("rustls (unbuffered) record").payload.len();
            }
            true
        }
        // No row sends early data.
        ConnectionState::ReadEarlyData(_) => panic!("rustls (unbuffered): early data"),
        _ => false,
    };
    (discard, more)
}

impl Endpoint for RustUnbuf {
    fn pending_tls<'a>(&'a mut self, _wire: &'a mut Vec<u8>) -> &'a [u8] {
        self.run(None);
        &self.outgoing[..self.out_len]
    }
    fn sent_tls(&mut self) {
        self.out_len = 0;
    }
    fn stage_tls(&mut self, data: &[u8]) {
        let end = self.used + data.len();
        if self.incoming.len() < end {
            self.incoming.resize(end, 0);
        }
        self.incoming[self.used..end].copy_from_slice(data);
        self.used = end;
    }
    fn give_tls(&mut self, _data: &[u8]) {
        self.run(None);
    }
    fn handshaking(&self) -> bool {
        self.common().is_handshaking()
    }
    fn send(&mut self, data: &[u8]) {
        self.run(Some(data));
    }
    fn take_received(&mut self) -> usize {
        std::mem::take(&mut self.received)
    }
    fn resumed(&self) -> bool {
        self.common().handshake_kind() == Some(rustls::HandshakeKind::Resumed)
    }
}

// ---- OpenSSL ----

/// A byte pipe: reads what the peer gave (WouldBlock when empty), collects what we write.
#[derive(Default)]
struct MemPipe {
    input: Vec<u8>,
    read_at: usize,
    output: Vec<u8>,
}

impl Read for MemPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = &self.input[self.read_at..];
        if avail.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.read_at += n;
        if self.read_at == self.input.len() {
            self.input.clear();
            self.read_at = 0;
        }
        Ok(n)
    }
}

impl Write for MemPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Ossl {
    stream: SslStream<MemPipe>,
    handshaking: bool,
    received: usize,
    /// A client's: where the session it made is kept for the next client.
    session: Option<SessionSlot>,
}

/// The session an OpenSSL client made last, for the next one to resume (what glasstls's and
/// rustls's clients keep in their caches by themselves).
type SessionSlot = Arc<std::sync::Mutex<Option<openssl::ssl::SslSession>>>;

impl Ossl {
    fn step(&mut self) {
        if !self.handshaking {
            return;
        }
        match self.stream.do_handshake() {
            Ok(()) => self.handshaking = false,
            Err(e) if e.code() == ErrorCode::WANT_READ => {}
            Err(e) => panic!("OpenSSL handshake failed: {e}"),
        }
    }
}

/// OpenSSL voids a session whose connection ends without close_notify (`SSL_free` then
/// removes it from the cache and marks it not resumable); the other libraries keep theirs. The
/// harness drops connections without a shutdown, so it tells OpenSSL that one happened.
impl Drop for Ossl {
    fn drop(&mut self) {
        self.stream.set_shutdown(
            openssl::ssl::ShutdownState::SENT | openssl::ssl::ShutdownState::RECEIVED,
        );
    }
}

impl Endpoint for Ossl {
    fn pending_tls<'a>(&'a mut self, wire: &'a mut Vec<u8>) -> &'a [u8] {
        self.step();
        wire.clear();
        std::mem::swap(wire, &mut self.stream.get_mut().output);
        wire
    }
    fn sent_tls(&mut self) {}
    fn give_tls(&mut self, data: &[u8]) {
        self.stream.get_mut().input.extend_from_slice(data);
        self.step();
        if !self.handshaking {
            SCRATCH.with_borrow_mut(|buf| {
                loop {
                    match self.stream.ssl_read(buf) {
                        Ok(n) if n > 0 => self.received += n,
                        Ok(_) => break,
                        Err(e) if e.code() == ErrorCode::WANT_READ => break,
                        Err(e) => panic!("OpenSSL read failed: {e}"),
                    }
                }
            });
        }
    }
    fn handshaking(&self) -> bool {
        self.handshaking
    }
    fn send(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = self.stream.ssl_write(data).expect("OpenSSL write");
            data = &data[n..];
        }
    }
    fn take_received(&mut self) -> usize {
        std::mem::take(&mut self.received)
    }
    fn resumed(&self) -> bool {
        self.stream.ssl().session_reused()
    }
    fn keep_session(&mut self) {
        if let (Some(slot), Some(session)) = (&self.session, self.stream.ssl().session()) {
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(session.to_owned());
            }
        }
    }
}

// ---- building pairs ----

/// Shared configurations for one library and scenario (so that sessions carry over).
enum Configs {
    Glass(Arc<glasstls::ClientConfig>, Arc<glasstls::ServerConfig>),
    Rust(Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>),
    Ossl(SslContext, SslContext, SessionSlot),
    /// rustls through its unbuffered API.
    RustUnbuf(Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>),
    /// A rustls client against a glasstls server (where rustls has no server for the
    /// scenario): only the client's figures are rustls's.
    RustClient(Arc<rustls::ClientConfig>, Arc<glasstls::ServerConfig>),
}

fn glass_configs(pki: &Pki, s: &Scenario) -> Configs {
    let leaf = pki.leaf(s.cert);
    let mut roots = glasstls::RootStore::empty();
    roots.add(&pki.ca.cert).expect("root");
    let version = if s.tls13 {
        glasstls::Version::Tls13
    } else {
        glasstls::Version::Tls12
    };
    let mut client = glasstls::ClientConfig::new(roots);
    client.common.versions = vec![version];
    client.common.cipher_suites = vec![s.suite];
    // RFC 8422 §5.1: in TLS 1.2 the client's groups must also name the ECDSA certificate's
    // curve; x25519 stays first, so the key exchange is still x25519.
    let groups = if !s.tls13 && s.cert == Cert::Ecdsa {
        vec![s.group, G::secp256r1]
    } else {
        vec![s.group]
    };
    client.common.groups = groups.clone();
    client.common.rsa_key_exchange = true;
    client.tickets = s.resume != Resume::SessionId;
    let mut server = glasstls::ServerConfig::new(vec![
        glasstls::Identity::new(leaf.chain.clone(), &leaf.key_der()).expect("identity"),
    ]);
    server.common.versions = vec![version];
    server.common.cipher_suites = vec![s.suite];
    server.common.groups = groups;
    server.common.rsa_key_exchange = true;
    if s.resume == Resume::SessionId {
        server.tickets = None;
    }
    if s.resume == Resume::No {
        client.session_cache = None;
        server.session_ids = false;
        server.tickets = None;
    }
    // Like for like: rustls and OpenSSL send no GREASE ECH by default.
    client.ech = glasstls::ech::EchMode::Off;
    if s.ech {
        let key = ech_key();
        client.ech = glasstls::ech::EchMode::Offer(vec![key.config.clone()]);
        server.ech_keys = vec![key];
    }
    Configs::Glass(Arc::new(client), Arc::new(server))
}

/// One ECH key for every ECH row (rustls's client is given its config too).
fn ech_key() -> Arc<glasstls::ech::EchKey> {
    static KEY: std::sync::OnceLock<Arc<glasstls::ech::EchKey>> = std::sync::OnceLock::new();
    Arc::clone(KEY.get_or_init(|| {
        Arc::new(glasstls::ech::EchKey::generate("public.example", 1).expect("an ECH key"))
    }))
}

fn rust_suite(s: &Scenario) -> Option<rustls::SupportedCipherSuite> {
    use rustls::crypto::aws_lc_rs::cipher_suite as cs;
    Some(match s.suite {
        S::TLS_AES_128_GCM_SHA256 => cs::TLS13_AES_128_GCM_SHA256,
        S::TLS_AES_256_GCM_SHA384 => cs::TLS13_AES_256_GCM_SHA384,
        S::TLS_CHACHA20_POLY1305_SHA256 => cs::TLS13_CHACHA20_POLY1305_SHA256,
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }
        S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        _ => return None,
    })
}

fn rust_configs(pki: &Pki, s: &Scenario) -> Option<Configs> {
    use rustls::crypto::aws_lc_rs as p;
    let mut provider = p::default_provider();
    provider.cipher_suites = vec![rust_suite(s)?];
    provider.kx_groups = vec![if s.group == G::X25519MLKEM768 {
        p::kx_group::X25519MLKEM768
    } else {
        p::kx_group::X25519
    }];
    let provider = Arc::new(provider);
    let version: &'static rustls::SupportedProtocolVersion = if s.tls13 {
        &rustls::version::TLS13
    } else {
        &rustls::version::TLS12
    };
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.cert.clone()).ok()?;
    if s.ech {
        // rustls has no ECH server: its ECH client meets ours.
        let list = glasstls::ech::config_list(&[ech_key().config.clone()]);
        let ech =
            rustls::client::EchConfig::new(list.into(), p::hpke::ALL_SUPPORTED_SUITES).ok()?;
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_ech(rustls::client::EchMode::Enable(ech))
            .ok()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let Configs::Glass(_, server) = glass_configs(pki, s) else {
            return None;
        };
        return Some(Configs::RustClient(Arc::new(client), server));
    }
    let mut client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let leaf = pki.leaf(s.cert);
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .ok()?
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key_der())
        .ok()?;
    match s.resume {
        Resume::No => {
            client.resumption = rustls::client::Resumption::disabled();
            server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            server.send_tls13_tickets = 0;
        }
        Resume::SessionId => {
            client.resumption = rustls::client::Resumption::in_memory_sessions(256)
                .tls12_resumption(rustls::client::Tls12Resumption::SessionIdOnly);
        }
        Resume::Ticket => {
            server.ticketer = p::Ticketer::new().ok()?;
            server.send_tls13_tickets = 1;
        }
    }
    Some(Configs::Rust(Arc::new(client), Arc::new(server)))
}

fn ossl_configs(pki: &Pki, s: &Scenario) -> Option<Configs> {
    if s.group == G::X25519MLKEM768 || s.ech {
        return None;
    }
    let version = if s.tls13 {
        SslVersion::TLS1_3
    } else {
        SslVersion::TLS1_2
    };
    let ca = openssl::x509::X509::from_der(pki.ca.cert.as_ref()).ok()?;
    let mut client = SslContext::builder(SslMethod::tls_client()).ok()?;
    let mut server = SslContext::builder(SslMethod::tls_server()).ok()?;
    for ctx in [&mut client, &mut server] {
        ctx.set_min_proto_version(Some(version)).ok()?;
        ctx.set_max_proto_version(Some(version)).ok()?;
        if s.tls13 {
            ctx.set_ciphersuites(s.openssl_suite).ok()?;
        } else {
            ctx.set_cipher_list(s.openssl_suite).ok()?;
        }
        // As above: TLS 1.2 ECDSA needs the certificate's curve among the groups.
        ctx.set_groups_list(if !s.tls13 && s.cert == Cert::Ecdsa {
            "X25519:P-256"
        } else {
            "X25519"
        })
        .ok()?;
        match s.resume {
            Resume::No => {
                ctx.set_options(openssl::ssl::SslOptions::NO_TICKET);
                ctx.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::OFF);
            }
            // The server keeps sessions by ID; no tickets.
            Resume::SessionId => {
                ctx.set_options(openssl::ssl::SslOptions::NO_TICKET);
                ctx.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::BOTH);
            }
            // Stateless tickets, one per handshake as the other libraries send.
            Resume::Ticket => {
                ctx.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::CLIENT);
                ctx.set_num_tickets(1).ok()?;
            }
        }
    }
    client.cert_store_mut().add_cert(ca).ok()?;
    client.set_verify(SslVerifyMode::PEER);
    let leaf = pki.leaf(s.cert);
    let cert = openssl::x509::X509::from_der(leaf.chain[0].as_ref()).ok()?;
    let key = openssl::pkey::PKey::private_key_from_pem(leaf.key_pem.as_bytes()).ok()?;
    server.set_certificate(&cert).ok()?;
    server.set_private_key(&key).ok()?;
    Some(Configs::Ossl(
        client.build(),
        server.build(),
        Arc::default(),
    ))
}

/// The glasstls and rustls configurations of scenario `s`, for adapters that drive them
/// (the tokio rows).
#[allow(clippy::type_complexity)]
pub fn both_configs(
    pki: &Pki,
    s: &Scenario,
) -> Option<(
    (Arc<glasstls::ClientConfig>, Arc<glasstls::ServerConfig>),
    (Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>),
)> {
    let Configs::Glass(gc, gs) = glass_configs(pki, s) else {
        return None;
    };
    let Some(Configs::Rust(rc, rs)) = rust_configs(pki, s) else {
        return None;
    };
    Some(((gc, gs), (rc, rs)))
}

fn configs(pki: &Pki, lib: Lib, s: &Scenario) -> Option<Configs> {
    match lib {
        Lib::Glasstls => Some(glass_configs(pki, s)),
        Lib::Rustls => rust_configs(pki, s),
        Lib::RustlsUnbuffered => match rust_configs(pki, s)? {
            Configs::Rust(client, server) => Some(Configs::RustUnbuf(client, server)),
            // ECH rows pair rustls's client with our server: the buffered row says it.
            _ => None,
        },
        Lib::Openssl => ossl_configs(pki, s),
    }
}

fn new_client(c: &Configs) -> Box<dyn Endpoint> {
    match c {
        Configs::Glass(client, _) => Box::new(Glass::new(
            glasstls::Connection::client(Arc::clone(client), "localhost".try_into().expect("name"))
                .expect("client"),
            client.common.trace,
        )),
        Configs::Rust(client, _) | Configs::RustClient(client, _) => Box::new(Rust {
            conn: rustls::ClientConnection::new(
                Arc::clone(client),
                "localhost".try_into().expect("name"),
            )
            .expect("client")
            .into(),
            received: 0,
        }),
        Configs::RustUnbuf(client, _) => Box::new(RustUnbuf::new(UnbufConn::Client(
            rustls::client::UnbufferedClientConnection::new(
                Arc::clone(client),
                "localhost".try_into().expect("name"),
            )
            .expect("client"),
        ))),
        Configs::Ossl(client, _, slot) => {
            let mut ssl = Ssl::new(client).expect("ssl");
            ssl.param_mut().set_host("localhost").expect("host");
            if let Some(session) = slot.lock().ok().and_then(|s| s.clone()) {
                // SAFETY: `SslRef::set_session` requires the session to come from an `Ssl` of
                // the same `SslContext`; `slot` belongs to this `Configs::Ossl` and is filled
                // only by `keep_session` on clients made here from `client`, this context.
                #[allow(unsafe_code)]
                unsafe {
                    ssl.set_session(&session).expect("set_session");
                }
            }
            ssl.set_connect_state();
            Box::new(Ossl {
                stream: SslStream::new(ssl, MemPipe::default()).expect("stream"),
                handshaking: true,
                received: 0,
                session: Some(Arc::clone(slot)),
            })
        }
    }
}

fn new_server(c: &Configs) -> Box<dyn Endpoint> {
    match c {
        Configs::Glass(_, server) | Configs::RustClient(_, server) => Box::new(Glass::new(
            glasstls::Connection::server(Arc::clone(server)).expect("server"),
            server.common.trace,
        )),
        Configs::Rust(_, server) => Box::new(Rust {
            conn: rustls::ServerConnection::new(Arc::clone(server))
                .expect("server")
                .into(),
            received: 0,
        }),
        Configs::RustUnbuf(_, server) => Box::new(RustUnbuf::new(UnbufConn::Server(
            rustls::server::UnbufferedServerConnection::new(Arc::clone(server)).expect("server"),
        ))),
        Configs::Ossl(_, server, _) => {
            let mut ssl = Ssl::new(server).expect("ssl");
            ssl.set_accept_state();
            Box::new(Ossl {
                stream: SslStream::new(ssl, MemPipe::default()).expect("stream"),
                handshaking: true,
                received: 0,
                session: None,
            })
        }
    }
}

#[derive(Default)]
pub struct Times {
    pub client: Duration,
    pub server: Duration,
}

fn timed<T>(total: &mut Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    *total += start.elapsed();
    out
}

/// Room for any flight or record in the harness's transport buffer, so that it never grows
/// while something is counted.
const WIRE_CAPACITY: usize = 64 * 1024;

/// Runs a handshake (and the flights after it, such as TLS 1.3 tickets) to quiescence.
fn drive(
    client: &mut dyn Endpoint,
    server: &mut dyn Endpoint,
    t: &mut Times,
    wire: &mut Vec<u8>,
    mut sample: impl FnMut(),
) {
    for _ in 0..64 {
        let to_server = flight(client, &mut t.client, server, &mut t.server, wire);
        sample();
        let to_client = flight(server, &mut t.server, client, &mut t.client, wire);
        sample();
        if !to_server && !to_client && !client.handshaking() && !server.handshaking() {
            return;
        }
    }
    panic!("the handshake did not finish");
}

/// Delivers what `from` has to send to `to`, timing each side's part; whether there was any.
fn flight(
    from: &mut dyn Endpoint,
    from_time: &mut Duration,
    to: &mut dyn Endpoint,
    to_time: &mut Duration,
    wire: &mut Vec<u8>,
) -> bool {
    let (sender, buffer) = (&mut *from, &mut *wire);
    let bytes = timed(from_time, move || sender.pending_tls(buffer));
    if bytes.is_empty() {
        return false;
    }
    to.stage_tls(bytes);
    timed(to_time, || to.give_tls(bytes));
    timed(from_time, || from.sent_tls());
    true
}

/// `n` handshakes; for resumption scenarios one untimed full handshake comes first and every
/// timed one must resume.
pub fn handshakes(pki: &Pki, lib: Lib, s: &Scenario, n: usize) -> Option<Times> {
    handshakes_with(configs(pki, lib, s)?, lib, s, n)
}

/// glasstls's handshakes with tracing on, every event rendered as a `--trace=json` line.
pub fn traced_handshakes(pki: &Pki, s: &Scenario, n: usize) -> Times {
    let Configs::Glass(client, server) = glass_configs(pki, s) else {
        unreachable!("glass_configs makes glasstls configs");
    };
    let (mut client, mut server) = ((*client).clone(), (*server).clone());
    client.common.trace = true;
    server.common.trace = true;
    let c = Configs::Glass(Arc::new(client), Arc::new(server));
    handshakes_with(c, Lib::Glasstls, s, n).unwrap_or_default()
}

fn handshakes_with(c: Configs, lib: Lib, s: &Scenario, n: usize) -> Option<Times> {
    let mut t = Times::default();
    let mut wire = Vec::with_capacity(WIRE_CAPACITY);
    if s.resume != Resume::No {
        let (mut client, mut server) = (new_client(&c), new_server(&c));
        drive(
            client.as_mut(),
            server.as_mut(),
            &mut Times::default(),
            &mut wire,
            || {},
        );
        client.keep_session();
    }
    for _ in 0..n {
        let mut client = timed(&mut t.client, || new_client(&c));
        let mut server = timed(&mut t.server, || new_server(&c));
        drive(client.as_mut(), server.as_mut(), &mut t, &mut wire, || {});
        timed(&mut t.client, || client.keep_session());
        assert_eq!(
            client.resumed(),
            s.resume != Resume::No,
            "{lib:?} {}: resumption did not happen as intended",
            s.name
        );
        timed(&mut t.client, || drop(client));
        timed(&mut t.server, || drop(server));
    }
    Some(t)
}

/// Client → server transfer of `bytes` in 16 KiB writes: (sender time, receiver time). Each
/// write is delivered before the next, and each side is timed once per write: its clock reads
/// (about 0.1 µs a pair here) are in every row, and `bound::aead` times each record the same
/// way.
pub fn bulk(pki: &Pki, lib: Lib, s: &Scenario, bytes: usize) -> Option<(Duration, Duration)> {
    let c = configs(pki, lib, s)?;
    let (mut client, mut server) = (new_client(&c), new_server(&c));
    let mut wire = Vec::with_capacity(WIRE_CAPACITY);
    drive(
        client.as_mut(),
        server.as_mut(),
        &mut Times::default(),
        &mut wire,
        || {},
    );
    let chunk = vec![0x5au8; 16 * 1024];
    let (mut send, mut receive) = (Duration::ZERO, Duration::ZERO);
    let mut received = 0;
    let mut sent = 0;
    while sent < bytes {
        let (sender, buffer, chunk) = (client.as_mut(), &mut wire, &chunk);
        let tls = timed(&mut send, move || {
            // What the previous write put on the wire is released here, in the sender's time.
            sender.sent_tls();
            sender.send(chunk);
            sender.pending_tls(buffer)
        });
        sent += chunk.len();
        server.stage_tls(tls);
        timed(&mut receive, || server.give_tls(tls));
        received += server.take_received();
    }
    timed(&mut send, || client.sent_tls());
    assert_eq!(received, sent, "{lib:?} {}: bytes lost", s.name);
    Some((send, receive))
}

pub struct Memory {
    pub client_retained: f64,
    pub server_retained: f64,
    pub peak: f64,
    /// Retained once 1 MiB has gone each way in 16 KiB writes, every byte read: what an idle
    /// connection holds after traffic.
    pub client_after_data: f64,
    pub server_after_data: f64,
}

/// Heap bytes in use. stats_alloc already adds a `realloc`'s growth to `bytes_allocated` (and
/// its shrinking to `bytes_deallocated`); `bytes_reallocated` is the same change once more,
/// and adding it counted every grown buffer twice.
fn live(alloc: &stats_alloc::StatsAlloc<std::alloc::System>) -> isize {
    let s = alloc.stats();
    s.bytes_allocated as isize - s.bytes_deallocated as isize
}

/// Heap bytes each side keeps once the handshake is over (the other side dropped), and the
/// highest heap use seen between handshake steps, both sides together.
pub fn memory(
    pki: &Pki,
    lib: Lib,
    s: &Scenario,
    alloc: &stats_alloc::StatsAlloc<std::alloc::System>,
) -> Option<Memory> {
    if lib == Lib::Openssl {
        return None;
    }
    let c = configs(pki, lib, s)?;
    // The harness's transport buffer, outside what is counted.
    let mut wire = Vec::with_capacity(WIRE_CAPACITY);
    let mut run = |keep_client: bool, with_data: bool| {
        let base = live(alloc);
        let mut peak = 0;
        let (mut client, mut server) = (new_client(&c), new_server(&c));
        drive(
            client.as_mut(),
            server.as_mut(),
            &mut Times::default(),
            &mut wire,
            || peak = peak.max(live(alloc) - base),
        );
        if with_data {
            let chunk = vec![0x5au8; 16 * 1024];
            let mut t = Times::default();
            for _ in 0..64 {
                client.send(&chunk);
                flight(
                    client.as_mut(),
                    &mut t.client,
                    server.as_mut(),
                    &mut t.server,
                    &mut wire,
                );
                server.send(&chunk);
                flight(
                    server.as_mut(),
                    &mut t.server,
                    client.as_mut(),
                    &mut t.client,
                    &mut wire,
                );
            }
            assert_eq!(server.take_received(), 64 * chunk.len());
            assert_eq!(client.take_received(), 64 * chunk.len());
        }
        if keep_client {
            drop(server);
            let retained = live(alloc) - base;
            drop(client);
            (retained, peak)
        } else {
            drop(client);
            let retained = live(alloc) - base;
            drop(server);
            (retained, peak)
        }
    };
    let (client_retained, peak) = run(true, false);
    let (server_retained, _) = run(false, false);
    let (client_after_data, _) = run(true, true);
    let (server_after_data, _) = run(false, true);
    Some(Memory {
        client_retained: client_retained as f64,
        server_retained: server_retained as f64,
        peak: peak as f64,
        client_after_data: client_after_data as f64,
        server_after_data: server_after_data as f64,
    })
}
