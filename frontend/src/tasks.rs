//! Running many API calls a few at a time, without a futures combinator crate.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::rc::Rc;

use leptos::task::spawn_local;

/// Runs `task` on every item, at most `parallel` at once, in the background; then `done`.
pub fn run_parallel<T, F, Fut, D>(items: Vec<T>, parallel: usize, task: F, done: D)
where
    T: 'static,
    D: FnOnce() + 'static,
    F: Fn(T) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    if items.is_empty() {
        done();
        return;
    }
    let workers = parallel.clamp(1, items.len());
    let queue = Rc::new(RefCell::new(VecDeque::from(items)));
    let task = Rc::new(task);
    let running = Rc::new(Cell::new(workers));
    let done = Rc::new(RefCell::new(Some(done)));
    for _ in 0..workers {
        let queue = queue.clone();
        let task = task.clone();
        let running = running.clone();
        let done = done.clone();
        spawn_local(async move {
            loop {
                let next = queue.borrow_mut().pop_front();
                match next {
                    Some(item) => task(item).await,
                    None => break,
                }
            }
            running.set(running.get() - 1);
            if running.get() == 0 {
                let finish = done.borrow_mut().take();
                if let Some(finish) = finish {
                    finish();
                }
            }
        });
    }
}
