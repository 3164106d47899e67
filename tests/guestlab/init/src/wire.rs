//! The records the init sends to the host, one per line:
//!
//! ```text
//! GL1 <KIND> <field> <field> ...\n
//! ```
//!
//! Every field is base64 of its bytes, or `-` when it is empty, so a record is always one line of
//! printable ASCII whatever the data holds. The kinds are `BEGIN`, `INFO name text`, `MODULE name
//! outcome`, `STEP name status millis stdout stderr`, `DIR path`, `FILE path mode content`,
//! `LINK path target`, `RAW path status content`, `KMSG text` and last `END count`, where `count` is the number of records sent
//! before `END`, so that the host notices a truncated stream. The host side is
//! `tests/guestlab/guestlab.py`.

use std::io::{self, Write};

use crate::b64;

/// Writes records and counts them.
pub struct Sink<W: Write> {
    out: W,
    count: u64,
    line: Vec<u8>,
}

impl<W: Write> Sink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        Sink {
            out,
            count: 0,
            line: Vec::new(),
        }
    }

    /// Writes one record of `kind` with these fields.
    pub fn record(&mut self, kind: &str, fields: &[&[u8]]) -> io::Result<()> {
        self.line.clear();
        self.line.extend_from_slice(b"GL1 ");
        self.line.extend_from_slice(kind.as_bytes());
        for f in fields {
            self.line.push(b' ');
            if f.is_empty() {
                self.line.push(b'-');
            } else {
                b64::encode_into(f, &mut self.line);
            }
        }
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.count += 1;
        Ok(())
    }

    /// Writes the `END` record and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        let n = self.count.to_string();
        self.record("END", &[n.as_bytes()])?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::Sink;

    #[test]
    fn records_are_counted_and_fields_encoded() {
        let mut buf = Vec::new();
        let mut s = Sink::new(&mut buf);
        s.record("INFO", &[b"kernel", b""]).unwrap();
        s.record("LINK", &[b"a b", b"../x\n"]).unwrap();
        s.finish().unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "GL1 INFO a2VybmVs -\nGL1 LINK YSBi Li4veAo=\nGL1 END Mg==\n"
        );
    }
}
