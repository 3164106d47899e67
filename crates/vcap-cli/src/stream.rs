//! Standard output as `vcap` writes it. A reader that goes away early (`vcap --json | head -1`)
//! is not an error: the rest of the output is dropped, nothing is printed on standard error, and
//! the command's own exit status stands. Any other write error (a full disk, `>/dev/full`) is an
//! error. A standard output closed before vcap started (`vcap detect >&-`) cannot be told apart
//! from `/dev/null`: Rust's runtime reopens descriptor 1 on `/dev/null` read-write before `main`,
//! exactly as Python's `subprocess.DEVNULL` opens it, and refusing that would break every script
//! that discards `systemd-detect-virt`'s output that way (docs/cli.md).

use std::io::{self, ErrorKind, Write};
use std::sync::OnceLock;

static WIDTH: OnceLock<usize> = OnceLock::new();

/// Sets the width the human report is wrapped to (the `vcap` binary does, once, from its
/// terminal: [`terminal_width`]). Without it, [`vcap_core::report::render::DEFAULT_WIDTH`].
pub fn set_width(width: usize) {
    let _ = WIDTH.set(width);
}

/// The width the human report is wrapped to.
pub fn width() -> usize {
    WIDTH
        .get()
        .copied()
        .unwrap_or(vcap_core::report::render::DEFAULT_WIDTH)
}

/// The width to wrap to, as `ls` decides it: `COLUMNS` when it holds a number, else the width
/// of the terminal standard output is (when it is one), else
/// [`vcap_core::report::render::DEFAULT_WIDTH`].
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return n;
    }
    let stdout = io::stdout();
    match rustix::termios::tcgetwinsize(&stdout) {
        Ok(w) if w.ws_col > 0 => usize::from(w.ws_col),
        _ => vcap_core::report::render::DEFAULT_WIDTH,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// The reader closed its end of the pipe: further output is dropped.
    ReaderGone,
}

/// A writer around standard output (or any writer, in tests) with the rules above.
#[derive(Debug)]
pub struct Output<W: Write> {
    inner: W,
    state: State,
}

impl<W: Write> Output<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Output {
            inner,
            state: State::Open,
        }
    }

    /// Whether the reader went away (so some output was dropped).
    pub fn reader_gone(&self) -> bool {
        self.state == State::ReaderGone
    }

    fn pass<T>(&mut self, r: io::Result<T>, dropped: T) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.state = State::ReaderGone;
                Ok(dropped)
            }
            r => r,
        }
    }
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.state {
            State::ReaderGone => Ok(buf.len()),
            State::Open => {
                let r = self.inner.write(buf);
                self.pass(r, buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.state {
            State::ReaderGone => Ok(()),
            State::Open => {
                let r = self.inner.flush();
                self.pass(r, ())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `room` bytes, then fails every write with `kind`.
    struct Pipe {
        room: usize,
        got: Vec<u8>,
        kind: ErrorKind,
    }

    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(self.kind.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_reader_gone_drops_the_rest_quietly() {
        let mut o = Output::new(Pipe {
            room: 3,
            got: vec![],
            kind: ErrorKind::BrokenPipe,
        });
        o.write_all(b"hello").unwrap();
        o.write_all(b" world").unwrap();
        o.flush().unwrap();
        assert!(o.reader_gone());
        assert_eq!(o.inner.got, b"hel");
    }

    #[test]
    fn other_write_errors_stay_errors() {
        let mut o = Output::new(Pipe {
            room: 0,
            got: vec![],
            kind: ErrorKind::StorageFull,
        });
        assert_eq!(
            o.write_all(b"x").unwrap_err().kind(),
            ErrorKind::StorageFull
        );
        assert!(!o.reader_gone());
    }
}
