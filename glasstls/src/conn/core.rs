//! [`Core`]: everything a handshake state may touch. Record protection and the two key epochs,
//! the output queue, the trace, the key log, what was negotiated, and the one funnel every
//! fatal error goes through ([`Core::fail`]).

use super::buffer::Buffer;
use super::{HandshakeInfo, Transcript};
use crate::config::Common;
use crate::error::Error;
use crate::keylog::KeyLog;
use crate::record::{self, HEADER_LEN, RecordCipher};
use crate::session::Session;
use crate::side::Side;
use crate::trace::{Decision, Direction, Event, Message, RecordInfo, SecretDerived, SecretName};
use crate::version::Version;
use crate::wire::{
    AlertDescription, AlertLevel, Codec, ContentType, HandshakeMessage, HandshakeType,
};
use rustls_pki_types::UnixTime;
use std::sync::Arc;

/// What a protected application_data record held.
pub(super) enum Opened {
    /// Application data of this length, now in the plaintext buffer.
    Data(usize),
    /// A TLS 1.3 inner content type other than application data, and its plaintext.
    Other(ContentType, Vec<u8>),
}

/// RFC 8446 §4.2.10: how a server that does not accept 0-RTT data skips it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EarlyDataSkip {
    /// After a 1-RTT ServerHello: records that do not open under the client's handshake key
    /// are early data, and are dropped until one opens.
    Undecryptable,
    /// After a HelloRetryRequest: every encrypted (application_data) record is early data,
    /// until the second ClientHello.
    AllEncrypted,
}

/// The most early data skipped (record payload bytes) before the connection is refused: the
/// "configured max_early_data_size" of RFC 8446 §4.2.10 for a server that never accepts early
/// data, the size BoringSSL tolerates too.
pub(crate) const MAX_EARLY_DATA_SKIPPED: usize = 16 * 1024;

/// Everything the handshake states may touch.
pub(crate) struct Core {
    pub side: Side,
    pub now: UnixTime,
    /// The version, once the hellos have settled it: TLS 1.3's message shapes, alert rules and
    /// compatibility records apply from then on.
    pub version: Option<Version>,
    pub(super) encrypter: Option<RecordCipher>,
    pub(super) decrypter: Option<RecordCipher>,
    /// Key changes in each direction (0: plaintext), for the trace's record information.
    write_epoch: u16,
    /// Bumped whenever the read keys change, to check that no handshake message spans it.
    pub(super) read_epoch: u16,
    /// TLS bytes waiting for the transport.
    pub(super) out: Buffer,
    pub(super) handshake_buf: Vec<u8>,
    /// The handshake's input space was given back (`release_handshake_space`).
    pub(super) handshake_space_released: bool,
    /// Application data waiting for the application; `PLAINTEXT_IN_LIMIT` bounds it (one
    /// record past it).
    pub(super) received: Buffer,
    /// A record `read_tls` decrypted that is not application data (a TLS 1.3 post-handshake
    /// message or alert), or is empty, with its record's length: `process_new_packets` hands
    /// it on before anything else.
    pub(super) opened_ahead: Option<(ContentType, Vec<u8>, usize)>,
    /// Application data written before the handshake finished.
    pub(super) early_plaintext: Vec<u8>,
    pub(super) traffic: bool,
    pub(super) compatibility_ccs_seen: bool,
    compatibility_ccs_sent: bool,
    pub(super) peer_closed: bool,
    pub(super) sent_close_notify: bool,
    pub(super) error: Option<Error>,
    events: Option<Vec<Event>>,
    reveal_secrets: bool,
    key_log: Option<Arc<dyn KeyLog>>,
    pub(super) max_handshake_size: usize,
    /// The most plaintext per record we send (`Common::max_fragment_size`).
    pub(super) max_fragment: usize,
    pub(super) empty_or_warning_in_a_row: u32,
    pub(super) warnings_in_a_row: u32,
    pub key_updates_in_a_row: u32,
    /// The peer asked for a KeyUpdate that we have not sent yet (RFC 8446 §4.6.3).
    pub key_update_owed: bool,
    /// What keying material is exported from, once the handshake has made it.
    pub exporter: Option<crate::exporter::ExporterSecret>,
    /// Early data being skipped, and how many bytes of it so far.
    pub(super) early_data_skip: Option<(EarlyDataSkip, usize)>,
    /// Handshake messages of ours sent so far (flights, not post-handshake messages): a peer
    /// message answered by a flight of ours ended the peer's flight.
    pub(super) flight_messages_sent: u64,
    pub info: HandshakeInfo,
    /// The session this connection established or resumed, once the handshake is done.
    pub session: Option<Session>,
    /// A server's store for this connection, in place of its config's
    /// (`Connection::server_with_session_store`).
    pub session_store: Option<Arc<dyn crate::session::SessionStore>>,
}

impl Core {
    pub(crate) fn new(side: Side, common: &Common) -> Self {
        Self {
            side,
            now: UnixTime::since_unix_epoch(std::time::Duration::ZERO),
            version: None,
            encrypter: None,
            decrypter: None,
            write_epoch: 0,
            read_epoch: 0,
            out: Buffer::default(),
            handshake_buf: Vec::new(),
            handshake_space_released: false,
            received: Buffer::default(),
            opened_ahead: None,
            early_plaintext: Vec::new(),
            traffic: false,
            compatibility_ccs_seen: false,
            compatibility_ccs_sent: false,
            peer_closed: false,
            sent_close_notify: false,
            error: None,
            events: common.trace.then(Vec::new),
            reveal_secrets: common.reveal_secrets,
            key_log: common.key_log.clone(),
            max_handshake_size: common.max_handshake_size,
            max_fragment: common.max_fragment_size.unwrap_or(record::MAX_PLAINTEXT),
            empty_or_warning_in_a_row: 0,
            warnings_in_a_row: 0,
            key_updates_in_a_row: 0,
            key_update_owed: false,
            exporter: None,
            early_data_skip: None,
            flight_messages_sent: 0,
            info: HandshakeInfo::default(),
            session: None,
            session_store: None,
        }
    }

    pub fn is_tls13(&self) -> bool {
        self.version == Some(Version::Tls13)
    }

    /// Records an event; `make` runs only when tracing is on.
    pub fn trace(&mut self, make: impl FnOnce() -> Event) {
        if let Some(events) = &mut self.events {
            events.push(make());
        }
    }

    /// Records an Encrypted Client Hello's inner ClientHello (sent sealed by a client, opened by
    /// a server), in the record of the outer hello traced just before it.
    pub fn trace_ech_inner(
        &mut self,
        direction: Direction,
        hello: &crate::wire::ClientHello,
        raw: &[u8],
    ) {
        if let Some(events) = &mut self.events {
            let msg =
                HandshakeMessage::new(crate::wire::HandshakePayload::ClientHello(hello.clone()));
            let record = events.iter().rev().find_map(|e| match e {
                Event::Message(m) if m.typ == HandshakeType::ClientHello => Some(m.record),
                _ => None,
            });
            if let Some(record) = record {
                events.push(Event::Message(Message {
                    direction,
                    typ: msg.typ(),
                    record,
                    fields: crate::trace::message_fields(&msg),
                    raw: raw.to_vec(),
                    ech_inner: true,
                }));
            }
        }
    }

    /// Records a decision; `make` runs only when tracing is on.
    pub fn decide(&mut self, make: impl FnOnce() -> Decision) {
        self.trace(|| Event::Decision(make()));
    }

    /// Records a derived secret, with its value only when revealing was configured.
    pub fn trace_secret(&mut self, name: SecretName, value: &[u8]) {
        let reveal = self.reveal_secrets;
        self.trace(|| {
            Event::Secret(SecretDerived {
                name,
                value: reveal.then(|| value.to_vec()),
            })
        });
    }

    pub(super) fn take_events(&mut self) -> Vec<Event> {
        self.events.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Every fatal error goes through here, those we detect and a fatal alert the peer sent
    /// alike: at most one alert (the one `Error::alert` chooses), a trace event, and the error
    /// made sticky, so that nothing is sent afterwards.
    pub(super) fn fail(&mut self, e: Error) -> Error {
        if self.error.is_none() {
            if let Some(alert) = e.alert() {
                self.send_alert(AlertLevel::Fatal, alert);
            }
            self.trace(|| Event::Failed(e.clone()));
            self.error = Some(e.clone());
        }
        e
    }

    /// What the trace says of the next record we write of type `typ`, which starts at byte
    /// `at` of the output queue.
    fn sent_record(&self, typ: ContentType, at: usize) -> RecordInfo {
        let length = self
            .out
            .as_slice()
            .get(at + 3..at + HEADER_LEN)
            .and_then(|l| <[u8; 2]>::try_from(l).ok())
            .map_or(0, |l| usize::from(u16::from_be_bytes(l)));
        let encrypted = self.encrypter.is_some();
        RecordInfo {
            content_type: match self.encrypter.as_ref().map(RecordCipher::version) {
                Some(Version::Tls13) => ContentType::ApplicationData,
                _ => typ,
            },
            epoch: self.write_epoch,
            encrypted,
            length,
        }
    }

    pub fn send_alert(&mut self, level: AlertLevel, description: AlertDescription) {
        let at = self.out.len();
        // Failing to encrypt an alert leaves nothing better to send.
        let _ = record::write_records(
            self.encrypter.as_mut(),
            ContentType::Alert,
            &[level.0, description.0],
            &mut self.out,
        );
        let record = self.sent_record(ContentType::Alert, at);
        self.trace(|| Event::Alert {
            direction: Direction::Sent,
            level,
            description,
            record,
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
        self.flight_messages_sent += 1;
        self.write_handshake(msg, bytes)
    }

    /// Sends a message that is not part of the handshake transcript (RFC 8446 §4.6: tickets and
    /// KeyUpdate after the handshake).
    pub fn send_post_handshake(&mut self, msg: &HandshakeMessage) -> Result<(), Error> {
        let bytes = msg.to_bytes();
        self.write_handshake(msg, bytes)
    }

    fn write_handshake(&mut self, msg: &HandshakeMessage, bytes: Vec<u8>) -> Result<(), Error> {
        let at = self.out.len();
        record::write_fragments(
            self.encrypter.as_mut(),
            ContentType::Handshake,
            &bytes,
            self.max_fragment,
            &mut self.out,
        )?;
        if self.events.is_some() {
            let record = self.sent_record(ContentType::Handshake, at);
            self.trace(|| {
                Event::Message(Message {
                    direction: Direction::Sent,
                    typ: msg.typ(),
                    record,
                    fields: crate::trace::message_fields(msg),
                    raw: bytes,
                    ech_inner: false,
                })
            });
        }
        Ok(())
    }

    /// RFC 5246 §7.1: a ChangeCipherSpec under the current write keys.
    pub fn send_change_cipher_spec(&mut self) -> Result<(), Error> {
        let at = self.out.len();
        record::write_records(
            self.encrypter.as_mut(),
            ContentType::ChangeCipherSpec,
            &[1],
            &mut self.out,
        )?;
        let record = self.sent_record(ContentType::ChangeCipherSpec, at);
        self.trace(|| Event::ChangeCipherSpec {
            direction: Direction::Sent,
            record,
        });
        Ok(())
    }

    /// RFC 8446 §D.4: the middlebox-compatibility change_cipher_spec, always in plaintext and
    /// at most once (after a HelloRetryRequest it was already sent).
    pub fn send_compatibility_ccs(&mut self) -> Result<(), Error> {
        if self.compatibility_ccs_sent {
            return Ok(());
        }
        self.compatibility_ccs_sent = true;
        let at = self.out.len();
        record::write_records(None, ContentType::ChangeCipherSpec, &[1], &mut self.out)?;
        let record = RecordInfo {
            content_type: ContentType::ChangeCipherSpec,
            epoch: 0,
            encrypted: false,
            length: self.out.len().saturating_sub(at + HEADER_LEN),
        };
        self.trace(|| Event::ChangeCipherSpec {
            direction: Direction::Sent,
            record,
        });
        Ok(())
    }

    /// Switches to new write keys.
    pub fn set_encrypter(&mut self, cipher: RecordCipher) {
        self.encrypter = Some(cipher);
        self.write_epoch = self.write_epoch.saturating_add(1);
    }

    /// Takes back what was queued after byte `len` of the output, and the write keys with it
    /// (the peer reads us in plaintext again): for a flight answering a message that turned out
    /// to be followed by data the peer could not yet have sent. Only for a flight that began in
    /// plaintext, so that no protected record the peer will see depends on what is dropped.
    pub(super) fn retract_flight(&mut self, len: usize) {
        self.out.truncate(len);
        self.encrypter = None;
        self.write_epoch = 0;
    }

    /// Switches to new read keys.
    pub fn set_decrypter(&mut self, cipher: RecordCipher) {
        self.decrypter = Some(cipher);
        self.read_epoch = self.read_epoch.wrapping_add(1);
    }

    /// Enters the traffic state: flushes application data written during the handshake.
    pub fn start_traffic(&mut self) -> Result<(), Error> {
        self.traffic = true;
        let early = std::mem::take(&mut self.early_plaintext);
        record::write_fragments(
            self.encrypter.as_mut(),
            ContentType::ApplicationData,
            &early,
            self.max_fragment,
            &mut self.out,
        )
    }

    /// Writes an NSS key log line, when a key log is configured.
    pub fn log_key(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Some(log) = &self.key_log {
            log.log(label, client_random, secret);
        }
    }
}

impl Core {
    /// Starts (or, with `None`, stops) skipping the client's early data (RFC 8446 §4.2.10).
    pub(crate) fn skip_early_data(&mut self, how: Option<EarlyDataSkip>) {
        self.early_data_skip = how.map(|how| (how, 0));
    }

    /// Counts one skipped early-data record of `len` bytes; past the bound it is an error
    /// (RFC 8446 §4.2.10: more than max_early_data_size "SHOULD terminate the connection with
    /// an "unexpected_message" alert").
    pub(super) fn skipped_early_data(&mut self, len: usize) -> Result<(), Error> {
        if let Some((_, skipped)) = self.early_data_skip.as_mut() {
            *skipped += len;
            if *skipped > MAX_EARLY_DATA_SKIPPED {
                return Err(crate::error::UnexpectedMessage::TooMuchEarlyData {
                    limit: MAX_EARLY_DATA_SKIPPED,
                }
                .into());
            }
        }
        Ok(())
    }
}
