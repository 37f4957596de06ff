//! A blocking adapter: a [`Connection`] over any `Read + Write` transport, itself `Read + Write`.
//! It is a thin shell: every protocol decision is in the core.

use crate::conn::Connection;
use crate::error::Error;
use rustls_pki_types::UnixTime;
use std::io::{self, Read, Write};

pub struct Stream<T: Read + Write> {
    conn: Connection,
    io: T,
    /// Bytes read from the transport that the connection has not taken yet.
    pending: Vec<u8>,
    transport_eof: bool,
}

impl<T: Read + Write> Stream<T> {
    pub fn new(conn: Connection, io: T) -> Self {
        Self {
            conn,
            io,
            pending: Vec::new(),
            transport_eof: false,
        }
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The transport, e.g. to change its timeouts. Reading or writing it directly would
    /// corrupt the TLS stream.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

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

    /// Sends close_notify (RFC 5246 §7.2.1) and flushes it.
    pub fn close(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.flush_tls()
    }

    fn flush_tls(&mut self) -> io::Result<()> {
        let out = self.conn.outgoing_tls();
        if !out.is_empty() {
            self.io.write_all(out)?;
            let n = out.len();
            self.conn.consume_outgoing(n);
            self.io.flush()?;
        }
        Ok(())
    }

    /// Reads from the transport once (unless bytes are already pending), feeds the connection
    /// and processes. Returns how many transport bytes were consumed; 0 means end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        if self.pending.is_empty() {
            if self.transport_eof {
                return Ok(0);
            }
            let mut buf = [0u8; 16 * 1024 + 256];
            let n = self.io.read(&mut buf)?;
            if n == 0 {
                self.transport_eof = true;
                return Ok(0);
            }
            self.pending
                .extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        let taken = self.conn.read_tls(&self.pending);
        self.pending.drain(..taken);
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

impl<T: Read + Write> Read for Stream<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.handshake()?;
        loop {
            if self.conn.plaintext_available() > 0 {
                return Ok(self.conn.recv(buf));
            }
            if self.conn.peer_has_closed() {
                return Ok(0);
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
