//! The TLS 1.2 traffic state: application data flows; renegotiation is refused.

use crate::conn::{Core, FinishedVerified, Input, PeerAuthenticated, State, unexpected};
use crate::error::{Error, Expected};
use crate::side::Side;
use crate::trace::{Decision, RenegotiationTrigger};
use crate::wire::{
    AlertDescription, AlertLevel, HandshakeMessage, HandshakePayload as P, HandshakeType,
};

/// After the handshake. It cannot be built without proof that the peer's Finished verified and
/// (on a client) that the server is who it must be.
pub(crate) struct Traffic12 {
    _finished: FinishedVerified,
    peer: PeerAuthenticated,
}

impl Traffic12 {
    pub fn start(finished: FinishedVerified, peer: PeerAuthenticated) -> Box<dyn State> {
        Box::new(Self {
            _finished: finished,
            peer,
        })
    }
}

impl State for Traffic12 {
    fn expects(&self) -> Expected {
        // RFC 5746 §4.2/§4.4: the messages that would start a renegotiation, to refuse them.
        match self.peer.holder() {
            Side::Client => Expected::Message(HandshakeType::HelloRequest),
            Side::Server => Expected::Message(HandshakeType::ClientHello),
        }
    }

    fn handle(self: Box<Self>, core: &mut Core, input: Input<'_>) -> Result<Box<dyn State>, Error> {
        // RFC 5746 §4.2/§4.4 and RFC 5246 §7.2.2: a peer that does not renegotiate answers
        // HelloRequest / a new ClientHello with a no_renegotiation warning.
        let trigger = match &input {
            Input::Handshake {
                msg:
                    HandshakeMessage {
                        payload: P::HelloRequest,
                    },
                ..
            } if core.side == Side::Client => RenegotiationTrigger::HelloRequest,
            Input::Handshake { msg, .. }
                if msg.typ() == HandshakeType::ClientHello && core.side == Side::Server =>
            {
                RenegotiationTrigger::ClientHello
            }
            other => return Err(unexpected(Expected::ApplicationData, other)),
        };
        core.decide(|| Decision::RenegotiationRefused(trigger));
        core.send_alert(AlertLevel::Warning, AlertDescription::NoRenegotiation);
        Ok(self)
    }
}
