//! Credentials stay home and servers cannot make the client unbounded: no redirect is
//! followed (so neither `x-api-key` nor `Authorization` reaches another port), an endless
//! error body is read only up to its cap, and a model listing that never ends is cut.

use std::time::Duration;

use chatterm::api::client::MAX_MODEL_PAGES;
use chatterm::api::{ApiError, Auth, Client, ClientOptions, Message, MessagesRequest};

use super::raw_http::{Answer, RawServer, json_response};

/// A guard against a hung test, not a speed check.
const GUARD: Duration = Duration::from_secs(20);

fn client(base: &str, auth: Auth) -> Client {
    let mut o = ClientOptions::new(base, auth);
    o.max_retries = 0;
    o.first_byte_timeout = Duration::from_secs(10);
    Client::new(o).unwrap()
}

/// A server on one port that answers every request with a 307 to the same path on
/// `elsewhere`, the way a hostile or misconfigured base URL would.
async fn redirecting_to(elsewhere: &RawServer) -> RawServer {
    let target = elsewhere.url();
    RawServer::start(move |head| {
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        Answer::Full(format!(
            "HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}{path}\r\n\
             content-length: 0\r\nconnection: close\r\n\r\n"
        ))
    })
    .await
}

fn assert_redirect_refused(err: &ApiError) {
    let ApiError::Http { status, kind, .. } = err else {
        panic!("not an HTTP error: {err:?}");
    };
    assert_eq!((*status, kind.as_str()), (307, "redirect"));
    let text = err.to_string();
    assert!(text.contains("follows no redirects"), "{text}");
    assert!(!err.is_retryable(), "a redirect is not transient");
}

#[tokio::test]
async fn no_credential_follows_a_redirect_to_another_port() {
    let other =
        RawServer::start(|_| json_response("200 OK", r#"{"data":[],"has_more":false}"#)).await;
    let base = redirecting_to(&other).await;
    for auth in [
        Auth::ApiKey("sk-ant-redirect-secret".into()),
        Auth::Bearer("bearer-redirect-secret".into()),
    ] {
        let c = client(&base.url(), auth);
        let models = tokio::time::timeout(GUARD, c.list_models()).await.unwrap();
        assert_redirect_refused(&models.unwrap_err());
        let request = MessagesRequest::new("m", 16, vec![Message::user_text("hi")]);
        let streamed = tokio::time::timeout(GUARD, c.stream(&request))
            .await
            .unwrap();
        assert_redirect_refused(&streamed.err().unwrap());
        let created = tokio::time::timeout(GUARD, c.create(&request))
            .await
            .unwrap();
        assert_redirect_refused(&created.unwrap_err());
    }
    let seen = base.heads();
    assert!(
        seen.iter().any(|h| h.starts_with("get /v1/models")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|h| h.starts_with("post /v1/messages")),
        "{seen:?}"
    );
    for head in other.heads() {
        assert!(!head.contains("x-api-key"), "the key followed: {head}");
        assert!(
            !head.contains("authorization"),
            "the token followed: {head}"
        );
        assert!(!head.contains("secret"), "{head}");
    }
}

#[tokio::test]
async fn an_endless_error_body_is_read_only_up_to_its_cap() {
    let server = RawServer::start(|_| Answer::Endless {
        head: "HTTP/1.1 500 Internal Server Error\r\nconnection: close\r\n\r\n".into(),
        chunk: vec![b'x'; 64 * 1024],
    })
    .await;
    let c = client(&server.url(), Auth::ApiKey("k".into()));
    let err = tokio::time::timeout(GUARD, c.list_models())
        .await
        .expect("the client stopped reading the body")
        .unwrap_err();
    let ApiError::Http {
        status, message, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*status, 500);
    assert!(
        message.starts_with("xxx") && message.len() <= 200,
        "{message}"
    );
}

#[tokio::test]
async fn a_model_listing_that_never_ends_is_cut_with_a_note() {
    let server = RawServer::start(|head| {
        // Each page names one new model after the one it was asked to start after.
        let after = head
            .split("after_id=")
            .nth(1)
            .and_then(|rest| rest.split([' ', '&']).next())
            .unwrap_or("m0")
            .to_owned();
        let next = format!("{after}x");
        json_response(
            "200 OK",
            &format!(
                r#"{{"data":[{{"id":"{next}","type":"model"}}],"has_more":true,"last_id":"{next}"}}"#
            ),
        )
    })
    .await;
    let c = client(&server.url(), Auth::ApiKey("k".into()));
    let listing = tokio::time::timeout(GUARD, c.list_models())
        .await
        .expect("the listing ended")
        .unwrap();
    assert_eq!(listing.models.len(), MAX_MODEL_PAGES);
    assert!(listing.cut_short);
    let note = listing.note().unwrap();
    assert!(
        note.contains(&format!("cut after {MAX_MODEL_PAGES} pages")),
        "{note}"
    );
    assert_eq!(server.heads().len(), MAX_MODEL_PAGES);
}
