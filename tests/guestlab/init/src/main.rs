//! PID 1 of the guestlab initramfs.
//!
//! It mounts proc, sysfs and devtmpfs, loads the kernel modules listed in `/lib/modules/order`, runs the
//! steps listed in `/etc/guestlab/steps` (each one a command line, normally `vcap ...`), walks the
//! snapshot directory `/snap` that `vcap snapshot /snap` wrote, and writes everything, together with
//! the raw content of the files listed in `/etc/guestlab/raw`, to the second serial port (`/dev/ttyS1`)
//! as line records (see [`wire`]). Then it syncs and powers the machine off.
//!
//! PID 1 never reads standard input: a read from the console tty would block forever and the machine
//! would never power off. Every child gets `/dev/null` as its standard input.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

mod b64;
mod wire;

use wire::Sink;

/// Where the host-written list of steps lives inside the initramfs.
const STEPS_FILE: &str = "/etc/guestlab/steps";
/// The module load order (file names without `.ko`, one per line) written by the host.
const MODULE_ORDER: &str = "/lib/modules/order";
/// The snapshot directory that the `snapshot` step writes and that is sent back afterwards.
const SNAP_DIR: &str = "/snap";
/// The port that carries the records when the kernel command line names none: the second x86 serial
/// port (the console is on ttyS0). Other machines name theirs with `guestlab.data=/dev/...` (a virtio
/// console, hvc0, on arm64, s390x and ppc64le).
const DATA_PORT: &str = "/dev/ttyS1";
/// The kernel command line parameter that names the data port.
const DATA_PORT_PARAM: &str = "guestlab.data=";
/// Paths (one a line) whose raw content is sent as `RAW` records, independently of vcap, so the host
/// can check that the platform really looks the way it was set up to look.
const RAW_LIST: &str = "/etc/guestlab/raw";

/// Everything that can stop the init before it has sent its records; each variant names the step.
#[derive(Debug)]
enum Error {
    /// Mounting a kernel filesystem failed.
    Mount(&'static str, rustix::io::Errno),
    /// Creating a mount point failed.
    Mkdir(&'static str, io::Error),
    /// The data port (named by the command line or [`DATA_PORT`]) could not be opened.
    DataPort(String, io::Error),
    /// Reading the steps file failed or a line in it was malformed.
    Steps(String),
    /// Writing the records failed.
    Write(io::Error),
    /// Walking the snapshot directory failed.
    Walk(PathBuf, io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Mount(what, e) => write!(f, "mounting {what}: {e}"),
            Error::Mkdir(what, e) => write!(f, "creating {what}: {e}"),
            Error::DataPort(port, e) => write!(f, "opening {port}: {e}"),
            Error::Steps(m) => write!(f, "{STEPS_FILE}: {m}"),
            Error::Write(e) => write!(f, "writing records to the data port: {e}"),
            Error::Walk(p, e) => write!(f, "walking {}: {e}", p.display()),
        }
    }
}

fn main() {
    let started = Instant::now();
    println!("guestlab-init: started");
    match run(started) {
        Ok(()) => println!(
            "guestlab-init: done in {} ms, powering off",
            started.elapsed().as_millis()
        ),
        Err(e) => println!("guestlab-init: FAILED: {e}"),
    }
    rustix::fs::sync();
    if let Err(e) = rustix::system::reboot(rustix::system::RebootCommand::PowerOff) {
        // Returning from PID 1 makes the kernel panic; with `panic=-1` it reboots at once and QEMU,
        // started with -no-reboot, exits. The host then finds no END record and reports the failure.
        println!("guestlab-init: power off failed: {e}");
    }
}

/// Mounts, loads modules, runs the steps and sends every record.
fn run(started: Instant) -> Result<(), Error> {
    mount_kernel_filesystems()?;
    let info: Vec<(&str, Vec<u8>)> = [
        ("kernel", "/proc/version"),
        ("cmdline", "/proc/cmdline"),
        ("uptime-at-init", "/proc/uptime"),
    ]
    .into_iter()
    .map(|(name, path)| {
        let text = fs::read(path).unwrap_or_else(|e| format!("<{e}>").into_bytes());
        (name, text)
    })
    .collect();
    // The modules are loaded before the data port is opened: behind a virtio-iommu the virtio
    // console's PCI function only probes (and hvc0 only appears) once virtio_iommu is loaded.
    let modules = load_modules();
    let cmdline = fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let port = open_data_port(data_port(&cmdline))?;
    let mut sink = Sink::new(BufWriter::with_capacity(1 << 16, port));
    sink.record("BEGIN", &[b"guestlab-init 1"])
        .map_err(Error::Write)?;
    for (name, text) in &info {
        sink.record("INFO", &[name.as_bytes(), text])
            .map_err(Error::Write)?;
    }
    for (name, outcome) in &modules {
        sink.record("MODULE", &[name.as_bytes(), outcome.as_bytes()])
            .map_err(Error::Write)?;
    }
    send_raw(&mut sink)?;
    let steps = read_steps()?;
    for step in &steps {
        run_step(step, &mut sink)?;
    }
    send_tree(Path::new(SNAP_DIR), &mut sink)?;
    let kmsg = read_kmsg();
    sink.record("KMSG", &[&kmsg]).map_err(Error::Write)?;
    let uptime = fs::read("/proc/uptime").unwrap_or_default();
    sink.record("INFO", &[b"uptime-at-end", &uptime])
        .map_err(Error::Write)?;
    let millis = started.elapsed().as_millis().to_string();
    sink.record("INFO", &[b"init-millis", millis.as_bytes()])
        .map_err(Error::Write)?;
    sink.finish().map_err(Error::Write)?;
    Ok(())
}

/// The data port the kernel command line names (`guestlab.data=/dev/hvc0`), else [`DATA_PORT`]. Only
/// a path under /dev is taken.
fn data_port(cmdline: &str) -> &str {
    cmdline
        .split_whitespace()
        .filter_map(|w| w.strip_prefix(DATA_PORT_PARAM))
        .find(|p| p.starts_with("/dev/") && !p.contains(".."))
        .unwrap_or(DATA_PORT)
}

/// Mounts proc, sysfs and devtmpfs at their usual places.
fn mount_kernel_filesystems() -> Result<(), Error> {
    use rustix::mount::{MountFlags, mount};
    for (fstype, target) in [("proc", "/proc"), ("sysfs", "/sys"), ("devtmpfs", "/dev")] {
        fs::create_dir_all(target).map_err(|e| Error::Mkdir(target, e))?;
        let flags = MountFlags::NOSUID | MountFlags::NOEXEC;
        match mount(fstype, target, fstype, flags, None) {
            Ok(()) => {}
            // The kernel may have mounted devtmpfs already (CONFIG_DEVTMPFS_MOUNT).
            Err(rustix::io::Errno::BUSY) => {}
            Err(e) => return Err(Error::Mount(target, e)),
        }
    }
    Ok(())
}

/// Loads each module named in [`MODULE_ORDER`]; returns each one's name and outcome.
fn load_modules() -> Vec<(String, String)> {
    let order = fs::read_to_string(MODULE_ORDER).unwrap_or_default();
    let mut out = Vec::new();
    for name in order.split_whitespace() {
        let path = format!("/lib/modules/{name}.ko");
        let outcome = match File::open(&path) {
            Err(e) => format!("open {path}: {e}"),
            Ok(f) => match rustix::system::finit_module(&f, c"", 0) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => "ok".to_string(),
                Err(e) => format!("finit_module {path}: {e}"),
            },
        };
        out.push((name.to_string(), outcome));
    }
    out
}

/// Opens the data port, waiting up to 5 s for it to appear (a device whose probe was deferred
/// until a module loaded shows up a little later).
fn open_data_port(path: &str) -> Result<File, Error> {
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match OpenOptions::new().write(true).open(path) {
            Ok(f) => return Ok(f),
            Err(e) if e.kind() == io::ErrorKind::NotFound && Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => return Err(Error::DataPort(path.to_string(), e)),
        }
    }
}

/// Sends each path listed in [`RAW_LIST`]: `RAW path status content`, where status is `file`, `dir`
/// (content: the sorted names, one a line), `absent` or `error` (content: the error).
fn send_raw(sink: &mut Sink<impl Write>) -> Result<(), Error> {
    let list = fs::read_to_string(RAW_LIST).unwrap_or_default();
    for path in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (status, content) = match fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => ("absent", Vec::new()),
            Err(e) => ("error", e.to_string().into_bytes()),
            Ok(m) if m.is_dir() => match fs::read_dir(path) {
                Ok(rd) => {
                    let mut names: Vec<String> = rd
                        .filter_map(Result::ok)
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect();
                    names.sort();
                    ("dir", names.join("\n").into_bytes())
                }
                Err(e) => ("error", e.to_string().into_bytes()),
            },
            Ok(_) => match fs::read(path) {
                Ok(data) => ("file", data),
                Err(e) => ("error", e.to_string().into_bytes()),
            },
        };
        sink.record("RAW", &[path.as_bytes(), status.as_bytes(), &content])
            .map_err(Error::Write)?;
    }
    Ok(())
}

/// One line of the steps file: a name and the command line to run.
#[derive(Debug, PartialEq)]
struct Step {
    name: String,
    argv: Vec<String>,
}

/// Reads [`STEPS_FILE`].
fn read_steps() -> Result<Vec<Step>, Error> {
    let text = fs::read_to_string(STEPS_FILE).map_err(|e| Error::Steps(e.to_string()))?;
    parse_steps(&text)
}

/// Parses the steps: one a line, fields separated by tabs, the first field the step's name; blank
/// lines and lines starting with `#` are skipped.
fn parse_steps(text: &str) -> Result<Vec<Step>, Error> {
    let mut steps = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t').map(str::to_string);
        let name = fields.next().unwrap_or_default();
        let argv: Vec<String> = fields.collect();
        if name.is_empty() || argv.is_empty() {
            return Err(Error::Steps(format!(
                "line {}: want NAME<TAB>PROGRAM[<TAB>ARG]..., got {line:?}",
                i + 1
            )));
        }
        steps.push(Step { name, argv });
    }
    Ok(steps)
}

/// Runs one step with standard input from /dev/null and records its exit status, time and output.
fn run_step(step: &Step, sink: &mut Sink<impl Write>) -> Result<(), Error> {
    println!("guestlab-init: step {}: {}", step.name, step.argv.join(" "));
    let t = Instant::now();
    let result = Command::new(&step.argv[0])
        .args(&step.argv[1..])
        .env_clear()
        .env("PATH", "/bin")
        .stdin(Stdio::null())
        .output();
    let millis = t.elapsed().as_millis().to_string();
    let (status, stdout, stderr) = match result {
        Ok(out) => {
            let status = match (out.status.code(), out.status.signal()) {
                (Some(c), _) => c.to_string(),
                (None, Some(s)) => format!("signal-{s}"),
                (None, None) => "unknown".to_string(),
            };
            (status, out.stdout, out.stderr)
        }
        Err(e) => (
            "spawn-failed".to_string(),
            Vec::new(),
            format!("cannot start {}: {e}", step.argv[0]).into_bytes(),
        ),
    };
    println!(
        "guestlab-init: step {} -> {status} ({millis} ms)",
        step.name
    );
    sink.record(
        "STEP",
        &[
            step.name.as_bytes(),
            status.as_bytes(),
            millis.as_bytes(),
            &stdout,
            &stderr,
        ],
    )
    .map_err(Error::Write)
}

/// Sends every directory, file and symbolic link under `root`, sorted, paths relative to `root`.
/// A missing `root` sends nothing (the snapshot step failed and said so in its own record).
fn send_tree(root: &Path, sink: &mut Sink<impl Write>) -> Result<(), Error> {
    if fs::symlink_metadata(root).is_err() {
        return Ok(());
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<OsString> = fs::read_dir(&dir)
            .map_err(|e| Error::Walk(dir.clone(), e))?
            .map(|r| r.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(|e| Error::Walk(dir.clone(), e))?;
        entries.sort();
        // Children are pushed in reverse so that they are popped, and so sent, in sorted order.
        let mut subdirs = Vec::new();
        for name in entries {
            let path = dir.join(&name);
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = rel.as_os_str().as_bytes();
            let meta = fs::symlink_metadata(&path).map_err(|e| Error::Walk(path.clone(), e))?;
            let ft = meta.file_type();
            if ft.is_symlink() {
                let target = fs::read_link(&path).map_err(|e| Error::Walk(path.clone(), e))?;
                sink.record("LINK", &[rel, target.as_os_str().as_bytes()])
            } else if ft.is_dir() {
                subdirs.push(path.clone());
                sink.record("DIR", &[rel])
            } else {
                let mut data = Vec::new();
                File::open(&path)
                    .and_then(|mut f| f.read_to_end(&mut data))
                    .map_err(|e| Error::Walk(path.clone(), e))?;
                let mode = format!("{:o}", meta.permissions().mode() & 0o7777);
                sink.record("FILE", &[rel, mode.as_bytes(), &data])
            }
            .map_err(Error::Write)?;
        }
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

/// Reads the kernel log from /dev/kmsg without blocking: one record a read, until EAGAIN.
fn read_kmsg() -> Vec<u8> {
    use rustix::fs::{Mode, OFlags, open};
    let fd = match open(
        "/dev/kmsg",
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(e) => return format!("<cannot open /dev/kmsg: {e}>").into_bytes(),
    };
    let mut f = File::from(fd);
    let mut all = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            // EPIPE: records were overwritten while reading; the next read continues.
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::PIPE.raw_os_error()) => {}
            Err(_) => break,
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::{DATA_PORT, Error, Step, data_port, parse_steps};

    #[test]
    fn data_port_comes_from_the_command_line_or_the_default() {
        assert_eq!(data_port("console=ttyS0 panic=-1"), DATA_PORT);
        assert_eq!(
            data_port("console=ttyAMA0 guestlab.data=/dev/hvc0 quiet"),
            "/dev/hvc0"
        );
        assert_eq!(data_port("guestlab.data=/etc/passwd"), DATA_PORT);
        assert_eq!(data_port("guestlab.data=/dev/../etc/x"), DATA_PORT);
    }

    #[test]
    fn steps_are_parsed_and_bad_lines_named() {
        let steps = parse_steps("# comment\n\nreport\t/bin/vcap\t--json\n").unwrap();
        assert_eq!(
            steps,
            vec![Step {
                name: "report".into(),
                argv: vec!["/bin/vcap".into(), "--json".into()],
            }]
        );
        match parse_steps("ok\t/bin/true\nlonely\n") {
            Err(Error::Steps(m)) => assert!(m.starts_with("line 2:"), "{m}"),
            other => panic!("expected a line-2 error, got {other:?}"),
        }
    }
}
