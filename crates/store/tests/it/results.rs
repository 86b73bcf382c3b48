//! Published results: revisions, the latest read, earlier ones never changed.

use crate::harness::{by, each_backend, seed_round};
use parindex_core::ranking::{GroupResult, RankedUnit, Results, Summary};
use parindex_core::set::Group;
use parindex_store::{Entity, Error};
use rust_decimal::Decimal;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn unit(code: &str, total: &str, rank: u32) -> RankedUnit {
    RankedUnit {
        unit: code.into(),
        name: format!("Đơn vị {code}"),
        direct: d(total) - d("3.125"),
        survey: d("3.125"),
        bonus: Decimal::ZERO,
        penalty: Decimal::ZERO,
        total: d(total),
        max: d("10"),
        percent: d(total) * d("10"),
        class: Some(0),
        class_label: Some("Tốt".into()),
        rank,
        delta_total: None,
        delta_rank: Some(-1),
    }
}

fn results(units: Vec<RankedUnit>) -> Results {
    let summary = Summary {
        count: units.len(),
        average_total: d("8.5"),
        average_percent: d("85"),
        min_total: d("8"),
        max_total: d("9"),
        spread: d("1"),
    };
    Results {
        set: "test-2019".into(),
        year: 2019,
        decimals: 3,
        groups: vec![GroupResult {
            group: Group {
                code: "so".into(),
                name: "Sở".into(),
                name_en: None,
            },
            units,
            summary: Some(summary),
        }],
    }
}

#[tokio::test]
async fn revisions_are_appended_never_edited() {
    each_backend(async |t| {
        let db = &t.db;
        seed_round(db).await;
        let first = results(vec![unit("SNV", "9.125", 1), unit("STP", "8", 2)]);
        let no_reason = db
            .publish(&first, "so", &by("secretariat"))
            .await
            .unwrap_err();
        assert!(matches!(no_reason, Error::Invalid(_)), "{no_reason:?}");
        let a = by("secretariat").because("Quyết định 1007/QĐ-UBND");
        let r1 = db.publish(&first, "so", &a).await.unwrap();
        assert_eq!(r1.revision, 1);
        assert_eq!(r1.units, first.groups[0].units);
        assert_eq!(r1.summary, first.groups[0].summary);
        assert_eq!(r1.decimals, 3);

        let corrected = results(vec![unit("STP", "9.5", 1), unit("SNV", "9.125", 2)]);
        let r2 = db
            .publish(
                &corrected,
                "so",
                &by("secretariat").because("Đính chính điểm Sở Tư pháp"),
            )
            .await
            .unwrap();
        assert_eq!(r2.revision, 2);
        assert_eq!(db.published(2019, "so").await.unwrap(), r2);
        assert_eq!(db.published_revision(2019, "so", 1).await.unwrap(), r1);
        let revs = db.revisions(2019, "so").await.unwrap();
        assert_eq!(
            revs.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>(),
            ["Quyết định 1007/QĐ-UBND", "Đính chính điểm Sở Tư pháp"]
        );

        // Published rows cannot be edited in place.
        assert!(
            db.execute_raw("UPDATE results SET total = '10' WHERE revision = 1")
                .await
                .is_err()
        );
        assert!(
            db.execute_raw("DELETE FROM result_revisions")
                .await
                .is_err()
        );
        assert_eq!(db.published_revision(2019, "so", 1).await.unwrap(), r1);

        // A unit that does not exist: nothing of revision 3 is written.
        let wrong = results(vec![unit("NOPE", "9", 1)]);
        let err = db.publish(&wrong, "so", &a).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotFound {
                    what: Entity::Unit,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(db.revisions(2019, "so").await.unwrap().len(), 2);
        assert!(matches!(
            db.published(2019, "huyen").await.unwrap_err(),
            Error::NotFound {
                what: Entity::Results,
                ..
            }
        ));
        assert!(matches!(
            db.publish(&first, "huyen", &a).await.unwrap_err(),
            Error::NotFound {
                what: Entity::Group,
                ..
            }
        ));
    })
    .await;
}
