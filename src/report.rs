//! Views of a blueprint for people: the flow table of `explain` and the architecture graph of
//! `graph` and the generated README, in Mermaid or Graphviz DOT.

use crate::blueprint::App;
use crate::model::flows::{self, engine_label};
use std::fmt::Write;

/// `explain`: every security-group flow, one per line.
pub fn explain(app: &App) -> String {
    let rows: Vec<[String; 4]> = flows::flows(app)
        .into_iter()
        .map(|f| {
            [
                f.from.label(),
                f.to.label(),
                format!("tcp/{}", f.ports()),
                f.what.clone(),
            ]
        })
        .collect();
    let header = ["FROM", "TO", "PORTS", "WHY"];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: [&str; 4]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 3 {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut out, header);
    for r in &rows {
        line(&mut out, [&r[0], &r[1], &r[2], &r[3]]);
    }
    out
}

/// The ports of bridge-mode tasks' dynamic host ports, as the flow table prints them.
fn ephemeral() -> String {
    format!("{}-{}", flows::EPHEMERAL.0, flows::EPHEMERAL.1)
}

/// A node of the architecture graph.
struct Node {
    id: String,
    label: String,
    shape: Shape,
    /// The cluster a service runs on, when the app has several (drawn as a group).
    group: Option<String>,
}

#[derive(PartialEq)]
enum Shape {
    Actor,
    Box,
    Store,
}

struct Graph {
    nodes: Vec<Node>,
    edges: Vec<(String, String, String)>,
}

fn id(kind: &str, name: &str) -> String {
    format!("{kind}_{}", name.replace('-', "_"))
}

fn graph(app: &App) -> Graph {
    let mut nodes = Vec::new();
    let mut edges: Vec<(String, String, String)> = Vec::new();
    if app.load_balancers.iter().any(|l| !l.internal) {
        nodes.push(Node {
            id: "clients".into(),
            label: "Internet".into(),
            shape: Shape::Actor,
            group: None,
        });
    }
    for lb in &app.load_balancers {
        let kind = if lb.internal { "internal ALB" } else { "ALB" };
        nodes.push(Node {
            id: id("lb", &lb.name),
            label: format!("{kind} {}", lb.name),
            shape: Shape::Box,
            group: None,
        });
        let mut ports: Vec<String> = lb.listeners.iter().map(|l| l.port.to_string()).collect();
        if lb.redirect_http {
            ports.insert(0, "80".into());
        }
        let from = if lb.internal {
            None
        } else {
            Some("clients".to_string())
        };
        if let Some(from) = from {
            edges.push((from, id("lb", &lb.name), ports.join(", ")));
        }
    }
    for s in &app.services {
        let containers = if s.single_container {
            String::new()
        } else {
            format!(
                " ({})",
                s.containers
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" + ")
            )
        };
        nodes.push(Node {
            id: id("svc", &s.name),
            label: format!("service {}{containers}", s.name),
            shape: Shape::Box,
            group: app
                .multi_cluster()
                .then(|| app.service_cluster(s).name.clone()),
        });
        for lb in &app.load_balancers {
            let routed = s.routes.iter().any(|r| r.load_balancer == lb.name)
                || lb
                    .listeners
                    .iter()
                    .any(|l| l.default.as_ref().is_some_and(|d| d.name == s.name));
            if let (true, Some(p)) = (routed, s.port()) {
                // In bridge mode the load balancer reaches the instances' dynamic host ports.
                let ports = if flows::bridge(app) {
                    ephemeral()
                } else {
                    p.to_string()
                };
                edges.push((id("lb", &lb.name), id("svc", &s.name), ports));
            }
        }
    }
    for d in &app.databases {
        nodes.push(Node {
            id: id("db", &d.name),
            label: format!("Aurora {} {}", engine_label(&d.engine), d.name),
            shape: Shape::Store,
            group: None,
        });
    }
    for c in &app.caches {
        nodes.push(Node {
            id: id("cache", &c.name),
            label: format!("{} {}", engine_label(&c.engine), c.name),
            shape: Shape::Store,
            group: None,
        });
    }
    for f in &app.file_systems {
        nodes.push(Node {
            id: id("fs", &f.name),
            label: format!("EFS {}", f.name),
            shape: Shape::Store,
            group: None,
        });
    }
    if app.bastion.is_some() {
        nodes.push(Node {
            id: "bastion".into(),
            label: "bastion".into(),
            shape: Shape::Box,
            group: None,
        });
    }
    for srv in &app.servers {
        nodes.push(Node {
            id: id("srv", &srv.name),
            label: format!("server {}", srv.name),
            shape: Shape::Box,
            group: None,
        });
        if let Some(p) = srv.port {
            for lb in crate::model::compute::server_lbs(srv) {
                edges.push((id("lb", lb), id("srv", &srv.name), p.to_string()));
            }
        }
    }
    let target = |key: &str| -> Option<(String, String)> {
        let (kind, name) = key.split_once('.')?;
        match kind {
            "database" => app
                .database(name)
                .map(|d| (id("db", name), flows::engine_port(&d.engine).to_string())),
            "cache" => app
                .cache(name)
                .map(|c| (id("cache", name), flows::engine_port(&c.engine).to_string())),
            "file_system" => Some((id("fs", name), "2049".into())),
            // In bridge mode through Service Connect, on the instances' dynamic host ports.
            "service" if flows::bridge(app) => app
                .service(name)
                .and_then(|s| s.port())
                .map(|_| (id("svc", name), format!("Service Connect {}", ephemeral()))),
            "service" => app
                .service(name)
                .and_then(|s| s.port())
                .map(|p| (id("svc", name), p.to_string())),
            "server" => app
                .server(name)
                .and_then(|s| s.port)
                .map(|p| (id("srv", name), p.to_string())),
            _ => None,
        }
    };
    for s in &app.services {
        let mut keys: Vec<String> = s.uses.iter().map(|u| u.key()).collect();
        keys.extend(
            s.mounts
                .iter()
                .map(|m| format!("file_system.{}", m.file_system)),
        );
        keys.sort();
        keys.dedup();
        for k in keys {
            if let Some((to, port)) = target(&k) {
                edges.push((id("svc", &s.name), to, port));
            }
        }
    }
    for srv in &app.servers {
        for u in &srv.uses {
            if let Some((to, port)) = target(&u.key()) {
                edges.push((id("srv", &srv.name), to, port));
            }
        }
    }
    for a in &app.allows {
        let node = |r: &crate::blueprint::Ref| match r.kind.as_str() {
            "service" => id("svc", &r.name),
            "server" => id("srv", &r.name),
            "bastion" => "bastion".into(),
            "database" => id("db", &r.name),
            "cache" => id("cache", &r.name),
            _ => id("fs", &r.name),
        };
        let ports = if a.from_port == a.to_port {
            a.from_port.to_string()
        } else {
            format!("{}-{}", a.from_port, a.to_port)
        };
        edges.push((node(&a.from), node(&a.to), ports.clone()));
        if a.both_ways {
            edges.push((node(&a.to), node(&a.from), ports));
        }
    }
    if let Some(b) = &app.bastion {
        for u in &b.uses {
            if let Some((to, port)) = target(&u.key()) {
                edges.push(("bastion".into(), to, port));
            }
        }
    }
    Graph { nodes, edges }
}

/// The architecture as a Mermaid flowchart.
pub fn mermaid(app: &App) -> String {
    let g = graph(app);
    let mut out = String::from("flowchart LR\n");
    let node = |out: &mut String, n: &Node, indent: &str| {
        let label = n.label.replace('"', "'");
        let _ = match n.shape {
            Shape::Actor => writeln!(out, "{indent}{}([\"{label}\"])", n.id),
            Shape::Box => writeln!(out, "{indent}{}[\"{label}\"]", n.id),
            Shape::Store => writeln!(out, "{indent}{}[(\"{label}\")]", n.id),
        };
    };
    let mut drawn: Vec<&str> = Vec::new();
    for n in &g.nodes {
        match &n.group {
            None => node(&mut out, n, "  "),
            Some(c) if !drawn.contains(&c.as_str()) => {
                drawn.push(c);
                let _ = writeln!(out, "  subgraph {}[\"cluster {c}\"]", id("cluster", c));
                for m in g.nodes.iter().filter(|m| m.group.as_ref() == Some(c)) {
                    node(&mut out, m, "    ");
                }
                out.push_str("  end\n");
            }
            Some(_) => {}
        }
    }
    for (a, b, label) in &g.edges {
        let _ = writeln!(out, "  {a} -->|\"{label}\"| {b}");
    }
    out
}

/// The architecture as a Graphviz DOT digraph.
pub fn dot(app: &App) -> String {
    let g = graph(app);
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
        app.name
    );
    let node = |out: &mut String, n: &Node, indent: &str| {
        let shape = match n.shape {
            Shape::Actor => "ellipse",
            Shape::Box => "box",
            Shape::Store => "cylinder",
        };
        let _ = writeln!(
            out,
            "{indent}{} [label=\"{}\", shape={shape}];",
            n.id,
            n.label.replace('"', "\\\"")
        );
    };
    let mut drawn: Vec<&str> = Vec::new();
    for n in &g.nodes {
        match &n.group {
            None => node(&mut out, n, "  "),
            Some(c) if !drawn.contains(&c.as_str()) => {
                drawn.push(c);
                // Graphviz draws a subgraph whose name starts with "cluster" as a box.
                let _ = writeln!(
                    out,
                    "  subgraph {} {{\n    label=\"cluster {c}\";",
                    id("cluster", c)
                );
                for m in g.nodes.iter().filter(|m| m.group.as_ref() == Some(c)) {
                    node(&mut out, m, "    ");
                }
                out.push_str("  }\n");
            }
            Some(_) => {}
        }
    }
    for (a, b, label) in &g.edges {
        let _ = writeln!(out, "  {a} -> {b} [label=\"{label}\"];");
    }
    out.push_str("}\n");
    out
}
