//! Users, their roles and unit, appraisers' area assignments per round, and login sessions.
//! Password hashes are stored as given: hashing and checking them is the web layer's job.

use crate::audit::{self, Change, Diff};
use crate::db::{Db, Row, Tx, q};
use crate::rounds::set_for_group;
use crate::time::Timestamp;
use crate::units::{check_code, unit_id};
use crate::{Actor, Entity, Error, Result};
use parindex_core::diag::Problems;
use parindex_core::locale::Locale;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The secretariat (Sở Nội vụ): runs rounds, units, users, publication.
    Secretariat,
    /// Appraises the areas assigned to them.
    Appraiser,
    /// Fills in and submits their unit's sheet.
    UnitOfficer,
    /// Reads everything, approves.
    Leader,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Secretariat,
        Role::Appraiser,
        Role::UnitOfficer,
        Role::Leader,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Secretariat => "secretariat",
            Role::Appraiser => "appraiser",
            Role::UnitOfficer => "unit_officer",
            Role::Leader => "leader",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn vi(self) -> &'static str {
        match self {
            Role::Secretariat => "cơ quan thường trực",
            Role::Appraiser => "thẩm định viên",
            Role::UnitOfficer => "cán bộ đơn vị",
            Role::Leader => "lãnh đạo",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Role::Secretariat => "secretariat",
            Role::Appraiser => "appraiser",
            Role::UnitOfficer => "unit officer",
            Role::Leader => "leader",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// The unit the user works for (unit officers), by code.
    pub unit: Option<String>,
    pub locale: Locale,
    pub active: bool,
    pub roles: Vec<Role>,
    pub version: i64,
    pub created_at: Timestamp,
}

impl User {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A user's editable fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserFields {
    pub display_name: String,
    pub email: Option<String>,
    pub unit: Option<String>,
    pub locale: Locale,
    pub roles: Vec<Role>,
}

/// A user with the password hash to check a login against. `Debug` hides the hash.
#[derive(Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

/// A login session. `id_hash` is the hash of the cookie's secret, never the secret itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Option<i64>,
    pub expires_at: Timestamp,
    /// Opaque to the store (JSON from the session layer).
    pub data: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id_hash", &"[redacted]")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An appraiser's assignment: an area of one group's set in one round.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AreaAssignment {
    pub year: i32,
    pub group: String,
    pub area: String,
}

const SELECT: &str = "SELECT x.id, x.username, x.display_name, x.email, u.code AS unit_code, x.locale, x.active, \
    x.version, x.created_at FROM users x LEFT JOIN units u ON u.id = x.unit_id";

async fn user_from_row(db: &Db, r: &Row) -> Result<User> {
    let id = r.i64("id")?;
    let roles = db
        .fetch_all(q("SELECT role FROM user_roles WHERE user_id = $1").bind(id))
        .await?
        .iter()
        .map(|r| {
            let s = r.text("role")?;
            Role::parse(&s).ok_or_else(|| Error::Corrupt(format!("role '{s}'")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut roles = roles;
    roles.sort();
    let locale = r.text("locale")?;
    Ok(User {
        id,
        username: r.text("username")?,
        display_name: r.text("display_name")?,
        email: r.opt_text("email")?,
        unit: r.opt_text("unit_code")?,
        locale: Locale::parse(&locale).unwrap_or_default(),
        active: r.bool("active")?,
        roles,
        version: r.i64("version")?,
        created_at: r.ts("created_at")?,
    })
}

fn check_fields(f: &UserFields, problems: &mut Problems) {
    if f.display_name.trim().is_empty() {
        problems.push(parindex_core::diag::Problem::new(
            parindex_core::diag::Location::default().with_field("display_name"),
            "tên hiển thị không được để trống",
            "the display name may not be empty",
        ));
    }
}

async fn user_id(tx: &mut Tx, username: &str) -> Result<i64> {
    tx.fetch_optional(q("SELECT id FROM users WHERE username = $1").bind(username))
        .await?
        .ok_or_else(|| Error::not_found(Entity::User, username))?
        .i64("id")
}

async fn write_roles(tx: &mut Tx, id: i64, roles: &[Role]) -> Result<()> {
    tx.execute(q("DELETE FROM user_roles WHERE user_id = $1").bind(id))
        .await?;
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    for r in roles {
        tx.execute(
            q("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(r.as_str()),
        )
        .await?;
    }
    Ok(())
}

fn roles_text(roles: &[Role]) -> String {
    let mut r = roles.to_vec();
    r.sort();
    r.dedup();
    r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

impl Db {
    pub async fn create_user(
        &self,
        username: &str,
        fields: &UserFields,
        password_hash: &str,
        by: &Actor,
    ) -> Result<User> {
        let mut problems = Problems::default();
        check_code("username", username, &mut problems);
        check_fields(fields, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let unit = match &fields.unit {
            Some(u) => Some(unit_id(&mut tx, u).await?),
            None => None,
        };
        let id = tx
            .fetch_one(
                q("INSERT INTO users (username, display_name, email, password_hash, unit_id, locale, active, version, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, TRUE, 1, $7) RETURNING id")
                .bind(username)
                .bind(fields.display_name.trim())
                .bind(fields.email.clone())
                .bind(password_hash)
                .bind(unit)
                .bind(fields.locale.code())
                .bind(now),
            )
            .await
            .map_err(|e| e.duplicate_as(Entity::User, username))?
            .i64("id")?;
        write_roles(&mut tx, id, &fields.roles).await?;
        let change = Change::new("create", "user", username).new_value(format!(
            "{} [{}] {}",
            fields.display_name.trim(),
            roles_text(&fields.roles),
            fields.unit.as_deref().unwrap_or("-")
        ));
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await?;
        self.user(username).await
    }

    pub async fn user(&self, username: &str) -> Result<User> {
        let sql = crate::db::Q::owned(format!("{SELECT} WHERE x.username = $1"));
        let row = self
            .fetch_optional(sql.bind(username))
            .await?
            .ok_or_else(|| Error::not_found(Entity::User, username))?;
        user_from_row(self, &row).await
    }

    pub async fn user_by_id(&self, id: i64) -> Result<User> {
        let sql = crate::db::Q::owned(format!("{SELECT} WHERE x.id = $1"));
        let row = self
            .fetch_optional(sql.bind(id))
            .await?
            .ok_or_else(|| Error::not_found(Entity::User, id.to_string()))?;
        user_from_row(self, &row).await
    }

    /// Every user, by username.
    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = crate::db::Q::owned(format!("{SELECT} ORDER BY x.username"));
        let rows = self.fetch_all(sql).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(user_from_row(self, r).await?);
        }
        Ok(out)
    }

    /// The user and password hash for a login; `None` for an unknown or inactive user.
    pub async fn credentials(&self, username: &str) -> Result<Option<Credentials>> {
        let row = self
            .fetch_optional(
                q("SELECT password_hash, active FROM users WHERE username = $1").bind(username),
            )
            .await?;
        match row {
            Some(r) if r.bool("active")? => Ok(Some(Credentials {
                user: self.user(username).await?,
                password_hash: r.text("password_hash")?,
            })),
            _ => Ok(None),
        }
    }

    pub async fn update_user(
        &self,
        username: &str,
        expected_version: i64,
        fields: &UserFields,
        by: &Actor,
    ) -> Result<User> {
        let mut problems = Problems::default();
        check_fields(fields, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let old = self.user(username).await?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let unit = match &fields.unit {
            Some(u) => Some(unit_id(&mut tx, u).await?),
            None => None,
        };
        let n = tx
            .execute(
                q("UPDATE users SET display_name = $1, email = $2, unit_id = $3, locale = $4, version = version + 1 \
                   WHERE id = $5 AND version = $6")
                .bind(fields.display_name.trim())
                .bind(fields.email.clone())
                .bind(unit)
                .bind(fields.locale.code())
                .bind(old.id)
                .bind(expected_version),
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict {
                what: Entity::User,
                key: username.into(),
                expected: expected_version,
                actual: old.version,
            });
        }
        write_roles(&mut tx, old.id, &fields.roles).await?;
        let mut diff = Diff::new("user", username);
        diff.value(
            "display_name",
            &old.display_name,
            &fields.display_name.trim().to_string(),
        );
        diff.field("email", &old.email, &fields.email);
        diff.field("unit", &old.unit, &fields.unit);
        diff.value("locale", &old.locale.code(), &fields.locale.code());
        diff.value("roles", &roles_text(&old.roles), &roles_text(&fields.roles));
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.user(username).await
    }

    pub async fn set_user_active(
        &self,
        username: &str,
        expected_version: i64,
        active: bool,
        by: &Actor,
    ) -> Result<User> {
        let old = self.user(username).await?;
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let n = tx
            .execute(q("UPDATE users SET active = $1, version = version + 1 WHERE id = $2 AND version = $3").bind(active).bind(old.id).bind(expected_version))
            .await?;
        if n == 0 {
            return Err(Error::Conflict {
                what: Entity::User,
                key: username.into(),
                expected: expected_version,
                actual: old.version,
            });
        }
        if !active {
            tx.execute(q("DELETE FROM sessions WHERE user_id = $1").bind(old.id))
                .await?;
        }
        let mut diff = Diff::new("user", username);
        diff.value("active", &old.active, &active);
        diff.append(&mut tx, by, now).await?;
        tx.commit().await?;
        self.user(username).await
    }

    /// Replaces the password hash and ends the user's sessions. The audit log records that it
    /// changed, never the hash.
    pub async fn set_password_hash(
        &self,
        username: &str,
        password_hash: &str,
        by: &Actor,
    ) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let id = user_id(&mut tx, username).await?;
        tx.execute(
            q("UPDATE users SET password_hash = $1, version = version + 1 WHERE id = $2")
                .bind(password_hash)
                .bind(id),
        )
        .await?;
        tx.execute(q("DELETE FROM sessions WHERE user_id = $1").bind(id))
            .await?;
        let change = Change::new("update", "user", username).field(
            "password",
            None,
            Some("(changed)".into()),
        );
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await
    }

    /// Assigns an appraiser to an area (a level-1 code such as `2`) of a group's set in a round.
    pub async fn assign_area(
        &self,
        username: &str,
        year: i32,
        group: &str,
        area: &str,
        by: &Actor,
    ) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let id = user_id(&mut tx, username).await?;
        let set = set_for_group(&mut tx, year, group).await?;
        if !set.areas().any(|a| a.code.to_string() == area) {
            return Err(Error::not_found(
                Entity::Area,
                format!("{year}/{group}/{area}"),
            ));
        }
        tx.execute(
            q("INSERT INTO appraiser_areas (user_id, year, group_code, area_code) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(year)
                .bind(group)
                .bind(area),
        )
        .await
        .map_err(|e| e.duplicate_as(Entity::Area, &format!("{username}: {year}/{group}/{area}")))?;
        let change = Change::new("assign", "user", username).field(
            "area",
            None,
            Some(format!("{year}/{group}/{area}")),
        );
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await
    }

    pub async fn unassign_area(
        &self,
        username: &str,
        year: i32,
        group: &str,
        area: &str,
        by: &Actor,
    ) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let id = user_id(&mut tx, username).await?;
        let n = tx
            .execute(
                q("DELETE FROM appraiser_areas WHERE user_id = $1 AND year = $2 AND group_code = $3 AND area_code = $4")
                    .bind(id)
                    .bind(year)
                    .bind(group)
                    .bind(area),
            )
            .await?;
        if n == 0 {
            return Err(Error::not_found(
                Entity::Area,
                format!("{username}: {year}/{group}/{area}"),
            ));
        }
        let change = Change::new("unassign", "user", username).field(
            "area",
            Some(format!("{year}/{group}/{area}")),
            None,
        );
        audit::append(&mut tx, by, now, change).await?;
        tx.commit().await
    }

    /// An appraiser's areas, by round, group and area.
    pub async fn areas_of(&self, username: &str) -> Result<Vec<AreaAssignment>> {
        self.fetch_all(
            q("SELECT a.year, a.group_code, a.area_code FROM appraiser_areas a JOIN users x ON x.id = a.user_id \
               WHERE x.username = $1 ORDER BY a.year, a.group_code, a.area_code")
            .bind(username),
        )
        .await?
        .iter()
        .map(|r| Ok(AreaAssignment { year: r.year("year")?, group: r.text("group_code")?, area: r.text("area_code")? }))
        .collect()
    }

    /// The usernames assigned to an area.
    pub async fn appraisers_of(&self, year: i32, group: &str, area: &str) -> Result<Vec<String>> {
        self.fetch_all(
            q(
                "SELECT x.username FROM appraiser_areas a JOIN users x ON x.id = a.user_id \
               WHERE a.year = $1 AND a.group_code = $2 AND a.area_code = $3 ORDER BY x.username",
            )
            .bind(year)
            .bind(group)
            .bind(area),
        )
        .await?
        .iter()
        .map(|r| r.text("username"))
        .collect()
    }

    /// Creates or replaces a session (sessions are not audited: they are not records).
    pub async fn put_session(&self, s: &Session) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.execute(q("DELETE FROM sessions WHERE id_hash = $1").bind(&s.id_hash))
            .await?;
        tx.execute(
            q("INSERT INTO sessions (id_hash, user_id, expires_at, data, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&s.id_hash)
                .bind(s.user_id)
                .bind(s.expires_at)
                .bind(&s.data)
                .bind(Timestamp::now()),
        )
        .await?;
        tx.commit().await
    }

    /// A session that has not expired at `now`.
    pub async fn session(&self, id_hash: &str, now: Timestamp) -> Result<Option<Session>> {
        self.fetch_optional(q("SELECT id_hash, user_id, expires_at, data FROM sessions WHERE id_hash = $1 AND expires_at > $2").bind(id_hash).bind(now))
            .await?
            .map(|r| Ok(Session { id_hash: r.text("id_hash")?, user_id: r.opt_i64("user_id")?, expires_at: r.ts("expires_at")?, data: r.text("data")? }))
            .transpose()
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.execute(q("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash))
            .await?;
        Ok(())
    }

    /// Removes sessions expired at `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        self.execute(q("DELETE FROM sessions WHERE expires_at <= $1").bind(now))
            .await
    }
}
