//! Glance v2 image members: the owner's calls (list, add, remove), the member's decision,
//! and the memory of what they tell of memberships ([`Memberships`]).

use serde::Deserialize;
use serde_json::json;

use super::{Error, Glance, Member, Memberships};
use crate::openstack::{Token, read_json};

#[derive(Deserialize)]
struct MemberPage {
    members: Vec<Member>,
}

impl Glance {
    /// This client then remembers in `memberships` what it learns of memberships (those it
    /// changes, those [`Glance::listed_member`] asks for) and forgets those it removes.
    pub fn remembering(mut self, memberships: Memberships) -> Self {
        self.memberships = Some(memberships);
        self
    }

    /// `member_id`'s membership of `image_id`, for a project whose own image list has just
    /// given it `listed`: as remembered while that status holds, otherwise asked of Glance once
    /// for every request that wants it meanwhile. The one that asks waits for `turn` first
    /// (a bound on calls in flight) and holds it while asking. `None` when Glance cannot say.
    pub async fn listed_member<T: Send + 'static>(
        &self,
        token: &Token,
        image_id: &str,
        member_id: &str,
        listed: json::MemberStatus,
        turn: impl Future<Output = T> + Send + 'static,
    ) -> Option<Member> {
        // Made only when Glance is to be asked: a remembered membership copies nothing.
        let ask = || {
            let (glance, token) = (self.clone(), token.clone());
            let (image_id, member_id) = (image_id.to_owned(), member_id.to_owned());
            async move {
                let _turn = turn.await;
                glance.member(&token, &image_id, &member_id).await.ok()
            }
        };
        match &self.memberships {
            Some(memory) => {
                let glance = self.v2.as_str();
                memory
                    .recall_or_ask(glance, image_id, member_id, listed, ask)
                    .await
            }
            None => ask().await,
        }
    }

    fn seen(&self, member: &Member) {
        if let Some(memory) = &self.memberships {
            memory.remember(self.v2.as_str(), member);
        }
    }

    /// The members the token's project may see: all of them for the owner, its own
    /// membership for a member.
    pub async fn members(&self, token: &Token, image_id: &str) -> Result<Vec<Member>, Error> {
        let url = self.image_url(Some(image_id), &["members"])?;
        let resp = self.call(token, self.http.get(url)).await?;
        let page: MemberPage = read_json(&self.service, resp).await?;
        Ok(page.members)
    }

    /// One membership: the owner may read any, a member only its own.
    pub async fn member(
        &self,
        token: &Token,
        image_id: &str,
        member_id: &str,
    ) -> Result<Member, Error> {
        let url = self.image_url(Some(image_id), &["members", member_id])?;
        let resp = self.call(token, self.http.get(url)).await?;
        Ok(read_json(&self.service, resp).await?)
    }

    pub async fn add_member(
        &self,
        token: &Token,
        image_id: &str,
        member_id: &str,
    ) -> Result<Member, Error> {
        let request = self
            .http
            .post(self.image_url(Some(image_id), &["members"])?)
            .json(&json!({ "member": member_id }));
        let resp = self.call(token, request).await?;
        let member = read_json(&self.service, resp).await?;
        self.seen(&member);
        Ok(member)
    }

    pub async fn remove_member(
        &self,
        token: &Token,
        image_id: &str,
        member_id: &str,
    ) -> Result<(), Error> {
        let url = self.image_url(Some(image_id), &["members", member_id])?;
        let removed = self.call(token, self.http.delete(url)).await.map(drop);
        // Forgotten whatever the answer: a call that failed may still have been made.
        if let Some(memory) = &self.memberships {
            memory.forget(self.v2.as_str(), image_id, member_id);
        }
        removed
    }

    /// The member project's decision on an image shared with it.
    pub async fn set_member_status(
        &self,
        token: &Token,
        image_id: &str,
        member_id: &str,
        status: json::MemberStatus,
    ) -> Result<Member, Error> {
        let request = self
            .http
            .put(self.image_url(Some(image_id), &["members", member_id])?)
            .json(&json!({ "status": status }));
        let resp = self.call(token, request).await?;
        let member = read_json(&self.service, resp).await?;
        self.seen(&member);
        Ok(member)
    }
}
