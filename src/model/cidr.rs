//! IPv4 CIDR blocks: parsing, containment and carving subnets out of a block.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ipv4Net {
    pub addr: u32,
    pub prefix: u8,
}

impl Ipv4Net {
    fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        }
    }

    pub fn is_canonical(&self) -> bool {
        self.addr & !self.mask() == 0
    }

    pub fn canonical(&self) -> Ipv4Net {
        Ipv4Net {
            addr: self.addr & self.mask(),
            prefix: self.prefix,
        }
    }

    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        let p = self.prefix.min(other.prefix);
        let m = if p == 0 { 0 } else { u32::MAX << (32 - p) };
        self.addr & m == other.addr & m
    }

    /// The `index`-th block of size `/prefix` inside this one.
    pub fn subnet(&self, prefix: u8, index: u32) -> Option<Ipv4Net> {
        if prefix < self.prefix || prefix > 32 {
            return None;
        }
        let count = 1u64 << (prefix - self.prefix);
        if u64::from(index) >= count {
            return None;
        }
        let size = 1u64 << (32 - prefix);
        Some(Ipv4Net {
            addr: (u64::from(self.canonical().addr) + u64::from(index) * size) as u32,
            prefix,
        })
    }
}

impl FromStr for Ipv4Net {
    type Err = String;

    /// Only the canonical spelling: four decimal numbers 0-255 without sign or leading zero,
    /// a prefix 0-32 without one. A spelling that means a block in another form
    /// (`10.10.0.0/016`, `+10.10.0.0/16`, `10.0.0.0/08`) is an error that names the canonical
    /// form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse(s, true) {
            Ok(net) => Ok(net),
            Err(e) => match parse(s, false) {
                Ok(net) => Err(format!("it is not written canonically; write \"{net}\"")),
                Err(_) => Err(e),
            },
        }
    }
}

/// A decimal number: only digits, and (when `strict`) no leading zero.
fn number(s: &str, strict: bool) -> Option<u32> {
    let digits = if strict {
        s
    } else {
        s.trim().trim_start_matches('+')
    };
    if digits.is_empty()
        || digits.len() > 10
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (strict && digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

fn parse(s: &str, strict: bool) -> Result<Ipv4Net, String> {
    let (ip, prefix) = s
        .split_once('/')
        .ok_or("write it as address/prefix, e.g. \"10.0.0.0/16\"")?;
    let prefix = number(prefix, strict)
        .filter(|p| *p <= 32)
        .ok_or("the prefix length after \"/\" must be 0 to 32")? as u8;
    let octets: Vec<&str> = ip.split('.').collect();
    if octets.len() != 4 {
        return Err("the address needs four numbers separated by dots".into());
    }
    let mut addr = 0u32;
    for o in octets {
        let v = number(o, strict).filter(|v| *v <= 255).ok_or_else(|| {
            format!(
                "\"{}\" is not a number from 0 to 255",
                crate::diag::escape(o)
            )
        })?;
        addr = (addr << 8) | v;
    }
    Ok(Ipv4Net { addr, prefix })
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.addr.to_be_bytes();
        write!(f, "{}.{}.{}.{}/{}", a[0], a[1], a[2], a[3], self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let n: Ipv4Net = "10.20.0.0/16".parse().unwrap();
        assert_eq!(n.to_string(), "10.20.0.0/16");
        assert!(n.is_canonical());
        assert!("10.20.0.1/16".parse::<Ipv4Net>().unwrap().canonical() == n);
        for bad in [
            "10.0.0/16",
            "10.0.0.0",
            "10.0.0.0/33",
            "256.0.0.0/8",
            "a.b.c.d/8",
            "01.0.0.0/8",
        ] {
            assert!(bad.parse::<Ipv4Net>().is_err(), "{bad}");
        }
        for (odd, canonical) in [
            ("10.10.0.0/016", "10.10.0.0/16"),
            ("+10.10.0.0/16", "10.10.0.0/16"),
            ("10.0.0.0/08", "10.0.0.0/8"),
            ("10.0.0.0/+8", "10.0.0.0/8"),
            ("010.0.0.0/8", "10.0.0.0/8"),
        ] {
            let e = odd.parse::<Ipv4Net>().unwrap_err();
            assert!(e.contains(&format!("write \"{canonical}\"")), "{odd}: {e}");
        }
    }

    #[test]
    fn carves_subnets_and_finds_overlaps() {
        let n: Ipv4Net = "10.0.0.0/16".parse().unwrap();
        assert_eq!(n.subnet(20, 1).unwrap().to_string(), "10.0.16.0/20");
        assert_eq!(n.subnet(20, 16), None);
        let a: Ipv4Net = "10.0.0.0/8".parse().unwrap();
        assert!(a.overlaps(&n) && n.overlaps(&a));
        assert!(!n.overlaps(&"10.1.0.0/16".parse().unwrap()));
    }
}
