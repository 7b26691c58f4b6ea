//! Running many API calls a few at a time.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;

/// Runs `task` on every item, at most `parallel` at once; returns when all are done.
pub async fn run_parallel<T, F, Fut>(items: Vec<T>, parallel: usize, task: F)
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = ()>,
{
    let workers = parallel.clamp(1, items.len().max(1));
    let queue = RefCell::new(VecDeque::from(items));
    let worker = || async {
        loop {
            let next = queue.borrow_mut().pop_front();
            match next {
                Some(item) => task(item).await,
                None => break,
            }
        }
    };
    futures::future::join_all((0..workers).map(|_| worker())).await;
}
