//! `tfblueprint new`: a new blueprint from one of the seed systems, renamed, with the values a
//! user must fill in (account ids, certificates, hosted zones) replaced by placeholders that
//! validate and are marked with a `TODO` comment.

use crate::Result;
use anyhow::{Context, anyhow};
use std::path::Path;

/// (name, what it is, blueprint text)
pub const PRESETS: &[(&str, &str, &str)] = &[
    (
        "websight",
        "WebSight CMS on Fargate: nginx, cms and mongo (stop-before-start on EFS), HTTPS 443 and 8443",
        include_str!("../blueprints/websight.hcl"),
    ),
    (
        "ecs-platform",
        "Services on ECS with EC2 instances, bridge mode, ECR per service, host routing",
        include_str!("../blueprints/ecs-platform.hcl"),
    ),
    (
        "accurate-video",
        "Accurate Video: four services, PostgreSQL, Hazelcast between and within jobs and adapter",
        include_str!("../blueprints/accurate-video.hcl"),
    ),
    (
        "magento",
        "MageCloudKit for Magento: app and admin EC2 clusters, Jenkins, Aurora MySQL, two Redis, EFS",
        include_str!("../blueprints/magento.hcl"),
    ),
    (
        "fargate-api",
        "A REST service on Fargate with autoscaling, an SSM secret and a DNS record",
        include_str!("../blueprints/fargate-api.hcl"),
    ),
];

pub fn new(preset: Option<String>, name: Option<String>, list: bool, dir: &Path) -> Result<()> {
    if list || preset.is_none() {
        for (n, what, _) in PRESETS {
            println!("{n:<16}{what}");
        }
        return Ok(());
    }
    let preset = preset.unwrap_or_default();
    let Some((pname, _, text)) = PRESETS.iter().find(|(n, _, _)| *n == preset) else {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
        return Err(anyhow!(
            "unknown preset \"{preset}\"; presets are {}",
            crate::diag::one_of(&names)
        )
        .into());
    };
    let name = name.unwrap_or_else(|| pname.to_string());
    let text = instantiate(text, &name);
    let path = dir.join(format!("{name}.hcl"));
    // Check the result before writing anything: a bad name is reported like any blueprint error.
    crate::blueprint::load_str(&text, &path.display().to_string())
        .map_err(crate::Error::Blueprint)?;
    if path.exists() {
        return Err(crate::Error::Refused(anyhow!(
            "{} already exists; nothing was written",
            path.display()
        )));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "wrote {} from preset {pname}; fill in the lines marked TODO, then run `tfblueprint generate {}`",
        path.display(),
        path.display()
    );
    Ok(())
}

/// The preset text for an app called `name`.
pub fn instantiate(text: &str, name: &str) -> String {
    let mut old = String::new();
    let mut out = String::new();
    let mut subnets = 0;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let key = trimmed.split(['=', ' ']).next().unwrap_or_default();
        let mut line = line.to_string();
        if old.is_empty()
            && let Some(rest) = trimmed.strip_prefix("app \"")
        {
            old = rest.split('"').next().unwrap_or_default().to_string();
            line = format!("{indent}app \"{name}\" {{");
        }
        let value = |v: &str| {
            trimmed
                .split_once('=')
                .map(|(k, _)| format!("{indent}{}= {v}", k))
                .unwrap_or_default()
        };
        match key {
            "account_id" => {
                line = value("\"000000000000\" # TODO: the AWS account id of this environment")
            }
            "certificate" => {
                let region = trimmed.split(':').nth(3).unwrap_or("us-east-1");
                line = value(&format!(
                    "\"arn:aws:acm:{region}:000000000000:certificate/00000000-0000-0000-0000-000000000000\" # TODO: your ACM certificate ARN"
                ));
            }
            "zone_id" => {
                line = value("\"Z00000000000000000000\" # TODO: your public hosted zone id")
            }
            "task_role" | "execution_role" => {
                line = value(&format!(
                    "\"arn:aws:iam::000000000000:role/{key}\" # TODO: the existing {} of this account",
                    key.replace('_', " ")
                ))
            }
            "vpc_id" => line = value("\"vpc-00000000\" # TODO: the ID of this account's VPC"),
            "vpc_cidr" => line = value("\"10.0.0.0/16\" # TODO: the CIDR block of that VPC"),
            _ if trimmed.contains("= \"subnet-") => {
                // One placeholder per subnet: the IDs of an existing network are distinct.
                subnets += 1;
                line = value(&format!("\"subnet-{subnets:08x}\" # TODO: the subnet's ID"));
            }
            _ => {}
        }
        if !old.is_empty() && old != name {
            line = line.replace(&format!("/{old}/"), &format!("/{name}/"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_instantiates_to_a_valid_blueprint_with_placeholders() {
        for (name, _, text) in PRESETS {
            let new = instantiate(text, "acme");
            let bp = crate::blueprint::load_str(&new, "acme.hcl")
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(bp.app.name, "acme");
            assert!(
                !new.contains("111111111111") && !new.contains("222222222222"),
                "{name}"
            );
            assert!(new.contains("TODO"), "{name} has no placeholder");
        }
    }

    #[test]
    fn the_fargate_api_preset_deploys_into_existing_networks_and_roles() {
        let (_, _, text) = PRESETS.iter().find(|p| p.0 == "fargate-api").unwrap();
        let bp = crate::blueprint::load_str(&instantiate(text, "acme"), "acme.hcl").unwrap();
        for env in &bp.environments {
            let net = env
                .app
                .network
                .existing
                .as_ref()
                .expect("an existing network");
            assert_eq!(net.vpc_id, "vpc-00000000", "{}", env.name);
            assert_eq!(net.private_subnets.len(), 3, "{}", env.name);
            let api = env.app.service("api").unwrap();
            assert_eq!(
                api.task_role.as_ref().map(|r| r.0.as_str()),
                Some("arn:aws:iam::000000000000:role/task_role")
            );
        }
    }
}
