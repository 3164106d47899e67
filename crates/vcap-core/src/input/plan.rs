//! What the probe reads, as data: files, existence checks, directory walks, and how much of each.
//! The probe executes this plan against the live system or a snapshot; the snapshot writer stores
//! exactly what it read. A signal that needs a new input adds a row here.

/// Default size limit for one sysfs or procfs attribute.
pub const ATTR_LIMIT: usize = 4096;

/// One file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSpec {
    /// Absolute path on the probed machine.
    pub path: &'static str,
    /// At most this many bytes are read; the rest is reported as truncated.
    pub limit: usize,
    /// What the file tells when it can be read (shown when it cannot).
    pub tells: &'static str,
}

/// A directory whose entries are each visited: files read and links recorded inside every entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkSpec {
    /// The directory to list (bus and class directories whose entries are links).
    pub dir: &'static str,
    /// Files read inside each entry, with their size limits.
    pub files: &'static [(&'static str, usize)],
    /// Links inside each entry whose target text is recorded without following them.
    pub links: &'static [&'static str],
    /// One file that carries several of `files` at once, read in their place (but for snapshots).
    pub summary: Option<Summary>,
    /// What the walk tells.
    pub tells: &'static str,
}

/// A walk entry's file that carries several of its attributes in one read (PCI's `modalias`:
/// vendor, device and both subsystem IDs). Detection and the full report read it instead of
/// them, and read them only when it cannot be read (snapshots taken before it was in the plan);
/// snapshots keep both. Where it was read, decisions use it alone, so a replayed snapshot
/// decides as the live run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// File name inside the entry.
    pub file: &'static str,
    /// The entry's files it carries.
    pub covers: &'static [&'static str],
}

const fn f(path: &'static str, tells: &'static str) -> FileSpec {
    FileSpec {
        path,
        limit: ATTR_LIMIT,
        tells,
    }
}

/// The DMI identity fields read from `/sys/class/dmi/id` (all world-readable, 0444).
pub const DMI_FIELDS: &[&str] = &[
    "sys_vendor",
    "product_name",
    "product_version",
    "product_family",
    "product_sku",
    "board_vendor",
    "board_name",
    "bios_vendor",
    "bios_version",
    "bios_date",
    "chassis_vendor",
    "chassis_type",
    "chassis_asset_tag",
];

/// The DMI directory.
pub const DMI_DIR: &str = "/sys/class/dmi/id";

/// The raw SMBIOS type 0 (BIOS information) structure; root-only (0400).
pub const SMBIOS_TYPE0: &str = "/sys/firmware/dmi/entries/0-0/raw";

/// Single files the probe reads.
pub const FILES: &[FileSpec] = &[
    FileSpec {
        path: SMBIOS_TYPE0,
        limit: 64 * 1024,
        tells: "the SMBIOS \"system is a virtual machine\" bit (type 0, BIOS characteristics extension byte 2, bit 4); readable by root only",
    },
    f("/sys/hypervisor/type", "the Xen hypervisor type (Xen only)"),
    f(
        "/sys/hypervisor/properties/features",
        "Xen feature bits, bit 11 XENFEAT_dom0 marks the control domain",
    ),
    f(
        "/proc/xen/capabilities",
        "\"control_d\" marks Xen's control domain (dom0)",
    ),
    f(
        "/proc/device-tree/hypervisor/compatible",
        "the hypervisor node of the device tree (Arm, PowerPC, RISC-V)",
    ),
    f(
        "/proc/device-tree/compatible",
        "the machine model of the device tree",
    ),
    FileSpec {
        path: "/proc/cpuinfo",
        limit: 256 * 1024,
        tells: "CPU vendor and model names, UML and PowerVM markers, vmx/svm flags",
    },
    f(S390_SYSINFO, "the z/VM control program (s390)"),
    f(
        "/proc/sys/kernel/osrelease",
        "the kernel release, which names Microsoft or WSL under Windows Subsystem for Linux",
    ),
    f(
        TRACER_COMM,
        "the name of the process tracing this one: PRoot runs its guests under ptrace",
    ),
    f(
        "/run/host/container-manager",
        "the container manager's name for itself (systemd's container interface)",
    ),
    f(
        PID1_SELF,
        "this process's own container= variable when it runs as PID 1 (systemd: authoritative)",
    ),
    f(
        "/run/systemd/container",
        "the container manager's name, recorded by systemd as PID 1",
    ),
    f(
        "/proc/self/uid_map",
        "this process's user-ID mapping: anything but the full 1:1 map means a user namespace",
    ),
    f(
        "/proc/self/gid_map",
        "this process's group-ID mapping (user namespaces)",
    ),
    f(
        "/proc/self/setgroups",
        "\"deny\" in a user namespace whose creator dropped setgroups",
    ),
    f(
        crate::detect::evidence::PID1_ENVIRON,
        "PID 1's container= variable, which names the container manager (needs CAP_SYS_PTRACE; only that entry is kept)",
    ),
    f(
        CCW_PROT_VIRT_GUEST,
        "\"1\" in an s390 Protected Virtualization guest (the Ultravisor says so; systemd's --cvm protvirt)",
    ),
    f(
        SEV_VMPL,
        "the VMPL an SEV-SNP guest runs at (the directory exists only in SNP guests; Linux 6.11+)",
    ),
    f(
        SEV_STATUS_SYSFS,
        "the SEV_STATUS MSR as the kernel read it (hex), for users without the msr module",
    ),
    f(
        SEV_VMPL_HV,
        "the VMPL of an SEV-SNP guest, where /sys/devices/system/cpu/sev moved to /sys/hypervisor/sev",
    ),
    f(
        SEV_STATUS_HV,
        "the SEV_STATUS MSR (hex), where /sys/devices/system/cpu/sev moved to /sys/hypervisor/sev",
    ),
    f(
        CCA_REALM_GUEST,
        "\"1\" in an Arm CCA Realm (the replacement of arm-cca-dev proposed for Linux in 2026)",
    ),
    FileSpec {
        path: PROC_INTERRUPTS,
        // One column per CPU: hundreds of CPUs times a thousand lines exceed 1 MiB.
        limit: 8 << 20,
        tells: "which interrupt chips carry the interrupts in use (IR-PCI-MSI: remapped; PCI-MSI: the plain vector domain)",
    },
    FileSpec {
        path: ACPI_DMAR,
        limit: ACPI_TABLE_LIMIT,
        tells: "the Intel DMAR table: interrupt-remapping and x2APIC opt-out flags, remapping units and their device scopes; readable by root only",
    },
    FileSpec {
        path: ACPI_IVRS,
        limit: ACPI_TABLE_LIMIT,
        tells: "the AMD IVRS table: IOMMU blocks and their EFR images; readable by root only",
    },
    FileSpec {
        path: ACPI_IORT,
        limit: ACPI_TABLE_LIMIT,
        tells: "the Arm IORT table: SMMUv3 and ITS nodes; readable by root only",
    },
    FileSpec {
        path: KERNEL_LOG,
        limit: 64 * 1024,
        tells: "the kernel's own account of the APIC and interrupt-remapping mode (\"DMAR-IR: Enabled IRQ remapping in x2apic mode\", \"x2apic enabled\"); needs CAP_SYSLOG or kernel.dmesg_restrict=0; only those lines are kept",
    },
    FileSpec {
        path: ACPI_VIOT,
        limit: ACPI_TABLE_LIMIT,
        tells: "the ACPI VIOT table: which PCI and MMIO endpoints a virtio-iommu translates; readable by root only",
    },
];

/// s390 Protected Virtualization guest flag (Linux arch/s390/kernel/uv.c `prot_virt_guest`).
pub const CCW_PROT_VIRT_GUEST: &str = "/sys/firmware/uv/prot_virt_guest";
/// SEV-SNP guest VMPL (Linux Documentation/ABI/testing/sysfs-devices-system-cpu, May 2024).
pub const SEV_VMPL: &str = "/sys/devices/system/cpu/sev/vmpl";
/// SEV_STATUS in sysfs (tip x86/sev, March 2025: "x86/sev: Make SEV_STATUS available via SYSFS").
pub const SEV_STATUS_SYSFS: &str = "/sys/devices/system/cpu/sev/sev_status";
/// The VMPL file where v2 of that series moved the directory (Documentation/ABI/testing/sysfs-hypervisor).
pub const SEV_VMPL_HV: &str = "/sys/hypervisor/sev/vmpl";
/// SEV_STATUS where v2 of that series moved the directory.
pub const SEV_STATUS_HV: &str = "/sys/hypervisor/sev/sev_status";
/// Arm CCA Realm flag (Aneesh Kumar's "arm64: SMCCC bus" series, v6/v7, 2026).
pub const CCA_REALM_GUEST: &str = "/sys/firmware/cca/realm_guest";
/// Arm CCA's dummy platform device (Linux arch/arm64/kernel/rsi.c), what systemd's --cvm tests.
pub const CCA_PLATFORM_DEV: &str = "/sys/devices/platform/arm-cca-dev";
/// Linux's msr driver for CPU 0 (arch/x86/kernel/msr.c): `pread` at the MSR's index.
pub const MSR_DEVICE: &str = "/dev/cpu/0/msr";
/// AMD's SEV_STATUS MSR (AMD APM vol. 2 §15.34.10; Linux MSR_AMD64_SEV): bit 0 SEV, 1 SEV-ES,
/// 2 SEV-SNP. The probe reads it only when CPUID says an AMD guest whose CPU reports SEV
/// (leaf 0x8000001F `EAX[1]` under the hypervisor bit), as systemd's `detect_sev()` does.
pub const MSR_SEV_STATUS: u32 = 0xc001_0131;
/// The snapshot's record of MSR reads: one line, `0xc0010131 0x<value>` or
/// `0xc0010131 unreadable: <reason>`. Absent: not observed.
pub const MSR_FILE: &str = "msr.txt";
/// The TSM (TEE security manager) class: a guest's "devsec" TSM appears here (Linux
/// Documentation/ABI/testing/sysfs-class-tsm).
pub const TSM_CLASS: &str = "/sys/class/tsm";

/// `/proc/interrupts`.
pub const PROC_INTERRUPTS: &str = "/proc/interrupts";
/// The ACPI DMAR table (Intel VT-d).
pub const ACPI_DMAR: &str = "/sys/firmware/acpi/tables/DMAR";
/// The ACPI IVRS table (AMD-Vi).
pub const ACPI_IVRS: &str = "/sys/firmware/acpi/tables/IVRS";
/// The ACPI IORT table (Arm).
pub const ACPI_IORT: &str = "/sys/firmware/acpi/tables/IORT";
/// The ACPI VIOT table (virtio-iommu topology, ACPI 6.4 5.2.30).
pub const ACPI_VIOT: &str = "/sys/firmware/acpi/tables/VIOT";
/// The kernel log: live, `/dev/kmsg` is read record by record without blocking (at most
/// [`KERNEL_LOG_RECORDS`] records, Documentation/ABI/testing/dev-kmsg); a snapshot stores the
/// kept messages, one per line, as a regular file at the same path.
pub const KERNEL_LOG: &str = "/dev/kmsg";
/// At most this many kernel-log records are read (the boot lines vcap needs come early).
pub const KERNEL_LOG_RECORDS: usize = 8192;
/// The kernel-log messages kept (by prefix); every other record is dropped before it reaches a
/// capture or a snapshot: the log can hold anything, and a snapshot is shared.
/// Sources: Linux arch/x86/kernel/apic/apic.c (`x2apic enabled`, `x2apic: IRQ remapping doesn't
/// support X2APIC mode`), drivers/iommu/intel/irq_remapping.c (`DMAR-IR: Enabled IRQ remapping in
/// %s mode`), arch/x86/kernel/apic/probe_64.c (`APIC: Switched APIC routing to: %s`),
/// drivers/iommu/amd/init.c (`AMD-Vi: Interrupt remapping enabled`, `AMD-Vi: X2APIC enabled`).
pub const KERNEL_LOG_KEEP: &[&str] = &[
    "x2apic",
    "DMAR-IR: Enabled IRQ remapping in",
    "APIC: Switched APIC routing to:",
    "AMD-Vi: Interrupt remapping enabled",
    "AMD-Vi: X2APIC enabled",
];
/// The name (`comm`) of the process that traces this one. PRoot runs its guests under ptrace, so
/// systemd's `detect_container()` reads `TracerPid` from `/proc/self/status` and then
/// `/proc/<that pid>/comm`. No file has this path: live, the probe makes those two reads (the
/// second depends on the first, so the plan cannot name it); a snapshot stores the name here.
/// Empty when nothing traces the probe.
pub const TRACER_COMM: &str = "/proc/self/tracer-comm";
/// This process's own `container=` entry, when it runs as PID 1 (a container's init, or
/// `unshare --pid --fork`): systemd's `detect_container()` then reads `getenv("container")` and
/// takes it as authoritative. No file has this path: live, the probe checks its PID and reads its
/// own environment; a snapshot stores what it found here, in `/proc/1/environ`'s form
/// (`container=VALUE` and a NUL, or empty when the variable is unset). Absent when the process
/// is not PID 1.
pub const PID1_SELF: &str = "/proc/self/environ-as-pid1";
/// The record that ends the part of the kernel log vcap reads: `"Run %s as init process"`
/// (Linux init/main.c `run_init_process()`, printed as the kernel starts the first user process),
/// as its first and last words. Every message of [`KERNEL_LOG_KEEP`] is printed before it;
/// what follows is the machine's life, thousands of records on a host that has run for a while.
pub const KERNEL_LOG_LAST: (&str, &str) = ("Run ", " as init process");
/// `/proc/sysinfo` (s390 only: arch/s390/kernel/sysinfo.c).
pub const S390_SYSINFO: &str = "/proc/sysinfo";
/// Size limit of one ACPI table.
pub const ACPI_TABLE_LIMIT: usize = 1 << 20;
/// PCI config space: 64 bytes without root, 4 KiB (PCIe extended space) with.
pub const PCI_CONFIG_LIMIT: usize = 4096;
/// The config space file in a PCI device's directory.
pub const PCI_CONFIG: &str = "config";
/// A PCI device's module alias: `pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X` (Linux
/// drivers/pci/pci-sysfs.c `modalias_show`, present since 2.6.12), every ID in one read.
pub const PCI_MODALIAS: &str = "modalias";
/// A PCI function's TDISP lock holder (the TSM's name, or empty: unlocked); present only on a
/// TDISP-capable function once a devsec TSM is registered (Linux Documentation/ABI/testing/sysfs-bus-pci
/// `tsm/lock`, guest-side TSM series 2025–2026).
pub const TSM_LOCK: &str = "tsm/lock";
/// A PCI function's TDISP RUN state: `1` once accepted for private DMA and MMIO (`tsm/accept`).
pub const TSM_ACCEPT: &str = "tsm/accept";
/// The PCI device directory.
pub const PCI_DEVICES: &str = "/sys/bus/pci/devices";
/// The virtio device directory.
pub const VIRTIO_DEVICES: &str = "/sys/bus/virtio/devices";
/// The IOMMU class directory.
pub const IOMMU_CLASS: &str = "/sys/class/iommu";
/// The IOMMU group directory.
pub const IOMMU_GROUPS: &str = "/sys/kernel/iommu_groups";

/// Paths whose existence alone is a signal. Device nodes are never opened.
pub const EXISTS: &[(&str, &str)] = &[
    ("/proc/xen", "xenfs is mounted: Xen is present"),
    (
        "/dev/kvm",
        "this kernel offers KVM: the machine can host VMs",
    ),
    (
        "/sys/firmware/qemu_fw_cfg",
        "QEMU's fw_cfg interface is present",
    ),
    (
        "/proc/device-tree/ibm,partition-name",
        "an IBM logical partition (PowerVM)",
    ),
    (
        "/proc/device-tree/hmc-managed?",
        "a partition managed by an IBM HMC (PowerVM)",
    ),
    (
        "/proc/device-tree/chosen/qemu,graphic-width",
        "QEMU's device tree (pseries emulated by QEMU)",
    ),
    (
        "/proc/vz",
        "OpenVZ: present in its containers and on its host",
    ),
    ("/proc/bc", "OpenVZ: present on its host only"),
    (
        CCA_PLATFORM_DEV,
        "Arm CCA: the kernel runs in a Realm (the device systemd's --cvm tests)",
    ),
    (
        "/dev/sev-guest",
        "the SEV-SNP guest driver's device (attestation reports; SNP guests only)",
    ),
    (
        "/dev/tdx_guest",
        "the TDX guest driver's device (TD reports; TDX guests only)",
    ),
    (
        "/dev/mshv",
        "Microsoft Hypervisor's VMM interface: this partition can create partitions (root or L1VH)",
    ),
    ("/run/.containerenv", "a Podman container"),
    (
        "/.dockerenv",
        "a Docker container (or an image built in one)",
    ),
    (
        "/sys/fs/cgroup/cgroup.events",
        "cgroup v2: absent only at the root cgroup of old kernels",
    ),
    (
        "/sys/fs/cgroup/cgroup.type",
        "cgroup v2: absent in the root cgroup, so present under a cgroup namespace",
    ),
    (
        "/sys/kernel/cgroup/features",
        "a kernel new enough to have cgroup.type in every non-root cgroup",
    ),
    (
        "/sys/fs/cgroup/systemd/cgroup.procs",
        "cgroup v1: systemd's named hierarchy is mounted (every cgroup has cgroup.procs)",
    ),
    (
        "/sys/fs/cgroup/systemd/release_agent",
        "cgroup v1: present only in the root cgroup, so absent under a cgroup namespace",
    ),
];

/// What the probe keeps of a file it read: everything, but for PID 1's environment, of which
/// only the `container=` entry is kept (the rest can hold secrets, and a snapshot is shared),
/// and for the kernel log, of which only the messages of [`KERNEL_LOG_KEEP`] are kept.
pub fn redact(
    path: &str,
    read: crate::input::capture::FileRead,
) -> crate::input::capture::FileRead {
    use crate::input::capture::FileRead;
    match read {
        FileRead::Data { bytes, truncated }
            if path == crate::detect::evidence::PID1_ENVIRON || path == PID1_SELF =>
        {
            let kept: Vec<u8> = bytes
                .split(|b| *b == 0)
                .find(|e| e.starts_with(b"container="))
                .map(|e| [e, b"\0"].concat())
                .unwrap_or_default();
            FileRead::Data {
                bytes: kept,
                truncated,
            }
        }
        FileRead::Data { bytes, truncated } if path == KERNEL_LOG => {
            let text = String::from_utf8_lossy(&bytes);
            let kept: String = text
                .lines()
                .filter(|l| KERNEL_LOG_KEEP.iter().any(|k| l.starts_with(k)))
                .map(|l| format!("{l}\n"))
                .collect();
            FileRead::Data {
                bytes: kept.into_bytes(),
                truncated,
            }
        }
        other => other,
    }
}

/// Directories that are only listed (entry names and link targets).
pub const LISTS: &[(&str, &str)] = &[
    ("/proc/device-tree", "device-tree nodes such as fw-cfg"),
    (
        "/sys/bus/acpi/devices",
        "ACPI device IDs such as QEMU0002 (fw_cfg) and VMBUS",
    ),
    ("/sys/bus/vmbus/devices", "Hyper-V VMBus devices"),
    (
        TSM_CLASS,
        "TEE security managers: a guest-side (devsec) one can accept TDISP devices for private DMA",
    ),
];

/// Bus walks.
pub const WALKS: &[WalkSpec] = &[
    WalkSpec {
        dir: "/sys/bus/pci/devices",
        files: &[
            ("vendor", ATTR_LIMIT),
            ("device", ATTR_LIMIT),
            ("subsystem_vendor", ATTR_LIMIT),
            ("subsystem_device", ATTR_LIMIT),
            ("class", ATTR_LIMIT),
            ("revision", ATTR_LIMIT),
            (PCI_CONFIG, PCI_CONFIG_LIMIT),
            (TSM_LOCK, ATTR_LIMIT),
            (TSM_ACCEPT, ATTR_LIMIT),
        ],
        links: &["driver", "iommu_group"],
        summary: Some(Summary {
            file: PCI_MODALIAS,
            covers: &["vendor", "device", "subsystem_vendor", "subsystem_device"],
        }),
        tells: "PCI vendor, device and subsystem IDs of virtual hardware",
    },
    WalkSpec {
        dir: "/sys/bus/virtio/devices",
        files: &[
            ("device", ATTR_LIMIT),
            ("vendor", ATTR_LIMIT),
            ("features", ATTR_LIMIT),
        ],
        links: &["driver"],
        summary: None,
        tells: "virtio devices and their transport (PCI, MMIO, CCW)",
    },
    WalkSpec {
        dir: IOMMU_CLASS,
        files: &[
            ("intel-iommu/version", ATTR_LIMIT),
            ("intel-iommu/address", ATTR_LIMIT),
            ("intel-iommu/cap", ATTR_LIMIT),
            ("intel-iommu/ecap", ATTR_LIMIT),
            ("amd-iommu/cap", ATTR_LIMIT),
            ("amd-iommu/features", ATTR_LIMIT),
        ],
        links: &[],
        summary: None,
        tells: "IOMMU units and their capability registers (VT-d CAP/ECAP, AMD capability header and EFR)",
    },
    WalkSpec {
        dir: IOMMU_GROUPS,
        files: &[("type", ATTR_LIMIT)],
        links: &[],
        summary: None,
        tells: "IOMMU groups and their default domain type (DMA, DMA-FQ, identity, blocked)",
    },
];

/// How much of the plan a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything the full report reads (detection and capabilities). PCI config space is read
    /// field by field: only what the parser decodes (see `pci_config::Space`).
    Full,
    /// Everything, for `vcap snapshot`: as [`Scope::Full`], with PCI config spaces read whole,
    /// the files a [`Summary`] covers beside it, and the [`SNAPSHOT_ONLY`] context, so a bug
    /// report keeps every byte.
    Snapshot,
    /// Only what detection reads (`vcap detect`): the rows in [`NOT_FOR_DETECTION`] (and
    /// [`SNAPSHOT_ONLY`]) are skipped, and listed directories' link targets are not read.
    Detect,
}

/// Inputs that detection does not read (the capability decisions, and context kept in snapshots),
/// by path, walk directory, file or link name inside a walk entry, or such a name in one walk's
/// entries only (`<walk directory>/*/<name>`). PCI config space is the
/// costly one: in a VM every config access traps to the hypervisor (11–33 µs each on the
/// development machine's hosts; on the first, a PCIe function's 4 KiB read whole took 7–17 ms).
pub const NOT_FOR_DETECTION: &[&str] = &[
    PROC_INTERRUPTS,
    ACPI_IORT,
    ACPI_VIOT,
    KERNEL_LOG,
    IOMMU_GROUPS,
    PCI_CONFIG,
    "driver",
    "iommu_group",
    "features",
    "intel-iommu/version",
    "intel-iommu/address",
    "intel-iommu/ecap",
    "amd-iommu/features",
    TSM_LOCK,
    TSM_ACCEPT,
    TSM_CLASS,
    // Detection reads virtio devices' transports, from the listing's links; their IDs are for
    // the capability decisions.
    "/sys/bus/virtio/devices/*/device",
    "/sys/bus/virtio/devices/*/vendor",
];

/// Walk-entry files only snapshots read: context for whoever reads a bug report; no decision
/// uses them.
pub const SNAPSHOT_ONLY: &[&str] = &["class", "revision"];

impl Scope {
    /// Whether a plan row (a path, a walk directory, or a name inside a walk entry) is read.
    pub fn reads(self, row: &str) -> bool {
        match self {
            Scope::Snapshot => true,
            Scope::Full => !SNAPSHOT_ONLY.contains(&row),
            Scope::Detect => !SNAPSHOT_ONLY.contains(&row) && !NOT_FOR_DETECTION.contains(&row),
        }
    }

    /// Whether `file` inside an entry of walk `w` is read, given whether the entry's
    /// [`Summary`] file was read with content: only snapshots read the files it covers then.
    pub fn reads_entry_file(self, w: &WalkSpec, file: &str, summary_read: bool) -> bool {
        let covered = w.summary.is_some_and(|s| s.covers.contains(&file));
        let named_in_walk = |rows: &[&str]| {
            rows.iter()
                .any(|r| r.strip_prefix(w.dir).and_then(|r| r.strip_prefix("/*/")) == Some(file))
        };
        let skipped_in_walk = self == Scope::Detect && named_in_walk(NOT_FOR_DETECTION);
        self.reads(file)
            && !skipped_in_walk
            && !(self != Scope::Snapshot && summary_read && covered)
    }
}

/// Whether CPUID is executed (x86 only) and dumped to `cpuid.txt` in snapshots.
pub const CPUID_FILE: &str = "cpuid.txt";

/// Whether the plan reads `path` at all: a file row, a DMI field, an existence check, a listed
/// directory, a walk directory or a file or link inside one of its entries. [`crate::input::capture`]
/// checks every lookup against it in debug builds, so a rule naming a path the probe never
/// reads fails its tests instead of reading as "absent".
pub fn planned(path: &str) -> bool {
    if path == CPUID_FILE
        || FILES.iter().any(|s| s.path == path)
        || EXISTS.iter().any(|(p, _)| *p == path)
        || LISTS.iter().any(|(p, _)| *p == path)
    {
        return true;
    }
    if let Some(field) = path.strip_prefix(DMI_DIR).and_then(|r| r.strip_prefix('/')) {
        return DMI_FIELDS.contains(&field);
    }
    WALKS.iter().any(|w| {
        let Some(rest) = path.strip_prefix(w.dir) else {
            return false;
        };
        let Some(rest) = rest.strip_prefix('/') else {
            return rest.is_empty();
        };
        match rest.split_once('/') {
            // An entry of the walk itself.
            None => !rest.is_empty(),
            Some((_, file)) => {
                w.files.iter().any(|(f, _)| *f == file)
                    || w.links.contains(&file)
                    || w.summary.is_some_and(|s| s.file == file)
            }
        }
    })
}

/// What `path` would tell if it could be read, from the plan's rows.
pub fn tells(path: &str) -> Option<&'static str> {
    if let Some(s) = FILES.iter().find(|s| s.path == path) {
        return Some(s.tells);
    }
    if path.starts_with(DMI_DIR) {
        return Some("DMI identity strings");
    }
    if path.starts_with("/sys/firmware/acpi/tables/") {
        return Some("an ACPI table (root only)");
    }
    WALKS
        .iter()
        .find(|w| path.starts_with(w.dir))
        .map(|w| w.tells)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(dir: &str) -> &'static WalkSpec {
        WALKS.iter().find(|w| w.dir == dir).unwrap()
    }

    /// A file skipped in one walk's entries is skipped there only, and only by detection.
    #[test]
    fn a_name_skipped_in_one_walk_is_read_in_the_others() {
        let (virtio, pci) = (walk(VIRTIO_DEVICES), walk(PCI_DEVICES));
        for f in ["device", "vendor"] {
            assert!(!Scope::Detect.reads_entry_file(virtio, f, false), "{f}");
            assert!(Scope::Full.reads_entry_file(virtio, f, false), "{f}");
            assert!(Scope::Snapshot.reads_entry_file(virtio, f, false), "{f}");
            // PCI IDs without a modalias are detection's evidence.
            assert!(Scope::Detect.reads_entry_file(pci, f, false), "{f}");
            assert!(!Scope::Detect.reads_entry_file(pci, f, true), "{f}");
        }
    }

    #[test]
    fn planned_paths_are_the_plans_rows() {
        for p in [
            "/proc/cpuinfo",
            "/sys/class/dmi/id/sys_vendor",
            "/dev/kvm",
            "/sys/bus/acpi/devices",
            "/sys/bus/pci/devices",
            "/sys/bus/pci/devices/0000:00:01.0",
            "/sys/bus/pci/devices/0000:00:01.0/modalias",
            "/sys/bus/pci/devices/0000:00:01.0/driver",
            "/sys/class/iommu/dmar0/intel-iommu/cap",
        ] {
            assert!(planned(p), "{p}");
        }
        for p in [
            "/proc/cpuinf",
            "/sys/class/dmi/id/sys_vendo",
            "/sys/class/dmi/id",
            "/sys/bus/pci/devices/0000:00:01.0/vendorx",
            "/sys/class/iommu/dmar0/intel-iommu/capx",
            "/sys/bus/pcix",
        ] {
            assert!(!planned(p), "{p}");
        }
    }

    /// Every row naming a file in one walk names a walk of the plan and a file it reads.
    #[test]
    fn rows_naming_a_walk_name_a_walk_file() {
        for row in NOT_FOR_DETECTION.iter().filter(|r| r.contains("/*/")) {
            let (dir, file) = row.split_once("/*/").unwrap();
            assert!(walk(dir).files.iter().any(|(f, _)| *f == file), "{row}");
        }
    }
}
