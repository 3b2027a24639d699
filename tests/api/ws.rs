//! A WebSocket client for tests: connects to a test server, sends JSON frames and waits for
//! frames matching a condition (with a generous deadline, so a missing frame fails the test
//! instead of hanging it).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::TestApp;

pub const WAIT: Duration = Duration::from_secs(10);

pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a socket ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
}

impl TestApp {
    /// Opens a socket at `path` (query included) with `token` as Bearer header.
    pub async fn ws(&self, path: &str, token: &str) -> Ws {
        self.try_ws(path, token).await.expect("socket opens")
    }

    pub async fn try_ws(&self, path: &str, token: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut request = format!("ws://{}{}", self.addr, path).into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (stream, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Ws { stream })
    }
}

impl Ws {
    pub async fn send(&mut self, frame: Value) {
        self.stream.send(Message::text(frame.to_string())).await.expect("frame sent");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream.send(Message::text(text.to_string())).await.expect("frame sent");
    }

    /// The next JSON frame, or the close code if the socket closes first.
    pub async fn next(&mut self) -> Result<Value, Closed> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.stream.next()).await.expect("a frame within the deadline");
            match msg {
                Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).expect("JSON frame")),
                Some(Ok(Message::Close(frame))) => {
                    return Err(Closed { code: frame.map(|f| u16::from(f.code)).unwrap_or(1005) });
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(Closed { code: 1006 }),
            }
        }
    }

    pub async fn frame(&mut self) -> Value {
        match self.next().await {
            Ok(v) => v,
            Err(c) => panic!("socket closed with {}", c.code),
        }
    }

    /// Skips frames until one satisfies `want`, returning it.
    pub async fn until(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = self.frame().await;
            if want(&frame) {
                return frame;
            }
        }
    }

    /// Skips frames until one of this type arrives.
    pub async fn until_type(&mut self, frame_type: &str) -> Value {
        self.until(|f| f["type"] == frame_type).await
    }

    /// Every frame arriving within `quiet` of the previous one.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut frames = Vec::new();
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(quiet, self.stream.next()).await {
            if let Message::Text(text) = msg {
                frames.push(serde_json::from_str(&text).expect("JSON frame"));
            }
        }
        frames
    }

    /// Closes the socket from the client side and waits for the server's answer.
    pub async fn close(mut self) {
        self.stream.close(None).await.expect("close sent");
        while let Ok(Some(Ok(_))) = tokio::time::timeout(WAIT, self.stream.next()).await {}
    }

    /// Waits for the socket to close, returning its close code.
    pub async fn closed(&mut self) -> u16 {
        let wait = async {
            loop {
                match self.stream.next().await {
                    Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)).unwrap_or(1005),
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return 1006,
                }
            }
        };
        tokio::time::timeout(WAIT * 3, wait).await.expect("the socket closes within the deadline")
    }
}

/// Opens a socket with a bare TCP client that never answers pings, and returns the close code
/// the server sends (tungstenite would answer pings by itself).
pub async fn silent_client(addr: std::net::SocketAddr, path: &str, token: &str) -> u16 {
    RawSocket::connect(addr, path, token, None).await.close_code().await
}

/// A socket over bare TCP: it never answers pings and reads only when asked to.
pub struct RawSocket {
    tcp: TcpStream,
    data: Vec<u8>,
}

impl RawSocket {
    /// Sends the upgrade request. `recv_buffer` shrinks the kernel's receive buffer, so that a
    /// client that stops reading pushes back on the server after a few kilobytes.
    pub async fn connect(addr: std::net::SocketAddr, path: &str, token: &str, recv_buffer: Option<u32>) -> Self {
        use tokio::io::AsyncWriteExt;
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        if let Some(size) = recv_buffer {
            // Before connecting: the window the client announces depends on it.
            socket.set_recv_buffer_size(size).expect("receive buffer size");
        }
        let mut tcp = socket.connect(addr).await.expect("connect");
        let handshake = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Authorization: Bearer {token}\r\n\r\n"
        );
        tcp.write_all(handshake.as_bytes()).await.expect("handshake sent");
        Self { tcp, data: Vec::new() }
    }

    /// Reads until the server's first frame (`welcome`) arrived: the socket has joined its feed.
    pub async fn welcome(&mut self) {
        let read = async {
            while server_frames(&self.data).is_empty() {
                assert!(self.read_some().await, "the server closed before its first frame");
            }
        };
        tokio::time::timeout(WAIT, read).await.expect("a first frame within the deadline");
    }

    /// Reads everything until the server ends the connection, and returns its close code.
    pub async fn close_code(mut self) -> u16 {
        let read_all = async { while self.read_some().await {} };
        tokio::time::timeout(WAIT, read_all).await.expect("the server closes the connection");
        let frames = server_frames(&self.data);
        match frames.iter().find(|(opcode, _)| *opcode == 0x8) {
            Some((_, payload)) => u16::from_be_bytes([payload[0], payload[1]]),
            None => panic!("no close frame among {} bytes", self.data.len()),
        }
    }

    /// `false` once the connection has ended.
    async fn read_some(&mut self) -> bool {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 16 * 1024];
        match self.tcp.read(&mut buf).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.data.extend_from_slice(&buf[..n]);
                true
            }
        }
    }
}

/// The complete frames after the upgrade answer, as (opcode, payload).
fn server_frames(data: &[u8]) -> Vec<(u8, &[u8])> {
    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else { return Vec::new() };
    assert!(data.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&data[..end]));
    // Server frames are unmasked: opcode, length (7 bits, or 16/64-bit extended), payload.
    let mut frames = Vec::new();
    let mut i = end + 4;
    while i + 2 <= data.len() {
        let (len, header) = match data[i + 1] & 0x7f {
            126 if i + 4 <= data.len() => (u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize, 4),
            127 if i + 10 <= data.len() => (u64::from_be_bytes(data[i + 2..i + 10].try_into().unwrap()) as usize, 10),
            126 | 127 => break,
            n => (n as usize, 2),
        };
        if i + header + len > data.len() {
            break;
        }
        frames.push((data[i] & 0x0f, &data[i + header..i + header + len]));
        i += header + len;
    }
    frames
}
