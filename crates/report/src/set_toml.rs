//! The canonical `*.set.toml` text of a criteria set: commented, human-editable, in exactly the
//! format of `docs/criteria-set-format.md`, such that `parse_set` reads back the same set.

use crate::toml_text::{comment, decimal, key, rule, string};
use parindex_core::locale::Locale;
use parindex_core::num::Rounding;
use parindex_core::rules::Rule;
use parindex_core::set::{Basis, CriteriaSet, Node, RankMethod};
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// A rule as the TOML inline table of the criteria-set format, e.g.
/// `{ type = "bands", bands = [{ min = 90, min_inclusive = false, points = 2 }, …] }`. Decimals are
/// TOML numbers when they read back exactly, strings otherwise.
pub fn rule_to_toml(r: &Rule) -> String {
    rule(r)
}

pub(crate) fn basis_name(b: Basis) -> &'static str {
    match b {
        Basis::Percent => "percent",
        Basis::Points => "points",
    }
}

pub(crate) fn rank_method_name(m: RankMethod) -> &'static str {
    match m {
        RankMethod::Competition => "competition",
        RankMethod::Dense => "dense",
    }
}

pub(crate) fn rounding_name(r: Rounding) -> &'static str {
    match r {
        Rounding::HalfUp => "half_up",
        Rounding::HalfEven => "half_even",
        Rounding::Down => "down",
    }
}

/// The nodes in code order (the set keeps them so; this does not rely on it).
pub(crate) fn sorted_nodes(set: &CriteriaSet) -> Vec<&Node> {
    let mut nodes: Vec<&Node> = set.nodes.iter().collect();
    nodes.sort_by(|a, b| a.code.cmp(&b.code));
    nodes
}

/// `max_by_level` as an inline table: `{ huyen = 1.5, xa = 1 }`.
fn levels_table(levels: &std::collections::BTreeMap<String, Decimal>) -> String {
    let body = levels
        .iter()
        .map(|(k, v)| format!("{} = {}", key(k), decimal(*v)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{{ {body} }}")
}

/// Writes the set as a commented `*.set.toml` file. `parse_set` of the result gives back the same
/// set (apart from `source` and the nodes' `line`) for every set `parse_set` accepts.
pub fn write_set_toml(set: &CriteriaSet) -> String {
    let mut out = String::new();
    // `writeln!` into a String cannot fail.
    macro_rules! w {
        ($($arg:tt)*) => {{
            let _ = writeln!(out, $($arg)*);
        }};
    }
    let rule_line =
        "# ───────────────────────────────────────────────────────────────────────────────";

    w!("# {}", comment(&set.title));
    if let Some(en) = &set.title_en {
        w!("# {}", comment(en));
    }
    w!("#");
    w!("# Bộ chỉ số CCHC của parindex (định dạng: docs/criteria-set-format.md).");
    w!("# A parindex criteria set (format: docs/criteria-set-format.md).");
    w!("# Sửa bằng trình soạn thảo bất kỳ; kiểm tra bằng `parindex sets check <tệp>`.");
    w!("# Số viết dạng 0.5 hoặc \"0.5\" đều được đọc chính xác (số thập phân, không làm tròn).");
    w!();
    w!("format = 1");
    w!("kind = \"criteria-set\"");
    w!();
    w!("[set]");
    w!(
        "code = {}   # mã bộ chỉ số: chữ thường, chữ số, '-'",
        string(&set.code)
    );
    w!("title = {}", string(&set.title));
    if let Some(en) = &set.title_en {
        w!("title_en = {}", string(en));
    }
    w!("year = {}", set.year);
    w!(
        "total = {}   # tổng điểm tối đa; bằng tổng điểm các lĩnh vực",
        decimal(set.total)
    );
    let levels = set
        .levels
        .iter()
        .map(|l| string(l))
        .collect::<Vec<_>>()
        .join(", ");
    w!("levels = [{levels}]   # cấp đơn vị áp dụng; cấp đầu là mặc định");
    w!();
    w!("# Nhóm xếp hạng: mỗi nhóm được xếp hạng riêng.");
    for g in &set.groups {
        w!("[[group]]");
        w!("code = {}", string(&g.code));
        w!("name = {}", string(&g.name));
        if let Some(en) = &g.name_en {
            w!("name_en = {}", string(en));
        }
        w!();
    }
    w!("[scoring]");
    w!(
        "rank_basis = {}   # \"percent\": điểm / điểm tối đa của đơn vị × 100; hoặc \"points\"",
        string(basis_name(set.scoring.rank_basis))
    );
    w!(
        "rank_method = {}   # \"competition\" (1, 1, 3) hoặc \"dense\" (1, 1, 2)",
        string(rank_method_name(set.scoring.rank_method))
    );
    w!(
        "decimals = {}   # số chữ số thập phân khi công bố (0..=4)",
        set.scoring.decimals
    );
    w!(
        "rounding = {}   # \"half_up\", \"half_even\" hoặc \"down\"",
        string(rounding_name(set.scoring.rounding))
    );
    w!();
    if set.bonus_max.is_zero() {
        w!("# Không có điểm thưởng. Để có: [bonus] max = 2");
    } else {
        w!("[bonus]   # điểm thưởng, tối đa");
        w!("max = {}", decimal(set.bonus_max));
    }
    if set.penalty_max.is_zero() {
        w!("# Không có điểm trừ. Để có: [penalty] max = 2");
    } else {
        w!("[penalty]   # điểm trừ, tối đa");
        w!("max = {}", decimal(set.penalty_max));
    }
    w!();
    w!("# Xếp loại, từ cao xuống thấp; mức cuối nhận cả điểm 0.");
    w!("[classes]");
    w!(
        "basis = {}   # \"percent\" hoặc \"points\"",
        string(basis_name(set.classes.basis))
    );
    for c in &set.classes.classes {
        w!();
        w!("[[classes.class]]");
        w!("label = {}", string(&c.label));
        if let Some(en) = &c.label_en {
            w!("label_en = {}", string(en));
        }
        w!("min = {}", decimal(c.min));
        let how = if c.min_inclusive {
            "từ ngưỡng trở lên"
        } else {
            "trên ngưỡng"
        };
        w!("min_inclusive = {}   # {how}", c.min_inclusive);
    }

    for n in sorted_nodes(set) {
        w!();
        match n.code.level() {
            1 => {
                w!("{rule_line}");
                w!(
                    "# {}. {} — {} điểm",
                    n.code,
                    comment(&n.title),
                    Locale::Vi.decimal(n.max, n.max.normalize().scale())
                );
                w!("{rule_line}");
                w!();
            }
            2 => w!("# {} {}", n.code, comment(&n.title)),
            _ => {}
        }
        w!("[[node]]");
        w!("code = {}", string(&n.code.to_string()));
        w!("title = {}", string(&n.title));
        if let Some(en) = &n.title_en {
            w!("title_en = {}", string(en));
        }
        w!("max = {}", decimal(n.max));
        if !n.max_by_level.is_empty() {
            w!("max_by_level = {}", levels_table(&n.max_by_level));
        }
        if let Some(d) = &n.declared {
            w!("declared = {}", string(d));
        }
        if let Some(e) = &n.evidence {
            w!("evidence = {}", string(e));
        }
        if n.allow_na {
            w!("allow_na = true");
        }
        if let Some(r) = &n.rule {
            w!("# {}", comment(&r.describe(Locale::Vi)));
            w!("rule = {}", rule(r));
        }
    }
    out
}
