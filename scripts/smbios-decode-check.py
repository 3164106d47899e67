#!/usr/bin/env python3
"""Decode every fixture's sys/firmware/dmi/entries/0-0/raw with the real dmidecode.

Wraps the type 0 structure in a minimal SMBIOS 3.0 table (entry point at offset 0, table at
offset 32, as `dmidecode --dump-bin` lays out files) followed by an End-of-Table structure, and
prints `dmidecode --from-dump FILE -t 0`. Used to check that the derived bytes decode back to
the dmidecode text each fixture's SOURCE.md cites. Needs the Debian package `dmidecode`.
"""
import glob
import os
import struct
import subprocess
import sys
import tempfile

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
for raw_path in sorted(glob.glob(os.path.join(root, "*", "sys/firmware/dmi/entries/0-0/raw"))):
    name = raw_path[len(root) + 1:].split("/")[0]
    if len(sys.argv) > 1 and name not in sys.argv[1:]:
        continue
    raw = open(raw_path, "rb").read()
    table = raw + bytes([127, 4, 0xFF, 0xFE, 0, 0])
    ep = bytearray(b"_SM3_" + bytes([0, 0x18, 3, 0, 0, 1, 0]) + struct.pack("<IQ", len(table), 32))
    ep[5] = (-sum(ep)) & 0xFF
    blob = bytes(ep).ljust(32, b"\0") + table
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(blob)
    out = subprocess.run(["dmidecode", "--from-dump", f.name, "-t", "0"], capture_output=True,
                         text=True).stdout
    os.unlink(f.name)
    body = out.split("BIOS Information", 1)[-1]
    print("=== %s (%d bytes, byte 0x13 = 0x%02x)" % (name, len(raw), raw[0x13] if len(raw) > 0x13 else -1))
    print("BIOS Information" + body.rstrip())
