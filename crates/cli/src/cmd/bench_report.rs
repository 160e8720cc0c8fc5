//! `amipub bench`'s words for the measurements of `bench_release`.

use super::bench_release::{Calls, Fleet, FleetShape, Single};

/// (a) and (b) for one mode.
pub(super) fn single(label: &str, s: &Single, scale: f64) {
    println!("(a) one release to {} Regions, {label}", s.regions);
    println!(
        "    end to end {} s of AWS time ({:.1} s wall at ×{scale}), critical path {:.0} s → ratio {:.3}{}",
        s.elapsed_s,
        s.wall_s,
        s.critical_path_s,
        s.ratio,
        if s.done {
            ""
        } else {
            " (the release did not finish!)"
        }
    );
    println!(
        "    where its time went (s; AWS's own part in brackets): {}",
        phases(s)
    );
    println!(
        "    the product's first release (no history yet): ratio {:.3}",
        s.first.ratio
    );
    println!("(b) calls for that release, {label}");
    println!("    {}", calls(&s.calls, s.regions));
    println!("    first release: {}", calls(&s.first.calls, s.regions));
}

/// Where a single release's time went, in words.
pub(super) fn phases(s: &Single) -> String {
    s.phases
        .iter()
        .filter(|p| p.took_s > 0 || p.aws_s.is_some())
        .map(|p| match p.aws_s {
            Some(aws) => format!("{} {} [{aws:.0}]", p.state, p.took_s),
            None => format!("{} {}", p.state, p.took_s),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn calls(c: &Calls, regions: usize) -> String {
    format!(
        "Catalog {} · Discovery {} · EC2 {} ({:.1} per Region) · SSM {} · IAM {} · SQS {}",
        c.catalog,
        c.discovery,
        c.ec2,
        c.ec2 as f64 / regions.max(1) as f64,
        c.ssm,
        c.iam,
        c.sqs
    )
}

/// (c) for one mode.
pub(super) fn fleet(label: &str, f: &Fleet, shape: &FleetShape<'_>, scale: f64) {
    println!(
        "(c) {} releases over {} products ({} Regions each), {label}",
        f.releases,
        f.products,
        shape.regions.len()
    );
    println!(
        "    makespan {} s of AWS time ({:.1} s wall at ×{scale}), lock-bound lower bound {:.0} s → ratio {:.3}",
        f.makespan_s, f.wall_s, f.bound_s, f.ratio
    );
    let l = &f.locks;
    println!(
        "    product locks: last first change set started at {:.0} s; idle between change sets {:.0} s on average, {:.0} s at most; last change set ended at {:.0} s",
        l.first_start_s, l.idle_mean_s, l.idle_max_s, l.last_end_s
    );
    println!(
        "    {} of {} releases done, {} version(s) added twice; peak memory of the run (sandbox included): {}",
        f.releases - f.not_done,
        f.releases,
        f.added_twice,
        f.peak_rss_mib
            .map_or("unknown".into(), |m| format!("{m:.0} MiB"))
    );
}
