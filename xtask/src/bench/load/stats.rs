//! What the load benchmark records (one [`Sample`] per request) and how it tells it.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::bench::{median, quantile};

/// What became of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Ok,
    /// 4xx: a refusal the flow did not expect (a conflict, a benchmark bug).
    Client,
    /// 502 or 504: the OpenStack side failed or was too slow.
    Upstream,
    /// Any other 5xx, or no answer at all: the server's own fault. Talking to Glance
    /// directly, a 5xx or a dropped connection is Glance's, so it counts as upstream.
    Own,
}

impl Class {
    /// Glimpse's answers: 502/504 are upstream failures, every other 5xx is its own.
    pub fn of_glimpse(status: u16) -> Class {
        match status {
            200..=399 => Class::Ok,
            502 | 504 => Class::Upstream,
            400..=499 => Class::Client,
            _ => Class::Own,
        }
    }

    /// Glance's or Keystone's answers: every server failure is upstream.
    pub fn of_openstack(status: u16) -> Class {
        match status {
            200..=399 => Class::Ok,
            400..=499 => Class::Client,
            _ => Class::Upstream,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Sample {
    pub route: &'static str,
    pub ms: f64,
    pub class: Class,
    /// Since the phase began, for telling a start-up burst from steady state.
    pub at: Duration,
}

/// Per-route figures of one phase.
#[derive(Clone, Debug, Default)]
pub struct RouteStats {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub client: usize,
    pub upstream: usize,
    pub own: usize,
}

/// Every route's figures, and the totals, of one phase.
#[derive(Clone, Debug, Default)]
pub struct PhaseStats {
    pub routes: BTreeMap<&'static str, RouteStats>,
    pub total: RouteStats,
    pub seconds: f64,
    /// p99 of the requests begun in the first [`EARLY`] and after it: a burst at the
    /// start (sign-ins, cold caches) shows as the first far above the second.
    pub p99_early: f64,
    pub p99_late: f64,
}

pub const EARLY: Duration = Duration::from_secs(10);

impl PhaseStats {
    pub fn of(samples: &[Sample], seconds: f64) -> PhaseStats {
        let mut by_route: BTreeMap<&'static str, Vec<&Sample>> = BTreeMap::new();
        for s in samples {
            by_route.entry(s.route).or_default().push(s);
        }
        let all: Vec<&Sample> = samples.iter().collect();
        let (early, late): (Vec<&Sample>, Vec<&Sample>) =
            samples.iter().partition(|s| s.at < EARLY);
        let p99 = |v: &[&Sample]| quantile(&v.iter().map(|s| s.ms).collect::<Vec<_>>(), 0.99);
        PhaseStats {
            p99_early: p99(&early),
            p99_late: p99(&late),
            routes: by_route
                .into_iter()
                .map(|(route, v)| (route, route_stats(&v)))
                .collect(),
            total: route_stats(&all),
            seconds,
        }
    }

    pub fn rps(&self) -> f64 {
        self.total.count as f64 / self.seconds.max(f64::EPSILON)
    }
}

fn route_stats(samples: &[&Sample]) -> RouteStats {
    let ms: Vec<f64> = samples.iter().map(|s| s.ms).collect();
    let count = |c: Class| samples.iter().filter(|s| s.class == c).count();
    RouteStats {
        count: samples.len(),
        p50: median(&ms),
        p95: quantile(&ms, 0.95),
        p99: quantile(&ms, 0.99),
        max: ms.iter().copied().fold(f64::NAN, f64::max),
        client: count(Class::Client),
        upstream: count(Class::Upstream),
        own: count(Class::Own),
    }
}

/// Milliseconds as a person reads them: `850 ms`, `2.4 s`, `–` for nothing measured.
pub fn ms(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else if v < 10.0 {
        format!("{v:.1} ms")
    } else if v < 1000.0 {
        format!("{v:.0} ms")
    } else {
        format!("{:.1} s", v / 1000.0)
    }
}

/// The two phases side by side, one line per route.
pub fn print_routes(glimpse: &PhaseStats, direct: &PhaseStats) {
    println!(
        "{:<15} | {:>6} {:>8} {:>8} {:>8} {:>8} {:>5}/{:<5} | {:>6} {:>8} {:>8} {:>8} {:>8} {:>5}",
        "route",
        "n",
        "p50",
        "p95",
        "p99",
        "max",
        "own",
        "upstr",
        "n",
        "p50",
        "p95",
        "p99",
        "max",
        "err"
    );
    let routes: std::collections::BTreeSet<&str> = glimpse
        .routes
        .keys()
        .chain(direct.routes.keys())
        .copied()
        .collect();
    let empty = RouteStats {
        p50: f64::NAN,
        p95: f64::NAN,
        p99: f64::NAN,
        max: f64::NAN,
        ..RouteStats::default()
    };
    let line = |name: &str, g: &RouteStats, d: &RouteStats| {
        println!(
            "{:<15} | {:>6} {:>8} {:>8} {:>8} {:>8} {:>5}/{:<5} | {:>6} {:>8} {:>8} {:>8} {:>8} {:>5}",
            name,
            g.count,
            ms(g.p50),
            ms(g.p95),
            ms(g.p99),
            ms(g.max),
            g.own,
            g.upstream,
            d.count,
            ms(d.p50),
            ms(d.p95),
            ms(d.p99),
            ms(d.max),
            d.upstream + d.own
        );
    };
    for route in routes {
        line(
            route,
            glimpse.routes.get(route).unwrap_or(&empty),
            direct.routes.get(route).unwrap_or(&empty),
        );
    }
    line("all", &glimpse.total, &direct.total);
    println!(
        "p99 of requests begun in the first {} s / later: {} / {} through Glimpse, {} / {} direct",
        EARLY.as_secs(),
        ms(glimpse.p99_early),
        ms(glimpse.p99_late),
        ms(direct.p99_early),
        ms(direct.p99_late)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert_eq!(Class::of_glimpse(201), Class::Ok);
        assert_eq!(Class::of_glimpse(409), Class::Client);
        assert_eq!(Class::of_glimpse(502), Class::Upstream);
        assert_eq!(Class::of_glimpse(504), Class::Upstream);
        assert_eq!(Class::of_glimpse(500), Class::Own);
        assert_eq!(Class::of_glimpse(503), Class::Own);
        assert_eq!(Class::of_openstack(500), Class::Upstream);
    }

    #[test]
    fn phase_stats_split_by_route() {
        let s = |route, ms, class| Sample {
            route,
            ms,
            class,
            at: Duration::ZERO,
        };
        let stats = PhaseStats::of(
            &[
                s("a", 10.0, Class::Ok),
                s("a", 30.0, Class::Own),
                s("b", 5.0, Class::Upstream),
            ],
            2.0,
        );
        assert_eq!(stats.total.count, 3);
        assert_eq!(stats.rps(), 1.5);
        assert_eq!(stats.routes["a"].own, 1);
        assert_eq!(stats.routes["a"].max, 30.0);
        assert_eq!(stats.routes["b"].upstream, 1);
        assert_eq!(ms(2400.0), "2.4 s");
        assert_eq!(ms(f64::NAN), "–");
    }
}
