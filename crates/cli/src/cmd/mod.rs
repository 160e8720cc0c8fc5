//! One module per subcommand (or family of subcommands), and what several of them share: the
//! runtime they block on and the process's peak memory for the benchmarks.

pub mod apply;
pub mod approve;
pub mod bench;
pub mod bench_console;
pub mod bench_intake;
pub mod bench_release;
pub mod bench_report;
pub mod bench_rig;
pub mod bench_second_party;
pub mod bench_workers;
pub mod catch_up;
pub mod demo;
pub mod demo_second_party;
pub mod doctor;
pub mod init;
pub mod jobs;
pub mod load_form;
pub mod plan;
pub mod plan_live;
pub mod promote;
pub mod publish;
pub mod releases;
pub mod sandbox;
pub mod second_party;
pub mod serve;
pub mod store;
pub mod timeline;
pub mod validate;
pub mod verify;
pub mod visibility;

/// Runs a command's future (or part of one) on a multi-threaded runtime.
pub fn block_on<T, F: std::future::Future<Output = anyhow::Result<T>>>(f: F) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

/// Who runs this command (the login name), for the timelines of what it asks.
pub fn login() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The peak resident memory of this process (VmHWM), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
