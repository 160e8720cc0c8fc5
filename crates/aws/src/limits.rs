//! Client-side rate limits: one token bucket per (Region, API class) of an account, sized from
//! the documented limits (EC2:
//! <https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html>; Catalog:
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/catalog-service-quotas.html>), so
//! a fan-out across 30 Regions or a burst of releases paces itself instead of provoking
//! `RequestLimitExceeded`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A class of calls sharing one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// EC2 Describe* (non-mutating: 100 tokens, 20/s).
    Ec2Describe,
    /// EC2 CopyImage (its own bucket: 100 tokens, 1/s).
    Ec2Copy,
    /// Other EC2 mutations: tags, attributes, deregistration (mutating: 200 tokens, 5/s).
    Ec2Modify,
    /// Catalog DescribeEntity (20/s).
    CatalogDescribeEntity,
    /// Catalog DescribeChangeSet (10/s).
    CatalogDescribeChangeSet,
    /// Catalog ListChangeSets (5/s).
    CatalogListChangeSets,
    /// Catalog StartChangeSet, CancelChangeSet, TagResource and ListTagsForResource (5/s each).
    CatalogChange,
    /// Catalog ListAssessments and DescribeAssessment: the quotas page names no rate for them,
    /// so they get the lowest the Catalog documents (5/s).
    CatalogAssessments,
    /// Marketplace Discovery reads (GetProduct, ListFulfillmentOptions: 5/s per account,
    /// <https://docs.aws.amazon.com/marketplace/latest/developerguide/discovery-service-quotas.html>).
    Discovery,
    /// SSM reads (conservative: 20 tokens, 10/s).
    SsmRead,
    /// SSM writes (conservative: 10 tokens, 3/s).
    SsmWrite,
    /// IAM (global; conservative: 10 tokens, 5/s).
    Iam,
}

impl Class {
    /// (capacity, refill per second).
    pub fn bucket(self) -> (f64, f64) {
        match self {
            Class::Ec2Describe => (100.0, 20.0),
            Class::Ec2Copy => (100.0, 1.0),
            Class::Ec2Modify => (200.0, 5.0),
            Class::CatalogDescribeEntity => (20.0, 20.0),
            Class::CatalogDescribeChangeSet => (10.0, 10.0),
            Class::CatalogListChangeSets | Class::CatalogChange | Class::CatalogAssessments => {
                (5.0, 5.0)
            }
            Class::Discovery => (5.0, 5.0),
            Class::SsmRead => (20.0, 10.0),
            Class::SsmWrite => (10.0, 3.0),
            Class::Iam => (10.0, 5.0),
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The buckets of one account.
#[derive(Debug)]
pub struct Limiter {
    buckets: Mutex<BTreeMap<(String, Class), Bucket>>,
    speed: f64,
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new(1.0)
    }
}

impl Limiter {
    /// Buckets refilling `speed` times faster than AWS's: 1 for AWS, the time scale for a
    /// sandbox whose clock runs faster, so pacing keeps the same proportion to copies and scans.
    pub fn new(speed: f64) -> Self {
        Self {
            buckets: Mutex::default(),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    /// Takes a token for a call of `class` in `region`, waiting for one if the bucket is empty.
    pub async fn acquire(&self, region: &str, class: Class) {
        let wait = self.reserve(region, class, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Reserves a token at `now`; returns how long to wait before using it.
    pub fn reserve(&self, region: &str, class: Class, now: Instant) -> Duration {
        let (capacity, rate) = class.bucket();
        let rate = rate * self.speed;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry((region.to_owned(), class)).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(capacity);
        b.last = now;
        // Tokens may go negative: each waiter owns its place in the queue.
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.tokens / rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_beyond_capacity_waits_at_the_refill_rate() {
        let l = Limiter::default();
        let t = Instant::now();
        for _ in 0..100 {
            assert_eq!(l.reserve("us-east-1", Class::Ec2Copy, t), Duration::ZERO);
        }
        // The 101st CopyImage waits one second; the 102nd two.
        assert_eq!(
            l.reserve("us-east-1", Class::Ec2Copy, t),
            Duration::from_secs(1)
        );
        assert_eq!(
            l.reserve("us-east-1", Class::Ec2Copy, t),
            Duration::from_secs(2)
        );
        // Other Regions and classes have their own buckets.
        assert_eq!(l.reserve("eu-west-1", Class::Ec2Copy, t), Duration::ZERO);
        assert_eq!(
            l.reserve("us-east-1", Class::Ec2Describe, t),
            Duration::ZERO
        );
    }

    #[test]
    fn tokens_refill_over_time_up_to_capacity() {
        let l = Limiter::default();
        let t = Instant::now();
        for _ in 0..5 {
            l.reserve("us-east-1", Class::CatalogChange, t);
        }
        assert!(l.reserve("us-east-1", Class::CatalogChange, t) > Duration::ZERO);
        // After a long pause the bucket is full again, not more.
        let later = t + Duration::from_secs(3600);
        for _ in 0..5 {
            assert_eq!(
                l.reserve("us-east-1", Class::CatalogChange, later),
                Duration::ZERO
            );
        }
        assert!(l.reserve("us-east-1", Class::CatalogChange, later) > Duration::ZERO);
    }
}
