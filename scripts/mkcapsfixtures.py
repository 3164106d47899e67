#!/usr/bin/env python3
"""Builds the capability fixtures tests/fixtures/caps-*/ (issue 4) from cited public data.

Every value below carries its source in the fixture's SOURCE.md (written from the same data).
Layout = the snapshot layout `vcap snapshot` writes (tests/fixtures/README.md): files at their
real sysfs paths, class/bus entries as relative links, root-only inputs either present (root
capture) or listed in vcap-unreadable.txt. expected-capabilities.json holds the decisions the
test crates/vcap-cli/tests/capabilities.rs checks; they follow from the cited values and the
rules in docs/capabilities.md, not from running vcap.

Usage: scripts/mkcapsfixtures.py  (rewrites the constructed tests/fixtures/caps-* fixtures)
       scripts/mkcapsfixtures.py --import-guests tests/guestlab/cache/results
           (copies real guest snapshots of a guestlab run into tests/fixtures/caps-guest-*)
"""
import json
import os
import shutil
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(TOP, "tests", "fixtures")


def hexdump_bytes(text):
    """Bytes of an iasl 'Raw Table Data' dump ('    0000: 44 4D ...  // ...')."""
    out = bytearray()
    for line in text.strip().splitlines():
        line = line.split("//")[0]
        _, _, hexes = line.partition(":")
        out += bytes(int(h, 16) for h in hexes.split())
    return bytes(out)


def acpi_table(sig, rev, oem, oem_table, oem_rev, creator, creator_rev, body):
    """An ACPI table with a correct checksum (used only for tables QEMU builds in code)."""
    length = 36 + len(body)
    hdr = bytearray(sig.encode() + struct.pack("<IBB", length, rev, 0))
    hdr += oem.encode().ljust(6)[:6] + oem_table.encode().ljust(8)[:8]
    hdr += struct.pack("<I", oem_rev) + creator.encode().ljust(4)[:4] + struct.pack("<I", creator_rev)
    t = bytearray(hdr + body)
    t[9] = (-sum(t)) & 0xFF
    return bytes(t)


def features(bits, width=64):
    s = ["0"] * width
    for b in bits:
        s[b] = "1"
    return "".join(s)


def config_space(vendor, device, caps=(), ext=(), size=4096, status_caps=True, cap_ptr=None):
    """A config space image: header IDs, a standard capability list and an extended one.
    caps: list of (offset, id, bytes after the 2-byte header); ext: list of (offset, id, ver, body)."""
    b = bytearray(size)
    struct.pack_into("<HH", b, 0, vendor, device)
    if status_caps:
        struct.pack_into("<H", b, 6, 0x10)
    if caps:
        b[0x34] = caps[0][0] if cap_ptr is None else cap_ptr
        for i, (off, cid, rest) in enumerate(caps):
            nxt = caps[i + 1][0] if i + 1 < len(caps) else 0
            b[off] = cid
            b[off + 1] = nxt
            b[off + 2:off + 2 + len(rest)] = rest
    for i, (off, eid, ver, body) in enumerate(ext):
        nxt = ext[i + 1][0] if i + 1 < len(ext) else 0
        struct.pack_into("<I", b, off, eid | (ver << 16) | (nxt << 20))
        b[off + 4:off + 4 + len(body)] = body
    return bytes(b)


class Snap:
    def __init__(self, name):
        self.dir = os.path.join(FIX, name)
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        self.unreadable = []

    def p(self, abs_path):
        return os.path.join(self.dir, abs_path.lstrip("/"))

    def file(self, abs_path, data):
        p = self.p(abs_path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def link(self, abs_path, target):
        p = self.p(abs_path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(target, p)

    def dmi(self, fields):
        self.link("/sys/class/dmi/id", "../../devices/virtual/dmi/id")
        for k, v in fields.items():
            self.file(f"/sys/devices/virtual/dmi/id/{k}", v + "\n")

    def vtd(self, name, version, cap, ecap, address=None):
        self.link(f"/sys/class/iommu/{name}", f"../../devices/virtual/iommu/{name}")
        d = f"/sys/devices/virtual/iommu/{name}/intel-iommu"
        self.file(f"{d}/version", version + "\n")
        if address:
            self.file(f"{d}/address", address + "\n")
        self.file(f"{d}/cap", cap + "\n")
        self.file(f"{d}/ecap", ecap + "\n")

    def amd(self, name, bdf, cap, features_text):
        self.link(f"/sys/class/iommu/{name}", f"../../devices/pci0000:00/{bdf}/iommu/{name}")
        d = f"/sys/devices/pci0000:00/{bdf}/iommu/{name}/amd-iommu"
        if cap is not None:
            self.file(f"{d}/cap", cap + "\n")
        if features_text is not None:
            self.file(f"{d}/features", features_text + "\n")

    def pci(self, bdf, vendor, device, cls, driver=None, group=None, config=None):
        self.link(f"/sys/bus/pci/devices/{bdf}", f"../../../devices/pci0000:00/{bdf}")
        d = f"/sys/devices/pci0000:00/{bdf}"
        self.file(f"{d}/vendor", f"0x{vendor:04x}\n")
        self.file(f"{d}/device", f"0x{device:04x}\n")
        self.file(f"{d}/class", f"0x{cls:06x}\n")
        if config is not None:
            self.file(f"{d}/config", config)
        if driver:
            self.link(f"{d}/driver", f"../../../bus/pci/drivers/{driver}")
        if group is not None:
            self.link(f"{d}/iommu_group", f"../../../kernel/iommu_groups/{group}")

    def group(self, n, typ):
        self.file(f"/sys/kernel/iommu_groups/{n}/type", typ + "\n")

    def virtio(self, name, parent_bdf, dev_type, feats, driver):
        if parent_bdf:
            self.link(f"/sys/bus/virtio/devices/{name}", f"../../../devices/pci0000:00/{parent_bdf}/{name}")
            d = f"/sys/devices/pci0000:00/{parent_bdf}/{name}"
        else:
            self.link(f"/sys/bus/virtio/devices/{name}", f"../../../devices/platform/virtio-mmio.0/{name}")
            d = f"/sys/devices/platform/virtio-mmio.0/{name}"
        self.file(f"{d}/device", f"0x{dev_type:04x}\n")
        self.file(f"{d}/vendor", "0x554d4551\n")
        self.file(f"{d}/features", feats + "\n")
        if driver:
            self.link(f"{d}/driver", f"../../../../bus/virtio/drivers/{driver}")

    def unread(self, abs_path, why):
        self.unreadable.append((abs_path, why))

    def finish(self, source_md, expected):
        self.file("/vcap-unreadable.txt", "".join(f"{p}\t{w}\n" for p, w in self.unreadable))
        with open(os.path.join(self.dir, "SOURCE.md"), "w") as f:
            f.write(source_md.strip() + "\n")
        with open(os.path.join(self.dir, "expected-capabilities.json"), "w") as f:
            json.dump(expected, f, indent=2)
            f.write("\n")


# ---------------------------------------------------------------------------------------------
# Data with sources (see each SOURCE.md)

# Dell XPS 13 9310 DMAR: iasl "Raw Table Data" of major/xps13-9310-dsdt dmar.dsl (2021-07-17).
XPS9310_DMAR = hexdump_bytes("""
    0000: 44 4D 41 52 B8 00 00 00 02 85 49 4E 54 45 4C 20
    0010: 44 65 6C 6C 20 49 6E 63 02 00 00 00 20 20 20 20
    0020: 13 00 00 01 26 01 00 00 00 00 00 00 00 00 00 00
    0030: 00 00 18 00 00 00 00 00 00 00 D9 FE 00 00 00 00
    0040: 01 08 00 00 00 00 02 00 00 00 18 00 00 00 00 00
    0050: 00 40 D8 FE 00 00 00 00 02 08 00 00 00 00 07 00
    0060: 00 00 18 00 00 00 00 00 00 60 D8 FE 00 00 00 00
    0070: 02 08 00 00 00 00 07 02 00 00 20 00 01 00 00 00
    0080: 00 10 D9 FE 00 00 00 00 03 08 00 00 02 00 1E 07
    0090: 04 08 00 00 00 00 1E 06 01 00 20 00 00 00 00 00
    00A0: 00 00 00 6C 00 00 00 00 FF FF 7F 70 00 00 00 00
    00B0: 01 08 00 00 00 00 02 00
""")

# srv02 (i7-8750H laptop) `lsirq`, cvdg/wnnr docs/srv02/irq.md: IRQ, TOTAL, NAME (= chip, hwirq,
# action). Converted to /proc/interrupts with the TOTAL in one CPU0 column.
SRV02_LSIRQ = """\
126   5995 IR-PCI-MSI 1574912-edge enp3s0f1
143   1390 IR-PCI-MSI 1048576-edge iwlwifi:default_queue
129    823 IR-PCI-MSI 524289-edge nvme0q1
 12    230 IR-IO-APIC 12-edge i8042
141    227 IR-PCI-MSI 376832-edge ahci[0000:00:17.0]
128    209 IR-PCI-MSI 327680-edge xhci_hcd
149    118 IR-PCI-MSI 32768-edge i915
  9     19 IR-IO-APIC 9-fasteoi acpi
  1      5 IR-IO-APIC 1-edge i8042
 16      2 IR-IO-APIC 16-fasteoi i801_smbus
  8      0 IR-IO-APIC 8-edge rtc0
120      0 DMAR-MSI 0-edge dmar0
121      0 DMAR-MSI 1-edge dmar1
"""


def lsirq_to_proc(lsirq):
    rows = []
    for line in lsirq.splitlines():
        irq, total, chip, hw, *action = line.split()
        rows.append((int(irq), f"{int(irq):4d}: {int(total):10d}  {chip:<11} {hw:<14} {' '.join(action)}"))
    return "           CPU0       \n" + "\n".join(r for _, r in sorted(rows)) + "\n"


def intel_tgl_laptop(name="caps-intel-tgl-laptop-metal"):
    s = Snap(name)
    s.dmi({"sys_vendor": "Dell Inc.", "product_name": "XPS 13 9310"})
    s.file("/sys/firmware/acpi/tables/DMAR", XPS9310_DMAR)
    # Thomas Krause's XPS 13 9310 boot log (linux-wireless, 2020-11-04, quoted by tglx):
    s.vtd("dmar0", "4:0", "1c0000c40660462", "69e2ff0505e", "fed90000")
    s.vtd("dmar1", "1:0", "d2008c40660462", "f050da", "fed84000")
    s.vtd("dmar2", "1:0", "d2008c40660462", "f050da", "fed86000")
    # fed91000 (the INCLUDE_ALL unit): Peter Zijlstra's Tiger Lake NUC11PAHi7 boot log.
    s.vtd("dmar3", "1:0", "d2008c40660462", "f050da", "fed91000")
    s.file("/proc/interrupts", lsirq_to_proc(SRV02_LSIRQ))
    return s



NOT_CAPTURED = "not captured: the public source this fixture was built from lacks it"

# AMD "AmdTable" IVRS: iasl disassembly "Disassembly of ./encoded/ivrs.dat, Mon Sep 9 22:23:42 2024"
# (AML/ASL+ Disassembler 20220331), Raw Table Data, 420 bytes.
AMD_IVRS = hexdump_bytes("""
    0000: 49 56 52 53 A4 01 00 00 02 1F 41 4D 44 20 20 00
    0010: 41 6D 64 54 61 62 6C 65 01 00 00 00 41 4D 44 20
    0020: 00 00 00 00 41 30 20 00 00 00 00 00 00 00 00 00
    0030: 10 B0 48 00 02 00 40 00 00 00 30 FD 00 00 00 00
    0040: 00 00 00 00 6F 8F 04 80 03 08 00 00 04 FE FF 00
    0050: 43 00 FF 00 00 A5 00 00 04 FF FF 00 00 00 00 00
    0060: 48 00 00 00 00 A0 00 02 48 00 00 D7 21 A0 00 01
    0070: 48 00 00 00 22 01 00 01 11 B0 58 00 02 00 40 00
    0080: 00 00 30 FD 00 00 00 00 00 00 00 00 00 02 04 00
    0090: DE 4A 25 22 EF 73 6D 20 00 00 00 00 00 00 00 00
    00A0: 03 08 00 00 04 FE FF 00 43 00 FF 00 00 A5 00 00
    00B0: 04 FF FF 00 00 00 00 00 48 00 00 00 00 A0 00 02
    00C0: 48 00 00 D7 21 A0 00 01 48 00 00 00 22 01 00 01
    00D0: 40 B0 D4 00 02 00 40 00 00 00 30 FD 00 00 00 00
    00E0: 00 00 00 00 00 02 04 00 DE 4A 25 22 EF 73 6D 20
    00F0: 00 00 00 00 00 00 00 00 03 08 00 00 04 FE FF 00
    0100: 43 00 FF 00 00 A5 00 00 04 FF FF 00 00 00 00 00
    0110: 48 00 00 00 00 A0 00 02 48 00 00 D7 21 A0 00 01
    0120: 48 00 00 00 22 01 00 01 F0 A5 00 40 41 4D 44 49
    0130: 30 30 32 30 00 00 00 00 00 00 00 00 02 09 5C 5F
    0140: 53 42 2E 46 55 52 30 F0 A5 00 40 41 4D 44 49 30
    0150: 30 32 30 00 00 00 00 00 00 00 00 02 09 5C 5F 53
    0160: 42 2E 46 55 52 31 F0 A5 00 40 41 4D 44 49 30 30
    0170: 32 30 00 00 00 00 00 00 00 00 02 09 5C 5F 53 42
    0180: 2E 46 55 52 32 F0 A5 00 40 41 4D 44 49 30 30 32
    0190: 30 00 00 00 00 00 00 00 00 02 09 5C 5F 53 42 2E
    01A0: 46 55 52 33
""")

# QEMU 4.2 build_dmar_q35() (hw/i386/acpi-build.c): header "DMAR" rev 1, OEM "BOCHS ",
# table ID "BXPCDMAR", creator "BXPC" 1 (as Alok's QEMU 4.2.1 guest logged it: "ACPI: DMAR ...
# 000048 (v01 BOCHS BXPCDMAR 00000001 BXPC 00000001)"); host address width aw_bits-1 = 38;
# flags 0x1 (INT_REMAP, intremap=on); one DRHD: INCLUDE_PCI_ALL, segment 0, 0xfed90000
# (Q35_HOST_BRIDGE_IOMMU_ADDR), IOAPIC scope id 0 (ACPI_BUILD_IOAPIC_ID), bus 0xff
# (Q35_PSEUDO_BUS_PLATFORM), path 00.0 (Q35_PSEUDO_DEVFN_IOAPIC).
QEMU42_DMAR = acpi_table(
    "DMAR", 1, "BOCHS ", "BXPCDMAR", 1, "BXPC", 1,
    bytes([38, 0x01]) + bytes(10)
    + struct.pack("<HHBBHQ", 0, 24, 1, 0, 0, 0xFED90000)
    + bytes([3, 8, 0, 0, 0, 0xFF, 0, 0]))

# guestlab.md row d1: real virtio-net features string of a QEMU 7.2 guest with
# iommu_platform=on,disable-legacy=on (bits 32 and 33 set).
D1_NET_FEATURES = "0010010000000001111101010000110011000000100000000000000000000000"


def intel_tgl_laptop_nonroot():
    s = intel_tgl_laptop("caps-intel-tgl-laptop-metal-nonroot")
    os.remove(s.p("/sys/firmware/acpi/tables/DMAR"))
    s.unread("/sys/firmware/acpi/tables/DMAR", "permission denied (root only)")
    return s


def qemu_vtd_cm_guest():
    s = Snap("caps-qemu-q35-vtd-cm-guest")
    # DMI of a QEMU q35 guest (guestlab.md row a, a real TCG capture).
    s.dmi({"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)", "bios_vendor": "SeaBIOS"})
    s.file("/sys/firmware/acpi/tables/DMAR", QEMU42_DMAR)
    # Alok's QEMU 4.2.1 guest (intel-iommu with caching mode; qemu-devel, 2020):
    s.vtd("dmar0", "1:0", "12008c22260286", "f00f5a", "fed90000")
    # virtio-net modern with iommu_platform=on (guestlab d1: 0000:00:02.0 1af4:1041).
    s.pci("0000:00:02.0", 0x1AF4, 0x1041, 0x020000, driver="virtio-pci", group=1)
    s.virtio("virtio0", "0000:00:02.0", 1, D1_NET_FEATURES, "virtio_net")
    # Scenario of seed 003: a transitional virtio-net (1af4:1000, the QEMU default without
    # disable-legacy, which cannot have iommu_platform) rebound to vfio-pci for a nested guest.
    s.pci("0000:00:03.0", 0x1AF4, 0x1000, 0x020000, driver="vfio-pci", group=2)
    s.unread("/proc/interrupts", NOT_CAPTURED)
    return s


def qemu_virtio_iommu_guest():
    s = Snap("caps-qemu-virtio-iommu-guest")
    s.dmi({"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)", "bios_vendor": "SeaBIOS"})
    # virtio-iommu-pci: 1af4:1057 (1040h + VIRTIO_ID_IOMMU 23); Linux names the IOMMU after the
    # virtio device (viommu_probe: iommu_device_sysfs_add(..., dev, NULL, "%s", virtio_bus_name(vdev))).
    s.pci("0000:00:03.0", 0x1AF4, 0x1057, 0x088000, driver="virtio-pci")
    s.virtio("virtio0", "0000:00:03.0", 23, features([32, 33]), "virtio_iommu")
    s.link("/sys/class/iommu/virtio0", "../../devices/pci0000:00/0000:00:03.0/virtio0/iommu/virtio0")
    os.makedirs(s.p("/sys/devices/pci0000:00/0000:00:03.0/virtio0/iommu/virtio0"), exist_ok=True)
    # virtio-net behind it with iommu_platform=on (features as guestlab d1) in group 0, and a
    # virtio-blk without ACCESS_PLATFORM (VERSION_1 only): it bypasses the virtio-iommu.
    s.pci("0000:00:02.0", 0x1AF4, 0x1041, 0x020000, driver="virtio-pci", group=0)
    s.virtio("virtio1", "0000:00:02.0", 1, D1_NET_FEATURES, "virtio_net")
    s.pci("0000:00:04.0", 0x1AF4, 0x1042, 0x010000, driver="virtio-pci", group=1)
    s.virtio("virtio2", "0000:00:04.0", 2, features([32]), "virtio_blk")
    s.group(0, "DMA")
    s.group(1, "DMA")
    s.unread("/proc/interrupts", NOT_CAPTURED)
    return s


def amd_ivrs_root():
    s = Snap("caps-amd-ivrs-metal")
    s.file("/sys/firmware/acpi/tables/IVRS", AMD_IVRS)
    # Linux copies the IVHD 11h/40h EFR image into iommu->features when IVinfo.EFRSup is set
    # (drivers/iommu/amd/init.c early_iommu_features_init); older kernels print it as "%llx".
    s.amd("ivhd0", "0000:00:00.2", None, "206d73ef22254ade")
    s.unread("/proc/interrupts", NOT_CAPTURED)
    s.unread("/sys/bus/pci/devices", NOT_CAPTURED)
    return s


def bad_inputs():
    s = Snap("caps-bad-inputs")
    s.dmi({"sys_vendor": "QEMU"})
    good = bytearray(QEMU42_DMAR)
    s.file("/sys/firmware/acpi/tables/DMAR", bytes(good[:60]))  # truncated: length says 72
    bad_ivrs = bytearray(AMD_IVRS)
    bad_ivrs[0x40] ^= 0xFF  # corrupt: checksum no longer sums to zero
    s.file("/sys/firmware/acpi/tables/IVRS", bytes(bad_ivrs))
    # A config space whose capability list loops (0x40 -> 0x48 -> 0x40).
    loop = config_space(0x8086, 0x10D3, caps=[(0x40, 0x01, b""), (0x48, 0x05, b"\x00\x00")], size=256)
    loop = bytearray(loop)
    loop[0x49] = 0x40
    s.pci("0000:00:04.0", 0x8086, 0x10D3, 0x020000, config=bytes(loop))
    # A 256-byte config space whose capability pointer (0xf8) runs past its end for MSI-X.
    short = config_space(0x8086, 0x10D3, caps=[(0xF8, 0x11, b"\x00\x00")], size=256)
    s.pci("0000:00:05.0", 0x8086, 0x10D3, 0x020000, config=short)
    s.pci("0000:00:06.0", 0x1AF4, 0x1041, 0x020000, driver="virtio-pci")
    s.virtio("virtio0", "0000:00:06.0", 1, "0101x0" + "0" * 58, "virtio_net")
    s.file("/proc/interrupts", "garbage without a CPU header\n")
    return s

BUILDERS = {
    "caps-intel-tgl-laptop-metal": intel_tgl_laptop,
    "caps-intel-tgl-laptop-metal-nonroot": intel_tgl_laptop_nonroot,
    "caps-qemu-q35-vtd-cm-guest": qemu_vtd_cm_guest,
    "caps-qemu-virtio-iommu-guest": qemu_virtio_iommu_guest,
    "caps-amd-ivrs-metal": amd_ivrs_root,
    "caps-bad-inputs": bad_inputs,
}

def import_guests(results, guests):
    """Copies real guest snapshots from a tests/guestlab run (`cache/results/<platform>/`) into
    tests/fixtures/caps-guest-<platform>/, with SOURCE.md from the run's PROVENANCE and the
    guest kernel's IOMMU lines."""
    for plat, (what, expected) in guests.items():
        src = os.path.join(results, plat)
        if not os.path.isdir(os.path.join(src, "snapshot")):
            print("skipped", plat, "(no snapshot in", src + ")")
            continue
        dst = os.path.join(FIX, "caps-guest-" + plat)
        if os.path.exists(dst):
            shutil.rmtree(dst)
        shutil.copytree(os.path.join(src, "snapshot"), dst, symlinks=True)
        prov = open(os.path.join(src, "PROVENANCE")).read()
        prov = prov.replace(os.path.dirname(os.path.dirname(os.path.abspath(results))), "tests/guestlab")
        kmsg = [l for l in open(os.path.join(src, "guest-dmesg.txt"), errors="replace").read().splitlines()
                if any(k in l for k in ("DMAR", "AMD-Vi", "iommu", "IOMMU", "IVRS", "x2apic", "virtio"))]
        with open(os.path.join(dst, "SOURCE.md"), "w") as f:
            f.write(f"# caps-guest-{plat} (a real QEMU guest, root capture)\n\n{what}.\n\n"
                    "Captured by tests/guestlab/run-matrix (branch guestlab) with this branch's vcap "
                    "inside the guest (`vcap snapshot /snap` as root); nothing here is constructed.\n\n"
                    "## Provenance\n```\n" + prov.strip() + "\n```\n\n"
                    "## Guest kernel log (IOMMU, remapping and virtio lines)\n```\n"
                    + "\n".join(kmsg[:40]) + "\n```\n")
        with open(os.path.join(dst, "expected-capabilities.json"), "w") as f:
            json.dump(expected, f, indent=2)
            f.write("\n")
        print("imported", dst)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    from capsfixture_docs import DOCS, GUESTS  # SOURCE.md text and expected decisions per fixture
    if len(sys.argv) == 3 and sys.argv[1] == "--import-guests":
        import_guests(sys.argv[2], GUESTS)
        sys.exit(0)
    for name, build in BUILDERS.items():
        s = build()
        src, expected = DOCS[name]
        s.finish(src, expected)
        print("wrote", s.dir)
