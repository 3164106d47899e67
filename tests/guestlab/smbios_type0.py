#!/usr/bin/env python3
"""Builds a raw SMBIOS type 0 ("BIOS Information") structure for QEMU's `-smbios file=`.

Why: QEMU 7.2 sets BIOS Characteristics Extension Byte 2 bit 4 ("System is a virtual machine") in every
type 0 table it builds from `-smbios type=0,...` (hw/smbios/smbios.c, smbios_build_type_0_table:
`t->bios_characteristics_extension_bytes[1] = 0x14`), and has no option to clear it. A real bare-metal
machine has the bit clear, so platforms that imitate one pass this blob instead.

Layout (DMTF DSP0134 section 7.1, SMBIOS 2.4+, formatted length 0x18):
  0x00 type (0)            0x01 length (0x18)          0x02 handle (WORD)
  0x04 vendor (string 1)   0x05 BIOS version (string 2) 0x06 start segment (WORD)
  0x08 release date (string 3)  0x09 ROM size ((n+1)*64K)  0x0A characteristics (QWORD)
  0x12 extension byte 1    0x13 extension byte 2 (bit 4: VM, bit 3: UEFI, bit 2: targeted content)
  0x14 system BIOS major   0x15 minor   0x16 EC firmware major   0x17 minor
then the strings, each NUL-terminated, and one more NUL.
"""

import argparse
import struct
import sys

EXT2_TARGETED_CONTENT = 1 << 2  # "Enable targeted content distribution" (QEMU always sets it)
EXT2_UEFI = 1 << 3  # "UEFI Specification is supported"
EXT2_VM = 1 << 4  # "SMBIOS table describes a virtual machine"
# Characteristics bit 3: "BIOS Characteristics are not supported" (what QEMU writes too).
CHARACTERISTICS_NOT_SUPPORTED = 1 << 3


def build(vendor, version, date, vm=False, uefi=False, major=1, minor=0):
    """Returns the bytes of one type 0 structure with these strings and the VM/UEFI bits as given."""
    for name, s in (("vendor", vendor), ("version", version), ("date", date)):
        if not s or "\0" in s:
            raise ValueError(f"SMBIOS type 0 {name} must be a non-empty string without NUL: {s!r}")
    ext2 = EXT2_TARGETED_CONTENT | (EXT2_VM if vm else 0) | (EXT2_UEFI if uefi else 0)
    head = struct.pack(
        "<BBHBBHBBQBBBBBB",
        0,  # type
        0x18,  # formatted length
        0x0000,  # handle
        1,  # vendor: string 1
        2,  # BIOS version: string 2
        0xE800,  # BIOS starting address segment
        3,  # release date: string 3
        0,  # ROM size: 64 KiB
        CHARACTERISTICS_NOT_SUPPORTED,
        0x00,  # extension byte 1
        ext2,
        major,
        minor,
        0xFF,  # embedded controller firmware: none
        0xFF,
    )
    assert len(head) == 0x18
    strings = b"".join(s.encode("ascii") + b"\0" for s in (vendor, version, date)) + b"\0"
    return head + strings


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vendor", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--vm", action="store_true", help="set the 'virtual machine' bit")
    p.add_argument("--uefi", action="store_true", help="set the 'UEFI supported' bit")
    p.add_argument("out")
    a = p.parse_args(argv)
    with open(a.out, "wb") as f:
        f.write(build(a.vendor, a.version, a.date, a.vm, a.uefi))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
