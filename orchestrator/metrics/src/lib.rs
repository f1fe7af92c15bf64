//! Prometheus building blocks shared by swarmd's crates (issue 21).
//!
//! Background: every swarmd node can serve its metrics in the Prometheus text exposition format
//! (`swarmd init|join --metrics-addr`). Each crate owns its metric families in its own `metrics`
//! module and registers them into the one [`Registry`] the daemon serves.
//!
//! Design:
//! - Hot paths (Raft appends, fsyncs, scheduler rounds) record into process-wide atomics only:
//!   [`AtomicHistogram`] is a fixed-bucket histogram of `AtomicU64`s (no lock on the write path,
//!   unlike `prometheus_client`'s own histogram), counters are `prometheus_client`'s atomic
//!   `Counter`. Recording is skipped entirely unless [`enable`] was called (the daemon calls it
//!   when metrics are served), so a node without `--metrics-addr` pays one relaxed load.
//! - Values that live in the replicated state (objects by kind, tasks by state, Raft term) are
//!   computed at scrape time by a [`FnCollector`], so nothing on the write path maintains them.
//!
//! Limits: the hot-path families are per process (one swarmd node per process, as deployed).

use std::fmt::{Debug, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use prometheus_client;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
pub use prometheus_client::registry::{Registry, Unit};

/// The content type of [`encode`]'s output (OpenMetrics text, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns recording on for this process (off by default).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Turns recording off again (benchmarks alternate both states in one process; the daemon
/// never calls it).
pub fn disable() {
    ENABLED.store(false, Ordering::Relaxed);
}

/// Whether recording is on.
#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// A start time when recording is on (pair with [`AtomicHistogram::observe_since`]).
#[inline]
pub fn start() -> Option<Instant> {
    enabled().then(Instant::now)
}

/// The registry in the text exposition format.
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail; an encoder error would be a bug in a collector.
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, registry) {
        let _ = writeln!(out, "# encoding error: {e}");
    }
    out
}

/// Bucket bounds for latencies in seconds: 100 µs to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Bucket bounds for sizes in bytes: 1 KiB to 1 GiB, ×4 each.
pub const SIZE_BUCKETS: &[f64] = &[
    1024.0,
    4096.0,
    16384.0,
    65536.0,
    262144.0,
    1048576.0,
    4194304.0,
    16777216.0,
    67108864.0,
    268435456.0,
    1073741824.0,
];

#[derive(Debug)]
struct HistInner {
    bounds: &'static [f64],
    /// One per bound plus `+Inf`; not cumulative (summed at scrape).
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    /// The sum as `f64` bits.
    sum: AtomicU64,
}

/// A fixed-bucket histogram on atomics; cheap to clone (one shared set of counters).
#[derive(Debug, Clone)]
pub struct AtomicHistogram(Arc<HistInner>);

impl AtomicHistogram {
    /// A histogram with these upper bounds (ascending; `+Inf` is implied).
    pub fn new(bounds: &'static [f64]) -> Self {
        let buckets = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        AtomicHistogram(Arc::new(HistInner {
            bounds,
            buckets,
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0f64.to_bits()),
        }))
    }

    /// Records one value (whether or not recording is [`enabled`]).
    pub fn observe(&self, v: f64) {
        let h = &self.0;
        let i = h.bounds.partition_point(|b| *b < v);
        h.buckets[i].fetch_add(1, Ordering::Relaxed);
        h.count.fetch_add(1, Ordering::Relaxed);
        let _ = h
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + v).to_bits())
            });
    }

    /// Records the time since `start` in seconds, if [`start`] gave one.
    #[inline]
    pub fn observe_since(&self, start: Option<Instant>) {
        if let Some(t) = start {
            self.observe_duration(t.elapsed());
        }
    }

    /// Records a duration in seconds.
    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    /// The number of values recorded.
    pub fn count(&self) -> u64 {
        self.0.count.load(Ordering::Relaxed)
    }

    /// The sum of the values recorded.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.0.sum.load(Ordering::Relaxed))
    }

    /// `(upper bound, cumulative count)` per bucket, `+Inf` last.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let h = &self.0;
        let mut acc = 0;
        h.bounds
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(h.buckets.iter())
            .map(|(b, c)| {
                acc += c.load(Ordering::Relaxed);
                (b, acc)
            })
            .collect()
    }
}

impl TypedMetric for AtomicHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for AtomicHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets = self.cumulative();
        let count = buckets.last().map_or(0, |b| b.1);
        encoder.encode_histogram::<NoLabelSet>(self.sum(), count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

type EncodeFn = dyn Fn(&mut DescriptorEncoder) -> Result<(), std::fmt::Error> + Send + Sync;

/// A collector that computes its families at scrape time with a closure.
pub struct FnCollector(Box<EncodeFn>);

impl FnCollector {
    /// Wraps `f`, called on every scrape.
    pub fn new(
        f: impl Fn(&mut DescriptorEncoder) -> Result<(), std::fmt::Error> + Send + Sync + 'static,
    ) -> Box<Self> {
        Box::new(FnCollector(Box::new(f)))
    }
}

impl Debug for FnCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnCollector")
    }
}

impl Collector for FnCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        (self.0)(&mut encoder)
    }
}

/// Registers one family, with its unit when it has one.
pub fn register_family(
    reg: &mut Registry,
    name: &str,
    help: &str,
    unit: Option<Unit>,
    metric: impl prometheus_client::registry::Metric,
) {
    match unit {
        Some(u) => reg.register_with_unit(name, help, u, metric),
        None => reg.register(name, help, metric),
    }
}

/// Declares a crate's hot-path families in one place each: the field (with its doc), its type,
/// its initial value (`Default` when left out), its Prometheus name and help, and its unit
/// (a [`Unit`] variant, optional). Generates the struct, its `Default` and a `register` that
/// puts every family into a [`Registry`].
///
/// ```
/// use swarm_metrics::prometheus_client::metrics::counter::Counter;
/// use swarm_metrics::{AtomicHistogram, LATENCY_BUCKETS};
///
/// swarm_metrics::families! {
///     /// Example families.
///     pub struct Example {
///         /// Requests served.
///         requests: Counter, "example_requests", "Requests served";
///         /// Time to serve one.
///         latency: AtomicHistogram = AtomicHistogram::new(LATENCY_BUCKETS),
///             "example_latency", "Time to serve one request", Seconds;
///     }
/// }
///
/// let mut reg = swarm_metrics::Registry::default();
/// Example::default().register(&mut reg);
/// assert!(swarm_metrics::encode(&reg).contains("example_latency_seconds_count"));
/// ```
#[macro_export]
macro_rules! families {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident: $ty:ty $(= $init:expr)?, $metric:literal, $help:literal $(, $unit:ident)?;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $crate::__init!($($init)?), )* }
            }
        }

        impl $name {
            /// Registers every family.
            pub fn register(&self, reg: &mut $crate::Registry) {
                $(
                    $crate::register_family(
                        reg,
                        $metric,
                        $help,
                        $crate::__unit!($($unit)?),
                        self.$field.clone(),
                    );
                )*
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __init {
    () => {
        Default::default()
    };
    ($init:expr) => {
        $init
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __unit {
    () => {
        None
    };
    ($unit:ident) => {
        Some($crate::Unit::$unit)
    };
}

/// One unlabelled gauge of [`gauges`]: name, help, value.
pub type GaugeRow<'a> = (&'a str, &'a str, i64);

/// Writes unlabelled gauges, one per row.
pub fn gauges(enc: &mut DescriptorEncoder, rows: &[GaugeRow<'_>]) -> Result<(), std::fmt::Error> {
    for (name, help, value) in rows {
        gauge(enc, name, help, None, *value)?;
    }
    Ok(())
}

/// A gauge family labelled `state`, one series per task state given, named in lower case as
/// `docker service ps` shows them.
pub fn task_state_family(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl IntoIterator<Item = (&'static str, i64)>,
) -> Result<(), std::fmt::Error> {
    let lower: Vec<(String, i64)> = series
        .into_iter()
        .map(|(s, v)| (s.to_ascii_lowercase(), v))
        .collect();
    gauge_family(
        enc,
        name,
        help,
        "state",
        lower.iter().map(|(s, v)| (s.as_str(), *v)),
    )
}

/// Writes one unlabelled gauge.
pub fn gauge(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    value: i64,
) -> Result<(), std::fmt::Error> {
    enc.encode_descriptor(name, help, unit, MetricType::Gauge)?
        .encode_gauge(&value)
}

/// Writes one unlabelled counter (`_total` is appended to `name`).
pub fn counter(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    enc.encode_descriptor(name, help, None, MetricType::Counter)?
        .encode_counter::<NoLabelSet, _, u64>(&value, None)
}

/// Writes a gauge family with one label (`key`), one series per `(label value, value)`.
pub fn gauge_family<'a>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    key: &'static str,
    series: impl IntoIterator<Item = (&'a str, i64)>,
) -> Result<(), std::fmt::Error> {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (label, value) in series {
        let labels = [(key, label)];
        m.encode_family(&labels)?.encode_gauge(&value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::counter::Counter;

    #[test]
    fn histogram_buckets_are_cumulative_with_le_bounds() {
        let h = AtomicHistogram::new(&[1.0, 2.0]);
        for v in [0.5, 1.0, 1.5, 3.0] {
            h.observe(v);
        }
        assert_eq!(h.cumulative(), vec![(1.0, 2), (2.0, 3), (f64::INFINITY, 4)]);
        assert_eq!(h.count(), 4);
        assert!((h.sum() - 6.0).abs() < 1e-9);
    }

    #[test]
    fn the_exposition_has_units_totals_and_labels() {
        let mut reg = Registry::default();
        let h = AtomicHistogram::new(LATENCY_BUCKETS);
        h.observe(0.002);
        reg.register_with_unit("swarmd_test_append", "Append time", Unit::Seconds, h);
        let c: Counter = Counter::default();
        c.inc();
        reg.register("swarmd_test_changes", "Changes", c);
        reg.register_collector(FnCollector::new(|enc| {
            gauge_family(enc, "swarmd_test_tasks", "Tasks", "state", [("running", 3)])?;
            gauge(enc, "swarmd_test_term", "Term", None, 7)
        }));
        let text = encode(&reg);
        for line in [
            "swarmd_test_append_seconds_bucket{le=\"0.0025\"} 1",
            "swarmd_test_append_seconds_count 1",
            "swarmd_test_changes_total 1",
            "swarmd_test_tasks{state=\"running\"} 3",
            "swarmd_test_term 7",
            "# EOF",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line:?} missing in:\n{text}"
            );
        }
    }
}
