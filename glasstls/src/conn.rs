//! The sans-IO connection: bytes in (`read_tls`), `process_new_packets(now)`, bytes out
//! (`outgoing_tls`), plaintext through `send` and `recv`, trace events through `take_events`.
//!
//! Polling order for a driver: feed what the transport delivered with `read_tls`, call
//! `process_new_packets`, write out `outgoing_tls` and `consume_outgoing`, read plaintext with
//! `recv`. Repeat. Nothing here blocks, reads a clock or touches a socket.

use crate::buffer::Buffer;
use crate::config::{ClientConfig, ServerConfig};
use crate::crypto::{Hash, Suite};
use crate::error::Error;
use crate::keylog::KeyLog;
use crate::record::{self, Deframer, HEADER_LEN, MAX_CIPHERTEXT, RecordCipher};
use crate::trace::{Direction, Event};
use crate::wire::{
    AlertDescription, AlertLevel, CipherSuite, Codec, ContentType, HandshakeMessage, HandshakeType,
    InvalidMessage, NamedGroup, ProtocolVersion, SignatureScheme,
};
use aws_lc_rs::digest;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::Arc;

/// Plaintext we decrypt ahead of the application before we stop reading records.
const PLAINTEXT_IN_LIMIT: usize = 64 * 1024;
/// Warning alerts and empty application-data records tolerated in a row: more is a peer trying
/// to keep us busy for nothing.
const MAX_EMPTY_OR_WARNING_IN_A_ROW: u32 = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// What was negotiated, for the application and the trace.
#[derive(Clone, Debug, Default)]
pub struct HandshakeInfo {
    pub version: Option<ProtocolVersion>,
    pub cipher_suite: Option<CipherSuite>,
    pub group: Option<NamedGroup>,
    pub signature_scheme: Option<SignatureScheme>,
    pub server_name: Option<String>,
    pub alpn_protocol: Option<Vec<u8>>,
    pub extended_master_secret: bool,
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// What the client offered (as seen by either side).
    pub offered_suites: Vec<CipherSuite>,
    pub offered_groups: Vec<NamedGroup>,
    pub offered_alpn: Vec<Vec<u8>>,
    /// Set when this handshake resumed an earlier session.
    pub resumed: Option<crate::session::Resumption>,
    /// The session ID the server gave (or echoed); empty if none.
    pub session_id: Vec<u8>,
}

/// One TLS connection, client or server.
pub struct Connection {
    deframer: Deframer,
    core: Core,
    state: Option<Box<dyn State>>,
}

/// What one protected application_data record held.
enum Opened {
    /// Application data of this length, now in the plaintext buffer.
    Data(usize),
    /// A TLS 1.3 inner content type other than application data, and its plaintext.
    Other(ContentType, Vec<u8>),
}

/// Everything the handshake states may touch.
pub(crate) struct Core {
    pub side: Side,
    pub now: UnixTime,
    pub encrypter: Option<RecordCipher>,
    pub decrypter: Option<RecordCipher>,
    /// TLS bytes waiting for the transport.
    out: Buffer,
    handshake_buf: Vec<u8>,
    /// The handshake's input space was given back (`release_handshake_space`).
    handshake_space_released: bool,
    /// Application data waiting for the application; `PLAINTEXT_IN_LIMIT` bounds it (one
    /// record past it).
    received: Buffer,
    /// A record `read_tls` decrypted that is not application data (a TLS 1.3 post-handshake
    /// message or alert), or is empty: `process_new_packets` hands it on before anything else.
    opened_ahead: Option<(ContentType, Vec<u8>)>,
    /// Application data written before the handshake finished.
    early_plaintext: Vec<u8>,
    pub traffic: bool,
    /// TLS 1.3 was negotiated: 1.3 message shapes, alert rules and compatibility records.
    pub tls13: bool,
    /// Bumped whenever the read keys change, to check that no handshake message spans it.
    pub read_epoch: u32,
    compatibility_ccs_seen: bool,
    pub compatibility_ccs_sent: bool,
    peer_closed: bool,
    sent_close_notify: bool,
    error: Option<Error>,
    events: Option<Vec<Event>>,
    pub reveal_secrets: bool,
    pub key_log: Option<Arc<dyn KeyLog>>,
    max_handshake_size: usize,
    empty_or_warning_in_a_row: u32,
    pub key_updates_in_a_row: u32,
    pub info: HandshakeInfo,
    /// The session this connection established or resumed, once the handshake is done.
    pub session: Option<crate::session::Session>,
}

/// What the connection hands a handshake state.
pub(crate) enum Input<'a> {
    Handshake {
        msg: HandshakeMessage,
        raw: &'a [u8],
    },
    ChangeCipherSpec,
}

impl Input<'_> {
    pub fn describe(&self) -> String {
        match self {
            Self::Handshake { msg, .. } => msg.typ().to_string(),
            Self::ChangeCipherSpec => "ChangeCipherSpec".into(),
        }
    }
}

/// One struct per expected message; each consumes itself and returns the next state.
pub(crate) trait State: Send {
    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error>;

    /// Asks the peer to update its keys and updates ours (TLS 1.3 traffic only).
    fn request_key_update(&mut self, _core: &mut Core) -> Result<(), Error> {
        Err(Error::General(
            "a key update needs a TLS 1.3 connection in its traffic state".into(),
        ))
    }
}

/// The one place an unexpected message becomes an error (STYLE habit 4).
pub(crate) fn unexpected(expected: &'static str, input: &Input<'_>) -> Error {
    Error::UnexpectedMessage {
        expected,
        got: input.describe(),
    }
}

impl Connection {
    pub fn client(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
    ) -> Result<Self, Error> {
        let mut core = Core::new(Side::Client, &config.common);
        let state = crate::client::start(config, server_name, &mut core)?;
        Ok(Self {
            deframer: Deframer::default(),
            core,
            state: Some(state),
        })
    }

    pub fn server(config: Arc<ServerConfig>) -> Result<Self, Error> {
        if config.identities.is_empty() && config.named_identities.is_empty() {
            return Err(Error::General(
                "a server needs at least one certificate and key".into(),
            ));
        }
        let core = Core::new(Side::Server, &config.common);
        let state = crate::server::start(config);
        Ok(Self {
            deframer: Deframer::default(),
            core,
            state: Some(state),
        })
    }

    pub fn side(&self) -> Side {
        self.core.side
    }

    /// Takes bytes received from the peer; returns how many fit (the rest must be offered again
    /// after `process_new_packets`). The buffer is bounded, so a peer cannot make it grow. Once
    /// traffic flows, whole application-data records are decrypted here, straight from `data`
    /// (see `open_directly`); everything else waits for `process_new_packets`.
    pub fn read_tls(&mut self, data: &[u8]) -> usize {
        let direct = self.open_directly(data);
        direct + self.deframer.read(data.get(direct..).unwrap_or_default())
    }

    /// Once traffic flows, application data records that arrive whole with nothing staged
    /// before them are decrypted straight from the caller's bytes into the plaintext buffer,
    /// skipping the copy into the deframer. Anything else (a partial record, another content
    /// type, a header the deframer would refuse, a record that does not open) stops this and
    /// goes through the deframer and `process_new_packets` as usual; a failed open leaves the
    /// cipher as it was, so the record fails there with the right alert. Returns the bytes
    /// consumed.
    fn open_directly(&mut self, data: &[u8]) -> usize {
        let mut taken = 0;
        let core = &mut self.core;
        while self.deframer.buffered() == 0
            && core.traffic
            && core.error.is_none()
            && core.opened_ahead.is_none()
            && !core.peer_closed
            && core.received.len() < PLAINTEXT_IN_LIMIT
        {
            let rest = data.get(taken..).unwrap_or_default();
            let Some(&[typ, 3, _, len_hi, len_lo]) = rest.first_chunk::<HEADER_LEN>() else {
                break;
            };
            let len = usize::from(u16::from_be_bytes([len_hi, len_lo]));
            let payload = match rest.get(HEADER_LEN..HEADER_LEN + len) {
                Some(p)
                    if ContentType(typ) == ContentType::ApplicationData
                        && len <= MAX_CIPHERTEXT =>
                {
                    p
                }
                _ => break,
            };
            match core.open_application_record(payload) {
                Ok(Opened::Data(n)) if n > 0 => core.application_data_arrived(),
                Ok(Opened::Data(_)) => {
                    core.opened_ahead = Some((ContentType::ApplicationData, Vec::new()));
                }
                Ok(Opened::Other(typ, plaintext)) => core.opened_ahead = Some((typ, plaintext)),
                Err(_) => break,
            }
            taken += HEADER_LEN + len;
        }
        taken
    }

    /// Processes every whole record received so far. On error the matching fatal alert is
    /// queued in `outgoing_tls` and the connection is dead: every later call returns the error.
    pub fn process_new_packets(&mut self, now: UnixTime) -> Result<(), Error> {
        if let Some(e) = &self.core.error {
            return Err(e.clone());
        }
        self.core.now = now;
        match self.process_records() {
            Ok(()) => {
                self.release_handshake_space();
                Ok(())
            }
            Err(e) => Err(self.core.fail(e)),
        }
    }

    /// Once traffic flows and nothing is waiting, the input space the handshake flights needed
    /// (a certificate chain's worth) is given back, once: traffic reuses it only for records
    /// that arrive in pieces, and allocates it again then.
    fn release_handshake_space(&mut self) {
        if self.core.traffic
            && !self.core.handshake_space_released
            && self.deframer.buffered() == 0
            && self.core.handshake_buf.is_empty()
        {
            self.deframer.release_if_empty();
            self.core.handshake_buf = Vec::new();
            self.core.handshake_space_released = true;
        }
    }

    fn process_records(&mut self) -> Result<(), Error> {
        if let Some((typ, plaintext)) = self.core.opened_ahead.take() {
            let state = self.state.take().ok_or(Error::ConnectionClosed)?;
            let next = self.core.dispatch(state, typ, &plaintext, true);
            self.state = Some(next?);
        }
        while !self.core.peer_closed && self.core.received.len() < PLAINTEXT_IN_LIMIT {
            let Some(rec) = self.deframer.next_record(self.core.decrypter.is_some())? else {
                break;
            };
            let payload = self.deframer.payload_mut(&rec);
            // The common case, application data in traffic: decrypt straight into the
            // plaintext buffer the application reads from (one copy less).
            if self.core.traffic
                && rec.typ == ContentType::ApplicationData
                && self.core.decrypter.is_some()
            {
                match self.core.open_application_record(payload)? {
                    Opened::Data(n) => self.core.count_application_data(n)?,
                    // TLS 1.3 post-handshake messages and alerts go the usual way.
                    Opened::Other(typ, plaintext) => {
                        let state = self.state.take().ok_or(Error::ConnectionClosed)?;
                        let next = self.core.dispatch(state, typ, &plaintext, true);
                        self.state = Some(next?);
                    }
                }
                continue;
            }
            let (typ, plaintext, encrypted) = match self.core.decrypter.as_mut() {
                // RFC 8446 §5: a change_cipher_spec record stays unencrypted (middlebox
                // compatibility); the dispatcher decides whether it is allowed.
                Some(cipher) if cipher.is_tls13() && rec.typ == ContentType::ChangeCipherSpec => {
                    (rec.typ, &*payload, false)
                }
                // A peer that fails before it has our handshake keys (say, on our ServerHello)
                // can only tell us in plaintext; read it rather than masking its reason.
                Some(cipher)
                    if cipher.is_tls13() && rec.typ == ContentType::Alert && !self.core.traffic =>
                {
                    (rec.typ, &*payload, false)
                }
                Some(cipher) => {
                    let (typ, plaintext) = cipher.open(rec.typ, payload)?;
                    (typ, &*plaintext, true)
                }
                None => (rec.typ, &*payload, false),
            };
            let state = self.state.take().ok_or(Error::ConnectionClosed)?;
            let next = self.core.dispatch(state, typ, plaintext, encrypted);
            self.state = Some(next?);
        }
        Ok(())
    }

    /// TLS bytes waiting to be written to the transport, lent rather than copied;
    /// [`Connection::consume_outgoing`] says how many were written. Draining this way lets
    /// the connection seal the next records into the same space: no allocation or zero-fill
    /// per record.
    pub fn outgoing_tls(&self) -> &[u8] {
        self.core.out.as_slice()
    }

    pub fn consume_outgoing(&mut self, n: usize) {
        self.core.out.consume(n);
        // Handshake flights are one-off and can be large (a certificate chain); once written,
        // their space is not kept for the traffic that follows.
        if !self.core.traffic {
            self.core.out.release_if_empty();
        }
    }

    /// The TLS bytes waiting to be written, as an owned vector (the queue's space goes with
    /// them, so the next records are written into fresh space).
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        self.core.out.take()
    }

    /// Frees the space the connection keeps for the next records and plaintext, where nothing
    /// is waiting in it: for a server holding many idle connections. The next record sent or
    /// received allocates it again.
    pub fn release_buffers(&mut self) {
        self.core.out.release_if_empty();
        self.core.received.release_if_empty();
        self.deframer.release_if_empty();
    }

    /// Queues application data. Before the handshake completes it is held and sent right after
    /// our Finished.
    pub fn send(&mut self, data: &[u8]) -> Result<(), Error> {
        if let Some(e) = &self.core.error {
            return Err(e.clone());
        }
        if self.core.sent_close_notify {
            return Err(Error::ConnectionClosed);
        }
        if self.core.traffic {
            record::write_records(
                self.core.encrypter.as_mut(),
                ContentType::ApplicationData,
                data,
                &mut self.core.out,
            )
        } else {
            self.core.early_plaintext.extend_from_slice(data);
            Ok(())
        }
    }

    /// Copies received application data into `buf`; returns how many bytes.
    pub fn recv(&mut self, buf: &mut [u8]) -> usize {
        let avail = self.core.received.as_slice();
        let n = avail.len().min(buf.len());
        for (dst, src) in buf.iter_mut().zip(avail) {
            *dst = *src;
        }
        self.core.received.consume(n);
        n
    }

    /// The received application data not yet consumed, lent rather than copied (as
    /// `BufRead::fill_buf`); [`Connection::consume_received`] says how much was used.
    pub fn received(&self) -> &[u8] {
        self.core.received.as_slice()
    }

    pub fn consume_received(&mut self, n: usize) {
        self.core.received.consume(n);
    }

    pub fn plaintext_available(&self) -> usize {
        self.core.received.len()
    }

    pub fn is_handshaking(&self) -> bool {
        !self.core.traffic
    }

    /// The peer sent close_notify: no more data will come.
    pub fn peer_has_closed(&self) -> bool {
        self.core.peer_closed
    }

    /// Whether the connection failed (the error is sticky).
    pub fn error(&self) -> Option<&Error> {
        self.core.error.as_ref()
    }

    /// Queues close_notify (RFC 5246 §7.2.1). Nothing may be sent after it.
    pub fn send_close_notify(&mut self) {
        if !self.core.sent_close_notify && self.core.error.is_none() {
            self.core
                .send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
            self.core.sent_close_notify = true;
        }
    }

    pub fn info(&self) -> &HandshakeInfo {
        &self.core.info
    }

    /// TLS 1.3: sends KeyUpdate with update_requested, switching our write keys (RFC 8446
    /// §4.6.3); the peer answers with its own.
    pub fn request_key_update(&mut self) -> Result<(), Error> {
        if let Some(e) = &self.core.error {
            return Err(e.clone());
        }
        let state = self.state.as_mut().ok_or(Error::ConnectionClosed)?;
        state.request_key_update(&mut self.core)
    }

    /// The resumable session, on a client once the handshake is done (for saving to a file
    /// and offering later, as `--sess-out` does).
    pub fn session(&self) -> Option<&crate::session::Session> {
        self.core.session.as_ref()
    }

    /// Trace events recorded since the last call (empty unless the config enabled tracing).
    pub fn take_events(&mut self) -> Vec<Event> {
        self.core
            .events
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

impl Core {
    fn new(side: Side, common: &crate::config::Common) -> Self {
        Self {
            side,
            now: UnixTime::since_unix_epoch(std::time::Duration::ZERO),
            encrypter: None,
            decrypter: None,
            out: Buffer::default(),
            handshake_buf: Vec::new(),
            handshake_space_released: false,
            received: Buffer::default(),
            opened_ahead: None,
            early_plaintext: Vec::new(),
            traffic: false,
            tls13: false,
            read_epoch: 0,
            compatibility_ccs_seen: false,
            compatibility_ccs_sent: false,
            peer_closed: false,
            sent_close_notify: false,
            error: None,
            events: common.trace.then(Vec::new),
            reveal_secrets: common.reveal_secrets,
            key_log: common.key_log.clone(),
            max_handshake_size: common.max_handshake_size,
            empty_or_warning_in_a_row: 0,
            key_updates_in_a_row: 0,
            info: HandshakeInfo::default(),
            session: None,
        }
    }

    /// Records an event; `make` runs only when tracing is on.
    pub fn trace(&mut self, make: impl FnOnce() -> Event) {
        if let Some(events) = &mut self.events {
            events.push(make());
        }
    }

    /// Records a derived secret, with its value only when revealing was configured.
    pub fn trace_secret(&mut self, name: &'static str, value: &[u8]) {
        let reveal = self.reveal_secrets;
        self.trace(|| Event::Secret {
            name,
            value: reveal.then(|| crate::trace::hex(value)),
        });
    }

    /// Every fatal error goes through here: exactly one alert, then nothing else.
    fn fail(&mut self, e: Error) -> Error {
        if self.error.is_none() {
            if let Some(alert) = e.alert() {
                self.send_alert(AlertLevel::Fatal, alert);
            }
            self.trace(|| Event::step(format!("connection failed: {e}")));
            self.error = Some(e.clone());
        }
        e
    }

    pub(crate) fn out_mut(&mut self) -> &mut Buffer {
        &mut self.out
    }

    pub fn send_alert(&mut self, level: AlertLevel, description: AlertDescription) {
        // Failing to encrypt an alert leaves nothing better to send.
        let _ = record::write_records(
            self.encrypter.as_mut(),
            ContentType::Alert,
            &[level.0, description.0],
            &mut self.out,
        );
        self.trace(|| Event::Alert {
            direction: Direction::Sent,
            level,
            description,
        });
    }

    /// Encodes and sends one handshake message, adding it to `transcript`.
    pub fn send_handshake(
        &mut self,
        msg: &HandshakeMessage,
        transcript: &mut Transcript,
    ) -> Result<(), Error> {
        let bytes = msg.to_bytes();
        transcript.add(&bytes);
        let encrypted = self.encrypter.is_some();
        self.trace(|| Event::message(Direction::Sent, msg, encrypted));
        record::write_records(
            self.encrypter.as_mut(),
            ContentType::Handshake,
            &bytes,
            &mut self.out,
        )
    }

    pub fn send_change_cipher_spec(&mut self) -> Result<(), Error> {
        self.trace(|| Event::ChangeCipherSpec {
            direction: Direction::Sent,
        });
        record::write_records(
            self.encrypter.as_mut(),
            ContentType::ChangeCipherSpec,
            &[1],
            &mut self.out,
        )
    }

    /// Enters the traffic state: flushes application data written during the handshake.
    pub fn start_traffic(&mut self) -> Result<(), Error> {
        self.traffic = true;
        let early = std::mem::take(&mut self.early_plaintext);
        record::write_records(
            self.encrypter.as_mut(),
            ContentType::ApplicationData,
            &early,
            &mut self.out,
        )
    }

    pub fn log_key(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Some(log) = &self.key_log {
            log.log(label, client_random, secret);
        }
    }

    /// Logs a secret that is derived only for the key log (TLS 1.3's exporter secret): no
    /// key log, no derivation.
    pub fn log_derived_key(
        &self,
        label: &str,
        client_random: &[u8],
        derive: impl FnOnce() -> crate::keys13::Secret,
    ) {
        if let Some(log) = &self.key_log {
            log.log(label, client_random, &derive());
        }
    }

    fn dispatch(
        &mut self,
        mut state: Box<dyn State>,
        typ: ContentType,
        plaintext: &[u8],
        encrypted: bool,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 5246 §6.2.1: handshake messages may span records, but nothing may come between
        // the records of one message.
        if typ != ContentType::Handshake && !self.handshake_buf.is_empty() {
            return Err(Error::UnexpectedMessage {
                expected: "the rest of a handshake message",
                got: format!("a {typ} record"),
            });
        }
        match typ {
            ContentType::Handshake => {
                // RFC 5246 §6.2.1: "Implementations MUST NOT send zero-length fragments of
                // Handshake, Alert, or ChangeCipherSpec content types."
                if plaintext.is_empty() {
                    return Err(Error::Decode(InvalidMessage::BadLength("handshake record")));
                }
                self.empty_or_warning_in_a_row = 0;
                self.handshake_buf.extend_from_slice(plaintext);
                let buf = std::mem::take(&mut self.handshake_buf);
                let mut at = 0;
                let result = loop {
                    let rest = buf.get(at..).unwrap_or_default();
                    let Some(&[_, a, b, c]) = rest.first_chunk::<4>() else {
                        break Ok(state);
                    };
                    let len = u32::from_be_bytes([0, a, b, c]) as usize;
                    if len > self.max_handshake_size {
                        break Err(Error::Decode(InvalidMessage::TooLarge("handshake message")));
                    }
                    let Some(raw) = rest.get(..4 + len) else {
                        break Ok(state);
                    };
                    at += 4 + len;
                    let decoded = if self.tls13 {
                        HandshakeMessage::from_bytes_tls13(raw)
                    } else {
                        HandshakeMessage::from_bytes(raw)
                    };
                    let msg = match decoded {
                        Ok(msg) => msg,
                        Err(e) => break Err(e.into()),
                    };
                    let epoch = self.read_epoch;
                    self.trace(|| Event::message(Direction::Received, &msg, encrypted));
                    // RFC 5246 §7.4.1.1: HelloRequest "will be ignored by the client if the
                    // client is currently negotiating a session", and is not hashed.
                    if msg.typ() == HandshakeType::HelloRequest
                        && self.side == Side::Client
                        && !self.traffic
                    {
                        continue;
                    }
                    state = match state.handle(self, Input::Handshake { msg, raw }) {
                        Ok(next) => next,
                        Err(e) => break Err(e),
                    };
                    // RFC 8446 §5.1: "Handshake messages MUST NOT span key changes ... If they
                    // do, the receiver MUST terminate the connection with an "unexpected_message"
                    // alert." The same holds for TLS 1.2's Finished after ChangeCipherSpec.
                    if self.read_epoch != epoch && at < buf.len() {
                        break Err(Error::UnexpectedMessage {
                            expected: "a record boundary at the key change",
                            got: "more handshake data under the old keys".into(),
                        });
                    }
                };
                // A post-handshake message (a ticket, a KeyUpdate) leaves no space behind.
                if self.traffic && at == buf.len() {
                    self.handshake_buf = Vec::new();
                } else {
                    self.handshake_buf = buf;
                    self.handshake_buf.drain(..at);
                }
                result
            }
            ContentType::ChangeCipherSpec => {
                // RFC 5246 §7.1: "The message consists of a single byte of value 1."
                match plaintext {
                    [1] => {}
                    [_] => return Err(InvalidMessage::IllegalValue("ChangeCipherSpec").into()),
                    _ => return Err(InvalidMessage::BadLength("ChangeCipherSpec").into()),
                }
                // RFC 8446 §5: "An implementation may receive an unencrypted record of type
                // change_cipher_spec consisting of the single byte value 0x01 at any time after
                // the first ClientHello message has been sent or received and before the peer's
                // Finished message has been received and MUST simply drop it". Once.
                if self.tls13 {
                    if self.traffic || encrypted || self.compatibility_ccs_seen {
                        return Err(Error::UnexpectedMessage {
                            expected: "no ChangeCipherSpec",
                            got: "ChangeCipherSpec in TLS 1.3".into(),
                        });
                    }
                    self.compatibility_ccs_seen = true;
                    return Ok(state);
                }
                self.trace(|| Event::ChangeCipherSpec {
                    direction: Direction::Received,
                });
                state.handle(self, Input::ChangeCipherSpec)
            }
            ContentType::Alert => {
                let &[level, description] = plaintext else {
                    return Err(Error::Decode(InvalidMessage::BadLength("alert")));
                };
                let (level, description) = (AlertLevel(level), AlertDescription(description));
                self.trace(|| Event::Alert {
                    direction: Direction::Received,
                    level,
                    description,
                });
                if description == AlertDescription::CloseNotify {
                    // RFC 5246 §7.2.1: "the other party MUST respond with a close_notify alert
                    // of its own and close down the connection immediately".
                    self.peer_closed = true;
                    if !self.sent_close_notify {
                        self.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
                        self.sent_close_notify = true;
                    }
                    return Ok(state);
                }
                // RFC 8446 §6: in TLS 1.3 every alert but close_notify and user_canceled is an
                // error "regardless of the AlertLevel".
                let tolerated = if self.tls13 {
                    description == AlertDescription::UserCanceled
                } else {
                    level == AlertLevel::Warning && description != AlertDescription::NoRenegotiation
                };
                if tolerated {
                    self.count_empty_or_warning()?;
                    return Ok(state);
                }
                // Our own ClientHello or HelloRequest refusal aside, a no_renegotiation warning
                // during the handshake ends it: we never renegotiate, so it cannot be answered.
                self.error = Some(Error::AlertReceived(description));
                Err(Error::AlertReceived(description))
            }
            ContentType::ApplicationData => {
                if !self.traffic {
                    return Err(Error::UnexpectedMessage {
                        expected: "a handshake message",
                        got: "application data before the handshake finished".into(),
                    });
                }
                self.received.extend_from_slice(plaintext);
                self.count_application_data(plaintext.len())?;
                Ok(state)
            }
            _ => Err(Error::UnexpectedMessage {
                expected: "a known record type",
                got: typ.to_string(),
            }),
        }
    }

    /// Application data arrived: an empty record counts towards the limit of empty records in
    /// a row; data resets the counters.
    fn count_application_data(&mut self, len: usize) -> Result<(), Error> {
        if len == 0 {
            return self.count_empty_or_warning();
        }
        self.application_data_arrived();
        Ok(())
    }

    /// Data ends any run of empty records, warnings or KeyUpdates.
    fn application_data_arrived(&mut self) {
        self.empty_or_warning_in_a_row = 0;
        self.key_updates_in_a_row = 0;
    }

    /// Decrypts one protected record whose outer type is application_data into the plaintext
    /// buffer. Application data stays there; anything else (TLS 1.3 handshake messages and
    /// alerts) is taken back out and returned.
    fn open_application_record(&mut self, payload: &[u8]) -> Result<Opened, Error> {
        let Some(cipher) = self.decrypter.as_mut() else {
            return Err(Error::Internal("no read keys"));
        };
        let dst = self.received.spare(payload.len());
        let (typ, n) = cipher.open_into(ContentType::ApplicationData, payload, dst)?;
        if typ == ContentType::ApplicationData {
            self.received.commit(n);
            return Ok(Opened::Data(n));
        }
        let plaintext = dst.get(..n).unwrap_or_default().to_vec();
        Ok(Opened::Other(typ, plaintext))
    }

    fn count_empty_or_warning(&mut self) -> Result<(), Error> {
        self.empty_or_warning_in_a_row += 1;
        if self.empty_or_warning_in_a_row > MAX_EMPTY_OR_WARNING_IN_A_ROW {
            return Err(Error::UnexpectedMessage {
                expected: "data",
                got: format!(
                    "more than {MAX_EMPTY_OR_WARNING_IN_A_ROW} empty records or warning alerts in a row"
                ),
            });
        }
        Ok(())
    }
}

impl Core {
    /// Switches to new read keys.
    pub fn set_decrypter(&mut self, cipher: RecordCipher) {
        self.decrypter = Some(cipher);
        self.read_epoch = self.read_epoch.wrapping_add(1);
    }

    /// RFC 5246 §7.1 and §7.4.9: our ChangeCipherSpec, the switch to our new write keys, and
    /// our Finished under them, its verify_data over the transcript so far.
    pub fn send_change_cipher_spec_and_finished(
        &mut self,
        write: RecordCipher,
        suite: &Suite,
        master_secret: &crate::keys::MasterSecret,
        transcript: &mut Transcript,
    ) -> Result<(), Error> {
        self.send_change_cipher_spec()?;
        self.encrypter = Some(write);
        let label = match self.side {
            Side::Client => crate::keys::CLIENT_FINISHED,
            Side::Server => crate::keys::SERVER_FINISHED,
        };
        let hash = transcript.current_hash()?;
        let verify_data = crate::keys::verify_data(suite.hash, master_secret, label, hash.as_ref());
        let msg = HandshakeMessage::new(crate::wire::HandshakePayload::Finished(
            verify_data.to_vec(),
        ));
        self.send_handshake(&msg, transcript)
    }

    /// RFC 5246 §7.4.9: checks the peer's Finished against the transcript before it.
    pub fn verify_peer_finished(
        &self,
        suite: &Suite,
        master_secret: &crate::keys::MasterSecret,
        transcript: &Transcript,
        received: &[u8],
    ) -> Result<FinishedVerified, Error> {
        let label = match self.side {
            Side::Client => crate::keys::SERVER_FINISHED,
            Side::Server => crate::keys::CLIENT_FINISHED,
        };
        let hash = transcript.current_hash()?;
        verify_finished(
            &crate::keys::verify_data(suite.hash, master_secret, label, hash.as_ref()),
            received,
        )
    }

    /// RFC 5246 §6.3: derives the key block and returns (our write, our read) ciphers.
    pub fn tls12_keys(
        &mut self,
        suite: &Suite,
        master_secret: &crate::keys::MasterSecret,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Result<(RecordCipher, RecordCipher), Error> {
        let block = crate::keys::key_block(
            suite.hash,
            suite.aead,
            master_secret,
            client_random,
            server_random,
        );
        self.trace_secret("client_write_key", &block.client_write_key);
        self.trace_secret("server_write_key", &block.server_write_key);
        self.trace_secret("client_write_IV", &block.client_write_iv);
        self.trace_secret("server_write_IV", &block.server_write_iv);
        let client =
            RecordCipher::new(suite.aead, &block.client_write_key, &block.client_write_iv)?;
        let server =
            RecordCipher::new(suite.aead, &block.server_write_key, &block.server_write_iv)?;
        Ok(match self.side {
            Side::Client => (client, server),
            Side::Server => (server, client),
        })
    }
}

/// The running hash of handshake messages. Until the suite (and so the hash) is known, messages
/// are buffered; after that each is hashed once, as it passes.
#[derive(Clone)]
pub(crate) struct Transcript {
    buffer: Vec<u8>,
    context: Option<digest::Context>,
}

impl Transcript {
    pub fn new() -> Self {
        Self {
            buffer: Vec::new(),
            context: None,
        }
    }

    pub fn add(&mut self, bytes: &[u8]) {
        match &mut self.context {
            Some(ctx) => ctx.update(bytes),
            None => self.buffer.extend_from_slice(bytes),
        }
    }

    pub fn start_hash(&mut self, hash: Hash) {
        let mut ctx = digest::Context::new(hash.digest());
        ctx.update(&self.buffer);
        self.buffer = Vec::new();
        self.context = Some(ctx);
    }

    /// The hash of everything added so far. Before `start_hash` this is an internal error.
    pub fn current_hash(&self) -> Result<digest::Digest, Error> {
        Ok(self
            .context
            .as_ref()
            .ok_or(Error::Internal("transcript hash not started"))?
            .clone()
            .finish())
    }
}

/// The state after the handshake: application data flows; renegotiation is refused.
pub(crate) struct Traffic {
    _finished: FinishedVerified,
    _peer: PeerAuthenticated,
}

/// Proof that the peer's Finished verified. Made only by [`verify_finished`].
pub(crate) struct FinishedVerified(());

/// Proof the peer is who it must be: a client has verified the server's chain and its
/// signature (or, for RSA key exchange, that only the certificate's key could have produced the
/// Finished it verified); a server does not authenticate clients.
pub(crate) enum PeerAuthenticated {
    Server(crate::verify::ServerCertVerified),
    /// A client resumed a session from its cache, which holds only sessions whose full
    /// handshake verified the server (or that the application loaded on purpose), and the
    /// server proved it holds that session's master secret by its Finished.
    ServerResumed,
    ClientNotRequested,
}

impl Traffic {
    pub fn start(finished: FinishedVerified, peer: PeerAuthenticated) -> Box<dyn State> {
        Box::new(Self {
            _finished: finished,
            _peer: peer,
        })
    }
}

impl State for Traffic {
    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        use crate::wire::HandshakePayload as P;
        match input {
            // RFC 5746 §4.2/§4.4 and RFC 5246 §7.2.2: a peer that does not renegotiate answers
            // HelloRequest / a new ClientHello with a no_renegotiation warning.
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::HelloRequest,
                    },
                ..
            } if core.side == Side::Client => {
                core.trace(|| {
                    Event::step(
                        "renegotiation refused: HelloRequest answered with no_renegotiation",
                    )
                });
                core.send_alert(AlertLevel::Warning, AlertDescription::NoRenegotiation);
                Ok(self)
            }
            Input::Handshake { msg, .. }
                if msg.typ() == HandshakeType::ClientHello && core.side == Side::Server =>
            {
                core.trace(|| {
                    Event::step("renegotiation refused: ClientHello answered with no_renegotiation")
                });
                core.send_alert(AlertLevel::Warning, AlertDescription::NoRenegotiation);
                Ok(self)
            }
            other => Err(unexpected("application data", &other)),
        }
    }
}

/// RFC 5246 §7.4.9: "Recipients of Finished messages MUST verify that the contents are correct."
/// Compared in constant time.
pub(crate) fn verify_finished(expected: &[u8], received: &[u8]) -> Result<FinishedVerified, Error> {
    aws_lc_rs::constant_time::verify_slices_are_equal(expected, received)
        .map(|()| FinishedVerified(()))
        .map_err(|_| Error::DecryptError("the peer's Finished does not match the handshake"))
}

#[cfg(test)]
mod tests {
    //! The limits a peer cannot push past (see "Limits" in ARCHITECTURE.md), driven through
    //! whole connections in memory.
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::config::{DEFAULT_MAX_HANDSHAKE_SIZE, Identity};
    use crate::verify::RootStore;
    use crate::wire::ProtocolVersion;
    use rustls_pki_types::PrivatePkcs8KeyDer;

    /// A client and a server that have finished their handshake (`tls12` or TLS 1.3), trusting
    /// a self-signed certificate for `localhost`, its chain padded with `padding` extra copies.
    fn connected(tls12: bool, padding: usize, client_max: usize) -> (Connection, Connection) {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert = certified.cert.der().clone();
        let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
        let mut roots = RootStore::empty();
        roots.add(&cert).unwrap();
        let mut chain = vec![cert.clone()];
        chain.extend(std::iter::repeat_n(cert, padding));
        let mut server = ServerConfig::new(vec![Identity::new(chain, &key.into()).unwrap()]);
        let mut client = ClientConfig::new(roots);
        client.common.max_handshake_size = client_max;
        if tls12 {
            client.common.versions = vec![ProtocolVersion::TLSv1_2];
            server.common.versions = vec![ProtocolVersion::TLSv1_2];
        }
        let mut c = Connection::client(Arc::new(client), "localhost".try_into().unwrap()).unwrap();
        let mut s = Connection::server(Arc::new(server)).unwrap();
        for _ in 0..10 {
            let to_server = c.take_outgoing();
            let to_client = s.take_outgoing();
            if to_server.is_empty() && to_client.is_empty() {
                break;
            }
            // Errors stay in each side's `core.error` for the test to look at.
            let _ = deliver(&mut s, &to_server);
            let _ = deliver(&mut c, &to_client);
        }
        (c, s)
    }

    fn deliver(to: &mut Connection, mut bytes: &[u8]) -> Result<(), Error> {
        loop {
            let n = to.read_tls(bytes);
            bytes = &bytes[n..];
            to.process_new_packets(UnixTime::now())?;
            if bytes.is_empty() || n == 0 {
                return Ok(());
            }
        }
    }

    /// `records` more sent by `c` one at a time: the first error `s` reports, and after how
    /// many.
    fn flood(
        c: &mut Connection,
        s: &mut Connection,
        records: u32,
        send: impl Fn(&mut Connection),
    ) -> Option<(u32, Error)> {
        for i in 1..=records {
            send(c);
            let bytes = c.take_outgoing();
            if let Err(e) = deliver(s, &bytes) {
                return Some((i, e));
            }
        }
        None
    }

    #[test]
    fn empty_records_and_warning_alerts_in_a_row_are_bounded() {
        for tls12 in [true, false] {
            let empty = |c: &mut Connection| {
                let cipher = c.core.encrypter.as_mut().unwrap();
                cipher
                    .seal(ContentType::ApplicationData, &[], &mut c.core.out)
                    .unwrap();
            };
            let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
            let (at, e) = flood(&mut c, &mut s, 100, empty).unwrap();
            assert_eq!(at, MAX_EMPTY_OR_WARNING_IN_A_ROW + 1);
            assert!(matches!(e, Error::UnexpectedMessage { .. }), "{e}");
            assert_eq!(e.alert(), Some(AlertDescription::UnexpectedMessage));

            // Data in between resets the count: a long run broken up is fine.
            let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
            assert!(flood(&mut c, &mut s, MAX_EMPTY_OR_WARNING_IN_A_ROW, empty).is_none());
            c.send(b"x").unwrap();
            deliver(&mut s, &c.take_outgoing()).unwrap();
            assert!(flood(&mut c, &mut s, MAX_EMPTY_OR_WARNING_IN_A_ROW, empty).is_none());

            // user_canceled is the warning both versions tolerate (RFC 8446 §6.1).
            let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
            let (at, e) = flood(&mut c, &mut s, 100, |c| {
                c.core
                    .send_alert(AlertLevel::Warning, AlertDescription::UserCanceled)
            })
            .unwrap();
            assert_eq!(at, MAX_EMPTY_OR_WARNING_IN_A_ROW + 1, "{e}");
            assert_eq!(e.alert(), Some(AlertDescription::UnexpectedMessage));
        }
    }

    #[test]
    fn plaintext_decrypted_ahead_of_the_application_is_bounded() {
        for tls12 in [true, false] {
            let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
            let data: Vec<u8> = (0..256 * 1024u32).map(|i| (i % 251) as u8).collect();
            c.send(&data).unwrap();
            let wire = c.take_outgoing();
            let mut rest = wire.as_slice();
            let (mut got, mut buf, mut most_ahead) = (Vec::new(), [0u8; 4096], 0);
            // All of it arrives at once; the application reads 4 KiB at a time.
            for _ in 0..10_000 {
                if rest.is_empty() && s.plaintext_available() == 0 {
                    break;
                }
                let n = s.read_tls(rest);
                rest = &rest[n..];
                s.process_new_packets(UnixTime::now()).unwrap();
                most_ahead = most_ahead.max(s.plaintext_available());
                let k = s.recv(&mut buf);
                got.extend_from_slice(&buf[..k]);
            }
            assert!(got == data, "all the data, in order");
            assert!(
                (PLAINTEXT_IN_LIMIT..=PLAINTEXT_IN_LIMIT + record::MAX_PLAINTEXT)
                    .contains(&most_ahead),
                "{most_ahead} bytes were decrypted ahead of the application"
            );
        }
    }

    /// Whole application-data records handed to `read_tls` after the handshake are opened
    /// from the caller's bytes: `read_tls` takes more than the deframer could hold, up to the
    /// plaintext bound, and the data arrives intact whether it comes in one piece, byte by
    /// byte, or cut mid-record.
    #[test]
    fn whole_records_are_opened_straight_from_the_callers_bytes() {
        for tls12 in [true, false] {
            let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
            let data: Vec<u8> = (0..48 * 1024u32).map(|i| (i % 253) as u8).collect();
            c.send(&data).unwrap();
            let wire = c.take_outgoing();
            assert!(wire.len() > record::INPUT_BUFFER_LIMIT);
            assert_eq!(
                s.read_tls(&wire),
                wire.len(),
                "three whole records, all taken"
            );
            s.process_new_packets(UnixTime::now()).unwrap();
            assert!(s.received() == data.as_slice());
            s.consume_received(data.len());
            assert_eq!(s.plaintext_available(), 0);

            // The same, a byte at a time and then cut in the middle of the second record.
            for cut in [1, 16 * 1024 + 100] {
                c.send(&data).unwrap();
                let wire = c.take_outgoing();
                let mut got = Vec::new();
                for piece in wire.chunks(cut) {
                    deliver(&mut s, piece).unwrap();
                    got.extend_from_slice(s.received());
                    s.consume_received(s.plaintext_available());
                }
                assert!(got == data, "cut every {cut} bytes");
            }
        }
    }

    /// A record that does not open is not taken by the direct path: it fails in
    /// `process_new_packets` with bad_record_mac, as a staged one does.
    #[test]
    fn a_forged_record_read_directly_still_gets_bad_record_mac() {
        for tls12 in [true, false] {
            let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
            c.send(b"first").unwrap();
            c.send(b"second").unwrap();
            let mut wire = c.take_outgoing();
            let last = wire.len() - 1;
            wire[last] ^= 1;
            s.read_tls(&wire);
            let e = s.process_new_packets(UnixTime::now()).unwrap_err();
            assert_eq!(e.alert(), Some(AlertDescription::BadRecordMac), "{e}");
            assert_eq!(s.received(), b"first", "what opened before the forgery");
        }
    }

    /// TLS 1.3: a KeyUpdate read directly stops the direct path; the records after it, under
    /// the new keys, open once it is processed. So does a close_notify in the same batch.
    #[test]
    fn a_key_update_among_directly_read_records_changes_keys_in_order() {
        let (mut c, mut s) = connected(false, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
        c.send(b"before ").unwrap();
        c.request_key_update().unwrap();
        c.send(b"after").unwrap();
        c.send_close_notify();
        deliver(&mut s, &c.take_outgoing()).unwrap();
        assert_eq!(s.received(), b"before after");
        assert!(s.peer_has_closed());
    }

    #[test]
    fn key_updates_in_a_row_are_bounded() {
        let (mut c, mut s) = connected(false, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
        let (at, e) = flood(&mut c, &mut s, 100, |c| {
            c.request_key_update().unwrap();
        })
        .unwrap();
        assert_eq!(at, crate::tls13::MAX_KEY_UPDATES_IN_A_ROW + 1, "{e}");
        assert_eq!(e.alert(), Some(AlertDescription::UnexpectedMessage));
    }

    #[test]
    fn a_certificate_chain_past_the_limit_needs_a_larger_limit() {
        // rcgen's default key is ECDSA P-256: each copy of the certificate is some 400 bytes,
        // so 200 copies make a Certificate message of about 80 KB, past the 64 KiB default.
        for tls12 in [true, false] {
            let (c, _) = connected(tls12, 200, DEFAULT_MAX_HANDSHAKE_SIZE);
            let e = c
                .core
                .error
                .clone()
                .expect("the default limit refuses the chain");
            // As OpenSSL does for an excessive message size.
            assert_eq!(e.alert(), Some(AlertDescription::IllegalParameter), "{e}");
            let (c, s) = connected(tls12, 200, 256 * 1024);
            assert!(c.core.error.is_none(), "{:?}", c.core.error);
            assert!(!c.is_handshaking() && !s.is_handshaking());
            assert_eq!(c.info().peer_certificates.len(), 201);
        }
    }

    /// Records sealed into space that earlier, longer records left behind: every byte of the
    /// new record must be written, or the peer refuses it (or reads stale bytes).
    #[test]
    fn records_sealed_over_reused_output_space_open_exactly() {
        for tls12 in [true, false] {
            let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
            let mut expected = Vec::new();
            let mut got = Vec::new();
            for (i, len) in [40_000usize, 3, 16_384, 0, 1, 20_000, 17]
                .into_iter()
                .enumerate()
            {
                let data: Vec<u8> = (0..len).map(|j| (i * 31 + j) as u8).collect();
                c.send(&data).unwrap();
                expected.extend_from_slice(&data);
                // Drain the way a socket writer does: in pieces, through the lent slice.
                while !c.outgoing_tls().is_empty() {
                    let piece = c.outgoing_tls().len().min(7_000);
                    let bytes = c.outgoing_tls()[..piece].to_vec();
                    c.consume_outgoing(piece);
                    deliver(&mut s, &bytes).unwrap();
                    got.extend_from_slice(s.received());
                    let n = s.received().len();
                    s.consume_received(n);
                }
            }
            assert_eq!(got, expected, "tls12: {tls12}");
        }
    }

    #[test]
    fn idle_buffers_can_be_released_and_come_back_on_use() {
        let (mut c, mut s) = connected(false, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
        c.send(&[7; 30_000]).unwrap();
        let wire = c.outgoing_tls().to_vec();
        c.consume_outgoing(wire.len());
        deliver(&mut s, &wire).unwrap();
        assert_eq!(s.plaintext_available(), 30_000);
        // Unread plaintext is kept through a release.
        s.release_buffers();
        assert_eq!(s.plaintext_available(), 30_000);
        s.consume_received(30_000);
        c.release_buffers();
        s.release_buffers();
        assert_eq!(c.core.out.capacity(), 0);
        assert_eq!(s.core.received.capacity(), 0);
        c.send(b"again").unwrap();
        deliver(&mut s, &c.take_outgoing()).unwrap();
        assert_eq!(s.received(), b"again");
    }

    /// The input space a handshake needed (the certificate flight) is not kept into traffic,
    /// on either side and in either version; records arriving in pieces afterwards still work.
    #[test]
    fn the_handshake_input_space_is_given_back_once_traffic_flows() {
        for tls12 in [true, false] {
            let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
            for side in [&c, &s] {
                assert_eq!(side.deframer.capacity(), 0, "tls12: {tls12}");
                assert_eq!(side.core.handshake_buf.capacity(), 0, "tls12: {tls12}");
            }
            c.send(b"in pieces").unwrap();
            for byte in c.take_outgoing() {
                deliver(&mut s, &[byte]).unwrap();
            }
            assert_eq!(s.received(), b"in pieces");
        }
    }
}
