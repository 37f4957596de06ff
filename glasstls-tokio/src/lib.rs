//! glasstls on tokio: [`TlsConnector`] and [`TlsAcceptor`] make a [`TlsStream`], which is
//! tokio's `AsyncRead` and `AsyncWrite` over any async transport (a `TcpStream`, a duplex
//! pipe), as tokio-rustls does for rustls. Every protocol decision stays in glasstls's
//! sans-IO [`Connection`]; this crate only moves bytes: TLS bytes are read onto the stack
//! and handed to the connection, which decrypts whole records from them (an idle stream keeps
//! no read space, and gives back its connection's spare buffers while it waits); the
//! plaintext is copied once, into the caller's buffer; what we write is encrypted once, into the
//! connection's output queue, which the transport writes from.
//!
//! `TlsStream` is also `AsyncBufRead`: `fill_buf` lends the plaintext where the connection holds
//! it, and waits for some without a buffer of the caller's.
//!
//! Closing behaves as tokio-rustls users expect:
//! - a read returns 0 (end of stream) once the peer has sent close_notify;
//! - the transport's end without close_notify is an `UnexpectedEof` error (a truncation
//!   attack looks like that);
//! - `shutdown` sends close_notify, flushes it, and shuts the transport's write side: in TLS
//!   1.3 the peer may still answer (RFC 8446 §6.1), and reads go on until it closes.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! let roots = glasstls::RootStore::system().map_err(glasstls::stream::to_io)?;
//! let config = Arc::new(glasstls::ClientConfig::new(roots));
//! let tcp = tokio::net::TcpStream::connect("example.com:443").await?;
//! let name = glasstls::ServerName::try_from("example.com").unwrap();
//! let mut tls = glasstls_tokio::TlsConnector::from(config).connect(name, tcp).await?;
//! tls.write_all(b"GET / HTTP/1.0\r\nHost: example.com\r\n\r\n").await?;
//! let mut page = Vec::new();
//! tls.read_to_end(&mut page).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use glasstls::{ClientConfig, Connection, ServerConfig, ServerName, UnixTime};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

/// What one read of the transport takes at most: a whole record and its header.
const READ_CHUNK: usize = 16 * 1024 + 256;

/// How much encrypted output a writer may leave queued before a write waits for the
/// transport: a few records.
const WRITE_QUEUE_LIMIT: usize = 64 * 1024;

/// Makes client connections with one [`ClientConfig`].
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        Self { config }
    }
}

impl TlsConnector {
    /// Connects to `server_name` over `io`: the handshake, then the stream.
    pub fn connect<IO>(
        &self,
        server_name: ServerName<'static>,
        io: IO,
    ) -> impl Future<Output = io::Result<TlsStream<IO>>> + use<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = Connection::client(Arc::clone(&self.config), server_name);
        async move {
            let mut stream = TlsStream::new(conn.map_err(glasstls::stream::to_io)?, io);
            stream.handshake().await?;
            Ok(stream)
        }
    }
}

/// A session cache on the network (Redis, memcached) that a fleet of servers shares, asked
/// without blocking: [`TlsAcceptor::with_session_store`] looks up what a ClientHello names
/// before the handshake starts, and the handshake stores what it makes with
/// [`AsyncSessionStore::put`], which must return at once.
pub trait AsyncSessionStore: Send + Sync {
    /// The value under `key`, or `None` (absent, or the store did not answer in time: either
    /// way a full handshake, so the store bounds how long this takes).
    fn get(&self, key: Vec<u8>) -> Pin<Box<dyn Future<Output = Option<Vec<u8>>> + Send>>;
    /// Keeps `value` under `key` for `lifetime` (the session's), without waiting: called from
    /// inside a handshake.
    fn put(&self, key: Vec<u8>, value: Vec<u8>, lifetime: std::time::Duration);
}

/// Accepts server connections with one [`ServerConfig`].
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
    store: Option<Arc<dyn AsyncSessionStore>>,
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        Self {
            config,
            store: None,
        }
    }
}

/// The ClientHello is read ahead of the connection until it is whole, or this much has
/// come without one (what follows is then the connection's to refuse).
const HELLO_READ_AHEAD: usize = 64 * 1024 + 5 * 8;

/// How many keys one ClientHello may have looked up (a client offering more PSKs than that
/// gets the rest treated as unknown).
const MAX_LOOKUPS: usize = 4;

impl TlsAcceptor {
    /// Sessions kept in and found from `store` instead of `config.session_store` (which is
    /// then unused): TLS 1.2 session IDs and, without ticket keys, TLS 1.3 PSKs.
    pub fn with_session_store(mut self, store: Arc<dyn AsyncSessionStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Runs the server side of a handshake over `io`, then hands over the stream.
    pub fn accept<IO>(&self, io: IO) -> impl Future<Output = io::Result<TlsStream<IO>>> + use<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let start = self.start(io);
        async move {
            let mut stream = start.await?;
            stream.handshake().await?;
            Ok(stream)
        }
    }

    /// The stream before its handshake: with a session store, once the ClientHello has been
    /// read and what it names looked up. Run [`TlsStream::handshake`] next; a caller that
    /// does so itself keeps the stream (its trace, its alert) when the handshake fails.
    pub fn start<IO>(&self, io: IO) -> impl Future<Output = io::Result<TlsStream<IO>>> + use<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let config = Arc::clone(&self.config);
        let store = self.store.clone();
        async move {
            let Some(store) = store else {
                let conn = Connection::server(config).map_err(glasstls::stream::to_io)?;
                return Ok(TlsStream::new(conn, io));
            };
            let mut io = io;
            let mut first = Vec::new();
            let keys = read_hello(&mut io, &mut first, &config).await?;
            let mut found = std::collections::HashMap::new();
            if let Some(keys) = keys {
                for key in keys.lookups(&config).into_iter().take(MAX_LOOKUPS) {
                    if let Some(value) = store.get(key.to_vec()).await {
                        found.insert(key.to_vec(), value);
                    }
                }
            }
            let sessions = Arc::new(Prefetched {
                found: std::sync::Mutex::new(found),
                remote: store,
                lifetime: config.session_lifetime,
            });
            let conn = Connection::server_with_session_store(config, sessions)
                .map_err(glasstls::stream::to_io)?;
            let mut stream = TlsStream::new(conn, io);
            stream.pending = first;
            Ok(stream)
        }
    }
}

/// Reads from `io` into `first` until it holds the first ClientHello whole: what it asks a
/// server with `config` to resume (the inner hello's keys under ECH), or `None` when the
/// bytes are not a ClientHello (or the peer stopped sending).
async fn read_hello<IO: AsyncRead + Unpin>(
    io: &mut IO,
    first: &mut Vec<u8>,
    config: &ServerConfig,
) -> io::Result<Option<glasstls::peek::ResumptionKeys>> {
    use glasstls::peek::{HelloPeek, peek_client_hello_for};
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; READ_CHUNK];
    while first.len() < HELLO_READ_AHEAD {
        let n = io.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        first.extend_from_slice(buf.get(..n).unwrap_or_default());
        match peek_client_hello_for(first, config) {
            HelloPeek::NeedMore => continue,
            HelloPeek::Hello(keys) => return Ok(Some(keys)),
            HelloPeek::NotAHello => return Ok(None),
        }
    }
    Ok(None)
}

/// One connection's view of an [`AsyncSessionStore`]: what was looked up for its ClientHello,
/// and puts passed on without waiting.
struct Prefetched {
    found: std::sync::Mutex<std::collections::HashMap<Vec<u8>, Vec<u8>>>,
    remote: Arc<dyn AsyncSessionStore>,
    lifetime: std::time::Duration,
}

impl glasstls::session::SessionStore for Prefetched {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        self.remote.put(key, value, self.lifetime);
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.found.lock().ok()?.get(key).cloned()
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.found.lock().ok()?.remove(key)
    }

    fn len(&self) -> usize {
        self.found.lock().map(|f| f.len()).unwrap_or(0)
    }
}

/// A TLS connection over an async transport: `AsyncRead + AsyncWrite` of the plaintext.
pub struct TlsStream<IO> {
    conn: Connection,
    io: IO,
    /// Transport bytes read that the connection has not taken yet (it takes what fits).
    pending: Vec<u8>,
    transport_eof: bool,
    /// Our write side: close_notify sent and the transport shut.
    shut: bool,
}

impl<IO> TlsStream<IO> {
    fn new(conn: Connection, io: IO) -> Self {
        Self {
            conn,
            io,
            pending: Vec::new(),
            transport_eof: false,
            shut: false,
        }
    }

    /// The connection: what was negotiated ([`Connection::info`]), the session, the trace,
    /// exporters.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutably (to request a key update, or take the trace's events).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// The connection and the transport, apart.
    pub fn into_inner(self) -> (Connection, IO) {
        (self.conn, self.io)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> TlsStream<IO> {
    /// Drives the handshake to its end ([`TlsAcceptor::accept`] and
    /// [`TlsConnector::connect`] do; after [`TlsAcceptor::start`] the caller does).
    pub async fn handshake(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| {
            while self.conn.is_handshaking() {
                ready!(self.poll_flush_tls(cx))?;
                if !ready!(self.poll_fill(cx))? {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the connection during the handshake",
                    )));
                }
            }
            self.poll_flush_tls(cx)
        })
        .await
    }

    /// Writes queued TLS bytes until none are left.
    fn poll_flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.conn.outgoing_tls().is_empty() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, self.conn.outgoing_tls()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.conn.consume_outgoing(n);
        }
        Poll::Ready(Ok(()))
    }

    /// Reads the transport once (unless bytes are pending), feeds and processes; `false` at
    /// the transport's end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.pending.is_empty() {
            if self.transport_eof {
                return Poll::Ready(Ok(false));
            }
            // Records a write queued but the transport could not take yet leave before we
            // wait on the peer: an echo writes without flushing and reads again, and its peer
            // may send nothing more until it has that echo. Pending registers this task for
            // the transport's write readiness, so the next poll goes on with them; an error
            // is the next write's or flush's to report (the peer's data may still be coming).
            if !self.conn.outgoing_tls().is_empty() {
                let _ = self.poll_flush_tls(cx);
            }
            // Read onto the stack, not into a buffer the stream keeps: an idle connection
            // then holds no read space at all (a server keeps thousands of them).
            let mut storage = [std::mem::MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut read = ReadBuf::uninit(&mut storage);
            if Pin::new(&mut self.io)
                .poll_read(cx, &mut read)?
                .is_pending()
            {
                // Waiting on the peer: give back the connection's spare space too.
                self.conn.release_buffers();
                return Poll::Pending;
            }
            let data = read.filled();
            if data.is_empty() {
                self.transport_eof = true;
                return Poll::Ready(Ok(false));
            }
            // Whole records are decrypted straight from what was read; only what the
            // connection cannot take yet is kept.
            let taken = self.conn.read_tls(data);
            self.pending
                .extend_from_slice(data.get(taken..).unwrap_or_default());
        } else {
            let taken = self.conn.read_tls(&self.pending);
            self.pending.drain(..taken);
            if self.pending.is_empty() {
                self.pending = Vec::new();
            }
        }
        let processed = self.conn.process_new_packets(UnixTime::now());
        // The peer gets our answer (a ticket, a KeyUpdate, an alert) whatever happened; a
        // transport not ready for it now gets it on the next write or flush.
        if let Poll::Ready(Err(e)) = self.poll_flush_tls(cx) {
            processed.map_err(glasstls::stream::to_io)?;
            return Poll::Ready(Err(e));
        }
        processed.map_err(glasstls::stream::to_io)?;
        Poll::Ready(Ok(true))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let available = this.conn.received();
            if !available.is_empty() {
                let n = available.len().min(out.remaining());
                out.put_slice(available.get(..n).unwrap_or_default());
                this.conn.consume_received(n);
                return Poll::Ready(Ok(()));
            }
            if this.conn.peer_has_closed() {
                return Poll::Ready(Ok(()));
            }
            if !ready!(this.poll_fill(cx))? {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection without close_notify (the data may be \
                     truncated)",
                )));
            }
        }
    }
}

/// The plaintext where the connection holds it, without a copy: `fill_buf` waits until some has
/// come (empty at close_notify) and lends it; `consume` takes it. A server that waits for a
/// keep-alive client's next request this way holds no buffer of its own while it waits.
impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncBufRead for TlsStream<IO> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.conn.received().is_empty() && !this.conn.peer_has_closed() {
            if !ready!(this.poll_fill(cx))? {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection without close_notify (the data may be \
                     truncated)",
                )));
            }
        }
        Poll::Ready(Ok(this.conn.received()))
    }

    fn consume(self: Pin<&mut Self>, n: usize) {
        self.get_mut().conn.consume_received(n);
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // A writer faster than its transport waits here rather than queueing without bound.
        while this.conn.outgoing_tls().len() >= WRITE_QUEUE_LIMIT {
            let n = ready!(Pin::new(&mut this.io).poll_write(cx, this.conn.outgoing_tls()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.conn.consume_outgoing(n);
        }
        this.conn.send(data).map_err(glasstls::stream::to_io)?;
        // Start the transport on it; what it cannot take now goes on the next call.
        if let Poll::Ready(Err(e)) = this.poll_flush_tls(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_flush_tls(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    /// close_notify, flushed, then the transport's write side shut.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.shut {
            this.conn.send_close_notify();
        }
        this.shut = true;
        ready!(this.poll_flush_tls(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
