//! The TLS 1.3 traffic state: application data, KeyUpdate both ways (RFC 8446 §4.6.3), and
//! tickets (RFC 8446 §4.6.1) for a client.

use super::key_schedule::{self, Secret};
use crate::conn::{Core, FinishedVerified, Input, PeerAuthenticated, State, unexpected};
use crate::crypto::Suite13;
use crate::error::{Error, Expected, UnexpectedMessage};
use crate::side::Side;
use crate::trace::Decision;
use crate::wire::{HandshakeMessage, HandshakePayload as P, HandshakeType, NewSessionTicket13};

/// What a client does with each NewSessionTicket.
pub(crate) type TicketHandler = Box<dyn FnMut(&mut Core, NewSessionTicket13) + Send>;

/// Consecutive KeyUpdates we answer before suspecting a peer of looping us.
pub(crate) const MAX_KEY_UPDATES_IN_A_ROW: u32 = 32;

/// After the handshake. It cannot be built without proof that the peer's Finished verified and
/// (on a client) that the server is who it must be.
pub(crate) struct Traffic13 {
    suite: &'static Suite13,
    /// Our current application traffic secret (for our next KeyUpdate).
    write_secret: Secret,
    /// The peer's current application traffic secret.
    read_secret: Secret,
    _finished: FinishedVerified,
    peer: PeerAuthenticated,
    /// What to do with a NewSessionTicket (client only).
    on_ticket: Option<TicketHandler>,
}

impl Traffic13 {
    pub fn start(
        (suite, write_secret, read_secret): (&'static Suite13, Secret, Secret),
        finished: FinishedVerified,
        peer: PeerAuthenticated,
        on_ticket: Option<TicketHandler>,
    ) -> Box<dyn State> {
        Box::new(Self {
            suite,
            write_secret,
            read_secret,
            _finished: finished,
            peer,
            on_ticket,
        })
    }

    /// RFC 8446 §4.6.3: "update_requested" obliges the peer to send its own KeyUpdate.
    fn update_write_keys(
        &mut self,
        core: &mut Core,
        request_peer_update: bool,
    ) -> Result<(), Error> {
        let msg = HandshakeMessage::new(P::KeyUpdate(u8::from(request_peer_update)));
        core.send_post_handshake(&msg)?;
        self.write_secret = key_schedule::next_traffic_secret(self.suite.hash, &self.write_secret);
        core.set_encrypter(super::cipher(self.suite, &self.write_secret)?);
        core.decide(|| Decision::KeyUpdateSent);
        Ok(())
    }
}

impl State for Traffic13 {
    fn expects(&self) -> Expected {
        match self.peer.holder() {
            Side::Client => {
                Expected::OneOf(&[HandshakeType::KeyUpdate, HandshakeType::NewSessionTicket])
            }
            Side::Server => Expected::Message(HandshakeType::KeyUpdate),
        }
    }

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
                    return Err(UnexpectedMessage::TooManyKeyUpdates {
                        limit: MAX_KEY_UPDATES_IN_A_ROW,
                    }
                    .into());
                }
                self.read_secret =
                    key_schedule::next_traffic_secret(self.suite.hash, &self.read_secret);
                core.set_decrypter(super::cipher(self.suite, &self.read_secret)?);
                core.decide(|| Decision::KeyUpdateReceived);
                // RFC 8446 §4.6.3: the receiver of update_requested "MUST send a KeyUpdate of
                // its own with request_update set to "update_not_requested" prior to sending its
                // next Application Data record. This mechanism allows either side to force an
                // update to the entire connection, but causes an implementation which receives
                // multiple KeyUpdates while it is silent to respond with a single update."
                if request == 1 {
                    core.key_update_owed = true;
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
            other => Err(unexpected(Expected::ApplicationData, &other)),
        }
    }

    fn request_key_update(&mut self, core: &mut Core) -> Result<(), Error> {
        // Our own update answers one the peer asked for too.
        core.key_update_owed = false;
        self.update_write_keys(core, true)
    }

    fn answer_key_update(&mut self, core: &mut Core) -> Result<(), Error> {
        if core.key_update_owed {
            core.key_update_owed = false;
            self.update_write_keys(core, false)?;
        }
        Ok(())
    }
}
