//! vcap's pure half. Bytes captured by the probe (from the live system or a snapshot) come in as a
//! [`capture::Capture`]; typed facts, evidence, a verdict and the rendered report come out. Nothing
//! here performs I/O, so every decision is a function tested on recorded systems.
//!
//! Flow: [`plan`] (what the probe must read) → [`capture`] (what it read) → parsers ([`cpuid`],
//! [`smbios`], [`dmi`]) → [`evidence`] (table-driven signals) → [`detect`] (verdict) →
//! [`report`] (the versioned JSON schema) → [`render`] (human text). Capabilities (issue 4): parsers
//! [`acpi`], [`pci_config`], [`iommu`], [`interrupts`], [`virtio`] → [`iofacts`] → [`policy`].

pub mod acpi;
pub mod capture;
pub mod cpuid;
pub mod detect;
pub mod dmi;
pub mod evidence;
pub mod ids;
pub mod interrupts;
pub mod iofacts;
pub mod iommu;
pub mod pci_config;
pub mod plan;
pub mod policy;
pub mod render;
pub mod report;
pub mod rules;
pub mod smbios;
pub mod systemd;
pub mod virtio;
