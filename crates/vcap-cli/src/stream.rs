//! Standard output as `vcap` writes it. A reader that goes away early (`vcap --json | head -1`)
//! is not an error: the rest of the output is dropped, nothing is printed on standard error, and
//! the command's own exit status stands. A standard output that was closed when vcap started
//! (`vcap detect >&-`) is an error on the first byte written, as a full disk (`>/dev/full`) is.

use std::io::{self, ErrorKind, Write};

/// Whether standard output was open when vcap started. Rust's runtime, before `main`, opens
/// `/dev/null` read-write on each of descriptors 0–2 that is closed, so a closed standard output
/// shows as `/dev/null` open for reading and writing; a shell's `>/dev/null`, Rust's
/// `Stdio::null()` and Go's `os/exec` open it write-only. Whoever opens it read-write (Python's
/// `subprocess.DEVNULL`, Node's `stdio: "ignore"`, a shell's `1<>/dev/null`) looks the same as a
/// closed descriptor 1 and is taken as one: the error says so (docs/cli.md).
pub fn stdout_is_open() -> bool {
    use rustix::fs::{self as rfs, OFlags};
    let fd = io::stdout();
    let Ok(st) = rfs::fstat(&fd) else {
        return false;
    };
    let dev_null = rfs::FileType::from_raw_mode(st.st_mode) == rfs::FileType::CharacterDevice
        && rfs::major(st.st_rdev) == 1
        && rfs::minor(st.st_rdev) == 3;
    // Asked only of /dev/null: one system call (fstat) in the usual case.
    !(dev_null && rfs::fcntl_getfl(&fd).is_ok_and(|f| f & OFlags::RWMODE == OFlags::RDWR))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// Descriptor 1 was closed when vcap started.
    Closed,
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
    /// Wraps `inner`; `open` is [`stdout_is_open`]'s answer for standard output.
    pub fn new(inner: W, open: bool) -> Self {
        Output {
            inner,
            state: if open { State::Open } else { State::Closed },
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

fn closed() -> io::Error {
    io::Error::other(
        "standard output is closed (or is /dev/null opened read-write, which looks the same; to discard the output, open /dev/null write-only)",
    )
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.state {
            State::Closed => Err(closed()),
            State::ReaderGone => Ok(buf.len()),
            State::Open => {
                let r = self.inner.write(buf);
                self.pass(r, buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.state {
            State::Closed | State::ReaderGone => Ok(()),
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
        let mut o = Output::new(
            Pipe {
                room: 3,
                got: vec![],
                kind: ErrorKind::BrokenPipe,
            },
            true,
        );
        o.write_all(b"hello").unwrap();
        o.write_all(b" world").unwrap();
        o.flush().unwrap();
        assert!(o.reader_gone());
        assert_eq!(o.inner.got, b"hel");
    }

    #[test]
    fn other_write_errors_stay_errors() {
        let mut o = Output::new(
            Pipe {
                room: 0,
                got: vec![],
                kind: ErrorKind::StorageFull,
            },
            true,
        );
        assert_eq!(
            o.write_all(b"x").unwrap_err().kind(),
            ErrorKind::StorageFull
        );
        assert!(!o.reader_gone());
    }

    #[test]
    fn a_closed_stdout_fails_the_first_write_only() {
        let mut o = Output::new(Vec::new(), false);
        o.flush().unwrap();
        let e = o.write_all(b"x").unwrap_err();
        assert!(e.to_string().contains("standard output is closed"), "{e}");
        assert!(o.inner.is_empty());
    }
}
