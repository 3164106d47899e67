//! Facts about interrupts, IOMMUs and devices gathered from a [`Capture`]: the parsed
//! `/proc/interrupts`, the ACPI DMAR/IVRS/IORT/VIOT tables, the IOMMU units, the PCI devices with their
//! config space, driver and IOMMU group, and the virtio devices with their features. Anything
//! that does not parse becomes a [`Malformed`] record naming the file and the offset; it is never
//! used for a decision.

use serde::Serialize;

use crate::input::capture::{Capture, FileRead};
use crate::input::plan::{
    ACPI_DMAR, ACPI_IORT, ACPI_IVRS, ACPI_VIOT, IOMMU_CLASS, IOMMU_GROUPS, KERNEL_LOG, PCI_DEVICES,
    PROC_INTERRUPTS, S390_SYSINFO, VIRTIO_DEVICES,
};
use crate::parse::acpi::{self, Dmar, Iort, Ivrs, Viot};
use crate::parse::interrupts::{self, Chip};
use crate::parse::iommu::{self, Unit, UnitKind};
use crate::parse::pci_config::{self, Config};
use crate::parse::virtio::{self, Features};

/// An input that exists but does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Malformed {
    /// The file.
    pub source: String,
    /// Byte (or character, or line) offset at fault, when known.
    pub offset: Option<usize>,
    /// What is wrong.
    pub error: String,
}

/// How a file turned out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got<T> {
    /// Parsed.
    Parsed(T),
    /// Not present on this machine.
    Absent,
    /// Present but not readable (e.g. root only); the reason.
    Unreadable(String),
    /// Present but malformed (recorded in [`IoFacts::malformed`]).
    Malformed,
}

/// How an input turned out, for the report: `parsed` (with the value), `absent`,
/// `unreadable` (with the reason) or `malformed` (see the malformed list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Observed<T> {
    /// `parsed`, `absent`, `unreadable` or `malformed`.
    pub state: &'static str,
    /// The parsed value.
    pub value: Option<T>,
    /// Why it could not be read.
    pub reason: Option<String>,
}

impl<T: Clone> From<&Got<T>> for Observed<T> {
    fn from(g: &Got<T>) -> Self {
        let (state, value, reason) = match g {
            Got::Parsed(t) => ("parsed", Some(t.clone()), None),
            Got::Absent => ("absent", None, None),
            Got::Unreadable(w) => ("unreadable", None, Some(w.clone())),
            Got::Malformed => ("malformed", None, None),
        };
        Observed {
            state,
            value,
            reason,
        }
    }
}

/// The facts behind the decisions, as reported under `capabilities.facts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Facts {
    /// Interrupt chips in use (`/proc/interrupts`).
    pub interrupt_chips: Observed<Vec<Chip>>,
    /// The DMAR table (header with checksum verdict, flags, units and scopes).
    pub dmar: Observed<Dmar>,
    /// The IVRS table.
    pub ivrs: Observed<Ivrs>,
    /// The IORT table.
    pub iort: Observed<Iort>,
    /// The VIOT table.
    pub viot: Observed<Viot>,
    /// PCI functions: IDs, driver, IOMMU group and the parsed config space.
    pub pci: Vec<PciDev>,
    /// virtio devices: transport, parent PCI function, negotiated feature bits.
    pub virtio: Vec<VirtioDev>,
    /// IOMMU groups and their domain type.
    pub iommu_groups: Vec<(String, Option<String>)>,
}

impl IoFacts {
    /// The reportable facts.
    pub fn facts(&self) -> Facts {
        Facts {
            interrupt_chips: (&self.interrupts).into(),
            dmar: (&self.dmar).into(),
            ivrs: (&self.ivrs).into(),
            iort: (&self.iort).into(),
            viot: (&self.viot).into(),
            pci: self.pci.clone(),
            virtio: self.virtio.clone(),
            iommu_groups: self.groups.clone(),
        }
    }
}

impl<T> Got<T> {
    /// The parsed value.
    pub fn get(&self) -> Option<&T> {
        match self {
            Got::Parsed(t) => Some(t),
            _ => None,
        }
    }
}

/// One PCI function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PciDev {
    /// Address (`0000:00:03.0`).
    pub bdf: String,
    /// Vendor ID (from config space, else the `vendor` attribute).
    pub vendor: Option<u16>,
    /// Device ID.
    pub device: Option<u16>,
    /// Bound driver name (`vfio-pci`, `virtio-pci`, …).
    pub driver: Option<String>,
    /// IOMMU group number.
    pub group: Option<String>,
    /// Parsed config space, when at least its header was read.
    pub config: Option<Config>,
    /// True when only the 64-byte unprivileged header was read.
    pub config_partial: bool,
}

/// A virtio device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VirtioDev {
    /// Name (`virtio0`).
    pub name: String,
    /// Transport from the bus link: `pci`, `mmio`, `ccw` or `unknown`.
    pub transport: &'static str,
    /// The PCI function it sits on (virtio-pci).
    pub pci_parent: Option<String>,
    /// Negotiated features.
    pub features: Option<Features>,
    /// virtio device type (`device` attribute).
    pub device_type: Option<u16>,
    /// virtio-pci: the interface its PCI device ID denotes (transitional 1000h–103Fh, modern 1040h+).
    pub pci_interface: Option<virtio::PciInterface>,
    /// The device runs as a legacy virtio device (VERSION_1 not negotiated).
    pub legacy: Option<bool>,
}

/// Everything gathered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoFacts {
    /// Interrupt chips in use.
    pub interrupts: Got<Vec<Chip>>,
    /// DMAR.
    pub dmar: Got<Dmar>,
    /// IVRS.
    pub ivrs: Got<Ivrs>,
    /// IORT.
    pub iort: Got<Iort>,
    /// VIOT.
    pub viot: Got<Viot>,
    /// IOMMU class units (listing absent → none).
    pub units: Vec<Unit>,
    /// Whether the unit list is known: `/sys/class/iommu` was listed, or is absent (no IOMMU driver).
    pub units_listed: bool,
    /// PCI functions.
    pub pci: Vec<PciDev>,
    /// False when `/sys/bus/pci/devices` exists but could not be listed.
    pub pci_listed: bool,
    /// virtio devices.
    pub virtio: Vec<VirtioDev>,
    /// IOMMU groups and their `type` (`DMA`, `DMA-FQ`, `identity`, `blocked`, `unmanaged`).
    pub groups: Vec<(String, Option<String>)>,
    /// What did not parse.
    pub malformed: Vec<Malformed>,
    /// `/proc/cpuinfo` lists the `x2apic` flag.
    pub cpu_x2apic: Option<bool>,
    /// `/proc/sysinfo` was read: the machine is an s390 (only arch/s390 creates the file).
    pub s390_sysinfo: bool,
    /// The kept kernel-log messages ([`crate::input::plan::KERNEL_LOG_KEEP`]), one per line.
    pub kernel_log: Got<Vec<String>>,
}

impl IoFacts {
    /// The PCI function at `bdf`.
    pub fn pci(&self, bdf: &str) -> Option<&PciDev> {
        self.pci.iter().find(|d| d.bdf == bdf)
    }
    /// The group type of group `g`.
    pub fn group_type(&self, g: &str) -> Option<&str> {
        self.groups
            .iter()
            .find(|(n, _)| n == g)
            .and_then(|(_, t)| t.as_deref())
    }
}

fn basename(link: &str) -> String {
    link.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(link)
        .to_string()
}

fn table<T>(
    c: &Capture,
    path: &str,
    parse: fn(&[u8]) -> Result<T, acpi::AcpiError>,
    bad: &mut Vec<Malformed>,
) -> Got<T> {
    match c.file(path) {
        FileRead::Absent => Got::Absent,
        FileRead::Unreadable(w) => Got::Unreadable(w.clone()),
        FileRead::Parts(_) => Got::Unreadable("only parts of it were read".into()),
        FileRead::Data { bytes, truncated } => {
            if *truncated {
                bad.push(Malformed {
                    source: path.into(),
                    offset: Some(bytes.len()),
                    error: format!("larger than the {} bytes read", bytes.len()),
                });
                return Got::Malformed;
            }
            match parse(bytes) {
                Ok(t) => Got::Parsed(t),
                Err(e) => {
                    bad.push(Malformed {
                        source: path.into(),
                        offset: Some(e.offset),
                        error: e.to_string(),
                    });
                    Got::Malformed
                }
            }
        }
    }
}

/// Gathers the facts.
pub fn gather(c: &Capture) -> IoFacts {
    let mut bad = Vec::new();

    let interrupts = match c.file(PROC_INTERRUPTS) {
        FileRead::Absent => Got::Absent,
        FileRead::Unreadable(w) => Got::Unreadable(w.clone()),
        FileRead::Parts(_) => Got::Unreadable("only parts of it were read".into()),
        FileRead::Data { bytes, .. } => match interrupts::parse(&String::from_utf8_lossy(bytes)) {
            Ok(v) => Got::Parsed(v),
            Err(e) => {
                bad.push(Malformed {
                    source: PROC_INTERRUPTS.into(),
                    offset: Some(e.line),
                    error: format!("{e} (offset is a line number)"),
                });
                Got::Malformed
            }
        },
    };
    let dmar = table(c, ACPI_DMAR, acpi::parse_dmar, &mut bad);
    let ivrs = table(c, ACPI_IVRS, acpi::parse_ivrs, &mut bad);
    let iort = table(c, ACPI_IORT, acpi::parse_iort, &mut bad);
    let viot = table(c, ACPI_VIOT, acpi::parse_viot, &mut bad);

    let mut units = Vec::new();
    // An absent /sys/class/iommu is a known empty list: the kernel creates the class with its
    // first IOMMU driver. (It also keeps fixtures honest: git stores no empty directory.)
    let units_listed = !matches!(
        c.listing(IOMMU_CLASS),
        crate::input::capture::Listing::Unreadable(_)
    );
    for e in c.listing(IOMMU_CLASS).entries() {
        let p = |f: &str| format!("{IOMMU_CLASS}/{}/{f}", e.name);
        let t = |f: &str| c.text(&p(f));
        let kind = if t("intel-iommu/cap").is_some() {
            UnitKind::IntelVtd
        } else if t("amd-iommu/cap").is_some() {
            UnitKind::Amd
        } else {
            iommu::kind_of(&e.name, e.link.as_deref())
        };
        let r = match kind {
            UnitKind::IntelVtd => iommu::vtd_unit(
                &e.name,
                t("intel-iommu/version").as_deref(),
                t("intel-iommu/address").as_deref(),
                t("intel-iommu/cap").as_deref(),
                t("intel-iommu/ecap").as_deref(),
            ),
            UnitKind::Amd => iommu::amd_unit(
                &e.name,
                t("amd-iommu/cap").as_deref(),
                t("amd-iommu/features").as_deref(),
            ),
            k => Ok(Unit {
                name: e.name.clone(),
                kind: k,
                version: None,
                address: None,
                cap: None,
                ecap: None,
                efr: None,
                fields: Vec::new(),
            }),
        };
        match r {
            Ok(u) => units.push(u),
            Err(err) => bad.push(Malformed {
                source: p(if kind == UnitKind::Amd {
                    "amd-iommu"
                } else {
                    "intel-iommu"
                }),
                offset: None,
                error: err.to_string(),
            }),
        }
    }

    let groups = c
        .listing(IOMMU_GROUPS)
        .entries()
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                c.text(&format!("{IOMMU_GROUPS}/{}/type", e.name)),
            )
        })
        .collect();

    let mut pci = Vec::new();
    for e in c.listing(PCI_DEVICES).entries() {
        let base = format!("{PCI_DEVICES}/{}", e.name);
        let cfg_path = format!("{base}/config");
        // A snapshot holds the whole space; the live probe keeps the parts the parser read.
        let space: Option<(usize, Box<dyn pci_config::Space + '_>)> = match c.file(&cfg_path) {
            FileRead::Data { bytes, .. } => Some((bytes.len(), Box::new(bytes.as_slice()))),
            FileRead::Parts(p) => Some((p.len, Box::new(p))),
            _ => None,
        };
        let (config, config_partial) = match space {
            Some((len, mut space)) if len >= pci_config::UNPRIVILEGED_LEN => {
                let (cfg, err) = pci_config::parse_space(&mut *space);
                let partial = len <= pci_config::UNPRIVILEGED_LEN;
                if let Some(err) = err
                    && !err.is_unprivileged_cut(len)
                {
                    let offset = match &err {
                        pci_config::ConfigError::Short { offset, .. }
                        | pci_config::ConfigError::Loop { offset, .. }
                        | pci_config::ConfigError::Bad { offset, .. } => *offset,
                    };
                    bad.push(Malformed {
                        source: cfg_path.clone(),
                        offset: Some(offset),
                        error: err.to_string(),
                    });
                }
                (Some(cfg), partial)
            }
            Some((len, _)) => {
                bad.push(Malformed {
                    source: cfg_path.clone(),
                    offset: Some(len),
                    error: format!("{len} bytes: shorter than the 64-byte standard header"),
                });
                (None, false)
            }
            None => (None, false),
        };
        // The IDs from config space, else those sysfs shows (malformed ones are evidence already).
        let (vendor, device) = match &config {
            Some(cfg) => (Some(cfg.vendor), Some(cfg.device)),
            None => crate::detect::evidence::pci_function(c, &e.name, &mut Vec::new())
                .map_or((None, None), |f| (Some(f.ids.vendor), Some(f.ids.device))),
        };
        pci.push(PciDev {
            bdf: e.name.clone(),
            vendor,
            device,
            driver: c.link(&format!("{base}/driver")).map(basename),
            group: c.link(&format!("{base}/iommu_group")).map(basename),
            config,
            config_partial,
        });
    }

    let mut virtio = Vec::new();
    for e in c.listing(VIRTIO_DEVICES).entries() {
        let base = format!("{VIRTIO_DEVICES}/{}", e.name);
        let link = e.link.as_deref().unwrap_or("");
        let pci_parent = virtio::pci_parent(link).map(str::to_string);
        let transport = virtio::transport(e.link.as_deref()).as_str();
        let fpath = format!("{base}/features");
        let features = match c.text(&fpath) {
            Some(t) => match virtio::parse_features(&t) {
                Ok(f) => Some(f),
                Err(err) => {
                    bad.push(Malformed {
                        source: fpath,
                        offset: Some(err.offset),
                        error: err.to_string(),
                    });
                    None
                }
            },
            None => None,
        };
        let pci_interface = pci_parent
            .as_ref()
            .and_then(|b| pci.iter().find(|d: &&PciDev| &d.bdf == b))
            .and_then(|d| Some(virtio::pci_interface(d.vendor?, d.device?)).flatten());
        let legacy = features.as_ref().map(|f| !f.has(virtio::F_VERSION_1));
        virtio.push(VirtioDev {
            name: e.name.clone(),
            transport,
            pci_parent,
            pci_interface,
            legacy,
            features,
            device_type: c
                .text(&format!("{base}/device"))
                .and_then(|s| crate::detect::evidence::sysfs_hex16(&s)),
        });
    }

    let cpu_x2apic = c.text("/proc/cpuinfo").map(|t| {
        t.lines()
            .filter(|l| l.starts_with("flags"))
            .any(|l| l.split_whitespace().any(|w| w == "x2apic"))
    });

    IoFacts {
        interrupts,
        dmar,
        ivrs,
        iort,
        viot,
        units,
        units_listed,
        pci,
        pci_listed: !matches!(
            c.listing(PCI_DEVICES),
            crate::input::capture::Listing::Unreadable(_)
        ),
        virtio,
        groups,
        malformed: bad,
        cpu_x2apic,
        s390_sysinfo: matches!(c.file(S390_SYSINFO), FileRead::Data { .. }),
        kernel_log: match c.file(KERNEL_LOG) {
            FileRead::Data { bytes, .. } => Got::Parsed(
                String::from_utf8_lossy(bytes)
                    .lines()
                    .map(str::to_string)
                    .collect(),
            ),
            FileRead::Absent => Got::Absent,
            FileRead::Unreadable(w) => Got::Unreadable(w.clone()),
            FileRead::Parts(_) => Got::Unreadable("only parts of it were read".into()),
        },
    }
}
