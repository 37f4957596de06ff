//! `glasstls demo`: the note's handshake (RSA key exchange), an ECDHE one, TLS 1.2 resumption by
//! session ID and by ticket, TLS 1.3 with X25519MLKEM768, a HelloRetryRequest, its resumption,
//! two names on one address, and Encrypted Client Hello hiding the name that SNI shows,
//! against throw-away servers on loopback, with their traces
//! (text, JSON or explained, in English or Korean) and, with `--html DIR`, a page for each
//! connection and an index. No network needed.

use crate::cli::DemoArgs;
use crate::serve::{Limits, Mode, Pages, spawn_in_thread};
use crate::trace::TraceSettings;
use glasstls::ech::{EchConfig, EchKey, EchMode};
use glasstls::trace::CertificateSummary;
use glasstls::{
    CipherSuite, ClientConfig, Connection, Identity, NamedGroup, RootStore, ServerConfig,
    ServerName, Stream, Version,
};
use glasstls_test::pki::{Ca, KeyKind};
use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;

pub fn run(args: &DemoArgs) -> Result<(), String> {
    let reveal_secrets = args.reveal_secrets;
    let mut demo = Demo::start(reveal_secrets)?;
    demo.trace = TraceSettings {
        format: Some(args.trace),
        lang: args.lang,
        record: args.html.is_some(),
    };
    demo.html = args.html.clone();
    if let Some(dir) = &demo.html {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let addr = demo.addr;
    println!("glasstls demo: a throw-away CA issued certificates for localhost (RSA and ECDSA),");
    println!("shop.example, blog.example and public.example; one glasstls server holding all of");
    println!("them, and an Encrypted Client Hello key, listens on");
    println!("{addr}. Each handshake is traced from the client's side: → is what it sends,");
    println!("← what it receives, • what it works out.\n");

    demo.tls12()?;
    demo.tls13_and_sni()?;
    demo.ech()?;
    if let Some(dir) = &demo.html {
        let pages = demo.pages.borrow();
        let index = crate::html::index(&args.lang.catalogue().text("ui.index_title"), &pages);
        let path = dir.join("index.html");
        std::fs::write(&path, index).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {} pages and {}", pages.len(), path.display());
    }
    if !reveal_secrets {
        println!("(run `glasstls demo --reveal-secrets` to see the secret values themselves)");
    }
    Ok(())
}

/// A throw-away server on loopback, serving its page, untraced.
fn listen(config: ServerConfig) -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    spawn_in_thread(
        listener,
        Arc::new(config),
        Mode::Page,
        Limits::default(),
        Pages::default(),
    )?;
    Ok(addr)
}

struct Demo {
    addr: SocketAddr,
    /// A server that takes only secp384r1 shares: TLS 1.3 clients get a HelloRetryRequest.
    retry_addr: SocketAddr,
    roots: RootStore,
    /// The ECHConfig the server publishes (its key is in the server's config).
    ech_config: EchConfig,
    reveal_secrets: bool,
    trace: TraceSettings,
    html: Option<PathBuf>,
    /// The section being run: its number and title, for the pages.
    section: RefCell<(u32, String)>,
    /// Each page written: file, title, summary.
    pages: RefCell<Vec<(String, String, String)>>,
}

impl Demo {
    fn section(&self, title: &str, text: &str) {
        println!("══ {title}\n{text}\n");
        let number = title
            .split_once('.')
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or(0);
        *self.section.borrow_mut() = (number, title.to_string());
    }
}

impl Demo {
    /// A throw-away CA, its certificates, and one server holding them all on loopback.
    fn start(reveal_secrets: bool) -> Result<Self, String> {
        let err = |e: glasstls_test::pki::Error| format!("making the throw-away certificates: {e}");
        let ca = Ca::new("glasstls demo CA").map_err(err)?;
        let identity = |names: &[&str], kind| -> Result<Identity, String> {
            let leaf = ca.issue(names, kind).map_err(err)?;
            Identity::new(leaf.chain.clone(), &leaf.key_der()).map_err(|e| e.to_string())
        };
        let mut server = ServerConfig::new(vec![
            identity(&["localhost"], KeyKind::Rsa2048)?,
            identity(&["localhost"], KeyKind::EcdsaP256)?,
        ]);
        server.named_identities = vec![
            (
                "shop.example".into(),
                identity(&["shop.example"], KeyKind::EcdsaP256)?,
            ),
            (
                "blog.example".into(),
                identity(&["blog.example"], KeyKind::EcdsaP256)?,
            ),
        ];
        // Encrypted Client Hello: one key, whose config names public.example, the name every
        // site on this server shares on the wire.
        server.named_identities.push((
            "public.example".into(),
            identity(&["public.example"], KeyKind::EcdsaP256)?,
        ));
        let ech_key = EchKey::generate("public.example", 1).map_err(|e| e.to_string())?;
        let ech_config = ech_key.config.clone();
        server.ech_keys = vec![Arc::new(ech_key)];
        server.common.rsa_key_exchange = true;
        let mut retry = server.clone();
        retry.common.groups = vec![NamedGroup::secp384r1];
        let addr = listen(server)?;
        let retry_addr = listen(retry)?;

        let mut roots = RootStore::empty();
        roots.add(&ca.cert).map_err(|e| e.to_string())?;
        Ok(Demo {
            addr,
            retry_addr,
            roots,
            ech_config,
            reveal_secrets,
            trace: TraceSettings::default(),
            html: None,
            section: RefCell::new((0, String::new())),
            pages: RefCell::new(Vec::new()),
        })
    }

    /// Sections 1–4: the note's TLS 1.2 handshakes and both resumptions.
    fn tls12(&self) -> Result<(), String> {
        self.section(
            "1. The note's handshake: RSA key exchange (TLS_RSA_WITH_AES_128_GCM_SHA256)",
            "ClientHello → ServerHello → Certificate → ServerHelloDone → ClientKeyExchange (the\n\
             pre-master secret encrypted with the server's RSA key) → master secret and session keys →\n\
             ChangeCipherSpec → Finished, both ways. No forward secrecy: whoever later steals the\n\
             server's key can decrypt a recording of this connection.",
        );
        let mut config = self.client(CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256, None);
        config.common.rsa_key_exchange = true;
        self.connect(&Arc::new(config), "localhost", true)?;

        self.section(
            "2. What modern peers do: ECDHE (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, x25519)",
            "The server adds a ServerKeyExchange: a fresh X25519 key, signed with its certificate's key.\n\
             The pre-master secret is the Diffie-Hellman result, which no recording reveals later\n\
             (forward secrecy).",
        );
        let ecdhe = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
        self.connect(
            &Arc::new(self.client(ecdhe, Some(NamedGroup::X25519))),
            "localhost",
            true,
        )?;

        self.section(
            "3. The note's session ID: the second connection skips certificate and key exchange",
            "The first handshake is a full one; the server gives it a 32-byte session ID and keeps the\n\
             master secret. The client offers that ID next time; the server echoes it, and both derive\n\
             new keys from the old master secret and two new randoms.",
        );
        let mut config = self.client(ecdhe, Some(NamedGroup::X25519));
        config.tickets = false;
        let config = Arc::new(config);
        self.connect(&config, "localhost", false)?;
        self.connect(&config, "localhost", true)?;

        self.section(
            "4. Session tickets (RFC 5077): the server keeps nothing",
            "The server seals the session state under its ticket key and hands it to the client in a\n\
             NewSessionTicket. The client offers the ticket; the server opens it and resumes.",
        );
        let config = Arc::new(self.client(ecdhe, Some(NamedGroup::X25519)));
        self.connect(&config, "localhost", false)?;
        self.connect(&config, "localhost", true)?;
        Ok(())
    }

    /// Sections 5–7: TLS 1.3, its resumption, and SNI.
    fn tls13_and_sni(&self) -> Result<(), String> {
        self.section(
            "5. TLS 1.3 with post-quantum key exchange (X25519MLKEM768)",
            "The client sends key shares in its first message: an X25519MLKEM768 hybrid (ML-KEM-768, a\n\
             lattice KEM meant to resist quantum computers, plus X25519) and a plain X25519 share. The\n\
             server answers with its share, and everything after ServerHello is encrypted: the\n\
             certificate too. CertificateVerify proves the server holds the certificate's key.",
        );
        let mut config = self.client13();
        config.tickets = false;
        self.connect(&Arc::new(config), "localhost", true)?;

        self.section(
            "6. TLS 1.3 HelloRetryRequest: the server wants another key share",
            "This server takes only secp384r1 key shares. The client guessed X25519MLKEM768 and x25519,\n\
             so the server answers with a HelloRetryRequest naming secp384r1, and the client sends a\n\
             second ClientHello with that share: one more round trip, and the handshake goes on.",
        );
        let mut config = self.client13();
        config.tickets = false;
        self.connect_to(self.retry_addr, &Arc::new(config), "localhost", true)?;

        self.section(
            "7. TLS 1.3 resumption: a ticket carries a pre-shared key",
            "After the handshake the server sends a NewSessionTicket. Next time the client offers it\n\
             (pre_shared_key, with a binder proving it holds the key); the server skips Certificate\n\
             and CertificateVerify, and a fresh key exchange keeps forward secrecy (psk_dhe_ke).",
        );
        let config = Arc::new(self.client13());
        self.connect(&config, "localhost", false)?;
        self.connect(&config, "localhost", true)?;

        self.section(
            "8. SNI: two names on one address, a certificate for each",
            "The client names the host it wants in server_name (in clear text: an observer sees it; \n\
             Encrypted Client Hello is the fix). The server picks the certificate by that name.",
        );
        for name in ["shop.example", "blog.example"] {
            let config = Arc::new(self.client(
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                Some(NamedGroup::X25519),
            ));
            self.connect(&config, name, false)?;
        }
        Ok(())
    }

    /// Section 9: the same connection with plain SNI and with Encrypted Client Hello, the
    /// wire recorded each time; then a stale config, rejected and retried.
    fn ech(&self) -> Result<(), String> {
        self.section(
            "9. Encrypted Client Hello: the name the note worried about stops travelling in clear",
            "In section 8 anyone on the path could read shop.example in the ClientHello. This server\n\
             publishes an ECH config (HPKE key, public name public.example). With it the client seals\n\
             its real ClientHello, the one naming shop.example, and sends it inside an outer ClientHello\n\
             that names only public.example. Each connection here is recorded byte for byte, as an\n\
             eavesdropper would, and the recording is searched for the name.",
        );
        let mut plain = self.client13();
        plain.ech = EchMode::Off;
        let wire = self.connect_recorded(&Arc::new(plain), "shop.example", false)?;
        println!(
            "plain SNI: the recording ({} bytes) shows \"shop.example\" {}\n",
            wire.len(),
            found(&wire, "shop.example")
        );
        let mut hidden = self.client13();
        hidden.ech = EchMode::Offer(vec![self.ech_config.clone()]);
        let hidden = Arc::new(hidden);
        let wire = self.connect_recorded(&hidden, "shop.example", true)?;
        println!(
            "with ECH: the recording ({} bytes) shows \"shop.example\" {}; \"public.example\" {}\n",
            wire.len(),
            found(&wire, "shop.example"),
            found(&wire, "public.example")
        );

        // A config the server no longer holds (it rotated its key).
        let stale = EchKey::generate("public.example", 7).map_err(|e| e.to_string())?;
        let mut config = self.client13();
        config.ech = EchMode::Offer(vec![stale.config]);
        let server_name = ServerName::try_from("shop.example").map_err(|e| e.to_string())?;
        let conn = Connection::client(Arc::new(config), server_name).map_err(|e| e.to_string())?;
        let tcp = TcpStream::connect(self.addr).map_err(|e| e.to_string())?;
        let mut tls = Stream::new(conn, tcp);
        let _ = tls.handshake();
        let Some(glasstls::Error::EchRejected(rejected)) = tls.conn().error().cloned() else {
            return Err("the stale ECH config was not rejected".into());
        };
        println!(
            "a stale config (the server rotated its key):\n    {rejected}.\n\
             The client checked public.example's certificate, ended that connection with\n\
             ech_required, and retries once with the new config:"
        );
        let mut retry = self.client13();
        retry.ech = EchMode::Retry(rejected.retry_configs);
        self.connect(&Arc::new(retry), "shop.example", false)
    }

    /// A connection over a transport that records every byte both ways; returns them.
    fn connect_recorded(
        &self,
        config: &Arc<ClientConfig>,
        name: &str,
        traced: bool,
    ) -> Result<Vec<u8>, String> {
        let tcp = TcpStream::connect(self.addr).map_err(|e| e.to_string())?;
        let recording = Recording {
            tcp,
            wire: Vec::new(),
        };
        let tls = self.connect_over(recording, config, name, traced)?;
        Ok(tls.into_inner().1.wire)
    }

    /// `--html DIR`: this connection's page, named by its section.
    fn page(
        &self,
        events: &[(u64, glasstls::trace::Event)],
        name: &str,
        how: &str,
    ) -> Result<(), String> {
        let Some(dir) = &self.html else {
            return Ok(());
        };
        let (number, title) = self.section.borrow().clone();
        let mut pages = self.pages.borrow_mut();
        let nth = pages
            .iter()
            .filter(|(file, _, _)| file.starts_with(&format!("{number}-")))
            .count()
            + 1;
        let file = format!("{number}-{nth}.html");
        let page_title = format!("{title} ({name}, {how})");
        let html = crate::html::page(&page_title, glasstls::Side::Client, events, self.trace.lang);
        let path = dir.join(&file);
        std::fs::write(&path, html).map_err(|e| format!("{}: {e}", path.display()))?;
        pages.push((file, page_title, format!("{name}: {how}")));
        Ok(())
    }

    /// A client with TLS 1.3's defaults: X25519MLKEM768 first.
    fn client13(&self) -> ClientConfig {
        let mut config = ClientConfig::new(self.roots.clone());
        config.common.versions = vec![Version::Tls13];
        config.common.trace = true;
        config.common.reveal_secrets = self.reveal_secrets;
        config
    }

    fn client(&self, suite: CipherSuite, group: Option<NamedGroup>) -> ClientConfig {
        let mut config = ClientConfig::new(self.roots.clone());
        config.common.cipher_suites = vec![suite];
        if let Some(group) = group {
            // In TLS 1.2 supported_groups also names the curves the client accepts for ECDSA
            // certificates (RFC 8422 §5.1): ours are on P-256, so offer it after the group we
            // want the key exchange to use.
            config.common.groups = vec![group, NamedGroup::secp256r1];
        }
        config.common.trace = true;
        config.common.reveal_secrets = self.reveal_secrets;
        config
    }

    /// One connection: handshake, a request, the page. With `traced`, the whole trace and the
    /// page; otherwise one line.
    fn connect(&self, config: &Arc<ClientConfig>, name: &str, traced: bool) -> Result<(), String> {
        self.connect_to(self.addr, config, name, traced)
    }

    fn connect_to(
        &self,
        addr: SocketAddr,
        config: &Arc<ClientConfig>,
        name: &str,
        traced: bool,
    ) -> Result<(), String> {
        let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        self.connect_over(tcp, config, name, traced).map(drop)
    }

    fn connect_over<T: Read + Write>(
        &self,
        transport: T,
        config: &Arc<ClientConfig>,
        name: &str,
        traced: bool,
    ) -> Result<Stream<T>, String> {
        let server_name = name
            .to_string()
            .try_into()
            .map_err(|_| "bad name".to_string())?;
        let conn =
            Connection::client(Arc::clone(config), server_name).map_err(|e| e.to_string())?;
        let mut tls = Stream::new(conn, transport);
        let mut stdout = std::io::stdout();
        let tracer = self.trace.tracer();
        // Untraced connections print one line; their events are still kept for a page.
        let mut sink = std::io::sink();
        let out: &mut dyn Write = if traced { &mut stdout } else { &mut sink };
        let result = tls.handshake();
        if let Err(e) = &result {
            tracer.print(&mut std::io::stdout(), tls.conn_mut());
            return Err(format!("the demo handshake failed: {e}"));
        }
        tracer.print(out, tls.conn_mut());
        tls.write_all(format!("GET /text HTTP/1.0\r\nHost: {name}\r\n\r\n").as_bytes())
            .map_err(|e| e.to_string())?;
        let mut response = Vec::new();
        tls.read_to_end(&mut response).map_err(|e| e.to_string())?;
        // The server closed its side; we close ours (in TLS 1.2 that was answered already).
        tls.close().map_err(|e| e.to_string())?;
        tracer.print(out, tls.conn_mut());
        let info = tls.conn().info();
        let subject = info
            .peer_certificates
            .first()
            .map(|c| CertificateSummary::of(c).subject)
            .unwrap_or_default();
        let mut how = match info.resumed {
            Some(by) => format!("resumed by {by}"),
            None => "full handshake".into(),
        };
        if info.ech == glasstls::EchStatus::Accepted {
            how.push_str(", Encrypted Client Hello accepted");
        }
        self.page(&tracer.recorded(), name, &how)?;
        if !traced {
            println!("connected to {name}: {how}, certificate {subject}\n");
            return Ok(tls);
        }
        let response = String::from_utf8_lossy(&response);
        let body = response
            .split_once("\r\n\r\n")
            .map_or(&*response, |(_, b)| b);
        println!(
            "\n{how}. Application data, encrypted both ways: the server's page describes what it saw:"
        );
        for line in body.lines() {
            println!("    {line}");
        }
        println!();
        Ok(tls)
    }
}

/// Where `name` is in a recording of the wire, as the demo says it.
fn found(wire: &[u8], name: &str) -> String {
    match wire.windows(name.len()).position(|w| w == name.as_bytes()) {
        Some(at) => format!("in clear at byte {at}"),
        None => "nowhere".into(),
    }
}

/// A TCP connection that keeps a copy of every byte it carries, both ways: what an
/// eavesdropper on the path records.
struct Recording {
    tcp: TcpStream,
    wire: Vec<u8>,
}

impl Read for Recording {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.tcp.read(buf)?;
        self.wire
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.tcp.write(buf)?;
        self.wire
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}
