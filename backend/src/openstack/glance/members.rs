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
    /// This client then remembers every membership it reads or changes in `memberships`, and
    /// forgets those it removes, for [`Glance::remembered_member`].
    pub fn remembering(mut self, memberships: Memberships) -> Self {
        self.memberships = Some(memberships);
        self
    }

    /// `member_id`'s membership of `image_id` as this client's memory last saw it, if the
    /// project's own image list gives it `listed` now; no call to Glance.
    pub fn remembered_member(
        &self,
        image_id: &str,
        member_id: &str,
        listed: json::MemberStatus,
    ) -> Option<Member> {
        let memory = self.memberships.as_ref()?;
        memory.recall(self.v2.as_str(), image_id, member_id, listed)
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
        let member = read_json(&self.service, resp).await?;
        self.seen(&member);
        Ok(member)
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
