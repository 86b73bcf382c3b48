//! Self-assessed against appraised points, and the consistency of appraisers.

use crate::common::{d, mini};
use parindex_core::analysis::inflation::{Assessment, inflation};
use std::collections::BTreeMap;

fn row(unit: &str, code: &str, own: &str, appraised: &str, who: &str) -> Assessment {
    Assessment {
        unit: unit.into(),
        code: code.into(),
        self_points: d(own),
        appraised: d(appraised),
        appraiser: Some(who.into()),
    }
}

#[test]
fn inflation_per_unit_and_area_and_appraiser_spread() {
    let set = mini();
    let rows = vec![
        // Area 1 reviewed by "nv" (Home Affairs), 1.2.x by "tp" (Justice); 2.1.2 by "hd".
        row("A", "1.1.1", "1", "1", "nv"),
        row("A", "1.1.2", "1", "0.5", "nv"),
        row("A", "1.2.2", "1.5", "1", "tp"),
        row("A", "2.1.2", "2", "1.5", "hd"),
        row("B", "1.1.1", "1", "0", "nv"),
        row("B", "1.1.2", "1", "1", "nv"),
        row("B", "1.2.2", "1.5", "1.5", "tp"),
        row("B", "2.1.2", "2", "1.5", "hd"),
        row("C", "1.1.1", "1", "1", "nv"),
        row("C", "1.1.2", "0.5", "0.5", "nv"),
        row("C", "1.2.2", "1", "1", "tp"),
        row("C", "2.1.2", "1.5", "1", "hd"),
    ];
    let r = inflation(&set, &rows, &BTreeMap::new()).unwrap();
    let a = &r.units[0];
    assert_eq!(a.unit, "A");
    assert_eq!(a.figures.self_points, d("5.5"));
    assert_eq!(a.figures.appraised, d("4"));
    assert_eq!(a.figures.inflation, d("1.5"));
    assert_eq!(a.figures.max, d("5.5"));
    assert_eq!(a.figures.items_changed, 3);
    assert_eq!(a.areas.len(), 2);
    assert_eq!(
        (a.areas[0].code.as_str(), a.areas[0].figures.inflation),
        ("1", d("1"))
    );
    assert_eq!(
        (a.areas[1].code.as_str(), a.areas[1].figures.inflation),
        ("2", d("0.5"))
    );
    assert_eq!(r.overall.inflation, d("3.5"), "A 1.5, B 1.5, C 0.5");

    // "nv" adjusted A by −0.5 of 2 (−25 %), B by −1 of 2 (−50 %), C by 0: mean −25, sd 25.
    let nv = r.appraisers.iter().find(|x| x.appraiser == "nv").unwrap();
    assert_eq!(nv.units, 3);
    assert_eq!(nv.mean_adjustment, d("-25"));
    assert_eq!(nv.spread.round_dp(6), d("25"));
    // "hd" took 0.5 of 2 from everyone: −25 % each, no spread at all.
    let hd = r.appraisers.iter().find(|x| x.appraiser == "hd").unwrap();
    assert_eq!((hd.mean_adjustment, hd.spread), (d("-25"), d("0")));
    assert_eq!(hd.changed_percent, d("100"));
    // Spreads: hd 0, nv 25, tp (−1/3, 0, 0 → 19.245 %); median 19.245: nv's ratio ≈ 1.3.
    let tp = r.appraisers.iter().find(|x| x.appraiser == "tp").unwrap();
    assert_eq!(tp.spread.round_dp(3), d("19.245"));
    assert_eq!(nv.spread_ratio.unwrap().round_dp(2), d("1.30"));
    assert!(r.appraisers.iter().all(|x| x.flags.is_empty()));
}

#[test]
fn unknown_and_duplicate_rows_are_refused() {
    let set = mini();
    let rows = vec![
        row("A", "1.1", "1", "1", "nv"),
        row("A", "1.1.1", "1", "1", "nv"),
        row("A", "1.1.1", "1", "0", "nv"),
    ];
    let e = inflation(&set, &rows, &BTreeMap::new()).unwrap_err();
    assert_eq!(e.len(), 2);
}
