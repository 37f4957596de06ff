//! One client and one server in memory, wired to each other, on a clock the test moves. This is
//! the one loop that moves bytes between two connections in the tests.

use glasstls::{ClientConfig, Connection, Error, ServerConfig, UnixTime};
use std::sync::Arc;
use std::time::Duration;

/// A client and a server, and the time both are told.
pub struct Pair {
    /// The client.
    pub client: Connection,
    /// The server.
    pub server: Connection,
    /// What `process_new_packets` is told it is.
    pub now: UnixTime,
    /// The first error each side hit (client, server).
    pub errors: (Option<Error>, Option<Error>),
    /// The application data each side received (client, server).
    pub received: (Vec<u8>, Vec<u8>),
}

impl Pair {
    /// A client for `localhost` and a server, at the current time. Nothing is exchanged yet.
    pub fn new(client: ClientConfig, server: ServerConfig) -> Self {
        Self::from_arcs(&Arc::new(client), &Arc::new(server), "localhost")
    }

    /// A client for `name` and a server, from shared configs (for resumption tests).
    pub fn from_arcs(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>, name: &str) -> Self {
        let name = name.to_string().try_into().expect("a valid server name");
        Self {
            client: Connection::client(Arc::clone(client), name).expect("a client"),
            server: Connection::server(Arc::clone(server)).expect("a server"),
            now: UnixTime::now(),
            errors: (None, None),
            received: (Vec::new(), Vec::new()),
        }
    }

    /// The same pair, at `now`.
    pub fn at(mut self, now: UnixTime) -> Self {
        self.now = now;
        self
    }

    /// Moves the clock on.
    pub fn advance(&mut self, by: Duration) {
        self.now = UnixTime::since_unix_epoch(Duration::from_secs(self.now.as_secs()) + by);
    }

    /// Moves bytes both ways until neither side has anything to send (or a side failed);
    /// returns the first error of each side.
    pub fn pump(&mut self) -> (Option<Error>, Option<Error>) {
        exchange(
            &mut self.client,
            &mut self.server,
            self.now,
            &mut self.errors,
            &mut self.received,
        );
        self.errors.clone()
    }

    /// Pumps, and panics unless both sides finished the handshake without error.
    pub fn handshake(&mut self) {
        let errors = self.pump();
        assert_eq!(errors, (None, None), "the handshake failed");
        assert!(!self.client.is_handshaking() && !self.server.is_handshaking());
    }
}

/// Moves bytes between a client and a server until neither has anything to send; returns the
/// first error each side hit. The application data they receive is read and dropped.
pub fn pump_at(
    client: &mut Connection,
    server: &mut Connection,
    now: UnixTime,
) -> (Option<Error>, Option<Error>) {
    let mut errors = (None, None);
    exchange(
        client,
        server,
        now,
        &mut errors,
        &mut (Vec::new(), Vec::new()),
    );
    errors
}

/// `pump_at` the current time.
pub fn pump(client: &mut Connection, server: &mut Connection) -> (Option<Error>, Option<Error>) {
    pump_at(client, server, UnixTime::now())
}

/// The loop: what each side has to send, to the other, until both are quiet. A side that
/// failed is fed nothing more.
fn exchange(
    client: &mut Connection,
    server: &mut Connection,
    now: UnixTime,
    errors: &mut (Option<Error>, Option<Error>),
    received: &mut (Vec<u8>, Vec<u8>),
) {
    for _ in 0..100 {
        let to_server = client.take_outgoing();
        let to_client = server.take_outgoing();
        if to_server.is_empty() && to_client.is_empty() {
            break;
        }
        if errors.1.is_none() && !to_server.is_empty() {
            match deliver(server, &to_server, now) {
                Ok(data) => received.1.extend_from_slice(&data),
                Err(e) => errors.1 = Some(e),
            }
        }
        if errors.0.is_none() && !to_client.is_empty() {
            match deliver(client, &to_client, now) {
                Ok(data) => received.0.extend_from_slice(&data),
                Err(e) => errors.0 = Some(e),
            }
        }
    }
}

/// Feeds `bytes` to `to` as a transport would deliver them at once, processing as it goes;
/// returns the application data that arrived (read as it came, so that the plaintext bound
/// never stalls a delivery).
pub fn deliver(to: &mut Connection, mut bytes: &[u8], now: UnixTime) -> Result<Vec<u8>, Error> {
    let mut data = Vec::new();
    loop {
        let n = to.read_tls(bytes);
        bytes = bytes.get(n..).unwrap_or_default();
        to.process_new_packets(now)?;
        let got = to.received().len();
        data.extend_from_slice(to.received());
        to.consume_received(got);
        if bytes.is_empty() || (n == 0 && got == 0) {
            return Ok(data);
        }
    }
}
