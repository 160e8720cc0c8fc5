//! The console's port in `serve`: the engine's clock, and the actions done as the CLI does them
//! (`retry`, `cancel`, `promote --detach`, `approve`), each under the name of the person who
//! asked. Also what the products page shows of each spec in `products_dir`.

use std::collections::BTreeMap;
use tokio::sync::{mpsc, oneshot, watch};

use amipub_console::ProductInfo;
use amipub_console::ops::{Action, Operations, Pending};
use amipub_domain::job::{JobEvent, JobState};
use amipub_domain::lifecycle::approval::record_approval;
use amipub_domain::lifecycle::content_hash;
use amipub_domain::release::{Event, Release, State};
use amipub_domain::spec::DeliveryPath;

use crate::clock::Clock;
use crate::promote_job::{Spec, spec_of, specs};
use crate::runtime::Runtime;

/// What the products page shows of each product spec.
pub fn products(products_dir: &str) -> Vec<ProductInfo> {
    specs(products_dir)
        .iter()
        .map(|s| {
            let p = &s.spec.product;
            let approval = s.spec.approval.as_ref();
            ProductInfo {
                slug: p.slug.clone(),
                title: s.spec.listing.title.clone(),
                product_id: p.id.clone(),
                path: match p.delivery_path {
                    DeliveryPath::Catalog => "catalog",
                    DeliveryPath::SecondParty => "second-party",
                }
                .to_owned(),
                approval: approval.map(|a| a.reference.clone()),
                approval_current: approval
                    .and_then(|a| a.content_hash.as_deref())
                    .is_some_and(|h| h == content_hash(&s.spec)),
                aliases: s
                    .spec
                    .ssm
                    .as_ref()
                    .map(|m| m.aliases.keys().cloned().collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// One action asked from a page, with where its answer goes.
pub struct Ask {
    action: Action,
    by: String,
    reply: oneshot::Sender<Result<String, String>>,
}

/// The console's port: the engine's clock, and a queue of actions to the worker's
/// `actions_loop`, which takes them one at a time on the worker's own runtime.
pub struct ServeOps {
    /// The engine's clock.
    pub clock: Clock,
    /// Where the product specs are (read again for every products page).
    pub products_dir: String,
    /// Where actions go.
    pub asks: mpsc::Sender<Ask>,
}

/// How many actions may wait for the loop.
pub const ASKS_WAITING: usize = 16;

/// How long a page waits for an action's answer; the action goes on after that.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

impl Operations for ServeOps {
    fn products(&self) -> Vec<ProductInfo> {
        products(&self.products_dir)
    }

    fn parameters(&self, release: &Release) -> Vec<String> {
        let Some(s) = specs(&self.products_dir)
            .into_iter()
            .find(|s| s.spec.product.slug == release.product)
        else {
            return Vec::new();
        };
        let product = amipub_engine::product::Product::new(s.spec, "");
        amipub_engine::parameters::parameter_names(&product, release).unwrap_or_default()
    }

    fn now(&self) -> Pending<'_, i64> {
        Box::pin(async move {
            match self.clock.now().await {
                Ok((now, _)) => now,
                Err(_) => chrono::Utc::now().timestamp(),
            }
        })
    }

    fn act<'a>(&'a self, action: Action, by: &'a str) -> Pending<'a, Result<String, String>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let ask = Ask {
                action,
                by: by.to_owned(),
                reply,
            };
            let stopping = || {
                "the service is stopping; nothing was changed: ask again when it is back".to_owned()
            };
            self.asks.send(ask).await.map_err(|_| stopping())?;
            match tokio::time::timeout(ANSWER_WITHIN, answer).await {
                Ok(done) => done.map_err(|_| stopping())?,
                Err(_) => Err(format!(
                    "still being done after {} s (an AWS call is slow): the release's or job's page shows when it is",
                    ANSWER_WITHIN.as_secs()
                )),
            }
        })
    }
}

/// Takes the console's actions, one at a time, until `stop`.
pub async fn actions_loop(
    rt: &Runtime,
    mut asks: mpsc::Receiver<Ask>,
    mut stop: watch::Receiver<bool>,
) {
    let actor = Actor { rt };
    loop {
        let ask = tokio::select! {
            ask = asks.recv() => ask,
            _ = stop.wait_for(|s| *s) => None,
        };
        let Some(ask) = ask else { return };
        let verb = ask.action.verb();
        let done = act_when_free(&actor, &ask.action, &ask.by).await;
        match &done {
            Ok(what) => tracing::info!(by = %ask.by, action = verb, "console: {what}"),
            Err(why) => tracing::info!(by = %ask.by, action = verb, "console: refused: {why}"),
        }
        let _ = ask.reply.send(done);
    }
}

/// How often an action is tried while another worker is in the middle of a step of the same
/// release or job (a step takes milliseconds), and the pause between tries.
const BUSY_TRIES: u32 = 5;
const BUSY_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// Takes an action, asking again a few times while the release or job is in another worker's
/// step (the engine refuses then, naming the holder, and changes nothing).
async fn act_when_free(actor: &Actor<'_>, action: &Action, by: &str) -> Result<String, String> {
    let mut tries = 0;
    loop {
        let done = actor.act(action.clone(), by).await;
        tries += 1;
        match &done {
            Err(why) if tries < BUSY_TRIES && why.contains("being moved by another worker") => {
                tokio::time::sleep(BUSY_PAUSE).await;
            }
            _ => return done,
        }
    }
}

/// Does the actions as the CLI does them.
struct Actor<'r> {
    rt: &'r Runtime,
}

impl Actor<'_> {
    async fn act(&self, action: Action, by: &str) -> Result<String, String> {
        let done = match action {
            Action::Retry { id } if id.starts_with("j-") => self.job(&id, true, by).await,
            Action::Cancel { id } if id.starts_with("j-") => self.job(&id, false, by).await,
            Action::Retry { id } => self.release(&id, true, by).await,
            Action::Cancel { id } => self.release(&id, false, by).await,
            Action::Promote {
                product,
                version,
                alias,
            } => self.promote(&product, version, alias, by).await,
            Action::Approve { product, reference } => self.approve(&product, &reference, by),
        };
        done.map_err(|e| format!("{e:#}"))
    }

    async fn now_checked(&self) -> anyhow::Result<i64> {
        Ok(self.rt.clock.now().await?.0)
    }

    async fn release(&self, id: &str, retry: bool, by: &str) -> anyhow::Result<String> {
        let r = self
            .rt
            .store
            .get(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no release has the id {id}"))?;
        let event = if retry {
            anyhow::ensure!(
                r.state == State::Failed,
                "release {id} is {}; only a failed release is retried",
                r.state.name()
            );
            Event::RetryRequested { by: by.to_owned() }
        } else {
            anyhow::ensure!(
                !r.state.is_terminal() || r.state == State::Failed,
                "release {id} is {} already",
                r.state.name()
            );
            Event::CancelRequested { by: by.to_owned() }
        };
        let now = self.now_checked().await?;
        let after = self.rt.engine.request(r, event, now).await?;
        Ok(format!("release {id} is {}", after.state.name()))
    }

    async fn job(&self, id: &str, retry: bool, by: &str) -> anyhow::Result<String> {
        let j = self
            .rt
            .store
            .job(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no job has the id {id}"))?;
        let event = if retry {
            anyhow::ensure!(
                j.state == JobState::Failed,
                "job {id} is {}; only a failed job is retried",
                j.state.name()
            );
            JobEvent::RetryRequested { by: by.to_owned() }
        } else {
            anyhow::ensure!(
                !j.state.is_terminal() || j.state == JobState::Failed,
                "job {id} is {} already",
                j.state.name()
            );
            JobEvent::CancelRequested { by: by.to_owned() }
        };
        let now = self.now_checked().await?;
        let after = self.rt.engine.request_job(j, event, now).await?;
        Ok(format!("job {id} is {}", after.state.name()))
    }

    fn spec(&self, slug: &str) -> anyhow::Result<Spec> {
        spec_of(&self.rt.settings.products_dir, slug)
    }

    async fn promote(
        &self,
        slug: &str,
        version: String,
        alias: String,
        by: &str,
    ) -> anyhow::Result<String> {
        let s = self.spec(slug)?;
        let known = s
            .spec
            .ssm
            .as_ref()
            .is_some_and(|m| m.aliases.contains_key(&alias));
        anyhow::ensure!(
            known,
            "{slug}'s spec names no alias {alias:?} in [ssm.aliases]"
        );
        let args = BTreeMap::from([
            ("version".to_owned(), version),
            ("alias".to_owned(), alias),
            ("by".to_owned(), by.to_owned()),
        ]);
        let now = self.now_checked().await?;
        let job = crate::promote_job::record_promote(self.rt, s, args, now).await?;
        Ok(format!("promote job {}", job.id))
    }

    fn approve(&self, slug: &str, reference: &str, by: &str) -> anyhow::Result<String> {
        let s = self.spec(slug)?;
        let hash = content_hash(&s.spec);
        let updated = record_approval(&s.text, reference, &hash, by)
            .map_err(|e| anyhow::anyhow!("cannot update {}: {e}", s.path.display()))?;
        crate::files::write_atomic(&s.path, &updated, "toml.amipub-tmp")?;
        Ok(format!(
            "{slug}: {reference} covers {hash} (recorded by {by})"
        ))
    }
}
