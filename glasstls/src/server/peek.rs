//! What a ClientHello asks to resume, read from the first bytes of a connection before a
//! [`Connection`](crate::Connection) takes them: the keys a server with a session cache on
//! the network (Redis) looks up ahead of the handshake, so that the handshake itself never
//! waits on the network ([`Connection::server_with_session_store`](crate::Connection::server_with_session_store)).

use crate::config::ServerConfig;
use crate::version::Version;
use crate::wire::codec::{Codec, Reader};
use crate::wire::{
    ClientHello, ContentType, Extension, ExtensionType, HandshakeType, ProtocolVersion,
};

/// What [`peek_client_hello`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelloPeek {
    /// The first ClientHello is not complete yet: read more and ask again.
    NeedMore,
    /// A whole ClientHello, and what it asks to resume.
    Hello(ResumptionKeys),
    /// Not a ClientHello the connection will take (another record type, a malformed or
    /// oversized message): let the connection read it and send the right alert.
    NotAHello,
}

/// The session-store keys a ClientHello names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResumptionKeys {
    /// RFC 5246 §7.4.1.2: a non-empty legacy_session_id (a TLS 1.2 resumption by ID, or
    /// TLS 1.3's compatibility echo, which the store simply does not hold).
    pub session_id: Option<Vec<u8>>,
    /// RFC 8446 §4.2.11: the offered PSK identities (stateful PSKs are store keys; tickets
    /// are sealed state and need no lookup, but look the same from outside).
    pub psk_identities: Vec<Vec<u8>>,
    /// The TLS 1.2 session ticket sent (RFC 5077 §3.1), if any: with one, the server resumes
    /// from the ticket before the session ID.
    pub has_ticket: bool,
    /// TLS 1.3 is offered (RFC 8446 §4.2.1): a server that speaks it takes it, and the
    /// session ID is then only the compatibility echo (§D.4), not worth a lookup.
    pub offers_tls13: bool,
}

impl ResumptionKeys {
    /// The keys a server with `config` would look up in its session store for this hello,
    /// as the handshake will ask for them (`server::tls12::find_session`,
    /// `server::tls13::usable_ticket`): the session ID for a TLS 1.2 resumption by ID (not
    /// when a ticket goes first, nor when TLS 1.3 will be chosen), and the PSK identities when
    /// TLS 1.3 resumes from the store rather than from tickets.
    pub fn lookups(&self, config: &ServerConfig) -> Vec<&[u8]> {
        let tls13 = config.common.versions.contains(&Version::Tls13);
        let mut keys = Vec::new();
        if let Some(id) = &self.session_id {
            let ticket_first = self.has_ticket && config.tickets.is_some();
            if config.session_ids && !ticket_first && !(self.offers_tls13 && tls13) {
                keys.push(id.as_slice());
            }
        }
        if tls13_resumes_from_store(config) {
            keys.extend(self.psk_identities.iter().map(Vec::as_slice));
        }
        keys
    }
}

/// TLS 1.3 resumes from the session store (stateful PSKs), not from tickets.
fn tls13_resumes_from_store(config: &ServerConfig) -> bool {
    config.common.versions.contains(&Version::Tls13)
        && config.session_ids
        && config.tickets.is_none()
}

/// The first handshake message we read ahead of the connection: the bound a `Connection`
/// applies by default (`Common::max_handshake_size`) would allow more, but a ClientHello past
/// this is left to the connection (no lookups for it).
const MAX_PEEKED_HELLO: usize = 64 * 1024;

/// Reads the first ClientHello from the TLS bytes a client sent first (`tls`, from the start
/// of the connection), across as many handshake records as it spans. Never fails: anything
/// it does not understand is [`HelloPeek::NotAHello`], and the connection that reads the same
/// bytes afterwards decides what it is.
///
/// With Encrypted Client Hello the keys that matter are in the inner hello, which only the
/// server can open: [`peek_client_hello_for`] reads those.
pub fn peek_client_hello(tls: &[u8]) -> HelloPeek {
    match first_hello(tls) {
        Ok((hello, _)) => HelloPeek::Hello(keys_of(&hello)),
        Err(peek) => peek,
    }
}

/// As [`peek_client_hello`], for a server with `config`. RFC 9849 §6.1.2: a client that
/// resumes under ECH puts its PSK in the inner ClientHello only, and the outer one carries a
/// GREASE identity of the same shape; so when TLS 1.3 resumes from the session store and the
/// outer hello carries an ECH offer one of `config`'s keys opens, the keys are the inner
/// hello's (the handshake then opens it again: an HPKE open more per such hello, paid only
/// where stateful PSKs and ECH meet). Anything that does not open leaves the outer hello's.
pub fn peek_client_hello_for(tls: &[u8], config: &ServerConfig) -> HelloPeek {
    let (hello, raw) = match first_hello(tls) {
        Ok(found) => found,
        Err(peek) => return peek,
    };
    if tls13_resumes_from_store(config)
        && !config.ech_keys.is_empty()
        && let Ok(super::ech::Opened::Accepted(inner)) = super::ech::open(config, &hello, &raw)
    {
        return HelloPeek::Hello(keys_of(&inner.hello));
    }
    HelloPeek::Hello(keys_of(&hello))
}

/// The first ClientHello and its handshake message's bytes (header and body), or what
/// [`peek_client_hello`] says instead.
fn first_hello(tls: &[u8]) -> Result<(ClientHello, Vec<u8>), HelloPeek> {
    let mut joined = Vec::new();
    let mut rest = tls;
    loop {
        // RFC 8446 §5.1: ContentType type; ProtocolVersion legacy_record_version;
        // uint16 length; opaque fragment[TLSPlaintext.length];
        let Some((header, after)) = rest.split_first_chunk::<5>() else {
            return Err(HelloPeek::NeedMore);
        };
        if ContentType(header[0]) != ContentType::Handshake {
            return Err(HelloPeek::NotAHello);
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let Some(fragment) = after.get(..len) else {
            return Err(HelloPeek::NeedMore);
        };
        rest = after.get(len..).unwrap_or_default();
        joined.extend_from_slice(fragment);
        let Some((head, body)) = joined.split_first_chunk::<4>() else {
            continue;
        };
        if HandshakeType(head[0]) != HandshakeType::ClientHello {
            return Err(HelloPeek::NotAHello);
        }
        let body_len =
            usize::from(head[1]) << 16 | usize::from(head[2]) << 8 | usize::from(head[3]);
        if body_len > MAX_PEEKED_HELLO {
            return Err(HelloPeek::NotAHello);
        }
        let Some(body) = body.get(..body_len) else {
            continue;
        };
        let Ok(hello) = ClientHello::read(&mut Reader::new(body)) else {
            return Err(HelloPeek::NotAHello);
        };
        joined.truncate(4 + body_len);
        return Ok((hello, joined));
    }
}

fn keys_of(hello: &ClientHello) -> ResumptionKeys {
    let psk_identities = match hello.find(ExtensionType::PreSharedKey) {
        Some(Extension::PreSharedKey(offered)) => offered
            .identities
            .iter()
            .map(|i| i.identity.clone())
            .collect(),
        _ => Vec::new(),
    };
    ResumptionKeys {
        session_id: Some(hello.session_id.clone()).filter(|id| !id.is_empty()),
        psk_identities,
        offers_tls13: matches!(
            hello.find(ExtensionType::SupportedVersions),
            Some(Extension::SupportedVersions(v)) if v.contains(&ProtocolVersion::TLSv1_3)
        ),
        has_ticket: matches!(
            hello.find(ExtensionType::SessionTicket),
            Some(Extension::SessionTicket(t)) if !t.is_empty()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientConfig, Connection, RootStore, ServerName, UnixTime};
    use std::sync::Arc;

    fn first_flight(config: ClientConfig) -> Vec<u8> {
        let name = ServerName::try_from("example.com").unwrap();
        let mut conn = Connection::client(Arc::new(config), name).unwrap();
        conn.process_new_packets(UnixTime::now()).unwrap();
        conn.take_outgoing()
    }

    #[test]
    fn a_client_hello_is_read_whole_across_records_and_byte_by_byte() {
        let mut config = ClientConfig::new(RootStore::empty());
        config.common.max_fragment_size = Some(512);
        let flight = first_flight(config);
        // Split over several records by the fragment size: every strict prefix needs more.
        assert!(flight.len() > 1000, "{}", flight.len());
        for cut in [0, 3, 5, 100, 517, flight.len() - 1] {
            assert_eq!(
                peek_client_hello(&flight[..cut]),
                HelloPeek::NeedMore,
                "at {cut}"
            );
        }
        let HelloPeek::Hello(keys) = peek_client_hello(&flight) else {
            panic!("no hello read");
        };
        assert!(keys.psk_identities.is_empty() && !keys.has_ticket && keys.offers_tls13);
    }

    #[test]
    fn anything_else_is_left_to_the_connection() {
        assert_eq!(
            peek_client_hello(b"GET / HTTP/1.1\r\n"),
            HelloPeek::NotAHello
        );
        // A handshake record holding a ServerHello type byte.
        assert_eq!(
            peek_client_hello(&[22, 3, 1, 0, 4, 2, 0, 0, 0]),
            HelloPeek::NotAHello
        );
        // A ClientHello whose body is garbage.
        assert_eq!(
            peek_client_hello(&[22, 3, 1, 0, 6, 1, 0, 0, 2, 0xff, 0xff]),
            HelloPeek::NotAHello
        );
        // A declared length past the bound.
        assert_eq!(
            peek_client_hello(&[22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]),
            HelloPeek::NotAHello
        );
    }
}
