//! The subnet plan: where each tier's subnet of each availability zone sits in the VPC block.
//!
//! The VPC block is cut in halves. The first half holds the private subnets; the second half
//! is cut in two again: its first quarter of the VPC holds the data subnets, the last quarter
//! the public ones. Each tier has a fixed number of slots (8, or 4 for a VPC smaller than /23)
//! and the N-th zone of `azs` always takes slot N. So appending a zone, or turning on the data
//! tier, never moves a subnet that exists; reordering `azs` does.
//!
//! For a /16: private subnets are /20 (4,096 addresses), data and public subnets /21.

use super::cidr::Ipv4Net;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubnetPlan {
    /// AZ -> CIDR, per tier; `data` is empty without a data tier.
    pub public: BTreeMap<String, String>,
    pub private: BTreeMap<String, String>,
    pub data: BTreeMap<String, String>,
}

impl SubnetPlan {
    pub fn new(vpc: Ipv4Net, azs: &[String], data_tier: bool) -> Result<SubnetPlan, String> {
        let slots_bits: u8 = if vpc.prefix <= 22 { 3 } else { 2 };
        let slots = 1usize << slots_bits;
        let private_prefix = vpc.prefix + 1 + slots_bits;
        let small_prefix = vpc.prefix + 2 + slots_bits;
        if small_prefix > 28 {
            return Err(format!(
                "a /{} VPC is too small for the subnet plan (the smallest AWS subnet is a /28); use a /24 or larger",
                vpc.prefix
            ));
        }
        if azs.len() > slots {
            return Err(format!(
                "a /{} VPC holds subnets for at most {slots} availability zones, but `azs` lists {}; use a larger block",
                vpc.prefix,
                azs.len()
            ));
        }
        let vpc = vpc.canonical();
        let private_half = vpc.subnet(vpc.prefix + 1, 0).expect("half");
        let data_quarter = vpc.subnet(vpc.prefix + 2, 2).expect("quarter");
        let public_quarter = vpc.subnet(vpc.prefix + 2, 3).expect("quarter");
        let mut plan = SubnetPlan {
            public: BTreeMap::new(),
            private: BTreeMap::new(),
            data: BTreeMap::new(),
        };
        for (i, az) in azs.iter().enumerate() {
            let i = i as u32;
            let slot =
                |block: Ipv4Net, prefix| block.subnet(prefix, i).expect("slot fits").to_string();
            plan.private
                .insert(az.clone(), slot(private_half, private_prefix));
            plan.public
                .insert(az.clone(), slot(public_quarter, small_prefix));
            if data_tier {
                plan.data
                    .insert(az.clone(), slot(data_quarter, small_prefix));
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azs(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("us-west-2{}", (b'a' + i as u8) as char))
            .collect()
    }

    #[test]
    fn a_slash_16_gets_the_documented_layout() {
        let plan = SubnetPlan::new("10.30.0.0/16".parse().unwrap(), &azs(3), true).unwrap();
        assert_eq!(plan.private["us-west-2a"], "10.30.0.0/20");
        assert_eq!(plan.private["us-west-2c"], "10.30.32.0/20");
        assert_eq!(plan.data["us-west-2b"], "10.30.136.0/21");
        assert_eq!(plan.public["us-west-2a"], "10.30.192.0/21");
    }

    #[test]
    fn appending_an_az_moves_nothing_and_nothing_overlaps() {
        for prefix in [16u8, 18, 20, 22, 23, 24] {
            let vpc: Ipv4Net = format!("10.0.0.0/{prefix}").parse().unwrap();
            let max = if prefix <= 22 { 6 } else { 4 };
            let small = SubnetPlan::new(vpc, &azs(max - 1), true).unwrap();
            let big = SubnetPlan::new(vpc, &azs(max), true).unwrap();
            for (az, cidr) in &small.private {
                assert_eq!(&big.private[az], cidr);
                assert_eq!(&big.public[az], &small.public[az]);
                assert_eq!(&big.data[az], &small.data[az]);
            }
            let all: Vec<Ipv4Net> = [&big.public, &big.private, &big.data]
                .iter()
                .flat_map(|m| m.values())
                .map(|c| c.parse().unwrap())
                .collect();
            for (i, a) in all.iter().enumerate() {
                assert!(vpc.overlaps(a) && a.prefix <= 28);
                for b in &all[i + 1..] {
                    assert!(!a.overlaps(b), "{a} overlaps {b} in /{prefix}");
                }
            }
        }
    }

    #[test]
    fn too_many_zones_for_a_small_block_is_an_error() {
        let err = SubnetPlan::new("10.0.0.0/24".parse().unwrap(), &azs(5), false).unwrap_err();
        assert!(err.contains("at most 4"), "{err}");
    }
}
