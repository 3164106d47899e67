"""Helpers that write vcap snapshot-directory fixtures (tests/fixtures/<platform>/).

Used by scripts/mkfixtures.py. Every value written comes from the fixture specs in
mkfixtures.py, each of which cites its source in the fixture's SOURCE.md. This module only
knows the *formats*: how sysfs prints DMI strings, how an SMBIOS type 0 structure is laid
out (DMTF DSP0134 section 7.1; bit names as printed by dmidecode's dmidecode.c
dmi_bios_characteristics*()), how sysfs prints PCI ids, and the `cpuid -r -1` text format.
"""

import json
import os
import shutil
import struct

# dmidecode.c dmi_bios_characteristics(): characteristics[i - 3] for bit i (bit 3 = "not supported").
BIOS_CHAR_BITS = {
    "BIOS characteristics not supported": 3,
    "ISA is supported": 4,
    "MCA is supported": 5,
    "EISA is supported": 6,
    "PCI is supported": 7,
    "PC Card (PCMCIA) is supported": 8,
    "PNP is supported": 9,
    "APM is supported": 10,
    "BIOS is upgradeable": 11,
    "BIOS shadowing is allowed": 12,
    "VLB is supported": 13,
    "ESCD support is available": 14,
    "Boot from CD is supported": 15,
    "Selectable boot is supported": 16,
    "BIOS ROM is socketed": 17,
    "Boot from PC Card (PCMCIA) is supported": 18,
    "EDD is supported": 19,
    "Japanese floppy for NEC 9800 1.2 MB is supported (int 13h)": 20,
    "Japanese floppy for Toshiba 1.2 MB is supported (int 13h)": 21,
    '5.25"/360 kB floppy services are supported (int 13h)': 22,
    '5.25"/1.2 MB floppy services are supported (int 13h)': 23,
    '3.5"/720 kB floppy services are supported (int 13h)': 24,
    '3.5"/2.88 MB floppy services are supported (int 13h)': 25,
    "Print screen service is supported (int 5h)": 26,
    "8042 keyboard services are supported (int 9h)": 27,
    "Serial services are supported (int 14h)": 28,
    "Printer services are supported (int 17h)": 29,
    "CGA/mono video services are supported (int 10h)": 30,
    "NEC PC-98": 31,
}
# dmidecode.c dmi_bios_characteristics_x1() / _x2() (DSP0134 7.1.2.1 / 7.1.2.2).
BIOS_X1_BITS = {
    "ACPI is supported": 0,
    "USB legacy is supported": 1,
    "AGP is supported": 2,
    "I2O boot is supported": 3,
    "LS-120 boot is supported": 4,
    "ATAPI Zip drive boot is supported": 5,
    "IEEE 1394 boot is supported": 6,
    "Smart battery is supported": 7,
}
BIOS_X2_BITS = {
    "BIOS boot specification is supported": 0,
    "Function key-initiated network boot is supported": 1,
    "Targeted content distribution is supported": 2,
    "UEFI is supported": 3,
    "System is a virtual machine": 4,
}

NOT_CAPTURED = "not captured: the public source this fixture was built from lacks it"

DMI_FIELDS = (
    "sys_vendor", "product_name", "product_version", "product_family", "product_sku",
    "board_vendor", "board_name", "bios_vendor", "bios_version", "bios_date",
    "chassis_vendor", "chassis_type", "chassis_asset_tag",
)


def smbios_type0(*, handle, vendor, version, date, address, rom_kb=None, rom_ext_mb=None,
                 characteristics, bios_release=None, ec_release=None, length):
    """Build the bytes of /sys/firmware/dmi/entries/0-0/raw from a dmidecode text dump.

    address: the "Address:" value (e.g. 0xF0000) -> starting segment = address >> 4.
    rom_kb: "ROM Size" in kB when < 16 MB (byte 0x09 = kB/64 - 1);
    rom_ext_mb: "ROM Size" in MB when >= 16 MB (byte 0x09 = 0xFF, word 0x18 = size in MB).
    characteristics: the lines dmidecode printed under "Characteristics:".
    bios_release / ec_release: "BIOS Revision" / "Firmware Revision" as (major, minor);
    None -> 0xFF 0xFF (dmidecode prints nothing then).
    length: the structure length dmidecode printed ("DMI type 0, N bytes").
    """
    chars = 0
    x1 = 0
    x2 = 0
    for line in characteristics:
        if line in BIOS_CHAR_BITS:
            chars |= 1 << BIOS_CHAR_BITS[line]
        elif line in BIOS_X1_BITS:
            x1 |= 1 << BIOS_X1_BITS[line]
        elif line in BIOS_X2_BITS:
            x2 |= 1 << BIOS_X2_BITS[line]
        else:
            raise ValueError("unknown BIOS characteristic %r" % line)
    if rom_ext_mb is not None:
        rom_byte = 0xFF
    else:
        rom_byte = rom_kb // 64 - 1
    strings = []

    def sidx(s):
        if s is None:
            return 0
        strings.append(s)
        return len(strings)

    v = sidx(vendor)
    ver = sidx(version)
    d = sidx(date)
    body = struct.pack("<BBHBBHBBQ", 0, length, handle, v, ver, address >> 4, d, rom_byte, chars)
    body += bytes([x1, x2])
    br = bios_release if bios_release is not None else (0xFF, 0xFF)
    ec = ec_release if ec_release is not None else (0xFF, 0xFF)
    body += bytes([br[0], br[1], ec[0], ec[1]])
    if length >= 0x1A:
        body += struct.pack("<H", rom_ext_mb if rom_ext_mb is not None else 0)
    if len(body) < length:
        raise ValueError("type 0 length %d longer than the fields known here" % length)
    body = body[:length]
    tail = b"".join(s.encode("latin-1") + b"\0" for s in strings) + b"\0"
    if not strings:
        tail = b"\0\0"
    return body + tail


def cpuid_text(lines):
    """`cpuid -r -1` format: 'CPU:' then one line per (leaf, subleaf)."""
    out = ["CPU:"]
    for leaf, sub, eax, ebx, ecx, edx in lines:
        out.append("   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x"
                   % (leaf, sub, eax, ebx, ecx, edx))
    return "\n".join(out) + "\n"


def parse_cpuid_dump(text):
    """Parse lines like '   0x00000000 0x00: eax=... ebx=... ecx=... edx=...' (any prefix such
    as '/// ' and any CPU heading are ignored). Returns a list of 6-tuples."""
    rows = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("/").strip()
        if not line.startswith("0x") or ": eax=" not in line:
            continue
        head, regs = line.split(":", 1)
        leaf, sub = head.split()
        vals = dict(kv.split("=") for kv in regs.split())
        rows.append((int(leaf, 16), int(sub, 16), int(vals["eax"], 16), int(vals["ebx"], 16),
                     int(vals["ecx"], 16), int(vals["edx"], 16)))
    return rows


class Fixture:
    """Accumulates the files of one snapshot directory, then writes it."""

    def __init__(self, root, name):
        self.dir = os.path.join(root, name)
        self.name = name
        self.files = {}      # relpath -> bytes
        self.links = {}      # relpath -> target text
        self.unreadable = []  # (abs path, reason)

    def file(self, rel, content):
        if isinstance(content, str):
            content = content.encode("utf-8")
        self.files[rel] = content

    def link(self, rel, target):
        self.links[rel] = target

    def dmi(self, fields, as_link=True):
        """sysfs DMI id attributes: each is the string plus '\\n' (drivers/firmware/dmi-id.c)."""
        base = "sys/devices/virtual/dmi/id" if as_link else "sys/class/dmi/id"
        if as_link:
            self.link("sys/class/dmi/id", "../../devices/virtual/dmi/id")
        for k, v in fields.items():
            if k not in DMI_FIELDS:
                raise ValueError("unknown dmi field " + k)
            if v is None:
                continue
            self.file("%s/%s" % (base, k), v + "\n")

    def smbios_raw(self, raw_bytes):
        self.file("sys/firmware/dmi/entries/0-0/raw", raw_bytes)

    def smbios_unreadable(self):
        self.unreadable.append(("/sys/firmware/dmi/entries/0-0/raw", "permission denied"))

    def not_captured(self, abs_path):
        """An input that exists on the real machine but is not in any source this fixture was
        built from. Recorded in vcap-unreadable.txt so a replay reports it as unknown rather
        than as absent (a missing file in a snapshot means "absent on the machine")."""
        self.unreadable.append((abs_path, NOT_CAPTURED))

    def pci(self, bdf, vendor, device, klass, revision, subvendor=None, subdevice=None,
            root="pci0000:00"):
        d = "sys/devices/%s/%s" % (root, bdf)
        self.link("sys/bus/pci/devices/" + bdf, "../../../devices/%s/%s" % (root, bdf))
        self.file(d + "/vendor", "0x%04x\n" % vendor)
        self.file(d + "/device", "0x%04x\n" % device)
        self.file(d + "/class", "0x%06x\n" % klass)
        if revision is not None:
            self.file(d + "/revision", "0x%02x\n" % revision)
        if subvendor is not None:
            self.file(d + "/subsystem_vendor", "0x%04x\n" % subvendor)
            self.file(d + "/subsystem_device", "0x%04x\n" % subdevice)
        return d

    def virtio(self, name, devdir_rel, device_id, vendor, feature_bits):
        """A virtio device: sysfs 'device'/'vendor' print 0x%04x, 'features' is 64 chars of
        0/1, bit 0 first (drivers/virtio/virtio.c features_show)."""
        d = devdir_rel + "/" + name
        self.link("sys/bus/virtio/devices/" + name, "../../../" + d[len("sys/"):])
        self.file(d + "/device", "0x%04x\n" % device_id)
        self.file(d + "/vendor", "0x%04x\n" % vendor)
        feats = "".join("1" if i in feature_bits else "0" for i in range(64))
        self.file(d + "/features", feats + "\n")

    def write(self, expected, source_md):
        if "proc/cpuinfo" not in self.files and not getattr(self, "no_cpuinfo_note", False):
            self.not_captured("/proc/cpuinfo")
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        for rel, content in sorted(self.files.items()):
            p = os.path.join(self.dir, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(content)
        for rel, target in sorted(self.links.items()):
            p = os.path.join(self.dir, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            os.symlink(target, p)
        if self.unreadable:
            with open(os.path.join(self.dir, "vcap-unreadable.txt"), "w") as f:
                for path, reason in self.unreadable:
                    f.write("%s\t%s\n" % (path, reason))
        for key in ("kind", "hypervisor", "cloud", "systemd_id", "conflict", "why"):
            if key not in expected:
                raise ValueError("%s: expected.json lacks %s" % (self.name, key))
        with open(os.path.join(self.dir, "expected.json"), "w") as f:
            json.dump(expected, f, indent=2)
            f.write("\n")
        with open(os.path.join(self.dir, "SOURCE.md"), "w") as f:
            f.write(source_md.strip() + "\n")
