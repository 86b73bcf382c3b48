//! Accounts: sign-in and out, cookies, CSRF, the sign-in throttle, password changes.

use crate::harness::{Body, PASSWORD, each_backend, seed};
use serde_json::json;

#[tokio::test]
async fn sign_in_cookie_and_sign_out() {
    each_backend(async |app| {
        seed(app.db()).await;
        let c = app.client();
        assert_eq!(c.get("/api/me").await.status, 401);
        let res = c.login("off.snv", PASSWORD).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let cookie = res.headers["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("parindex_session="), "{cookie}");
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "{cookie}");
        let secret = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
        assert_eq!(secret.len(), 64);
        assert_eq!(res.json()["user"]["unit"], "SNV");
        let token = res.json()["csrf_token"].as_str().unwrap().to_string();
        // Only the hash of the secret is stored.
        assert!(
            app.db()
                .session(secret, parindex_store::Timestamp::now())
                .await
                .unwrap()
                .is_none()
        );

        let me = c.get("/api/session").await;
        assert_eq!(me.json()["csrf_token"], token.as_str());

        // Behind a TLS proxy the cookie is Secure.
        let tls = app.client();
        let res = tls
            .send(
                "POST",
                "/api/session",
                Body::Json(json!({"username": "leader", "password": PASSWORD})),
                &[("x-forwarded-proto", "https")],
            )
            .await;
        assert!(
            res.headers["set-cookie"]
                .to_str()
                .unwrap()
                .contains("; Secure")
        );

        let out = c.delete("/api/session").await;
        assert_eq!(out.status, 204, "{}", out.text());
        assert!(
            out.headers["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(c.get("/api/me").await.status, 401);
        // The old cookie no longer works either.
        let replay = app.client();
        let res = replay
            .send(
                "GET",
                "/api/me",
                Body::None,
                &[("cookie", &format!("parindex_session={secret}"))],
            )
            .await;
        assert_eq!(res.status, 401);
    })
    .await;
}

#[tokio::test]
async fn csrf_missing_or_forged_is_refused_and_nothing_changes() {
    each_backend(async |app| {
        seed(app.db()).await;
        let c = app.login("off.snv").await;
        let before = app.db().audit_recent(1).await.unwrap()[0].seq;
        let body = || Body::Json(json!({ "version": 0, "declared": "yes" }));
        let path = "/api/rounds/2019/sheets/SNV/entries/1.1.1/self";
        let missing = c.send("PUT", path, body(), &[("no-csrf", "")]).await;
        assert_eq!(missing.status, 403);
        assert_eq!(missing.code(), "csrf_missing");
        assert!(missing.message().contains("CSRF"), "{}", missing.text());
        let forged = c
            .send("PUT", path, body(), &[("x-csrf-token", &"0".repeat(64))])
            .await;
        assert_eq!(forged.status, 403);
        assert_eq!(forged.code(), "csrf_invalid");
        // Another session's token is as good as a forged one.
        let other = app.login("off.snv").await;
        let theirs = other.csrf().unwrap();
        let res = c
            .send("PUT", path, body(), &[("x-csrf-token", &theirs)])
            .await;
        assert_eq!(res.code(), "csrf_invalid");
        // A urlencoded form may carry it as a field instead; a wrong one is refused.
        let form = c
            .send(
                "DELETE",
                "/api/session",
                Body::Raw("application/x-www-form-urlencoded", b"csrf=nope".to_vec()),
                &[("no-csrf", "")],
            )
            .await;
        assert_eq!(form.code(), "csrf_invalid");
        assert_eq!(app.db().audit_recent(1).await.unwrap()[0].seq, before);
        // A sign-in posted from another site's page is refused.
        let res = app
            .client()
            .send(
                "POST",
                "/api/session",
                Body::Json(json!({"username": "sec", "password": PASSWORD})),
                &[("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(res.status, 403);
        // With the right token the same request goes through.
        let ok = c.send("PUT", path, body(), &[]).await;
        assert_eq!(ok.status, 200, "{}", ok.text());
        let form = c
            .send(
                "DELETE",
                "/api/session",
                Body::Raw(
                    "application/x-www-form-urlencoded",
                    format!("csrf={}", c.csrf().unwrap()).into_bytes(),
                ),
                &[("no-csrf", "")],
            )
            .await;
        assert_eq!(form.status, 204, "{}", form.text());
    })
    .await;
}

#[tokio::test]
async fn repeated_failures_lock_the_username_out() {
    each_backend(async |app| {
        seed(app.db()).await;
        let c = app.client();
        // The test server allows 3 failures, then locks out for a minute.
        for _ in 0..3 {
            let res = c.login("leader", "wrong-password").await;
            assert_eq!(res.status, 401);
            assert_eq!(res.code(), "bad_credentials");
        }
        let res = c.login("leader", PASSWORD).await;
        assert_eq!(res.status, 429, "{}", res.text());
        assert_eq!(res.code(), "locked_out");
        assert!(res.message().contains("phút"), "{}", res.text());
        let en = c
            .send(
                "POST",
                "/api/session",
                Body::Json(json!({"username": "LEADER", "password": PASSWORD})),
                &[("accept-language", "en-US,en;q=0.9")],
            )
            .await;
        assert_eq!(en.status, 429);
        assert!(en.message().contains("minute"), "{}", en.text());
        // Other users are not affected; unknown users fail the same way as wrong passwords.
        assert_eq!(c.login("sec", PASSWORD).await.status, 200);
        assert_eq!(
            app.client().login("nobody", PASSWORD).await.code(),
            "bad_credentials"
        );
        let m = app.client().get("/metrics").await.text();
        assert!(m.contains("parindex_login_failures_total 4"), "{m}");
    })
    .await;
}

#[tokio::test]
async fn passwords_change_and_sessions_end() {
    each_backend(async |app| {
        seed(app.db()).await;
        let c = app.login("appr1").await;
        let res = c
            .put(
                "/api/me/password",
                json!({ "current_password": "wrong", "new_password": "a-new-long-password" }),
            )
            .await;
        assert_eq!(res.status, 422);
        let res = c
            .put(
                "/api/me/password",
                json!({ "current_password": PASSWORD, "new_password": "short" }),
            )
            .await;
        assert_eq!(res.status, 422);
        assert_eq!(res.json()["error"]["problems"][0]["field"], "password");
        let res = c
            .put(
                "/api/me/password",
                json!({ "current_password": PASSWORD, "new_password": "a-new-long-password" }),
            )
            .await;
        assert_eq!(res.status, 204, "{}", res.text());
        assert_eq!(c.get("/api/me").await.status, 401);
        assert_eq!(app.client().login("appr1", "a-new-long-password").await.status, 200);
        // The audit log says the password changed, never what it is.
        let trail = app.db().audit_of("user", "appr1").await.unwrap();
        let last = trail.last().unwrap();
        assert_eq!(last.field.as_deref(), Some("password"));
        assert_eq!(last.new.as_deref(), Some("(changed)"));

        // The secretariat creates users and resets passwords.
        let sec = app.login("sec").await;
        let res = sec
            .post(
                "/api/users",
                json!({ "username": "new.officer", "password": "mot-mat-khau-dai", "display_name": "Cán bộ mới",
                        "unit": "STP", "roles": ["unit_officer"] }),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(app.client().login("new.officer", "mot-mat-khau-dai").await.status, 200);
        let res = sec
            .put("/api/users/new.officer/password", json!({ "password": "mat-khau-moi-dai" }))
            .await;
        assert_eq!(res.status, 204);
        assert_eq!(app.client().login("new.officer", "mat-khau-moi-dai").await.status, 200);
    })
    .await;
}
