//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "glasstls",
    version,
    about = "TLS 1.3 and TLS 1.2 written from the RFCs, with every handshake step visible"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the note's handshakes against a throw-away server on loopback and print their traces.
    Demo(DemoArgs),
    /// Connect to a TLS server, send standard input, write what the server sends to standard output.
    Connect(ConnectArgs),
    /// Serve TLS: a page describing each connection's handshake, or an echo.
    Serve(ServeArgs),
    /// Encrypted Client Hello keys (RFC 9849).
    #[command(subcommand)]
    Ech(EchCommand),
    /// The ticket keys a fleet of `serve --session-store redis://…` shares.
    #[command(subcommand)]
    TicketKeys(TicketKeysCommand),
}

#[derive(Subcommand, Debug)]
pub enum TicketKeysCommand {
    /// Rotate now: a new key seals from the next second on every node; the previous ones
    /// still open tickets for --ticket-window.
    Rotate {
        /// The fleet's Redis: redis://HOST:PORT[/DB].
        #[arg(long, value_name = "URL")]
        session_store: String,
        /// Seconds retired keys go on opening tickets [default: the session lifetime, 86400].
        #[arg(long, value_name = "SECS")]
        ticket_window: Option<f64>,
    },
    /// Show the ring: each key's age and whether it seals or only opens (never a key).
    Show {
        /// The fleet's Redis: redis://HOST:PORT[/DB].
        #[arg(long, value_name = "URL")]
        session_store: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum EchCommand {
    /// Make an X25519 ECH key and its ECHConfig; print the ECHConfigList in base64 (the value of
    /// a DNS HTTPS record's `ech=` parameter).
    Keygen {
        /// The name the outer ClientHello carries, the only one an eavesdropper sees.
        #[arg(long)]
        public_name: String,
        /// The config's number (clients echo it, so a server with several keys finds the right one).
        #[arg(long, default_value_t = 0)]
        config_id: u8,
        /// Write the private key and the ECHConfigList here, as PEM (created mode 0600).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone, Default)]
pub struct CommonOpts {
    /// A cipher suite by IANA name (repeatable, in order of preference). Naming an RSA key
    /// exchange suite enables RSA key exchange.
    #[arg(long)]
    pub cipher: Vec<String>,
    /// A key-exchange group: x25519, secp256r1, secp384r1 (repeatable, in order of preference).
    #[arg(long)]
    pub group: Vec<String>,
    /// Speak TLS 1.2 only.
    #[arg(long, conflicts_with = "tls13")]
    pub tls12: bool,
    /// Speak TLS 1.3 only.
    #[arg(long)]
    pub tls13: bool,
    /// An ALPN protocol name (repeatable, in order of preference).
    #[arg(long)]
    pub alpn: Vec<String>,
    /// Print each handshake step to standard error: as text (`--trace`, `--trace=text`), as
    /// JSON Lines (`--trace=json`, see docs/trace-json.md), or explained (`--trace=explain`,
    /// in `--lang`).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "text"
    )]
    pub trace: Option<crate::trace::TraceFormat>,
    /// With --trace, also print the values of derived secrets (for learning only).
    #[arg(long)]
    pub reveal_secrets: bool,
    /// The language of `--trace=explain` and of the HTML pages.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: crate::explain::Lang,
    /// Append secrets in the NSS key log format (Wireshark); SSLKEYLOGFILE works too.
    #[arg(long)]
    pub keylog: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Show the values of derived secrets (for learning only).
    #[arg(long)]
    pub reveal_secrets: bool,
    /// How the traces print: text (the default), json (JSON Lines) or explain (each step with
    /// what it means).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "text",
        default_value = "text"
    )]
    pub trace: crate::trace::TraceFormat,
    /// The language of `--trace=explain` and of the pages.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: crate::explain::Lang,
    /// Also write a page per connection and an index (index.html) into DIR.
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
}

impl CommonOpts {
    /// How the trace prints (text when only --reveal-secrets asked for it).
    pub fn trace_format(&self) -> crate::trace::TraceFormat {
        self.trace.unwrap_or(crate::trace::TraceFormat::Text)
    }

    /// What to print and keep: `record` when a page is to be drawn.
    pub fn trace_settings(&self, record: bool) -> crate::trace::TraceSettings {
        crate::trace::TraceSettings {
            format: (self.trace.is_some() || self.reveal_secrets).then(|| self.trace_format()),
            lang: self.lang,
            record,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// HOST:PORT to connect to.
    pub address: String,
    /// The name to send as SNI and to verify the certificate against (default: HOST).
    #[arg(long)]
    pub servername: Option<String>,
    /// Trust the certificates in this PEM file instead of the system store.
    #[arg(long)]
    pub cafile: Option<PathBuf>,

    /// Print nothing but errors on standard error.
    #[arg(long, short)]
    pub quiet: bool,
    /// After the first connection, connect N more times offering the saved session.
    #[arg(long, default_value_t = 0)]
    pub reconnect: u32,
    /// Save the session of the (last) connection to this file.
    #[arg(long)]
    pub sess_out: Option<PathBuf>,
    /// Offer the session saved in this file.
    #[arg(long)]
    pub sess_in: Option<PathBuf>,
    /// Do not ask for or offer session tickets (session IDs only).
    #[arg(long)]
    pub no_tickets: bool,
    /// Give up when connecting and the handshake take longer than SECS, each connection
    /// [default: wait as long as the system does].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Write the (last) connection's handshake as a self-contained HTML page: a sequence
    /// diagram, each message's fields and bytes, the key schedule.
    #[arg(long, value_name = "FILE")]
    pub trace_html: Option<PathBuf>,
    /// Encrypted Client Hello: the server's ECHConfigList in base64 (the `ech=` value of its
    /// DNS HTTPS record, or what `glasstls ech keygen` prints), or a file holding it. The name
    /// then travels encrypted; the wire shows only the config's public name. If the server
    /// rejects the config and sends new ones, the connection is retried once with them.
    #[arg(long, value_name = "BASE64|FILE")]
    pub ech_config: Option<String>,
    /// Send no GREASE encrypted_client_hello (sent by default without --ech-config, as browsers
    /// do, so that hellos which hide their name do not stand out).
    #[arg(long, conflicts_with = "ech_config")]
    pub no_ech_grease: bool,
    /// Accept the server's certificate whatever verification says (for testing only): a
    /// warning with what verification would have said goes to standard error.
    #[arg(long)]
    pub insecure: bool,
    /// Print the server's certificate chain as PEM on standard error, as `openssl s_client
    /// -showcerts` does, also when verifying it failed.
    #[arg(long)]
    pub showcerts: bool,
    /// A client certificate chain in PEM (mutual TLS), sent when the server asks for one;
    /// with --key.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The private key in PEM for --cert.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonOpts,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// A TOML file with the server's settings (identities per name, versions, suites,
    /// groups, ALPN, tickets, limits; see README); flags given as well override it. An
    /// unknown key is an error that names it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:4433].
    #[arg(long)]
    pub listen: Option<String>,
    /// A certificate chain in PEM (repeatable, each followed by its --key): the default
    /// identity.
    #[arg(long, required_unless_present_any = ["sni", "config"])]
    pub cert: Vec<PathBuf>,
    /// The private key in PEM for the --cert before it.
    #[arg(long, required_unless_present_any = ["sni", "config"])]
    pub key: Vec<PathBuf>,
    /// Enable the RSA key exchange (no forward secrecy).
    #[arg(long)]
    pub rsa_kx: bool,
    /// A certificate for one server name: NAME=CERT.pem,KEY.pem (repeatable; NAME may be
    /// `*.domain`). --cert/--key are then the default for other names and for no name.
    #[arg(long, value_name = "NAME=CERT,KEY")]
    pub sni: Vec<String>,
    /// Do not issue or resume session IDs.
    #[arg(long)]
    pub no_session_ids: bool,
    /// Do not issue or accept session tickets.
    #[arg(long)]
    pub no_tickets: bool,
    /// Echo received bytes instead of serving a page.
    #[arg(long)]
    pub echo: bool,
    /// Show each visitor the ClientHello it sent: `/` a page (its fields in wire order, GREASE
    /// marked, JA3 and JA4, what was negotiated and why, the sequence diagram), `/json` the same
    /// as JSON.
    #[arg(long, conflicts_with = "echo")]
    pub inspect: bool,
    /// Seconds a client has for its whole handshake [default: 30].
    #[arg(long, value_name = "SECS")]
    pub handshake_timeout: Option<f64>,
    /// Seconds a connection may wait for one read or write after the handshake [default: 300].
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<f64>,
    /// Connections served at once; more are refused with a fatal alert [default: 1024].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// An Encrypted Client Hello key file from `glasstls ech keygen --out` (repeatable, newest
    /// first, for rotation); a certificate for its public name is needed too (--sni or --cert).
    #[arg(long, value_name = "FILE")]
    pub ech_key: Vec<PathBuf>,
    /// Write each connection's handshake as an HTML page in DIR (conn-N.html).
    #[arg(long, value_name = "DIR")]
    pub trace_html: Option<PathBuf>,
    /// Serve Prometheus metrics (text format) on ADDR: handshakes by version, suite and
    /// resumption, failures by alert, connections open, handshake durations, session store
    /// lookups.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// How each connection's log line is written: text, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = crate::serve::LogFormat::Text)]
    pub log_format: crate::serve::LogFormat,
    /// Choose the cipher suite in our --cipher order rather than the client's (nginx's
    /// ssl_prefer_server_ciphers).
    #[arg(long)]
    pub prefer_server_order: bool,
    /// Keep sessions (TLS 1.2 session IDs, TLS 1.3 PSKs without tickets) and the ticket keys in
    /// this Redis, shared by every server given the same URL: redis://HOST:PORT[/DB].
    #[arg(long, value_name = "URL")]
    pub session_store: Option<String>,
    /// Milliseconds each session-store call may take before the handshake goes on without it
    /// [default: 50].
    #[arg(long, value_name = "MS")]
    pub store_timeout: Option<u64>,
    /// Seconds between ticket-key rotations [default: 21600]; in a fleet, whichever node
    /// takes the Redis lock first rotates.
    #[arg(long, value_name = "SECS")]
    pub ticket_rotation: Option<f64>,
    /// Seconds a retired ticket key still opens tickets [default: the session lifetime, 86400].
    #[arg(long, value_name = "SECS")]
    pub ticket_window: Option<f64>,
    /// After SIGINT or SIGTERM, seconds open connections have to finish [default: 10].
    #[arg(long, value_name = "SECS")]
    pub drain_timeout: Option<f64>,
    /// Runtime worker threads [default: one per core].
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Ask clients for a certificate (mutual TLS), verified against the CAs in this PEM file
    /// (client-auth key usage).
    #[arg(long, value_name = "PEM")]
    pub client_ca: Option<PathBuf>,
    /// With --client-ca: refuse a client without a certificate (required, as `openssl
    /// s_server -Verify`), or serve it unauthenticated (optional, as `-verify`).
    #[arg(long, value_enum, default_value_t = ClientAuthMode::Required, requires = "client_ca")]
    pub client_auth: ClientAuthMode,
    #[command(flatten)]
    pub common: CommonOpts,
}

/// `serve --client-auth`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthMode {
    /// A client without a certificate is served unauthenticated.
    Optional,
    /// A client without a certificate is refused (TLS 1.3: certificate_required; TLS 1.2:
    /// handshake_failure).
    Required,
}
