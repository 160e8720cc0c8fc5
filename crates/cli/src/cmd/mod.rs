//! One module per subcommand (or family of subcommands).

pub mod bench;
pub mod bench_intake;
pub mod demo;
pub mod init;
pub mod load_form;
pub mod plan;
pub mod publish;
pub mod releases;
pub mod sandbox;
pub mod serve;
pub mod validate;

/// Runs a command's future on a multi-threaded runtime.
pub fn block_on<F: std::future::Future<Output = anyhow::Result<crate::Outcome>>>(
    f: F,
) -> anyhow::Result<crate::Outcome> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(f)
}
