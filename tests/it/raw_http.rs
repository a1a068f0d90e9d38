//! A bare loopback HTTP/1.1 server for what the mock must never do: redirect elsewhere,
//! send an endless error body, list models forever. Each connection gets one request and
//! the handler's answer; every request's head (lowercased) is kept for assertions.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a handler answers: the whole response head and body, or an endless body.
pub enum Answer {
    Full(String),
    /// The head, then the same chunk written until the client hangs up.
    Endless {
        head: String,
        chunk: Vec<u8>,
    },
}

pub struct RawServer {
    pub port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    /// Serves `handler(request head)` on a free loopback port until the runtime ends.
    pub async fn start(handler: impl Fn(&str) -> Answer + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&heads);
        let handler = Arc::new(handler);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (kept, handler) = (Arc::clone(&kept), Arc::clone(&handler));
                tokio::spawn(async move { serve(socket, &kept, &*handler).await });
            }
        });
        RawServer { port, heads }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The heads of every request received so far, lowercased.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

async fn serve(
    mut socket: TcpStream,
    kept: &Mutex<Vec<String>>,
    handler: &(dyn Fn(&str) -> Answer + Send + Sync),
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head = loop {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break String::from_utf8_lossy(&buf[..end]).to_lowercase();
        }
    };
    kept.lock().unwrap().push(head.clone());
    match handler(&head) {
        Answer::Full(text) => {
            let _ = socket.write_all(text.as_bytes()).await;
        }
        Answer::Endless { head, chunk } => {
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            while socket.write_all(&chunk).await.is_ok() {}
        }
    }
    let _ = socket.shutdown().await;
}

/// A complete response with a JSON body.
pub fn json_response(status: &str, body: &str) -> Answer {
    Answer::Full(format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    ))
}
