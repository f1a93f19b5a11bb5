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
        #[command(flatten)]
        templates: TemplatesArg,
        #[command(flatten)]
        progress: ProgressArg,
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
        /// Render every blueprint and compare every file, even where an app's manifest proves
        /// its folder in sync (it records the digests of the blueprint, the overlay, this build
        /// of tfblueprint and every file; those apps are otherwise checked by the files'
        /// digests alone, with the same result).
        #[arg(long)]
        full: bool,
        #[command(flatten)]
        templates: TemplatesArg,
        #[command(flatten)]
        progress: ProgressArg,
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
        /// Markdown only: keep the report within N bytes (a pull-request comment holds at most
        /// 65,536 characters); what is left off is counted at the end.
        #[arg(long, value_name = "N")]
        max_bytes: Option<usize>,
        /// Render every blueprint and compare every file, even where an app's manifest proves
        /// its folder in sync (as `check --full`).
        #[arg(long)]
        full: bool,
        #[command(flatten)]
        templates: TemplatesArg,
        #[command(flatten)]
        progress: ProgressArg,
    },
    /// Parse and check blueprints only.
    Validate {
        #[arg(default_value = "blueprints")]
        paths: Vec<PathBuf>,
    },
    /// The built-in templates, to start a template overlay from.
    Templates {
        #[command(subcommand)]
        command: TemplatesCommand,
    },
    /// Print a shell completion script: `tfblueprint completions bash > ...`.
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the manual page (roff): `tfblueprint man > tfblueprint.1`, or a command's page.
    Man {
        /// A command whose page to print (tfblueprint-<command>(1)).
        command: Option<String>,
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

/// `--templates DIR`: a template overlay for every blueprint of the run.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TemplatesArg {
    /// A folder of *.j2 templates that replace built-in ones of the same path or add files to
    /// a module (see `tfblueprint templates list`); instead of a blueprint's own `templates`.
    #[arg(long = "templates", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `--quiet`: no progress line on the terminal.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct ProgressArg {
    /// No progress on stderr (it shows only on a terminal, and never with NO_COLOR, TERM=dumb
    /// or CI set).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the templates, one path a line (with --templates: which the overlay replaces or adds).
    List {
        #[command(flatten)]
        templates: TemplatesArg,
    },
    /// Print one template's source (the overlay's, with --templates, where it has one).
    Show {
        /// The template's path as `list` prints it, e.g. modules/ecs/main.tf.j2.
        path: String,
        #[command(flatten)]
        templates: TemplatesArg,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
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
