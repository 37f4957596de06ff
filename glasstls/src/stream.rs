//! A blocking adapter: a [`Connection`] over any `Read + Write` transport, itself `Read + Write`.
//! It is a thin shell: every protocol decision is in the core.
//!
//! Over a socket it can also bound time ([`Stream::set_timeouts`], [`Stream::set_deadline`]):
//! a per-read timeout alone does not bound a peer that trickles one byte just inside it, so
//! the handshake as a whole gets a deadline, and so can any later phase.

use crate::conn::Connection;
use crate::error::Error;
use rustls_pki_types::UnixTime;
use std::io::{self, BufRead, Read, Write};
use std::time::{Duration, Instant};

/// A [`Connection`] over a blocking transport, itself `Read + Write + BufRead`.
pub struct Stream<T: Read + Write> {
    conn: Connection,
    io: T,
    /// Bytes read from the transport that the connection has not taken yet.
    pending: Vec<u8>,
    transport_eof: bool,
    clock: Option<Clock<T>>,
}

/// How long a [`Stream`] may wait on its transport.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// The whole handshake, from the stream's first read or write to the last Finished.
    pub handshake: Option<Duration>,
    /// The longest any single read or write of the transport may wait.
    pub idle: Option<Duration>,
}

/// A transport whose reads and writes can time out: the two setters of `TcpStream`.
pub trait SetTimeouts {
    /// Bounds each read (`None`: no bound).
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Bounds each write (`None`: no bound).
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
}

impl SetTimeouts for std::net::TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::net::TcpStream::set_read_timeout(self, timeout)
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::net::TcpStream::set_write_timeout(self, timeout)
    }
}

#[cfg(unix)]
impl SetTimeouts for std::os::unix::net::UnixStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, timeout)
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_write_timeout(self, timeout)
    }
}

/// The time bounds in force, and how to arm them on this transport. The setters are kept as
/// function pointers so that only the configuring methods need `T: SetTimeouts`.
struct Clock<T> {
    set_read: fn(&T, Option<Duration>) -> io::Result<()>,
    set_write: fn(&T, Option<Duration>) -> io::Result<()>,
    timeouts: Timeouts,
    /// Fixed at the first transport operation of the handshake.
    handshake_deadline: Option<Option<Instant>>,
    deadline: Option<(Instant, &'static str)>,
    /// What each direction's timeout is set to now, to skip repeating the system call.
    armed_read: Option<Option<Duration>>,
    armed_write: Option<Option<Duration>>,
}

#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

impl<T: SetTimeouts> Clock<T> {
    fn new() -> Self {
        Self {
            set_read: |io, t| io.set_read_timeout(t),
            set_write: |io, t| io.set_write_timeout(t),
            timeouts: Timeouts::default(),
            handshake_deadline: None,
            deadline: None,
            armed_read: None,
            armed_write: None,
        }
    }
}

impl<T> Clock<T> {
    /// The deadline that applies now, and what it bounds.
    fn next_deadline(&mut self, handshaking: bool) -> Option<(Instant, &'static str)> {
        let handshake = if handshaking {
            let limit = self.timeouts.handshake;
            *self
                .handshake_deadline
                .get_or_insert_with(|| limit.and_then(|d| Instant::now().checked_add(d)))
        } else {
            None
        };
        let handshake = handshake.map(|at| (at, "the handshake"));
        match (handshake, self.deadline) {
            (Some(h), Some(d)) => Some(if h.0 <= d.0 { h } else { d }),
            (h, d) => h.or(d),
        }
    }

    /// Sets the transport's timeout for the next operation: the idle timeout, or less if a
    /// deadline is nearer. A deadline already past is an error without touching the transport.
    fn arm(&mut self, io: &T, direction: Direction, handshaking: bool) -> io::Result<()> {
        let mut wait = self.timeouts.idle;
        if wait.is_some_and(|w| w.is_zero()) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer was idle too long",
            ));
        }
        if let Some((at, what)) = self.next_deadline(handshaking) {
            let left = at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{what} took too long"),
                ));
            }
            wait = Some(wait.map_or(left, |idle| idle.min(left)));
        }
        let (armed, set) = match direction {
            Direction::Read => (&mut self.armed_read, self.set_read),
            Direction::Write => (&mut self.armed_write, self.set_write),
        };
        if *armed != Some(wait) {
            set(io, wait)?;
            *armed = Some(wait);
        }
        Ok(())
    }

    /// A socket that times out says WouldBlock (EAGAIN) on Unix: names which bound it was.
    fn explain(&mut self, e: io::Error, handshaking: bool) -> io::Error {
        if !matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            return e;
        }
        let message = match self.next_deadline(handshaking) {
            Some((at, what)) if Instant::now() >= at => format!("{what} took too long"),
            _ => "the peer was idle too long".to_string(),
        };
        io::Error::new(io::ErrorKind::TimedOut, message)
    }
}

impl<T: Read + Write + SetTimeouts> Stream<T> {
    /// Bounds the handshake as a whole (timed from the first read or write after this call)
    /// and every single read and write (`None`: no bound). A bound that passes fails the
    /// operation with `ErrorKind::TimedOut`, whose message says which bound it was; the
    /// connection should then be dropped. The stream sets the transport's own timeouts before
    /// each operation from then on.
    pub fn set_timeouts(&mut self, timeouts: Timeouts) {
        let clock = self.clock.get_or_insert_with(Clock::new);
        clock.timeouts = timeouts;
        clock.handshake_deadline = None;
    }

    /// A deadline for every read and write from now on, e.g. for reading one request; `what`
    /// names it in the error ("the HTTP request" gives "the HTTP request took too long").
    /// `None` removes it. It applies together with [`Stream::set_timeouts`].
    pub fn set_deadline(&mut self, deadline: Option<(Instant, &'static str)>) {
        self.clock.get_or_insert_with(Clock::new).deadline = deadline;
    }
}

impl<T: Read + Write> Stream<T> {
    /// A stream over `io`; nothing is read or written until it is used.
    pub fn new(conn: Connection, io: T) -> Self {
        Self {
            conn,
            io,
            pending: Vec::new(),
            transport_eof: false,
            clock: None,
        }
    }

    /// The connection (what was negotiated, the trace, the session).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutably (to take its events, or request a key update).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The transport. Reading or writing it directly would corrupt the TLS stream, and its
    /// timeouts are the stream's to set once [`Stream::set_timeouts`] is used.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// The connection and the transport, apart.
    pub fn into_inner(self) -> (Connection, T) {
        (self.conn, self.io)
    }

    /// Drives the handshake to completion.
    pub fn handshake(&mut self) -> io::Result<()> {
        self.flush_tls()?;
        while self.conn.is_handshaking() {
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection during the handshake",
                ));
            }
        }
        self.flush_tls()
    }

    /// Sends close_notify and flushes it: our side is done writing. In TLS 1.3 the peer's
    /// close_notify closes only its side (RFC 8446 §6.1), so a server that has read a request to
    /// its end still writes the reply and then calls this; in TLS 1.2 the peer's close_notify
    /// was answered at once (RFC 5246 §7.2.1) and this adds nothing.
    pub fn close(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.flush_tls()
    }

    fn flush_tls(&mut self) -> io::Result<()> {
        if self.conn.outgoing_tls().is_empty() {
            return Ok(());
        }
        while !self.conn.outgoing_tls().is_empty() {
            let handshaking = self.conn.is_handshaking();
            if let Some(clock) = &mut self.clock {
                clock.arm(&self.io, Direction::Write, handshaking)?;
            }
            match self.io.write(self.conn.outgoing_tls()) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.conn.consume_outgoing(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.explain(e)),
            }
        }
        self.io.flush()
    }

    fn explain(&mut self, e: io::Error) -> io::Error {
        let handshaking = self.conn.is_handshaking();
        match &mut self.clock {
            Some(clock) => clock.explain(e, handshaking),
            None => e,
        }
    }

    /// Reads from the transport once (unless bytes are already pending), feeds the connection
    /// and processes. Returns how many transport bytes were consumed; 0 means end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        let taken = if self.pending.is_empty() {
            if self.transport_eof {
                return Ok(0);
            }
            let mut buf = [0u8; 16 * 1024 + 256];
            let handshaking = self.conn.is_handshaking();
            if let Some(clock) = &mut self.clock {
                clock.arm(&self.io, Direction::Read, handshaking)?;
            }
            let n = loop {
                match self.io.read(&mut buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    result => break result.map_err(|e| self.explain(e))?,
                }
            };
            if n == 0 {
                self.transport_eof = true;
                return Ok(0);
            }
            // Straight from the read buffer (whole records are decrypted from it); only what
            // the connection cannot take yet is kept for later.
            let data = buf.get(..n).unwrap_or_default();
            let taken = self.conn.read_tls(data);
            self.pending
                .extend_from_slice(data.get(taken..).unwrap_or_default());
            taken
        } else {
            let taken = self.conn.read_tls(&self.pending);
            self.pending.drain(..taken);
            taken
        };
        let processed = self.conn.process_new_packets(UnixTime::now());
        // Whatever happened, the peer gets our reply (or our alert) before we report.
        self.flush_tls()?;
        processed.map_err(to_io)?;
        Ok(taken.max(1))
    }
}

/// Wraps a protocol error; `err.get_ref()` downcasts back to [`Error`].
pub fn to_io(e: Error) -> io::Error {
    let kind = match e {
        Error::ConnectionClosed => io::ErrorKind::NotConnected,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

impl<T: Read + Write> Stream<T> {
    /// Reads until application data is buffered (true) or the peer has sent close_notify
    /// (false).
    fn wait_for_data(&mut self) -> io::Result<bool> {
        self.handshake()?;
        loop {
            if self.conn.plaintext_available() > 0 {
                return Ok(true);
            }
            if self.conn.peer_has_closed() {
                return Ok(false);
            }
            if self.fill()? == 0 {
                // RFC 5246 §7.2.1 truncation: the transport ended without close_notify.
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the transport without close_notify (the data may be truncated)",
                ));
            }
        }
    }
}

impl<T: Read + Write> Read for Stream<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || !self.wait_for_data()? {
            return Ok(0);
        }
        Ok(self.conn.recv(buf))
    }
}

/// Lends the decrypted bytes where they lie, with no copy (and no second buffer, as a
/// `BufReader` around the stream would add).
impl<T: Read + Write> BufRead for Stream<T> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.wait_for_data()?;
        Ok(self.conn.received())
    }

    fn consume(&mut self, amt: usize) {
        self.conn.consume_received(amt);
    }
}

impl<T: Read + Write> Write for Stream<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.handshake()?;
        self.conn.send(buf).map_err(to_io)?;
        self.flush_tls()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_tls()
    }
}
