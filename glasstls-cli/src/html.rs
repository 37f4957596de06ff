//! `--trace-html`: one connection's events as a self-contained page (inline CSS, JavaScript and
//! SVG, nothing fetched): a client ↔ server sequence diagram, one arrow per message grouped by
//! flight, encrypted ones marked; a click shows the message's fields, its bytes in hex with each
//! field's bytes highlighted, and its explanation; the key schedule as a diagram; English and
//! Korean, switched on the page. The page's script is `page.html`; this file gives it the data.

use crate::explain::{Explainer, Lang};
use crate::trace::{event_json, value};
use glasstls::Side;
use glasstls::trace::{Direction, Event, field_spans, hex};
use serde_json::{Value as Json, json};

/// The page for one connection's `events`, recorded by the `side` that made them.
pub fn page(title: &str, side: Side, events: &[(u64, Event)], lang: Lang) -> String {
    page_with(title, side, events, lang, None)
}

/// The page, with the inspector's report of the visitor's ClientHello above the diagram.
pub fn page_with(
    title: &str,
    side: Side,
    events: &[(u64, Event)],
    lang: Lang,
    inspect: Option<&Json>,
) -> String {
    let mut explainers: Vec<(Lang, Explainer)> =
        Lang::ALL.iter().map(|l| (*l, Explainer::new(*l))).collect();
    let steps: Vec<Json> = events
        .iter()
        .map(|(t_us, event)| {
            let mut explain = serde_json::Map::new();
            for (l, explainer) in &mut explainers {
                explain.insert(l.code().into(), json!(explainer.explain(event)));
            }
            let mut step = event_json(event, *t_us, None);
            if let Json::Object(object) = &mut step {
                object.insert("explain".into(), Json::Object(explain));
                if let Some(from) = sender(side, event) {
                    object.insert("from".into(), json!(from));
                }
                if let Event::Message(m) = event {
                    let spans: Vec<Json> = field_spans(m.typ, &m.raw)
                        .iter()
                        .map(|s| json!({ "id": s.id, "start": s.start, "end": s.end }))
                        .collect();
                    object.insert("spans".into(), json!(spans));
                    let fields: Vec<Json> = m
                        .fields
                        .iter()
                        .map(|f| json!({ "id": f.id.id(), "value": value(&f.value), "text": shown(&f.value) }))
                        .collect();
                    object.insert("fields".into(), json!(fields));
                    object.insert("raw".into(), json!(hex(&m.raw)));
                }
            }
            step
        })
        .collect();
    let mut ui = serde_json::Map::new();
    for l in Lang::ALL {
        let cat = l.catalogue();
        let texts: serde_json::Map<String, Json> = cat
            .keys()
            .filter_map(|k| k.strip_prefix("ui."))
            .map(|k| (k.to_string(), json!(cat.text(&format!("ui.{k}")))))
            .collect();
        ui.insert(l.code().into(), Json::Object(texts));
    }
    let data = json!({
        "title": title,
        "side": match side { Side::Client => "client", Side::Server => "server" },
        "lang": lang.code(),
        "ui": ui,
        "steps": steps,
        "inspect": inspect,
    });
    fill(include_str!("page.html"), title, &data)
}

/// An index of several pages: `(file, title, summary)` each.
pub fn index(title: &str, pages: &[(String, String, String)]) -> String {
    let data = json!({
        "title": title,
        "pages": pages.iter().map(|(file, t, summary)| json!({ "file": file, "title": t, "summary": summary })).collect::<Vec<_>>(),
    });
    fill(include_str!("index.html"), title, &data)
}

fn fill(template: &str, title: &str, data: &Json) -> String {
    // The data holds what peers sent (host names, ALPN, certificate subjects). Inside
    // <script>, "</script", "<!--" or "<script" would change how the page parses: so no "<",
    // ">" or "&" is left in it. They can only be inside JSON strings, where "\u003c" means the
    // same to JSON.parse.
    let data = data
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    template
        .replace("__TITLE__", &escape(title))
        .replace("__DATA__", &data)
}

/// Text for an HTML element.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Which side sent what this event is about (`client` or `server`), for the arrows.
fn sender(side: Side, event: &Event) -> Option<&'static str> {
    let direction = match event {
        Event::Message(m) => m.direction,
        Event::ChangeCipherSpec { direction, .. } | Event::Alert { direction, .. } => *direction,
        _ => {
            return Some(match side {
                Side::Client => "client",
                Side::Server => "server",
            });
        }
    };
    Some(match (side, direction) {
        (Side::Client, Direction::Sent) | (Side::Server, Direction::Received) => "client",
        _ => "server",
    })
}

/// A field's value as the page lists it.
fn shown(v: &glasstls::trace::Value) -> String {
    use glasstls::trace::Value;
    match v {
        Value::Bytes(b) if b.len() <= 48 => hex(b),
        Value::Bytes(b) => format!("{}… ({} bytes)", hex(b.get(..32).unwrap_or(b)), b.len()),
        Value::Struct(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.id.id(), shown(&f.value)))
            .collect::<Vec<_>>()
            .join("; "),
        Value::List(items) => items.iter().map(shown).collect::<Vec<_>>().join(", "),
        Value::Empty => "(empty)".into(),
        other => crate::explain::plain(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glasstls::trace::Decision;

    /// What a peer names (a host name, a certificate's subject) cannot end the data's
    /// <script> element or open a comment in it: the page has its own two scripts, no more.
    #[test]
    fn peer_text_cannot_break_out_of_the_page_data() {
        let hostile = "</script><script>alert(1)</script><!--<script>&amp;";
        let events = vec![(
            0,
            Event::Decision(Decision::ChainVerified {
                server_name: hostile.into(),
            }),
        )];
        let page = page(hostile, Side::Client, &events, Lang::En);
        assert_eq!(page.matches("<script").count(), 2, "{page}");
        assert!(!page.contains("<!--"));
        assert!(page.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
        assert!(page.contains("<title>&lt;/script&gt;"));
    }
}
