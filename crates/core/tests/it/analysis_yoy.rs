//! Year over year across a changed criteria set.

use crate::common::{MINI, d, declared, mini, score};
use parindex_core::analysis::yoy::{MatchKind, compare_years};
use parindex_core::set::parse_set;

/// The mini set a year later: 1.1.1 worth 1.5 and 1.1.2 worth 0.5 (the criterion still 4),
/// 1.2.4 retitled (so removed and added), and 1.2.2 renumbered as 1.2.5.
fn next_year() -> parindex_core::set::CriteriaSet {
    let text = MINI
        .replace("year = 2019", "year = 2020")
        .replace(
            "code = \"1.1.1\"\ntitle = \"Có kế hoạch\"\nmax = 1\n",
            "code = \"1.1.1\"\ntitle = \"Có kế hoạch\"\nmax = 1.5\n",
        )
        .replace(
            "code = \"1.1.2\"\ntitle = \"Ban hành kịp thời\"\nmax = 1\nrule = { type = \"timeliness\", late = 0.5 }",
            "code = \"1.1.2\"\ntitle = \"Ban hành kịp thời\"\nmax = 0.5\nrule = { type = \"timeliness\", late = 0.25 }",
        )
        .replace("title = \"Vi phạm kỷ luật\"", "title = \"Kỷ luật, kỷ cương\"")
        .replace("code = \"1.2.2\"", "code = \"1.2.5\"");
    parse_set("mini-2020.set.toml", &text).unwrap_or_else(|p| panic!("{p}"))
}

#[test]
fn change_splits_into_performance_set_effect_and_adjustment() {
    let (before, after) = (mini(), next_year());
    // Leaves of the later set in code order: 1.1.1 1.1.2 1.1.3 1.2.1 1.2.3 1.2.4 1.2.5 2.1.1 2.1.2.
    let a0 = score(
        &before,
        &declared(
            "A",
            "so",
            &[
                "không", "dung_han", "95", "90/90", "2", "tot", "0", "90", "2",
            ],
        ),
    );
    let a1 = score(
        &after,
        &declared(
            "A",
            "so",
            &[
                "không", "dung_han", "95", "90/90", "tot", "0", "2", "90", "2",
            ],
        ),
    );
    let b0 = score(
        &before,
        &declared(
            "B",
            "so",
            &[
                "không", "tre_han", "80", "45/90", "1", "tot", "nhe=1", "85", "1",
            ],
        ),
    );
    let mut b_in = declared(
        "B",
        "so",
        &[
            "có", "tre_han", "95", "45/90", "tot", "nhe=1", "1", "85", "1",
        ],
    );
    b_in.bonus = d("0.5");
    let b1 = score(&after, &b_in);
    let r = compare_years(&before, &[a0, b0], &after, &[a1, b1]);
    assert_eq!((r.year_before, r.year_after), (2019, 2020));
    assert_eq!((r.shared, r.added, r.removed), (8, 1, 1));
    let kind = |code: &str| {
        r.nodes
            .iter()
            .find(|n| {
                n.code_after.as_deref() == Some(code) || n.code_before.as_deref() == Some(code)
            })
            .unwrap()
            .kind
    };
    assert_eq!(kind("1.1.1"), MatchKind::Rescaled);
    assert_eq!(kind("1.1.3"), MatchKind::Same);
    assert_eq!(kind("1.2.5"), MatchKind::Renumbered);
    assert!(
        r.nodes
            .iter()
            .any(|n| n.kind == MatchKind::Removed && n.code_before.as_deref() == Some("1.2.4"))
    );
    assert!(
        r.nodes
            .iter()
            .any(|n| n.kind == MatchKind::Added && n.code_after.as_deref() == Some("1.2.4"))
    );
    assert!(r.nodes.iter().any(|n| n.rule_changed));

    // A did exactly the same: on time, 1.1.1 still no. 1.1.2 on time was 1 of 1, is 0.5 of 0.5:
    // no performance change, −0.5 from the rescaled maximum. 1.2.4: 1 removed, 1 added.
    let a = &r.units[0];
    assert_eq!(a.change, d("-0.5"));
    assert_eq!(a.performance, d("0"));
    assert_eq!(a.set_effect.rescaled, d("-0.5"));
    assert_eq!(
        (a.set_effect.removed, a.set_effect.added),
        (d("-1"), d("1"))
    );
    assert_eq!(a.set_effect.total, d("-0.5"));

    // B: 1.1.1 no → yes (+1.5 at the new scale: performance); late stays late (0.5 of 1 → 0.25
    // of 0.5: −0.25 from the set); 1.1.3 80 → 95 (+1); survey the same; bonus +0.5.
    let b = &r.units[1];
    assert_eq!(b.performance, d("2.5"));
    assert_eq!(b.set_effect.rescaled, d("-0.25"));
    assert_eq!(b.adjustment, d("0.5"));
    assert_eq!(
        b.change,
        b.performance + b.set_effect.total + b.adjustment,
        "the parts add up"
    );
    assert_eq!(b.change, d("2.75"));
    assert_eq!((b.shared_rank_before, b.shared_rank_after), (2, 2));
    assert!(r.not_compared.is_empty());
    assert!(r.note.en.contains("8 shared"));
}
