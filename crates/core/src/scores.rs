//! The scores file (`SCORES.csv`): one row per unit with its group and either declared data per
//! sub-criterion code or ready-made parts; and the previous year's results. See docs/scores-csv.md.

use crate::diag::{Location, Problem, Problems};
use crate::engine::{UnitData, UnitInput, UnitScore};
use crate::num::parse_decimal;
use crate::ranking::Previous;
use crate::set::CriteriaSet;
use crate::text::{fold, nfc};
use rust_decimal::Decimal;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Unit,
    Name,
    Group,
    Level,
    Max,
    Direct,
    Survey,
    Bonus,
    Penalty,
    Total,
    Rank,
    /// A sub-criterion, by its position in `CriteriaSet::leaves()`.
    Leaf(usize),
    /// Columns the previous-results reader ignores (percent, class…).
    Other,
}

fn named_column(header: &str) -> Option<Column> {
    Some(match fold(header).replace(['_', '-'], " ").as_str() {
        "unit" | "don vi" | "ma don vi" | "unit code" => Column::Unit,
        "name" | "ten" | "ten don vi" | "unit name" => Column::Name,
        "group" | "nhom" | "khoi" => Column::Group,
        "level" | "cap" => Column::Level,
        "max" | "diem toi da" => Column::Max,
        "direct" | "diem truc tiep" | "diem tham dinh" => Column::Direct,
        "survey" | "diem dieu tra" | "diem khao sat" | "diem xhh" => Column::Survey,
        "bonus" | "diem thuong" => Column::Bonus,
        "penalty" | "diem tru" => Column::Penalty,
        "total" | "tong diem" => Column::Total,
        "rank" | "hang" | "xep hang" => Column::Rank,
        _ => return None,
    })
}

/// The delimiter: `;` when the header has semicolons and no commas (spreadsheets in Vietnamese
/// settings save CSV that way), otherwise `,`.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    if header.contains(';') && !header.contains(',') {
        b';'
    } else {
        b','
    }
}

struct Table {
    columns: Vec<(String, Column)>,
    rows: Vec<(usize, Vec<String>)>,
}

fn read_table(
    file: &str,
    text: &str,
    classify: impl Fn(&str) -> Result<Column, Problem>,
) -> Result<Table, Problems> {
    let mut problems = Problems::default();
    if text.trim().is_empty() {
        problems.push(Problem::new(
            Location::file(file),
            "tệp trống",
            "the file is empty",
        ));
        return Err(problems);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(Problem::new(
                Location::file(file).with_line(1),
                format!("không đọc được dòng tiêu đề: {e}"),
                format!("cannot read the header: {e}"),
            ));
            return Err(problems);
        }
    };
    let mut columns = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = nfc(h.trim());
        if let Some(first) = seen.insert(fold(&h), i) {
            problems.push(Problem::new(
                Location::file(file).with_line(1).with_field(h.clone()),
                format!("cột \"{h}\" bị trùng (cột {} và {})", first + 1, i + 1),
                format!(
                    "column \"{h}\" appears twice (columns {} and {})",
                    first + 1,
                    i + 1
                ),
            ));
        }
        match classify(&h) {
            Ok(c) => columns.push((h, c)),
            Err(p) => {
                problems.push(p);
                columns.push((h, Column::Other));
            }
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line() as usize);
                if r.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                if r.len() != columns.len() {
                    problems.push(Problem::new(
                        Location::file(file).with_line(line),
                        format!("dòng có {} cột, tiêu đề có {}", r.len(), columns.len()),
                        format!(
                            "the row has {} columns, the header {}",
                            r.len(),
                            columns.len()
                        ),
                    ));
                    continue;
                }
                rows.push((line, r.iter().map(|c| nfc(c.trim())).collect()));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(Problem::new(
                    Location::file(file).with_line(line),
                    format!("dòng CSV hỏng: {e}"),
                    format!("malformed CSV row: {e}"),
                ));
            }
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(Problem::new(
            Location::file(file),
            "tệp không có dòng dữ liệu nào",
            "the file has no data rows",
        ));
    }
    problems.into_result(Table { columns, rows })
}

fn number_cell(
    file: &str,
    line: usize,
    column: &str,
    text: &str,
    problems: &mut Problems,
) -> Option<Decimal> {
    if text.is_empty() {
        return None;
    }
    let v = parse_decimal(text);
    if v.is_none() {
        problems.push(Problem::new(
            Location::file(file).with_line(line).with_field(column),
            format!("\"{text}\" không phải là số"),
            format!("\"{text}\" is not a number"),
        ));
    }
    v
}

/// Reads a scores file and scores every unit. Every problem, from the file or from the rules,
/// names the line and column; all are reported at once.
/// `progress` hears the number of units scored so far, and the count of rows first.
pub fn score_file(
    file: &str,
    text: &str,
    set: &CriteriaSet,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<UnitScore>, Problems> {
    let rows = read_scores(file, text, set)?;
    progress(Progress::Total(rows.len()));
    let mut problems = Problems::default();
    let mut scores = Vec::with_capacity(rows.len());
    for (done, (line, input)) in rows.iter().enumerate() {
        if done % 256 == 0 {
            progress(Progress::Done(done));
        }
        match crate::engine::score_unit(set, input) {
            Ok(s) => scores.push(s),
            Err(found) => {
                for mut p in found.0 {
                    p.location.file = Some(file.to_string());
                    p.location.line = Some(*line);
                    problems.push(p);
                }
            }
        }
    }
    progress(Progress::Done(rows.len()));
    problems.into_result(scores)
}

/// Progress of a long computation, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Total(usize),
    Done(usize),
}

/// Reads a scores file against a criteria set, each unit with its line. Every problem names the
/// line and column.
pub fn read_scores(
    file: &str,
    text: &str,
    set: &CriteriaSet,
) -> Result<Vec<(usize, UnitInput)>, Problems> {
    let leaf_pos: HashMap<String, usize> = set
        .leaves()
        .iter()
        .enumerate()
        .map(|(pos, &i)| (set.nodes[i].code.to_string(), pos))
        .collect();
    let table = read_table(file, text, |h| {
        if let Some(c) = named_column(h) {
            return match c {
                Column::Total | Column::Rank => Err(Problem::new(
                    Location::file(file).with_line(1).with_field(h),
                    format!("cột \"{h}\" là kết quả, không phải dữ liệu đầu vào"),
                    format!("column \"{h}\" is a result, not an input"),
                )),
                c => Ok(c),
            };
        }
        if let Some(&pos) = leaf_pos.get(h.trim()) {
            return Ok(Column::Leaf(pos));
        }
        let is_code = crate::set::Code::parse(h.trim()).is_some();
        Err(Problem::new(
            Location::file(file).with_line(1).with_field(h),
            if is_code {
                format!(
                    "không có tiêu chí thành phần \"{h}\" trong bộ chỉ số {}",
                    set.code
                )
            } else {
                format!("cột \"{h}\" không được nhận biết")
            },
            if is_code {
                format!("sub-criterion \"{h}\" is not in criteria set {}", set.code)
            } else {
                format!("column \"{h}\" is not recognised")
            },
        ))
    })?;
    let mut problems = Problems::default();
    let has = |c: Column| table.columns.iter().any(|(_, k)| *k == c);
    let declared_mode = table
        .columns
        .iter()
        .any(|(_, c)| matches!(c, Column::Leaf(_)));
    let header_problem =
        |vi: String, en: String| Problem::new(Location::file(file).with_line(1), vi, en);
    for (required, name) in [(Column::Unit, "unit"), (Column::Group, "group")] {
        if !has(required) {
            problems.push(header_problem(
                format!("thiếu cột \"{name}\""),
                format!("the column \"{name}\" is missing"),
            ));
        }
    }
    if declared_mode {
        let missing: Vec<String> = set
            .leaves()
            .iter()
            .enumerate()
            .filter(|(pos, _)| !has(Column::Leaf(*pos)))
            .map(|(_, &i)| set.nodes[i].code.to_string())
            .collect();
        if !missing.is_empty() {
            problems.push(header_problem(
                format!(
                    "thiếu cột của các tiêu chí thành phần: {}",
                    missing.join(", ")
                ),
                format!("columns missing for sub-criteria: {}", missing.join(", ")),
            ));
        }
        for (c, name) in [
            (Column::Direct, "direct"),
            (Column::Survey, "survey"),
            (Column::Max, "max"),
        ] {
            if has(c) {
                problems.push(header_problem(
                    format!("cột \"{name}\" chỉ dùng khi không kê khai theo tiêu chí thành phần"),
                    format!("column \"{name}\" is only for files without per-sub-criterion data"),
                ));
            }
        }
    } else if !has(Column::Direct) {
        problems.push(header_problem(
            "cần cột \"direct\" (điểm trực tiếp) hoặc các cột mã tiêu chí thành phần".into(),
            "a \"direct\" column (direct points) or sub-criterion code columns are needed".into(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut units = Vec::with_capacity(table.rows.len());
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let leaf_count = set.leaves().len();
    for (line, cells) in &table.rows {
        let line = *line;
        let mut unit = String::new();
        let mut name = None;
        let mut group = String::new();
        let mut level = None;
        let (mut max, mut direct, mut survey, mut bonus, mut penalty) =
            (None, None, None, None, None);
        let mut declared = vec![String::new(); if declared_mode { leaf_count } else { 0 }];
        let before = problems.len();
        for ((header, column), cell) in table.columns.iter().zip(cells) {
            match column {
                Column::Unit => unit = cell.clone(),
                Column::Name => name = Some(cell.clone()).filter(|s| !s.is_empty()),
                Column::Group => group = cell.clone(),
                Column::Level => level = Some(cell.clone()).filter(|s| !s.is_empty()),
                Column::Max => max = number_cell(file, line, header, cell, &mut problems),
                Column::Direct => direct = number_cell(file, line, header, cell, &mut problems),
                Column::Survey => survey = number_cell(file, line, header, cell, &mut problems),
                Column::Bonus => bonus = number_cell(file, line, header, cell, &mut problems),
                Column::Penalty => penalty = number_cell(file, line, header, cell, &mut problems),
                Column::Leaf(pos) => declared[*pos] = cell.clone(),
                Column::Total | Column::Rank | Column::Other => {}
            }
        }
        let at = |field: &str| Location::file(file).with_line(line).with_field(field);
        if unit.is_empty() {
            problems.push(Problem::new(
                at("unit"),
                "thiếu mã đơn vị",
                "the unit is missing",
            ));
        } else if let Some(first) = first_line.insert(unit.clone(), line) {
            problems.push(Problem::new(
                at("unit"),
                format!("đơn vị \"{unit}\" bị trùng (đã có ở dòng {first})"),
                format!("unit \"{unit}\" is duplicated (first at line {first})"),
            ));
        }
        if group.is_empty() {
            problems.push(Problem::new(
                at("group"),
                "thiếu nhóm xếp hạng",
                "the group is missing",
            ));
        }
        if !declared_mode && direct.is_none() && problems.len() == before {
            problems.push(Problem::new(
                at("direct"),
                "thiếu điểm trực tiếp",
                "the direct points are missing",
            ));
        }
        let data = if declared_mode {
            UnitData::Declared(declared)
        } else {
            UnitData::Parts {
                direct: direct.unwrap_or_default(),
                survey: survey.unwrap_or_default(),
                max,
            }
        };
        let input = UnitInput {
            name: name.unwrap_or_else(|| unit.clone()),
            unit,
            group,
            level,
            data,
            bonus: bonus.unwrap_or_default(),
            penalty: penalty.unwrap_or_default(),
        };
        units.push((line, input));
    }
    problems.into_result(units)
}

/// Reads last year's results: columns `unit`, `total` and `rank` (others, such as the rest of
/// `results compute --format csv`, are ignored).
pub fn read_previous(file: &str, text: &str) -> Result<Vec<Previous>, Problems> {
    let table = read_table(file, text, |h| Ok(named_column(h).unwrap_or(Column::Other)))?;
    let mut problems = Problems::default();
    let find = |c: Column| table.columns.iter().position(|(_, k)| *k == c);
    let (Some(ui), Some(ti), Some(ri)) =
        (find(Column::Unit), find(Column::Total), find(Column::Rank))
    else {
        problems.push(Problem::new(
            Location::file(file).with_line(1),
            "cần các cột unit, total và rank",
            "the columns unit, total and rank are needed",
        ));
        return Err(problems);
    };
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    for (line, cells) in &table.rows {
        let at = |f: &str| Location::file(file).with_line(*line).with_field(f);
        let unit = cells[ui].clone();
        if seen.insert(unit.clone(), *line).is_some() {
            problems.push(Problem::new(
                at("unit"),
                format!("đơn vị \"{unit}\" bị trùng"),
                format!("unit \"{unit}\" is duplicated"),
            ));
        }
        let total = number_cell(file, *line, "total", &cells[ti], &mut problems);
        let rank = cells[ri].parse::<u32>().ok().filter(|r| *r > 0);
        if rank.is_none() {
            problems.push(Problem::new(
                at("rank"),
                format!("hạng \"{}\" phải là số nguyên dương", cells[ri]),
                format!("rank \"{}\" must be a positive whole number", cells[ri]),
            ));
        }
        if let (Some(total), Some(rank)) = (total, rank) {
            out.push(Previous { unit, total, rank });
        } else if total.is_none() && cells[ti].is_empty() {
            problems.push(Problem::new(
                at("total"),
                "thiếu tổng điểm",
                "the total is missing",
            ));
        }
    }
    problems.into_result(out)
}

/// Reads sample targets: columns `unit`, `name`, `group` and `total`.
pub fn read_targets(file: &str, text: &str) -> Result<Vec<crate::sample::Target>, Problems> {
    let table = read_table(file, text, |h| Ok(named_column(h).unwrap_or(Column::Other)))?;
    let mut problems = Problems::default();
    let find = |c: Column| table.columns.iter().position(|(_, k)| *k == c);
    let (Some(ui), Some(gi), Some(ti)) =
        (find(Column::Unit), find(Column::Group), find(Column::Total))
    else {
        problems.push(Problem::new(
            Location::file(file).with_line(1),
            "cần các cột unit, group và total",
            "the columns unit, group and total are needed",
        ));
        return Err(problems);
    };
    let ni = find(Column::Name);
    let mut out = Vec::new();
    for (line, cells) in &table.rows {
        if let Some(total) = number_cell(file, *line, "total", &cells[ti], &mut problems) {
            let unit = cells[ui].clone();
            let name = ni
                .map(|i| cells[i].clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| unit.clone());
            out.push(crate::sample::Target {
                unit,
                name,
                group: cells[gi].clone(),
                total,
            });
        }
    }
    problems.into_result(out)
}
