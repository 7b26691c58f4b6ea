//! The image-sharing guide, `openstack image …` step by step, through Glimpse's API.

use json::{AddMembers, MemberDecision, MemberStatus, Visibility};
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{OpenStack, project_id, spawn_app, unique};

#[tokio::test]
async fn the_sharing_guide_end_to_end() {
    let app = spawn_app().await;
    let name = unique("guide");
    let image = OpenStack::image("RegionOne", "alice", "project-a", &name, "private").await;
    let alice = app.sign_in("alice", "project-a").await;
    let bob = app.sign_in("bob", "project-b").await;

    // `openstack image list --private`: alice sees her private image.
    let mine = alice.images("region=RegionOne&owner=me").await;
    let listed = mine
        .iter()
        .find(|i| i.id == image)
        .expect("alice lists her image");
    assert_eq!(listed.visibility, Visibility::Private);
    assert_eq!(listed.owner_name.as_deref(), Some("project-a"));
    // bob does not.
    assert!(
        !bob.images("region=RegionOne&owner=all&member_status=all")
            .await
            .iter()
            .any(|i| i.id == image)
    );

    // `openstack image set --shared`
    let r = alice
        .patch(
            &format!("/api/v1/images/{image}?region=RegionOne"),
            &json!({"visibility": "shared"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json::<json::ImageDetail>().image.visibility,
        Visibility::Shared
    );
    assert_eq!(
        OpenStack::image_state("RegionOne", &image).await["visibility"],
        "shared"
    );

    // `openstack image add project`
    let r = alice
        .post(
            &format!("/api/v1/images/{image}/members?region=RegionOne"),
            &AddMembers::One {
                member_id: project_id("project-b"),
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let member: json::Member = r.json();
    assert_eq!(member.status, MemberStatus::Pending);
    assert_eq!(member.member_id, project_id("project-b"));

    // `openstack image member list`
    let members = alice.members(&image, "RegionOne").await;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].status, MemberStatus::Pending);
    assert_eq!(
        OpenStack::members("RegionOne", &image).await,
        vec![(project_id("project-b"), "pending".to_owned())]
    );

    // bob's inbox shows it pending, with who offers it.
    let pending = bob
        .images("region=RegionOne&owner=others&member_status=pending")
        .await;
    let offered = pending
        .iter()
        .find(|i| i.id == image)
        .expect("pending for bob");
    assert_eq!(offered.member_status, Some(MemberStatus::Pending));
    assert_eq!(
        offered.owner.as_deref(),
        Some(project_id("project-a").as_str())
    );
    assert!(
        !bob.images("region=RegionOne&owner=others&member_status=accepted")
            .await
            .iter()
            .any(|i| i.id == image)
    );

    // `openstack image set --accept`
    let r = bob
        .put(
            &format!(
                "/api/v1/images/{image}/members/{}?region=RegionOne",
                project_id("project-b")
            ),
            &MemberDecision {
                status: MemberStatus::Accepted,
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json::<json::Member>().status, MemberStatus::Accepted);
    assert_eq!(
        OpenStack::members("RegionOne", &image).await,
        vec![(project_id("project-b"), "accepted".to_owned())]
    );
    let accepted = bob
        .images("region=RegionOne&owner=others&member_status=accepted")
        .await;
    assert!(
        accepted
            .iter()
            .any(|i| i.id == image && i.member_status == Some(MemberStatus::Accepted))
    );
    let offer = accepted.iter().find(|i| i.id == image).expect("accepted");
    assert!(
        offer.member_created_at.is_some() && offer.member_updated_at.is_some(),
        "since when"
    );

    // `openstack image show`
    let r = bob
        .get(&format!("/api/v1/images/{image}?region=RegionOne"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let shown: json::ImageDetail = r.json();
    assert_eq!(
        shown.image.member_status,
        Some(MemberStatus::Accepted),
        "bob's decision"
    );
    assert_eq!(shown.image.name.as_deref(), Some(name.as_str()));
    assert_eq!(shown.container_format.as_deref(), Some("bare"));
    assert!(!shown.properties.contains_key("self"));

    // `openstack image remove project`: bob loses the image.
    let r = alice
        .delete(&format!(
            "/api/v1/images/{image}/members/{}?region=RegionOne",
            project_id("project-b")
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(OpenStack::members("RegionOne", &image).await.is_empty());
    bob.get(&format!("/api/v1/images/{image}?region=RegionOne"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    assert!(
        !bob.images("region=RegionOne&owner=others&member_status=all")
            .await
            .iter()
            .any(|i| i.id == image)
    );
}

#[tokio::test]
async fn reject_and_back_to_pending_and_protect() {
    let app = spawn_app().await;
    let image = OpenStack::image("RegionOne", "alice", "project-a", &unique("rej"), "shared").await;
    OpenStack::share("RegionOne", &image, ("alice", "project-a"), "project-c").await;
    let carol = app.sign_in("carol", "project-c").await;
    let path = format!(
        "/api/v1/images/{image}/members/{}?region=RegionOne",
        project_id("project-c")
    );

    for status in [MemberStatus::Rejected, MemberStatus::Pending] {
        let r = carol.put(&path, &MemberDecision { status }).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            OpenStack::members("RegionOne", &image).await,
            vec![(project_id("project-c"), status.to_string())]
        );
    }

    // Rejected images still show in the inbox's rejected tab.
    carol
        .put(
            &path,
            &MemberDecision {
                status: MemberStatus::Rejected,
            },
        )
        .await;
    let rejected = carol
        .images("region=RegionOne&owner=others&member_status=rejected")
        .await;
    assert!(
        rejected
            .iter()
            .any(|i| i.id == image && i.member_status == Some(MemberStatus::Rejected))
    );

    // The owner protects it, and unprotects it.
    let alice = app.sign_in("alice", "project-a").await;
    for protected in [true, false] {
        let r = alice
            .patch(
                &format!("/api/v1/images/{image}?region=RegionOne"),
                &json!({"protected": protected}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            OpenStack::image_state("RegionOne", &image).await["protected"],
            protected
        );
    }
}

#[tokio::test]
async fn region_two_works_on_its_own_images() {
    let app = spawn_app().await;
    let image = OpenStack::image("RegionTwo", "alice", "project-a", &unique("r2"), "private").await;
    let alice = app.sign_in("alice", "project-a").await;
    assert_eq!(
        alice.session().await.regions,
        vec!["RegionOne", "RegionTwo"]
    );

    assert!(
        alice
            .images("region=RegionTwo&owner=me")
            .await
            .iter()
            .any(|i| i.id == image)
    );
    assert!(
        !alice
            .images("region=RegionOne&owner=me")
            .await
            .iter()
            .any(|i| i.id == image)
    );

    let r = alice
        .patch(
            &format!("/api/v1/images/{image}?region=RegionTwo"),
            &json!({"visibility": "shared"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = alice
        .post(
            &format!("/api/v1/images/{image}/members?region=RegionTwo"),
            &AddMembers::One {
                member_id: project_id("project-b"),
            },
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        OpenStack::members("RegionTwo", &image).await,
        vec![(project_id("project-b"), "pending".to_owned())]
    );
    // The same image id means nothing in RegionOne.
    alice
        .get(&format!("/api/v1/images/{image}?region=RegionOne"))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn lists_every_page_of_glance() {
    // A page size of 4 makes Glance paginate 11 images over 3 pages.
    let app = crate::harness::spawn_app_with(|c| c.glance_page_size = 4).await;
    let prefix = unique("page");
    let mut ids = Vec::new();
    for n in 0..11 {
        ids.push(
            OpenStack::image(
                "RegionOne",
                "carol",
                "project-c",
                &format!("{prefix}-{n}"),
                "private",
            )
            .await,
        );
    }
    let carol = app.sign_in("carol", "project-c").await;
    let listed = carol.images("region=RegionOne&owner=me").await;
    for id in &ids {
        assert!(
            listed.iter().any(|i| &i.id == id),
            "image {id} missing from a paginated list"
        );
    }
    let mut seen: Vec<&str> = listed.iter().map(|i| i.id.as_str()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), listed.len(), "no image listed twice");
}
