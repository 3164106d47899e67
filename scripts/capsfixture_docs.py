"""SOURCE.md text and expected capability decisions of the caps-* fixtures (see
mkcapsfixtures.py). Each expectation follows from the cited register values and the rules of
docs/capabilities.md; the comment next to it gives the bit that decides."""

TGL_SOURCES = """
## Sources (a composite: the pieces come from machines of one class, not one machine)
* `sys/firmware/acpi/tables/DMAR` (root capture only): the exact bytes of a Dell XPS 13 9310's
  DMAR, iasl "Raw Table Data: Length 184 (0xB8)" in major/xps13-9310-dsdt `dmar.dsl`
  (disassembled 2021-07-17). Flags 0x01 (INTR_REMAP, no x2APIC opt-out); DRHDs fed90000 (iGPU
  00:02.0), fed84000 (bridge 00:07.0), fed86000 (bridge 00:07.2), fed91000 (INCLUDE_PCI_ALL,
  IOAPIC 2 at 1e.7, HPET 0 at 1e.6); one RMRR. Its checksum (0x85) verifies.
* `sys/class/iommu/dmar0..2` (`intel-iommu/{version,address,cap,ecap}`, world-readable; `address`
  is the `reg_base_addr` the log prints, both are `iommu->reg_phys`): Thomas
  Krause's XPS 13 9310 boot log quoted by Thomas Gleixner on linux-wireless, 2020-11-04
  ("DMAR: dmar0: reg_base_addr fed90000 ver 4:0 cap 1c0000c40660462 ecap 69e2ff0505e",
  "dmar1: reg_base_addr fed84000 ver 1:0 cap d2008c40660462 ecap f050da", "dmar2: ... fed86000
  ver 1:0 cap d2008c40660462 ecap f050da"). That BIOS (1.1.1) reported the fed91000 unit at
  address 0, so `dmar3` (fed91000) is taken from Peter Zijlstra's Tiger Lake NUC11PAHi7 boot log
  (LKML "earlyprintk=xdbc seems broken", 2021-12-21: "dmar3: reg_base_addr fed91000 ver 1:0 cap
  d2008c40660462 ecap f050da"), the same value the XPS 13 9360 and other client parts report.
* `proc/interrupts`: the `lsirq` of "srv02", an i7-8750H laptop (cvdg/wnnr docs/srv02/irq.md),
  converted: chip and hwirq columns as printed, the TOTAL count in a single CPU0 column (the
  per-CPU split is not in the source). Only the chip names matter: IR-PCI-MSI, IR-IO-APIC,
  DMAR-MSI.
* DMI: sys_vendor "Dell Inc." and product_name "XPS 13 9310" (the model named by both sources).
No CPUID, cpuinfo or PCI device list was in these sources: they are absent.
"""

DOCS = {
    "caps-intel-tgl-laptop-metal": ("""
# caps-intel-tgl-laptop-metal (root snapshot)
Intel Tiger Lake laptop with VT-d interrupt remapping, bare metal.
""" + TGL_SOURCES + """
## Decisions exercised
* interrupt remapping YES, hardware, x2APIC: IR chips in /proc/interrupts; ECAP.IR (bit 3) = 1
  and ECAP.EIM (bit 4) = 1 on all four units (0x...5e, 0x...da); DMAR flags 0x01 (no opt-out).
* IMS YES: MSIs on IR-PCI-MSI, every unit CAP.CM (bit 7) = 0 (0x...62), DMAR OEM "INTEL ",
  verdict bare metal (Dell DMI).
* PASID NO: ECAP.PASID (bit 40) = 0 and ECAP.SMTS (bit 43) = 0 on every unit.
""", {
        "interrupt_remapping": {"verdict": "yes", "virtual": False, "mode": "x2apic",
                                "x2apic_opt_out": False,
                                "units": ["dmar0", "dmar1", "dmar2", "dmar3"]},
        "ims": {"verdict": "yes", "candidates": []},
        "pasid": {"verdict": "no"},
        "dma": [],
        "malformed": [],
    }),
    "caps-intel-tgl-laptop-metal-nonroot": ("""
# caps-intel-tgl-laptop-metal-nonroot (normal-user snapshot)
The same machine class as caps-intel-tgl-laptop-metal, captured without root: the DMAR table
(mode 0400) is listed in vcap-unreadable.txt; sysfs cap/ecap and /proc/interrupts are
world-readable.
""" + TGL_SOURCES + """
## Decisions exercised
* interrupt remapping YES, hardware, mode UNKNOWN: EIM = 1 but the x2APIC opt-out flag lives in
  the unreadable DMAR table.
* IMS YES: the CM = 0 registers and the IR chips are readable without root.
* PASID NO.
""", {
        "interrupt_remapping": {"verdict": "yes", "virtual": False, "mode": "unknown",
                                "x2apic_opt_out": None},
        "ims": {"verdict": "yes"},
        "pasid": {"verdict": "no"},
        "malformed": [],
    }),
    "caps-qemu-q35-vtd-cm-guest": ("""
# caps-qemu-q35-vtd-cm-guest (root snapshot of a QEMU q35 guest with an emulated VT-d)
## Sources
* `sys/class/iommu/dmar0`: Alok's QEMU 4.2.1 guest with intel_iommu=on (qemu-devel / kvm
  list, 2020): "ACPI: DMAR ... 000048 (v01 BOCHS BXPCDMAR 00000001 BXPC 00000001)",
  "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap 12008c22260286 ecap f00f5a": CAP.CM (bit 7)
  = 1 (0x86), ECAP.IR = 1, ECAP.EIM = 1 (0x5a).
* `sys/firmware/acpi/tables/DMAR`: the 72 bytes QEMU 4.2 `build_dmar_q35()` writes for
  intremap=on (see scripts/mkcapsfixtures.py QEMU42_DMAR: header OEM "BOCHS "/"BXPCDMAR" as in
  the log above, width 38, flags 0x1, one INCLUDE_PCI_ALL DRHD at fed90000 with the IOAPIC
  scope). Built from QEMU's source, checksum computed.
* DMI: QEMU q35 strings from guestlab.md row a (a real TCG capture).
* `0000:00:02.0` 1af4:1041 virtio-net with the features string of guestlab.md row d1 (a real
  capture with iommu_platform=on,disable-legacy=on; bits 32 and 33 set), group 1.
* `0000:00:03.0` 1af4:1000 bound to vfio-pci, group 2: a constructed scenario (seed 003, Andy
  Lutomirski: "an L1 guest with an IOMMU-bypassing virtio device ... assigns it to L2 using
  vfio, then *boom* L1 crashes"); QEMU refuses iommu_platform on a transitional device
  (guestlab.md d3), so such a device may bypass the IOMMU.
* /proc/interrupts: not in the sources (vcap-unreadable.txt).
## Decisions exercised
* interrupt remapping UNKNOWN (not observed), unit virtual: CM = 1 and QEMU's OEM ID.
* IMS NO: a virtual unit without a negotiated scheme denies IMS whether or not it remaps.
* PASID NO: ECAP.PASID = 0 (0xf00f5a < 2^40).
* DMA: 00:02.0 through the IOMMU (ACCESS_PLATFORM, group 1); 00:03.0 unknown and a HAZARD.
""", {
        "interrupt_remapping": {"verdict": "unknown", "virtual": True},
        "ims": {"verdict": "no"},
        "pasid": {"verdict": "no"},
        "dma": [
            {"device": "0000:00:02.0", "verdict": "yes", "path": "iommu", "hazard": False},
            {"device": "0000:00:03.0", "verdict": "unknown", "path": "unknown", "hazard": True},
        ],
        "malformed": [],
    }),
    "caps-qemu-virtio-iommu-guest": ("""
# caps-qemu-virtio-iommu-guest (a QEMU guest with virtio-iommu-pci)
## Sources
* virtio-iommu-pci is PCI 1af4:1057 (modern ID 1040h + VIRTIO_ID_IOMMU 23,
  include/uapi/linux/virtio_ids.h); Linux registers the IOMMU under the virtio device's name
  (drivers/iommu/virtio-iommu.c viommu_probe: iommu_device_sysfs_add(&viommu->iommu, dev, NULL,
  "%s", virtio_bus_name(vdev))), so /sys/class/iommu/virtio0 links below 0000:00:03.0/virtio0.
* 0000:00:02.0 virtio-net 1af4:1041 with the guestlab.md d1 features (ACCESS_PLATFORM), group 0
  (DMA); 0000:00:04.0 virtio-blk 1af4:1042 negotiated VERSION_1 only (iommu_platform off),
  group 1. Layout built from those rules, not captured (the guestlab kernel has
  CONFIG_VIRTIO_IOMMU unset, guestlab.md).
* DMI: QEMU q35 (guestlab.md row a).
## Decisions exercised
* interrupt remapping UNKNOWN, virtual (virtio-iommu has no interrupt remapping on x86).
* IMS NO (virtual unit). PASID NO (no unit advertises it).
* DMA: 00:02.0 iommu; 00:03.0 (the virtio-iommu itself, in no group) unknown; 00:04.0 bypass.
""", {
        "interrupt_remapping": {"verdict": "unknown", "virtual": True},
        "ims": {"verdict": "no"},
        "pasid": {"verdict": "no"},
        "dma": [
            {"device": "0000:00:02.0", "verdict": "yes", "path": "iommu", "hazard": False},
            {"device": "0000:00:03.0", "verdict": "unknown", "path": "unknown", "hazard": False},
            {"device": "0000:00:04.0", "verdict": "no", "path": "bypass", "hazard": False},
        ],
        "malformed": [],
    }),
    "caps-amd-ivrs-metal": ("""
# caps-amd-ivrs-metal (root snapshot, AMD IOMMU tables only)
## Sources
* `sys/firmware/acpi/tables/IVRS`: the exact 420 bytes of an AMD "AmdTable" IVRS (revision 2,
  IVinfo 0x00203041: EFRSup) from an iasl disassembly "Disassembly of ./encoded/ivrs.dat, Mon
  Sep 9 22:23:42 2024" (Raw Table Data; the public code index names no repository for it). IVHD
  types 10h, 11h and 40h at fd300000, each with IOAPIC special entries; EFR image
  0x206d73ef22254ade. Its checksum (0x1f) verifies.
* `ivhd0/amd-iommu/features`: that EFR image, as Linux copies it when IVinfo.EFRSup is set
  (drivers/iommu/amd/init.c early_iommu_features_init) and older kernels print it (`%llx`).
  The capability header (`cap`) is not in the table and is absent.
* /proc/interrupts and the PCI list: not in the source (vcap-unreadable.txt). No DMI.
## Decisions exercised
* interrupt remapping UNKNOWN; IMS UNKNOWN (nothing shows the parent domain).
* PASID UNKNOWN: EFR GTSup (bit 4) = 1, PPRSup (bit 1) = 1, PASmax (bits 36:32) = 15 on the
  IOMMU side, but the devices were not read.
""", {
        "interrupt_remapping": {"verdict": "unknown", "virtual": None},
        "ims": {"verdict": "unknown"},
        "pasid": {"verdict": "unknown", "iommu_units": ["ivhd0"]},
        "dma": [],
        "malformed": [],
    }),
    "caps-bad-inputs": ("""
# caps-bad-inputs (malformed inputs; issue 4 item 5)
Every input here is broken on purpose; each must become a "malformed" record naming the file
and the offset, never a panic, a hang or a decision.
* DMAR: QEMU 4.2's 72-byte table (see caps-qemu-q35-vtd-cm-guest) cut to 60 bytes: the length
  field (offset 4) runs past the bytes read.
* IVRS: the AMD table of caps-amd-ivrs-metal with byte 0x40 inverted: the checksum (offset 9)
  no longer sums to zero.
* 0000:00:04.0 config: a capability list 0x40 -> 0x48 -> 0x40 (loop at 0x40).
* 0000:00:05.0 config: 256 bytes with an MSI-X capability at 0xf8 whose PBA field (0x100)
  lies past the end.
* virtio0 features: "0101x0…" (junk at offset 4).
* /proc/interrupts: no CPU header (line 1).
* DMI: QEMU (so the verdict is a VM).
""", {
        "interrupt_remapping": {"verdict": "unknown"},
        "ims": {"verdict": "no"},
        "malformed": [
            {"source": "/proc/interrupts", "offset": 1},
            {"source": "/sys/firmware/acpi/tables/DMAR", "offset": 4},
            {"source": "/sys/firmware/acpi/tables/IVRS", "offset": 9},
            {"source": "/sys/bus/pci/devices/0000:00:04.0/config", "offset": 64},
            {"source": "/sys/bus/pci/devices/0000:00:05.0/config", "offset": 256},
            {"source": "/sys/bus/virtio/devices/virtio0/features", "offset": 4},
        ],
    }),
}

# ---------------------------------------------------------------------------------------------
# Real QEMU guests captured by tests/guestlab/run-matrix (branch guestlab, harness at 543b236)
# running this branch's vcap inside: `vcap snapshot /snap` as root in the guest. Each entry:
# (platform, what it shows, expected decisions). Expectations follow from the QEMU command line
# (in SOURCE.md) and the rules; the comments give the deciding fact.

def _dma(paths):
    return [{"device": d, "verdict": v, "path": p, "hazard": False} for d, v, p in paths]

Q35 = ["0000:00:00.0", "0000:00:01.0", "0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"]
PC = ["0000:00:00.0", "0000:00:01.0", "0000:00:01.1", "0000:00:01.3", "0000:00:02.0"]

GUESTS = {
    "q35": ("plain q35: no IOMMU, MSIs on the vector domain", {
        "interrupt_remapping": {"verdict": "no", "virtual": None, "units": []},
        "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([(d, "no", "no-iommu") for d in Q35]), "malformed": []}),
    "intel-iommu-ir": ("VT-d with intremap=on (caching mode off: CM = 0), EIM off under TCG", {
        # IR-PCI-MSI chips; CAP.CM = 0 but QEMU's OEM "BOCHS " and the VM verdict make it virtual;
        # ECAP.EIM = 0 -> xapic; every device in an IOMMU group.
        "interrupt_remapping": {"verdict": "yes", "virtual": True, "mode": "xapic", "units": ["dmar0"],
                                "x2apic_opt_out": False},
        "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([(d, "yes", "iommu") for d in Q35[:2] + ["0000:00:02.0"] + Q35[2:]]),
        "malformed": []}),
    "intel-iommu-noir": ("VT-d with intremap=off: DMA remapping only", {
        "interrupt_remapping": {"verdict": "no", "virtual": True, "units": []},
        "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([(d, "yes", "iommu") for d in Q35[:2] + ["0000:00:02.0"] + Q35[2:]]),
        "malformed": []}),
    "intel-iommu-cm": ("VT-d with intremap=on and caching-mode=on (CAP.CM = 1)", {
        "interrupt_remapping": {"verdict": "yes", "virtual": True, "mode": "xapic", "units": ["dmar0"]},
        "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([(d, "yes", "iommu") for d in Q35[:2] + ["0000:00:02.0"] + Q35[2:]]),
        "malformed": []}),
    "intel-iommu-scalable": ("VT-d in scalable mode with PASID (x-scalable-mode=on,x-pasid-mode=on), intel_iommu=on,sm_on", {
        # ECAP.PASID = 1 and ECAP.SMTS = 1, but no emulated device has a PCIe PASID capability.
        "interrupt_remapping": {"verdict": "yes", "virtual": True, "units": ["dmar0"]},
        "ims": {"verdict": "no"},
        "pasid": {"verdict": "no", "iommu_units": ["dmar0"], "devices": []},
        "dma": _dma([(d, "yes", "iommu") for d in Q35[:2] + ["0000:00:02.0"] + Q35[2:]]),
        "malformed": []}),
    "intel-iommu-dma-off": ("VT-d intremap=on booted with intel_iommu=off: remapping on, DMA translation off", {
        # IR chips, but no unit is registered in /sys/class/iommu and no IOMMU group exists.
        "interrupt_remapping": {"verdict": "yes", "virtual": True, "units": []},
        "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([(d, "no", "no-iommu") for d in Q35[:2] + ["0000:00:02.0"] + Q35[2:]]),
        "malformed": []}),
    "amd-iommu": ("QEMU's AMD IOMMU with intremap=on (generic kernel)", {
        # IR chips; NpCache = 1 in the capability header and IVRS OEM "BOCHS "; EFR XTSup = 0;
        # PASmax = 0. 00:02.0 is the IOMMU's own PCI function (1022:0010), in no group.
        "interrupt_remapping": {"verdict": "yes", "virtual": True, "mode": "xapic", "units": ["ivhd0"]},
        "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([("0000:00:00.0", "yes", "iommu"), ("0000:00:01.0", "yes", "iommu"),
                     ("0000:00:02.0", "unknown", "unknown"), ("0000:00:03.0", "yes", "iommu"),
                     ("0000:00:1f.0", "yes", "iommu"), ("0000:00:1f.2", "yes", "iommu"),
                     ("0000:00:1f.3", "yes", "iommu")]),
        "malformed": []}),
    "virtio-iommu": ("virtio-iommu-pci present, but Debian's kernel has no virtio-iommu driver", {
        # No unit registered, no group: no IOMMU in use. The virtio-iommu device's own virtio
        # function negotiated no ACCESS_PLATFORM (bypass); virtio-net has it but no IOMMU.
        "interrupt_remapping": {"verdict": "no", "units": []},
        "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([("0000:00:00.0", "no", "no-iommu"), ("0000:00:01.0", "no", "no-iommu"),
                     ("0000:00:02.0", "no", "bypass"), ("0000:00:03.0", "no", "no-iommu"),
                     ("0000:00:1f.0", "no", "no-iommu"), ("0000:00:1f.2", "no", "no-iommu"),
                     ("0000:00:1f.3", "no", "no-iommu")]),
        "malformed": []}),
    "virtio-net-modern-ap": ("modern-only virtio-net with iommu_platform=on, no IOMMU", {
        "interrupt_remapping": {"verdict": "no"}, "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([(d, "no", "no-iommu") for d in Q35[:2] + ["0000:00:02.0"] + Q35[2:]]),
        "malformed": []}),
    "virtio-net-transitional": ("QEMU's default transitional virtio-net (1af4:1000) on pc: VERSION_1 without ACCESS_PLATFORM", {
        "interrupt_remapping": {"verdict": "no"}, "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([(d, "no", "no-iommu") for d in PC] + [("0000:00:03.0", "no", "bypass")]),
        "malformed": []}),
    "virtio-net-legacy": ("legacy-only virtio-net (disable-modern=on): no VERSION_1", {
        "interrupt_remapping": {"verdict": "no"}, "ims": {"verdict": "no"}, "pasid": {"verdict": "no"},
        "dma": _dma([(d, "no", "no-iommu") for d in PC] + [("0000:00:03.0", "no", "bypass")]),
        "malformed": []}),
}
