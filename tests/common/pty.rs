//! The real `casebook` binary in a pseudo-terminal: keys written as an agent types them, the
//! screen read back through a terminal emulator (vt100), waiting for text rather than sleeping.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};

pub const BIN: &str = env!("CARGO_BIN_EXE_casebook");

/// A home folder of its own for the console (data, config), and the environment naming it.
pub fn fresh_home() -> (tempfile::TempDir, Vec<(&'static str, PathBuf)>) {
    let home = tempfile::tempdir().unwrap();
    let env = vec![
        ("HOME", home.path().to_path_buf()),
        ("XDG_DATA_HOME", home.path().join("data")),
        ("XDG_CONFIG_HOME", home.path().join("config")),
    ];
    (home, env)
}

/// `casebook login` in that home; its stdout.
pub fn login(env: &[(&str, PathBuf)], server: &str, token: &str) -> String {
    let out = std::process::Command::new(BIN)
        .args(["login", "--server", server, "--token", token])
        .envs(env.iter().cloned())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `casebook sync` in that home, which must leave nothing waiting (exit 0); its stdout.
pub fn sync_clean(env: &[(&str, PathBuf)]) -> String {
    let out = std::process::Command::new(BIN).arg("sync").envs(env.iter().cloned()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{said}{}", String::from_utf8_lossy(&out.stderr));
    said
}

pub struct Console {
    pub parser: Arc<Mutex<vt100::Parser>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
    pub master: Box<dyn MasterPty + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    keys: Box<dyn Write + Send>,
    reading: Option<std::thread::JoinHandle<()>>,
}

impl Console {
    /// Starts `casebook <args>` in a `rows`×`cols` terminal with `env`.
    pub fn start(args: &[&str], env: &[(&str, PathBuf)], rows: u16, cols: u16) -> Console {
        let pair = native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.env("TERM", "xterm-256color");
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let keys = pair.master.take_writer().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw: Arc<Mutex<Vec<u8>>> = Arc::default();
        let (p, r) = (parser.clone(), raw.clone());
        let reading = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Console { parser, raw, master: pair.master, child, keys, reading: Some(reading) }
    }

    pub fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `what` (the console answers asynchronously).
    pub fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text();
            if text.contains(what) {
                return text;
            }
            assert!(Instant::now() < deadline, "the screen never showed `{what}`; it shows:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen no longer shows `what`.
    pub fn wait_for_gone(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text();
            if !text.contains(what) {
                return text;
            }
            assert!(Instant::now() < deadline, "the screen kept showing `{what}`:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `keys` (raw bytes: `\r` Enter, `\t` Tab, `\x13` Ctrl-s, `\x1b[C` →) and lets the
    /// console take them in.
    pub fn keys(&mut self, keys: &str) {
        self.keys.write_all(keys.as_bytes()).unwrap();
        self.keys.flush().unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
        self.parser.lock().unwrap().set_size(rows, cols);
    }

    /// Waits for the console to exit; its status.
    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < deadline, "the console did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the console wrote, once it has exited.
    pub fn finish(mut self) -> (String, bool) {
        drop(self.keys);
        drop(self.master);
        if let Some(r) = self.reading.take() {
            let _ = r.join();
        }
        let raw = String::from_utf8_lossy(&self.raw.lock().unwrap()).to_string();
        let alternate = self.parser.lock().unwrap().screen().alternate_screen();
        (raw, alternate)
    }
}
