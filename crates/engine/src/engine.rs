//! The loop: claim the releases that are due, move each as far as it can go now (tick, run the
//! commands, feed the results back), persist every transition with its timeline entry, give the
//! lease back. A release that has to wait keeps its `next_check_at`; nothing sleeps.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock};

use futures_util::StreamExt;
use tracing::Instrument;

use amipub_domain::release::{Command, Event, FailureKind, Release, State, decide, pace};
use amipub_domain::spec::ProductSpec;

use crate::execute::{execute, transition_announcement};
use crate::ports::{Announcement, PortError, PortResult, Ports, Store, TimelineEntry, lock_holder};
pub use crate::product::Product;
use crate::report::command_span;

/// How long a claimed release stays leased to a worker by default: longer than any single
/// step's calls.
pub const LEASE_SECS: i64 = 900;
/// Most releases one `step` claims.
pub const CLAIM_LIMIT: usize = 32;
/// Most releases one `step` moves at the same time (bounded fan-out per worker).
pub const CONCURRENCY: usize = 8;
/// Most transitions one release makes in one step (a guard against a loop of events).
const MAX_TRANSITIONS_PER_STEP: usize = 64;

/// Called at named points of the work: `before:<command>` and `after:<command>` around each
/// command's port calls, `saved:<state>` after each transition is stored. Tests use it to stop a
/// process at an exact point; it must not fail.
pub type Hook = Arc<dyn Fn(&str) + Send + Sync>;

/// The engine.
pub struct Engine<P: Ports> {
    ports: P,
    /// By slug; a worker learns products recorded after it started (`add_product`).
    products: RwLock<BTreeMap<String, Arc<Product>>>,
    /// Products of releases met without a spec, until `take_unknown` hands them over.
    unknown: Mutex<BTreeSet<String>>,
    worker: String,
    hook: Option<Hook>,
    lease_secs: i64,
}

impl<P: Ports> Engine<P> {
    /// An engine publishing `products` (by slug) through `ports`, as worker `worker`.
    pub fn new(ports: P, products: Vec<Product>, worker: &str) -> Self {
        let products = products
            .into_iter()
            .map(|p| (p.spec.product.slug.clone(), Arc::new(p)))
            .collect();
        Self {
            ports,
            products: RwLock::new(products),
            unknown: Mutex::default(),
            worker: worker.to_owned(),
            hook: None,
            lease_secs: LEASE_SECS,
        }
    }

    /// The same engine, calling `hook` at its named points.
    pub fn with_hook(mut self, hook: Hook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Claims work for `secs` seconds (another worker takes over a claim this long after this
    /// one stopped answering).
    pub fn set_lease(&mut self, secs: i64) {
        self.lease_secs = secs.max(1);
    }

    /// Claims under another worker id: a second engine in the same process (the console's
    /// actions beside the engine loop) must not count the loop's leases as its own.
    pub fn set_worker(&mut self, worker: &str) {
        self.worker = worker.to_owned();
    }

    /// How long this engine's claims last.
    pub(crate) fn lease_secs(&self) -> i64 {
        self.lease_secs
    }

    /// The worker this engine claims work as.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Calls the hook with `kind:name` (formatted only when there is a hook).
    pub(crate) fn point(&self, kind: &str, name: &str) {
        if let Some(h) = &self.hook {
            h(&format!("{kind}:{name}"));
        }
    }

    /// The ports.
    pub fn ports(&self) -> &P {
        &self.ports
    }

    /// Gives the ports back (to hand the same world to another engine).
    pub fn into_ports(self) -> P {
        self.ports
    }

    /// The specs of every product, by slug.
    pub fn specs(&self) -> Vec<ProductSpec> {
        self.products
            .read()
            .map(|ps| ps.values().map(|p| p.spec.clone()).collect())
            .unwrap_or_default()
    }

    /// A product by slug.
    pub fn product(&self, slug: &str) -> Option<Arc<Product>> {
        self.products.read().ok()?.get(slug).cloned()
    }

    /// The products of releases this engine met without knowing them, since the last call.
    pub fn take_unknown(&self) -> Vec<String> {
        self.unknown
            .lock()
            .map(|mut u| std::mem::take(&mut *u).into_iter().collect())
            .unwrap_or_default()
    }

    /// Learns a product it did not know (one recorded by another process after this engine
    /// started); a product it knows keeps its spec.
    pub fn add_product(&self, product: Product) {
        if let Ok(mut ps) = self.products.write() {
            ps.entry(product.spec.product.slug.clone())
                .or_insert_with(|| Arc::new(product));
        }
    }

    /// Records a new release (it is then due at once).
    pub async fn record(&self, release: &Release, now: i64) -> PortResult<()> {
        let entry = received_entry(release, now);
        self.ports.store().save(release, &[entry], &[]).await?;
        crate::report::received(release);
        Ok(())
    }

    /// Records a new release and moves it as far as it goes.
    pub async fn submit(&self, release: Release, now: i64) -> PortResult<Release> {
        self.record(&release, now).await?;
        Ok(self.step_one(&release.id, now).await?.unwrap_or(release))
    }

    /// Moves every due release, a few at a time, after applying the stored wake-ups; returns
    /// how many were looked at.
    pub async fn step(&self, now: i64) -> PortResult<usize> {
        let store = self.ports.store();
        let woken = store.apply_wakes(now).await?;
        amipub_telemetry::events::Woken { count: woken }.emit();
        let due = store
            .claim_due(now, &self.worker, self.lease_secs, CLAIM_LIMIT)
            .await?;
        let n = due.len();
        let results: Vec<PortResult<Release>> = futures_util::stream::iter(due)
            .map(|mut r| async move {
                // The store found it due: a wake-up moves only the stored row's time.
                r.next_check_at = r.next_check_at.map(|t| t.min(now));
                let id = r.id.clone();
                let span = span_of(&r);
                let result = self.advance(r, now).instrument(span).await;
                let released = self.ports.store().release_lease(&id, &self.worker).await;
                released.and(result)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for r in results {
            r?;
        }
        Ok(n)
    }

    /// Moves one release if it is due and no other worker holds it; returns it as stored
    /// afterwards (`None`: finished, or held by another worker).
    pub async fn step_one(&self, id: &str, now: i64) -> PortResult<Option<Release>> {
        let Some(r) = self
            .ports
            .store()
            .claim(id, now, &self.worker, self.lease_secs)
            .await?
        else {
            return Ok(None);
        };
        let result = if r.next_check_at.is_none_or(|t| t <= now) {
            let span = span_of(&r);
            self.advance(r, now).instrument(span).await
        } else {
            Ok(r)
        };
        self.ports.store().release_lease(id, &self.worker).await?;
        result.map(Some)
    }

    /// An operator's request (retry or cancel) on a stored release. A finished release (no
    /// worker claims those) is changed only while nobody holds it, then moved on as a claimed
    /// one; a release in flight is claimed first, so a request made while a worker is in the
    /// middle of a step is refused with a message instead of being overwritten by that worker.
    pub async fn request(&self, release: Release, event: Event, now: i64) -> PortResult<Release> {
        if release.state.is_terminal() {
            let (next, _) = decide(&release, &event, now);
            self.persist(None, &release, &next, &event, &[], now)
                .await?;
            return Ok(self.step_one(&release.id, now).await?.unwrap_or(next));
        }
        let Some(current) = self
            .ports
            .store()
            .claim(&release.id, now, &self.worker, self.lease_secs)
            .await?
        else {
            return Err(PortError::new(
                FailureKind::ServerFault,
                format!(
                    "release {} is being moved by another worker right now (or has just finished); nothing was changed: look at it with amipub show and ask again",
                    release.id
                ),
            ));
        };
        let span = span_of(&current);
        let result = self.answer(current, &event, now).instrument(span).await;
        let released = self
            .ports
            .store()
            .release_lease(&release.id, &self.worker)
            .await;
        released.and(result)
    }

    /// Applies an operator's request to a claimed release and runs what it asks for.
    async fn answer(&self, current: Release, event: &Event, now: i64) -> PortResult<Release> {
        let (next, cmds) = decide(&current, event, now);
        let me = Some(self.worker.as_str());
        self.persist(me, &current, &next, event, &[], now).await?;
        self.run(next, cmds, now).await
    }

    /// Ticks one release and runs what it asks for.
    async fn advance(&self, mut release: Release, now: i64) -> PortResult<Release> {
        if release.expected.is_none() {
            let history = self
                .ports
                .store()
                .recent_done(&release.product, pace::HISTORY)
                .await?;
            release.expected = Some(pace::expect(
                &history.iter().map(|r| &r.took).collect::<Vec<_>>(),
            ));
        }
        let (next, cmds) = decide(&release, &Event::Tick, now);
        if next != release {
            let me = Some(self.worker.as_str());
            self.persist(me, &release, &next, &Event::Tick, &[], now)
                .await?;
        }
        self.run(next, cmds, now).await
    }

    async fn run(&self, mut r: Release, mut queue: Vec<Command>, now: i64) -> PortResult<Release> {
        let Some(product) = self.product(&r.product) else {
            if let Ok(mut u) = self.unknown.lock() {
                u.insert(r.product.clone());
            }
            return Ok(r);
        };
        let product = &*product;
        let mut transitions = 0;
        while let Some(cmd) = queue.pop() {
            transitions += 1;
            if transitions > MAX_TRANSITIONS_PER_STEP {
                break;
            }
            // The command's calls and the transition they lead to share one span, so that a
            // failure reported with the transition names the call, Region and resource.
            let step = async {
                self.point("before", cmd.name());
                let (event, announcements) = execute(&self.ports, product, &r, &cmd, now).await;
                self.point("after", cmd.name());
                let Some(event) = event else {
                    return Ok(None);
                };
                let (next, more) = decide(&r, &event, now);
                let me = Some(self.worker.as_str());
                self.persist(me, &r, &next, &event, &announcements, now)
                    .await?;
                Ok::<_, PortError>(Some((next, more)))
            };
            if let Some((next, more)) = step.instrument(command_span(cmd.name())).await? {
                r = next;
                queue.extend(more);
            }
        }
        Ok(r)
    }

    /// Stores a transition: as `holder` (fenced by its lease), or as nobody.
    async fn persist(
        &self,
        holder: Option<&str>,
        before: &Release,
        after: &Release,
        event: &Event,
        announcements: &[Announcement],
        now: i64,
    ) -> PortResult<()> {
        let entry = TimelineEntry {
            at: now,
            event: event.name().into(),
            from: before.state.name().into(),
            to: after.state.name().into(),
            detail: detail(event, after),
        };
        let made: Vec<Announcement> = match announcements {
            [] => self
                .product(&after.product)
                .and_then(|p| transition_announcement(&p, before, after))
                .into_iter()
                .collect(),
            _ => announcements.to_vec(),
        };
        let store = self.ports.store();
        match holder {
            Some(w) => store.save_as(w, after, &[entry], &made).await?,
            None => store.save(after, &[entry], &made).await?,
        }
        crate::report::release(before, after, event, now);
        if holds_lock(before) && !holds_lock(after) {
            // The product's lock is free: whatever queued behind this release goes at once.
            store.add_wake(&lock_holder(&after.id), now).await?;
            if let Some(cs) = &before.change_set {
                store.add_wake(cs, now).await?;
            }
        }
        if after.state != before.state {
            self.point("saved", after.state.name());
        }
        Ok(())
    }
}

/// Whether a release holds (or queues for) its product's change-set lock.
fn holds_lock(r: &Release) -> bool {
    matches!(r.state, State::Submitting | State::Scanning)
}

/// The first timeline entry of a release recorded at `now`.
pub fn received_entry(release: &Release, now: i64) -> TimelineEntry {
    TimelineEntry {
        at: now,
        event: "received".into(),
        from: "-".into(),
        to: release.state.name().into(),
        detail: format!("{} from {}", release.source_ami, release.source_region),
    }
}

fn span_of(r: &Release) -> tracing::Span {
    tracing::info_span!("release", id = %r.id, product = %r.product, version = %r.version)
}

fn detail(event: &Event, r: &Release) -> String {
    match event {
        Event::MirrorStarted { ami } | Event::MirrorAvailable { ami } => ami.clone(),
        Event::ChangeSetStarted { id, .. } => id.clone(),
        Event::ProductLocked { change_set } => format!("waiting for {change_set}"),
        Event::RegionsFound { .. } => format!(
            "{} of {} Regions",
            r.regions.len(),
            r.expected_regions.len()
        ),
        Event::CallFailed { kind, detail } => format!("{}: {detail}", kind.label()),
        Event::ChangeSetFailed { errors, .. } => errors
            .iter()
            .map(|(c, m)| format!("{c}: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
        Event::ChangeSetSucceeded { controls } => {
            amipub_domain::release::assessment::summary(controls).unwrap_or_default()
        }
        Event::GrantMissing { detail } | Event::MirrorFailed { detail } => detail.clone(),
        Event::ParametersWritten { verified } => verified.clone(),
        Event::CancelRequested { by } | Event::RetryRequested { by } => format!("by {by}"),
        _ => r
            .failure
            .as_ref()
            .map(|f| f.detail.clone())
            .or_else(|| r.rejection.clone())
            .unwrap_or_default(),
    }
}
