//! Points lost, against the maximum and against the best of the group.

use crate::common::{d, declared, mini, score};
use parindex_core::analysis::lost::{group_losses, group_losses_at_level, points_lost};

#[test]
fn losses_per_node_against_the_maximum_and_the_best() {
    let set = mini();
    // A: 1.1.2 late (0.5 of 1), 1.1.3 in the middle band (1 of 2), 1.2.1 not applicable.
    let a = score(
        &set,
        &declared(
            "A",
            "so",
            &["có", "tre_han", "80", "na", "3", "xuat_sac", "0", "90", "2"],
        ),
    );
    // B: everything but 1.1.1 and a lower survey; 1.2.1 at 100 %.
    let b = score(
        &set,
        &declared(
            "B",
            "so",
            &[
                "không", "dung_han", "95", "100", "3", "xuat_sac", "0", "80", "2",
            ],
        ),
    );
    let r = points_lost(&set, &a, &[a.clone(), b.clone()]);
    assert_eq!(r.max, d("18"), "1.2.1 (2 points) is not applicable to A");
    assert_eq!(r.points, d("15.7"));
    assert_eq!(r.lost, d("2.3"));
    let node = |code: &str| r.nodes.iter().find(|n| n.code == code).unwrap();
    let n = node("1.1.2");
    assert_eq!((n.max, n.points, n.lost), (d("1"), d("0.5"), d("0.5")));
    assert_eq!(n.best_unit.as_deref(), Some("B"));
    assert_eq!(n.lost_vs_best, d("0.5"));
    let n = node("1.1.3");
    assert_eq!((n.lost, n.lost_vs_best), (d("1"), d("1")));
    let n = node("1.1.1");
    assert_eq!(n.best_unit.as_deref(), Some("A"));
    assert_eq!(n.lost_vs_best, d("0"));
    let n = node("1.2.1");
    assert_eq!((n.max, n.lost, n.lost_vs_best), (d("0"), d("0"), d("0")));
    assert_eq!(n.best_unit.as_deref(), Some("B"));
    // Criterion 1.2: A has 3 of 4 applicable… all of it (1.5 + 1.5 + 1); B 6 of 6.
    let n = node("1.2");
    assert_eq!((n.max, n.points, n.lost), (d("4"), d("4"), d("0")));
    // Area 1: A 6.5 of 8; B's rate 9/10, so at B's rate A would have 7.2.
    let n = node("1");
    assert_eq!((n.max, n.points), (d("8"), d("6.5")));
    assert_eq!(n.best_unit.as_deref(), Some("B"));
    assert_eq!(n.lost_vs_best, d("0.7"));
    // Survey: A 7.2 of 8 is the best.
    assert_eq!(node("2.1.1").lost_vs_best, d("0"));
    assert_eq!(r.nodes.len(), set.nodes.len());

    let g = group_losses(&set, &[a, b.clone()]);
    assert_eq!(g.len(), 9);
    // 2.1.1: 0.8 + 1.6 lost; 1.1.3: 1; 1.1.1: 1 (B); 1.1.2: 0.5 (A)…
    assert_eq!(g[0].code, "2.1.1");
    assert_eq!(g[0].total_lost, d("2.4"));
    assert_eq!(g[0].mean_lost, d("1.2"));
    assert_eq!(g[0].percent_lost, d("15"));
    assert_eq!((g[1].code.as_str(), g[1].total_lost), ("1.1.1", d("1")));
    assert_eq!((g[2].code.as_str(), g[2].total_lost), ("1.1.3", d("1")));
    let na = g.iter().find(|x| x.code == "1.2.1").unwrap();
    assert_eq!((na.units, na.total_lost), (1, d("0")));
    let areas = group_losses_at_level(&set, &[b], 1);
    assert_eq!(areas.len(), 2);
    assert_eq!(
        (areas[0].code.as_str(), areas[0].total_lost),
        ("2", d("1.6"))
    );
}

#[test]
fn ready_made_parts_report_only_the_total() {
    let set = crate::common::parts_set("competition");
    let s = score(&set, &crate::common::parts("X", d("60"), d("20")));
    let r = points_lost(&set, &s, &[]);
    assert!(r.nodes.is_empty());
    assert_eq!(r.lost, d("20"));
}
