//! High availability on PostgreSQL: three `amipub serve` workers on one database of a private
//! PostgreSQL server, 60 releases over 12 products (published with `--detach`) and 6 promote
//! jobs; a random worker is SIGKILLed and started again every couple of seconds (25 times or
//! more) and the database server itself is restarted once mid-run. Every release and job must
//! finish; the sandbox must hold exactly one copy per release and one change set per version;
//! each release exactly one `published` announcement, and every announcement sent; and every release's timeline must be one
//! unbroken chain of transitions (each starting where the previous one ended): no two workers
//! ever wrote a release's steps at the same time.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use amipub_domain::job::JobState;
use amipub_domain::release::State;
use amipub_sandbox::server::lock;
use amipub_store::SqlStore;
use amipub_testkit::bus::free_port;
use amipub_testkit::postgres::PrivatePostgres;
use amipub_testkit::process::Child;
use amipub_testkit::service::Env;

const BIN: &str = env!("CARGO_BIN_EXE_amipub");
/// Virtual seconds per real second: long enough a run for the kills to land on work in flight.
const SCALE: f64 = 400.0;
const PRODUCTS: usize = 12;
const VERSIONS: usize = 5;
const KILLS: usize = 25;
const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];

/// The three workers, and what the killed ones said.
struct Workers<'e> {
    env: &'e Env,
    running: Vec<Child>,
    logs: Vec<String>,
    kills: usize,
    seed: u64,
}

impl<'e> Workers<'e> {
    fn start(env: &'e Env, n: usize) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        eprintln!("kill order seed {seed}");
        Self {
            env,
            running: (0..n).map(|_| Self::spawn(env)).collect(),
            logs: Vec::new(),
            kills: 0,
            seed,
        }
    }

    fn spawn(env: &Env) -> Child {
        let listen = format!("127.0.0.1:{}", free_port());
        env.amipub(["serve", "--listen", &listen]).spawn()
    }

    /// SIGKILLs a worker picked at random and starts a new one in its place.
    fn kill_one(&mut self) {
        // xorshift: no dependency for a test's coin.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let i = (self.seed % self.running.len() as u64) as usize;
        let mut old = std::mem::replace(&mut self.running[i], Self::spawn(self.env));
        old.kill().unwrap();
        self.logs.push(old.stderr().text());
        self.kills += 1;
    }

    fn stop(mut self) -> Vec<String> {
        for mut c in self.running.drain(..) {
            c.terminate(Duration::from_secs(30));
            self.logs.push(c.stderr().text());
        }
        self.logs
    }
}

/// (releases not finished or not yet announced, jobs not finished, release states) as stored,
/// if the database answers.
async fn progress(url: &str) -> Option<(usize, usize, BTreeMap<String, usize>)> {
    let s = SqlStore::open(url).await.ok()?;
    let releases = s.list(1000).await.ok()?;
    let jobs = s.list_jobs(1000).await.ok()?;
    // Announcements not yet sent count as work in flight.
    let unsent = usize::try_from(s.outbox_backlog().await.ok()?).unwrap_or(0);
    s.close().await;
    let mut states = BTreeMap::new();
    for r in &releases {
        *states.entry(r.state.name().to_owned()).or_default() += 1;
    }
    let open = releases.iter().filter(|r| !r.state.is_terminal()).count();
    let open_jobs = jobs.iter().filter(|j| !j.state.is_terminal()).count();
    Some((
        open + unsent + (PRODUCTS * VERSIONS - releases.len()),
        open_jobs,
        states,
    ))
}

#[test]
fn three_workers_finish_everything_through_kills_and_a_database_restart() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = PrivatePostgres::start();
    let env = Env::new(BIN, SCALE);
    env.use_store(&pg.url());
    let specs = env.add_fleet(PRODUCTS, &REGIONS);
    let (code, out, err) = env.amipub(["migrate"]).finish(Duration::from_secs(60));
    assert_eq!(code, 0, "{out}{err}");
    let mut workers = Workers::start(&env, 3);
    for v in 1..=VERSIONS {
        for spec in &specs {
            let (code, out, err) = env
                .publish_detached(spec, &format!("41.{v}"))
                .finish(Duration::from_secs(60));
            assert_eq!(code, 0, "{out}{err}");
            assert!(out.trim().starts_with('r'), "the id on stdout: {out}");
        }
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(900);
    let mut next_kill = started + Duration::from_secs(2);
    let (mut restarted, mut promoted, mut kills_in_flight) = (false, false, 0);
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let state = rt.block_on(progress(&pg.url()));
        if let Some((open, open_jobs, states)) = &state {
            if !promoted && states.get("done").copied().unwrap_or(0) >= PRODUCTS {
                promote_first_versions(&env, &specs[..6]);
                promoted = true;
            }
            if promoted && *open == 0 && *open_jobs == 0 && workers.kills >= KILLS {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "not finished after {:?}: {state:?}",
            deadline - started
        );
        if Instant::now() >= next_kill {
            if state
                .as_ref()
                .is_some_and(|(open, jobs, _)| open + jobs > 0)
            {
                kills_in_flight += 1;
            }
            workers.kill_one();
            next_kill += Duration::from_millis(1000 + workers.seed % 1000);
            if workers.kills == KILLS / 2 && !restarted {
                pg.restart();
                restarted = true;
            }
        }
    }
    let workers_killed = workers.kills;
    let logs = workers.stop();
    eprintln!(
        "finished in {:.0} s with {} kills ({kills_in_flight} while work was in flight) and one database restart",
        started.elapsed().as_secs_f64(),
        workers_killed
    );
    assert!(
        kills_in_flight >= KILLS,
        "too few kills landed on work in flight"
    );
    rt.block_on(check_store(&pg.url()));
    check_sandbox(&env);
    let lost: usize = logs
        .iter()
        .map(|l| l.matches("lease ran out").count())
        .sum();
    eprintln!("writes refused for a lost lease: {lost}");
}

/// Points `latest` of six products at their first version, as detached jobs.
fn promote_first_versions(env: &Env, specs: &[String]) {
    for spec in specs {
        let (code, out, err) = env
            .amipub([
                "promote",
                "--product",
                spec,
                "--version",
                "41.1",
                "--detach",
            ])
            .finish(Duration::from_secs(60));
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.trim().starts_with("j-"), "the job id on stdout: {out}");
    }
}

async fn check_store(url: &str) {
    let s = SqlStore::open(url).await.unwrap();
    let releases = s.list(1000).await.unwrap();
    let mut resent = 0;
    assert_eq!(releases.len(), PRODUCTS * VERSIONS);
    for r in &releases {
        assert_eq!(
            r.state,
            State::Done,
            "{} {} {:?}",
            r.product,
            r.version,
            r.failure
        );
        let outbox = s.outbox_of(&r.id).await.unwrap();
        let published: Vec<_> = outbox
            .iter()
            .filter(|o| o.schema == "amipub.release.published.v1")
            .collect();
        assert_eq!(published.len(), 1, "{}: {outbox:?}", r.id);
        assert!(
            outbox.iter().all(|o| o.sent_at.is_some()),
            "{}: not sent",
            r.id
        );
        resent += outbox.iter().filter(|o| o.attempts > 1).count();
        let timeline = s.timeline(&r.id).await.unwrap();
        for pair in timeline.windows(2) {
            assert_eq!(
                pair[1].from, pair[0].to,
                "{}: the timeline forks: {:?} then {:?}",
                r.id, pair[0], pair[1]
            );
        }
    }
    eprintln!("announcements sent more than once (same message id): {resent}");
    let jobs = s.list_jobs(100).await.unwrap();
    assert_eq!(jobs.len(), 6);
    for j in &jobs {
        assert_eq!(j.state, JobState::Done, "{} {:?}", j.id, j.failure);
    }
}

fn check_sandbox(env: &Env) {
    assert_eq!(env.mirrors(), PRODUCTS * VERSIONS, "one copy per release");
    let w = lock(&env.world);
    let copies = w
        .requests
        .iter()
        .filter(|r| r.operation == "CopyImage" && r.status == 200)
        .count();
    assert_eq!(copies, PRODUCTS * VERSIONS, "one CopyImage per release");
    let mut per_version: BTreeMap<(String, String), usize> = BTreeMap::new();
    for c in w.catalog.change_sets.values() {
        for ch in c
            .changes
            .iter()
            .filter(|ch| ch.change_type == "AddDeliveryOptions")
        {
            let entity = ch
                .entity_id
                .clone()
                .or(ch.identifier.clone())
                .unwrap_or_default();
            let version = ch.details["Version"]["VersionTitle"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            // The world's seeded versions (40.…) are not this run's.
            if version.starts_with("41.") {
                *per_version.entry((entity, version)).or_default() += 1;
            }
        }
    }
    assert_eq!(per_version.len(), PRODUCTS * VERSIONS, "{per_version:?}");
    assert!(
        per_version.values().all(|n| *n == 1),
        "a version submitted twice: {per_version:?}"
    );
}

/// The release's (state, timeline length) as stored.
async fn stored(url: &str, id: &str) -> Option<(State, usize)> {
    let s = SqlStore::open(url).await.ok()?;
    let r = s.get(id).await.ok()??;
    let n = s.timeline(id).await.ok()?.len();
    s.close().await;
    Some((r.state, n))
}

/// A runtime for the store, a PostgreSQL schema of the test's own, migrated, and a home
/// against a sandbox at ×500 that uses it.
fn migrated_home() -> (tokio::runtime::Runtime, String, Env) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(amipub_testkit::store::postgres_schema());
    let env = Env::new(BIN, 500.0);
    env.use_store(&url);
    let (code, out, err) = env.amipub(["migrate"]).finish(Duration::from_secs(60));
    assert_eq!(code, 0, "{out}{err}");
    (rt, url, env)
}

#[test]
fn a_worker_frozen_past_its_lease_writes_nothing_when_it_thaws_and_says_why() {
    let (rt, url, env) = migrated_home();
    let spec = env.path("products/fedora.toml").display().to_string();
    let (code, id, err) = env
        .publish_detached(&spec, "41.20241027.0")
        .finish(Duration::from_secs(60));
    assert_eq!(code, 0, "{err}");
    let id = id.trim().to_owned();
    // The first worker freezes right after its copy was made, holding the release's lease.
    let listen = |_: ()| format!("127.0.0.1:{}", free_port());
    let mut frozen = env
        .amipub(["serve", "--lease-secs", "2", "--listen", &listen(())])
        .env("AMIPUB_TEST_FREEZE_AT", "after:ensure_mirror")
        .spawn();
    assert!(
        frozen.wait_for_stderr("freezing at after:ensure_mirror", Duration::from_secs(60)),
        "{}",
        frozen.stderr().text()
    );
    std::thread::sleep(Duration::from_secs(3));
    // Past its lease, a second worker takes the release over and finishes it.
    let mut live = env
        .amipub(["serve", "--lease-secs", "2", "--listen", &listen(())])
        .spawn();
    let deadline = Instant::now() + Duration::from_secs(300);
    let before = loop {
        if let Some((State::Done, n)) = rt.block_on(stored(&url, &id)) {
            break n;
        }
        assert!(Instant::now() < deadline, "{}", live.stderr().text());
        std::thread::sleep(Duration::from_millis(200));
    };
    // Thawed, the first worker's write is refused, and it says why.
    let pid = frozen.id().to_string();
    let cont = std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap();
    assert!(cont.success());
    assert!(
        frozen.wait_for_stderr("no longer holds the lease", Duration::from_secs(60)),
        "{}",
        frozen.stderr().text()
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        rt.block_on(stored(&url, &id)),
        Some((State::Done, before)),
        "the thawed worker changed the release"
    );
    assert_eq!(
        env.mirrors(),
        1,
        "the second worker found the first one's copy"
    );
    frozen.terminate(Duration::from_secs(30));
    live.terminate(Duration::from_secs(30));
}

#[test]
fn a_worker_learns_a_product_published_after_it_started() {
    let (rt, url, env) = migrated_home();
    // The spec lives only on the publishing machine, not in the workers' products_dir.
    let spec = env.add_fleet(1, &REGIONS).remove(0);
    let elsewhere = env.path("fleet-01.toml");
    std::fs::rename(&spec, &elsewhere).unwrap();
    let mut worker = env
        .amipub(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .spawn();
    assert!(worker.wait_for_stderr("serve: no [bus]", Duration::from_secs(60)));
    let (code, id, err) = env
        .publish_detached(&elsewhere.display().to_string(), "41.1")
        .finish(Duration::from_secs(60));
    assert_eq!(code, 0, "{err}");
    let id = id.trim().to_owned();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        match rt.block_on(stored(&url, &id)) {
            Some((State::Done, _)) => break,
            Some((s, _)) if s.is_terminal() => panic!("ended {s:?}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "{}", worker.stderr().text());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(worker.stderr().contains("learned product fleet-01"));
    worker.terminate(Duration::from_secs(30));
}
