//! The network module: VPC, subnets per tier and AZ, NAT, endpoints, flow logs.

use super::cidr::Ipv4Net;
use super::subnets::SubnetPlan;
use super::{Call, Hv, ModuleBuilder, Output, names};
use crate::blueprint::{App, Environment, ExistingNetwork};
use serde_json::json;

pub struct Network;

impl ModuleBuilder for Network {
    const NAME: &'static str = "network";

    fn wanted(_app: &App) -> bool {
        true
    }

    fn shape(app: &App) -> serde_json::Value {
        json!({
            "existing": app.network.existing.is_some(),
            "data_subnets": app.network.data_subnets,
            "db_subnet_group": !app.databases.is_empty(),
            "elasticache_subnet_group": !app.caches.is_empty(),
        })
    }

    fn call(app: &App, env: &Environment) -> Call {
        let n = &env.app.network;
        if let Some(e) = &n.existing {
            return existing_call(app, env, e);
        }
        let vpc: Ipv4Net = n.cidr.parse().expect("validated CIDR");
        let plan = SubnetPlan::new(vpc, &n.azs, n.data_subnets).expect("validated subnet plan");
        Call::new(Self::NAME)
            .arg("name", Hv::lit(names::prefix(&app.name, &env.name)))
            .arg("region", Hv::lit(&app.region))
            .group("cidr_block", Hv::lit(&n.cidr))
            .arg("availability_zones", Hv::lit(&n.azs))
            .arg("subnets", Hv::lit(&plan))
            .group("nat", Hv::lit(&n.nat))
            .arg("endpoints", Hv::lit(&n.endpoints))
            .arg("flow_logs", Hv::lit(n.flow_logs))
    }

    fn outputs(app: &App) -> Vec<Output> {
        if app.network.existing.is_some() {
            return vec![Output {
                name: "vpc_id".into(),
                description: "The ID of the VPC (existing)".into(),
                value: "module.network.vpc_id".into(),
            }];
        }
        vec![Output {
            name: "vpc_id".into(),
            description: "The ID of the VPC".into(),
            value: "module.network.vpc_id".into(),
        }]
    }
}

/// The call of a network module over an existing VPC: the IDs and the VPC's CIDR, by AZ; the
/// data stores use the private subnets when no data subnets are given.
fn existing_call(app: &App, env: &Environment, e: &ExistingNetwork) -> Call {
    let data = if e.data_subnets.is_empty() {
        &e.private_subnets
    } else {
        &e.data_subnets
    };
    let azs: Vec<&String> = e.private_subnets.keys().collect();
    Call::new(Network::NAME)
        .arg("name", Hv::lit(names::prefix(&app.name, &env.name)))
        .group("vpc_id", Hv::lit(&e.vpc_id))
        .arg("vpc_cidr_block", Hv::lit(&e.vpc_cidr))
        .arg("availability_zones", Hv::lit(azs))
        .arg(
            "subnet_ids",
            Hv::lit(json!({
                "public": e.public_subnets,
                "private": e.private_subnets,
                "data": data,
            })),
        )
}
