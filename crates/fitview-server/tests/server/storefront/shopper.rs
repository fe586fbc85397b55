//! A browser without a browser: a client that keeps the session cookie, reads form tokens out
//! of pages and posts forms like a page would.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

/// One visitor of the shop.
pub struct Shopper {
    pub base: String,
    client: reqwest::Client,
    cookie: Option<String>,
}

/// A page's answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// Where a redirect points.
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the page's first form token.
    pub fn csrf(&self) -> String {
        field_value(&self.body, "csrf").unwrap_or_else(|| panic!("no csrf in {}", self.body))
    }
}

/// The `value` of the first hidden input called `name`.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

impl Shopper {
    pub fn new(base: &str) -> Shopper {
        Shopper {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    /// The session cookie's `name=value`, if any.
    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    /// Uses another visitor's cookie (to check it is refused where it should be).
    pub fn with_cookie(base: &str, cookie: &str) -> Shopper {
        let mut shopper = Shopper::new(base);
        shopper.cookie = Some(cookie.to_owned());
        shopper
    }

    fn keep_cookie(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap().trim().to_owned();
            if pair.ends_with('=') {
                self.cookie = None;
            } else {
                self.cookie = Some(pair);
            }
        }
    }

    async fn answer(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let request = match &self.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        self.keep_cookie(&headers);
        Answer {
            status,
            headers,
            body: response.text().await.unwrap(),
        }
    }

    /// A form POST with the session cookie, to send several at once (its answer's cookie is
    /// not kept).
    pub fn post_request(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields);
        match &self.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.client.get(format!("{}{path}", self.base));
        self.answer(request).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields);
        self.answer(request).await
    }

    /// A form with files (`multipart/form-data`), as a page's upload form posts it.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> Answer {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (name, file_name, bytes) in files {
            form = form.part(
                name.to_string(),
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.to_string()),
            );
        }
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .multipart(form);
        self.answer(request).await
    }

    /// Creates an account through the sign-up page; returns its email.
    pub async fn sign_up(&mut self, who: &str) -> String {
        let page = self.get("/signup").await;
        assert_eq!(page.status, StatusCode::OK);
        let email = crate::common::email(who);
        let done = self
            .post(
                "/signup",
                &[
                    ("csrf", &page.csrf()),
                    ("name", who),
                    ("email", &email),
                    ("password", "a good password"),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        email
    }

    /// Signs in through the sign-in page.
    pub async fn sign_in(&mut self, login: &str, password: &str) {
        let csrf = self.csrf_of("/signin").await;
        let done = self
            .post(
                "/signin",
                &[
                    ("csrf", &csrf),
                    ("login", login),
                    ("password", password),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    }

    /// The form token of the page at `path`.
    pub async fn csrf_of(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        page.csrf()
    }
}
