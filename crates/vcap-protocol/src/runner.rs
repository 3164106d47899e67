//! The one runner behind both checks ([`crate::check`] and [`crate::fleet`]): a table of named
//! properties becomes stateright properties, the model is explored breadth first, and each
//! property's result is read back with its trace.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration, Instant};

use serde::Serialize;
use stateright::{Checker, Model, Path, Property};

/// Property kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Holds in every reachable state.
    Always,
    /// Holds in at least one reachable state.
    Sometimes,
}

/// A property's condition.
pub type Cond<M> = fn(&M, &<M as Model>::State) -> bool;

/// A table of properties: name, kind, condition.
pub type PropertyTable<M> = [(&'static str, Kind, Cond<M>)];

/// The table as stateright properties (for [`Model::properties`]).
pub fn properties<M: Model>(table: &PropertyTable<M>) -> Vec<Property<M>> {
    table
        .iter()
        .map(|(name, kind, f)| match kind {
            Kind::Always => Property::always(name, *f),
            Kind::Sometimes => Property::sometimes(name, *f),
        })
        .collect()
}

/// One property's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PropertyResult {
    /// Name.
    pub name: &'static str,
    /// `always` or `sometimes`.
    pub kind: Kind,
    /// Always: no counterexample; sometimes: an example was found.
    pub holds: bool,
    /// The counterexample (always) or example (sometimes) as trace lines, when there is one.
    #[serde(skip)]
    pub trace: Option<Vec<String>>,
}

/// What one breadth-first exploration found.
pub struct Run<M: Model> {
    /// Unique states.
    pub states: usize,
    /// Generated states including repeats.
    pub generated: usize,
    /// Deepest path.
    pub max_depth: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Each property's discovery (always: a counterexample; sometimes: an example).
    pub discoveries: HashMap<&'static str, Path<M::State, M::Action>>,
}

/// Explores `model` breadth first with `threads` threads (at least 1), to `max_depth` when given.
pub fn run<M>(model: M, threads: usize, max_depth: Option<usize>) -> Run<M>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + Debug + PartialEq + Send + Sync + 'static,
{
    let start = Instant::now();
    let mut builder = model.checker().threads(threads.max(1));
    if let Some(d) = max_depth {
        builder = builder.target_max_depth(d);
    }
    let checker = builder.spawn_bfs().join();
    Run {
        states: checker.unique_state_count(),
        generated: checker.state_count(),
        max_depth: checker.max_depth(),
        elapsed: start.elapsed(),
        discoveries: checker.discoveries(),
    }
}

impl<M: Model> Run<M> {
    /// Each property of `table` in order: it holds when an always-property has no
    /// counterexample and a sometimes-property has an example; `trace` renders the trace of a
    /// property from its discovery (or finds one itself).
    pub fn results(
        &self,
        table: &PropertyTable<M>,
        mut trace: impl FnMut(
            &'static str,
            Kind,
            Option<&Path<M::State, M::Action>>,
        ) -> Option<Vec<String>>,
    ) -> Vec<PropertyResult> {
        table
            .iter()
            .map(|(name, kind, _)| {
                let found = self.discoveries.get(name);
                PropertyResult {
                    name,
                    kind: *kind,
                    holds: match kind {
                        Kind::Always => found.is_none(),
                        Kind::Sometimes => found.is_some(),
                    },
                    trace: trace(name, *kind, found),
                }
            })
            .collect()
    }

    /// The always-properties of `table` that have a counterexample.
    pub fn failing(&self, table: &PropertyTable<M>) -> Vec<&'static str> {
        table
            .iter()
            .filter(|(name, kind, _)| *kind == Kind::Always && self.discoveries.contains_key(name))
            .map(|(name, _, _)| *name)
            .collect()
    }
}
