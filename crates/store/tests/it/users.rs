//! Users, roles, appraisers' areas, sessions.

use crate::harness::{by, each_backend, seed_round};
use parindex_core::locale::Locale;
use parindex_store::users::{Role, Session, UserFields};
use parindex_store::{Error, Timestamp};

#[tokio::test]
async fn users_roles_areas_sessions() {
    each_backend(async |t| {
        let db = &t.db;
        let a = by("admin");
        seed_round(db).await;
        let f = UserFields {
            display_name: "Nguyễn Văn An".into(),
            email: Some("an@example.vn".into()),
            unit: Some("STP".into()),
            locale: Locale::Vi,
            roles: vec![Role::Appraiser, Role::UnitOfficer, Role::Appraiser],
        };
        let u = db
            .create_user("an", &f, "$argon2id$secret", &a)
            .await
            .unwrap();
        assert_eq!(u.roles, vec![Role::Appraiser, Role::UnitOfficer]);
        assert_eq!(u.unit.as_deref(), Some("STP"));
        assert!(matches!(
            db.create_user("an", &f, "x", &a).await.unwrap_err(),
            Error::Duplicate { .. }
        ));

        let c = db.credentials("an").await.unwrap().unwrap();
        assert_eq!(c.password_hash, "$argon2id$secret");
        assert!(!format!("{c:?}").contains("secret"));
        assert!(db.credentials("nobody").await.unwrap().is_none());

        let f2 = UserFields {
            roles: vec![Role::Leader],
            locale: Locale::En,
            unit: None,
            ..f.clone()
        };
        let u2 = db.update_user("an", u.version, &f2, &a).await.unwrap();
        assert_eq!(
            (u2.roles.clone(), u2.locale, u2.unit.clone()),
            (vec![Role::Leader], Locale::En, None)
        );
        let stale = db.update_user("an", u.version, &f, &a).await.unwrap_err();
        assert!(matches!(stale, Error::Conflict { .. }), "{stale:?}");
        assert_eq!(db.user("an").await.unwrap().roles, vec![Role::Leader]);

        db.assign_area("an", 2019, "so", "1", &a).await.unwrap();
        assert!(matches!(
            db.assign_area("an", 2019, "so", "9", &a).await.unwrap_err(),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            db.assign_area("an", 2019, "huyen", "1", &a)
                .await
                .unwrap_err(),
            Error::NotFound { .. }
        ));
        assert!(matches!(
            db.assign_area("an", 2019, "so", "1", &a).await.unwrap_err(),
            Error::Duplicate { .. }
        ));
        assert_eq!(db.appraisers_of(2019, "so", "1").await.unwrap(), ["an"]);
        assert_eq!(db.areas_of("an").await.unwrap().len(), 1);
        db.unassign_area("an", 2019, "so", "1", &a).await.unwrap();
        assert!(db.areas_of("an").await.unwrap().is_empty());

        let now = Timestamp::now();
        let s = Session {
            id_hash: "h1".into(),
            user_id: Some(u.id),
            expires_at: now.plus_seconds(3600),
            data: "{}".into(),
        };
        db.put_session(&s).await.unwrap();
        db.put_session(&Session {
            id_hash: "old".into(),
            user_id: None,
            expires_at: now.plus_seconds(-1),
            data: "{}".into(),
        })
        .await
        .unwrap();
        assert_eq!(db.session("h1", now).await.unwrap(), Some(s.clone()));
        assert_eq!(db.session("old", now).await.unwrap(), None);
        assert_eq!(db.delete_expired_sessions(now).await.unwrap(), 1);
        db.set_password_hash("an", "$argon2id$new", &a)
            .await
            .unwrap();
        assert_eq!(
            db.session("h1", now).await.unwrap(),
            None,
            "a new password ends the sessions"
        );
        assert_eq!(
            db.credentials("an").await.unwrap().unwrap().password_hash,
            "$argon2id$new"
        );
        let log = db.audit_of("user", "an").await.unwrap();
        assert!(
            log.iter()
                .all(|e| !e.new.clone().unwrap_or_default().contains("argon2"))
        );

        let v = db.user("an").await.unwrap().version;
        db.set_user_active("an", v, false, &a).await.unwrap();
        assert!(db.credentials("an").await.unwrap().is_none());
        assert_eq!(db.users().await.unwrap().len(), 1);
    })
    .await;
}
