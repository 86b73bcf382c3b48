//! Shared helpers: the test set and quick constructors.

use parindex_core::engine::{UnitData, UnitInput, UnitScore, score_unit};
use parindex_core::set::{CriteriaSet, parse_set};
use rust_decimal::Decimal;
use std::str::FromStr;

pub const MINI: &str = include_str!("data/mini.set.toml");

pub fn mini() -> CriteriaSet {
    parse_set("mini.set.toml", MINI).unwrap_or_else(|p| panic!("{p}"))
}

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A one-sub-criterion set out of 100, for ready-made parts.
pub fn parts_set(method: &str) -> CriteriaSet {
    let text = format!(
        r#"
[set]
code = "parts"
title = "Tổng hợp"
year = 2019
total = 100
levels = ["so"]
[[group]]
code = "so"
name = "Sở, ban, ngành"
[scoring]
rank_method = "{method}"
[classes]
[[classes.class]]
label = "Xuất sắc"
min = 90
[[classes.class]]
label = "Tốt"
min = 80
[[classes.class]]
label = "Khá"
min = 70
[[classes.class]]
label = "Trung bình"
min = 50
[[classes.class]]
label = "Yếu"
min = 0
[[node]]
code = "1"
title = "Tổng"
max = 100
[[node]]
code = "1.1"
title = "Tổng"
max = 100
[[node]]
code = "1.1.1"
title = "Tổng"
max = 100
rule = {{ type = "manual" }}
"#
    );
    parse_set("parts.set.toml", &text).unwrap_or_else(|p| panic!("{p}"))
}

pub fn parts(unit: &str, direct: Decimal, survey: Decimal) -> UnitInput {
    UnitInput {
        unit: unit.to_string(),
        name: unit.to_string(),
        group: "so".into(),
        level: None,
        data: UnitData::Parts {
            direct,
            survey,
            max: None,
        },
        bonus: Decimal::ZERO,
        penalty: Decimal::ZERO,
    }
}

pub fn declared(unit: &str, group: &str, values: &[&str]) -> UnitInput {
    UnitInput {
        unit: unit.to_string(),
        name: unit.to_string(),
        group: group.to_string(),
        level: Some(group.to_string()),
        data: UnitData::Declared(values.iter().map(|s| s.to_string()).collect()),
        bonus: Decimal::ZERO,
        penalty: Decimal::ZERO,
    }
}

pub fn score(set: &CriteriaSet, input: &UnitInput) -> UnitScore {
    score_unit(set, input).unwrap_or_else(|p| panic!("{p}"))
}
