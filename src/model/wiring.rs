//! The root outputs a platform team wires other stacks with: the network's IDs per tier, the
//! security groups, the load balancers' DNS names and zones, the data stores' endpoints. They
//! come after the outputs each module adds for itself, and name only modules the app has.

use super::{AppModel, Output};

/// Adds the wiring outputs to every root of `model`.
pub fn add_outputs(model: &mut AppModel, existing_network: bool) {
    let has = |m: &str| model.modules.iter().any(|x| x.name == m);
    let mut wanted: Vec<(&str, &str, String)> = vec![
        (
            "vpc_cidr_block",
            "The IPv4 CIDR block of the VPC",
            "module.network.vpc_cidr_block".into(),
        ),
        (
            "public_subnet_ids",
            "IDs of the public subnets, by AZ",
            "module.network.public_subnet_ids".into(),
        ),
        (
            "private_subnet_ids",
            "IDs of the private subnets, by AZ",
            "module.network.private_subnet_ids".into(),
        ),
        (
            "data_subnet_ids",
            "IDs of the subnets of the data stores, by AZ (the private ones without a data tier)",
            "module.network.data_subnet_ids".into(),
        ),
    ];
    if !existing_network {
        wanted.push((
            "nat_public_ips",
            "Public IPs of the NAT gateways, by AZ: where the private subnets reach the internet from",
            "module.network.nat_public_ips".into(),
        ));
    }
    if has("security") {
        wanted.push((
            "security_group_ids",
            "IDs of the security groups, by owner (\"service.<name>\", \"load_balancer.<name>\", \"database.<name>\", ...)",
            "module.security.security_group_ids".into(),
        ));
    }
    if has("alb") {
        wanted.push((
            "load_balancer_zone_ids",
            "Route 53 hosted zone IDs of the load balancers (for alias records)",
            "module.alb.zone_ids".into(),
        ));
        wanted.push((
            "load_balancer_arns",
            "ARNs of the load balancers",
            "module.alb.arns".into(),
        ));
    }
    if has("aurora") {
        wanted.push((
            "database_reader_endpoints",
            "Reader endpoints of the Aurora clusters",
            "module.aurora.reader_endpoints".into(),
        ));
        wanted.push((
            "database_ports",
            "Ports of the Aurora clusters",
            "module.aurora.ports".into(),
        ));
    }
    if has("elasticache") {
        wanted.push((
            "cache_endpoints",
            "Endpoints of the caches (primary, or configuration for Memcached)",
            "module.elasticache.endpoints".into(),
        ));
        wanted.push((
            "cache_ports",
            "Ports of the caches",
            "module.elasticache.ports".into(),
        ));
    }
    if has("efs") {
        wanted.push((
            "file_system_ids",
            "IDs of the EFS file systems",
            "module.efs.ids".into(),
        ));
    }
    for root in &mut model.envs {
        for (name, description, value) in &wanted {
            if root.outputs.iter().any(|o| o.name == *name) {
                continue;
            }
            root.outputs.push(Output {
                name: name.to_string(),
                description: description.to_string(),
                value: value.clone(),
            });
        }
    }
}
