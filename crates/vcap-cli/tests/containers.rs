//! Real containers, started here, with the real systemd-detect-virt and virt-what inside the same
//! container as the oracle: a root directory is assembled from this machine's binaries (vcap,
//! systemd-detect-virt, virt-what with busybox, its CPUID helper and dmidecode, each with its
//! shared libraries) and entered with systemd-nspawn (Debian's `systemd-container`), Podman (with
//! runc), Docker (a private dockerd: Docker in this machine's Docker container), LXC
//! (`lxc-start`), PRoot (ptrace, no namespace), bubblewrap, a plain chroot (where `-r` must say yes), and a chroot that sees a cgroup
//! v1 child cgroup (where the container is `container-other`). In each, vcap linked as `systemd-detect-virt` and as `virt-what` must print what
//! the real tools print, with the same exit status, and a snapshot vcap writes inside must replay
//! outside to the answers it gave inside (PRoot included, which does not translate `statx`). A runtime that cannot start here is skipped
//! and says why; `scripts/setup` installs both on a fresh machine.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared libraries and loader a dynamically linked binary needs (`ldd`), or nothing for a
/// static one.
fn libraries(binary: &Path) -> Vec<PathBuf> {
    let Ok(o) = Command::new("ldd").arg(binary).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let path = l.split("=>").last()?.split_whitespace().next()?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

/// Copies `src` (links followed) to `root`/`dest`, with its libraries at their own paths.
fn install(root: &Path, src: &Path, dest: &str) {
    let to = root.join(dest.trim_start_matches('/'));
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(src, &to).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    for lib in libraries(src) {
        let to = root.join(lib.strip_prefix("/").unwrap());
        if !to.exists() {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&lib, &to).unwrap();
        }
    }
}

const SYSTEMD_DETECT_VIRT: &str = "/usr/bin/systemd-detect-virt";
const VIRT_WHAT: &str = "/usr/sbin/virt-what";
const VIRT_WHAT_HELPER: &str = "/usr/libexec/virt-what-cpuid-helper";
const DMIDECODE: &str = "/usr/sbin/dmidecode";
const BUSYBOX: &str = "/bin/busybox";

/// The root directory the containers run in, built once. None when a tool is missing here.
fn rootfs() -> Option<&'static Path> {
    static ROOT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let tools = [
            SYSTEMD_DETECT_VIRT,
            VIRT_WHAT,
            VIRT_WHAT_HELPER,
            DMIDECODE,
            BUSYBOX,
        ];
        if let Some(missing) = tools.iter().find(|t| !Path::new(t).exists()) {
            eprintln!("skipped: {missing} is not installed here (scripts/setup installs it)");
            return None;
        }
        let root = std::env::temp_dir().join(format!("vcap-containers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for d in ["proc", "sys", "dev", "run", "tmp", "etc", "vcap"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        // systemd-nspawn enters only a directory that looks like an OS tree.
        std::fs::write(root.join("usr/lib/os-release"), "ID=vcap-test\n").unwrap();
        install(&root, Path::new(env!("CARGO_BIN_EXE_vcap")), "/vcap/vcap");
        for name in ["systemd-detect-virt", "virt-what"] {
            std::os::unix::fs::symlink("vcap", root.join("vcap").join(name)).unwrap();
        }
        for t in tools {
            install(&root, Path::new(t), t);
        }
        for applet in [
            "sh", "cat", "grep", "tr", "sed", "id", "uname", "which", "ls", "test", "[", "env",
        ] {
            std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
        }
        std::fs::write(
            root.with_extension("containers.conf"),
            "[containers]\ndefault_ulimits = []\n",
        )
        .unwrap();
        Some(root)
    })
    .as_deref()
}

/// A container runtime: the command line that runs a command inside the root directory.
struct Runtime {
    name: &'static str,
    enter: fn(&Path) -> Vec<String>,
}

const RUNTIMES: &[Runtime] = &[
    Runtime {
        name: "systemd-nspawn",
        enter: |root| {
            [
                "systemd-nspawn",
                "--quiet",
                "--register=no",
                "--keep-unit",
                "--pipe",
                "-D",
            ]
            .iter()
            .map(|s| s.to_string())
            .chain([root.display().to_string()])
            .collect()
        },
    },
    Runtime {
        name: "bubblewrap (own root, new PID and user namespaces)",
        enter: |root| {
            ["bwrap", "--bind"]
                .iter()
                .map(|s| s.to_string())
                .chain([root.display().to_string(), "/".into()])
                .chain(
                    [
                        "--proc",
                        "/proc",
                        "--dev",
                        "/dev",
                        "--ro-bind",
                        "/sys",
                        "/sys",
                        "--unshare-pid",
                        "--unshare-user",
                        "--uid",
                        "0",
                        "--",
                    ]
                    .iter()
                    .map(|s| s.to_string()),
                )
                .collect()
        },
    },
    Runtime {
        // PID 1 (the shell) stays outside the chroot, so `-r` must say yes.
        name: "chroot (new mount and PID namespaces; PID 1 outside it)",
        enter: |root| {
            let script = r#"mount -t proc proc "$0/proc" && mount --rbind /sys "$0/sys" && chroot "$0" "$@"; exit $?"#;
            in_namespaces(script, root)
        },
    },
    Runtime {
        // No /proc at all: systemd 252 cannot tell (`-r` fails, exit 1), unless
        // SYSTEMD_IGNORE_CHROOT says not to look.
        name: "no /proc: a chroot without it (new mount and PID namespaces)",
        enter: |root| {
            let script = r#"chroot "$0" "$@"; exit $?"#;
            in_namespaces(script, root)
        },
    },
    Runtime {
        // A cgroup v1 container's view, as a v1 runtime gives it: the chroot's
        // /sys/fs/cgroup/systemd is a child cgroup of the host's systemd hierarchy, whose top has
        // no release_agent (only the root cgroup has one): systemd's running_in_cgroupns() v1
        // branch. Skipped where /sys/fs/cgroup/systemd is not a v1 hierarchy.
        name: "cgroup v1 child cgroup (a chroot with /sys/fs/cgroup/systemd bound to a child)",
        enter: |root| {
            let script = r#"G=/sys/fs/cgroup/systemd/vcap-test-$$
[ -f /sys/fs/cgroup/systemd/release_agent ] && mkdir "$G" || exit 97
mount -t proc proc "$0/proc" && mount --rbind /sys "$0/sys" && mount --bind "$G" "$0/sys/fs/cgroup/systemd" && chroot "$0" "$@"
s=$?; rmdir "$G"; exit $s"#;
            in_namespaces(script, root)
        },
    },
    Runtime {
        // Docker in this machine's own Docker container: a private dockerd (Debian's docker.io,
        // vfs storage, no network, its own socket and data under the root directory's side), the
        // root directory imported as an image (no registry is reachable). Docker writes
        // /.dockerenv into the container it starts.
        name: "docker (a private dockerd, the root directory imported as an image)",
        enter: |root| {
            let sock = dockerd(root).unwrap_or_else(|| "/nonexistent/docker.sock".into());
            [
                "docker",
                "-H",
                &format!("unix://{sock}"),
                "run",
                "--rm",
                "--network=none",
                DOCKER_IMAGE,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        },
    },
    Runtime {
        // LXC (Debian's lxc 5.0): `lxc-start -F` runs the command as the container's init (PID
        // 1, with LXC's `container=lxc` in its environment) in a new set of namespaces, with
        // LXC's own /proc and /sys, no network, and the console on our standard streams.
        // (`lxc-execute` would run it under lxc's own init, whose environment names no
        // container: systemd-detect-virt says none there.) The configuration is written beside
        // the root directory.
        name: "lxc (lxc-start -F, the command as init)",
        enter: |root| {
            let conf = root.with_extension("lxc.conf");
            let path = root.with_extension("lxc");
            let _ = std::fs::create_dir_all(&path);
            std::fs::write(
                &conf,
                format!(
                    "lxc.uts.name = vcap-test\nlxc.rootfs.path = dir:{}\nlxc.net.0.type = empty\nlxc.mount.auto = proc:mixed sys:ro\nlxc.autodev = 1\nlxc.apparmor.profile = unconfined\nlxc.console.path = none\n",
                    root.display()
                ),
            )
            .unwrap();
            vec![
                "lxc-start".into(),
                "-F".into(),
                "-n".into(),
                "vcap-test".into(),
                "-f".into(),
                conf.display().to_string(),
                "-P".into(),
                path.display().to_string(),
                "--".into(),
            ]
        },
    },
    Runtime {
        // PRoot: no namespace at all, the guest runs under ptrace (systemd finds it by the
        // tracer's name). /proc, /sys and /dev are the machine's own.
        name: "proot (ptrace, -r ROOT)",
        enter: |root| {
            vec![
                "proot".into(),
                "-r".into(),
                root.display().to_string(),
                "-b".into(),
                "/proc".into(),
                "-b".into(),
                "/sys".into(),
                "-b".into(),
                "/dev".into(),
            ]
        },
    },
    Runtime {
        // Last: Podman writes /run/.containerenv into the root directory, which the others would
        // then see (systemd reads it, virt-what does not). Podman on this machine's cgroup v1
        // hierarchy: runc with cgroupfs, vfs storage in a
        // private directory, the root directory as the container's (`--rootfs`, no image), and
        // a containers.conf without Podman's default ulimits (above this container's hard ones).
        name: "podman (runc, --rootfs)",
        enter: |root| {
            let aside = |what: &str| root.with_extension(what).display().to_string();
            vec![
                "env".into(),
                format!("CONTAINERS_CONF={}", aside("containers.conf")),
                "podman".into(),
                "--root".into(),
                aside("podman-storage"),
                "--runroot".into(),
                aside("podman-run"),
                "--runtime".into(),
                "runc".into(),
                "--cgroup-manager=cgroupfs".into(),
                "--storage-driver=vfs".into(),
                "run".into(),
                "--rm".into(),
                "--network=none".into(),
                "--rootfs".into(),
                root.display().to_string(),
            ]
        },
    },
];

/// The image the Docker runtime runs: the root directory, imported.
const DOCKER_IMAGE: &str = "vcap-containers-test:latest";

/// Starts (once) a private dockerd beside `root` and imports `root` as [`DOCKER_IMAGE`]; its
/// socket path, or `None` when dockerd is not installed or does not come up within 30 s.
fn dockerd(root: &Path) -> Option<String> {
    static SOCK: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SOCK.get_or_init(|| {
        let dir = root.with_extension("dockerd");
        let sock = dir.join("docker.sock");
        let _ = std::fs::create_dir_all(&dir);
        let daemon = Command::new("dockerd")
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("docker.pid"))
            .arg("-H")
            .arg(format!("unix://{}", sock.display()))
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .args(["--storage-driver=vfs"])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("log")).ok()?)
            .spawn()
            .ok()?;
        DOCKERD.set(daemon.id()).ok();
        let host = format!("unix://{}", sock.display());
        let up = (0..60).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(500));
            Command::new("docker")
                .args(["-H", &host, "version"])
                .output()
                .is_ok_and(|o| o.status.success())
        });
        if !up {
            eprintln!("dockerd did not come up: {}", dir.join("log").display());
            return None;
        }
        // `docker import DIR`-less: a tar of the root directory on standard input.
        let tar = Command::new("tar")
            .arg("-C")
            .arg(root)
            .args(["-c", "."])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        let imported = Command::new("docker")
            .args(["-H", &host, "import", "-", DOCKER_IMAGE])
            .stdin(tar.stdout?)
            .output()
            .ok()?;
        if !imported.status.success() {
            eprintln!(
                "docker import failed: {}",
                String::from_utf8_lossy(&imported.stderr)
            );
            return None;
        }
        Some(sock.display().to_string())
    })
    .clone()
}

/// The private dockerd's process ID, once started.
static DOCKERD: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// `sh -c SCRIPT ROOT COMMAND…` in new mount and PID namespaces, the shell as PID 1: the script
/// finds the root directory in `$0` and the command in `$@`.
fn in_namespaces(script: &str, root: &Path) -> Vec<String> {
    [
        "unshare", "--mount", "--pid", "--fork", "--", "sh", "-c", script,
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([root.display().to_string()])
    .collect()
}

/// Runs `argv` inside the runtime: (stdout, exit status, stderr).
fn inside(rt: &Runtime, root: &Path, argv: &[&str]) -> (String, Option<i32>, String) {
    let mut cmd = (rt.enter)(root);
    cmd.extend(argv.iter().map(|s| s.to_string()));
    let o = Command::new(&cmd[0]).args(&cmd[1..]).output().unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Whether the runtime can start a command here at all (a container without the privileges
/// for namespaces cannot).
fn starts(rt: &Runtime, root: &Path) -> bool {
    let which = rt.enter(root)[0].clone();
    if Command::new(&which).arg("--version").output().is_err() {
        eprintln!("skipped {}: {which} is not installed here", rt.name);
        return false;
    }
    let (out, code, err) = inside(rt, root, &["/bin/sh", "-c", "echo started"]);
    if out != "started\n" || code != Some(0) {
        eprintln!(
            "skipped {}: it cannot start here: exit {code:?}: {}",
            rt.name,
            err.trim()
        );
        return false;
    }
    true
}

impl Runtime {
    fn enter(&self, root: &Path) -> Vec<String> {
        (self.enter)(root)
    }
}

/// systemd-detect-virt's option lines compared inside each container.
const LINES: &[&[&str]] = &[
    &[],
    &["-c"],
    &["-v"],
    &["-q", "-c"],
    &["--private-users"],
    &["-r"],
    &["--list"],
];

#[test]
fn in_real_containers_vcap_answers_as_both_tools_inside_them() {
    let Some(root) = rootfs() else { return };
    let mut ran = 0;
    let mut diffs = Vec::new();
    for rt in RUNTIMES {
        if !starts(rt, root) {
            continue;
        }
        ran += 1;
        for args in LINES {
            let real: Vec<&str> = [SYSTEMD_DETECT_VIRT]
                .into_iter()
                .chain(args.iter().copied())
                .collect();
            let ours: Vec<&str> = ["/vcap/systemd-detect-virt"]
                .into_iter()
                .chain(args.iter().copied())
                .collect();
            let (want, want_code, _) = inside(rt, root, &real);
            let (got, got_code, err) = inside(rt, root, &ours);
            if (&want, want_code) != (&got, got_code) {
                diffs.push(format!(
                    "{}: systemd-detect-virt {args:?} printed {want:?} exit {want_code:?}; vcap {got:?} exit {got_code:?} ({})",
                    rt.name,
                    err.trim()
                ));
            }
        }
        // systemd's override of the chroot check, true and false.
        for var in [
            "SYSTEMD_IGNORE_CHROOT=1",
            "SYSTEMD_IGNORE_CHROOT=Yes",
            "SYSTEMD_IGNORE_CHROOT=0",
        ] {
            let (want, want_code, _) =
                inside(rt, root, &["/bin/env", var, SYSTEMD_DETECT_VIRT, "-r"]);
            let (got, got_code, err) = inside(
                rt,
                root,
                &["/bin/env", var, "/vcap/systemd-detect-virt", "-r"],
            );
            if (&want, want_code) != (&got, got_code) {
                diffs.push(format!(
                    "{}: {var} systemd-detect-virt -r printed {want:?} exit {want_code:?}; vcap {got:?} exit {got_code:?} ({})",
                    rt.name,
                    err.trim()
                ));
            }
        }
        // The snapshot taken inside replays outside to the same answers (Docker's container
        // runs on a copy of the root directory, where the snapshot stays).
        if !rt.name.starts_with("docker") {
            let at = format!("/snapshot-{ran}");
            let (_, code, err) = inside(rt, root, &["/vcap/vcap", "snapshot", &at]);
            assert_eq!(code, Some(0), "{}: vcap snapshot: {err}", rt.name);
            let snap = root.join(at.trim_start_matches('/'));
            for args in [&[][..], &["-c"], &["-v"]] {
                let live: Vec<&str> = ["/vcap/vcap", "detect"]
                    .into_iter()
                    .chain(args.iter().copied())
                    .collect();
                let (want, want_code, _) = inside(rt, root, &live);
                let o = Command::new(env!("CARGO_BIN_EXE_vcap"))
                    .args(["detect", "--root"])
                    .arg(&snap)
                    .args(args)
                    .output()
                    .unwrap();
                let got = String::from_utf8_lossy(&o.stdout);
                if (want.as_str(), want_code) != (&*got, o.status.code()) {
                    diffs.push(format!(
                        "{}: vcap detect {args:?} printed {want:?} exit {want_code:?} inside; its snapshot replays to {got:?} exit {:?} ({})",
                        rt.name,
                        o.status.code(),
                        String::from_utf8_lossy(&o.stderr).trim()
                    ));
                }
            }
        }
        if rt.name.starts_with("cgroup v1") {
            let (out, _, err) = inside(rt, root, &["/vcap/systemd-detect-virt", "-c"]);
            assert_eq!(out, "container-other\n", "{}: {err}", rt.name);
        }
        if rt.name.starts_with("lxc") {
            let (out, _, err) = inside(rt, root, &["/vcap/systemd-detect-virt", "-c"]);
            assert_eq!(out, "lxc\n", "{}: {err}", rt.name);
        }
        if rt.name.starts_with("proot") {
            let (out, _, err) = inside(rt, root, &["/vcap/systemd-detect-virt", "-c"]);
            assert_eq!(out, "proot\n", "{}: {err}", rt.name);
        }
        if rt.name.starts_with("chroot") {
            let (_, code, err) = inside(rt, root, &["/vcap/systemd-detect-virt", "-r"]);
            assert_eq!(code, Some(0), "{}: -r must find the chroot: {err}", rt.name);
        }
        let (want, want_code, _) = inside(rt, root, &["/bin/sh", VIRT_WHAT]);
        let (got, got_code, err) = inside(rt, root, &["/vcap/virt-what"]);
        if (&want, want_code) != (&got, got_code) {
            diffs.push(format!(
                "{}: virt-what printed {want:?} exit {want_code:?}; vcap as virt-what {got:?} exit {got_code:?} ({})",
                rt.name,
                err.trim()
            ));
        }
        eprintln!(
            "{}: systemd-detect-virt says {:?}, virt-what {:?}",
            rt.name,
            inside(rt, root, &[SYSTEMD_DETECT_VIRT]).0.trim(),
            want.trim()
        );
    }
    if ran == 0 {
        eprintln!("skipped: no container runtime could start here");
    }
    if let Some(pid) = DOCKERD.get() {
        let _ = Command::new("kill").arg(pid.to_string()).status();
        // dockerd unmounts and exits within a second or two; its directory goes after it.
        for _ in 0..40 {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
    }
    let _ = std::fs::remove_dir_all(root);
    for aside in [
        "containers.conf",
        "podman-storage",
        "podman-run",
        "lxc.conf",
        "lxc",
        "dockerd",
    ] {
        let p = root.with_extension(aside);
        let _ = std::fs::remove_dir_all(&p);
        let _ = std::fs::remove_file(&p);
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// How a container's name reaches systemd's `detect_container()` in the cases a runtime rarely
/// produces, or that no runtime here can start, each set up here for real and run with the real
/// systemd-detect-virt (and, for the files virt-what reads too, virt-what) beside vcap:
/// - the tool itself as PID 1 of a new PID namespace (systemd reads its own `container=` and
///   takes it as authoritative: empty means none, even beside this machine's /.dockerenv; unset
///   leaves the runtime files to decide);
/// - PID 1's environment read by a child, with every name of systemd's container table (rkt,
///   pouch, lxc-libvirt and wsl included, whose runtimes do not start here) and names it lacks
///   (`openvz`, an empty value: `container-other`);
/// - `/run/systemd/container` under a private /run, with names systemd compares exactly (no
///   trimming; the line ends at `\n`, `\r` or NUL; an empty file says nothing);
/// - the kernel release of Windows Subsystem for Linux bound over /proc/sys/kernel/osrelease
///   (WSL1's `4.4.0-19041-Microsoft`, Microsoft/WSL issue 423; WSL2's
///   `5.15.167.4-microsoft-standard-WSL2`, CONFIG_LOCALVERSION of microsoft/WSL2-Linux-Kernel's
///   config-wsl; and a lower-case `microsoft` alone, which is not WSL);
/// - OpenVZ's `/proc/vz` without `/proc/bc` (a tmpfs over /proc holding only `vz`: the first
///   check of `detect_container()` and of virt-what's OpenVZ test).
///
/// `RUN 'TEXT'` writes TEXT to a private /run/systemd/container, `OSREL 'TEXT'` binds a file
/// holding TEXT over the kernel release, `OPENVZ` mounts that /proc; `TOOL` is the tool.
const NAME_CASES: &[(&str, &str)] = &[
    ("PID 1, container= empty", "exec env container= TOOL"),
    ("PID 1, container unset", "exec env -u container TOOL"),
    ("PID 1, container=podman", "exec env container=podman TOOL"),
    ("PID 1, container=oci", "exec env container=oci TOOL"),
    ("PID 1, container=foo", "exec env container=foo TOOL"),
    (
        "PID 1's empty container= read by a child",
        "exec env container= sh -c 'TOOL'",
    ),
    (
        "PID 1's container=' docker' read by a child",
        "exec env 'container= docker' sh -c 'TOOL'",
    ),
    (
        "PID 1's container=lxc-libvirt read by a child",
        "exec env container=lxc-libvirt sh -c 'TOOL'",
    ),
    (
        "PID 1's container=lxc read by a child",
        "exec env container=lxc sh -c 'TOOL'",
    ),
    (
        "PID 1's container=systemd-nspawn read by a child",
        "exec env container=systemd-nspawn sh -c 'TOOL'",
    ),
    (
        "PID 1's container=docker read by a child",
        "exec env container=docker sh -c 'TOOL'",
    ),
    (
        "PID 1's container=podman read by a child",
        "exec env container=podman sh -c 'TOOL'",
    ),
    (
        "PID 1's container=rkt read by a child",
        "exec env container=rkt sh -c 'TOOL'",
    ),
    (
        "PID 1's container=pouch read by a child",
        "exec env container=pouch sh -c 'TOOL'",
    ),
    (
        "PID 1's container=wsl read by a child",
        "exec env container=wsl sh -c 'TOOL'",
    ),
    (
        "PID 1's container=proot read by a child",
        "exec env container=proot sh -c 'TOOL'",
    ),
    (
        "PID 1's container=openvz read by a child",
        "exec env container=openvz sh -c 'TOOL'",
    ),
    (
        "PID 1's container=container-other read by a child",
        "exec env container=container-other sh -c 'TOOL'",
    ),
    ("/run/systemd/container: a lone newline", "RUN '\\n'; TOOL"),
    ("/run/systemd/container: empty", "RUN ''; TOOL"),
    (
        "/run/systemd/container: ' docker'",
        "RUN ' docker\\n'; TOOL",
    ),
    ("/run/systemd/container: 'Docker'", "RUN 'Docker\\n'; TOOL"),
    (
        "/run/systemd/container: 'docker' CRLF",
        "RUN 'docker\\r\\n'; TOOL",
    ),
    (
        "/run/systemd/container: 'podman' CR 'docker'",
        "RUN 'podman\\rdocker'; TOOL",
    ),
    ("/run/systemd/container: 'oci'", "RUN 'oci\\n'; TOOL"),
    (
        "WSL1's kernel release",
        "OSREL '4.4.0-19041-Microsoft'; TOOL",
    ),
    (
        "WSL2's kernel release",
        "OSREL '5.15.167.4-microsoft-standard-WSL2'; TOOL",
    ),
    (
        "a lower-case microsoft kernel release",
        "OSREL '5.15.0-1057-microsoft-standard'; TOOL",
    ),
    ("OpenVZ: /proc/vz without /proc/bc", "OPENVZ; TOOL"),
];

#[test]
fn as_pid1_and_with_odd_names_vcap_reads_the_container_name_as_systemd_does() {
    let pidns = |script: &str| -> Vec<String> {
        [
            "unshare",
            "--pid",
            "--fork",
            "--mount-proc",
            "--mount",
            "sh",
            "-c",
            script,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |argv: Vec<String>| {
        let o = Command::new(&argv[0]).args(&argv[1..]).output().unwrap();
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    if !Path::new(SYSTEMD_DETECT_VIRT).exists() {
        eprintln!("skipped: {SYSTEMD_DETECT_VIRT} is not installed here");
        return;
    }
    let (out, code, err) = run(pidns("echo started"));
    if out != "started\n" || code != Some(0) {
        eprintln!(
            "skipped: no new PID and mount namespace here: {}",
            err.trim()
        );
        return;
    }
    // The setups, in the new mount namespace: a private /run (its own tmpfs) holding
    // /run/systemd/container; a file bound over the kernel release; a /proc holding only `vz`.
    let setups = [
        (
            "RUN ",
            "mount -t tmpfs none /run && mkdir /run/systemd && printf ",
        ),
        ("'; TOOL", "' > /run/systemd/container; TOOL"),
        ("OPENVZ;", "mount -t tmpfs none /proc && mkdir /proc/vz &&"),
    ];
    let vcap = env!("CARGO_BIN_EXE_vcap");
    let aside = std::env::temp_dir().join(format!("vcap-names-{}", std::process::id()));
    std::fs::create_dir_all(&aside).unwrap();
    let osrel = aside.join("osrelease");
    // vcap as virt-what: a link by that name (the multi-call binary reads argv[0]).
    let vcap_virt_what = aside.join("virt-what");
    std::os::unix::fs::symlink(vcap, &vcap_virt_what).unwrap();
    let mut diffs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // systemd 254 from bookworm-backports (unpacked by scripts/setup), a second oracle.
    let backports = {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/guestlab/cache/systemd-backports");
        let (bin, lib) = (
            dir.join("usr/bin/systemd-detect-virt"),
            dir.join("usr/lib/x86_64-linux-gnu/systemd"),
        );
        (bin.exists() && lib.exists())
            .then(|| format!("LD_LIBRARY_PATH={} {}", lib.display(), bin.display()))
    };
    for (case, script) in NAME_CASES {
        // The release is written by the test and bound read-only over procfs's file.
        let script = if let Some(rel) = script.strip_prefix("OSREL '") {
            let rel = rel.split_once('\'').unwrap().0;
            std::fs::write(&osrel, format!("{rel}\n")).unwrap();
            format!(
                "mount --bind {} /proc/sys/kernel/osrelease && TOOL",
                osrel.display()
            )
        } else {
            script.to_string()
        };
        let mut tools = vec![("systemd-detect-virt", "-c"), ("systemd-detect-virt", "")];
        if backports.is_some() {
            tools.extend([
                ("systemd-detect-virt 254", "-c"),
                ("systemd-detect-virt 254", ""),
            ]);
        }
        if script.starts_with("OPENVZ") || script.contains("osrelease") {
            tools.push(("virt-what", ""));
        }
        for (tool, flags) in tools {
            let with = |bin: &str| {
                let t = format!("{bin} {flags}");
                let mut s = script.clone();
                for (from, to) in setups {
                    s = s.replace(from, to);
                }
                run(pidns(&s.replace("TOOL", t.trim())))
            };
            let (real, ours) = if tool == "virt-what" {
                (
                    format!("sh {VIRT_WHAT}"),
                    vcap_virt_what.display().to_string(),
                )
            } else if let (Some(real), true) = (&backports, tool.ends_with("254")) {
                (real.clone(), format!("{vcap} detect"))
            } else {
                (SYSTEMD_DETECT_VIRT.to_string(), format!("{vcap} detect"))
            };
            let (want, want_code, _) = with(&real);
            if flags == "-c" {
                seen.insert(want.trim().to_string());
            }
            let (got, got_code, err) = with(&ours);
            if (&want, want_code) != (&got, got_code) {
                diffs.push(format!(
                    "{case} ({tool} {flags:?}): the real one printed {want:?} exit {want_code:?}; vcap {got:?} exit {got_code:?} ({})",
                    err.trim()
                ));
            }
        }
    }
    // The cases must reach every answer of systemd's `--container`, or they test less than
    // they say: its container ids (src/basic/virt.c virtualization_table) and none.
    let every: std::collections::BTreeSet<String> = [
        "none",
        "systemd-nspawn",
        "lxc-libvirt",
        "lxc",
        "openvz",
        "docker",
        "podman",
        "rkt",
        "wsl",
        "proot",
        "pouch",
        "container-other",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        seen, every,
        "systemd-detect-virt -c printed these across the cases"
    );
    // The cases must reach systemd's distinct answers, or they test nothing.
    let (none, ..) = run(pidns(&format!(
        "exec env container= {SYSTEMD_DETECT_VIRT} -c"
    )));
    let (other, ..) = run(pidns(&format!(
        "exec env container= sh -c '{SYSTEMD_DETECT_VIRT} -c'"
    )));
    assert_eq!(
        (none.as_str(), other.as_str()),
        ("none\n", "container-other\n")
    );
    let _ = std::fs::remove_dir_all(&aside);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
