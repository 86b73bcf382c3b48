//! The demo province: the source article's figures come out of the sheets, and the audit chain
//! of everything it wrote verifies.

use crate::harness::each_backend;
use parindex_store::demo::{DemoSets, seed_demo};
use rust_decimal::Decimal;
use std::str::FromStr;

fn set(name: &str) -> (String, String) {
    let path = format!("{}/../../sets/{name}", env!("CARGO_MANIFEST_DIR"));
    (
        name.to_string(),
        std::fs::read_to_string(path).expect("bundled set"),
    )
}

#[tokio::test]
async fn demo_province_reproduces_the_source_article() {
    each_backend(async |t| {
        let (so, huyen) = (set("so-2019.set.toml"), set("huyen-2019.set.toml"));
        let sets = DemoSets {
            department: (&so.0, &so.1),
            district: (&huyen.0, &huyen.1),
        };
        let evidence = t.evidence();
        let summary = seed_demo(
            &t.db,
            &evidence,
            sets,
            &|p| format!("plain:{p}"),
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(summary.units, 30);
        assert!(
            summary.evidence > 30 && summary.entries > 3000,
            "{summary:?}"
        );
        assert!(summary.accounts.iter().any(|a| a.username == "sonoivu"));

        let computed = t.db.round_results(2019).await.unwrap();
        let dept = computed.iter().find(|c| c.set.code == "so-2019").unwrap();
        let group = &dept.results.groups[0];
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(group.units.len(), 20);
        assert_eq!(group.summary.as_ref().unwrap().average_total, d("84.73"));
        let skhcn = group.units.iter().find(|u| u.unit == "skhcn").unwrap();
        assert_eq!((skhcn.total, skhcn.rank), (d("86.80"), 4));
        assert_eq!(skhcn.class_label.as_deref(), Some("Tốt"));
        // Compared with the published 2018 round: 86.60 → 86.80 and 5th → 4th.
        assert_eq!(skhcn.delta_total, Some(d("0.20")));
        assert_eq!(skhcn.delta_rank, Some(1));
        let published = t.db.published(2018, "so").await.unwrap();
        assert_eq!(published.units.len(), 20);
        assert_eq!(t.db.published(2018, "huyen").await.unwrap().units.len(), 10);
        t.db.verify_audit().await.unwrap();
    })
    .await;
}
