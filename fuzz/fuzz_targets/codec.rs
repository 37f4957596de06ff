//! Every handshake message decoder (TLS 1.2 and TLS 1.3 shapes), the server key exchange and
//! the session encoding on arbitrary bytes: never a panic, and whatever decodes re-encodes to a
//! value that decodes to itself.
#![no_main]

use glasstls::session::Session;
use glasstls::wire::{Codec, EcdheServerKeyExchange, HandshakeMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = HandshakeMessage::from_bytes(data) {
        let again = msg.to_bytes();
        assert_eq!(HandshakeMessage::from_bytes(&again).as_ref(), Ok(&msg));
    }
    if let Ok(msg) = HandshakeMessage::from_bytes_tls13(data) {
        let again = msg.to_bytes();
        assert_eq!(HandshakeMessage::from_bytes_tls13(&again).as_ref(), Ok(&msg));
    }
    if let Ok(ske) = EcdheServerKeyExchange::from_bytes(data) {
        assert_eq!(EcdheServerKeyExchange::from_bytes(&ske.to_bytes()).as_ref(), Ok(&ske));
    }
    if let Ok(session) = Session::decode(data) {
        assert_eq!(Session::decode(&session.encode()).map(|s| s.encode()).ok(), Some(session.encode()));
    }
});
