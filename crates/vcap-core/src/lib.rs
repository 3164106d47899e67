//! vcap's pure half. Bytes captured by the probe (from the live system or a snapshot) come in as a
//! [`input::capture::Capture`]; typed facts, evidence, a verdict, capability decisions and the
//! rendered report come out. Nothing here performs I/O, so every decision is a function tested on
//! recorded systems.
//!
//! The folders are the stages, in the order data flows through them:
//!
//! | stage | folder | what it holds |
//! |---|---|---|
//! | input | [`input`] | the read plan (what the probe must read) and the capture (what it read) |
//! | parse | [`parse`] | one parser per fact: CPUID, SMBIOS/DMI, ACPI tables, PCI config, `/proc/interrupts`, IOMMU units, virtio |
//! | detect | [`detect`] | evidence rows over typed signals, the verdict, the hypervisor's name, the rule catalog |
//! | caps | [`caps`] | the I/O facts and the opt-in capability decisions |
//! | report | [`report`] | the versioned JSON report and its human rendering |
//!
//! ```
//! use vcap_core::input::capture::Capture;
//! use vcap_core::report::build;
//!
//! // Nothing captured: vcap says it cannot know, and never guesses bare metal from an absence.
//! let report = build(&Capture::default());
//! assert_eq!(report.verdict.kind, vcap_core::detect::Kind::Unknown);
//! ```

pub mod caps;
pub mod detect;
pub mod input;
pub mod parse;
pub mod report;
