//! Units: create, read, update with optimistic versions, parents without cycles, search.

use crate::harness::{by, each_backend};
use parindex_store::units::UnitFields;
use parindex_store::{Entity, Error};

fn fields(name: &str, parent: Option<&str>) -> UnitFields {
    UnitFields {
        name: name.into(),
        name_en: None,
        group: "so".into(),
        level: Some("so".into()),
        parent: parent.map(str::to_string),
    }
}

#[tokio::test]
async fn unit_crud() {
    each_backend(async |t| {
        let db = &t.db;
        let a = by("admin");
        let snv = db
            .create_unit("SNV", &fields("Sở Nội vụ", None), &a)
            .await
            .unwrap();
        assert_eq!(
            (snv.code.as_str(), snv.version, snv.active),
            ("SNV", 1, true)
        );
        let child = db
            .create_unit(
                "BTDKT",
                &fields("Ban Thi đua - Khen thưởng", Some("SNV")),
                &a,
            )
            .await
            .unwrap();
        assert_eq!(child.parent.as_deref(), Some("SNV"));

        let dup = db
            .create_unit("SNV", &fields("Khác", None), &a)
            .await
            .unwrap_err();
        assert!(
            matches!(
                dup,
                Error::Duplicate {
                    what: Entity::Unit,
                    ..
                }
            ),
            "{dup:?}"
        );
        let missing_parent = db
            .create_unit("X", &fields("X", Some("NOPE")), &a)
            .await
            .unwrap_err();
        assert!(
            matches!(
                missing_parent,
                Error::NotFound {
                    what: Entity::Unit,
                    ..
                }
            ),
            "{missing_parent:?}"
        );
        let bad = db
            .create_unit("có dấu", &fields("", None), &a)
            .await
            .unwrap_err();
        let Error::Invalid(problems) = bad else {
            panic!("{bad:?}")
        };
        assert_eq!(problems.len(), 2);
        assert_eq!(problems.0[0].location.field.as_deref(), Some("code"));

        let updated = db
            .update_unit(
                "SNV",
                1,
                &UnitFields {
                    name_en: Some("Department of Home Affairs".into()),
                    ..fields("Sở Nội vụ", None)
                },
                &a,
            )
            .await
            .unwrap();
        assert_eq!(updated.version, 2);
        assert_eq!(
            updated.name_en.as_deref(),
            Some("Department of Home Affairs")
        );

        // A stale edit: version 1 was read, someone else made it 2.
        let stale = db
            .update_unit("SNV", 1, &fields("Tên cũ", None), &a)
            .await
            .unwrap_err();
        assert!(
            matches!(
                stale,
                Error::Conflict {
                    expected: 1,
                    actual: 2,
                    ..
                }
            ),
            "{stale:?}"
        );
        assert_eq!(db.unit("SNV").await.unwrap(), updated);

        // Parent cycles are refused.
        let cycle = db
            .update_unit("SNV", 2, &fields("Sở Nội vụ", Some("BTDKT")), &a)
            .await
            .unwrap_err();
        assert!(matches!(cycle, Error::Invalid(_)), "{cycle:?}");
        let own = db
            .update_unit("SNV", 2, &fields("Sở Nội vụ", Some("SNV")), &a)
            .await
            .unwrap_err();
        assert!(matches!(own, Error::Invalid(_)), "{own:?}");

        let off = db
            .set_unit_active("BTDKT", child.version, false, &a)
            .await
            .unwrap();
        assert!(!off.active);
        assert_eq!(db.units().await.unwrap().len(), 2);
        let found = db.search_units("so noi vu").await.unwrap();
        assert_eq!(
            found.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(),
            ["SNV"]
        );
        assert!(matches!(
            db.unit("NOPE").await.unwrap_err(),
            Error::NotFound { .. }
        ));

        let log = db.audit_of("unit", "SNV").await.unwrap();
        assert_eq!(
            log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["create", "update"]
        );
        assert_eq!(log[1].field.as_deref(), Some("name_en"));
        assert_eq!(log[1].new.as_deref(), Some("Department of Home Affairs"));
    })
    .await;
}
