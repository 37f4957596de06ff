//! From records to messages: what each content type means in the current state, the
//! reassembly of handshake messages across records, alerts, and the bounds on what a peer can
//! make us do for nothing.

use super::core::{Core, Opened};
use super::state::{Input, State};
use crate::error::{Error, InternalError, Received, UnexpectedMessage};
use crate::side::Side;
use crate::trace::{Direction, Event, Message, RecordInfo};
use crate::wire::{
    AlertDescription, AlertLevel, ContentType, HandshakeMessage, HandshakeType, InvalidMessage,
};

/// The largest ClientHello the syntax allows (RFC 8446 §4.1.2 / RFC 5246 §7.4.1.2): version 2,
/// random 32, session ID 1 + 32, cipher suites 2 + (2^16 - 2), compression methods 1 + 255,
/// extensions 2 + (2^16 - 1). Long suite lists, many extensions and padding make real ones
/// reach past 64 KiB, so a ClientHello has this bound of its own, whatever the configured limit
/// for other messages.
pub(super) const MAX_CLIENT_HELLO_LEN: usize = 2 + 32 + 33 + 65_536 + 256 + 65_537;

/// The longest body a handshake message of type `typ` may declare.
fn max_message_len(typ: HandshakeType, configured: usize) -> usize {
    if typ == HandshakeType::ClientHello {
        MAX_CLIENT_HELLO_LEN.max(configured)
    } else {
        configured
    }
}

/// Warning alerts and empty application-data records tolerated in a row: more is a peer trying
/// to keep us busy for nothing.
pub(super) const MAX_EMPTY_OR_WARNING_IN_A_ROW: u32 = 32;

/// Warning alerts tolerated in a row (user_canceled, or TLS 1.2's other warnings): a peer has
/// no reason to send more than a few before something else, and each costs us a record. The
/// bound BoringSSL keeps too.
pub(super) const MAX_WARNINGS_IN_A_ROW: u32 = 4;

impl Core {
    /// Hands one record's plaintext to the state machine, by content type.
    pub(super) fn dispatch(
        &mut self,
        state: Box<dyn State>,
        typ: ContentType,
        plaintext: &[u8],
        record: RecordInfo,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 5246 §6.2.1: handshake messages may span records, but nothing may come between
        // the records of one message.
        if typ != ContentType::Handshake && !self.handshake_buf.is_empty() {
            return Err(UnexpectedMessage::Interleaved(typ).into());
        }
        match typ {
            ContentType::Handshake => self.handshake_record(state, plaintext, record),
            ContentType::ChangeCipherSpec => self.change_cipher_spec(state, plaintext, record),
            ContentType::Alert => self.alert(state, plaintext, record),
            ContentType::ApplicationData => {
                if !self.traffic {
                    return Err(UnexpectedMessage::ApplicationDataBeforeHandshake.into());
                }
                self.received.extend_from_slice(plaintext);
                self.count_application_data(plaintext.len())?;
                Ok(state)
            }
            _ => Err(UnexpectedMessage::UnknownRecordType(typ).into()),
        }
    }

    /// Adds a handshake record to the reassembly buffer and hands every whole message in it to
    /// the state machine.
    fn handshake_record(
        &mut self,
        mut state: Box<dyn State>,
        plaintext: &[u8],
        record: RecordInfo,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 5246 §6.2.1: "Implementations MUST NOT send zero-length fragments of Handshake,
        // Alert, or ChangeCipherSpec content types." RFC 8446 §5.1 keeps the rule for
        // Handshake ("even if those fragments contain padding"); a record that carries nothing
        // where a message belongs is unexpected there.
        if plaintext.is_empty() {
            if self.is_tls13() {
                return Err(UnexpectedMessage::EmptyRecord(ContentType::Handshake).into());
            }
            return Err(Error::Decode(InvalidMessage::BadLength("handshake record")));
        }
        self.empty_or_warning_in_a_row = 0;
        self.warnings_in_a_row = 0;
        self.handshake_buf.extend_from_slice(plaintext);
        let buf = std::mem::take(&mut self.handshake_buf);
        let mut at = 0;
        let result = loop {
            let rest = buf.get(at..).unwrap_or_default();
            let Some(&[typ, a, b, c]) = rest.first_chunk::<4>() else {
                break Ok(state);
            };
            let typ = HandshakeType(typ);
            // The type decides before the body: a message this state does not take is refused
            // from its header (RFC 8446 §4), so nothing of it is buffered or decoded.
            let ignored_hello_request =
                typ == HandshakeType::HelloRequest && self.side == Side::Client && !self.traffic;
            let expected = state.expects();
            if !ignored_hello_request && !expected.admits(typ) {
                break Err(UnexpectedMessage::OutOfOrder {
                    expected,
                    got: Received::Message(typ),
                }
                .into());
            }
            let len = u32::from_be_bytes([0, a, b, c]) as usize;
            if len > max_message_len(typ, self.max_handshake_size) {
                break Err(Error::Decode(InvalidMessage::TooLarge("handshake message")));
            }
            let Some(raw) = rest.get(..4 + len) else {
                break Ok(state);
            };
            at += 4 + len;
            let more = at < buf.len();
            // RFC 8446 §5.1: "Handshake messages MUST NOT span key changes ... If they do, the
            // receiver MUST terminate the connection with an "unexpected_message" alert." In
            // TLS 1.3 a Finished and a KeyUpdate change the peer's keys: refused before they
            // are answered, so that nothing of our answer goes out.
            if more
                && self.is_tls13()
                && matches!(typ, HandshakeType::Finished | HandshakeType::KeyUpdate)
            {
                break Err(UnexpectedMessage::SpansKeyChange.into());
            }
            let epoch = self.read_epoch;
            let flight = self.flight_messages_sent;
            let (out_before, plaintext_before) = (self.out.len(), self.encrypter.is_none());
            let traffic_before = self.traffic;
            state = match self.handshake_message(state, raw, record) {
                Ok(next) => next,
                Err(e) => break Err(e),
            };
            // The same rule for the other key changes (a TLS 1.3 ServerHello; TLS 1.2's keys
            // change with ChangeCipherSpec, a record of its own).
            if self.read_epoch != epoch && more {
                break Err(UnexpectedMessage::SpansKeyChange.into());
            }
            // A message we answered with a flight of ours ended the peer's flight, and one that
            // completed the handshake ended it too. The peer has not read our answer, so
            // handshake bytes after it in the same record are not its next flight but a peer out
            // of step (BoringSSL refuses them too): nothing is carried over to be read as if it
            // came later, and the answer, if it began in plaintext, is not sent either (the
            // peer reads the alert where it reads us now).
            if more && (self.flight_messages_sent != flight || self.traffic != traffic_before) {
                if plaintext_before && self.flight_messages_sent != flight {
                    self.retract_flight(out_before);
                }
                break Err(UnexpectedMessage::AfterEndOfFlight.into());
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

    /// One whole handshake message: decoded in the version's shapes, traced, handed on.
    fn handshake_message(
        &mut self,
        state: Box<dyn State>,
        raw: &[u8],
        record: RecordInfo,
    ) -> Result<Box<dyn State>, Error> {
        let msg = if self.is_tls13() {
            HandshakeMessage::from_bytes_tls13(raw)?
        } else {
            <HandshakeMessage as crate::wire::Codec>::from_bytes(raw)?
        };
        self.trace(|| {
            Event::Message(Message {
                direction: Direction::Received,
                typ: msg.typ(),
                record,
                fields: crate::trace::message_fields(&msg),
                raw: raw.to_vec(),
                ech_inner: false,
            })
        });
        // RFC 5246 §7.4.1.1: HelloRequest "will be ignored by the client if the client is
        // currently negotiating a session", and is not hashed.
        if msg.typ() == HandshakeType::HelloRequest && self.side == Side::Client && !self.traffic {
            return Ok(state);
        }
        state.handle(self, Input::Handshake { msg, raw })
    }

    fn change_cipher_spec(
        &mut self,
        state: Box<dyn State>,
        plaintext: &[u8],
        record: RecordInfo,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 8446 §5: "An implementation may receive an unencrypted record of type
        // change_cipher_spec consisting of the single byte value 0x01 at any time after the
        // first ClientHello message has been sent or received and before the peer's Finished
        // message has been received and MUST simply drop it [...] An implementation which
        // receives any other change_cipher_spec value or which receives a protected
        // change_cipher_spec record MUST abort the handshake with an "unexpected_message"
        // alert." Once: a second one is not the compatibility record.
        if self.is_tls13() {
            if plaintext != [1] || self.traffic || record.encrypted || self.compatibility_ccs_seen {
                return Err(UnexpectedMessage::ChangeCipherSpecInTls13.into());
            }
            self.compatibility_ccs_seen = true;
            return Ok(state);
        }
        // RFC 5246 §7.1: "The message consists of a single byte of value 1."
        match plaintext {
            [1] => {}
            [_] => return Err(InvalidMessage::IllegalValue("ChangeCipherSpec").into()),
            _ => return Err(InvalidMessage::BadLength("ChangeCipherSpec").into()),
        }
        self.trace(|| Event::ChangeCipherSpec {
            direction: Direction::Received,
            record,
        });
        state.handle(self, Input::ChangeCipherSpec)
    }

    fn alert(
        &mut self,
        state: Box<dyn State>,
        plaintext: &[u8],
        record: RecordInfo,
    ) -> Result<Box<dyn State>, Error> {
        // RFC 8446 §5.1: "Alert messages (Section 6) MUST NOT be fragmented across records";
        // an empty one carries no alert at all.
        if plaintext.is_empty() && self.is_tls13() {
            return Err(UnexpectedMessage::EmptyRecord(ContentType::Alert).into());
        }
        let &[level, description] = plaintext else {
            return Err(Error::Decode(InvalidMessage::BadLength("alert")));
        };
        // RFC 5246 §7.2 / RFC 8446 §6: `enum { warning(1), fatal(2), (255) } AlertLevel`; any
        // other level is not an alert we can read.
        if level != AlertLevel::Warning.0 && level != AlertLevel::Fatal.0 {
            return Err(Error::Decode(InvalidMessage::IllegalValue("alert level")));
        }
        let (level, description) = (AlertLevel(level), AlertDescription(description));
        self.trace(|| Event::Alert {
            direction: Direction::Received,
            level,
            description,
            record,
        });
        if description == AlertDescription::CloseNotify {
            self.peer_closed = true;
            // RFC 8446 §6.1: "Each party MUST send a "close_notify" alert before closing its
            // write side of the connection [...] This does not have any effect on its read
            // side of the connection. Note that this is a change from versions of TLS prior to
            // TLS 1.3 in which implementations were required to react to a "close_notify" by
            // discarding pending writes and sending an immediate "close_notify" alert of their
            // own." In TLS 1.3 we keep our write side open: the application sends the rest of
            // its data and then its own close_notify. TLS 1.2 keeps RFC 5246 §7.2.1: "the other
            // party MUST respond with a close_notify alert of its own and close down the
            // connection immediately, discarding any pending writes".
            if !self.is_tls13() && !self.sent_close_notify {
                self.send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
                self.sent_close_notify = true;
            }
            return Ok(state);
        }
        // RFC 8446 §6: in TLS 1.3 every alert but close_notify and user_canceled is an error
        // "regardless of the AlertLevel".
        let tolerated = if self.is_tls13() {
            description == AlertDescription::UserCanceled
        } else {
            level == AlertLevel::Warning && description != AlertDescription::NoRenegotiation
        };
        if tolerated {
            self.warnings_in_a_row += 1;
            if self.warnings_in_a_row > MAX_WARNINGS_IN_A_ROW {
                return Err(UnexpectedMessage::TooManyWarningAlerts {
                    limit: MAX_WARNINGS_IN_A_ROW,
                }
                .into());
            }
            self.count_empty_or_warning()?;
            return Ok(state);
        }
        // Our own ClientHello or HelloRequest refusal aside, a no_renegotiation warning
        // during the handshake ends it: we never renegotiate, so it cannot be answered. The
        // error goes through `Core::fail` like any other, which sends nothing back.
        Err(Error::AlertReceived(description))
    }

    /// Application data arrived: an empty record counts towards the limit of empty records in
    /// a row; data resets the counters.
    pub(super) fn count_application_data(&mut self, len: usize) -> Result<(), Error> {
        if len == 0 {
            return self.count_empty_or_warning();
        }
        self.application_data_arrived();
        Ok(())
    }

    /// Data ends any run of empty records, warnings or KeyUpdates.
    pub(super) fn application_data_arrived(&mut self) {
        self.empty_or_warning_in_a_row = 0;
        self.warnings_in_a_row = 0;
        self.key_updates_in_a_row = 0;
    }

    fn count_empty_or_warning(&mut self) -> Result<(), Error> {
        self.empty_or_warning_in_a_row += 1;
        if self.empty_or_warning_in_a_row > MAX_EMPTY_OR_WARNING_IN_A_ROW {
            return Err(UnexpectedMessage::TooManyEmptyRecordsOrWarnings {
                limit: MAX_EMPTY_OR_WARNING_IN_A_ROW,
            }
            .into());
        }
        Ok(())
    }

    /// Decrypts one protected record whose outer type is application_data into the plaintext
    /// buffer. Application data stays there; anything else (TLS 1.3 handshake messages and
    /// alerts) is taken back out and returned.
    pub(super) fn open_application_record(&mut self, payload: &[u8]) -> Result<Opened, Error> {
        let Some(cipher) = self.decrypter.as_mut() else {
            return Err(Error::Internal(InternalError::StateInvariant));
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

    /// The record information of a received record, for the trace.
    pub(super) fn received_record(
        &self,
        content_type: ContentType,
        encrypted: bool,
        length: usize,
    ) -> RecordInfo {
        RecordInfo {
            content_type,
            epoch: if encrypted { self.read_epoch } else { 0 },
            encrypted,
            length,
        }
    }
}
