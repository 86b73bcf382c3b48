//! PDF documents typeset with typst: a unit's score sheet and a round's report, with the national
//! motto header of Vietnamese official documents and embedded fonts.
//!
//! The layout lives in typst templates (`*.typ` next to this file); the figures and texts come as
//! one JSON file the templates read with `json(…)`. Data is therefore never typst markup: a unit
//! named `Sở *A* #1 $x$` prints exactly that, and no escaping can be forgotten. Numbers are
//! formatted here, with the locale's decimal comma or point; only the lengths of chart bars are
//! floats, as drawing instructions.

mod world;

use crate::ReportError;
use crate::sheet_xlsx::{ScoreSheet, SheetLine, totals};
use parindex_core::analysis::lost::{GroupLoss, group_losses, group_losses_at_level};
use parindex_core::engine::UnitScore;
use parindex_core::locale::Locale;
use parindex_core::ranking::GroupResult;
use parindex_core::set::CriteriaSet;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use typst::foundations::{Datetime, Smart};
use world::DocWorld;

const COMMON: &str = include_str!("common.typ");
const SHEET: &str = include_str!("sheet.typ");
const REPORT: &str = include_str!("report.typ");

/// How many sub-criteria the report lists under "where the group lost most".
pub const TOP_LOSSES: usize = 5;

/// One class of the set and how many units of a group fell in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassCount {
    pub label: String,
    pub label_en: Option<String>,
    pub count: usize,
}

/// One group's part of the round report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupReport {
    /// The ranking as published (or computed), units in published order.
    pub result: GroupResult,
    /// Every class of the set, best first (so that `RankedUnit::class` indexes it), with counts.
    pub class_counts: Vec<ClassCount>,
    /// Units with no class (below every class's minimum).
    pub unclassified: usize,
    /// Areas (level 1) by points lost, most first, from `group_losses_at_level(…, 1)`. Empty when
    /// the units have no per-node points (results given as ready-made parts).
    pub area_losses: Vec<GroupLoss>,
    /// Sub-criteria by points lost, most first, from `group_losses`; the report lists the first
    /// [`TOP_LOSSES`] that lost anything.
    pub losses: Vec<GroupLoss>,
    /// English node titles by code, for the English report (absent: the Vietnamese title).
    pub titles_en: BTreeMap<String, String>,
}

impl GroupReport {
    /// Counts classes and computes the losses from the group's scores (`scores` may hold other
    /// groups' units too: only those of `result`'s group are used).
    pub fn from_scores(set: &CriteriaSet, result: GroupResult, scores: &[UnitScore]) -> Self {
        let mut class_counts: Vec<ClassCount> = set
            .classes
            .classes
            .iter()
            .map(|c| ClassCount {
                label: c.label.clone(),
                label_en: c.label_en.clone(),
                count: 0,
            })
            .collect();
        let mut unclassified = 0;
        for u in &result.units {
            match u.class.and_then(|c| class_counts.get_mut(c)) {
                Some(c) => c.count += 1,
                None => unclassified += 1,
            }
        }
        let members: Vec<UnitScore> = scores
            .iter()
            .filter(|s| s.group == result.group.code)
            .cloned()
            .collect();
        let titles_en = set
            .nodes
            .iter()
            .filter_map(|n| Some((n.code.to_string(), n.title_en.clone()?)))
            .collect();
        GroupReport {
            area_losses: group_losses_at_level(set, &members, 1),
            losses: group_losses(set, &members),
            result,
            class_counts,
            unclassified,
            titles_en,
        }
    }
}

/// A round's report: what the province announces, group by group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundReport {
    /// The province, e.g. "Vĩnh Phúc" (or "Thành phố Hà Nội").
    pub province: String,
    /// The issuing body, one line per text line; default "ỦY BAN NHÂN DÂN" / "TỈNH …".
    pub issuer: Option<String>,
    pub year: i32,
    /// The announcing decision, e.g. "Quyết định số 1007/QĐ-UBND ngày 24/4/2020".
    pub decision: Option<String>,
    /// The date printed after the place (year, month, day); blank for the clerk to fill when absent.
    pub date: Option<(i32, u8, u8)>,
    /// Published decimals of the figures.
    pub decimals: u32,
    pub groups: Vec<GroupReport>,
}

/// A unit's score sheet as PDF (A4 landscape): header, every area, criterion and sub-criterion
/// with maximum, self-assessed and appraised points and notes, and the total.
pub fn score_sheet_pdf(
    set: &CriteriaSet,
    sheet: &ScoreSheet,
    locale: Locale,
) -> Result<Vec<u8>, ReportError> {
    let data = sheet_data(set, sheet, locale);
    let ident = format!(
        "parindex-sheet-{}-{}-{}",
        set.code, sheet.year, sheet.unit_name
    );
    render(SHEET, data, None, ident)
}

/// The round report as PDF (A4 portrait): header, overview, then per group the ranking, class
/// counts, a chart of the index, and where the group lost most.
pub fn round_report_pdf(report: &RoundReport, locale: Locale) -> Result<Vec<u8>, ReportError> {
    let data = report_data(report, locale);
    let today = report
        .date
        .and_then(|(y, m, d)| Datetime::from_ymd(y, m, d));
    let ident = format!("parindex-report-{}-{}", report.province, report.year);
    render(REPORT, data, today, ident)
}

fn render(
    template: &str,
    data: Value,
    today: Option<Datetime>,
    ident: String,
) -> Result<Vec<u8>, ReportError> {
    let mut data = data;
    data["font"] = json!(world::FONT_FAMILY);
    let bytes = serde_json::to_vec(&data).map_err(|e| ReportError::Pdf(e.to_string()))?;
    // The shared definitions (header, tables, charts) come first, then the document itself.
    let source = format!("{COMMON}\n{template}");
    let document = DocWorld::new(source, bytes, today)
        .compile()
        .map_err(ReportError::Pdf)?;
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(ident),
        creator: Smart::Custom(Some("parindex".into())),
        ..Default::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|e| ReportError::Pdf(world::describe(&e)))
}

/// Points as entered: at least two decimals, three when the value has them (`0,125`). A value
/// with more (one computed by a ratio rule) is shown rounded half up to `decimals` (at least two).
fn points(locale: Locale, d: Decimal, decimals: u32) -> String {
    let scale = d.normalize().scale();
    if scale <= 3 {
        locale.decimal(d, scale.max(2))
    } else {
        let places = decimals.max(2);
        locale.decimal(
            d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero),
            places,
        )
    }
}

fn ratio(value: Decimal, of: Decimal) -> f64 {
    if of <= Decimal::ZERO {
        return 0.0;
    }
    (value / of).to_f64().unwrap_or(0.0).clamp(0.0, 1.0)
}

fn share(locale: Locale, part: usize, whole: usize) -> String {
    if whole == 0 {
        return locale.decimal(Decimal::ZERO, 1);
    }
    let v = Decimal::from(part * 100) / Decimal::from(whole);
    locale.decimal(
        v.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero),
        1,
    )
}

fn roman(n: usize) -> String {
    const TABLE: [(usize, &str); 9] = [
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut n = n;
    let mut out = String::new();
    for (v, s) in TABLE {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    out
}

/// The motto block: left the issuing body, right the national name and motto.
fn header(left: Vec<String>, place_date: Option<String>, locale: Locale) -> Value {
    let (motto, motto_sub) = match locale {
        Locale::Vi => (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
        ),
        Locale::En => (
            "SOCIALIST REPUBLIC OF VIET NAM",
            "Independence - Freedom - Happiness",
        ),
    };
    json!({ "left": left, "motto": motto, "motto_sub": motto_sub, "place_date": place_date })
}

fn page_label(locale: Locale) -> &'static str {
    locale.pick("Trang", "Page")
}

/// A table for the template: widths in mm (0: the rest), alignment per column ("l", "c", "r"),
/// a header row and rows with a style ("area", "criterion", "plain", "total", "average").
fn table(widths: &[u32], align: &str, head: Vec<String>, rows: Vec<Value>) -> Value {
    json!({
        "widths": widths,
        "align": align.chars().map(|c| c.to_string()).collect::<Vec<_>>(),
        "head": head,
        "rows": rows,
    })
}

fn row(style: &str, cells: Vec<String>) -> Value {
    json!({ "style": style, "cells": cells })
}

fn sheet_data(set: &CriteriaSet, sheet: &ScoreSheet, locale: Locale) -> Value {
    let sums = totals(set, sheet);
    let pts = |d: Decimal| points(locale, d, set.scoring.decimals);
    let by_code: HashMap<&str, &SheetLine> =
        sheet.lines.iter().map(|l| (l.code.as_str(), l)).collect();
    let mut rows = Vec::with_capacity(set.nodes.len() + 1);
    for (i, node) in set.nodes.iter().enumerate() {
        let code = node.code.to_string();
        let title = match (locale, &node.title_en) {
            (Locale::En, Some(t)) => t.clone(),
            _ => node.title.clone(),
        };
        let line = by_code.get(code.as_str());
        let (max, own, appraised) = if line.is_some_and(|l| l.not_applicable) {
            (
                locale.pick("Không áp dụng", "Not applicable").to_string(),
                String::new(),
                String::new(),
            )
        } else if node.is_leaf() {
            let opt = |p: Option<Decimal>| p.map(pts).unwrap_or_default();
            (
                pts(sums[i].0),
                opt(line.and_then(|l| l.self_points)),
                opt(line.and_then(|l| l.appraised)),
            )
        } else {
            (pts(sums[i].0), pts(sums[i].1), pts(sums[i].2))
        };
        let style = match node.code.level() {
            1 => "area",
            2 => "criterion",
            _ => "plain",
        };
        rows.push(row(
            style,
            vec![
                code,
                title,
                max,
                own,
                appraised,
                line.map(|l| l.unit_note.clone()).unwrap_or_default(),
                line.map(|l| l.appraiser_note.clone()).unwrap_or_default(),
            ],
        ));
    }
    let (max, own, appraised) = set
        .areas_indices()
        .fold((Decimal::ZERO, Decimal::ZERO, Decimal::ZERO), |acc, i| {
            (acc.0 + sums[i].0, acc.1 + sums[i].1, acc.2 + sums[i].2)
        });
    rows.push(row(
        "total",
        vec![
            String::new(),
            locale.pick("TỔNG ĐIỂM", "TOTAL").into(),
            pts(max),
            pts(own),
            pts(appraised),
            String::new(),
            String::new(),
        ],
    ));
    let head = match locale {
        Locale::Vi => [
            "STT",
            "Tiêu chí",
            "Điểm tối đa",
            "Điểm tự đánh giá",
            "Điểm thẩm định",
            "Ghi chú của đơn vị",
            "Ý kiến thẩm định",
        ],
        Locale::En => [
            "No.",
            "Criterion",
            "Maximum",
            "Self-assessed",
            "Appraised",
            "Unit's note",
            "Appraiser's note",
        ],
    };
    let title = match locale {
        Locale::Vi => format!(
            "BẢNG CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {}",
            sheet.year
        ),
        Locale::En => format!("PAR INDEX SCORE SHEET {}", sheet.year),
    };
    let set_title = match (locale, &set.title_en) {
        (Locale::En, Some(t)) => t.clone(),
        _ => set.title.clone(),
    };
    json!({
        "lang": locale.code(),
        "title": title,
        "subtitles": [sheet.unit_name, set_title],
        "page": page_label(locale),
        "header": header(vec![sheet.unit_name.to_uppercase()], None, locale),
        "table": table(
            &[12, 95, 20, 22, 22, 0, 0],
            "llrrrll",
            head.iter().map(|s| s.to_string()).collect(),
            rows,
        ),
        "signatures": [
            locale.pick("NGƯỜI THẨM ĐỊNH", "APPRAISER"),
            locale.pick("THỦ TRƯỞNG ĐƠN VỊ", "HEAD OF UNIT"),
        ],
    })
}

/// The issuing body's lines and the place for the date line.
fn issuer_and_place(report: &RoundReport, locale: Locale) -> (Vec<String>, String) {
    let province = report.province.trim();
    let lower = province.to_lowercase();
    let without = |prefix: &str| -> String {
        province
            .chars()
            .skip(prefix.chars().count())
            .collect::<String>()
            .trim()
            .to_string()
    };
    let (kind_vi, kind_en, place) = if lower.starts_with("thành phố ") {
        ("THÀNH PHỐ", "CITY", without("thành phố "))
    } else if lower.starts_with("tỉnh ") {
        ("TỈNH", "PROVINCE", without("tỉnh "))
    } else {
        ("TỈNH", "PROVINCE", province.to_string())
    };
    let left = match (&report.issuer, locale) {
        (Some(issuer), _) => issuer.lines().map(|l| l.trim().to_string()).collect(),
        (None, Locale::Vi) => vec![
            "ỦY BAN NHÂN DÂN".to_string(),
            format!("{kind_vi} {}", place.to_uppercase()),
        ],
        (None, Locale::En) => vec![
            "PEOPLE'S COMMITTEE".to_string(),
            format!("OF {} {kind_en}", place.to_uppercase()),
        ],
    };
    (left, place)
}

fn place_date(place: &str, date: Option<(i32, u8, u8)>, locale: Locale) -> String {
    match (locale, date) {
        (Locale::Vi, Some((y, m, d))) => format!("{place}, ngày {d} tháng {m} năm {y}"),
        (Locale::Vi, None) => format!("{place}, ngày      tháng      năm        "),
        (Locale::En, Some((y, m, d))) => format!("{place}, {y}-{m:02}-{d:02}"),
        (Locale::En, None) => format!("{place}, date:              "),
    }
}

const CLASS_COLOURS: [&str; 6] = [
    "#1b7f3b", "#5aa73c", "#c9a227", "#e07b28", "#c0392b", "#7f8c8d",
];

fn class_colour(class: Option<usize>) -> &'static str {
    class
        .map(|c| CLASS_COLOURS[c.min(CLASS_COLOURS.len() - 2)])
        .unwrap_or(CLASS_COLOURS[CLASS_COLOURS.len() - 1])
}

fn group_data(g: &GroupReport, index: usize, decimals: u32, locale: Locale) -> Value {
    let fmt = |d: Decimal| locale.decimal(d, decimals);
    let group = &g.result.group;
    let name = match (locale, &group.name_en) {
        (Locale::En, Some(n)) => n.clone(),
        _ => group.name.clone(),
    };
    let units = &g.result.units;
    let class_label = |c: Option<usize>| -> String {
        c.and_then(|c| g.class_counts.get(c))
            .map(|c| match (locale, &c.label_en) {
                (Locale::En, Some(l)) => l.clone(),
                _ => c.label.clone(),
            })
            .unwrap_or_default()
    };
    let node_title = |code: &str, title: &str| -> String {
        match (locale, g.titles_en.get(code)) {
            (Locale::En, Some(t)) => t.clone(),
            _ => title.to_string(),
        }
    };

    // The ranking: bonus and penalty columns only where some unit has them, the change of rank
    // only where last year's results exist.
    let with_bonus = units
        .iter()
        .any(|u| !u.bonus.is_zero() || !u.penalty.is_zero());
    let with_delta = units.iter().any(|u| u.delta_rank.is_some());
    let mut head: Vec<String> = vec![
        locale.pick("STT", "No.").into(),
        locale.pick("Đơn vị", "Unit").into(),
        locale.pick("Điểm trực tiếp", "Direct").into(),
        locale.pick("Điểm điều tra XHH", "Survey").into(),
    ];
    let mut widths = vec![9, 0, 17, 17];
    let mut align = String::from("clrr");
    if with_bonus {
        head.push(locale.pick("Điểm thưởng", "Bonus").into());
        head.push(locale.pick("Điểm trừ", "Penalty").into());
        widths.extend([14, 14]);
        align.push_str("rr");
    }
    head.extend([
        locale.pick("Tổng điểm", "Total").to_string(),
        locale.pick("Chỉ số (%)", "Index (%)").to_string(),
        locale.pick("Xếp hạng", "Rank").to_string(),
        locale.pick("Xếp loại", "Class").to_string(),
    ]);
    widths.extend([16, 16, 13, 18]);
    align.push_str("rrcc");
    if with_delta {
        head.push(
            locale
                .pick("Tăng (+), giảm (−) hạng", "Places gained")
                .into(),
        );
        widths.push(17);
        align.push('c');
    }
    let mut rows: Vec<Value> = units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut cells = vec![
                (i + 1).to_string(),
                u.name.clone(),
                fmt(u.direct),
                fmt(u.survey),
            ];
            if with_bonus {
                cells.push(fmt(u.bonus));
                cells.push(fmt(u.penalty));
            }
            cells.extend([
                fmt(u.total),
                fmt(u.percent),
                u.rank.to_string(),
                class_label(u.class),
            ]);
            if with_delta {
                cells.push(match u.delta_rank {
                    Some(d) if d > 0 => format!("+{d}"),
                    Some(d) if d < 0 => format!("−{}", d.unsigned_abs()),
                    Some(_) => "0".into(),
                    None => String::new(),
                });
            }
            row("plain", cells)
        })
        .collect();
    let mut summary_lines = Vec::new();
    if let Some(s) = &g.result.summary {
        let mut cells = vec![
            String::new(),
            locale.pick("Giá trị trung bình", "Average").into(),
            String::new(),
            String::new(),
        ];
        if with_bonus {
            cells.extend([String::new(), String::new()]);
        }
        cells.extend([
            fmt(s.average_total),
            fmt(s.average_percent),
            String::new(),
            String::new(),
        ]);
        if with_delta {
            cells.push(String::new());
        }
        rows.push(row("average", cells));
        let best = units.first().map(|u| u.name.as_str()).unwrap_or_default();
        let worst = units.last().map(|u| u.name.as_str()).unwrap_or_default();
        summary_lines.push(match locale {
            Locale::Vi => format!(
                "{name}: {} đơn vị; điểm trung bình {}, chỉ số trung bình {}%; cao nhất {} ({best}), thấp nhất {} ({worst}), chênh lệch {} điểm.",
                s.count,
                fmt(s.average_total),
                fmt(s.average_percent),
                fmt(s.max_total),
                fmt(s.min_total),
                fmt(s.spread)
            ),
            Locale::En => format!(
                "{name}: {} units; average {} points, average index {}%; highest {} ({best}), lowest {} ({worst}), spread {} points.",
                s.count,
                fmt(s.average_total),
                fmt(s.average_percent),
                fmt(s.max_total),
                fmt(s.min_total),
                fmt(s.spread)
            ),
        });
    }
    let ranking = table(&widths, &align, head, rows);

    let n = units.len();
    let mut class_rows: Vec<Value> = g
        .class_counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            row(
                "plain",
                vec![
                    class_label(Some(i)),
                    c.count.to_string(),
                    share(locale, c.count, n),
                ],
            )
        })
        .collect();
    if g.unclassified > 0 {
        class_rows.push(row(
            "plain",
            vec![
                locale.pick("Không xếp loại", "Not classified").into(),
                g.unclassified.to_string(),
                share(locale, g.unclassified, n),
            ],
        ));
    }
    class_rows.push(row(
        "total",
        vec![
            locale.pick("Tổng cộng", "Total").into(),
            n.to_string(),
            share(locale, n, n),
        ],
    ));
    let classes = table(
        &[45, 25, 25],
        "lrr",
        vec![
            locale.pick("Xếp loại", "Class").into(),
            locale.pick("Số đơn vị", "Units").into(),
            locale.pick("Tỷ lệ (%)", "Share (%)").into(),
        ],
        class_rows,
    );

    let hundred = Decimal::ONE_HUNDRED;
    let ticks: Vec<Value> = (0..=5)
        .map(|k| json!({ "pos": k as f64 / 5.0, "label": (k * 20).to_string() }))
        .collect();
    let index_chart = json!({
        "title": locale.pick("Chỉ số cải cách hành chính của từng đơn vị (%)", "PAR index of each unit (%)"),
        "ticks": ticks,
        "bars": units.iter().map(|u| json!({
            "label": u.name,
            "value": fmt(u.percent),
            "ratio": ratio(u.percent, hundred),
            "colour": class_colour(u.class),
        })).collect::<Vec<_>>(),
        "marker": g.result.summary.as_ref().map(|s| json!({
            "ratio": ratio(s.average_percent, hundred),
            "label": format!("{} {}", locale.pick("Trung bình", "Average"), fmt(s.average_percent)),
        })),
        "legend": g.class_counts.iter().enumerate().map(|(i, _)| json!({
            "label": class_label(Some(i)),
            "colour": class_colour(Some(i)),
        })).collect::<Vec<_>>(),
    });

    // Where the group lost most: areas (chart in code order, table by loss), then sub-criteria.
    let has_nodes = g.area_losses.iter().any(|a| a.units > 0);
    let mut areas_in_order: Vec<&GroupLoss> =
        g.area_losses.iter().filter(|a| a.units > 0).collect();
    areas_in_order.sort_by(|a, b| {
        parindex_core::set::Code::parse(&a.code).cmp(&parindex_core::set::Code::parse(&b.code))
    });
    let area_chart = has_nodes.then(|| {
        json!({
            "title": locale.pick(
                "Tỷ lệ điểm đạt được theo lĩnh vực, bình quân của khối (%)",
                "Share of the maximum achieved per area, group average (%)"
            ),
            "ticks": (0..=5)
                .map(|k| json!({ "pos": k as f64 / 5.0, "label": (k * 20).to_string() }))
                .collect::<Vec<_>>(),
            "bars": areas_in_order.iter().map(|a| {
                let achieved = (hundred - a.percent_lost).max(Decimal::ZERO);
                json!({
                    "label": format!("{}. {}", a.code, node_title(&a.code, &a.title)),
                    "value": locale.decimal(achieved.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero), 1),
                    "ratio": ratio(achieved, hundred),
                    "colour": "#2e6da4",
                })
            }).collect::<Vec<_>>(),
            "marker": Value::Null,
            "legend": [],
        })
    });
    let pct = |d: Decimal| {
        locale.decimal(
            d.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero),
            1,
        )
    };
    let mean = |d: Decimal| {
        locale.decimal(
            d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
            2,
        )
    };
    let area_table = has_nodes.then(|| {
        table(
            &[9, 0, 22, 22, 22],
            "llrrr",
            vec![
                locale.pick("STT", "No.").into(),
                locale.pick("Lĩnh vực", "Area").into(),
                locale
                    .pick("Điểm mất bình quân mỗi đơn vị", "Mean points lost per unit")
                    .into(),
                locale.pick("Tỷ lệ điểm mất (%)", "Share lost (%)").into(),
                locale
                    .pick("Số đơn vị mất điểm", "Units losing points")
                    .into(),
            ],
            g.area_losses
                .iter()
                .filter(|a| a.units > 0)
                .enumerate()
                .map(|(i, a)| {
                    row(
                        "plain",
                        vec![
                            (i + 1).to_string(),
                            format!("{}. {}", a.code, node_title(&a.code, &a.title)),
                            mean(a.mean_lost),
                            pct(a.percent_lost),
                            format!("{}/{}", a.units_losing, a.units),
                        ],
                    )
                })
                .collect(),
        )
    });
    let top: Vec<&GroupLoss> = g
        .losses
        .iter()
        .filter(|l| l.total_lost > Decimal::ZERO)
        .take(TOP_LOSSES)
        .collect();
    let loss_table = (has_nodes && !top.is_empty()).then(|| {
        table(
            &[14, 0, 20, 20, 20],
            "llrrr",
            vec![
                locale.pick("Mã", "Code").into(),
                locale.pick("Tiêu chí thành phần", "Sub-criterion").into(),
                locale
                    .pick("Số đơn vị mất điểm", "Units losing points")
                    .into(),
                locale.pick("Điểm mất bình quân", "Mean points lost").into(),
                locale.pick("Tỷ lệ điểm mất (%)", "Share lost (%)").into(),
            ],
            top.iter()
                .map(|l| {
                    row(
                        "plain",
                        vec![
                            l.code.clone(),
                            node_title(&l.code, &l.title),
                            format!("{}/{}", l.units_losing, l.units),
                            mean(l.mean_lost),
                            pct(l.percent_lost),
                        ],
                    )
                })
                .collect(),
        )
    });

    json!({
        "heading": format!("{}. {}", roman(index + 1), name.to_uppercase()),
        "summary": summary_lines,
        "ranking_title": format!("1. {}", locale.pick("Kết quả xếp hạng", "Ranking")),
        "ranking": ranking,
        "classes_title": format!("2. {}", locale.pick("Kết quả xếp loại", "Classes")),
        "classes": classes,
        "chart_title": format!("3. {}", locale.pick("Biểu đồ chỉ số", "Index chart")),
        "index_chart": index_chart,
        "losses_title": format!("4. {}", locale.pick("Những lĩnh vực, tiêu chí mất nhiều điểm nhất", "Where the group lost most")),
        "area_chart": area_chart,
        "area_table": area_table,
        "loss_table_title": match locale {
            Locale::Vi => format!("{} tiêu chí thành phần mất nhiều điểm nhất", top.len()),
            Locale::En => format!("The {} sub-criteria where most points were lost", top.len()),
        },
        "loss_table": loss_table,
        "no_losses": (!has_nodes).then(|| locale.pick(
            "Kết quả của khối này không kèm điểm từng tiêu chí, nên không phân tích được nơi mất điểm.",
            "This group's results carry no per-criterion points, so where points were lost cannot be shown.",
        )),
    })
}

fn report_data(report: &RoundReport, locale: Locale) -> Value {
    let (left, place) = issuer_and_place(report, locale);
    let title = match locale {
        Locale::Vi => format!(
            "BÁO CÁO KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {}",
            report.year
        ),
        Locale::En => format!(
            "REPORT ON THE PUBLIC ADMINISTRATION REFORM INDEX {}",
            report.year
        ),
    };
    let mut subtitles = Vec::new();
    if let Some(decision) = report.decision.as_deref().filter(|d| !d.trim().is_empty()) {
        subtitles.push(format!(
            "({} {})",
            locale.pick("Kèm theo", "Annexed to"),
            decision.trim()
        ));
    }
    let groups: Vec<Value> = report
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| group_data(g, i, report.decimals, locale))
        .collect();
    let overview: Vec<Value> = groups
        .iter()
        .flat_map(|g| g["summary"].as_array().cloned().unwrap_or_default())
        .collect();
    let total_units: usize = report.groups.iter().map(|g| g.result.units.len()).sum();
    let intro = match locale {
        Locale::Vi => format!(
            "Năm {}, {} cơ quan, đơn vị thuộc {} khối được đánh giá, xếp hạng Chỉ số cải cách hành chính.",
            report.year,
            total_units,
            report.groups.len()
        ),
        Locale::En => format!(
            "In {}, {} agencies and units in {} groups were assessed and ranked on the PAR index.",
            report.year,
            total_units,
            report.groups.len()
        ),
    };
    json!({
        "lang": locale.code(),
        "title": title,
        "subtitles": subtitles,
        "page": page_label(locale),
        "header": header(left, Some(place_date(&place, report.date, locale)), locale),
        "overview_title": locale.pick("TỔNG QUAN", "OVERVIEW"),
        "intro": intro,
        "overview": overview,
        "groups": groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roman_numerals_for_group_headings() {
        assert_eq!(roman(1), "I");
        assert_eq!(roman(4), "IV");
        assert_eq!(roman(9), "IX");
        assert_eq!(roman(14), "XIV");
    }

    #[test]
    fn points_keep_up_to_three_decimals_and_round_computed_values() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(points(Locale::Vi, d("92.93"), 2), "92,93");
        assert_eq!(points(Locale::Vi, d("1"), 2), "1,00");
        assert_eq!(points(Locale::Vi, d("0.125"), 2), "0,125");
        assert_eq!(points(Locale::En, d("0.5"), 2), "0.50");
        assert_eq!(
            points(Locale::Vi, d("8.001337737407101568951279934"), 2),
            "8,00"
        );
        assert_eq!(
            points(Locale::Vi, d("1.8670520231213872832369942197"), 2),
            "1,87"
        );
    }

    #[test]
    fn the_issuer_follows_the_province_kind() {
        let mut r = RoundReport {
            province: "Vĩnh Phúc".into(),
            issuer: None,
            year: 2019,
            decision: None,
            date: None,
            decimals: 2,
            groups: Vec::new(),
        };
        let (left, place) = issuer_and_place(&r, Locale::Vi);
        assert_eq!(left, ["ỦY BAN NHÂN DÂN", "TỈNH VĨNH PHÚC"]);
        assert_eq!(place, "Vĩnh Phúc");
        r.province = "Thành phố Hà Nội".into();
        let (left, place) = issuer_and_place(&r, Locale::Vi);
        assert_eq!(left, ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HÀ NỘI"]);
        assert_eq!(place, "Hà Nội");
    }
}
