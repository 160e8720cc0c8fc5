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
        "    the product's first release (no history yet): ratio {:.3}",
        s.first.ratio
    );
    println!("(b) calls for that release, {label}");
    println!("    {}", calls(&s.calls, s.regions));
    println!("    first release: {}", calls(&s.first.calls, s.regions));
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
pub(super) fn fleet(label: &str, f: &Fleet, shape: &FleetShape<'_>) {
    println!(
        "(c) {} releases over {} products ({} Regions each), {label}",
        f.releases,
        f.products,
        shape.regions.len()
    );
    println!(
        "    makespan {} s of AWS time ({:.1} s wall), lock-bound lower bound {:.0} s → ratio {:.3}",
        f.makespan_s, f.wall_s, f.bound_s, f.ratio
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
