//! Bounded pools for work that must not run on the async executor:
//! password hashing, PDF rendering, file reads and writes.
//!
//! A pool is a fixed set of threads with a bounded queue in front of it.
//! Work that finds the queue full is refused at once with
//! [`PoolError::Busy`] and an estimate of when to come back (the caller
//! answers 503 with `Retry-After`), instead of growing a thread per waiting
//! request as tokio's and actix's blocking pools do (up to 512 each, every
//! one keeping its allocator arena). So the threads, and what each holds,
//! are bounded by the settings, whatever the load.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Why work did not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The queue is full: try again after `retry_after`.
    #[error("the {pool} pool is busy; retry in {retry_after:?}")]
    Busy {
        pool: &'static str,
        retry_after: Duration,
    },
    /// The work panicked, or the pool has stopped.
    #[error("the {pool} pool lost the work (it panicked or the pool stopped)")]
    Lost { pool: &'static str },
}

/// What a pool's threads share: the queue depth and how long work takes.
struct Gauge {
    /// Jobs accepted and not yet finished (queued or running).
    pending: AtomicUsize,
    /// A moving average of one job's run time, in microseconds.
    avg_micros: AtomicU64,
}

/// A fixed number of threads behind a queue of a fixed length.
pub struct WorkPool {
    name: &'static str,
    threads: usize,
    queue: usize,
    sender: SyncSender<Job>,
    gauge: Arc<Gauge>,
}

impl std::fmt::Debug for WorkPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkPool")
            .field("name", &self.name)
            .field("threads", &self.threads)
            .field("queue", &self.queue)
            .field("pending", &self.pending())
            .finish()
    }
}

impl WorkPool {
    /// Starts `threads` threads (at least one) named `ce-{name}-{i}`, with
    /// room for `queue` jobs waiting beyond those running. The threads end
    /// when the pool is dropped and the queue is empty.
    pub fn new(name: &'static str, threads: usize, queue: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        // `sync_channel(n)` holds n jobs; the ones running are off it.
        let (sender, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(std::sync::Mutex::new(receiver));
        let gauge = Arc::new(Gauge {
            pending: AtomicUsize::new(0),
            avg_micros: AtomicU64::new(0),
        });
        for i in 0..threads {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("ce-{name}-{i}"))
                // Work here is hashing, PDF layout and file copies: no deep
                // recursion; 2 MiB is Rust's default too, stated to be sure.
                .stack_size(2 * 1024 * 1024)
                .spawn(move || {
                    loop {
                        // The lock is held only to take one job.
                        let job = match receiver.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the pool was dropped
                        }
                    }
                })?;
        }
        Ok(Self {
            name,
            threads,
            queue,
            sender,
            gauge,
        })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Jobs accepted and not finished.
    pub fn pending(&self) -> usize {
        self.gauge.pending.load(Ordering::Relaxed)
    }

    /// How long a job arriving now would wait, from the queue depth and
    /// the recent run time (at least a second, as `Retry-After` counts).
    fn retry_after(&self) -> Duration {
        let avg = Duration::from_micros(self.gauge.avg_micros.load(Ordering::Relaxed).max(1));
        let ahead = (self.pending() as u32).max(1);
        let wait = avg * ahead / self.threads as u32;
        Duration::from_secs(wait.as_secs_f64().ceil().max(1.0) as u64)
    }

    /// Runs `f` on one of the pool's threads and waits for its result,
    /// without blocking the async executor. Refused at once with
    /// [`PoolError::Busy`] when the queue is full. A panic in `f` is caught
    /// (the thread lives on) and reported as [`PoolError::Lost`].
    pub async fn run<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let gauge = self.gauge.clone();
        let job: Job = Box::new(move || {
            // Nobody waits any more (the request was dropped): skip it.
            let result = (!tx.is_closed()).then(|| {
                let started = Instant::now();
                let result = catch_unwind(AssertUnwindSafe(f));
                let took = started.elapsed().as_micros().min(u64::MAX as u128) as u64;
                // An exponential moving average, 1/8 weight for the newest.
                let old = gauge.avg_micros.load(Ordering::Relaxed);
                let new = if old == 0 {
                    took
                } else {
                    old - old / 8 + took / 8
                };
                gauge.avg_micros.store(new, Ordering::Relaxed);
                result
            });
            // Done before the answer, so the one waiting sees it counted.
            gauge.pending.fetch_sub(1, Ordering::Relaxed);
            if let Some(Ok(value)) = result {
                let _ = tx.send(value);
            }
        });
        self.gauge.pending.fetch_add(1, Ordering::Relaxed);
        match self.sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.gauge.pending.fetch_sub(1, Ordering::Relaxed);
                return Err(PoolError::Busy {
                    pool: self.name,
                    retry_after: self.retry_after(),
                });
            }
            Err(TrySendError::Disconnected(_)) => {
                self.gauge.pending.fetch_sub(1, Ordering::Relaxed);
                return Err(PoolError::Lost { pool: self.name });
            }
        }
        rx.await.map_err(|_| PoolError::Lost { pool: self.name })
    }
}

/// A bound on requests that hold a lot at once (a push's items, an
/// uploaded file): at most `permits` inside; a request that cannot enter
/// within `wait` is refused with [`PoolError::Busy`] (503, `Retry-After`).
#[derive(Debug)]
pub struct Gate {
    name: &'static str,
    permits: Arc<tokio::sync::Semaphore>,
    wait: Duration,
}

impl Gate {
    pub fn new(name: &'static str, permits: usize, wait: Duration) -> Self {
        Self {
            name,
            permits: Arc::new(tokio::sync::Semaphore::new(permits.max(1))),
            wait,
        }
    }

    /// Waits up to the gate's `wait` for a place; the place is given back
    /// when the returned permit is dropped.
    pub async fn enter(&self) -> Result<tokio::sync::OwnedSemaphorePermit, PoolError> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(PoolError::Lost { pool: self.name }),
            Err(_) => Err(PoolError::Busy {
                pool: self.name,
                retry_after: Duration::from_secs(1),
            }),
        }
    }

    /// Places free now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

impl WorkPool {
    /// [`WorkPool::run`], waiting for room instead of being refused, for
    /// work that must not fail on a busy pool (start-up); gives up as
    /// `Busy` after `patience`.
    pub async fn run_patiently<T, F>(&self, f: F, patience: Duration) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + Clone + 'static,
        T: Send + 'static,
    {
        let deadline = Instant::now() + patience;
        loop {
            match self.run(f.clone()).await {
                Err(PoolError::Busy { .. }) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    #[tokio::test]
    async fn runs_work_and_returns_its_result() {
        let pool = WorkPool::new("t", 2, 4).unwrap();
        assert_eq!(pool.run(|| 6 * 7).await, Ok(42));
        let name = pool
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("ce-t-"));
        assert_eq!(pool.pending(), 0);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_with_a_retry_time() {
        // One thread, held by a job that waits on a barrier; room for one more.
        let pool = Arc::new(WorkPool::new("t", 1, 1).unwrap());
        let gate = Arc::new(Barrier::new(2));
        let held = {
            let (pool, gate) = (pool.clone(), gate.clone());
            tokio::spawn(async move { pool.run(move || gate.wait()).await })
        };
        while pool.pending() < 1 {
            tokio::task::yield_now().await;
        }
        // Give the thread time to take the first job off the queue.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let queued = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| 1).await })
        };
        while pool.pending() < 2 {
            tokio::task::yield_now().await;
        }
        let refused = pool.run(|| 2).await;
        match refused {
            Err(PoolError::Busy {
                pool: "t",
                retry_after,
            }) => {
                assert!(retry_after >= Duration::from_secs(1))
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        gate.wait();
        assert!(held.await.unwrap().is_ok());
        assert_eq!(queued.await.unwrap(), Ok(1));
    }

    #[tokio::test]
    async fn a_panic_is_reported_and_the_thread_lives_on() {
        let pool = WorkPool::new("t", 1, 1).unwrap();
        let r: Result<(), _> = pool.run(|| panic!("boom")).await;
        assert_eq!(r, Err(PoolError::Lost { pool: "t" }));
        assert_eq!(pool.run(|| 5).await, Ok(5));
    }

    #[tokio::test]
    async fn a_gate_lets_in_its_permits_and_refuses_after_the_wait() {
        let gate = Gate::new("g", 2, Duration::from_millis(50));
        let a = gate.enter().await.unwrap();
        let _b = gate.enter().await.unwrap();
        assert_eq!(gate.available(), 0);
        let started = Instant::now();
        match gate.enter().await {
            Err(PoolError::Busy {
                pool: "g",
                retry_after,
            }) => {
                assert_eq!(retry_after, Duration::from_secs(1))
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        assert!(started.elapsed() >= Duration::from_millis(50));
        drop(a);
        assert!(gate.enter().await.is_ok());
    }

    #[test]
    fn threads_end_when_the_pool_is_dropped() {
        let pool = WorkPool::new("drop", 2, 1).unwrap();
        drop(pool);
        // The threads see the closed queue and return; nothing to join, but
        // no thread named ce-drop-* may remain after a moment.
        std::thread::sleep(Duration::from_millis(100));
        let tasks = std::fs::read_dir("/proc/self/task").unwrap();
        for t in tasks.flatten() {
            let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            assert!(!comm.starts_with("ce-drop-"), "{comm}");
        }
    }
}
