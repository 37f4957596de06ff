//! What the TLS 1.3 client and server share: installing traffic keys, the CertificateVerify
//! content, the compatibility ChangeCipherSpec, the transcript after HelloRetryRequest, and
//! the traffic state with KeyUpdate (RFC 8446 §4.6.3).

use crate::conn::{
    Core, FinishedVerified, Input, PeerAuthenticated, Side, State, Transcript, unexpected,
};
use crate::crypto::{Hash, Suite13};
use crate::error::Error;
use crate::keys13::{self, Secret};
use crate::record::{self, RecordCipher};
use crate::trace::Event;
use crate::wire::{ContentType, HandshakeMessage, HandshakePayload as P};

/// A cipher for one direction from a traffic secret (RFC 8446 §7.3).
pub(crate) fn cipher(suite: &Suite13, traffic_secret: &[u8]) -> Result<RecordCipher, Error> {
    let (key, iv) = keys13::traffic_key_and_iv(suite.hash, suite.aead, traffic_secret);
    RecordCipher::new_tls13(suite.aead, &key, &iv)
}

/// The cipher for one direction's handshake records.
pub(crate) fn handshake_cipher(
    suite: &Suite13,
    keys: &keys13::HandshakeKeys,
) -> Result<RecordCipher, Error> {
    RecordCipher::new_tls13(suite.aead, &keys.key, &keys.iv)
}

/// RFC 8446 §4.4.3: "The digital signature is then computed over the concatenation of:
/// A string that consists of octet 32 (0x20) repeated 64 times; The context string; A single 0
/// byte which serves as the separator; The content to be signed."
pub(crate) fn certificate_verify_content(side: Side, transcript_hash: &[u8]) -> Vec<u8> {
    let context: &[u8] = match side {
        Side::Server => b"TLS 1.3, server CertificateVerify",
        Side::Client => b"TLS 1.3, client CertificateVerify",
    };
    let mut content = vec![0x20u8; 64];
    content.extend_from_slice(context);
    content.push(0);
    content.extend_from_slice(transcript_hash);
    content
}

/// RFC 8446 §D.4: the middlebox-compatibility change_cipher_spec, always in plaintext.
pub(crate) fn send_compatibility_ccs(core: &mut Core) -> Result<(), Error> {
    core.trace(|| Event::ChangeCipherSpec {
        direction: crate::trace::Direction::Sent,
    });
    core.write_plaintext_record(ContentType::ChangeCipherSpec, &[1])
}

/// RFC 8446 §4.4.1: after a HelloRetryRequest, "the value of ClientHello1 is replaced with a
/// special synthetic handshake message of handshake type "message_hash" containing
/// Hash(ClientHello1)". `transcript` holds ClientHello1 (not yet hashed); the result holds the
/// synthetic message, hashed with `hash`.
pub(crate) fn transcript_after_retry(
    mut transcript: Transcript,
    hash: Hash,
) -> Result<Transcript, Error> {
    transcript.start_hash(hash);
    let client_hello1 = transcript.current_hash()?;
    let mut replaced = Transcript::new();
    replaced.add(&[254, 0, 0, client_hello1.as_ref().len() as u8]);
    replaced.add(client_hello1.as_ref());
    replaced.start_hash(hash);
    Ok(replaced)
}

/// What a client does with each NewSessionTicket.
pub(crate) type TicketHandler = Box<dyn FnMut(&mut Core, crate::wire::NewSessionTicket13) + Send>;

/// The traffic state of TLS 1.3: application data, KeyUpdate both ways, tickets.
pub(crate) struct Traffic13 {
    pub suite: &'static Suite13,
    /// Our current application traffic secret (for our next KeyUpdate).
    pub write_secret: Secret,
    /// The peer's current application traffic secret.
    pub read_secret: Secret,
    pub _finished: FinishedVerified,
    pub _peer: PeerAuthenticated,
    /// What to do with a NewSessionTicket (client only).
    pub on_ticket: Option<TicketHandler>,
}

/// Consecutive KeyUpdates we answer before suspecting a peer of looping us.
pub(crate) const MAX_KEY_UPDATES_IN_A_ROW: u32 = 32;

impl Traffic13 {
    /// RFC 8446 §4.6.3: "update_requested" obliges us to send our own KeyUpdate.
    pub(crate) fn update_write_keys(
        &mut self,
        core: &mut Core,
        request_peer_update: bool,
    ) -> Result<(), Error> {
        let msg = HandshakeMessage::new(P::KeyUpdate(u8::from(request_peer_update)));
        core.send_handshake(&msg, &mut Transcript::new())?;
        self.write_secret = keys13::next_traffic_secret(self.suite.hash, &self.write_secret);
        core.encrypter = Some(cipher(self.suite, &self.write_secret)?);
        core.trace(|| Event::step("KeyUpdate sent: our application traffic keys are updated"));
        Ok(())
    }
}

impl State for Traffic13 {
    fn handle(
        mut self: Box<Self>,
        core: &mut Core,
        input: Input<'_>,
    ) -> Result<Box<dyn State>, Error> {
        match input {
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::KeyUpdate(request),
                    },
                ..
            } => {
                core.key_updates_in_a_row += 1;
                if core.key_updates_in_a_row > MAX_KEY_UPDATES_IN_A_ROW {
                    return Err(Error::UnexpectedMessage {
                        expected: "data",
                        got: "an endless run of KeyUpdates".into(),
                    });
                }
                self.read_secret = keys13::next_traffic_secret(self.suite.hash, &self.read_secret);
                core.set_decrypter(cipher(self.suite, &self.read_secret)?);
                core.trace(|| {
                    Event::step("KeyUpdate received: the peer's traffic keys are updated")
                });
                if request == 1 {
                    self.update_write_keys(core, false)?;
                }
                Ok(self)
            }
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::NewSessionTicket13(ticket),
                    },
                ..
            } if core.side == Side::Client => {
                if let Some(on_ticket) = self.on_ticket.as_mut() {
                    on_ticket(core, ticket);
                }
                Ok(self)
            }
            other => Err(unexpected("application data", &other)),
        }
    }

    fn request_key_update(&mut self, core: &mut Core) -> Result<(), Error> {
        self.update_write_keys(core, true)
    }
}

/// Writes a record in plaintext whatever the current keys (only the compatibility CCS).
impl Core {
    pub(crate) fn write_plaintext_record(
        &mut self,
        typ: ContentType,
        payload: &[u8],
    ) -> Result<(), Error> {
        record::write_records(None, typ, payload, self.out_mut())
    }
}
