//! The model catalog of PROTOCOL.md §6, and the rules for ids outside it.

#[allow(unused_imports)]
use crate::prelude::*;
/// A Model Studio region with its own host and API keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// Singapore.
    Intl,
    /// Virginia.
    Us,
    /// Beijing.
    Cn,
}

impl Region {
    pub const ALL: [Region; 3] = [Region::Intl, Region::Us, Region::Cn];

    pub fn as_str(self) -> &'static str {
        match self {
            Region::Intl => "intl",
            Region::Us => "us",
            Region::Cn => "cn",
        }
    }

    pub fn parse(s: &str) -> Option<Region> {
        match s {
            "intl" => Some(Region::Intl),
            "us" => Some(Region::Us),
            "cn" => Some(Region::Cn),
            _ => None,
        }
    }

    /// The region's API host, without a trailing slash.
    pub fn host(self) -> &'static str {
        match self {
            Region::Intl => "https://dashscope-intl.aliyuncs.com",
            Region::Us => "https://dashscope-us.aliyuncs.com",
            Region::Cn => "https://dashscope.aliyuncs.com",
        }
    }

    /// Where the region is, for messages ("intl (Singapore)").
    pub fn describe(self) -> &'static str {
        match self {
            Region::Intl => "intl (Singapore)",
            Region::Us => "us (Virginia)",
            Region::Cn => "cn (Beijing)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Qwen3Vl,
    Qvq,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Qwen3Vl => "qwen3-vl",
            Family::Qvq => "qvq",
        }
    }
}

/// Whether a model thinks only when asked, or always.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thinking {
    Hybrid,
    Always,
}

impl Thinking {
    pub fn as_str(self) -> &'static str {
        match self {
            Thinking::Hybrid => "hybrid",
            Thinking::Always => "always",
        }
    }
}

/// What a model accepts: the catalog's row, or the rules inferred from an
/// id's prefix (then `regions` is `None`: nothing is known about them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub family: Family,
    pub thinking: Thinking,
    pub streaming_only: bool,
    /// Accepts `thinking_budget` (for hybrid models: only when thinking).
    pub thinking_budget: bool,
    pub context: u32,
    pub max_thinking: u32,
    pub max_answer: u32,
    pub regions: Option<&'static [Region]>,
}

/// One catalog entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelInfo {
    pub id: &'static str,
    pub rules: Rules,
}

const ALL: &[Region] = &[Region::Intl, Region::Us, Region::Cn];
const INTL_CN: &[Region] = &[Region::Intl, Region::Cn];
const US: &[Region] = &[Region::Us];

const HYBRID: Rules = Rules {
    family: Family::Qwen3Vl,
    thinking: Thinking::Hybrid,
    streaming_only: false,
    thinking_budget: true,
    context: 262_144,
    max_thinking: 81_920,
    max_answer: 32_768,
    regions: None,
};

const THINKING_ONLY: Rules = Rules {
    family: Family::Qwen3Vl,
    thinking: Thinking::Always,
    streaming_only: false,
    thinking_budget: true,
    context: 131_072,
    max_thinking: 81_920,
    max_answer: 32_768,
    regions: None,
};

const QVQ: Rules = Rules {
    family: Family::Qvq,
    thinking: Thinking::Always,
    streaming_only: true,
    thinking_budget: false,
    context: 131_072,
    max_thinking: 16_384,
    max_answer: 8_192,
    regions: None,
};

const fn row(id: &'static str, base: Rules, regions: &'static [Region]) -> ModelInfo {
    let mut rules = base;
    rules.regions = Some(regions);
    ModelInfo { id, rules }
}

/// Every model id of PROTOCOL.md §6, aliases and dated snapshots included.
pub static CATALOG: &[ModelInfo] = &[
    row("qwen3-vl-plus", HYBRID, ALL),
    row("qwen3-vl-plus-2025-09-23", HYBRID, ALL),
    row("qwen3-vl-plus-2025-12-19", HYBRID, INTL_CN),
    row("qwen3-vl-flash", HYBRID, ALL),
    row("qwen3-vl-flash-2025-10-15", HYBRID, ALL),
    row("qwen3-vl-flash-2026-01-22", HYBRID, ALL),
    row("qwen3-vl-flash-us", HYBRID, US),
    row("qwen3-vl-flash-2025-10-15-us", HYBRID, US),
    row("qwen3-vl-235b-a22b-thinking", THINKING_ONLY, ALL),
    row("qwen3-vl-32b-thinking", THINKING_ONLY, ALL),
    row("qwen3-vl-30b-a3b-thinking", THINKING_ONLY, ALL),
    row("qwen3-vl-8b-thinking", THINKING_ONLY, ALL),
    row("qvq-max", QVQ, INTL_CN),
    row("qvq-max-latest", QVQ, INTL_CN),
    row("qvq-max-2025-03-25", QVQ, INTL_CN),
    row("qvq-max-2025-05-15", QVQ, INTL_CN),
    row("qvq-plus", QVQ, INTL_CN),
    row("qvq-plus-latest", QVQ, INTL_CN),
    row("qvq-plus-2025-05-15", QVQ, INTL_CN),
];

/// The catalog entry for `id`, if it is one.
pub fn lookup(id: &str) -> Option<&'static ModelInfo> {
    CATALOG.iter().find(|m| m.id == id)
}

/// The rules for `id`: the catalog's, else those its prefix implies
/// (`qvq-…`, `qwen3-vl-…-thinking`, `qwen3-vl-…`), else `None` (unknown ids
/// pass through unvalidated).
pub fn rules(id: &str) -> Option<Rules> {
    if let Some(m) = lookup(id) {
        return Some(m.rules);
    }
    if id.starts_with("qvq-") {
        Some(QVQ)
    } else if id.starts_with("qwen3-vl-") && id.ends_with("-thinking") {
        Some(THINKING_ONLY)
    } else if id.starts_with("qwen3-vl-") {
        Some(HYBRID)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_ids_are_unique() {
        for (i, a) in CATALOG.iter().enumerate() {
            assert!(CATALOG[i + 1..].iter().all(|b| b.id != a.id), "{}", a.id);
        }
    }

    #[test]
    fn prefix_rules_apply_to_unknown_ids_without_regions() {
        assert_eq!(
            rules("qvq-max-2099-01-01").map(|r| r.family),
            Some(Family::Qvq)
        );
        assert_eq!(rules("qvq-max-2099-01-01").and_then(|r| r.regions), None);
        assert_eq!(
            rules("qwen3-vl-2b-thinking").map(|r| r.thinking),
            Some(Thinking::Always)
        );
        assert_eq!(
            rules("qwen3-vl-max").map(|r| r.thinking),
            Some(Thinking::Hybrid)
        );
        assert_eq!(rules("qwen-vl-max"), None);
    }

    #[test]
    fn dated_plus_2025_12_19_is_not_served_in_us() {
        let r = lookup("qwen3-vl-plus-2025-12-19").unwrap().rules;
        assert_eq!(r.regions, Some(INTL_CN));
    }

    /// PROTOCOL.md §6 row by row: (id, family, thinking, streaming only,
    /// thinking_budget, context, max thinking, max answer, regions).
    #[allow(clippy::type_complexity)]
    const TABLE: &[(&str, Family, Thinking, bool, bool, u32, u32, u32, &[Region])] = &[
        (
            "qwen3-vl-plus",
            Family::Qwen3Vl,
            Thinking::Hybrid,
            false,
            true,
            262_144,
            81_920,
            32_768,
            ALL,
        ),
        (
            "qwen3-vl-plus-2025-09-23",
            Family::Qwen3Vl,
            Thinking::Hybrid,
            false,
            true,
            262_144,
            81_920,
            32_768,
            ALL,
        ),
        (
            "qwen3-vl-plus-2025-12-19",
            Family::Qwen3Vl,
            Thinking::Hybrid,
            false,
            true,
            262_144,
            81_920,
            32_768,
            INTL_CN,
        ),
        (
            "qwen3-vl-flash",
            Family::Qwen3Vl,
            Thinking::Hybrid,
            false,
            true,
            262_144,
            81_920,
            32_768,
            ALL,
        ),
        (
            "qwen3-vl-flash-2025-10-15",
            Family::Qwen3Vl,
            Thinking::Hybrid,
            false,
            true,
            262_144,
            81_920,
            32_768,
            ALL,
        ),
        (
            "qwen3-vl-flash-2026-01-22",
            Family::Qwen3Vl,
            Thinking::Hybrid,
            false,
            true,
            262_144,
            81_920,
            32_768,
            ALL,
        ),
        (
            "qwen3-vl-flash-us",
            Family::Qwen3Vl,
            Thinking::Hybrid,
            false,
            true,
            262_144,
            81_920,
            32_768,
            US,
        ),
        (
            "qwen3-vl-flash-2025-10-15-us",
            Family::Qwen3Vl,
            Thinking::Hybrid,
            false,
            true,
            262_144,
            81_920,
            32_768,
            US,
        ),
        (
            "qwen3-vl-235b-a22b-thinking",
            Family::Qwen3Vl,
            Thinking::Always,
            false,
            true,
            131_072,
            81_920,
            32_768,
            ALL,
        ),
        (
            "qwen3-vl-32b-thinking",
            Family::Qwen3Vl,
            Thinking::Always,
            false,
            true,
            131_072,
            81_920,
            32_768,
            ALL,
        ),
        (
            "qwen3-vl-30b-a3b-thinking",
            Family::Qwen3Vl,
            Thinking::Always,
            false,
            true,
            131_072,
            81_920,
            32_768,
            ALL,
        ),
        (
            "qwen3-vl-8b-thinking",
            Family::Qwen3Vl,
            Thinking::Always,
            false,
            true,
            131_072,
            81_920,
            32_768,
            ALL,
        ),
        (
            "qvq-max",
            Family::Qvq,
            Thinking::Always,
            true,
            false,
            131_072,
            16_384,
            8_192,
            INTL_CN,
        ),
        (
            "qvq-max-latest",
            Family::Qvq,
            Thinking::Always,
            true,
            false,
            131_072,
            16_384,
            8_192,
            INTL_CN,
        ),
        (
            "qvq-max-2025-03-25",
            Family::Qvq,
            Thinking::Always,
            true,
            false,
            131_072,
            16_384,
            8_192,
            INTL_CN,
        ),
        (
            "qvq-max-2025-05-15",
            Family::Qvq,
            Thinking::Always,
            true,
            false,
            131_072,
            16_384,
            8_192,
            INTL_CN,
        ),
        (
            "qvq-plus",
            Family::Qvq,
            Thinking::Always,
            true,
            false,
            131_072,
            16_384,
            8_192,
            INTL_CN,
        ),
        (
            "qvq-plus-latest",
            Family::Qvq,
            Thinking::Always,
            true,
            false,
            131_072,
            16_384,
            8_192,
            INTL_CN,
        ),
        (
            "qvq-plus-2025-05-15",
            Family::Qvq,
            Thinking::Always,
            true,
            false,
            131_072,
            16_384,
            8_192,
            INTL_CN,
        ),
    ];

    #[test]
    fn catalog_matches_protocol_md_table() {
        assert_eq!(CATALOG.len(), TABLE.len());
        for &(
            id,
            family,
            thinking,
            streaming_only,
            budget,
            context,
            max_thinking,
            max_answer,
            regions,
        ) in TABLE
        {
            let r = lookup(id).map(|m| m.rules);
            let want = Rules {
                family,
                thinking,
                streaming_only,
                thinking_budget: budget,
                context,
                max_thinking,
                max_answer,
                regions: Some(regions),
            };
            assert_eq!(r, Some(want), "{id}");
            assert_eq!(rules(id), Some(want), "{id}");
        }
    }

    #[test]
    fn prefix_rules_carry_the_family_limits() {
        let q = rules("qvq-ultra").unwrap();
        assert!(q.streaming_only && !q.thinking_budget);
        assert_eq!((q.max_thinking, q.max_answer), (16_384, 8_192));
        let t = rules("qwen3-vl-4b-thinking").unwrap();
        assert_eq!(
            (t.thinking, t.streaming_only, t.context),
            (Thinking::Always, false, 131_072)
        );
        // Only the exact prefixes count.
        assert_eq!(rules("qvq"), None);
        assert_eq!(rules("Qwen3-VL-plus"), None);
        assert_eq!(lookup("qwen3-vl-max"), None);
    }

    #[test]
    fn names_round_trip() {
        for r in Region::ALL {
            assert_eq!(Region::parse(r.as_str()), Some(r));
            assert!(r.describe().starts_with(r.as_str()));
            assert!(r.host().starts_with("https://") && !r.host().ends_with('/'));
        }
        assert_eq!(Region::parse("eu"), None);
    }
}
