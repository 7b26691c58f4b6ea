//! Sign-in throttling: without it, sign-in is an unthrottled password oracle in front of
//! Keystone. Attempts are limited per client address (an IPv6 client per /64, the block one
//! host usually holds) and per username, each a token bucket of `sign_in_per_…` attempts
//! refilled over a minute.
//!
//! `governor` (keyed GCRA limiters, lock-free, the crate `tower_governor` is built on) rather
//! than `tower_governor`'s layer: the username is in the JSON body, which a layer keyed on the
//! request head cannot see, and the answer must be this API's own `rate_limited` error. The
//! client address comes from `client_addr`, which believes `X-Forwarded-For` only from a
//! trusted proxy (`tower_governor`'s smart extractor believes it from anyone).

use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::Error;
use crate::config::SignInLimits;

pub struct SignInThrottle {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    /// Keyed by a hash of the username: fixed-size keys whatever is sent, and no usernames
    /// kept in memory.
    by_user: DefaultKeyedRateLimiter<u64>,
    hasher: RandomState,
    clock: DefaultClock,
}

impl SignInThrottle {
    pub fn new(limits: SignInLimits) -> Self {
        Self {
            by_address: DefaultKeyedRateLimiter::keyed(Quota::per_minute(limits.per_address)),
            by_user: DefaultKeyedRateLimiter::keyed(Quota::per_minute(limits.per_user)),
            hasher: RandomState::new(),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one sign-in attempt from `addr` for `user` (the username with its domain, or an
    /// application credential id), or refuses it with `rate_limited`.
    pub fn attempt(&self, addr: IpAddr, user: &str) -> Result<(), Error> {
        if let Err(not_until) = self.by_address.check_key(&per_host(addr)) {
            return Err(limited(
                "from your network address",
                not_until.wait_time_from(self.clock.now()),
            ));
        }
        let user = self.hasher.hash_one(user.trim().to_lowercase());
        if let Err(not_until) = self.by_user.check_key(&user) {
            return Err(limited(
                "for this user",
                not_until.wait_time_from(self.clock.now()),
            ));
        }
        Ok(())
    }

    /// Forgets the addresses and users whose buckets are full again, so that the limiter's
    /// memory follows recent traffic only.
    pub fn sweep(&self) {
        self.by_address.retain_recent();
        self.by_address.shrink_to_fit();
        self.by_user.retain_recent();
        self.by_user.shrink_to_fit();
    }
}

/// An IPv4 address, or the /64 of an IPv6 one.
fn per_host(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u64::MAX as u128))),
        v4 => v4,
    }
}

fn limited(whom: &str, wait: Duration) -> Error {
    // Whole seconds, rounded up: trying again after `retry_after` seconds always succeeds.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let unit = if secs == 1 { "second" } else { "seconds" };
    Error::RateLimited {
        message: format!("Too many sign-in attempts {whom}. Wait {secs} {unit}, then try again."),
        retry_after: secs,
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    fn throttle(per_address: u32, per_user: u32) -> SignInThrottle {
        SignInThrottle::new(SignInLimits {
            per_address: NonZeroU32::new(per_address).unwrap(),
            per_user: NonZeroU32::new(per_user).unwrap(),
        })
    }

    fn retry_after(r: Result<(), Error>) -> u64 {
        match r {
            Err(Error::RateLimited { retry_after, .. }) => retry_after,
            other => panic!("not limited: {other:?}"),
        }
    }

    #[test]
    fn per_user_whatever_the_case() {
        let t = throttle(100, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(t.attempt(a, "Default\nalice").is_ok());
        assert!(t.attempt(a, "default\nALICE ").is_ok());
        let wait = retry_after(t.attempt(a, "default\nalice"));
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(t.attempt(a, "default\nbob").is_ok());
    }

    #[test]
    fn per_address_and_per_ipv6_block() {
        let t = throttle(2, 100);
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_block: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_block: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(t.attempt(one, "a").is_ok());
        assert!(t.attempt(same_block, "b").is_ok());
        retry_after(t.attempt(one, "c"));
        assert!(t.attempt(other_block, "d").is_ok());
    }
}
