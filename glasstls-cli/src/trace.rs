//! Rendering a connection's events: as the text `--trace` has always printed, or as JSON Lines
//! (`--trace=json`), one object per event, for programs (and the tests) to read. The JSON
//! schema is in `docs/trace-json.md`.

use crate::explain::{Explainer, Lang};
use glasstls::Connection;
use glasstls::trace::{Direction, Event, Field, Name, RecordInfo, SecretDerived, Value, hex};
use serde_json::{Map, Value as Json, json};
use std::cell::RefCell;
use std::io::Write;
use std::time::Instant;

/// How `--trace` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// Lines a person reads (the default).
    Text,
    /// JSON Lines (docs/trace-json.md, docs/trace.schema.json).
    Json,
    /// The text, each step followed by what it means (in `--lang`).
    Explain,
}

/// Prints one connection's events as they are taken from it, and keeps them when a page is to
/// be drawn from them.
pub struct Tracer {
    /// `None`: print nothing (the events are only kept, for `--trace-html`).
    format: Option<TraceFormat>,
    explainer: RefCell<Explainer>,
    started: Instant,
    /// The connection's number, where a process handles several (serve, reconnect).
    connection: Option<u64>,
    /// Put before each text line.
    prefix: String,
    /// Every event with its time (µs since the start), when recording.
    recorded: Option<RefCell<Vec<(u64, Event)>>>,
}

impl Tracer {
    /// A tracer for a connection that starts now.
    pub fn new(format: TraceFormat, connection: Option<u64>, prefix: &str) -> Self {
        Self {
            format: Some(format),
            explainer: RefCell::new(Explainer::new(Lang::En)),
            started: Instant::now(),
            connection,
            prefix: prefix.to_string(),
            recorded: None,
        }
    }

    /// Prints in `format` (or nothing), explains in `lang`, and keeps the events when `record`.
    pub fn with(format: Option<TraceFormat>, lang: Lang, record: bool) -> Self {
        let mut tracer = Self::new(TraceFormat::Text, None, "");
        tracer.format = format;
        tracer.explainer = RefCell::new(Explainer::new(lang));
        tracer.recorded = record.then(|| RefCell::new(Vec::new()));
        tracer
    }

    /// The same tracer for connection `number`, its text lines prefixed.
    pub fn numbered(mut self, number: u64, prefix: &str) -> Self {
        self.connection = Some(number);
        self.prefix = prefix.to_string();
        self
    }

    /// Writes the events the connection recorded since the last call.
    pub fn print(&self, out: &mut dyn Write, conn: &mut Connection) {
        self.print_events(out, conn.take_events());
    }

    /// Writes `events`, taken from a connection that is gone (a server's, at its end).
    pub fn print_events(&self, out: &mut dyn Write, events: Vec<glasstls::Event>) {
        let t_us = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        for event in events {
            // The trace is best effort: a closed stderr must not end a connection.
            match self.format {
                Some(TraceFormat::Text) => {
                    for line in event.to_string().lines() {
                        let _ = writeln!(out, "{}{line}", self.prefix);
                    }
                }
                Some(TraceFormat::Explain) => {
                    for line in event.to_string().lines() {
                        let _ = writeln!(out, "{}{line}", self.prefix);
                    }
                    for sentence in self.explainer.borrow_mut().explain(&event) {
                        let _ = writeln!(out, "{}      ▸ {sentence}", self.prefix);
                    }
                }
                Some(TraceFormat::Json) => {
                    let _ = writeln!(out, "{}", event_json(&event, t_us, self.connection));
                }
                None => {}
            }
            if let Some(recorded) = &self.recorded {
                recorded.borrow_mut().push((t_us, event));
            }
        }
    }

    /// The language it explains in.
    pub fn lang(&self) -> Lang {
        self.explainer.borrow().lang()
    }

    /// The events kept so far (empty unless recording).
    pub fn recorded(&self) -> Vec<(u64, Event)> {
        self.recorded
            .as_ref()
            .map(|r| r.borrow().clone())
            .unwrap_or_default()
    }
}

/// What a command was asked to show of its connections.
#[derive(Clone, Debug, Default)]
pub struct TraceSettings {
    /// `--trace[=FORMAT]`: what to print (nothing when `None`).
    pub format: Option<TraceFormat>,
    /// `--lang`: the language of explanations and of the pages.
    pub lang: Lang,
    /// Whether the events are kept for a page (`--trace-html`, `demo --html`).
    pub record: bool,
}

impl TraceSettings {
    /// A tracer for a connection that starts now.
    pub fn tracer(&self) -> Tracer {
        Tracer::with(self.format, self.lang, self.record)
    }
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Sent => "sent",
        Direction::Received => "received",
    }
}

fn record(r: &RecordInfo) -> Json {
    json!({
        "content_type": r.content_type.to_string(),
        "epoch": r.epoch,
        "encrypted": r.encrypted,
        "length": r.length,
    })
}

/// A code point: its registry, its value, and its name when known.
fn name(n: &Name) -> Json {
    json!({ "type": "name", "registry": n.registry(), "code": n.code(), "name": n.name() })
}

/// A typed value, tagged with its type.
pub fn value(v: &Value) -> Json {
    match v {
        Value::Bytes(b) => json!({ "type": "bytes", "hex": hex(b) }),
        Value::Number(n) => json!({ "type": "number", "value": n }),
        Value::Text(t) => json!({ "type": "text", "value": t }),
        Value::Name(n) => name(n),
        Value::List(items) => {
            json!({ "type": "list", "items": items.iter().map(value).collect::<Vec<_>>() })
        }
        Value::Struct(fields) => {
            json!({ "type": "struct", "fields": fields.iter().map(field).collect::<Vec<_>>() })
        }
        Value::Flag(b) => json!({ "type": "flag", "value": b }),
        Value::Empty => json!({ "type": "empty" }),
        _ => json!({ "type": "unknown" }),
    }
}

fn field(f: &Field) -> Json {
    json!({ "id": f.id.id(), "value": value(&f.value) })
}

/// One event as a JSON object: `kind`, `t_us` (µs since the connection began, when the event
/// was taken from it: the events of one flight share a time), `connection` where there are
/// several, and the event's own members.
pub fn event_json(event: &Event, t_us: u64, connection: Option<u64>) -> Json {
    let mut object = Map::new();
    object.insert("kind".into(), json!(event.kind()));
    object.insert("t_us".into(), json!(t_us));
    if let Some(c) = connection {
        object.insert("connection".into(), json!(c));
    }
    let members = match event {
        Event::Message(m) => {
            let mut message = json!({
                "direction": direction(m.direction),
                "message": m.typ.to_string(),
                "record": record(&m.record),
                "fields": m.fields.iter().map(field).collect::<Vec<_>>(),
                "raw": hex(&m.raw),
            });
            // RFC 9849: the inner ClientHello, which crossed the wire inside the outer one.
            if let (true, Json::Object(object)) = (m.ech_inner, &mut message) {
                object.insert("ech_inner".into(), json!(true));
            }
            message
        }
        Event::ChangeCipherSpec {
            direction: d,
            record: r,
        } => json!({
            "direction": direction(*d),
            "record": record(r),
        }),
        Event::Alert {
            direction: d,
            level,
            description,
            record: r,
        } => json!({
            "direction": direction(*d),
            "level": level.to_string(),
            "description": description.to_string(),
            "record": record(r),
        }),
        Event::Decision(d) => {
            let params: Map<String, Json> = d
                .params()
                .iter()
                .map(|(k, v)| (k.to_string(), value(v)))
                .collect();
            json!({ "decision": d.kind(), "text": d.to_string(), "params": params })
        }
        Event::Secret(SecretDerived { name, value: v }) => json!({
            "secret": name.id(),
            "label": name.label(),
            "inputs": name.inputs().iter().map(|i| i.id()).collect::<Vec<_>>(),
            "value": v.as_deref().map(hex),
        }),
        Event::Failed(e) => json!({
            "error": e.to_string(),
            "alert": e.alert().map(|a| a.to_string()),
        }),
        _ => json!({}),
    };
    if let Json::Object(members) = members {
        object.extend(members);
    }
    Json::Object(object)
}
