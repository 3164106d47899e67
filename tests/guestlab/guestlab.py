#!/usr/bin/env python3
"""guestlab: boots real Linux guests under QEMU (TCG), each set up to look like another platform, runs
vcap inside them and compares what vcap says with what is true (tests/guestlab/platforms.toml).

Started by tests/guestlab/run-matrix, which installs the Debian packages first. Everything downloaded or
built goes under tests/guestlab/cache/ (git-ignored). See tests/guestlab/README.md.
"""

import argparse
import base64
import binascii
import concurrent.futures
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import smbios_type0

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WORK = HERE / "cache"
FIXTURES = REPO / "tests" / "fixtures"
# One file per generation of QEMU and Linux; each sets its `generation` at the top.
PLATFORMS_FILES = [HERE / "platforms.toml", HERE / "platforms-qemu10.toml"]
PLATFORMS_FILE = PLATFORMS_FILES[0]
TARGET = "x86_64-unknown-linux-gnu"


@dataclass
class Generation:
    """A generation of the test oracle: one QEMU and one Linux series, booted side by side with the
    others. `fixture_prefix` names its fixtures (tests/fixtures/<prefix><platform>/)."""
    name: str
    fixture_prefix: str
    # Where QEMU comes from: "system" (the binaries apt installed, see run-matrix) or a Debian suite
    # whose .debs are unpacked with dpkg-deb -x into cache/qemu-<name>/ (no system change).
    qemu_from: str
    # The suite the kernel meta-packages are resolved in ("" = apt's candidate).
    kernel_suite: str


# The system QEMU is 10.0 from bookworm-backports: Debian 12 machines of this kind come with
# qemu-utils 10 from backports, which Breaks qemu-system-common (< 8.0), so the system cannot
# have QEMU 7.2 installed beside it. QEMU 7.2 (bookworm) is therefore unpacked into the cache and run
# from there with its own firmware (SeaBIOS 1.16.2: the BIOS its fixtures recorded) and modules
# (its TCG accelerator is a module: accel-tcg-x86_64.so).
GENERATIONS = {
    "7.2": Generation("7.2", "qemu-", "bookworm", ""),
    "10": Generation("10", "qemu10-", "system", "bookworm-backports"),
}
# The bookworm packages that make a runnable QEMU 7.2 x86 (binary, modules, data, BIOS).
QEMU72_PACKAGES = ["qemu-system-x86", "qemu-system-common", "qemu-system-data", "seabios"]



@dataclass
class Arch:
    """A guest architecture: its QEMU, Rust target, Debian kernels and serial ports."""
    name: str
    debian: str  # Debian's architecture name
    qemu: str  # the QEMU system emulator
    rust_target: str
    # Kernel flavours: the Debian meta-package that names the current ABI.
    kernels: dict
    console: str  # the kernel's console= device
    data_port: str  # where /init writes its records (guestlab.data= on the kernel command line)
    memory: str = "256"
    # QEMU arguments that give the guest its data port ({data}: the file on the host).
    data_args: tuple = ("-serial", "file:{data}")
    triplet: str = "x86_64-linux-gnu"  # Debian's multiarch directory
    loader: str = "/lib64/ld-linux-x86-64.so.2"
    # The linker for the static cross build ("" for the host): rustup's rust-lld for a musl target
    # (it brings its own C library), Debian's cross gcc for a glibc one (rustup serves no musl std
    # for s390x or powerpc64le: tier 3 / 404), whose libc.a comes from libc6-dev-<arch>-cross.
    linker: str = ""


# Off x86 the data port is a virtio console (hvc0): QEMU's virt, s390-ccw-virtio and pseries machines
# have no second UART that every kernel knows. The virtio-serial device this adds is a visible part of
# the guest (a PCI function on arm64, a CCW device on s390x); ppc64le uses a second spapr-vty instead.
VIRTCONSOLE = ("-chardev", "file,id=gldata,path={data}", "-device", "virtconsole,chardev=gldata")
ARCHES = {
    "x86_64": Arch("x86_64", "amd64", "qemu-system-x86_64", TARGET,
                   {"cloud": "linux-image-cloud-amd64", "generic": "linux-image-amd64"},
                   "ttyS0", "/dev/ttyS1"),
    "aarch64": Arch("aarch64", "arm64", "qemu-system-aarch64", "aarch64-unknown-linux-musl",
                    {"cloud": "linux-image-cloud-arm64"}, "ttyAMA0", "/dev/hvc0", "512",
                    ("-device", "virtio-serial-pci,id=glserial") + VIRTCONSOLE,
                    "aarch64-linux-gnu", "/lib/ld-linux-aarch64.so.1", "rust-lld"),
    # s390x: the console is the SCLP line console (QEMU's -serial), the data port a virtio console on
    # a virtio-serial CCW device.
    "s390x": Arch("s390x", "s390x", "qemu-system-s390x", "s390x-unknown-linux-gnu",
                  {"generic": "linux-image-s390x"}, "ttysclp0", "/dev/hvc0", "512",
                  ("-device", "virtio-serial-ccw,id=glserial") + VIRTCONSOLE,
                  "s390x-linux-gnu", "/lib/ld64.so.1", "s390x-linux-gnu-gcc"),
    # ppc64le pseries: -serial is the first spapr-vty (hvc0, the console); a second one carries the
    # data (hvc1).
    "ppc64le": Arch("ppc64le", "ppc64el", "qemu-system-ppc64", "powerpc64le-unknown-linux-gnu",
                    {"generic": "linux-image-powerpc64le"}, "hvc0", "/dev/hvc1", "1024",
                    ("-chardev", "file,id=gldata,path={data}", "-device", "spapr-vty,chardev=gldata"),
                    "powerpc64le-linux-gnu", "/lib64/ld64.so.2", "powerpc64le-linux-gnu-gcc"),
}
# The 7.2 generation's flavours (kept as a name for the tests and older callers).
KERNELS = ARCHES["x86_64"].kernels
# The modules /init loads (their dependencies are added from each module's own `depends=` field);
# a module the kernel has built in (modules.builtin) is left out.
# virtio_pci/virtio_net/virtio_blk: the virtio transport and devices (=m in Debian's kernels).
# qemu_fw_cfg: the firmware configuration device; a Debian guest's udev loads it from its ACPI id
# QEMU0002, so a realistic guest has /sys/firmware/qemu_fw_cfg.
WANTED_MODULES = ["virtio_pci", "virtio_net", "virtio_blk", "qemu_fw_cfg"]
# 6.12 adds virtio_iommu (=m there; 6.1 has no CONFIG_VIRTIO_IOMMU), loaded first so that it binds the
# virtio-iommu device before the endpoints' drivers load.
WANTED_MODULES_BY_GENERATION = {"7.2": WANTED_MODULES, "10": ["virtio_iommu"] + WANTED_MODULES}
# s390x's virtio transport is CCW (virtio_ccw; built in with CONFIG_S390_GUEST=y in Debian, and then
# missing from modules.builtin, hence optional), not PCI.
EXTRA_MODULES_BY_ARCH = {"s390x": ["virtio_ccw"]}
# Wanted modules that a kernel may lack altogether (not every architecture has fw_cfg, a virtio-iommu
# driver or PCI virtio): left out when the kernel has neither the module nor the built-in.
OPTIONAL_MODULES = {"virtio_iommu", "qemu_fw_cfg", "virtio_pci", "virtio_ccw"}

# Files whose raw content /init sends independently of vcap, so the host can check that a platform
# really looks as it was set up to look (the `[platforms.guest]` checks) and keep it as provenance.
RAW_PATHS = [
    "/proc/cpuinfo",
    "/proc/interrupts",
    "/sys/class/dmi/id/sys_vendor",
    "/sys/class/dmi/id/product_name",
    "/sys/class/dmi/id/product_version",
    "/sys/class/dmi/id/bios_vendor",
    "/sys/class/dmi/id/bios_version",
    "/sys/class/dmi/id/board_vendor",
    "/sys/class/dmi/id/board_name",
    "/sys/class/dmi/id/chassis_vendor",
    "/sys/firmware/dmi/entries/0-0/raw",
    "/sys/class/iommu",
    "/sys/kernel/iommu_groups",
    "/sys/firmware/acpi/tables",
    "/sys/bus/pci/devices",
    "/sys/bus/virtio/devices",
    "/sys/firmware/qemu_fw_cfg",
    # Tables and platform files vcap's snapshot does not take today, kept raw in the fixtures
    # (guest-raw/) so that decisions added later have the real bytes: the virtio-iommu's VIOT, the
    # Arm IORT, s390's sysinfo, the device tree's root.
    "/sys/firmware/acpi/tables/VIOT",
    "/sys/firmware/acpi/tables/IORT",
    "/proc/sysinfo",
    "/proc/device-tree/compatible",
    "/proc/device-tree/model",
]
SYSTEMD_DETECT_VIRT = "/usr/bin/systemd-detect-virt"
SYSTEMD_VERSION = "not in the initramfs"

# The steps /init runs, in order: (name, argv). `snapshot` comes first so the snapshot shows the
# machine before anything else ran.
STEPS = [
    ("snapshot", ["/bin/vcap", "snapshot", "/snap"]),
    ("report", ["/bin/vcap", "--json"]),
    ("detect", ["/bin/vcap", "detect"]),
    # vcap invoked through a link named virt-what (its virt-what personality).
    ("vcap-virt-what", ["/bin/virt-what"]),
]
# The real systemd-detect-virt (Debian's, copied with its libraries): an independent oracle.
SYSTEMD_STEPS = [
    ("systemd-detect-virt", [SYSTEMD_DETECT_VIRT, "--vm"]),
]
# The real virt-what (Debian's 1.25, a shell script) with what it runs: busybox-static for the
# shell and its tools, virt-what-cpuid-helper and dmidecode with their libraries. In the x86 guests
# this machine's copies; in the others Debian 12's packages for the guest's architecture
# (foreign_virt_what), without dmidecode on s390x and ppc64el, for which Debian does not build it.
VIRT_WHAT = "/usr/sbin/virt-what"
VIRT_WHAT_HELPER = "/usr/libexec/virt-what-cpuid-helper"
DMIDECODE = "/usr/sbin/dmidecode"
BUSYBOX = "/bin/busybox"
# The commands virt-what.in calls (its shell builtins aside).
BUSYBOX_APPLETS = ["sh", "cat", "grep", "tr", "sed", "id", "uname", "which", "ls", "test", "["]
VIRT_WHAT_STEPS = [
    ("virt-what", ["/bin/sh", VIRT_WHAT]),
]
VIRT_WHAT_VERSION = "not in the initramfs"

# Report keys that may differ between a live run and its replay (timestamps). vcap's report (schema
# version 1) has none today; a key added here is ignored by the replay comparison.
VOLATILE_KEYS = set()


class GuestlabError(Exception):
    """A setup step failed; the message names the step."""


def log(msg):
    print(msg, flush=True)


def run(cmd, step, **kw):
    """Runs a command; on failure raises GuestlabError naming the step, with its output."""
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise GuestlabError(
            f"{step}: `{shlex.join(map(str, cmd))}` exited {r.returncode}\n{r.stdout}{r.stderr}"
        )
    return r.stdout


# ---------------------------------------------------------------------------------------------------
# Platforms and expectations


@dataclass
class Platform:
    name: str
    summary: str
    kernel: str
    qemu: list
    append: str
    expect: dict
    guest: dict
    known_gap: dict  # expectation key -> why vcap does not meet it yet
    reason: str
    virt_what_differs: str = ""  # why vcap as virt-what prints other facts than the real one
    generation: str = "7.2"
    arch: str = "x86_64"

    @property
    def key(self):
        """The fixture's directory name, also the results directory: <generation prefix><name>."""
        return GENERATIONS[self.generation].fixture_prefix + self.name


EXPECT_KEYS = {
    "kind",
    "cloud",
    "hypervisor",
    "systemd_id",
    "conflicts",
    "systemd_detect_virt",
    "capabilities",
    "reason",
}
GUEST_KEYS = {"kmsg", "no_kmsg", "cpu_flags", "no_cpu_flags", "files", "matches", "present",
              "absent"}
KINDS = {"bare-metal", "virtual-machine", "host-under-hypervisor", "unknown"}
CAPABILITIES = {"interrupt_remapping", "ims", "dma", "pasid"}
CAP_VERDICTS = {"yes", "no", "unknown"}
DMA_PATHS = {"iommu", "identity", "bypass", "no-iommu", "unknown"}


def load_all_platforms(paths=None):
    """Every generation's platforms (PLATFORMS_FILES that exist), with their SMBIOS blobs."""
    out, blobs, seen = [], {}, set()
    for path in paths or PLATFORMS_FILES:
        if not path.exists():
            continue
        ps, bs = load_platforms(path, blobs)
        for p in ps:
            if p.key in seen:
                raise GuestlabError(f"{path.name}: platform {p.name}: fixture name {p.key} is used "
                                    "twice")
            seen.add(p.key)
        for name, b in bs.items():
            if name in blobs and blobs[name] != b:
                raise GuestlabError(f"{path.name}: smbios_blob.{name} differs from another file's")
            blobs[name] = b
        out += ps
    return out, blobs


def load_platforms(path=PLATFORMS_FILE, shared_blobs=None):
    """Reads and checks one platforms file; errors name the platform and the field at fault. A
    platform may use the SMBIOS blobs of an earlier file (`shared_blobs`) as well as its own."""
    with open(path, "rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise GuestlabError(f"{path}: {e}") from None
    blobs = dict(shared_blobs or {})
    blobs.update(data.get("smbios_blob", {}))
    generation = data.get("generation", "7.2")
    if generation not in GENERATIONS:
        raise GuestlabError(f"{path.name}: generation {generation!r} is not one of "
                            f"{sorted(GENERATIONS)}")
    if set(data) - {"generation", "smbios_blob", "platform"}:
        raise GuestlabError(f"{path.name}: unknown top-level keys "
                            f"{sorted(set(data) - {'generation', 'smbios_blob', 'platform'})}")
    out = []
    seen = set()
    for i, p in enumerate(data.get("platform", [])):
        where = f"{path.name}: platform #{i + 1} ({p.get('name', '?')})"
        for key in ("name", "summary", "qemu", "expect"):
            if key not in p:
                raise GuestlabError(f"{where}: missing `{key}`")
        name = p["name"]
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) or name in seen:
            raise GuestlabError(f"{where}: name must be unique, lower-case, [a-z0-9-]")
        seen.add(name)
        unknown = set(p) - {"name", "summary", "kernel", "qemu", "append", "expect", "guest",
                            "known_gap", "arch", "virt_what_differs"}
        if unknown:
            raise GuestlabError(f"{where}: unknown keys {sorted(unknown)}")
        gaps = p.get("known_gap", {})
        for key in gaps:
            if gap_value(p["expect"], key) is KeyError:
                raise GuestlabError(f"{where}: known_gap.{key} names no expectation of the platform")
        exp = p["expect"]
        if set(exp) - EXPECT_KEYS:
            raise GuestlabError(f"{where}: expect: unknown keys {sorted(set(exp) - EXPECT_KEYS)}")
        # Everything the corpus format (tests/fixtures/README.md) needs is required.
        for key in ("kind", "hypervisor", "cloud", "systemd_id", "conflicts", "reason"):
            if key not in exp:
                raise GuestlabError(f"{where}: expect.{key} is required")
        if exp["kind"] not in KINDS:
            raise GuestlabError(f"{where}: expect.kind {exp['kind']!r} is not one of {sorted(KINDS)}")
        caps = exp.get("capabilities", {})
        for cap, v in caps.items():
            if cap == "dma":
                # per device: {"<pci bdf>" = "verdict" or "verdict/path"}
                ok = isinstance(v, dict) and all(
                    isinstance(x, str) and x.split("/")[0] in CAP_VERDICTS
                    and (len(x.split("/")) == 1 or x.split("/")[1] in DMA_PATHS)
                    and len(x.split("/")) <= 2 for x in v.values())
            else:
                ok = cap in CAPABILITIES and v in CAP_VERDICTS
            if not ok:
                raise GuestlabError(f"{where}: expect.capabilities.{cap} = {v!r} is not valid")
        guest = p.get("guest", {})
        if set(guest) - GUEST_KEYS:
            raise GuestlabError(f"{where}: guest: unknown keys {sorted(set(guest) - GUEST_KEYS)}")
        kernel = p.get("kernel", "cloud")
        arch = p.get("arch", "x86_64")
        if arch not in ARCHES:
            raise GuestlabError(f"{where}: arch {arch!r} is not one of {sorted(ARCHES)}")
        if kernel not in ARCHES[arch].kernels:
            raise GuestlabError(f"{where}: kernel {kernel!r} is not one of "
                                f"{sorted(ARCHES[arch].kernels)} for {arch}")
        qemu = expand_blobs(shlex.split(p["qemu"]), blobs, where)
        out.append(
            Platform(
                name=name,
                summary=p["summary"],
                kernel=kernel,
                qemu=qemu,
                append=p.get("append", ""),
                expect=exp,
                guest=guest,
                known_gap=gaps,
                reason=exp["reason"].strip(),
                virt_what_differs=" ".join(p.get("virt_what_differs", "").split()),
                generation=generation,
                arch=arch,
            )
        )
    if len(out) == 0:
        raise GuestlabError(f"{path}: no [[platform]] entries")
    return out, blobs


def gap_value(exp, key):
    """The expected value that known_gap key `key` refers to ("conflicts", "capabilities.ims", ...)."""
    if key.startswith("capabilities."):
        return exp.get("capabilities", {}).get(key.split(".", 1)[1], KeyError)
    return exp.get(key, KeyError) if key != "reason" else KeyError


# Which expectation a mismatch message is about (by its prefix), for known_gap.
MISMATCH_KEYS = [
    ("verdict.kind:", "kind"),
    ("verdict.hypervisor:", "hypervisor"),
    ("verdict.cloud:", "cloud"),
    ("conflicts:", "conflicts"),
    ("vcap detect:", "systemd_id"),
    ("real systemd-detect-virt", "systemd_detect_virt"),
    ("virt-what:", "virt_what"),
    ("step vcap-virt-what", "virt_what"),
]


def mismatch_key(text):
    if text.startswith("capabilities.dma "):
        return "capabilities.dma"
    if text.startswith("capabilities."):
        return text.split(":", 1)[0]
    for prefix, key in MISMATCH_KEYS:
        if text.startswith(prefix):
            return key
    return None


def raw_paths(platforms):
    """RAW_PATHS plus every path a platform's guest checks name."""
    paths = list(RAW_PATHS)
    for p in platforms:
        for key in ("present", "absent"):
            paths += p.guest.get(key, [])
        paths += list(p.guest.get("files", {})) + list(p.guest.get("matches", {}))
    return list(dict.fromkeys(paths))


def expand_blobs(args, blobs, where):
    """Replaces `{blob:NAME}` in QEMU arguments with the path of the generated SMBIOS blob NAME."""
    res = []
    for a in args:
        for m in re.findall(r"\{blob:([a-z0-9-]+)\}", a):
            if m not in blobs:
                raise GuestlabError(f"{where}: qemu refers to unknown smbios_blob {m!r}")
            a = a.replace(f"{{blob:{m}}}", str(WORK / "blobs" / f"{m}.bin"))
        res.append(a)
    return res


def write_blobs(blobs):
    (WORK / "blobs").mkdir(parents=True, exist_ok=True)
    for name, b in blobs.items():
        try:
            data = smbios_type0.build(b["vendor"], b["version"], b["date"], b.get("vm", False),
                                      b.get("uefi", False))
        except (KeyError, ValueError) as e:
            raise GuestlabError(f"platforms.toml: smbios_blob.{name}: {e}") from None
        (WORK / "blobs" / f"{name}.bin").write_bytes(data)


# ---------------------------------------------------------------------------------------------------
# Setup: kernel, builds, initramfs


@dataclass
class Kernel:
    flavour: str
    package: str
    deb: Path
    tree: Path
    vmlinuz: Path
    release: str
    boot_image: Path  # what QEMU's -kernel gets: the uncompressed vmlinux (PVH) or the bzImage
    generation: str = "7.2"
    arch: str = "x86_64"


def apt_cmd(arch, tool):
    """apt-get / apt-cache for `arch`: the system's for the host architecture; for another one a
    private configuration under cache/apt-<arch>/ (its own sources and lists, the same Debian
    suites), so the host's dpkg gets no foreign architecture."""
    a = ARCHES[arch]
    if a.debian == "amd64":
        return [tool]
    base = WORK / f"apt-{a.debian}"
    return [tool, "-o", f"Dir::Etc::sourcelist={base / 'sources.list'}", "-o", "Dir::Etc::sourceparts=-",
            "-o", f"Dir::State::lists={base / 'lists'}", "-o", f"Dir::Cache={base / 'cache'}",
            "-o", f"APT::Architecture={a.debian}", "-o", f"APT::Architectures::={a.debian}",
            "-o", "Dir::State::status=/dev/null", "-o", "APT::Sandbox::User=root"]


def foreign_apt_update(arch):
    """Fetches (once a run) the package lists of bookworm and bookworm-backports for `arch`."""
    a = ARCHES[arch]
    base = WORK / f"apt-{a.debian}"
    (base / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (base / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    (base / "sources.list").write_text("".join(
        f"deb [arch={a.debian} signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        f"http://deb.debian.org/debian {suite} main\n" for suite in ("bookworm", "bookworm-backports")))
    stamp = base / ".updated"
    if (not stamp.exists() or stamp.read_text() != (base / "sources.list").read_text()
            or time.time() - stamp.stat().st_mtime > 86400):
        run(apt_cmd(arch, "apt-get") + ["update", "-qq"], f"apt-get update for {a.debian}")
        stamp.write_text((base / "sources.list").read_text())


def fetch_kernel(flavour, generation="7.2", arch="x86_64"):
    """Downloads (once) and unpacks the current kernel of a flavour, resolved through its
    meta-package (in the generation's suite) so the ABI is never hard-coded."""
    meta = ARCHES[arch].kernels[flavour]
    suite = GENERATIONS[generation].kernel_suite
    if ARCHES[arch].debian != "amd64":
        foreign_apt_update(arch)
    query = f"{meta}/{suite}" if suite else meta
    deps = run(apt_cmd(arch, "apt-cache") + ["depends", query], f"resolving {query}")
    m = re.search(r"Depends: (linux-image-\S+)", deps)
    if not m:
        raise GuestlabError(
            f"resolving {query}: no linux-image dependency in `apt-cache depends {query}` "
            f"(run apt-get update? is {suite or 'the suite'} in apt's sources?):\n{deps}"
        )
    package = m.group(1).split(":")[0]
    kdir = WORK / "kernel"
    kdir.mkdir(parents=True, exist_ok=True)
    debs = sorted(kdir.glob(f"{package}_*.deb"))
    if not debs:
        log(f"guestlab: downloading {package}")
        run(apt_cmd(arch, "apt-get") + ["download", package], f"apt-get download {package}", cwd=kdir)
        debs = sorted(kdir.glob(f"{package}_*.deb"))
        if not debs:
            raise GuestlabError(f"apt-get download {package}: no .deb appeared in {kdir}")
    deb = debs[-1]
    tree = kdir / deb.stem
    if not (tree / ".unpacked").exists():
        shutil.rmtree(tree, ignore_errors=True)
        run(["dpkg-deb", "-x", deb, tree], f"unpacking {deb.name}")
        (tree / ".unpacked").touch()
    vmlinuz = sorted(q for q in (tree / "boot").glob("vmlinu[xz]-*"))
    if not vmlinuz:
        raise GuestlabError(f"{deb.name}: no boot/vmlinuz-* inside")
    release = re.sub(r"^vmlinu[xz]-", "", vmlinuz[0].name)
    boot_image = extract_vmlinux(tree, vmlinuz[0], release) if arch == "x86_64" else vmlinuz[0]
    return Kernel(flavour, package, deb, tree, vmlinuz[0], release, boot_image, generation, arch)


# The compressed kernel inside a bzImage starts with the compressor's magic (CONFIG_KERNEL_*).
LZ4_LEGACY_MAGIC = bytes.fromhex("02214c18")
XZ_MAGIC = bytes.fromhex("fd377a585a00")
ZSTD_MAGIC = bytes.fromhex("28b52ffd")


def extract_vmlinux(tree, vmlinuz, release):
    """Decompresses the ELF vmlinux out of the bzImage, once. QEMU boots it through its PVH entry
    note (CONFIG_PVH=y), which skips the real-mode setup and the in-guest decompression: about 2.5 s
    of emulated CPU time less per boot (shared/reference/guestlab.md section 3.3). Falls back to the
    bzImage when the compressor is not one we can undo. Debian's 6.1 kernels use LZ4 (cloud) and XZ
    (generic), the 6.12 ones ZSTD (both flavours)."""
    out = tree / "vmlinux"
    if out.exists():
        return out
    config = (tree / "boot" / f"config-{release}").read_text(errors="replace")
    data = vmlinuz.read_bytes()
    if "CONFIG_KERNEL_LZ4=y" in config and LZ4_LEGACY_MAGIC in data:
        tail = data[data.index(LZ4_LEGACY_MAGIC):]
        r = subprocess.run(["unlz4", "-c"], input=tail, capture_output=True)
        elf = r.stdout  # unlz4 may complain about the bytes after the stream; the ELF is whole
    elif "CONFIG_KERNEL_XZ=y" in config and XZ_MAGIC in data:
        import lzma

        d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        try:
            elf = d.decompress(data[data.index(XZ_MAGIC):])
        except lzma.LZMAError:
            elf = b""
    elif "CONFIG_KERNEL_ZSTD=y" in config and ZSTD_MAGIC in data and shutil.which("zstd"):
        # The frame is followed by the bzImage's trailer: zstd stops at the frame's end and
        # complains about the rest; the ELF it wrote is whole.
        r = subprocess.run(["zstd", "-dc", "-q"], input=data[data.index(ZSTD_MAGIC):],
                           capture_output=True)
        elf = r.stdout
    else:
        elf = b""
    if not elf.startswith(b"\x7fELF"):
        log(f"guestlab: could not extract vmlinux from {vmlinuz.name}; booting the bzImage (slower)")
        return vmlinuz
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(elf)
    tmp.rename(out)
    return out


def module_bytes(ko):
    """A module file's content, decompressed (6.12's modules are .ko.xz; finit_module could take
    them with MODULE_INIT_COMPRESSED_FILE, but a plain .ko works on every kernel)."""
    data = ko.read_bytes()
    if ko.name.endswith(".ko.xz"):
        import lzma

        try:
            data = lzma.decompress(data, format=lzma.FORMAT_XZ)
        except lzma.LZMAError as e:
            raise GuestlabError(f"{ko}: cannot decompress: {e}") from None
    elif ko.name.endswith(".ko.zst"):
        r = subprocess.run(["zstd", "-dc", "-q", ko], capture_output=True)
        if r.returncode != 0:
            raise GuestlabError(f"{ko}: cannot decompress: {r.stderr.decode(errors='replace')}")
        data = r.stdout
    return data


def module_depends(ko):
    """The `depends=` list of a kernel module, read from its .modinfo strings."""
    data = module_bytes(ko)
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    if not m:
        return []
    return [d for d in m.group(1).decode().split(",") if d]


def module_name(path):
    return re.sub(r"\.ko(\.xz|\.zst|\.gz)?$", "", path.name).replace("-", "_")


def builtin_modules(kernel):
    """The module names the kernel has built in (lib/modules/<release>/modules.builtin)."""
    f = kernel.tree / "lib" / "modules" / kernel.release / "modules.builtin"
    if not f.exists():
        return set()
    return {module_name(Path(line.strip())) for line in f.read_text().splitlines() if line.strip()}


def module_order(kernel, wanted=None, optional=frozenset()):
    """The wanted modules and their dependencies, dependencies first; [(name, path)]. A wanted
    module that the kernel has built in is left out, and so is one named in `optional` that the
    kernel does not have at all."""
    mods = {}
    for ko in (kernel.tree / "lib" / "modules" / kernel.release).rglob("*.ko*"):
        if re.search(r"\.ko(\.xz|\.zst)?$", ko.name):
            mods[module_name(ko)] = ko
    builtin = builtin_modules(kernel)
    order = []

    def visit(name, chain):
        if name in order or (name in builtin and name not in mods):
            return
        if name in chain:
            raise GuestlabError(f"{kernel.package}: module dependency loop {chain + [name]}")
        if name not in mods:
            raise GuestlabError(
                f"{kernel.package}: module {name} not found (built in, or not built at all?)"
            )
        for dep in module_depends(mods[name]):
            visit(dep, chain + [name])
        order.append(name)

    for name in wanted or WANTED_MODULES:
        if name in optional and name not in mods and name not in builtin:
            continue
        visit(name, [])
    return [(n, mods[n]) for n in order]


def ensure_rust_target(target):
    """Adds a Rust target with rustup (once): the cross targets' std comes from rustup's own
    distribution server, like the toolchain itself."""
    if target == TARGET:
        return
    have = run(["rustup", "target", "list", "--installed"], "rustup target list")
    if target not in have.split():
        log(f"guestlab: rustup target add {target}")
        run(["rustup", "target", "add", target], f"rustup target add {target}")


def cargo_build(manifest_dir, target_dir, package, step, target=TARGET):
    ensure_rust_target(target)
    env = dict(os.environ)
    env["RUSTFLAGS"] = "-C target-feature=+crt-static"
    env["CARGO_TARGET_DIR"] = str(target_dir)
    # The workspace's release profile uses fat LTO with one codegen unit: right for the shipped
    # binary, but it makes each of the four static guest builds cost minutes on two cores. The
    # guests need the same code, not its last percent of speed.
    env["CARGO_PROFILE_RELEASE_LTO"] = "false"
    env["CARGO_PROFILE_RELEASE_CODEGEN_UNITS"] = "16"
    linker = next((a.linker for a in ARCHES.values() if a.rust_target == target), "")
    if linker:
        env[f"CARGO_TARGET_{target.upper().replace('-', '_')}_LINKER"] = linker
    cmd = ["nice", "-n", "10", "cargo", "build", "--release", "--target", target]
    if package:
        cmd += ["-p", package]
    t = time.monotonic()
    r = subprocess.run(cmd, cwd=manifest_dir, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise GuestlabError(f"{step}: `{shlex.join(cmd)}` failed:\n{r.stderr[-6000:]}")
    log(f"guestlab: {step}: {time.monotonic() - t:.1f} s")


def build_binaries(arch="x86_64"):
    target = ARCHES[arch].rust_target
    cargo_build(REPO, WORK / "target-vcap", "vcap-cli", f"static vcap build ({target})", target)
    cargo_build(HERE / "init", WORK / "target-init", None, f"static init build ({target})", target)
    vcap = WORK / "target-vcap" / target / "release" / "vcap"
    init = WORK / "target-init" / target / "release" / "guestlab-init"
    for b in (vcap, init):
        out = run(["file", "-b", b], f"checking {b.name}") if shutil.which("file") else "static"
        if "static" not in out:
            raise GuestlabError(f"{b}: not a static executable: {out.strip()}")
    return vcap, init


def library_closure(binary):
    """The shared libraries (and the loader) a dynamically linked host binary needs, from ldd."""
    out = run(["ldd", binary], f"ldd {binary}")
    libs = []
    for line in out.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            libs.append(Path(m.group(1)))
    return libs


def resolve_in(root, path):
    """`path` (inside the unpacked tree `root`) with its symbolic links followed inside `root`: an
    absolute link target (/lib/... in a .deb) names a file of the tree, not of the host."""
    p = path
    for _ in range(20):
        if not p.is_symlink():
            return p
        t = Path(os.readlink(p))
        p = root / t.relative_to("/") if t.is_absolute() else p.parent / t
    raise GuestlabError(f"{path}: too many levels of symbolic links")


def foreign_sysroot(arch, name, pkgs):
    """Downloads (once) Debian 12's packages `pkgs` for `arch` and unpacks them into
    cache/<name>-<debian arch>/; returns that directory."""
    a = ARCHES[arch]
    root = WORK / f"{name}-{a.debian}"
    stamp = root / ".unpacked"
    if not stamp.exists() or stamp.read_text() != " ".join(sorted(pkgs)):
        foreign_apt_update(arch)
        debs = root.parent / f"{name}-{a.debian}-debs"
        shutil.rmtree(debs, ignore_errors=True)
        debs.mkdir(parents=True)
        run(apt_cmd(arch, "apt-get") + ["download"] + [f"{q}/bookworm" for q in sorted(pkgs)],
            f"apt-get download {' '.join(sorted(pkgs))} for {a.debian}", cwd=debs)
        shutil.rmtree(root, ignore_errors=True)
        for deb in sorted(debs.glob("*.deb")):
            run(["dpkg-deb", "-x", deb, root], f"unpacking {deb.name}")
        stamp.write_text(" ".join(sorted(pkgs)))
    return root


def foreign_elf(arch, root, binary):
    """`binary` (a path in the guest) from the sysroot `root` for `arch`, with its shared libraries
    found by DT_NEEDED (readelf, not by running it) and the loader when it has any:
    [(file in the sysroot, path in the guest)]."""
    a = ARCHES[arch]
    out = [(resolve_in(root, root / binary.lstrip("/")), Path(binary))]
    if not out[0][0].exists():
        raise GuestlabError(f"{binary} for {arch}: not in {root}")
    dirs = [f"lib/{a.triplet}", f"usr/lib/{a.triplet}", f"usr/lib/{a.triplet}/systemd"]
    todo, seen = [out[0][0]], set()
    while todo:
        elf = todo.pop()
        dyn = run(["readelf", "-d", elf], f"readelf -d {elf.name}")
        for lib in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn):
            if lib in seen:
                continue
            seen.add(lib)
            hits = [d for d in dirs if resolve_in(root, root / d / lib).exists()]
            if not hits:
                raise GuestlabError(f"{binary} for {arch}: {lib} is in none of {dirs} under {root}")
            out.append((resolve_in(root, root / hits[0] / lib), Path("/") / hits[0] / lib))
            todo.append(out[-1][0])
    if seen:
        loader = resolve_in(root, root / a.loader.lstrip("/"))
        if not loader.exists():
            raise GuestlabError(f"{binary} for {arch}: no loader {a.loader} in {root}")
        out.append((loader, Path(a.loader)))
    return out


def foreign_systemd(arch):
    """systemd-detect-virt of Debian 12 for another architecture, with its shared libraries: the
    packages are the ones that hold the host's copy and its libraries (`dpkg -S`, the names are the
    same on every architecture), downloaded for `arch` and unpacked into cache/sysroot-<arch>/.
    Returns [(file in the sysroot, path in the guest)]."""
    host_files = [Path(SYSTEMD_DETECT_VIRT)] + library_closure(SYSTEMD_DETECT_VIRT)
    pkgs = set()
    for f in host_files:
        for cand in (f, f.resolve()):
            r = subprocess.run(["dpkg", "-S", str(cand)], capture_output=True, text=True)
            if r.returncode == 0:
                pkgs.add(r.stdout.split(":")[0].strip())
                break
    root = foreign_sysroot(arch, "sysroot", pkgs)
    return foreign_elf(arch, root, SYSTEMD_DETECT_VIRT)


def foreign_has(arch, pkg):
    """Whether Debian 12 builds the package `pkg` for `arch` (its package list has it)."""
    foreign_apt_update(arch)
    r = subprocess.run(apt_cmd(arch, "apt-cache") + ["show", f"{pkg}/bookworm"], capture_output=True)
    return r.returncode == 0 and bool(r.stdout.strip())


def foreign_virt_what(arch):
    """The real virt-what of Debian 12 for another architecture and what it runs, like the x86
    guests' (virt_what_files): virt-what with its CPUID helper (which prints nothing off x86, but
    virt-what.in stops without it), busybox-static and dmidecode where Debian builds it (arm64; not
    s390x nor ppc64el, where virt-what's `dmidecode 2>&1` then only fails), all for `arch`, with
    their libraries. Returns [(file in the sysroot, path in the guest)]."""
    pkgs = {"virt-what", "busybox-static", "libc6"}
    if foreign_has(arch, "dmidecode"):
        pkgs.add("dmidecode")
    root = foreign_sysroot(arch, "sysroot-virt-what", pkgs)
    files = [(resolve_in(root, root / BUSYBOX.lstrip("/")), Path("/bin/busybox")),
             (root / VIRT_WHAT.lstrip("/"), Path(VIRT_WHAT))]
    for binary in (VIRT_WHAT_HELPER, DMIDECODE):
        if binary != DMIDECODE or "dmidecode" in pkgs:
            files += foreign_elf(arch, root, binary)
    return files


def initramfs_name(kernel):
    """The initramfs of a kernel: one per generation, architecture and flavour."""
    gen = "" if kernel.generation == "7.2" else f"qemu{kernel.generation}-"
    arch = "" if kernel.arch == "x86_64" else f"{kernel.arch}-"
    return f"{gen}{arch}{kernel.flavour}"


def virt_what_files():
    """The real virt-what and what it runs, from this machine (x86): [(source, path in guest)]."""
    files = [(Path(BUSYBOX), Path("/bin/busybox")), (Path(VIRT_WHAT), Path(VIRT_WHAT))]
    for binary in (VIRT_WHAT_HELPER, DMIDECODE):
        files += [(f, f) for f in [Path(binary)] + library_closure(binary)]
    return files


def build_initramfs(kernel, vcap, init, with_systemd, raw_list):
    """Packs /init, vcap, the modules (and systemd-detect-virt and virt-what with what they need)
    into a cpio."""
    stage = WORK / "initramfs" / initramfs_name(kernel)
    shutil.rmtree(stage, ignore_errors=True)
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc/guestlab", "lib/modules"):
        (stage / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(init, stage / "init")
    shutil.copy2(vcap, stage / "bin" / "vcap")
    os.symlink("vcap", stage / "bin" / "virt-what")
    wanted = EXTRA_MODULES_BY_ARCH.get(kernel.arch, []) + WANTED_MODULES_BY_GENERATION[kernel.generation]
    order = module_order(kernel, wanted, OPTIONAL_MODULES if kernel.arch != "x86_64" else frozenset())
    for name, ko in order:
        (stage / "lib" / "modules" / f"{name}.ko").write_bytes(module_bytes(ko))
    (stage / "lib" / "modules" / "order").write_text("".join(f"{n}\n" for n, _ in order))
    steps = list(STEPS)
    if with_systemd:
        if kernel.arch == "x86_64":
            files = [(f, f) for f in [Path(SYSTEMD_DETECT_VIRT)] + library_closure(SYSTEMD_DETECT_VIRT)]
        else:
            files = foreign_systemd(kernel.arch)
        for src, path in files:
            dest = stage / path.relative_to("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src.resolve(), dest)
        steps += SYSTEMD_STEPS
    if with_virt_what():
        files = virt_what_files() if kernel.arch == "x86_64" else foreign_virt_what(kernel.arch)
        for src, path in files:
            dest = stage / path.relative_to("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():
                shutil.copy2(src.resolve(), dest)
        for applet in BUSYBOX_APPLETS:
            os.symlink("busybox", stage / "bin" / applet)
        steps += VIRT_WHAT_STEPS
    (stage / "etc" / "guestlab" / "steps").write_text(
        "".join("\t".join([n] + argv) + "\n" for n, argv in steps)
    )
    (stage / "etc" / "guestlab" / "raw").write_text("".join(p + "\n" for p in raw_list))
    out = WORK / f"initramfs-{initramfs_name(kernel)}.cpio"
    files = sorted(str(p.relative_to(stage)) for p in stage.rglob("*"))
    with open(out, "wb") as f:
        r = subprocess.run(
            ["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"],
            cwd=stage,
            input="\n".join(["."] + files).encode(),
            stdout=f,
            stderr=subprocess.PIPE,
        )
    if r.returncode != 0:
        raise GuestlabError(f"packing {out.name}: cpio failed: {r.stderr.decode()}")
    return out, [n for n, _ in order]


# ---------------------------------------------------------------------------------------------------
# Booting


@dataclass
class Boot:
    platform: Platform
    cmdline: list
    wall: float = 0.0
    exit: int | None = None
    timed_out: bool = False
    console: str = ""
    records: list = field(default_factory=list)
    problem: str | None = None  # why the result is unusable (no END, bad record, ...)


@dataclass
class Qemu:
    """A runnable QEMU of one generation and architecture."""
    binary: str
    args: list  # arguments it always needs (-L for an unpacked QEMU's firmware)
    env: dict  # environment it needs (QEMU_MODULE_DIR for an unpacked QEMU)
    version: str = ""


def unpack_qemu72():
    """QEMU 7.2 from bookworm, unpacked (once) into cache/qemu-7.2/ with dpkg-deb -x: see
    GENERATIONS for why it is not installed. Its shared libraries are the system's (the same
    sonames QEMU 10 uses); a missing one is named."""
    base = WORK / "qemu-7.2"
    root = base / "root"
    if not (base / ".unpacked").exists():
        shutil.rmtree(base, ignore_errors=True)
        (base / "debs").mkdir(parents=True)
        log("guestlab: downloading QEMU 7.2 (bookworm) to unpack it: " + " ".join(QEMU72_PACKAGES))
        run(["apt-get", "download"] + [f"{q}/bookworm" for q in QEMU72_PACKAGES],
            "apt-get download QEMU 7.2", cwd=base / "debs")
        for deb in sorted((base / "debs").glob("*.deb")):
            run(["dpkg-deb", "-x", deb, root], f"unpacking {deb.name}")
        (base / ".unpacked").touch()
    binary = root / "usr" / "bin" / "qemu-system-x86_64"
    missing = [line.split()[0] for line in run(["ldd", binary], "ldd qemu 7.2").splitlines()
               if "not found" in line]
    if missing:
        raise GuestlabError(f"QEMU 7.2 ({binary}) needs libraries this system lacks: {missing}")
    return Qemu(str(binary),
                ["-L", str(root / "usr" / "share" / "qemu"), "-L", str(root / "usr" / "share" / "seabios")],
                {"QEMU_MODULE_DIR": str(root / "usr" / "lib" / "x86_64-linux-gnu" / "qemu")})


def find_qemu(generation, arch):
    """The QEMU binary (and what it needs) of a generation for an architecture."""
    gen = GENERATIONS[generation]
    if gen.qemu_from == "system":
        q = Qemu(shutil.which(ARCHES[arch].qemu) or ARCHES[arch].qemu, [], {})
    elif gen.qemu_from == "bookworm" and arch == "x86_64":
        q = unpack_qemu72()
    else:
        raise GuestlabError(f"generation {generation}: no QEMU for {arch}")
    env = dict(os.environ, **q.env)
    r = subprocess.run([q.binary, "--version"], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise GuestlabError(f"generation {generation}: `{q.binary} --version` failed "
                            f"(exit {r.returncode}): {r.stderr.strip()[:300]}")
    q.version = r.stdout.splitlines()[0]
    if not q.version.startswith(f"QEMU emulator version {generation}."):
        raise GuestlabError(f"generation {generation}: {q.binary} is {q.version!r}")
    return q


def qemu_command(p, kernel, initrd, outdir, qemu=None):
    # no_timer_check: under a loaded host the TCG vCPU can miss the ticks of the kernel's boot-time
    # timer test; with interrupt remapping on, the kernel then panics ("timer doesn't work through
    # Interrupt-remapped IO-APIC", seen here with intel-iommu). KVM guests skip that test too.
    arch = ARCHES[p.arch]
    data_port = "" if arch.data_port == "/dev/ttyS1" else f" guestlab.data={arch.data_port}"
    timer = " no_timer_check" if p.arch == "x86_64" else ""
    append = f"console={arch.console} panic=-1{timer}{data_port} {p.append}".strip()
    qemu = qemu or Qemu(arch.qemu, [], {})
    data = [x.replace("{data}", str(outdir / "data.log")) for x in arch.data_args]
    return [
        qemu.binary,
    ] + qemu.args + [
        "-accel", "tcg",
        "-m", arch.memory,
        "-display", "none",
        "-no-reboot",
        "-monitor", "none",
        "-nic", "none",
        "-serial", f"file:{outdir / 'console.log'}",
    ] + data + [
        "-kernel", str(kernel.boot_image),
        "-initrd", str(initrd),
        "-append", append,
    ] + p.qemu


def boot(p, kernel, initrd, timeout, qemu=None):
    outdir = WORK / "results" / p.key
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    cmd = qemu_command(p, kernel, initrd, outdir, qemu)
    (outdir / "qemu-command").write_text(shlex.join(cmd) + "\n")
    b = Boot(p, cmd)
    t = time.monotonic()
    env = dict(os.environ, **(qemu.env if qemu else {}))
    try:
        # nice: the host's cores are shared; the guests must not starve other work.
        r = subprocess.run(["nice", "-n", "10"] + cmd, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout, env=env)
        b.exit = r.returncode
        qemu_out = r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        b.timed_out = True
        qemu_out = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(
            errors="replace")
    b.wall = time.monotonic() - t
    (outdir / "qemu-output.txt").write_text(qemu_out)
    console = outdir / "console.log"
    b.console = (qemu_out + "\n" if qemu_out.strip() else "") + (
        console.read_text(errors="replace") if console.exists() else "")
    data = outdir / "data.log"
    try:
        b.records = parse_records(data.read_bytes() if data.exists() else b"")
    except ValueError as e:
        b.problem = str(e)
    if b.timed_out:
        b.problem = f"no power-off within {timeout} s (killed)"
    elif b.exit != 0:
        b.problem = f"QEMU exited {b.exit}" + (f" ({b.problem})" if b.problem else "")
    return b


def parse_records(data):
    """Parses the GL1 line records of tests/guestlab/init/src/wire.rs; checks the END count."""
    recs = []
    ended = False
    for n, raw in enumerate(data.split(b"\n"), 1):
        line = raw.rstrip(b"\r")
        if not line:
            continue
        parts = line.split(b" ")
        if parts[0] != b"GL1" or len(parts) < 2:
            raise ValueError(f"data port line {n}: not a GL1 record: {line[:80]!r}")
        if ended:
            raise ValueError(f"data port line {n}: record after END")
        kind = parts[1].decode("ascii", "replace")
        try:
            fields = [b"" if f == b"-" else base64.b64decode(f, validate=True) for f in parts[2:]]
        except binascii.Error as e:
            raise ValueError(f"data port line {n} ({kind}): bad base64: {e}") from None
        if kind == "END":
            if len(fields) != 1 or int(fields[0]) != len(recs):
                raise ValueError(f"END says {fields[0]!r} records, {len(recs)} were received")
            ended = True
            continue
        recs.append((kind, fields))
    if not ended:
        raise ValueError(f"the data stream ended after {len(recs)} records without END")
    return recs


# ---------------------------------------------------------------------------------------------------
# Results


@dataclass
class Result:
    boot: Boot
    steps: dict = field(default_factory=dict)  # name -> (status, millis, stdout, stderr)
    raw: dict = field(default_factory=dict)  # path -> (status, bytes)
    info: dict = field(default_factory=dict)
    modules: dict = field(default_factory=dict)
    kmsg: str = ""
    tree: list = field(default_factory=list)  # (kind, relpath, payload)
    mismatches: list = field(default_factory=list)
    gaps: list = field(default_factory=list)  # mismatches that the platform's known_gap covers
    fixed_gaps: list = field(default_factory=list)  # known_gap keys that vcap now meets
    pending: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def digest(b):
    """Sorts the records into a Result. A malformed record (the guest is untrusted) makes the boot
    a failure naming the record, never a crash of the harness."""
    try:
        return _digest(b)
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        b.problem = f"malformed record from the guest: {e!r}"
        return Result(b)


def _digest(b):
    res = Result(b)
    for kind, f in b.records:
        if kind == "STEP":
            if len(f) != 5:
                raise ValueError(f"STEP record with {len(f)} fields, want 5")
            name, status, millis, out, err = f
            res.steps[name.decode()] = (status.decode(), int(millis), out, err)
        elif kind == "RAW":
            res.raw[f[0].decode()] = (f[1].decode(), f[2])
        elif kind == "INFO":
            res.info[f[0].decode()] = f[1].decode(errors="replace").strip()
        elif kind == "MODULE":
            res.modules[f[0].decode()] = f[1].decode(errors="replace")
        elif kind == "KMSG":
            res.kmsg = kmsg_text(f[0])
        elif kind in ("DIR", "FILE", "LINK"):
            res.tree.append((kind, f[0], f[1:]))
    return res


def kmsg_text(data):
    """/dev/kmsg records ("prio,seq,usec,flags;message\\n continuation") as dmesg-like lines."""
    out = []
    for line in data.decode(errors="replace").splitlines():
        if line.startswith(" "):
            continue  # continuation lines (KEY=value dictionary)
        head, _, msg = line.partition(";")
        fields = head.split(",")
        usec = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else 0
        out.append(f"[{usec / 1e6:12.6f}] {msg}")
    return "\n".join(out) + "\n"


def safe_relpath(rel):
    """A path from the guest, checked: relative, no `..`, no NUL. Guest data is untrusted."""
    s = rel.decode("utf-8", "surrogateescape")
    p = Path(s)
    if not s or p.is_absolute() or ".." in p.parts or "\0" in s:
        raise ValueError(f"unsafe snapshot path from the guest: {s!r}")
    return p


def write_tree(res, dest):
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for kind, rel, payload in res.tree:
        path = dest / safe_relpath(rel)
        if kind == "DIR":
            path.mkdir(parents=True, exist_ok=True)
        elif kind == "FILE":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(payload[1])
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(payload[0].decode("utf-8", "surrogateescape"), path)


def get_path(obj, dotted):
    cur = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return KeyError
        cur = cur[part]
    return cur


def strip_volatile(obj):
    if isinstance(obj, dict):
        return {k: strip_volatile(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [strip_volatile(v) for v in obj]
    return obj


def json_diff(a, b, path="$"):
    """Every difference between two JSON values, as readable lines."""
    if type(a) is not type(b):
        return [f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: only in the second: {json.dumps(b[k])[:200]}")
            elif k not in b:
                out.append(f"{path}.{k}: only in the first: {json.dumps(a[k])[:200]}")
            else:
                out += json_diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list):
        out = []
        for i in range(max(len(a), len(b))):
            if i >= len(a) or i >= len(b):
                out.append(f"{path}[{i}]: list lengths differ ({len(a)} vs {len(b)})")
                break
            out += json_diff(a[i], b[i], f"{path}[{i}]")
        return out
    return [] if a == b else [f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"]


def check_guest(res):
    """The `[platforms.guest]` checks: does the guest really look as the platform intends?"""
    g = res.boot.platform.guest
    bad = []
    for rx in g.get("kmsg", []):
        if not re.search(rx, res.kmsg, re.M):
            bad.append(f"guest setup: kernel log lacks /{rx}/")
    for rx in g.get("no_kmsg", []):
        m = re.search(rx, res.kmsg, re.M)
        if m:
            bad.append(f"guest setup: kernel log has /{rx}/: {m.group(0)!r}")
    cpuinfo = res.raw.get("/proc/cpuinfo", ("absent", b""))[1].decode(errors="replace")
    m = re.search(r"^flags\s*:(.*)$", cpuinfo, re.M)
    flags = set(m.group(1).split()) if m else set()
    for fl in g.get("cpu_flags", []):
        if fl not in flags:
            bad.append(f"guest setup: /proc/cpuinfo lacks flag {fl!r}")
    for fl in g.get("no_cpu_flags", []):
        if fl in flags:
            bad.append(f"guest setup: /proc/cpuinfo has flag {fl!r}")
    for path, want in g.get("files", {}).items():
        status, data = res.raw.get(path, ("not requested", b""))
        got = data.decode(errors="replace").strip() if status in ("file", "dir") else f"<{status}>"
        if got != want:
            bad.append(f"guest setup: {path}: expected {want!r}, got {got!r}")
    for path, rx in g.get("matches", {}).items():
        status, data = res.raw.get(path, ("not requested", b""))
        got = data.decode(errors="replace").strip() if status == "file" else f"<{status}>"
        if not re.search(rx, got):
            bad.append(f"guest setup: {path}: {got!r} does not match /{rx}/")
    for path in g.get("present", []):
        if res.raw.get(path, ("not requested",))[0] not in ("file", "dir"):
            bad.append(f"guest setup: {path} should exist ({res.raw.get(path, ('not requested',))[0]})")
    for path in g.get("absent", []):
        if res.raw.get(path, ("not requested",))[0] != "absent":
            bad.append(f"guest setup: {path} should be absent ({res.raw.get(path, ('not requested',))[0]})")
    return bad


def compare_virt_what(p, real, mine):
    """vcap linked as virt-what against the real virt-what in the same guest: the same facts, or
    the platform's `virt_what_differs` says why not (and is removed once they agree)."""
    if mine is None:
        return ["step vcap-virt-what: did not run"]
    if mine[0] != "0":
        return [f"step vcap-virt-what: exit {mine[0]}: {mine[3].decode(errors='replace')[:300]}"]
    if real is None:
        return []
    want = real[2].decode(errors="replace").split()
    got = mine[2].decode(errors="replace").split()
    if want != got and not p.virt_what_differs:
        return [f"virt-what: the real virt-what ({VIRT_WHAT_VERSION}) printed {want}, vcap as "
                f"virt-what {got} (agree, or say why in the platform's virt_what_differs)"]
    if want == got and p.virt_what_differs:
        return [f"virt-what: both print {got} now: remove the platform's virt_what_differs"]
    return []


def evaluate(res, host_vcap):
    """Compares the guest's answers with the platform's expectation. Fills res.mismatches."""
    p = res.boot.platform
    exp = p.expect
    res.mismatches += check_guest(res)

    def step(name):
        return res.steps.get(name)

    for name in ("snapshot", "report", "detect"):
        s = step(name)
        if s is None:
            res.mismatches.append(f"step {name}: did not run")
        elif name != "detect" and s[0] != "0":
            res.mismatches.append(
                f"step {name}: exit {s[0]}: {s[3].decode(errors='replace').strip()[:400]}")
    report = None
    rs = step("report")
    if rs and rs[0] == "0":
        try:
            report = json.loads(rs[2])
        except json.JSONDecodeError as e:
            res.mismatches.append(f"vcap --json: output is not JSON: {e}")
    if report is not None:
        for key, dotted in (("kind", "verdict.kind"), ("hypervisor", "verdict.hypervisor"),
                            ("cloud", "verdict.cloud")):
            if key in exp:
                want = None if exp[key] == "none" else exp[key]
                got = get_path(report, dotted)
                if got is KeyError:
                    res.mismatches.append(f"{dotted}: expected {want!r}, missing in the report")
                elif got != want:
                    summary = get_path(report, "verdict.summary")
                    res.mismatches.append(f"{dotted}: expected {want!r}, got {got!r} "
                                          f"(vcap: {summary})")
        if "conflicts" in exp:
            got = report.get("conflicts")
            n = len(got) if isinstance(got, list) else None
            if n is None:
                res.mismatches.append("conflicts: missing or not a list in the report")
            elif bool(n) != exp["conflicts"]:
                want = "at least one conflict" if exp["conflicts"] else "no conflict"
                res.mismatches.append(f"conflicts: expected {want}, got {json.dumps(got)[:300]}")
        caps = exp.get("capabilities", {})
        if caps and "capabilities" not in report:
            res.pending.append("capabilities: vcap does not report them yet")
        elif caps:
            for bdf, want in sorted(caps.get("dma", {}).items()):
                entries = [e for e in report["capabilities"].get("dma", [])
                           if isinstance(e, dict) and e.get("device") == bdf]
                if len(entries) != 1:
                    res.mismatches.append(f"capabilities.dma {bdf}: expected {want!r}, "
                                          f"{len(entries)} entries for it in the report")
                    continue
                e = entries[0]
                got = e.get("verdict") if "/" not in want else f"{e.get('verdict')}/{e.get('path')}"
                if got != want:
                    res.mismatches.append(
                        f"capabilities.dma {bdf}: expected {want!r}, got {got!r} "
                        f"(vcap's reasons: {json.dumps(e.get('reasons'))[:300]})")
            for cap, want in sorted(caps.items()):
                if cap == "dma":
                    continue
                got = get_path(report, f"capabilities.{cap}.verdict")
                if got is KeyError:
                    res.mismatches.append(f"capabilities.{cap}: expected {want!r}, missing")
                elif got != want:
                    reasons = get_path(report, f"capabilities.{cap}.reasons")
                    res.mismatches.append(
                        f"capabilities.{cap}: expected {want!r}, got {got!r} "
                        f"(vcap's reasons: {json.dumps(reasons)[:300]})")
    ds = step("detect")
    if ds:
        got = ds[2].decode(errors="replace").strip()
        want_exit = "1" if exp["systemd_id"] == "none" else "0"
        if got != exp["systemd_id"] or ds[0] != want_exit:
            res.mismatches.append(
                f"vcap detect: expected {exp['systemd_id']!r} exit {want_exit}, "
                f"got {got!r} exit {ds[0]} {ds[3].decode(errors='replace').strip()[:200]}")
    sd = step("systemd-detect-virt")
    if sd and "systemd_detect_virt" in exp:
        got = sd[2].decode(errors="replace").strip()
        if got != exp["systemd_detect_virt"]:
            res.mismatches.append(
                f"real systemd-detect-virt --vm ({SYSTEMD_VERSION}) in the guest: expected "
                f"{exp['systemd_detect_virt']!r} (from reading virt.c), got {got!r}")
    elif "systemd_detect_virt" in exp:
        res.notes.append("systemd-detect-virt not in the initramfs; its expectation not checked")
    res.mismatches += compare_virt_what(p, step("virt-what"), step("vcap-virt-what"))
    # The snapshot must reproduce the live report (vcap --root on the host, same static binary).
    if report is not None and res.tree:
        snap = WORK / "results" / p.key / "snapshot"
        r = subprocess.run([host_vcap, "--json", "--root", snap], capture_output=True, text=True)
        if r.returncode != 0:
            res.mismatches.append(f"host replay failed: exit {r.returncode}: {r.stderr[:300]}")
        else:
            try:
                d = json_diff(strip_volatile(report), strip_volatile(json.loads(r.stdout)))
            except json.JSONDecodeError as e:
                d = [f"not JSON: {e}"]
            res.mismatches += [f"host replay (--root snapshot) differs: {x}" for x in d[:20]]
    gapped = {m for m in res.mismatches if mismatch_key(m) in p.known_gap}
    res.gaps = [m for m in res.mismatches if m in gapped]
    res.mismatches = [m for m in res.mismatches if m not in gapped]
    hit = {mismatch_key(m) for m in res.gaps}
    if report is not None:
        res.fixed_gaps = [k for k in p.known_gap if k not in hit
                          and not (k.startswith("capabilities.") and "capabilities" not in report)]


def save_results(res, kernel, qemu_version):
    p = res.boot.platform
    outdir = WORK / "results" / p.key
    for name, (status, millis, out, err) in res.steps.items():
        (outdir / f"step-{name}.out").write_bytes(out)
        (outdir / f"step-{name}.err").write_bytes(err)
    (outdir / "guest-dmesg.txt").write_text(res.kmsg)
    for path, (status, data) in res.raw.items():
        (outdir / "raw").mkdir(exist_ok=True)
        (outdir / "raw" / (path.strip("/").replace("/", "__") + f".{status}")).write_bytes(data)
    if res.tree:
        write_tree(res, outdir / "snapshot")
    (outdir / "PROVENANCE").write_text(provenance(res, kernel, qemu_version))


# Where unpack_qemu72() puts QEMU 7.2, as PROVENANCE names it (the unpacked tree is a cache, not
# a path anyone else has).
QEMU72_PLACEHOLDER = "$QEMU_7_2"


def relative_to_repo(argv):
    """The command line with this checkout's absolute prefix removed and the unpacked QEMU 7.2
    tree named by QEMU72_PLACEHOLDER, so no machine path is kept."""
    top = str(HERE.parent.parent) + "/"
    unpacked = "tests/guestlab/cache/qemu-7.2/root"
    return [str(a).replace(top, "").replace(unpacked, QEMU72_PLACEHOLDER) for a in argv]


def provenance(res, kernel, qemu_version):
    b = res.boot
    p = b.platform
    lines = [
        f"platform: {p.name} (generation {p.generation}, {p.arch})",
        f"summary: {p.summary}",
        f"captured: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        " by tests/guestlab/run-matrix",
        f"qemu version: {qemu_version}",
        f"systemd-detect-virt in the guest: {SYSTEMD_VERSION}",
        f"kernel package: {kernel.package} ({kernel.deb.name})",
        f"kernel (guest /proc/version): {res.info.get('kernel', '?')}",
        f"kernel command line (guest /proc/cmdline): {res.info.get('cmdline', '?')}",
        "qemu command line (paths relative to the repository; $QEMU_7_2 is QEMU 7.2 as"
        " tests/guestlab/guestlab.py unpack_qemu72() unpacks it):",
        "  " + shlex.join(relative_to_repo(b.cmdline)),
        "modules loaded by /init: " + ", ".join(f"{k}={v}" for k, v in res.modules.items()),
        f"boot wall time: {b.wall:.2f} s; guest uptime at /init start: "
        f"{res.info.get('uptime-at-init', '?').split(' ')[0]} s; /init ran "
        f"{res.info.get('init-millis', '?')} ms",
        "steps run by /init (name, exit status, milliseconds, command):",
    ]
    argv = dict(STEPS + SYSTEMD_STEPS + VIRT_WHAT_STEPS)
    for name, (status, millis, _, _) in res.steps.items():
        lines.append(f"  {name} {status} {millis} {shlex.join(argv.get(name, ['?']))}")
    lines.append("")
    return "\n".join(lines)


FIXTURE_FILES = {
    # file beside the snapshot in the fixture: where it comes from in the results
    "live-report.json": "step-report.out",
    "live-detect.txt": "step-detect.out",
    "systemd-detect-virt.txt": "step-systemd-detect-virt.out",
    "live-virt-what.txt": "step-vcap-virt-what.out",
    "virt-what.txt": "step-virt-what.out",
    "guest-dmesg.txt": "guest-dmesg.txt",
    "PROVENANCE": "PROVENANCE",
}
# Written by update_fixture itself.
EXTRA_FIXTURE_FILES = ["live-status.txt", "SOURCE.md", "guestlab.json", "expected.json",
                       "expected-pending.json", "empty-dirs.txt", "guest-raw"]
# The raw files /init sent (RAW_PATHS and the platform's checks), "<path with / as __>.<status>".
GUEST_RAW = "guest-raw"
# git keeps no empty directory, but in a snapshot an empty directory is evidence (it existed, e.g.
# /sys/firmware/qemu_fw_cfg). They are listed here, one relative path a line, and restored by
# restore_empty_dirs() before anything replays a fixture.
EMPTY_DIRS = "empty-dirs.txt"


def fixture_dirs():
    """The committed guest fixtures of every generation (qemu-*, qemu10-*)."""
    return sorted(d for g in GENERATIONS.values() for d in FIXTURES.glob(g.fixture_prefix + "*")
                  if d.is_dir())


def restore_empty_dirs():
    """Recreates the empty directories that each qemu-* fixture lists (a fresh clone lacks them)."""
    n = 0
    for d in fixture_dirs():
        f = d / EMPTY_DIRS
        if not f.exists():
            continue
        for line in f.read_text().splitlines():
            if line.strip():
                rel = safe_relpath(line.strip().encode())
                if not (d / rel).is_dir():
                    (d / rel).mkdir(parents=True)
                    n += 1
    return n


def corpus_expected(p):
    """expected.json in the corpus format (tests/fixtures/README.md), exactly its six keys."""
    exp = p.expect
    return {
        "kind": exp["kind"],
        "hypervisor": None if exp["hypervisor"] == "none" else exp["hypervisor"],
        "cloud": None if exp["cloud"] == "none" else exp["cloud"],
        "systemd_id": exp["systemd_id"],
        "conflict": exp["conflicts"],
        "why": " ".join(p.reason.split()),
    }


def guestlab_expected(p):
    """guestlab.json: what the corpus format has no key for."""
    out = {"platform": p.name, "summary": p.summary}
    if p.generation != "7.2":
        out["generation"] = p.generation
        out["arch"] = p.arch
    if "capabilities" in p.expect:
        out["capabilities"] = p.expect["capabilities"]
    if "systemd_detect_virt" in p.expect:
        out["systemd_detect_virt_252"] = p.expect["systemd_detect_virt"]
    if p.known_gap:
        out["known_gap"] = {k: " ".join(v.split()) for k, v in p.known_gap.items()}
    if p.virt_what_differs:
        out["virt_what_differs"] = p.virt_what_differs
    return out


def source_md(p):
    return (f"# {p.key}: {p.summary}\n\n"
            "Captured live inside a QEMU/TCG guest by `tests/guestlab/run-matrix --update-fixtures`"
            f" (platform `{p.name}` of generation {p.generation} in `tests/guestlab/"
            f"{'platforms.toml' if p.generation == '7.2' else 'platforms-qemu10.toml'}`)."
            " Every file of the snapshot"
            " is what `vcap snapshot` read in that guest; nothing was typed by hand.\n\n"
            f"Why the expectation: {' '.join(p.reason.split())}\n\n"
            "The QEMU command line and version, the kernel package and version and the boot times"
            " are in `PROVENANCE`; the guest's kernel log is `guest-dmesg.txt`; the in-guest"
            " answers are `live-report.json`, `live-detect.txt`, `live-virt-what.txt` (vcap linked as"
            " virt-what), `live-status.txt`, and the real tools' `systemd-detect-virt.txt` and"
            " `virt-what.txt`.\n")


def update_fixture(res):
    """Writes one platform's capture to tests/fixtures/qemu-<name>/: the directory is the snapshot
    (`vcap --root` reads it), with the files of FIXTURE_FILES, live-status.txt and expected.json
    beside the snapshot's own paths (see README.md)."""
    p = res.boot.platform
    src = WORK / "results" / p.key
    dest = FIXTURES / p.key
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src / "snapshot", dest, symlinks=True)
    for name in list(FIXTURE_FILES) + EXTRA_FIXTURE_FILES:
        if (dest / name).exists():
            raise GuestlabError(f"{dest}: the snapshot itself has {name}; cannot add the fixture file")
    for name, s in FIXTURE_FILES.items():
        if (dest / name).exists():
            raise GuestlabError(f"{dest}: the snapshot itself has {name}; cannot add the fixture file")
        if (src / s).exists():
            shutil.copy2(src / s, dest / name)
    status = "".join(f"{n} {st} {ms}\n" for n, (st, ms, _, _) in res.steps.items())
    (dest / "live-status.txt").write_text(status)
    if p.generation != "7.2" and (src / "raw").is_dir():
        shutil.copytree(src / "raw", dest / GUEST_RAW)
    empty = sorted(str(q.relative_to(dest)) for q in dest.rglob("*")
                   if q.is_dir() and not q.is_symlink() and not any(q.iterdir()))
    (dest / EMPTY_DIRS).write_text("".join(e + "\n" for e in empty))
    (dest / "SOURCE.md").write_text(source_md(p))
    (dest / "guestlab.json").write_text(json.dumps(guestlab_expected(p), indent=2) + "\n")
    # With a known gap, the corpus tests (which run on every directory that has an expected.json)
    # would fail on what vcap does not meet yet: the same content goes to expected-pending.json
    # until the gap is closed and the fixture rewritten.
    name = "expected-pending.json" if p.known_gap else "expected.json"
    (dest / name).write_text(json.dumps(corpus_expected(p), indent=2) + "\n")


# ---------------------------------------------------------------------------------------------------
# Main


def main(argv):
    ap = argparse.ArgumentParser(description="Boot the guestlab platform matrix under QEMU/TCG.")
    ap.add_argument("--only", help="comma-separated platform names")
    ap.add_argument("--jobs", type=int, default=2, help="boots at a time (default 2)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per boot (default 120)")
    ap.add_argument("--update-fixtures", action="store_true",
                    help="write each capture without mismatches to tests/fixtures/qemu-<name>/")
    ap.add_argument("--restore-empty-dirs", action="store_true",
                    help="only recreate the empty snapshot directories of tests/fixtures/qemu-* "
                         "(git does not keep them) and exit")
    ap.add_argument("--reevaluate", action="store_true",
                    help="boot nothing: check the results saved by the last run (cache/results/) "
                         "against platforms.toml again, e.g. after editing an expectation")
    ap.add_argument("--list", action="store_true", help="list the platforms and exit")
    ap.add_argument("--no-systemd", action="store_true",
                    help="do not put systemd-detect-virt into the initramfs")
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    if a.restore_empty_dirs:
        log(f"guestlab: restored {restore_empty_dirs()} empty snapshot directories")
        return 0
    platforms, blobs = load_all_platforms()
    # Every platform's raw paths, not only the selected ones': an --only run sends the same raw
    # files as the whole matrix, so its --update-fixtures keeps each fixture's guest-raw/ whole.
    all_raw = raw_paths(platforms)
    if a.list:
        for p in platforms:
            print(f"{p.key:32} {p.arch:8} {p.kernel:8} {p.summary}")
        return 0
    if a.only:
        names = a.only.split(",")
        # A fixture name (qemu10-q35) picks one platform; a plain name (q35) every generation's.
        unknown = set(names) - {p.name for p in platforms} - {p.key for p in platforms}
        if unknown:
            raise GuestlabError(f"--only: unknown platforms {sorted(unknown)}")
        platforms = [p for p in platforms if p.name in names or p.key in names]
    if a.reevaluate:
        return reevaluate(platforms, a)
    WORK.mkdir(exist_ok=True)
    write_blobs(blobs)
    combos = sorted({(p.generation, p.arch) for p in platforms})
    qemus = {c: find_qemu(*c) for c in combos}
    vcaps, inits = {}, {}
    for arch in sorted({p.arch for p in platforms}):
        vcaps[arch], inits[arch] = build_binaries(arch)
    vcap = vcaps.get("x86_64") or build_binaries("x86_64")[0]  # the host's: replays
    with_systemd = not a.no_systemd and Path(SYSTEMD_DETECT_VIRT).exists()
    if with_systemd:
        set_systemd_version()
    if with_virt_what():
        set_virt_what_version()
    else:
        log("guestlab: virt-what, dmidecode or busybox-static is not installed here; the real "
            "virt-what does not run in the guests")
    if not with_systemd:
        log("guestlab: systemd-detect-virt is not installed here; its expectations are not checked")
    kernels, initrds = {}, {}
    for k in sorted({(p.generation, p.arch, p.kernel) for p in platforms}):
        gen, arch, flavour = k
        kernels[k] = fetch_kernel(flavour, gen, arch)
        initrds[k], mods = build_initramfs(kernels[k], vcaps[arch], inits[arch], with_systemd,
                                           all_raw)
        log(f"guestlab: kernel {kernels[k].release}; initramfs "
            f"{initrds[k].stat().st_size // 1024} KiB with modules {' '.join(mods)}")
    t_setup = time.monotonic() - t0
    log(f"guestlab: setup {t_setup:.1f} s; booting {len(platforms)} platforms, {a.jobs} at a time "
        f"({'; '.join(f'{g}/{ar}: {q.version}' for (g, ar), q in qemus.items())})")
    t1 = time.monotonic()
    results = []

    def kkey(p):
        return (p.generation, p.arch, p.kernel)

    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = {ex.submit(boot, p, kernels[kkey(p)], initrds[kkey(p)], a.timeout,
                          qemus[(p.generation, p.arch)]): p
                for p in platforms}
        for fut in concurrent.futures.as_completed(futs):
            b = fut.result()
            res = digest(b)
            p = b.platform
            if b.problem is None:
                save_results(res, kernels[kkey(p)], qemus[(p.generation, p.arch)].version)
                evaluate(res, vcap)
            results.append(res)
            log(f"  booted {p.key:32} {b.wall:5.1f} s  "
                f"{'ok' if b.problem is None else 'BOOT FAILED: ' + b.problem}")
    t_boots = time.monotonic() - t1
    results.sort(key=lambda r: [p.key for p in platforms].index(r.boot.platform.key))
    failed = report(results)
    fixtures(results, a)
    failed += len(check_committed_fixtures(vcap))
    walls = sorted(r.boot.wall for r in results)
    log(f"\nguestlab: {len(results)} boots in {t_boots:.1f} s ({a.jobs} at a time); per boot "
        f"min {walls[0]:.1f} / median {walls[len(walls) // 2]:.1f} / max {walls[-1]:.1f} s; "
        f"setup {t_setup:.1f} s; total {time.monotonic() - t0:.1f} s")
    return 1 if failed else 0


def reevaluate(platforms, a):
    """Checks the saved results of the last run again, without booting."""
    vcap = WORK / "target-vcap" / TARGET / "release" / "vcap"
    if not vcap.exists():
        raise GuestlabError(f"--reevaluate: {vcap} is missing; run the matrix first")
    if SYSTEMD_VERSION == "not in the initramfs" and Path(SYSTEMD_DETECT_VIRT).exists():
        set_systemd_version()
    results = []
    for p in platforms:
        d = WORK / "results" / p.key
        if not (d / "qemu-command").exists():
            raise GuestlabError(f"--reevaluate: no saved results for {p.key} in {d}")
        b = Boot(p, shlex.split((d / "qemu-command").read_text()))
        data = d / "data.log"
        try:
            b.records = parse_records(data.read_bytes() if data.exists() else b"")
        except ValueError as e:
            b.problem = str(e)
            b.console = (d / "console.log").read_text(errors="replace")
        res = digest(b)
        if b.problem is None:
            evaluate(res, vcap)
        results.append(res)
    failed = report(results)
    fixtures(results, a)
    failed += len(check_committed_fixtures(vcap))
    return 1 if failed else 0


def with_virt_what():
    """Whether the real virt-what and everything it runs in the guest is on this machine."""
    return all(Path(f).exists() for f in (VIRT_WHAT, VIRT_WHAT_HELPER, DMIDECODE, BUSYBOX))


def set_virt_what_version():
    global VIRT_WHAT_VERSION
    VIRT_WHAT_VERSION = "virt-what " + run([VIRT_WHAT, "--version"], "virt-what version").strip()


def set_systemd_version():
    global SYSTEMD_VERSION
    SYSTEMD_VERSION = run([SYSTEMD_DETECT_VIRT, "--version"], "systemd version").splitlines()[0]


def check_committed_fixtures(vcap):
    """Every committed tests/fixtures/qemu-*/ must replay to its own live answers: `vcap --json
    --root DIR` byte for byte `live-report.json`, `vcap detect --root DIR` `live-detect.txt` with the
    exit status in `live-status.txt`. Returns the problems (a stale fixture after a change to vcap's
    report: rerun with --update-fixtures)."""
    problems = []
    restored = restore_empty_dirs()
    if restored:
        log(f"guestlab: restored {restored} empty snapshot directories that git does not keep")
    dirs = fixture_dirs()
    for d in dirs:
        live = d / "live-report.json"
        if not live.exists():
            problems.append(f"{d.name}: no live-report.json")
            continue
        r = subprocess.run([vcap, "--json", "--root", d], capture_output=True)
        if r.returncode != 0 or r.stdout != live.read_bytes():
            try:
                diff = json_diff(json.loads(live.read_bytes()), json.loads(r.stdout))
            except json.JSONDecodeError:
                diff = [f"exit {r.returncode}: {r.stderr.decode(errors='replace')[:200]}"]
            problems.append(f"{d.name}: vcap --json --root differs from live-report.json: "
                            + "; ".join(diff[:5]))
        status = dict(line.split()[:2] for line in (d / "live-status.txt").read_text().splitlines()
                      if line.strip()) if (d / "live-status.txt").exists() else {}
        r = subprocess.run([vcap, "detect", "--root", d], capture_output=True)
        want = (d / "live-detect.txt").read_bytes() if (d / "live-detect.txt").exists() else None
        if r.stdout != want or str(r.returncode) != status.get("detect"):
            problems.append(f"{d.name}: vcap detect --root printed {r.stdout!r} exit {r.returncode}, "
                            f"live: {want!r} exit {status.get('detect')}")
        if (d / "live-virt-what.txt").exists():
            link = WORK / "virt-what"
            if not link.is_symlink() or os.readlink(link) != str(vcap):
                link.unlink(missing_ok=True)
                link.symlink_to(vcap)
            r = subprocess.run([link, f"--test-root={d}"], capture_output=True)
            want = (d / "live-virt-what.txt").read_bytes()
            if r.stdout != want or r.returncode != 0:
                problems.append(f"{d.name}: vcap as virt-what --test-root printed {r.stdout!r} "
                                f"exit {r.returncode}, live: {want!r}")
    log(f"guestlab: {len(dirs)} committed fixtures replayed against their live answers, "
        f"{len(problems)} stale")
    for pr in problems:
        log(f"  STALE {pr}")
    if problems:
        log("  (vcap's answers changed since the capture: rerun tests/guestlab/run-matrix "
            "--update-fixtures and commit)")
    return problems


def fixtures(results, a):
    if a.update_fixtures:
        for r in results:
            if r.boot.problem is None and r.tree and not r.mismatches and not r.fixed_gaps:
                update_fixture(r)
                log(f"guestlab: wrote tests/fixtures/{r.boot.platform.key}/")
            elif r.boot.problem is None:
                log(f"guestlab: fixture {r.boot.platform.key} NOT written "
                    f"({'mismatches' if r.mismatches or r.fixed_gaps else 'no snapshot'})")


def report(results):
    """Prints each platform's outcome and the summary line; returns the number of failures."""
    passed = failed = xfail = 0
    for r in results:
        b = r.boot
        p = b.platform
        if b.problem is not None:
            failed += 1
            log(f"\nFAIL {p.key}: {b.problem}\n  qemu: {shlex.join(b.cmdline)}\n"
                f"  ---- console log (last 80 lines) ----")
            for line in b.console.splitlines()[-80:]:
                log(f"  | {line}")
            continue
        if r.fixed_gaps:
            log(f"\nFAIL {p.key}: vcap now meets known_gap {r.fixed_gaps}: remove the mark "
                "(and rewrite the fixture with --update-fixtures)")
        if r.mismatches:
            log(f"\nFAIL {p.key} ({p.summary})")
            for m in r.mismatches:
                log(f"    - {m}")
            log("  why these expectations: " + p.reason.replace("\n", "\n    "))
            log(f"  qemu: {shlex.join(b.cmdline)}")
            log(f"  results: {WORK / 'results' / p.key}")
        if r.fixed_gaps or r.mismatches:
            failed += 1
        else:
            passed += 1
            extra = f" (pending: {'; '.join(r.pending)})" if r.pending else ""
            log(f"ok   {p.key}{extra}")
        if r.gaps:
            xfail += 1
            for m in r.gaps:
                log(f"     known gap: {m}")
                log(f"       why: {' '.join(p.known_gap[mismatch_key(m)].split())}")
        for n in r.notes:
            log(f"     note: {n}")
    log(f"\nguestlab: {passed} passed, {failed} failed")
    if xfail:
        log(f"guestlab: {xfail} platforms have known gaps (listed above)")
    return failed


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except GuestlabError as e:
        print(f"guestlab: {e}", file=sys.stderr)
        sys.exit(2)
