//! Shell completions (clap_complete) and the manual page (clap_mangen), both made from the
//! command-line definitions, so they always match the binary.

use crate::cli::{Cli, Shell};
use clap::CommandFactory;

/// Writes the completion script for `shell`.
pub fn completions(shell: Shell, out: &mut dyn std::io::Write) {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut Cli::command(), "tfblueprint", out);
}

/// Writes a manual page in roff: tfblueprint(1), or with `command` the page of that
/// subcommand, tfblueprint-<command>(1).
pub fn man(command: Option<&str>, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let cmd = Cli::command();
    let page = match command {
        None => cmd,
        Some(name) => {
            let sub = cmd.find_subcommand(name).cloned().ok_or_else(|| {
                let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                anyhow::anyhow!(
                    "no command {name}; the commands are {}",
                    crate::diag::one_of(&names)
                )
            })?;
            // Printed once per process: the names may live as long as it.
            let full: &'static str = format!("tfblueprint-{name}").leak();
            sub.name(full)
                .bin_name(format!("tfblueprint {name}"))
                .display_name(full)
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    match clap_mangen::Man::new(page).render(out) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()), // `| head` is no error
        other => Ok(other?),
    }
}
