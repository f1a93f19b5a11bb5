//! Command-line definitions (clap) only.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "tfblueprint",
    version,
    about = "Blueprint files in, Terraform/OpenTofu modules for AWS out"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate (or regenerate) the Terraform of each blueprint.
    Generate {
        /// Blueprint files or folders of them.
        #[arg(default_value = "blueprints")]
        paths: Vec<PathBuf>,
        /// Output folder; each app gets a folder inside it.
        #[arg(long, short, default_value = "generated")]
        out: PathBuf,
        /// Overwrite generated files that were edited by hand.
        #[arg(long)]
        force: bool,
        /// Remove the app folders (with a tfblueprint manifest) that no blueprint of this run
        /// produces.
        #[arg(long)]
        prune: bool,
        /// Fail at once if another run holds the output folder, instead of waiting.
        #[arg(long)]
        no_wait: bool,
    },
    /// Exit 0 when the output is in sync, 1 when it is stale or was edited, 2 on error.
    Check {
        #[arg(default_value = "blueprints")]
        paths: Vec<PathBuf>,
        #[arg(long, short, default_value = "generated")]
        out: PathBuf,
        /// Fail at once if a generate run holds the output folder, instead of waiting.
        #[arg(long)]
        no_wait: bool,
    },
    /// Show what `generate` would change.
    Diff {
        #[arg(default_value = "blueprints")]
        paths: Vec<PathBuf>,
        #[arg(long, short, default_value = "generated")]
        out: PathBuf,
        /// Exit 1 when there are changes.
        #[arg(long)]
        exit_code: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// Compare with the output as committed at this git revision instead of the files on disk.
        #[arg(long)]
        base: Option<String>,
        /// Fail at once if a generate run holds the output folder, instead of waiting.
        #[arg(long)]
        no_wait: bool,
    },
    /// Parse and check blueprints only.
    Validate {
        #[arg(default_value = "blueprints")]
        paths: Vec<PathBuf>,
    },
    /// Print the security-group flows of a blueprint: who may reach whom on which ports.
    Explain { blueprint: PathBuf },
    /// Print the architecture graph of a blueprint.
    Graph {
        blueprint: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Write a new blueprint from one of the presets.
    New {
        /// The preset to start from (see --list).
        preset: Option<String>,
        /// The new app's name (default: the preset's).
        name: Option<String>,
        /// List the presets.
        #[arg(long)]
        list: bool,
        /// Folder to write the blueprint into.
        #[arg(long, default_value = "blueprints")]
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}
