//! Running many API calls a few at a time.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs `task` on every item, at most `parallel` at once; returns when all are done.
pub async fn run_parallel<T, F, Fut>(items: Vec<T>, parallel: usize, task: F)
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = ()>,
{
    let workers = parallel.clamp(1, items.len().max(1));
    let queue = RefCell::new(VecDeque::from(items));
    let (queue, task) = (&queue, &task);
    let worker = || async move {
        loop {
            let next = queue.borrow_mut().pop_front();
            match next {
                Some(item) => task(item).await,
                None => break,
            }
        }
    };
    All((0..workers)
        .map(|_| Some(Box::pin(worker()) as Pin<Box<dyn Future<Output = ()> + '_>>))
        .collect())
    .await;
}

/// Polls every future until all are done (erased: one small poll loop for every use; the
/// `futures` crate's `join_all` weighs several KB of wasm).
struct All<'a>(Vec<Option<Pin<Box<dyn Future<Output = ()> + 'a>>>>);

impl Future for All<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut pending = false;
        for slot in self.0.iter_mut() {
            if let Some(f) = slot {
                if f.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    pending = true;
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}
