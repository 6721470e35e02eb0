//! Protocol tests over socketpairs and real socket paths.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use crate::frame::{recv_frame, send_frame};
use crate::{methods, serve_connection, Client, Error, RemoteError, Request, Response, Server};

/// A handler exercising the features under test.
fn handler(mut req: Request) -> Response {
    match req.method.as_str() {
        "test.Echo" => Ok((req.params, Vec::new())),
        // Writes params.text through the single FD passed with the request.
        "test.WriteFd" => {
            req.expect_fds(1)?;
            let text: String = req.params()?;
            let mut f = File::from(req.fds.remove(0));
            f.write_all(text.as_bytes())
                .map_err(|e| RemoteError::internal(e.to_string()))?;
            Ok((Value::Null, Vec::new()))
        }
        // Returns the read end of a pipe holding params.text.
        "test.GivePipe" => {
            let text: String = req.params()?;
            let (r, w) = rustix::pipe::pipe().map_err(|e| RemoteError::internal(e.to_string()))?;
            File::from(w)
                .write_all(text.as_bytes())
                .map_err(|e| RemoteError::internal(e.to_string()))?;
            Ok((json!("here"), vec![r]))
        }
        "test.Sleep" => {
            thread::sleep(Duration::from_millis(req.params()?));
            Ok((Value::Null, Vec::new()))
        }
        "test.Panic" => panic!("handler panic on purpose"),
        "test.Huge" => Ok((json!("x".repeat(2 << 20)), Vec::new())),
        methods::SANDBOX_PING => Ok((json!("pong"), Vec::new())),
        other => Err(RemoteError::unknown_method(other)),
    }
}

/// A client connected to a server thread through a socketpair.
fn pair() -> Client {
    let (a, b) = UnixStream::pair().unwrap();
    thread::spawn(move || serve_connection(b, &handler, crate::DEFAULT_MAX_MESSAGE_SIZE));
    Client::from_stream(a)
}

/// A client whose peer is driven by hand, to send malformed replies.
fn raw_pair() -> (Client, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    (Client::from_stream(a), b)
}

fn scratch_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "urpc-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read_all(fd: OwnedFd) -> String {
    let mut s = String::new();
    File::from(fd).read_to_string(&mut s).unwrap();
    s
}

#[test]
fn round_trip() {
    let mut c = pair();
    let params = json!({"id": "web", "n": [1, 2, 3], "nested": {"ok": null}});
    let got: Value = c.call_simple("test.Echo", &params).unwrap();
    assert_eq!(got, params);
    // Several calls on one connection stay in step.
    for i in 0..50 {
        let got: u32 = c.call_simple("test.Echo", &i).unwrap();
        assert_eq!(got, i);
    }
    let pong: String = c.call_simple(methods::SANDBOX_PING, &()).unwrap();
    assert_eq!(pong, "pong");
}

#[test]
fn fd_passed_to_server_is_usable() {
    let mut c = pair();
    let (r, w) = rustix::pipe::pipe().unwrap();
    let ((), fds): ((), _) = c
        .call("test.WriteFd", "through the pipe", &[w.as_fd()])
        .unwrap();
    assert!(fds.is_empty());
    drop(w); // the server's copy is closed too, so the reader sees EOF
    assert_eq!(read_all(r), "through the pipe");
}

#[test]
fn fd_returned_by_server_is_usable_and_cloexec() {
    let mut c = pair();
    let (reply, mut fds): (String, _) = c.call("test.GivePipe", "from the sandbox", &[]).unwrap();
    assert_eq!(reply, "here");
    assert_eq!(fds.len(), 1);
    let fd = fds.remove(0);
    let flags = rustix::io::fcntl_getfd(&fd).unwrap();
    assert!(
        flags.contains(rustix::io::FdFlags::CLOEXEC),
        "received FD must be close-on-exec"
    );
    assert_eq!(read_all(fd), "from the sandbox");
}

#[test]
fn call_simple_rejects_unexpected_fds() {
    let mut c = pair();
    match c.call_simple::<_, String>("test.GivePipe", "x") {
        Err(Error::Protocol(m)) => assert!(m.contains("unexpected file descriptors"), "{m}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[test]
fn remote_error_is_a_value_and_connection_survives() {
    let mut c = pair();
    match c.call_simple::<_, Value>("test.Nope", &()) {
        Err(Error::Remote {
            method,
            kind,
            message,
        }) => {
            assert_eq!(method, "test.Nope");
            assert_eq!(kind, crate::kinds::UNKNOWN_METHOD);
            assert!(message.contains("test.Nope"), "{message}");
        }
        other => panic!("expected a remote error, got {other:?}"),
    }
    // Bad params and wrong FD counts are remote errors too.
    match c.call_simple::<_, Value>("test.WriteFd", &"no fd") {
        Err(Error::Remote { kind, .. }) => assert_eq!(kind, crate::kinds::INVALID_PARAMS),
        other => panic!("{other:?}"),
    }
    let got: String = c.call_simple("test.Echo", "still fine").unwrap();
    assert_eq!(got, "still fine");
}

#[test]
fn handler_panic_becomes_internal_error() {
    let mut c = pair();
    match c.call_simple::<_, Value>("test.Panic", &()) {
        Err(Error::Remote { kind, .. }) => assert_eq!(kind, crate::kinds::INTERNAL),
        other => panic!("{other:?}"),
    }
    let got: u8 = c.call_simple("test.Echo", &7u8).unwrap();
    assert_eq!(got, 7);
}

#[test]
fn oversize_reply_rejected_without_allocation() {
    let (mut c, peer) = raw_pair();
    let t = thread::spawn(move || {
        let _req = recv_frame(peer.as_fd(), 1 << 20).unwrap();
        // Announce 3 GiB; the client must refuse before reading or allocating it.
        let header = (3u32 << 30).to_le_bytes();
        (&peer).write_all(&header).unwrap();
        peer
    });
    match c.call_simple::<_, Value>("test.Echo", &()) {
        Err(Error::TooLarge(n)) => assert_eq!(n, 3 << 30),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    drop(t.join().unwrap());
    // The connection is out of step now; the client refuses to reuse it.
    assert!(matches!(
        c.call_simple::<_, Value>("test.Echo", &()),
        Err(Error::Protocol(_))
    ));
}

#[test]
fn oversize_reply_from_real_server_is_too_large_for_small_client_limit() {
    let mut c = pair();
    c.set_max_message_size(1024);
    match c.call_simple::<_, Value>("test.Echo", &"y".repeat(2000)) {
        Err(Error::TooLarge(n)) => assert!(n > 2000),
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_refuses_to_send_reply_over_its_limit() {
    let mut c = pair();
    c.set_max_message_size(8 << 20);
    match c.call_simple::<_, Value>("test.Huge", &()) {
        Err(Error::Remote { kind, message, .. }) => {
            assert_eq!(kind, crate::kinds::INTERNAL);
            assert!(message.contains("limit"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_drops_connection_on_oversize_request() {
    let (a, b) = UnixStream::pair().unwrap();
    let t = thread::spawn(move || serve_connection(b, &handler, 64));
    let mut c = Client::from_stream(a);
    c.set_max_message_size(1 << 20);
    // The client's own limit allows it; the server's (64 bytes) does not.
    let _ = c.call_simple::<_, Value>("test.Echo", &"z".repeat(500));
    t.join().unwrap(); // the server side returned instead of allocating or hanging
}

#[test]
fn truncated_reply_is_protocol_error() {
    let (mut c, peer) = raw_pair();
    let t = thread::spawn(move || {
        let _req = recv_frame(peer.as_fd(), 1 << 20).unwrap();
        (&peer).write_all(&100u32.to_le_bytes()).unwrap();
        (&peer).write_all(b"{\"ok\":").unwrap();
        // peer dropped: EOF in the middle of the body
    });
    match c.call_simple::<_, Value>("test.Echo", &()) {
        Err(Error::Protocol(m)) => assert!(m.contains("6 of 100"), "{m}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    t.join().unwrap();

    // EOF inside the header.
    let (mut c, peer) = raw_pair();
    let t = thread::spawn(move || {
        let _req = recv_frame(peer.as_fd(), 1 << 20).unwrap();
        (&peer).write_all(&[1, 0]).unwrap();
    });
    assert!(matches!(
        c.call_simple::<_, Value>("x.Y", &()),
        Err(Error::Protocol(_))
    ));
    t.join().unwrap();

    // EOF before any reply.
    let (mut c, peer) = raw_pair();
    let t = thread::spawn(move || {
        let _req = recv_frame(peer.as_fd(), 1 << 20).unwrap();
    });
    assert!(matches!(
        c.call_simple::<_, Value>("x.Y", &()),
        Err(Error::Closed)
    ));
    t.join().unwrap();
}

/// Sends `body` with `fds` copies of a pipe's read end as the reply to one `call`;
/// returns the client's result. When the call fails, checks that every received FD was
/// closed.
fn reply_with(body: &'static [u8], fds: usize) -> Result<(Value, Vec<OwnedFd>), Error> {
    let (mut c, peer) = raw_pair();
    let t = thread::spawn(move || {
        let _req = recv_frame(peer.as_fd(), 1 << 20).unwrap();
        let (r, w) = rustix::pipe::pipe().unwrap();
        let send = vec![r.as_fd(); fds];
        send_frame(peer.as_fd(), body, &send).unwrap();
        // Keep the peer open until the client is done so EOF is not the failure.
        let mut buf = [0u8; 1];
        let _ = (&peer).read(&mut buf);
        (r, w)
    });
    let result = c.call::<_, Value>("test.Any", &(), &[]);
    drop(c);
    let (r, w) = t.join().unwrap();
    if result.is_err() {
        // Once our own read end is gone, a write fails with EPIPE only if no read end is
        // left anywhere, i.e. the client closed every copy it received.
        drop(r);
        let err = rustix::io::write(&w, b"x").unwrap_err();
        assert_eq!(err, rustix::io::Errno::PIPE, "client leaked a received FD");
    }
    result
}

#[test]
fn wrong_number_of_fds_is_protocol_error_and_fds_are_closed() {
    // The right count is accepted.
    let (v, fds) = reply_with(b"{\"ok\":1,\"fds\":2}", 2).unwrap();
    assert_eq!((v, fds.len()), (Value::from(1), 2));
    // Announces none, carries two.
    assert!(matches!(
        reply_with(b"{\"ok\":1}", 2),
        Err(Error::Protocol(_))
    ));
    // Announces two, carries one.
    assert!(matches!(
        reply_with(b"{\"ok\":1,\"fds\":2}", 1),
        Err(Error::Protocol(_))
    ));
    // Announces one, carries none.
    assert!(matches!(
        reply_with(b"{\"ok\":1,\"fds\":1}", 0),
        Err(Error::Protocol(_))
    ));
    // An error reply must not carry FDs.
    assert!(matches!(
        reply_with(b"{\"err\":{\"kind\":\"a\",\"message\":\"b\"},\"fds\":1}", 1),
        Err(Error::Protocol(_))
    ));
    // Close to the kernel's per-message limit (253), everything still arrives.
    let (_, fds) = reply_with(b"{\"ok\":1,\"fds\":250}", 250).unwrap();
    assert_eq!(fds.len(), 250);
}

#[test]
fn too_many_fds_refused_before_sending() {
    let mut c = pair();
    let pipes: Vec<_> = (0..crate::MAX_FDS + 1)
        .map(|_| rustix::pipe::pipe().unwrap())
        .collect();
    let fds: Vec<_> = pipes.iter().map(|(r, _)| r.as_fd()).collect();
    match c.call::<_, Value>("test.Echo", &(), &fds) {
        Err(Error::Protocol(m)) => assert!(m.contains("254"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn garbage_json_is_protocol_error() {
    for body in [
        &b"not json"[..],
        b"{\"ok\": 1",
        b"\xff\xfe",
        b"",
        b"42",
        b"{\"neither\":1}",
    ] {
        let (mut c, peer) = raw_pair();
        let t = thread::spawn(move || {
            let _req = recv_frame(peer.as_fd(), 1 << 20).unwrap();
            send_frame(peer.as_fd(), body, &[]).unwrap();
        });
        match c.call_simple::<_, Value>("test.Echo", &()) {
            Err(Error::Protocol(_)) => {}
            other => panic!(
                "{:?}: expected a protocol error, got {other:?}",
                String::from_utf8_lossy(body)
            ),
        }
        t.join().unwrap();
    }
}

#[test]
fn reply_of_wrong_type_is_protocol_error() {
    let mut c = pair();
    match c.call_simple::<_, u32>("test.Echo", "not a number") {
        Err(Error::Protocol(m)) => assert!(m.contains("test.Echo"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn read_timeout() {
    let mut c = pair();
    c.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    assert!(matches!(
        c.call_simple::<_, Value>("test.Sleep", &2000u64),
        Err(Error::Timeout)
    ));
}

#[test]
fn server_rejects_malformed_request_with_error_reply() {
    let (a, b) = UnixStream::pair().unwrap();
    let t = thread::spawn(move || serve_connection(b, &handler, 1 << 20));
    send_frame(a.as_fd(), b"{\"no_method\":true}", &[]).unwrap();
    let (body, fds) = recv_frame(a.as_fd(), 1 << 20).unwrap().unwrap();
    assert!(fds.is_empty());
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["err"]["kind"], crate::kinds::PROTOCOL);
    // ...and then hangs up.
    assert!(recv_frame(a.as_fd(), 1 << 20).unwrap().is_none());
    t.join().unwrap();

    // A request whose FD count does not match what arrived.
    let (a, b) = UnixStream::pair().unwrap();
    let t = thread::spawn(move || serve_connection(b, &handler, 1 << 20));
    let (r, _w) = rustix::pipe::pipe().unwrap();
    send_frame(
        a.as_fd(),
        br#"{"method":"test.Echo","fds":0}"#,
        &[r.as_fd()],
    )
    .unwrap();
    let (body, _) = recv_frame(a.as_fd(), 1 << 20).unwrap().unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["err"]["kind"], crate::kinds::PROTOCOL);
    t.join().unwrap();
}

#[test]
fn server_on_path_serves_and_closes() {
    let dir = scratch_dir("path");
    let sock = dir.join("control.sock");
    let server = Server::bind(&sock).unwrap();
    let (accept, closer) = server.spawn(handler).unwrap();
    let mut c1 = Client::connect(&sock).unwrap();
    let mut c2 = Client::connect(&sock).unwrap();
    // A blocking call on one connection does not hold up another.
    let slow = thread::spawn(move || c1.call_simple::<_, Value>("test.Sleep", &300u64));
    let got: String = c2.call_simple("test.Echo", "quick").unwrap();
    assert_eq!(got, "quick");
    slow.join().unwrap().unwrap();

    closer.close();
    accept.join().unwrap().unwrap();
    // Connected clients keep working; new connections are not served.
    let got: String = c2.call_simple("test.Echo", "after close").unwrap();
    assert_eq!(got, "after close");
    assert!(
        Client::connect(&sock).is_err() || {
            let mut late = Client::connect(&sock).unwrap();
            late.call_simple::<_, Value>("test.Echo", &()).is_err()
        }
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn long_socket_path() {
    let mut dir = scratch_dir("long");
    let base = dir.clone();
    while dir.as_os_str().len() < 150 {
        dir.push("a-rather-long-directory-name");
    }
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("control-socket-for-sandbox.sock");
    assert!(sock.as_os_str().len() > 108);
    assert!(!crate::addr::fits_sockaddr(&sock));
    let server = Server::bind(&sock).unwrap();
    assert!(sock.exists(), "socket file must be at the long path itself");
    let (accept, closer) = server.spawn(handler).unwrap();
    let mut c = Client::connect(&sock).unwrap();
    let got: String = c.call_simple("test.Echo", "long").unwrap();
    assert_eq!(got, "long");

    // A socket file name so long that only connecting through the socket's own O_PATH
    // FD can reach it. Bind it via a short path first, then rename it into place.
    let short = base.join("s.sock");
    let listener = crate::addr::bind(&short).unwrap();
    let long_name = dir.join("n".repeat(120));
    std::fs::rename(&short, &long_name).unwrap();
    let server2 = Server::from_listener(listener);
    let (accept2, closer2) = server2.spawn(handler).unwrap();
    let mut c = Client::connect(&long_name).unwrap();
    let got: String = c.call_simple("test.Echo", "longer").unwrap();
    assert_eq!(got, "longer");
    // Binding at such a name is refused with a clear error rather than truncated.
    match crate::addr::bind(&dir.join("m".repeat(120))) {
        Err(Error::Io { context, .. }) => assert!(context.contains("binding"), "{context}"),
        other => panic!("{other:?}"),
    }

    closer.close();
    closer2.close();
    accept.join().unwrap().unwrap();
    accept2.join().unwrap().unwrap();
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn server_from_donated_fd() {
    let dir = scratch_dir("fd");
    let sock = dir.join("c.sock");
    let listener = crate::addr::bind(&sock).unwrap();
    let fd: OwnedFd = listener.into();
    let server = Server::from_fd(fd).unwrap();
    let (accept, closer) = server.spawn(handler).unwrap();
    let mut c = Client::connect(&sock).unwrap();
    let got: String = c.call_simple(methods::SANDBOX_PING, &()).unwrap();
    assert_eq!(got, "pong");
    closer.close();
    accept.join().unwrap().unwrap();

    // A non-listening socket is refused.
    let (a, _b) = UnixStream::pair().unwrap();
    assert!(Server::from_fd(a.into()).is_err());
    // So is something that is not a socket at all.
    let f = File::open("/dev/null").unwrap();
    assert!(Server::from_fd(f.into()).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn connect_to_missing_socket_names_the_path() {
    let dir = scratch_dir("missing");
    let sock = dir.join("absent.sock");
    match Client::connect(&sock) {
        Err(e @ Error::Io { .. }) => {
            let msg = e.to_string();
            assert_eq!(
                msg,
                format!(
                    "connecting to control socket {}: No such file or directory",
                    sock.display()
                )
            );
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn many_fds_in_one_call() {
    let mut c = pair();
    let pipes: Vec<_> = (0..40).map(|_| rustix::pipe::pipe().unwrap()).collect();
    let fds: Vec<_> = pipes.iter().map(|(_, w)| w.as_fd()).collect();
    // test.Echo ignores FDs; the server closes them when the request is dropped.
    let (v, back): (Value, _) = c.call("test.Echo", &json!(1), &fds).unwrap();
    assert_eq!(v, json!(1));
    assert!(back.is_empty());
    for (r, w) in pipes {
        drop(w);
        // EOF proves the server did not keep the write end.
        assert_eq!(read_all(r), "");
    }
}

#[test]
fn large_messages_cross_partial_reads_and_writes() {
    // Far above a socketpair's buffer, so both sides see short reads and writes; the FD
    // rides with the first chunk only.
    let mut c = pair();
    let big = "q".repeat(900 * 1024);
    let (r, w) = rustix::pipe::pipe().unwrap();
    let (got, back): (String, _) = c.call("test.Echo", &big, &[w.as_fd()]).unwrap();
    assert_eq!(got.len(), big.len());
    assert!(got == big);
    assert!(back.is_empty());
    drop(w);
    assert_eq!(read_all(r), "", "server closed the FD it did not use");
    // And the connection is still in step.
    let got: String = c.call_simple("test.Echo", "small").unwrap();
    assert_eq!(got, "small");
}
