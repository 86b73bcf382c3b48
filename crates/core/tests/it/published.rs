//! Reproduction of published results: the Vĩnh Phúc 2019 table and the source article's scenario.

use crate::common::{d, parts, parts_set, score};
use parindex_core::ranking::rank;

#[test]
fn reproduces_vinh_phuc_2019_departments() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/vinhphuc-2019-departments.csv"
    );
    let mut reader = csv::Reader::from_path(path).expect("fixture");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 17);
    let set = parts_set("competition");
    let scores: Vec<_> = rows
        .iter()
        .map(|r| score(&set, &parts(&r[1], d(&r[3]), d(&r[4]))))
        .collect();
    let results = rank(&set, &scores, &[]);
    let units = &results.groups[0].units;
    for row in &rows {
        let unit = units.iter().find(|u| u.unit == row[1]).unwrap();
        assert_eq!(unit.total, d(&row[2]), "total of {}", &row[1]);
        assert_eq!(
            unit.rank.to_string(),
            row[0].to_string(),
            "rank of {}",
            &row[1]
        );
    }
    // The survey points lift Văn phòng UBND tỉnh (direct 54.75) above Thanh tra tỉnh (56.50).
    let vp = units
        .iter()
        .find(|u| u.unit == "Văn phòng UBND tỉnh")
        .unwrap();
    let tt = units.iter().find(|u| u.unit == "Thanh tra tỉnh").unwrap();
    assert!(vp.rank < tt.rank && vp.direct < tt.direct);
}

#[test]
fn source_article_scenario_rank_4_of_20_class_tot() {
    let set = parts_set("competition");
    let mut totals = vec![d("92.93"), d("91.33"), d("90.04"), d("86.8")];
    for i in 0..15 {
        totals.push(d("86.6") - d("0.4") * rust_decimal::Decimal::from(i));
    }
    totals.push(d("76.5"));
    let scores: Vec<_> = totals
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let name = if i == 3 {
                "Sở Khoa học và Công nghệ".to_string()
            } else {
                format!("Sở {i:02}")
            };
            score(&set, &parts(&name, *t, d("0")))
        })
        .collect();
    let results = rank(&set, &scores, &[]);
    let group = &results.groups[0];
    let summary = group.summary.as_ref().unwrap();
    assert_eq!(summary.count, 20);
    assert_eq!(summary.average_total, d("84.73"));
    let skhcn = group
        .units
        .iter()
        .find(|u| u.unit == "Sở Khoa học và Công nghệ")
        .unwrap();
    assert_eq!(skhcn.total, d("86.80"));
    assert_eq!(skhcn.rank, 4);
    assert_eq!(skhcn.class_label.as_deref(), Some("Tốt"));
}

#[test]
fn own_maximum_decides_the_rank_binh_thuan_2018() {
    // 93.76 points on a maximum of 95 (98.7 %) ranks above 93.95 on 98.6 (95.28 %).
    let set = parts_set("competition");
    let mut a = parts("A", d("93.76"), d("0"));
    a.data = parindex_core::engine::UnitData::Parts {
        direct: d("93.76"),
        survey: d("0"),
        max: Some(d("95")),
    };
    let mut b = parts("B", d("93.95"), d("0"));
    b.data = parindex_core::engine::UnitData::Parts {
        direct: d("93.95"),
        survey: d("0"),
        max: Some(d("98.6")),
    };
    let results = rank(&set, &[score(&set, &a), score(&set, &b)], &[]);
    let units = &results.groups[0].units;
    assert_eq!(
        (units[0].unit.as_str(), units[0].percent),
        ("A", d("98.69"))
    );
    assert_eq!(
        (units[1].unit.as_str(), units[1].percent),
        ("B", d("95.28"))
    );
}
