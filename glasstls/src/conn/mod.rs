//! The sans-IO connection: bytes in (`read_tls`), `process_new_packets(now)`, bytes out
//! (`outgoing_tls`), plaintext through `send` and `recv`, trace events through `take_events`.
//!
//! Polling order for a driver: feed what the transport delivered with `read_tls`, call
//! `process_new_packets`, write out `outgoing_tls` and `consume_outgoing`, read plaintext with
//! `recv`. Repeat. Nothing here blocks, reads a clock or touches a socket.
//!
//! The connection knows nothing of the handshake's states: it moves records, hands whole
//! messages to the current [`State`] with the [`Core`] they may act on, and keeps the state
//! that comes back. `client/` and `server/` give it its first state.

mod buffer;
mod core;
mod dispatch;
mod state;
mod transcript;

pub(crate) use self::core::{Core, EarlyDataSkip};
pub(crate) use state::{
    FinishedVerified, Input, KeyPossession, PeerAuthenticated, State, unexpected,
};
pub(crate) use transcript::Transcript;

use self::core::Opened;
use crate::error::Error;
use crate::record::{self, Deframer, HEADER_LEN, MAX_CIPHERTEXT};
use crate::session::{Resumption, Session};
use crate::side::Side;
use crate::trace::{Event, RecordInfo};
use crate::version::Version;
use crate::wire::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, NamedGroup, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, UnixTime};

/// Plaintext we decrypt ahead of the application before `read_tls` stops taking records: it is
/// exceeded by at most one record (`MAX_CIPHERTEXT`).
const PLAINTEXT_IN_LIMIT: usize = 64 * 1024;

/// What was negotiated, for the application and the trace.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct HandshakeInfo {
    /// The protocol version, once the hellos settled it.
    pub version: Option<Version>,
    /// The cipher suite.
    pub cipher_suite: Option<CipherSuite>,
    /// The key-exchange group (none for the RSA key exchange). A TLS 1.2 resumption makes no new
    /// exchange: this is the original handshake's group, as the session remembers it.
    pub group: Option<NamedGroup>,
    /// The scheme of the server's handshake signature (none when nothing was signed); on a
    /// client's resumption, the original handshake's, as its chain is.
    pub signature_scheme: Option<SignatureScheme>,
    /// The name the client asked for (SNI), as either side saw it.
    pub server_name: Option<String>,
    /// The application protocol (ALPN) both sides agreed on.
    pub alpn_protocol: Option<Vec<u8>>,
    /// TLS 1.2: whether the extended master secret (RFC 7627) is in use.
    pub extended_master_secret: bool,
    /// The peer's certificate chain: on a client the server's (kept even when verifying it
    /// failed, for debugging), on a server the client's when it sent one (mutual TLS); for a
    /// resumption, the original handshake's.
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// The scheme of the client's CertificateVerify (mutual TLS; none when it sent no
    /// certificate), on either side; on a server's resumption, the original handshake's.
    pub client_signature_scheme: Option<SignatureScheme>,
    /// The suites the client offered (as seen by either side).
    pub offered_suites: Vec<CipherSuite>,
    /// The groups the client offered.
    pub offered_groups: Vec<NamedGroup>,
    /// The application protocols the client offered.
    pub offered_alpn: Vec<Vec<u8>>,
    /// Set when this handshake resumed an earlier session.
    pub resumed: Option<Resumption>,
    /// TLS 1.3: whether the server asked for a second ClientHello (RFC 8446 §4.1.4).
    pub hello_retry_request: bool,
    /// The session ID the server gave (or echoed); empty if none.
    pub session_id: Vec<u8>,
    /// Encrypted Client Hello (RFC 9849): whether it was offered and how it ended.
    pub ech: EchStatus,
}

/// How an Encrypted Client Hello offer ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EchStatus {
    /// No ECH (or, on a server without ECH keys, an offer it cannot read: GREASE).
    #[default]
    NotOffered,
    /// The server opened the inner ClientHello and the handshake ran on it.
    Accepted,
    /// The server could not open it: the handshake ran on the outer ClientHello (its public
    /// name) and the server sent retry_configs.
    Rejected,
    /// Client: a GREASE encrypted_client_hello was sent (RFC 9849 §6.2), no real offer.
    Grease,
}

/// One TLS connection, client or server.
pub struct Connection {
    deframer: Deframer,
    core: Core,
    state: Option<Box<dyn State>>,
}

impl Connection {
    /// A connection around its first state (`Connection::client` and `Connection::server`
    /// live with the states they start from).
    pub(crate) fn new(core: Core, state: Box<dyn State>) -> Self {
        Self {
            deframer: Deframer::default(),
            core,
            state: Some(state),
        }
    }

    /// Which end of the connection this is.
    pub fn side(&self) -> Side {
        self.core.side
    }

    /// Takes bytes received from the peer; returns how many fit (the rest must be offered again
    /// after `process_new_packets`, and, if the application has its bound's worth of plaintext
    /// waiting, after it has read some). The buffer is bounded, so a peer cannot make it grow.
    /// Once traffic flows, whole application-data records are decrypted here, straight from
    /// `data` (see `open_directly`); everything else waits for `process_new_packets`.
    ///
    /// The plaintext bound is kept here, where bytes come in, and not by `process_new_packets`
    /// leaving records unprocessed: a record taken is always processed by the next call, so a
    /// driver whose input is all offered never waits on its transport for records the
    /// connection already holds (the peer may send nothing more until it is answered).
    pub fn read_tls(&mut self, data: &[u8]) -> usize {
        let direct = self.open_directly(data);
        let received = self.core.received.len();
        if received >= PLAINTEXT_IN_LIMIT {
            return direct;
        }
        // No more for the deframer than one maximal record past the bound (a record opens to
        // fewer bytes than it arrives in): there is always room to complete a record while under
        // the bound, and what the next `process_new_packets` opens stays within one record of it.
        let room = (PLAINTEXT_IN_LIMIT + HEADER_LEN + MAX_CIPHERTEXT)
            .saturating_sub(received + self.deframer.buffered());
        let rest = data.get(direct..).unwrap_or_default();
        direct + self.deframer.read(rest.get(..room).unwrap_or(rest))
    }

    /// Once traffic flows, application data records that arrive whole with nothing staged
    /// before them (no bytes in the deframer, no partial handshake message) are decrypted straight from the caller's bytes into the plaintext buffer,
    /// skipping the copy into the deframer. Anything else (a partial record, another content
    /// type, a header the deframer would refuse, a record that does not open) stops this and
    /// goes through the deframer and `process_new_packets` as usual; a failed open leaves the
    /// cipher as it was, so the record fails there with the right alert. Returns the bytes
    /// consumed.
    fn open_directly(&mut self, data: &[u8]) -> usize {
        let mut taken = 0;
        let core = &mut self.core;
        // A handshake message still being reassembled must see the next record in `dispatch`,
        // which refuses anything between its fragments (RFC 8446 §5.1).
        while self.deframer.buffered() == 0
            && core.handshake_buf.is_empty()
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
                    core.opened_ahead = Some((ContentType::ApplicationData, Vec::new(), len));
                }
                Ok(Opened::Other(typ, plaintext)) => {
                    core.opened_ahead = Some((typ, plaintext, len));
                }
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
        if let Some((typ, plaintext, len)) = self.core.opened_ahead.take() {
            let record = self
                .core
                .received_record(ContentType::ApplicationData, true, len);
            self.dispatch(typ, &plaintext, record)?;
        }
        while !self.core.peer_closed {
            // Protected records may be longer than plaintext ones; early data skipped after a
            // HelloRetryRequest is protected even though we have no key for it.
            let protected = self.core.decrypter.is_some()
                || self
                    .core
                    .early_data_skip
                    .is_some_and(|(how, _)| how == EarlyDataSkip::AllEncrypted);
            let Some(rec) = self.deframer.next_record(protected)? else {
                break;
            };
            let payload = self.deframer.payload_mut(&rec);
            // The common case, application data in traffic: decrypt straight into the
            // plaintext buffer the application reads from (one copy less). Not while a
            // handshake message is half reassembled: `dispatch` must see what comes next.
            if self.core.traffic
                && rec.typ == ContentType::ApplicationData
                && self.core.decrypter.is_some()
                && self.core.handshake_buf.is_empty()
            {
                match self.core.open_application_record(payload)? {
                    Opened::Data(n) => self.core.count_application_data(n)?,
                    // TLS 1.3 post-handshake messages and alerts go the usual way.
                    Opened::Other(typ, plaintext) => {
                        let record = self.core.received_record(rec.typ, true, rec.len);
                        self.dispatch(typ, &plaintext, record)?;
                    }
                }
                continue;
            }
            let core = &mut self.core;
            // RFC 8446 §4.2.10: after a HelloRetryRequest, every encrypted record before the
            // second ClientHello is early data we skip.
            if core
                .early_data_skip
                .is_some_and(|(how, _)| how == EarlyDataSkip::AllEncrypted)
                && rec.typ == ContentType::ApplicationData
            {
                core.skipped_early_data(rec.len)?;
                continue;
            }
            let (typ, plaintext, encrypted) = match core.decrypter.as_mut() {
                // RFC 8446 §5: a change_cipher_spec record stays unencrypted (middlebox
                // compatibility); the dispatcher decides whether it is allowed.
                Some(cipher)
                    if cipher.version() == Version::Tls13
                        && rec.typ == ContentType::ChangeCipherSpec =>
                {
                    (rec.typ, &*payload, false)
                }
                // A peer that fails before it has our handshake keys (say, on our ServerHello)
                // can only tell us in plaintext; read it rather than masking its reason.
                Some(cipher)
                    if cipher.version() == Version::Tls13
                        && rec.typ == ContentType::Alert
                        && !core.traffic =>
                {
                    (rec.typ, &*payload, false)
                }
                // RFC 8446 §4.2.10: after a 1-RTT ServerHello to a client that sent early data,
                // records that do not open under its handshake key are that early data, skipped
                // (a failed open leaves the cipher as it was); the first that opens starts the
                // client's second flight.
                Some(cipher)
                    if core
                        .early_data_skip
                        .is_some_and(|(how, _)| how == EarlyDataSkip::Undecryptable)
                        && rec.typ == ContentType::ApplicationData =>
                {
                    match cipher.open(rec.typ, payload) {
                        Ok((typ, plaintext)) => {
                            core.early_data_skip = None;
                            (typ, &*plaintext, true)
                        }
                        Err(_) => {
                            core.skipped_early_data(rec.len)?;
                            continue;
                        }
                    }
                }
                Some(cipher) => {
                    let (typ, plaintext) = cipher.open(rec.typ, payload)?;
                    (typ, &*plaintext, true)
                }
                None => (rec.typ, &*payload, false),
            };
            let record = core.received_record(rec.typ, encrypted, rec.len);
            let state = self.state.take().ok_or(Error::ConnectionClosed)?;
            self.state = Some(self.core.dispatch(state, typ, plaintext, record)?);
        }
        Ok(())
    }

    /// Hands a record's plaintext to the current state.
    fn dispatch(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        record: RecordInfo,
    ) -> Result<(), Error> {
        let state = self.state.take().ok_or(Error::ConnectionClosed)?;
        self.state = Some(self.core.dispatch(state, typ, plaintext, record)?);
        Ok(())
    }

    /// TLS bytes waiting to be written to the transport, lent rather than copied;
    /// [`Connection::consume_outgoing`] says how many were written. Draining this way lets
    /// the connection seal the next records into the same space: no allocation or zero-fill
    /// per record.
    pub fn outgoing_tls(&self) -> &[u8] {
        self.core.out.as_slice()
    }

    /// Says that the first `n` bytes of [`Connection::outgoing_tls`] were written.
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
            if self.core.key_update_owed {
                let state = self.state.as_mut().ok_or(Error::ConnectionClosed)?;
                state.answer_key_update(&mut self.core)?;
            }
            record::write_fragments(
                self.core.encrypter.as_mut(),
                ContentType::ApplicationData,
                data,
                self.core.max_fragment,
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

    /// Says that the first `n` bytes of [`Connection::received`] were used.
    pub fn consume_received(&mut self, n: usize) {
        self.core.received.consume(n);
    }

    /// How many bytes of application data are waiting to be read.
    pub fn plaintext_available(&self) -> usize {
        self.core.received.len()
    }

    /// Whether the handshake is still running (no application data flows yet).
    pub fn is_handshaking(&self) -> bool {
        !self.core.traffic
    }

    /// The peer sent close_notify: no more data will come. In TLS 1.3 our side may still send
    /// (RFC 8446 §6.1: a close_notify closes only its sender's write side), and
    /// [`Connection::send_close_notify`] ends it; in TLS 1.2 the close_notify was answered at
    /// once with ours (RFC 5246 §7.2.1), and nothing more can be sent.
    pub fn peer_has_closed(&self) -> bool {
        self.core.peer_closed
    }

    /// Whether the connection failed (the error is sticky).
    pub fn error(&self) -> Option<&Error> {
        self.core.error.as_ref()
    }

    /// Queues close_notify (RFC 5246 §7.2.1, RFC 8446 §6.1): our write side is closed, and
    /// nothing may be sent after it. Reading goes on until the peer closes too.
    pub fn send_close_notify(&mut self) {
        if !self.core.sent_close_notify && self.core.error.is_none() {
            self.core
                .send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
            self.core.sent_close_notify = true;
        }
    }

    /// What was negotiated so far.
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

    /// Keying material exporters (RFC 5705, RFC 8446 §7.5): fills `out` with material derived
    /// from this connection's secrets for `label` and, if given, `context`, that both ends
    /// compute alike and no one else can (channel binding, keys for another protocol). Once the
    /// handshake is done; a TLS 1.2 connection needs the extended master secret (RFC 7627
    /// §5.4). In TLS 1.2 no context and an empty one give different material; in TLS 1.3 the
    /// same.
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        if let Some(e) = &self.core.error {
            return Err(e.clone());
        }
        match (&self.core.exporter, self.core.traffic) {
            (Some(exporter), true) => exporter.export(out, label, context),
            _ => Err(Error::Misuse(crate::error::Misuse::ExporterBeforeHandshake)),
        }
    }

    /// The resumable session, on a client once the handshake is done (for saving to a file
    /// and offering later, as `--sess-out` does).
    pub fn session(&self) -> Option<&Session> {
        self.core.session.as_ref()
    }

    /// Trace events recorded since the last call (empty unless the config enabled tracing).
    pub fn take_events(&mut self) -> Vec<Event> {
        self.core.take_events()
    }
}

#[cfg(test)]
mod tests {
    //! The limits a peer cannot push past (see "Limits" in ARCHITECTURE.md), driven through
    //! whole connections in memory.
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::dispatch::{MAX_EMPTY_OR_WARNING_IN_A_ROW, MAX_WARNINGS_IN_A_ROW};
    use super::*;
    use crate::config::{ClientConfig, DEFAULT_MAX_HANDSHAKE_SIZE, Identity, ServerConfig};
    use crate::verify::RootStore;
    use rustls_pki_types::PrivatePkcs8KeyDer;
    use std::sync::Arc;

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
            client.common.versions = vec![Version::Tls12];
            server.common.versions = vec![Version::Tls12];
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
            assert_eq!(at, MAX_WARNINGS_IN_A_ROW + 1, "{e}");
            assert!(e.to_string().contains("warning alerts"), "{e}");
            assert_eq!(e.alert(), Some(AlertDescription::UnexpectedMessage));
        }
    }

    /// A driver that offers what `read_tls` did not take, processes, and reads the plaintext,
    /// gets every byte once its input is all offered: no record the connection took is left
    /// unprocessed for input that may never come (the peer waits for an answer). Six records
    /// at once: four open straight from the input up to the plaintext bound, and the last two
    /// must not be taken into the deframer and then held there past the bound.
    #[test]
    fn every_record_taken_is_processed_by_the_next_call() {
        for tls12 in [true, false] {
            let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
            let data: Vec<u8> = (0..6 * record::MAX_PLAINTEXT as u32)
                .map(|i| (i % 247) as u8)
                .collect();
            c.send(&data).unwrap();
            let wire = c.take_outgoing();
            let (mut rest, mut got) = (wire.as_slice(), Vec::new());
            loop {
                let n = s.read_tls(rest);
                rest = &rest[n..];
                s.process_new_packets(UnixTime::now()).unwrap();
                got.extend_from_slice(s.received());
                s.consume_received(s.plaintext_available());
                if rest.is_empty() {
                    break;
                }
            }
            assert_eq!(got.len(), data.len(), "tls12={tls12}: all the data");
            assert!(got == data, "tls12={tls12}: in order");
        }
    }

    /// The plaintext decrypted ahead of an application that reads slowly stays within one record
    /// of the bound, and all of the data arrives in order, whether records open straight from
    /// the input (everything offered at once, read 4 KiB at a time) or go through the deframer,
    /// which `read_tls` fills only up to one record past the bound (a hundred bytes staged,
    /// then all the rest at once, read 10 KiB at a time: without that limit 94 208 bytes were
    /// decrypted ahead).
    #[test]
    fn plaintext_decrypted_ahead_of_the_application_is_bounded() {
        for (staged, read) in [(false, 4096), (true, 10 * 1024)] {
            for tls12 in [true, false] {
                let (mut c, mut s) = connected(tls12, 0, DEFAULT_MAX_HANDSHAKE_SIZE);
                let data: Vec<u8> = (0..400 * 1024u32).map(|i| (i % 251) as u8).collect();
                c.send(&data).unwrap();
                let wire = c.take_outgoing();
                let (mut rest, mut got, mut most_ahead) = (wire.as_slice(), Vec::new(), 0);
                for step in 0..100_000 {
                    if rest.is_empty() && s.plaintext_available() == 0 {
                        break;
                    }
                    let offer = if staged && step % 2 == 0 {
                        rest.len().min(100)
                    } else {
                        rest.len()
                    };
                    let n = s.read_tls(&rest[..offer]);
                    rest = &rest[n..];
                    s.process_new_packets(UnixTime::now()).unwrap();
                    most_ahead = most_ahead.max(s.plaintext_available());
                    let k = s.plaintext_available().min(read);
                    got.extend_from_slice(&s.received()[..k]);
                    s.consume_received(k);
                }
                let case = format!("tls12={tls12} staged={staged}");
                assert!(got == data, "{case}: all the data, in order");
                assert!(
                    (PLAINTEXT_IN_LIMIT..=PLAINTEXT_IN_LIMIT + record::MAX_PLAINTEXT)
                        .contains(&most_ahead),
                    "{case}: {most_ahead} bytes were decrypted ahead of the application"
                );
            }
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
        assert_eq!(
            at,
            crate::tls13::traffic::MAX_KEY_UPDATES_IN_A_ROW + 1,
            "{e}"
        );
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
            // A declared length past our bound is a message we will not decode: decode_error
            // (OpenSSL and BoringSSL send illegal_parameter here; RFC 8446 §6 names
            // decode_error for "a message could not be decoded because [...] a field was out
            // of its specified range or the length of the message was incorrect").
            assert_eq!(e.alert(), Some(AlertDescription::DecodeError), "{e}");
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
