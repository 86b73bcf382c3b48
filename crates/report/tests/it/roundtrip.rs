//! Export → import is the identity: TOML and XLSX, Vietnamese and English, hand-built and real sets.

use crate::common::{assert_same, read_ok, sample};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use parindex_core::locale::Locale;
use parindex_core::set::parse_set;
use parindex_report::{write_set_toml, write_set_xlsx};
use std::io::Cursor;

#[test]
fn sample_round_trips_through_toml() {
    let set = sample();
    let text = write_set_toml(&set);
    let back = parse_set("out.set.toml", &text)
        .unwrap_or_else(|p| panic!("{}\n---\n{text}", p.render(Locale::En)));
    assert_same(&back, &set);
    // Writing is stable: the second generation is the first.
    assert_eq!(write_set_toml(&back), text);
}

#[test]
fn sample_round_trips_through_xlsx_in_both_languages() {
    let set = sample();
    for locale in [Locale::Vi, Locale::En] {
        let bytes = write_set_xlsx(&set, locale).unwrap();
        let back = read_ok("sample.xlsx", &bytes);
        assert_same(&back, &set);
        assert_eq!(back.source, "sample.xlsx");
        assert!(back.nodes.iter().all(|n| n.line == 0));
    }
}

#[test]
fn toml_output_is_documented_and_readable() {
    let text = write_set_toml(&sample());
    assert!(text.contains("format = 1\nkind = \"criteria-set\""));
    assert!(text.contains("[[node]]\ncode = \"1.1.1\""));
    assert!(
        text.contains(
            "rule = { type = \"timeliness\", on_time = 3.75, late = 1.5, missing = 0.1 }"
        ),
        "{text}"
    );
    assert!(text.contains(
        "rule = { type = \"bands\", bands = [{ max = 50, max_inclusive = false, points = 0 }, { min = 50, min_inclusive = true, max = 90, max_inclusive = true, points = 2.5 }, { min = 90, min_inclusive = false, points = 5 }] }"
    ), "{text}");
    assert!(text.contains("max_by_level = { xa = 1 }"));
    assert!(text.contains("max = 33.333"));
    assert!(text.contains("[bonus]") && text.contains("max = 1.25"));
    assert!(text.contains("evidence = \"Quyết định ban hành\\nkế hoạch (bản chụp)\""));
    assert!(text.contains("title = \"Có kế hoạch \\\"CCHC\\\" năm\""));
    // Comments describe the rules for a human.
    assert!(
        text.contains("# Đúng hạn: 3,75; trễ hạn: 1,5; không thực hiện: 0,1"),
        "{text}"
    );
}

fn sheet(bytes: &[u8], name: &str) -> calamine::Range<Data> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    wb.worksheet_range(name).unwrap()
}

#[test]
fn workbook_layout_is_for_humans() {
    let set = sample();
    let bytes = write_set_xlsx(&set, Locale::Vi).unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.as_slice())).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Bộ tiêu chí".to_string(), "Cấu hình".to_string()]
    );
    // Only the two title rows are merged.
    let merged = wb.merge_cells_by_sheet_name("Bộ tiêu chí").unwrap();
    assert!(merged.iter().all(|m| m.end.0 < 2), "{merged:?}");
    let t = sheet(&bytes, "Bộ tiêu chí");
    let cell = |r: u32, c: u32| t.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(0, 0), Data::String(set.title.clone()));
    let headers: Vec<Data> = (0..10).map(|c| cell(2, c)).collect();
    let want: Vec<Data> = crate::common::HEADERS
        .iter()
        .map(|h| Data::String(h.to_string()))
        .collect();
    assert_eq!(headers, want);
    // Row 4 is area 1: code as text, max as a number, no rule.
    assert_eq!(cell(3, 0), Data::String("1".into()));
    assert_eq!(cell(3, 2), Data::Float(33.333));
    // 1.1.1: binary rule, allow_na, max by level, human description.
    assert_eq!(cell(5, 0), Data::String("1.1.1".into()));
    assert_eq!(cell(5, 5), Data::String("{ type = \"binary\" }".into()));
    assert_eq!(cell(5, 4), Data::String("Có: điểm tối đa; không: 0".into()));
    assert_eq!(cell(5, 7), Data::String("x".into()));
    assert_eq!(cell(5, 8), Data::String("xa=1".into()));
    assert_eq!(cell(4, 8), Data::String("xa=9.75".into()));
    let s = sheet(&bytes, "Cấu hình");
    let keys: Vec<String> = (3..30)
        .filter_map(|r| match s.get_value((r, 0)) {
            Some(Data::String(k)) if !k.starts_with('#') => Some(k.clone()),
            _ => None,
        })
        .collect();
    for k in [
        "set.code",
        "set.title",
        "set.title_en",
        "set.year",
        "set.total",
        "set.levels",
        "scoring.rank_basis",
        "scoring.rank_method",
        "scoring.decimals",
        "scoring.rounding",
        "bonus.max",
        "penalty.max",
        "classes.basis",
        "group",
        "class",
    ] {
        assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
    }
    assert_eq!(keys.iter().filter(|k| *k == "class").count(), 4);
    assert_eq!(keys.iter().filter(|k| *k == "group").count(), 2);
}

#[test]
fn english_workbook_uses_english_names() {
    let bytes = write_set_xlsx(&sample(), Locale::En).unwrap();
    let wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.as_slice())).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Criteria".to_string(), "Settings".to_string()]
    );
    let t = sheet(&bytes, "Criteria");
    assert_eq!(
        t.get_value((2, 2)),
        Some(&Data::String("Max points".into()))
    );
    assert_eq!(
        t.get_value((0, 0)),
        Some(&Data::String("District PAR Index (test)".into()))
    );
}

#[test]
fn long_decimals_stay_exact() {
    // More digits than a spreadsheet number keeps: written as text, read back exactly.
    let text = crate::common::SAMPLE
        .replace(
            "max = 30\nrule = { type = \"manual\" }",
            "max = \"29.99999999999999999\"\nrule = { type = \"manual\" }",
        )
        .replace(
            "code = \"3.1\"\ntitle = \"Đánh giá của hội đồng\"\nmax = 30",
            "code = \"3.1\"\ntitle = \"Đánh giá của hội đồng\"\nmax = \"29.99999999999999999\"",
        )
        .replace(
            "code = \"3\"\ntitle = \"Thẩm định\"\nmax = 30",
            "code = \"3\"\ntitle = \"Thẩm định\"\nmax = \"29.99999999999999999\"",
        )
        .replace("total = 100", "total = \"99.99999999999999999\"");
    let set = parse_set("long.set.toml", &text)
        .unwrap_or_else(|p| panic!("{}\n{text}", p.render(Locale::En)));
    assert_eq!(
        set.node("3.1.1").unwrap().max.to_string(),
        "29.99999999999999999"
    );
    let back = read_ok("long.xlsx", &write_set_xlsx(&set, Locale::Vi).unwrap());
    assert_same(&back, &set);
    let back = parse_set("long.set.toml", &write_set_toml(&set)).unwrap();
    assert_same(&back, &set);
}

/// `sets/so-2019.set.toml` and every other bundled set: XLSX in both languages and TOML.
#[test]
fn bundled_sets_round_trip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sets");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("{} not present; skipped", dir.display());
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".set.toml"))
        .collect();
    names.sort();
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let set = parse_set(name, &text).unwrap_or_else(|p| panic!("{}", p.render(Locale::En)));
        for locale in [Locale::Vi, Locale::En] {
            let back = read_ok("set.xlsx", &write_set_xlsx(&set, locale).unwrap());
            assert_same(&back, &set);
        }
        let back = parse_set(name, &write_set_toml(&set))
            .unwrap_or_else(|p| panic!("{name}: {}", p.render(Locale::En)));
        assert_same(&back, &set);
    }
    eprintln!("round-tripped: {names:?}");
}
