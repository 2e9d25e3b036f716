//! What every page shares: the frame (the archive, the person and their role, the screens their
//! role may use, signing out, the language) and the words of the page's language.

use super::{Visitor, assets, i18n};
use crate::people::model::Language;

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
}

impl Frame {
    pub fn of(visitor: &Visitor, screen: &'static str) -> Frame {
        let lang = visitor.language;
        let person = visitor.signed_in.as_ref().map(|signed_in| {
            let person = &signed_in.person;
            let role = i18n::text(lang, &format!("role-{}", person.role), &[]);
            PersonBar {
                label: i18n::text(lang, "signed-in-as", &[("name", &person.display_name), ("role", &role)]),
                csrf: signed_in.csrf_token.clone(),
            }
        });
        Frame { lang, person, screen }
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
