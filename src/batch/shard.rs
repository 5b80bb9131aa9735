//! `--shard K/N`: which cases a run takes, by the FNV-1a 64 of their name modulo N, so shards on
//! several machines split the cases between them without talking to each other.

use std::str::FromStr;

use super::fnv::fnv64;

/// `K/N`: this run takes the cases whose name hashes to K modulo N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected K/N, e.g. 0/4"))?;
        let index: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: K is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: N is not a number"))?;
        if count == 0 {
            return Err(format!("`{s}`: N must be at least 1"));
        }
        if index >= count {
            return Err(format!("`{s}`: K must be from 0 to N-1"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Whether the case named `case` (its path relative to its input folder) is in this shard.
    pub fn selects(&self, case: &str) -> bool {
        fnv64(case.as_bytes()) % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parses_and_partitions() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        let shards: Vec<Shard> = (0..3).map(|k| Shard { index: k, count: 3 }).collect();
        for name in ["a", "b.tar.gz", "case 17", "ü"] {
            assert_eq!(shards.iter().filter(|s| s.selects(name)).count(), 1);
        }
    }
}
