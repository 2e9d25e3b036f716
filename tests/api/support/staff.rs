//! People of the staff app, and a browser over plain HTTP that keeps their session.

use paperkeep::keys::model::Role;
use paperkeep::people::model::{NewPerson, Person};
use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;

use super::TestApp;

/// Every test person's password.
pub const PASSWORD: &str = "giấy dó và hồ CMC";

/// A person of `role` with the test password, named after their username.
pub fn person(app: &TestApp, username: &str, role: Role) -> Person {
    let new = NewPerson {
        username: username.into(),
        display_name: format!("Nguyễn Văn {username}"),
        role,
        password: PASSWORD.into(),
        language: None,
    };
    paperkeep::people::repo::create(&mut app.db(), &new, None).unwrap()
}

/// A browser: keeps cookies, does not follow redirects (the tests look at them).
pub fn browser() -> Client {
    Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap()
}

pub fn sign_in(app: &TestApp, browser: &Client, username: &str, password: &str) -> Response {
    browser
        .post(format!("{}/sign-in", app.url))
        .form(&[("username", username), ("password", password), ("next", "/locate")])
        .send()
        .unwrap()
}

/// A browser signed in as `username` (with the test password).
pub fn signed_in(app: &TestApp, username: &str) -> Client {
    let browser = browser();
    assert_eq!(sign_in(app, &browser, username, PASSWORD).status().as_u16(), 303);
    browser
}

pub fn location(response: &Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

/// The page's token against cross-site requests, from its first form that carries it.
pub fn csrf(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a form with the session's token") + 19;
    page[start..].split('"').next().unwrap().to_string()
}

/// The session's token, read from a page every signed-in person may open.
pub fn token(app: &TestApp, browser: &Client) -> String {
    csrf(&browser.get(format!("{}/locate", app.url)).send().unwrap().text().unwrap())
}

/// Posts a form as `who`, with the session's token: its status, where it sends, and the page.
pub fn post_form(app: &TestApp, who: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let mut form = vec![("csrf", token(app, who))];
    form.extend(fields.iter().map(|(name, value)| (*name, value.to_string())));
    let answer = who.post(format!("{}{path}", app.url)).form(&form).send().unwrap();
    let status = answer.status().as_u16();
    let to = answer.headers().get("location").map(|_| location(&answer)).unwrap_or_default();
    (status, to, answer.text().unwrap())
}

/// The page at `path` as `who` sees it; it must answer 200.
pub fn open(app: &TestApp, who: &Client, path: &str) -> String {
    let answer = who.get(format!("{}{path}", app.url)).send().unwrap();
    assert_eq!(answer.status().as_u16(), 200, "{path}");
    answer.text().unwrap()
}
