//! The JSON contract every `--json` output follows (docs/json.md): one object whose first two
//! keys are `schema` (`vcap.NAME/MAJOR`) and `vcap_version` (the version of the binary that
//! wrote it), then the output's own keys in the order its documentation lists them (each body
//! is a struct, serialised in declaration order). A new key keeps `MAJOR`; a key removed,
//! renamed or changed in meaning or type bumps it.

use std::io::{self, Write};

use serde::Serialize;

/// The version of this `vcap`, as `vcap_version` carries it.
pub const VCAP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `vcap snapshot --json`.
pub const SNAPSHOT: &str = "vcap.snapshot/1";
/// `vcap detect --list --json`.
pub const DETECT_LIST: &str = "vcap.detect-list/1";
/// `vcap protocol check --json`.
pub const PROTOCOL_CHECK: &str = "vcap.protocol-check/1";
/// `vcap protocol run --json`.
pub const PROTOCOL_RUN: &str = "vcap.protocol-run/1";
/// `vcap --format facts`.
pub const FACTS: &str = "vcap.facts/1";

/// A body with the envelope's two keys in front.
#[derive(Debug, Serialize)]
pub struct Envelope<'a, T: Serialize> {
    /// `vcap.NAME/MAJOR`.
    pub schema: &'static str,
    /// [`VCAP_VERSION`].
    pub vcap_version: &'static str,
    /// The output's own keys, after the envelope's.
    #[serde(flatten)]
    pub body: &'a T,
}

/// Wraps `body` (a struct or map) in the envelope of `schema`.
pub fn envelope<'a, T: Serialize>(schema: &'static str, body: &'a T) -> Envelope<'a, T> {
    Envelope {
        schema,
        vcap_version: VCAP_VERSION,
        body,
    }
}

/// How an object is laid out: on one line (small answers a script reads with one `read`), or
/// indented (reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One line.
    Line,
    /// Indented by two spaces, as `serde_json::to_writer_pretty`.
    Pretty,
}

/// Writes `body` in the envelope of `schema`, then a newline.
pub fn write<T: Serialize>(
    out: &mut dyn Write,
    schema: &'static str,
    body: &T,
    layout: Layout,
) -> io::Result<()> {
    let e = envelope(schema, body);
    match layout {
        Layout::Line => serde_json::to_writer(&mut *out, &e)?,
        Layout::Pretty => serde_json::to_writer_pretty(&mut *out, &e)?,
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Body {
        zeta: u8,
        alpha: &'static str,
    }

    #[test]
    fn the_envelope_comes_first_and_the_body_keeps_its_order() {
        let mut out = Vec::new();
        let b = Body {
            zeta: 1,
            alpha: "a",
        };
        write(&mut out, SNAPSHOT, &b, Layout::Line).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "{{\"schema\":\"vcap.snapshot/1\",\"vcap_version\":\"{VCAP_VERSION}\",\"zeta\":1,\"alpha\":\"a\"}}\n"
            )
        );
    }
}
