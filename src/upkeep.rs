//! What the service does besides answering requests, each on a thread of its own: delivering
//! webhooks, and removing expired idempotency keys.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::db::{Pool, idempotency};

/// How often expired idempotency keys are removed.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The running upkeep; dropping it stops it (after the round in hand).
pub struct Upkeep {
    _workers: Vec<Periodic>,
}

/// Starts the upkeep of `pool`'s database.
pub fn start(pool: &Pool) -> Upkeep {
    let sweeping = pool.clone();
    let sweeper = every("idempotency-keys", SWEEP_EVERY, move || {
        if let Err(err) = sweep(&sweeping) {
            log::warn!("expired idempotency keys not removed: {err}");
        }
    });
    Upkeep { _workers: vec![crate::webhooks::delivery::start(pool.clone()), sweeper] }
}

/// Removes every expired idempotency key, a statement at a time, each on a connection taken
/// for it (a long backlog never keeps one from the requests).
fn sweep(pool: &Pool) -> Result<(), crate::error::Error> {
    while idempotency::sweep(&mut *pool.get()?)? == idempotency::SWEPT_AT_MOST {}
    Ok(())
}

/// A thread doing one round of work at once and then every `period`; dropping it stops it.
pub struct Periodic {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Periodic {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts `round` on a thread called `name`, at once and then every `period`.
pub fn every(name: &str, period: Duration, mut round: impl FnMut() + Send + 'static) -> Periodic {
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            round();
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
                round();
            }
        })
        .expect("a thread starts");
    Periodic { stop: Some(stop), thread: Some(thread) }
}
