//! `access-never-decides` and `access-widened`: access lists read as sets of viewer addresses.
//!
//! A list is decided first match wins: an entry decides the addresses it covers that no earlier
//! entry covers. An entry that decides none is dead; a location whose list admits addresses its
//! server's list refuses makes them public there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::diagnostic::{Code, Diagnostic};
use crate::lints::{Context, Found, line_of};
use crate::model::{AccessEntry, DEFAULT_IP};
use crate::source::{Span, Text};
use crate::validate::directive;

/// An inclusive range of addresses.
type Range = (u128, u128);

/// A set of addresses: inclusive ranges, IPv4 (as u32 values) and IPv6 kept apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Addresses {
    v4: Vec<Range>,
    v6: Vec<Range>,
}

const V4_MAX: u128 = u32::MAX as u128;

impl Addresses {
    fn all() -> Addresses {
        Addresses {
            v4: vec![(0, V4_MAX)],
            v6: vec![(0, u128::MAX)],
        }
    }

    fn of(entry: &AccessEntry) -> Addresses {
        match entry.net {
            None => Addresses::all(),
            Some(IpNet::V4(net)) => Addresses {
                v4: vec![(
                    u128::from(u32::from(net.network())),
                    u128::from(u32::from(net.broadcast())),
                )],
                v6: Vec::new(),
            },
            Some(IpNet::V6(net)) => Addresses {
                v4: Vec::new(),
                v6: vec![(u128::from(net.network()), u128::from(net.broadcast()))],
            },
        }
    }

    fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    fn map(&self, other: &Addresses, f: fn(&[Range], &[Range]) -> Vec<Range>) -> Addresses {
        Addresses {
            v4: f(&self.v4, &other.v4),
            v6: f(&self.v6, &other.v6),
        }
    }

    fn intersect(&self, other: &Addresses) -> Addresses {
        self.map(other, |a, b| {
            let mut out = Vec::new();
            for &(alo, ahi) in a {
                for &(blo, bhi) in b {
                    let (lo, hi) = (alo.max(blo), ahi.min(bhi));
                    if lo <= hi {
                        out.push((lo, hi));
                    }
                }
            }
            normalize(out)
        })
    }

    fn minus(&self, other: &Addresses) -> Addresses {
        self.map(other, |a, b| {
            let mut out = a.to_vec();
            for &(blo, bhi) in b {
                let mut next = Vec::new();
                for (lo, hi) in out {
                    if bhi < lo || blo > hi {
                        next.push((lo, hi));
                        continue;
                    }
                    if blo > lo {
                        next.push((lo, blo - 1));
                    }
                    if bhi < hi {
                        next.push((bhi + 1, hi));
                    }
                }
                out = next;
            }
            normalize(out)
        })
    }

    fn union(&self, other: &Addresses) -> Addresses {
        self.map(other, |a, b| {
            normalize(a.iter().chain(b).copied().collect())
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let (ranges, value) = match ip {
            IpAddr::V4(ip) => (&self.v4, u128::from(u32::from(ip))),
            IpAddr::V6(ip) => (&self.v6, u128::from(ip)),
        };
        ranges.iter().any(|&(lo, hi)| lo <= value && value <= hi)
    }

    /// One address of the set to show: the usual test viewer when it is in, else an early one.
    fn example(&self) -> Option<IpAddr> {
        let usual: IpAddr = DEFAULT_IP.parse().expect("a valid address");
        if self.contains(usual) {
            return Some(usual);
        }
        let pick = |lo: u128, hi: u128| if hi > lo { lo + 1 } else { lo };
        if let Some(&(lo, hi)) = self.v4.first() {
            return Some(IpAddr::V4(Ipv4Addr::from(pick(lo, hi) as u32)));
        }
        self.v6
            .first()
            .map(|&(lo, hi)| IpAddr::V6(Ipv6Addr::from(pick(lo, hi))))
    }

    /// The set as CIDRs, fewest first.
    fn cidrs(&self) -> Vec<String> {
        let mut out = Vec::new();
        for &(lo, hi) in &self.v4 {
            for (base, len) in split(lo, hi, 32) {
                out.push(format!("{}/{len}", Ipv4Addr::from(base as u32)));
            }
        }
        for &(lo, hi) in &self.v6 {
            for (base, len) in split(lo, hi, 128) {
                out.push(format!("{}/{len}", Ipv6Addr::from(base)));
            }
        }
        out
    }
}

fn normalize(mut ranges: Vec<Range>) -> Vec<Range> {
    ranges.sort_unstable();
    let mut out: Vec<Range> = Vec::new();
    for (lo, hi) in ranges {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// An inclusive range of a `bits`-wide address space as CIDR blocks.
fn split(mut lo: u128, hi: u128, bits: u32) -> Vec<(u128, u32)> {
    let block_end = |lo: u128, host: u32| {
        if host >= 128 {
            u128::MAX
        } else {
            lo + ((1u128 << host) - 1)
        }
    };
    let mut out = Vec::new();
    loop {
        let mut host = if lo == 0 {
            bits
        } else {
            lo.trailing_zeros().min(bits)
        };
        while host > 0 && block_end(lo, host) > hi {
            host -= 1;
        }
        let end = block_end(lo, host);
        out.push((lo, bits - host));
        if end >= hi {
            break;
        }
        lo = end + 1;
    }
    out
}

/// The entries of a written list that parse, with their spans.
fn entries(list: &[Text]) -> Vec<(Span, AccessEntry)> {
    list.iter()
        .filter_map(|t| directive::access(&t.value).ok().map(|(e, _)| (t.span, e)))
        .collect()
}

/// The addresses a list admits (no match: refused).
fn admitted(entries: &[(Span, AccessEntry)]) -> Addresses {
    let mut undecided = Addresses::all();
    let mut allowed = Addresses::default();
    for (_, entry) in entries {
        let cover = Addresses::of(entry);
        if entry.allow {
            allowed = allowed.union(&undecided.intersect(&cover));
        }
        undecided = undecided.minus(&cover);
    }
    allowed
}

fn verdict(allow: bool) -> &'static str {
    if allow { "allowed" } else { "denied" }
}

fn written(entry: &AccessEntry) -> String {
    format!(
        "{} {}",
        if entry.allow { "allow" } else { "deny" },
        entry.net.map_or("all".to_owned(), |n| n.to_string())
    )
}

pub fn check(cx: &Context<'_>, found: &mut Found) {
    let server_list = cx.raw.block.access.as_ref().map(|l| entries(&l.value));
    if let Some(list) = &server_list {
        for d in never_decides(cx, list) {
            found.server(d);
        }
    }
    for (i, raw) in cx.raw.locations.iter().enumerate() {
        let Some(list) = raw.block.access.as_ref() else {
            continue;
        };
        let list_entries = entries(&list.value);
        for d in never_decides(cx, &list_entries) {
            found.location(i, d);
        }
        let Some(server_entries) = &server_list else {
            continue;
        };
        let widened = admitted(&list_entries).minus(&admitted(server_entries));
        if widened.is_empty() {
            continue;
        }
        let cidrs = widened.cidrs();
        let named = if cidrs.len() <= 4 {
            cidrs.join(", ")
        } else {
            let refused = admitted(server_entries).cidrs();
            if Addresses::all().minus(&admitted(server_entries)) == widened && refused.len() <= 4 {
                if refused.is_empty() {
                    "every address".to_owned()
                } else {
                    format!("every address outside {}", refused.join(", "))
                }
            } else {
                format!("{} ranges, from {}", cidrs.len(), cidrs[0])
            }
        };
        let example = widened
            .example()
            .map(|ip| {
                format!(
                    ": e.g. a viewer at {ip} gets `{}` here, and 403 elsewhere on the server",
                    raw.location.value
                )
            })
            .unwrap_or_default();
        let server_line = cx
            .raw
            .block
            .access
            .as_ref()
            .map_or(0, |l| line_of(cx.file, l.span));
        found.location(
            i,
            Diagnostic::new(
                Code::AccessWidened,
                Some(list.span),
                format!(
                    "this location's access list admits viewers the server's list (line {server_line}) refuses: {named}{example}"
                ),
            )
            .with_label("replaces the server's list here")
            .with_help(
                "if these viewers should not get in, repeat the server's entries in this list; if they should, add `allow: [access-widened]` to the location",
            ),
        );
    }
}

/// An entry that covers no address an earlier entry left undecided.
fn never_decides(cx: &Context<'_>, list: &[(Span, AccessEntry)]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut undecided = Addresses::all();
    for (k, (span, entry)) in list.iter().enumerate() {
        let cover = Addresses::of(entry);
        if undecided.intersect(&cover).is_empty() {
            let earlier = &list[..k];
            let decider = earlier
                .iter()
                .find(|(_, e)| cover.minus(&Addresses::of(e)).is_empty());
            let (why, example) = match decider {
                Some((at, e)) => {
                    let ip = cover.example().map(|ip| {
                        format!(
                            ": e.g. a viewer at {ip} is {} by `{}`",
                            verdict(e.allow),
                            written(e)
                        )
                    });
                    (
                        format!(
                            "`{}` on line {} comes first and covers it",
                            written(e),
                            line_of(cx.file, *at)
                        ),
                        ip.unwrap_or_default(),
                    )
                }
                None => (
                    "the entries before it cover all of it".to_owned(),
                    String::new(),
                ),
            };
            let same = decider.is_some_and(|(_, e)| e.allow == entry.allow);
            out.push(
                Diagnostic::new(
                    Code::AccessNeverDecides,
                    Some(*span),
                    format!("`{}` never decides: {why}{example}", written(entry)),
                )
                .with_label("no viewer reaches this entry")
                .with_help(if same {
                    "remove it: an earlier entry already gives the same answer".to_owned()
                } else {
                    "move it above the entry that covers it if it should decide, or remove it"
                        .to_owned()
                }),
            );
        }
        undecided = undecided.minus(&cover);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Vec<(Span, AccessEntry)> {
        entries
            .iter()
            .map(|t| (Span::new(0, 0), directive::access(t).unwrap().0))
            .collect()
    }

    #[test]
    fn a_list_admits_what_its_first_matches_allow() {
        let ten = admitted(&list(&["deny 10.1.0.0/16", "allow 10.0.0.0/8"]));
        assert_eq!(
            ten.cidrs(),
            [
                "10.0.0.0/16",
                "10.2.0.0/15",
                "10.4.0.0/14",
                "10.8.0.0/13",
                "10.16.0.0/12",
                "10.32.0.0/11",
                "10.64.0.0/10",
                "10.128.0.0/9"
            ]
        );
        let office = admitted(&list(&["allow 192.0.2.0/24", "deny all"]));
        assert_eq!(office.cidrs(), ["192.0.2.0/24"]);
        assert!(
            admitted(&list(&["allow all"]))
                .minus(&office)
                .contains("198.51.100.10".parse().unwrap())
        );
    }

    #[test]
    fn cidrs_cover_the_whole_space() {
        assert_eq!(Addresses::all().cidrs(), ["0.0.0.0/0", "::/0"]);
    }
}
