//! What every page shares: the frame (the archive, the person and their role, the screens their
//! role may use, signing out, the language) and the words of the page's language.

use super::{Visitor, assets, i18n};
use crate::keys::access::{self, Access};
use crate::people::model::Language;

/// The screens the navigation offers, in its order: the name a page gives as its `screen`, its
/// path, and the message naming it. Who sees each is the access table's say.
const SCREENS: [(&str, &str, &str); 11] = [
    ("locate", "/locate", "nav-locate"),
    ("move", "/move", "nav-move"),
    ("audit", "/audit", "nav-audit"),
    ("out", "/out", "nav-out"),
    ("space", "/space", "nav-space"),
    ("labels", "/labels", "nav-labels"),
    ("survey", "/survey", "nav-survey"),
    ("treatments", "/treatments", "nav-treatments"),
    ("reading", "/reading", "nav-reading"),
    ("report", "/report", "nav-report"),
    ("admin", "/people", "nav-admin"),
];

/// The reading room's screens, offered as tabs on each of them, in the same way.
const READING_SCREENS: [(&str, &str, &str); 3] = [
    ("desk", "/reading", "reading-desk"),
    ("readers", "/readers", "reading-readers"),
    ("pull-list", "/pull-list", "reading-pull-list"),
];

/// The screens of administration, offered as tabs on each of them, in the same way.
const ADMIN_SCREENS: [(&str, &str, &str); 5] = [
    ("people", "/people", "admin-people"),
    ("keys", "/admin/keys", "admin-keys"),
    ("webhooks", "/admin/webhooks", "admin-webhooks"),
    ("vocabularies", "/admin/vocabularies", "admin-vocabularies"),
    ("trail", "/admin/trail", "admin-trail"),
];

pub struct Frame {
    pub lang: Language,
    pub person: Option<PersonBar>,
    /// The screen shown, for `aria-current` in the navigation.
    pub screen: &'static str,
}

/// The signed-in person, as the frame shows them.
pub struct PersonBar {
    /// "Signed in: Nguyễn Thị Lan (conservator)".
    pub label: String,
    /// The session's token against cross-site requests, for the frame's forms.
    pub csrf: String,
    /// The screens their role may open.
    pub nav: Vec<NavLink>,
    /// The administration screens their role may open.
    pub admin: Vec<NavLink>,
    /// The reading room's screens their role may open.
    pub reading: Vec<NavLink>,
}

/// A tab of a screen's own navigation (the treatments' stages, the vocabularies…).
pub struct Tab {
    pub href: String,
    pub label: String,
    pub current: bool,
}

pub struct NavLink {
    pub screen: &'static str,
    pub href: &'static str,
    pub label: String,
}

impl Frame {
    pub fn of(visitor: &Visitor, screen: &'static str) -> Frame {
        let lang = visitor.language;
        let person = visitor.signed_in.as_ref().map(|signed_in| {
            let person = &signed_in.person;
            let role = i18n::text(lang, &format!("role-{}", person.role), &[]);
            let links = |screens: &[(&'static str, &'static str, &str)]| {
                screens
                    .iter()
                    .filter(|(_, href, _)| match access::required("GET", href) {
                        Some(Access::Person(permission)) => person.role.may(permission),
                        _ => true,
                    })
                    .map(|&(screen, href, key)| NavLink { screen, href, label: i18n::text(lang, key, &[]) })
                    .collect()
            };
            PersonBar {
                label: i18n::text(lang, "signed-in-as", &[("name", &person.display_name), ("role", &role)]),
                csrf: signed_in.csrf_token.clone(),
                nav: links(&SCREENS),
                admin: links(&ADMIN_SCREENS),
                reading: links(&READING_SCREENS),
            }
        });
        Frame { lang, person, screen }
    }

    /// The frame of a page shown to someone not (yet) known: no person, no navigation.
    pub fn anonymous(lang: Language) -> Frame {
        Frame { lang, person: None, screen: "" }
    }

    /// The administration screens as tabs, `current` the one shown.
    pub fn admin_tabs(&self, current: &str) -> Vec<Tab> {
        Self::tabs(self.person.as_ref().map_or(&[][..], |person| &person.admin[..]), current)
    }

    /// The reading room's screens as tabs, `current` the one shown.
    pub fn reading_tabs(&self, current: &str) -> Vec<Tab> {
        Self::tabs(self.person.as_ref().map_or(&[][..], |person| &person.reading[..]), current)
    }

    fn tabs(links: &[NavLink], current: &str) -> Vec<Tab> {
        links
            .iter()
            .map(|link| Tab { href: link.href.to_string(), label: link.label.clone(), current: link.screen == current })
            .collect()
    }

    /// The message `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        i18n::text(self.lang, key, &[])
    }

    /// The hashed URL of an asset.
    pub fn asset(&self, name: &str) -> &'static str {
        assets::url(name)
    }

    /// The language the switch offers.
    pub fn other_lang(&self) -> Language {
        match self.lang {
            Language::Vi => Language::En,
            Language::En => Language::Vi,
        }
    }
}
