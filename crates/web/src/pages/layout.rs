//! What the common frame of every page needs: language, title, the signed-in user, the
//! navigation for their roles, the language switch, the CSRF token for forms and a flash message.

use crate::pages::guard::Ctx;
use crate::pages::{assets, i18n};
use parindex_core::locale::Locale;
use parindex_store::users::Role;

/// One link of the main navigation.
pub(crate) struct Nav {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub(crate) struct Layout {
    pub lang: Locale,
    pub title: String,
    /// Display name and username of the signed-in user.
    pub user: Option<(String, String)>,
    pub csrf: String,
    /// This page in the other language.
    pub switch_href: String,
    pub nav: Vec<Nav>,
    /// A message after a redirect (`?ok=saved`), from the catalogue only.
    pub flash: Option<&'static str>,
    /// The visit counter (today, in all) for the footer of public pages.
    pub visits: Option<(i64, i64)>,
}

/// Percent-encodes a query component.
pub(crate) fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Percent-encodes a path segment (everything but unreserved characters).
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn with_param(path: &str, kv: &str) -> String {
    if path.contains('?') {
        format!("{path}&{kv}")
    } else {
        format!("{path}?{kv}")
    }
}

impl Layout {
    pub fn new(ctx: &Ctx, title: String) -> Layout {
        let other = match ctx.lang {
            Locale::Vi => "en",
            Locale::En => "vi",
        };
        let path = ctx.here.split('?').next().unwrap_or("/");
        let mut nav = Vec::new();
        let mut add = |href: &'static str, label: &'static str| {
            let current = if href == "/" {
                path == "/"
            } else {
                path == href || path.starts_with(&format!("{href}/"))
            };
            nav.push(Nav {
                href,
                label,
                current,
            });
        };
        match &ctx.caller {
            None => {
                add("/cong-thong-tin", "nav.portal");
                add("/tin-tuc", "nav.news");
                add("/lich-cong-tac", "nav.calendar");
                add("/xep-hang", "nav.ranking");
            }
            Some(c) => {
                if c.is(Role::UnitOfficer) {
                    add("/phieu", "nav.my_sheet");
                }
                if c.is(Role::Appraiser) {
                    add("/tham-dinh", "nav.queue");
                }
                if c.is(Role::Secretariat) || c.is(Role::Leader) {
                    add("/ky", "nav.rounds");
                }
                if c.is(Role::Secretariat) {
                    add("/don-vi", "nav.units");
                    add("/nguoi-dung", "nav.users");
                    add("/quan-tri/tin-tuc", "nav.portal_admin");
                }
                add("/xep-hang", "nav.ranking");
            }
        }
        let flash = ctx.flash.as_deref().and_then(i18n::flash);
        Layout {
            lang: ctx.lang,
            title,
            user: ctx
                .caller
                .as_ref()
                .map(|c| (c.user.display_name.clone(), c.user.username.clone())),
            csrf: ctx
                .caller
                .as_ref()
                .map(|c| c.csrf.clone())
                .unwrap_or_default(),
            switch_href: with_param(&ctx.here, &format!("lang={other}")),
            nav,
            flash,
            visits: ctx.visits,
        }
    }

    /// The text of a catalogue key in this page's language.
    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The name of the other language, in that language (the switch's label).
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Locale::Vi => "English",
            Locale::En => "Tiếng Việt",
        }
    }

    pub fn other_code(&self) -> &'static str {
        match self.lang {
            Locale::Vi => "en",
            Locale::En => "vi",
        }
    }

    /// A static file's address, with its content hash so it can be cached for good.
    pub fn asset(&self, name: &str) -> String {
        assets::href(name)
    }
}
