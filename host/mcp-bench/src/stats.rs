//! Percentiles of latency samples.

use std::time::Duration;

use serde_json::{Value, json};

/// Latency samples in nanoseconds.
#[derive(Debug, Default)]
pub struct Samples(Vec<u64>);

impl Samples {
    pub fn with_capacity(n: usize) -> Samples {
        Samples(Vec::with_capacity(n))
    }

    pub fn push(&mut self, elapsed: Duration) {
        self.0
            .push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }

    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The nearest-rank percentile `q` (0..=1), in microseconds.
    fn percentile_us(sorted: &[u64], q: f64) -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = (q * sorted.len() as f64).ceil() as usize;
        let index = rank.clamp(1, sorted.len()) - 1;
        sorted[index] as f64 / 1000.0
    }

    /// p50, p90, p99, mean and max, in microseconds (one decimal).
    pub fn summary(mut self) -> Value {
        self.0.sort_unstable();
        let sorted = &self.0;
        let mean = if sorted.is_empty() {
            0.0
        } else {
            sorted.iter().map(|&n| n as f64).sum::<f64>() / sorted.len() as f64 / 1000.0
        };
        json!({
            "p50_us": round1(Self::percentile_us(sorted, 0.50)),
            "p90_us": round1(Self::percentile_us(sorted, 0.90)),
            "p99_us": round1(Self::percentile_us(sorted, 0.99)),
            "mean_us": round1(mean),
            "max_us": round1(Self::percentile_us(sorted, 1.0)),
        })
    }
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn ms(d: Duration) -> f64 {
    round1(d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples = Samples::default();
        for us in 1..=100 {
            samples.push(Duration::from_micros(us));
        }
        let summary = samples.summary();
        assert_eq!(summary["p50_us"], 50.0);
        assert_eq!(summary["p99_us"], 99.0);
        assert_eq!(summary["max_us"], 100.0);
        assert_eq!(summary["mean_us"], 50.5);
    }

    #[test]
    fn empty_samples_are_zero() {
        assert_eq!(Samples::default().summary()["p50_us"], 0.0);
    }
}
