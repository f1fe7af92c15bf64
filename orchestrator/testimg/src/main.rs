//! `swarm-test-web`: the tiny HTTP server inside the `swarm-test/web` image.
//!
//! Answers every request with `task=<TASK_ID> node=<NODE_NAME> service=<SERVICE_NAME>\n`,
//! and every UDP datagram to the same port number with the same line, taken from the environment (`TASK_ID`/`NODE_NAME`/`SERVICE_NAME`, falling back to the
//! `SWARM_TASK_ID`/`SWARM_NODE_HOSTNAME`/`SWARM_SERVICE_NAME` variables the agent sets).
//!
//! Options: `--port N` (default 80, or `$PORT`), `--exit-immediately` (exit at once, for
//! update-failure tests), `--exit-code N` (the code used by `--exit-immediately` and
//! `--exit-after-ms`, default 0), `--exit-after-ms N` (serve, then exit after N ms),
//! `--probe NAME:PORT` (repeatable: be a client instead, see `probe`),
//! `--show-file PATH` (repeatable: print the file's mode, owner, length and hash first, see
//! `show_file`),
//! `--upstream NAME:PORT` (a front end: every HTTP request is answered with what one `GET /`
//! to NAME:PORT returned, `upstream=NAME:PORT ip=A got=<its line> <own line>`, or
//! `upstream=NAME:PORT error=...`; NAME is resolved by the task's nameserver on each request,
//! as a web app finds its database by service name),
//! `--chatter N` (print N numbered lines `chatter K/N` at start, for log throughput benches),
//! `--ignore-sigterm` (SIGTERM does nothing, so `docker stop` takes the whole grace period
//! and ends with SIGKILL, as with a PID 1 that installs no handler). Otherwise SIGTERM and
//! SIGINT end it with status 0, so `docker stop` is quick even as PID 1.

mod probe;
mod show_file;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::exit;
use std::time::Duration;

struct Options {
    port: u16,
    exit_immediately: bool,
    exit_code: i32,
    exit_after_ms: Option<u64>,
    ignore_sigterm: bool,
    probes: Vec<(String, u16)>,
    show_files: Vec<String>,
    upstream: Option<(String, u16)>,
    chatter: u64,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        port: std::env::var("PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(80),
        exit_immediately: false,
        exit_code: 0,
        exit_after_ms: None,
        ignore_sigterm: false,
        probes: Vec::new(),
        show_files: Vec::new(),
        upstream: None,
        chatter: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--port" => o.port = value("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--exit-immediately" => o.exit_immediately = true,
            "--chatter" => {
                o.chatter = value("--chatter")?.parse().map_err(|e| format!("--chatter: {e}"))?
            }
            "--ignore-sigterm" => o.ignore_sigterm = true,
            "--show-file" => o.show_files.push(value("--show-file")?),
            "--probe" => {
                let v = value("--probe")?;
                let (name, port) = v.rsplit_once(':').ok_or("--probe takes NAME:PORT")?;
                let port = port.parse().map_err(|e| format!("--probe port: {e}"))?;
                o.probes.push((name.to_string(), port));
            }
            "--upstream" => {
                let v = value("--upstream")?;
                let (name, port) = v.rsplit_once(':').ok_or("--upstream takes NAME:PORT")?;
                let port = port.parse().map_err(|e| format!("--upstream port: {e}"))?;
                o.upstream = Some((name.to_string(), port));
            }
            "--exit-code" => {
                o.exit_code = value("--exit-code")?.parse().map_err(|e| format!("--exit-code: {e}"))?
            }
            "--exit-after-ms" => {
                o.exit_after_ms =
                    Some(value("--exit-after-ms")?.parse().map_err(|e| format!("--exit-after-ms: {e}"))?)
            }
            other => return Err(format!("unknown argument {other:?} (use --port, --exit-immediately, --exit-code, --exit-after-ms, --ignore-sigterm, --probe, --show-file, --upstream, --chatter)")),
        }
    }
    Ok(o)
}

fn env_or(primary: &str, fallback: &str) -> String {
    std::env::var(primary)
        .or_else(|_| std::env::var(fallback))
        .unwrap_or_else(|_| "unknown".to_string())
}

fn answer(mut stream: TcpStream, body: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    // Read the request head up to the blank line; the body (if any) is ignored.
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
            Err(_) => return,
        }
    }
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        body
    );
    let _ = stream.write_all(resp.as_bytes());
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("swarm-test-web: {e}");
            exit(2);
        }
    };
    for f in &o.show_files {
        println!("{}", show_file::describe(f));
    }
    if o.exit_immediately {
        println!(
            "swarm-test-web: exiting immediately with status {}",
            o.exit_code
        );
        exit(o.exit_code);
    }
    // PID 1 of a container ignores a signal it installs no handler for.
    let handled: &[i32] = if o.ignore_sigterm {
        &[signal_hook::consts::SIGINT]
    } else {
        &[signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT]
    };
    let signals = signal_hook::iterator::Signals::new(handled);
    match signals {
        Ok(mut s) => {
            std::thread::spawn(move || {
                if let Some(sig) = s.forever().next() {
                    println!("swarm-test-web: signal {sig}, exiting");
                    exit(0);
                }
            });
        }
        Err(e) => eprintln!("swarm-test-web: cannot handle signals: {e}"),
    }
    if !o.probes.is_empty() {
        probe::run(&o.probes);
    }
    if o.chatter > 0 {
        let out = std::io::stdout();
        let mut out = std::io::BufWriter::new(out.lock());
        for k in 1..=o.chatter {
            let _ = writeln!(out, "chatter {k}/{}", o.chatter);
        }
        let _ = out.flush();
    }
    if let Some(ms) = o.exit_after_ms {
        let code = o.exit_code;
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            println!("swarm-test-web: exiting after {ms} ms with status {code}");
            exit(code);
        });
    }
    let body = format!(
        "task={} node={} service={}\n",
        env_or("TASK_ID", "SWARM_TASK_ID"),
        env_or("NODE_NAME", "SWARM_NODE_HOSTNAME"),
        env_or("SERVICE_NAME", "SWARM_SERVICE_NAME"),
    );
    let listener = match TcpListener::bind(("0.0.0.0", o.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("swarm-test-web: cannot listen on port {}: {e}", o.port);
            exit(1);
        }
    };
    match UdpSocket::bind(("0.0.0.0", o.port)) {
        Ok(udp) => {
            let body = body.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 1500];
                while let Ok((_, from)) = udp.recv_from(&mut buf) {
                    let _ = udp.send_to(body.as_bytes(), from);
                }
            });
        }
        Err(e) => eprintln!("swarm-test-web: no UDP on port {}: {e}", o.port),
    }
    println!("swarm-test-web: listening on port {}", o.port);
    let mut id: u16 = 1;
    for stream in listener.incoming().flatten() {
        let body = body.clone();
        id = id.wrapping_add(1);
        let upstream = o.upstream.clone();
        std::thread::spawn(move || match upstream {
            None => answer(stream, &body),
            Some((name, port)) => {
                let text = match probe::ask(&name, port, id) {
                    Ok((ip, got)) => format!("upstream={name}:{port} ip={ip} got={got} {body}"),
                    Err(e) => format!("upstream={name}:{port} error={e} {body}"),
                };
                answer(stream, &text)
            }
        });
    }
}
