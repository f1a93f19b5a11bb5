//! The commands: find and load blueprints, render every app, then write, check or diff.

use crate::batch;
use crate::blueprint::{self, Blueprint};
use crate::cli::{Command, DiffFormat};
use crate::model::{self, AppModel};
use crate::output::lock;
use crate::output::manifest::{Manifest, sha256};
use crate::output::sync::{self, Action, AppOutput, Recovered, Staging};
use crate::progress::Progress;
use crate::render::{RenderedFile, Renderer};
use crate::{Error, Result};
use anyhow::{Context, anyhow};
use minijinja::Value;
use serde_json::json;
use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

pub fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Generate {
            paths,
            out,
            force,
            prune,
            no_wait,
            templates,
            progress,
        } => generate(&paths, &out, force, prune, no_wait, &templates, progress),
        Command::Check {
            paths,
            out,
            no_wait,
            full,
            templates,
            progress,
        } => check(&paths, &out, no_wait, full, &templates, progress),
        Command::Diff {
            paths,
            out,
            exit_code,
            format,
            base,
            no_wait,
            max_bytes,
            full,
            templates,
            progress,
        } => diff_cmd(
            &paths,
            &out,
            DiffOptions {
                exit_code,
                format,
                base: base.as_deref(),
                max_bytes,
                no_wait,
                full,
            },
            &templates,
            progress,
        ),
        Command::Templates { command } => crate::templates::run(command),
        Command::Completions { shell } => {
            crate::manual::completions(shell, &mut std::io::stdout());
            Ok(())
        }
        Command::Man { command } => {
            crate::manual::man(command.as_deref(), &mut std::io::stdout()).map_err(Error::from)
        }
        Command::Validate { paths } => {
            for Loaded {
                path, environments, ..
            } in load_all(&paths)?
            {
                let n = environments;
                println!(
                    "{}: ok ({n} environment{})",
                    path.display(),
                    if n == 1 { "" } else { "s" }
                );
            }
            Ok(())
        }
        Command::Explain { blueprint } => {
            let bp = load_one(&blueprint)?;
            print!("{}", crate::report::explain(&bp.app));
            Ok(())
        }
        Command::Graph { blueprint, format } => {
            let bp = load_one(&blueprint)?;
            match format {
                crate::cli::GraphFormat::Mermaid => print!("{}", crate::report::mermaid(&bp.app)),
                crate::cli::GraphFormat::Dot => print!("{}", crate::report::dot(&bp.app)),
            }
            Ok(())
        }
        Command::New {
            preset,
            name,
            list,
            dir,
        } => crate::presets::new(preset, name, list, &dir),
    }
}

/// Why `path` cannot be read as a blueprint, if it cannot: missing, a link that leads nowhere
/// (dangling or a loop), or not a regular file (a FIFO, a device such as /dev/null).
fn not_a_blueprint(path: &Path) -> Option<String> {
    let shown = crate::diag::escape_controls(&path.display().to_string());
    match (std::fs::symlink_metadata(path), std::fs::metadata(path)) {
        (Err(_), _) => Some(format!(
            "{shown} does not exist; give a blueprint file or a folder of them"
        )),
        (Ok(_), Err(e)) => Some(format!(
            "{shown} is a symbolic link that leads nowhere ({}); give a blueprint file or a folder of them",
            if e.raw_os_error() == Some(libc::ELOOP) {
                "a loop of links".to_string()
            } else {
                e.to_string()
            }
        )),
        (Ok(_), Ok(m)) if m.is_file() || m.is_dir() => None,
        (Ok(_), Ok(_)) => Some(format!(
            "{shown} is not a regular file (a FIFO, socket or device); give a blueprint file or a folder of them"
        )),
    }
}

/// The blueprint files named by `paths`: files as given, folders searched for `*.hcl` (links
/// to files included; links to folders are not followed).
pub fn find_blueprints(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        if let Some(why) = not_a_blueprint(path) {
            return Err(anyhow!(why).into());
        }
        if path.is_dir() {
            let mut in_dir = Vec::new();
            for e in walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                })
                .filter_map(|e| e.ok())
            {
                if e.path().extension().is_none_or(|x| x != "hcl") {
                    continue;
                }
                if e.file_type().is_symlink() {
                    match not_a_blueprint(e.path()) {
                        None if e.path().is_file() => in_dir.push(e.into_path()),
                        None => {} // a link to a folder named *.hcl
                        Some(why) => return Err(anyhow!(why).into()),
                    }
                } else if e.file_type().is_file() {
                    in_dir.push(e.into_path());
                }
            }
            if in_dir.is_empty() {
                return Err(anyhow!("no blueprint (*.hcl) found in {}", path.display()).into());
            }
            found.append(&mut in_dir);
        } else {
            found.push(path.clone());
        }
    }
    Ok(found)
}

/// One blueprint of a run, validated: its file, its app, and the SHA-256 of its text (recorded
/// in the app's manifest). What the blueprint says is read again by the task that renders it
/// ([`Loaded::blueprint`]), so that a run over thousands of blueprints holds one parsed
/// blueprint per task, not all of them.
pub struct Loaded {
    pub path: PathBuf,
    /// The app's name: its folder in the output.
    pub app: String,
    /// How many environments it has.
    pub environments: usize,
    pub sha256: String,
    /// The template overlay folder its output is rendered with, if any.
    pub overlay: Option<PathBuf>,
}

impl Loaded {
    /// The blueprint's file name, as its manifest and generated headers name it.
    pub fn source(&self) -> String {
        blueprint::source_name(&self.path.display().to_string())
    }

    /// What the blueprint says, read and parsed again; an error when the file changed since
    /// it was validated (another program writes it while tfblueprint runs).
    pub fn blueprint(&self) -> Result<Blueprint> {
        let display = self.path.display().to_string();
        let src = std::fs::read(&self.path).with_context(|| format!("reading {display}"))?;
        if sha256(&src) != self.sha256 {
            return Err(anyhow!(
                "{display} changed while tfblueprint was reading it; run again once it is saved"
            )
            .into());
        }
        blueprint::load_bytes(&src, &display).map_err(Error::Blueprint)
    }
}

/// What validating a blueprint leaves: enough to plan the run, without the parsed blueprint.
struct Summary {
    app: String,
    pos: crate::diag::Pos,
    templates: Option<(String, crate::diag::Pos)>,
    environments: usize,
}

/// Loads and validates every blueprint; all errors of all files are reported together. App
/// names are unique among the blueprints returned.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Loaded>> {
    let files = find_blueprints(paths)?;
    let results = batch::map(&files, batch::threads(), |path| {
        let display = path.display().to_string();
        let src = std::fs::read(path).with_context(|| format!("reading {display}"))?;
        let summary = blueprint::load_bytes(&src, &display).map(|bp| Summary {
            environments: bp.environments.len(),
            templates: bp.app.templates,
            pos: bp.app.pos,
            app: bp.app.name,
        });
        anyhow::Ok((summary, sha256(&src)))
    });
    let mut loaded: Vec<Loaded> = Vec::new();
    let mut diags = Vec::new();
    let mut apps: std::collections::BTreeMap<String, (String, crate::diag::Pos)> =
        std::collections::BTreeMap::new();
    for (path, result) in files.into_iter().zip(results) {
        let (result, digest) = result?;
        match result {
            Ok(bp) => {
                // Each app has its own folder in the output: one blueprint per app name.
                let display = path.display().to_string();
                if let Some((first, at)) = apps.get(&bp.app) {
                    diags.push(crate::diag::Diagnostic {
                        file: display,
                        pos: bp.pos,
                        message: format!(
                            "app \"{}\" is also described by {first}:{}:{}; every blueprint of a run needs its own app name, which names its output folder (and its AWS resources): rename one of them",
                            bp.app, at.line, at.col
                        ),
                    });
                    continue;
                }
                let overlay = bp
                    .templates
                    .as_ref()
                    .map(|(rel, _)| path.parent().unwrap_or(Path::new("")).join(rel));
                if let (Some(dir), Some((rel, at))) = (&overlay, &bp.templates)
                    && !dir.is_dir()
                {
                    diags.push(crate::diag::Diagnostic {
                        file: display.clone(),
                        pos: *at,
                        message: format!(
                            "`templates` \"{rel}\" is not a folder (it is read relative to the blueprint: {})",
                            dir.display()
                        ),
                    });
                }
                apps.insert(bp.app.clone(), (display, bp.pos));
                loaded.push(Loaded {
                    path,
                    app: bp.app,
                    environments: bp.environments,
                    sha256: digest,
                    overlay,
                });
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
    if diags.is_empty() {
        Ok(loaded)
    } else {
        Err(Error::Blueprint(diags))
    }
}

/// The renderer of each app: the built-in templates, or those with the app's overlay.
pub struct Renderers {
    base: Renderer,
    overlays: Vec<(PathBuf, Renderer)>,
}

impl Renderers {
    /// The built-in templates only.
    pub fn builtin() -> Renderers {
        Renderers {
            base: Renderer::new(),
            overlays: Vec::new(),
        }
    }

    pub fn for_app(&self, loaded: &Loaded) -> &Renderer {
        loaded
            .overlay
            .as_ref()
            .and_then(|dir| self.overlays.iter().find(|(d, _)| d == dir))
            .map_or(&self.base, |(_, r)| r)
    }

    /// Adds a renderer for every overlay folder of `loaded` not yet compiled; the errors of
    /// all overlays at their file:line:col.
    fn add_overlays(&mut self, loaded: &[Loaded]) -> Result<()> {
        let mut diags = Vec::new();
        for dir in loaded.iter().filter_map(|l| l.overlay.as_ref()) {
            if self.overlays.iter().any(|(d, _)| d == dir) {
                continue;
            }
            match crate::render::overlay::Overlay::load(dir).and_then(Renderer::with_overlay) {
                Ok(r) => self.overlays.push((dir.clone(), r)),
                Err(mut d) => diags.append(&mut d),
            }
        }
        if diags.is_empty() {
            Ok(())
        } else {
            Err(Error::Blueprint(diags))
        }
    }
}

/// [`load_all`], and the renderers (their templates compiled): the built-in one at the same
/// time, one per overlay folder after (`--templates` replaces a blueprint's own).
fn load_for_rendering(
    paths: &[PathBuf],
    templates: &crate::cli::TemplatesArg,
) -> Result<(Vec<Loaded>, Renderers)> {
    let (loaded, base) = batch::join(batch::threads(), || load_all(paths), Renderer::new);
    let mut loaded = loaded?;
    if let Some(dir) = &templates.dir {
        for l in &mut loaded {
            l.overlay = Some(dir.clone());
        }
    }
    let mut renderers = Renderers {
        base,
        overlays: Vec::new(),
    };
    renderers.add_overlays(&loaded)?;
    Ok((loaded, renderers))
}

/// An error of rendering: an overlay template's fault is reported at its file:line:col.
fn render_error(e: anyhow::Error) -> Error {
    match e.downcast::<crate::render::TemplateFault>() {
        Ok(fault) => Error::Blueprint(vec![fault.0]),
        Err(e) => Error::Other(e),
    }
}

fn load_one(path: &Path) -> Result<Blueprint> {
    if path.is_dir() {
        return Err(anyhow!("{} is a folder; give one blueprint file", path.display()).into());
    }
    let mut loaded = load_all(&[path.to_path_buf()])?;
    loaded.remove(0).blueprint()
}

/// Renders every file of one app, paths relative to the app folder, its templates on up to
/// `threads` threads (the output does not depend on the number).
pub fn render_app(renderer: &Renderer, loaded: &Loaded, threads: usize) -> Result<AppOutput> {
    let bp = &loaded.blueprint()?;
    let model = model::build(bp);
    let (files, inventory) = batch::join(
        threads,
        || render_model(renderer, &model, threads),
        || crate::review::inventory_files(&model),
    );
    let mut files = files.map_err(render_error)?;
    files.extend(inventory);
    let manifest = Manifest {
        generator: generator(),
        blueprint: bp.source.clone(),
        blueprint_sha256: loaded.sha256.clone(),
        overlay: renderer.overlay_record(),
        files: files
            .iter()
            .map(|f| (f.path.clone(), sha256(f.content.as_bytes())))
            .collect(),
        inputs_sha256: None,
    }
    .sealed();
    Ok(AppOutput {
        app: bp.app.name.clone(),
        manifest,
        files: files.into_iter().map(|f| (f.path, f.content)).collect(),
    })
}

/// The generator a manifest names: this tool and its version.
pub fn generator() -> String {
    format!("tfblueprint {}", env!("CARGO_PKG_VERSION"))
}

/// The app of `loaded` as it is in `out`, without rendering it, when its manifest proves that
/// rendering would give exactly what is on disk ([`sync::unchanged`]); `None` otherwise.
pub fn unchanged_on_disk(
    renderers: &Renderers,
    out: &Path,
    loaded: &Loaded,
    keep: bool,
) -> Option<AppOutput> {
    let overlay = renderers.for_app(loaded).overlay_record();
    let (generator, source) = (generator(), loaded.source());
    let inputs = sync::Inputs {
        app: &loaded.app,
        generator: &generator,
        blueprint: &source,
        blueprint_sha256: &loaded.sha256,
        overlay: overlay.as_ref(),
    };
    sync::unchanged(out, &inputs, keep)
}

/// Every template folder of one app (each module, each environment root, the app's README)
/// rendered with its context, the folders on up to `threads` threads, the files in the order
/// of the folders.
pub fn render_model(
    renderer: &Renderer,
    model: &AppModel,
    threads: usize,
) -> anyhow::Result<Vec<RenderedFile>> {
    let app = Value::from(minijinja::value::Serde(&model.app));
    let modules: Vec<&str> = model.modules.iter().map(|m| m.name).collect();
    // (template folder, target folder, context)
    let mut folders: Vec<(String, String, Value)> = Vec::new();
    for m in &model.modules {
        let ctx = minijinja::context! {
            source => &model.source,
            app => app.clone(),
            m => Value::from(minijinja::value::Serde(&m.shape)),
        };
        let folder = format!("modules/{}", m.name);
        folders.push((folder.clone(), folder, ctx));
    }
    for env in &model.envs {
        let ctx = minijinja::context! {
            source => &model.source,
            app => app.clone(),
            modules => modules.clone(),
            env => env_value(env),
            envs => Value::from(minijinja::value::Serde(model.envs.iter().map(|e| json!({"name": e.name, "account_id": e.account_id})).collect::<Vec<_>>())),
        };
        folders.push(("templates/root".into(), format!("envs/{}", env.name), ctx));
    }
    let ctx = minijinja::context! {
        source => &model.source,
        app => app.clone(),
        modules => modules.clone(),
        diagram => Value::from_safe_string(model.diagram.clone()),
        envs => model.envs.iter().map(env_value).collect::<Vec<_>>(),
    };
    folders.push(("templates/app".into(), String::new(), ctx));
    let rendered = crate::batch::map(&folders, threads, |(folder, target, ctx)| {
        renderer.render_folder(folder, target, &model.source, ctx)
    });
    let mut files = Vec::new();
    for folder in rendered {
        files.extend(folder?);
    }
    for f in &mut files {
        f.path = f.path.trim_start_matches('/').to_string();
    }
    Ok(files)
}

fn env_value(env: &model::EnvRoot) -> Value {
    let calls: Vec<Value> = env
        .calls
        .iter()
        .map(|c| {
            let args: Vec<Value> = c
                .args
                .iter()
                .map(|a| minijinja::context! { name => &a.name, value => a.value.to_value(), gap => a.gap })
                .collect();
            minijinja::context! { module => c.module, args => args }
        })
        .collect();
    let variables: Vec<Value> = env
        .variables
        .iter()
        .map(|v| {
            minijinja::context! {
                name => &v.name,
                description => &v.description,
                type => Value::from_safe_string(v.type_.clone()),
                default => v.default.to_value(),
            }
        })
        .collect();
    let outputs: Vec<Value> = env
        .outputs
        .iter()
        .map(|o| minijinja::context! { name => &o.name, description => &o.description, value => Value::from_safe_string(o.value.clone()) })
        .collect();
    minijinja::context! {
        name => &env.name,
        account_id => &env.account_id,
        role_arn => &env.role_arn,
        backend => Value::from(minijinja::value::Serde(&env.backend)),
        tags => Value::from(minijinja::value::Serde(&env.tags)),
        summary => Value::from(minijinja::value::Serde(&env.summary)),
        calls => calls,
        variables => variables,
        outputs => outputs,
    }
}

/// The lock `check` and `diff` hold while they read the output folder (none when it does not
/// exist: there is nothing to read).
fn shared_lock(out: &Path, no_wait: bool) -> Result<Option<lock::Lock>> {
    if !out.is_dir() {
        return Ok(None);
    }
    Ok(Some(lock::acquire(
        out,
        lock::Mode::Shared,
        !no_wait,
        || {
            eprintln!(
                "waiting for the tfblueprint run that is writing {} to finish...",
                out.display()
            )
        },
    )?))
}

/// The names of the apps of a run.
fn app_names(loaded: &[Loaded]) -> BTreeSet<String> {
    loaded.iter().map(|l| l.app.clone()).collect()
}

fn list(out: &Path, paths: impl Iterator<Item = impl AsRef<str>>) -> String {
    paths
        .map(|p| format!("  {}", out.join(p.as_ref()).display()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn generate(
    paths: &[PathBuf],
    out: &Path,
    force: bool,
    prune: bool,
    no_wait: bool,
    templates: &crate::cli::TemplatesArg,
    progress: crate::cli::ProgressArg,
) -> Result<()> {
    let (loaded, renderers) = load_for_rendering(paths, templates)?;
    // The output folder exists while the run holds its lock; a run that writes nothing leaves
    // no folder it created.
    let mut made = Vec::new();
    let mut dir = out.to_path_buf();
    while !dir.as_os_str().is_empty() && std::fs::symlink_metadata(&dir).is_err() {
        made.push(dir.clone());
        dir = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let result = generate_locked(
        &loaded,
        &renderers,
        out,
        GenerateOptions {
            force,
            prune,
            no_wait,
            quiet: progress.quiet,
        },
    );
    for d in &made {
        if std::fs::remove_dir(d).is_err() {
            break;
        }
    }
    result
}

/// What `generate` was asked to do, beside the blueprints and the output folder.
#[derive(Clone, Copy)]
struct GenerateOptions {
    force: bool,
    prune: bool,
    no_wait: bool,
    /// `--quiet`: no progress line.
    quiet: bool,
}

fn generate_locked(
    loaded: &[Loaded],
    renderers: &Renderers,
    out: &Path,
    options: GenerateOptions,
) -> Result<()> {
    let GenerateOptions {
        force,
        prune,
        no_wait,
        quiet,
    } = options;
    let _lock = lock::acquire(out, lock::Mode::Exclusive, !no_wait, || {
        eprintln!(
            "waiting for another tfblueprint run in {} to finish...",
            out.display()
        )
    })?;
    // Finish (or clean up after) a run that was interrupted, so that the plan sees whole files.
    match sync::recover(out)? {
        Recovered::Nothing | Recovered::RolledBack => {}
        Recovered::Finished(done) => eprintln!(
            "note: finished the interrupted previous run in {}: {} file{} written, {} removed",
            out.display(),
            done.written,
            if done.written == 1 { "" } else { "s" },
            done.removed
        ),
        Recovered::Conflicts(paths) => {
            return Err(Error::Refused(anyhow!(
                "a previous generate run in {out} was interrupted after its commit point, and these files changed since: finishing it would replace them. Move them away (keep a copy of your changes) and run generate again to finish that run; or remove {journal} to abandon it (the files it already replaced keep their new content); nothing was written:\n{list}",
                out = out.display(),
                journal = out.join(sync::JOURNAL).display(),
                list = list(out, paths.iter()),
            )));
        }
    }
    // Every app is rendered, compared and staged; nothing is replaced before the commit below.
    let staging = Staging::new(out);
    let planned = (|| -> Result<_> {
        let progress = Progress::new(loaded.len(), quiet, "generating");
        let outcome = batch::plan_all(
            renderers,
            out,
            loaded,
            batch::Mode::Generate {
                force,
                staging: &staging,
            },
            &progress,
        );
        progress.finish();
        let mut outcome = outcome?;
        let orphans = sync::orphans(out, &app_names(loaded))?;
        let refused = AtomicBool::new(
            !outcome.plan.foreign.is_empty() || (!force && !outcome.plan.edited().is_empty()),
        );
        let mut pruned = 0;
        if prune {
            for (app, manifest) in &orphans {
                let mut plan = sync::plan_prune(out, app, manifest)?;
                batch::stage(&mut plan, force, &staging, &refused, batch::threads())?;
                outcome.add(plan);
                pruned += 1;
            }
        }
        Ok((outcome, orphans, pruned))
    })();
    let (outcome, orphans, pruned) = match planned {
        Ok(p) => p,
        Err(e) => {
            staging.discard();
            return Err(e);
        }
    };
    let plan = &outcome.plan;
    if !plan.foreign.is_empty() {
        staging.discard();
        return Err(Error::Refused(anyhow!(
            "these files were not written by tfblueprint and stand where generated files go; move them away (not even --force overwrites them); nothing was written:\n{}",
            list(out, plan.foreign.iter())
        )));
    }
    let edited = plan.edited();
    if !edited.is_empty() && !force {
        staging.discard();
        return Err(Error::Refused(anyhow!(
            "these generated files were edited by hand; generate would {} them. Put your changes in the blueprint or in an override.tf beside them, or run with --force to discard them; nothing was written:\n{}",
            if edited.iter().all(|c| c.action == Action::Delete) {
                "remove"
            } else {
                "overwrite"
            },
            list(out, edited.iter().map(|c| c.path.as_str()))
        )));
    }
    staging.commit()?;
    let apps = outcome.apps;
    print!(
        "{} app{} in {}: {} created, {} updated, {} removed",
        apps,
        if apps == 1 { "" } else { "s" },
        out.display(),
        outcome.created,
        outcome.updated,
        outcome.removed
    );
    if pruned > 0 {
        print!(
            "; {pruned} app folder{} of no blueprint of this run pruned",
            if pruned == 1 { "" } else { "s" }
        );
    }
    println!();
    if !prune {
        for (app, m) in &orphans {
            eprintln!(
                "note: {} was generated from {}, which is not part of this run; `tfblueprint generate --prune` removes it",
                out.join(app).display(),
                crate::diag::escape(&m.blueprint)
            );
        }
    }
    Ok(())
}

fn check(
    paths: &[PathBuf],
    out: &Path,
    no_wait: bool,
    full: bool,
    templates: &crate::cli::TemplatesArg,
    progress: crate::cli::ProgressArg,
) -> Result<()> {
    let (loaded, renderers) = load_for_rendering(paths, templates)?;
    let _lock = shared_lock(out, no_wait)?;
    let progress = Progress::new(loaded.len(), progress.quiet, "checking");
    let outcome = batch::plan_all(
        &renderers,
        out,
        &loaded,
        batch::Mode::Check { full },
        &progress,
    );
    progress.finish();
    let batch::Outcome { apps, plan, .. } = outcome?;
    if sync::interrupted(out)? {
        println!(
            "a generate run in {} was interrupted; run `tfblueprint generate` to finish it or clean up after it",
            out.display()
        );
        return Err(Error::Changes);
    }
    let orphans = sync::orphans(out, &app_names(&loaded))?;
    if plan.in_sync() && orphans.is_empty() {
        println!(
            "{} app{} in sync in {}",
            apps,
            if apps == 1 { "" } else { "s" },
            out.display()
        );
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    for c in &plan.changes {
        let what = match (c.action, c.edited) {
            (_, true) => "edited by hand",
            (Action::Create, _) => "missing",
            (Action::Update, _) => "stale",
            (Action::Delete, _) => "no longer generated",
        };
        let _ = writeln!(stdout, "{what}: {}", out.join(&c.path).display());
    }
    for p in &plan.foreign {
        let _ = writeln!(
            stdout,
            "not generated by tfblueprint, in the way: {}",
            out.join(p).display()
        );
    }
    if plan.changes.is_empty() && plan.foreign.is_empty() {
        for m in &plan.manifests {
            let _ = writeln!(stdout, "stale: {}", out.join(&m.path).display());
        }
    }
    for (app, m) in &orphans {
        let _ = writeln!(
            stdout,
            "produced by no blueprint of this run: {} (generated from {}; `tfblueprint generate --prune` removes it)",
            out.join(app).display(),
            crate::diag::escape(&m.blueprint)
        );
    }
    let _ = writeln!(
        stdout,
        "output is out of sync; run `tfblueprint generate` to update it"
    );
    Err(Error::Changes)
}

/// How `diff` reports.
struct DiffOptions<'a> {
    exit_code: bool,
    format: DiffFormat,
    base: Option<&'a str>,
    max_bytes: Option<usize>,
    /// Fail at once if a generate run holds the output folder.
    no_wait: bool,
    /// Render and compare every app (no trust in a manifest's seal).
    full: bool,
}

fn diff_cmd(
    paths: &[PathBuf],
    out: &Path,
    options: DiffOptions,
    templates: &crate::cli::TemplatesArg,
    progress: crate::cli::ProgressArg,
) -> Result<()> {
    let DiffOptions {
        exit_code,
        format,
        base,
        max_bytes,
        no_wait,
        full,
    } = options;
    if max_bytes.is_some() && format != DiffFormat::Markdown {
        return Err(anyhow!("--max-bytes applies to --format markdown only").into());
    }
    if let Some(n) = max_bytes
        && n < crate::review::report::MIN_MARKDOWN_BYTES
    {
        return Err(anyhow!(
            "--max-bytes {n} leaves no room for the report; give at least {}",
            crate::review::report::MIN_MARKDOWN_BYTES
        )
        .into());
    }
    let (loaded, renderers) = load_for_rendering(paths, templates)?;
    let _lock = shared_lock(out, no_wait)?;
    let progress = Progress::new(loaded.len(), progress.quiet, "comparing");
    let (label, base) = match base {
        Some(rev) => (
            format!("git:{rev}"),
            Some(crate::review::base::Base::open(rev, out)?),
        ),
        None => ("disk".to_string(), None),
    };
    // Each app is rendered, compared and reviewed in one task, which keeps only the files that
    // differ: a run never holds the whole output.
    let within = batch::threads_within(loaded.len());
    let apps = batch::map(&loaded, batch::threads(), |one| -> Result<_> {
        // Against the disk, an app whose manifest proves its folder in sync is read, not
        // rendered: its files are what rendering would give, and nothing differs.
        let same = match (&base, full) {
            (None, false) => unchanged_on_disk(&renderers, out, one, true),
            _ => None,
        };
        let (app, changes) = match (same, &base) {
            (Some(app), _) => (app, Vec::new()),
            (None, Some(base)) => {
                let app = render_app(renderers.for_app(one), one, within)?;
                let changes = base.changes(&app)?;
                (app, changes)
            }
            (None, None) => {
                let app = render_app(renderers.for_app(one), one, within)?;
                let changes = sync::plan(out, &app)?.changes;
                (app, changes)
            }
        };
        let envs = crate::review::review_app(&app, &changes)?;
        progress.tick();
        Ok((envs, changes))
    });
    progress.finish();
    let review = crate::review::Review::from_apps(&label, apps.into_iter().collect::<Result<_>>()?);
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let text = match format {
        DiffFormat::Text => crate::review::report::text(&review, color),
        DiffFormat::Markdown => match max_bytes {
            Some(limit) => crate::review::report::markdown_within(&review, limit),
            None => crate::review::report::markdown(&review),
        },
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(&crate::review::report::json(&review))
                .map_err(anyhow::Error::from)?;
            s.push('\n');
            s
        }
    };
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return Ok(()); // a closed pipe is not an error
    }
    if exit_code && review.changed() {
        Err(Error::Changes)
    } else {
        Ok(())
    }
}
