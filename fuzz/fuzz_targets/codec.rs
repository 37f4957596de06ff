//! Every handshake message and server key exchange decoder on arbitrary bytes: never a panic,
//! and whatever decodes re-encodes to a value that decodes to itself.
#![no_main]

use glasstls::wire::{Codec, EcdheServerKeyExchange, HandshakeMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = HandshakeMessage::from_bytes(data) {
        let again = msg.to_bytes();
        assert_eq!(HandshakeMessage::from_bytes(&again).as_ref(), Ok(&msg));
    }
    if let Ok(ske) = EcdheServerKeyExchange::from_bytes(data) {
        assert_eq!(EcdheServerKeyExchange::from_bytes(&ske.to_bytes()).as_ref(), Ok(&ske));
    }
});
