//! Changes (PATCH, POST, PUT, DELETE) go through a Leptos `Action`: its pending state and its
//! result come for free. Every change is the same `Action` type, what to do travelling with
//! each dispatch as a boxed future: each distinct `Action<I, O>` type costs about 1 KB (gzip)
//! of wasm, and the size budget has no room for a dozen of them.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;

use crate::api::ApiError;

/// What a change came to.
pub type Outcome = Result<(), ApiError>;

/// One dispatch: the work, taken once by the action.
pub struct Job(RefCell<Option<Pin<Box<dyn Future<Output = Outcome>>>>>);

/// A change the page makes: `run` it, read its `pending()` and its `failure()`.
pub type Change = Action<Job, Outcome>;

/// A new change for a component (it ends with the component).
pub fn change() -> Change {
    Action::new_local(|job: &Job| {
        let work = job.0.borrow_mut().take();
        async move {
            match work {
                Some(work) => work.await,
                None => Ok(()),
            }
        }
    })
}

pub trait Run {
    /// Starts `work`; `pending()` is true until it ends.
    fn run(&self, work: impl Future<Output = Outcome> + 'static);
    /// The error of the last run, None while one runs or when it worked.
    fn failure(&self) -> Signal<Option<ApiError>>;
}

impl Run for Change {
    fn run(&self, work: impl Future<Output = Outcome> + 'static) {
        self.dispatch_local(Job(RefCell::new(Some(Box::pin(work)))));
    }

    fn failure(&self) -> Signal<Option<ApiError>> {
        let this = *self;
        crate::i18n::derived(std::sync::Arc::new(move || {
            if this.pending().get() {
                return None;
            }
            this.value().get().and_then(Result::err)
        }))
    }
}
