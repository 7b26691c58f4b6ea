use super::*;

fn glance_errors() -> Vec<glance::Error> {
    let service = || Service::Glance {
        region: "RegionOne".into(),
    };
    let status = |status, message: &str| {
        glance::Error::Upstream(OpenStackError::Status {
            service: service(),
            status,
            message: message.into(),
        })
    };
    vec![
        glance::Error::NotFound("RAW".into()),
        glance::Error::MemberNotFound,
        glance::Error::AlreadyMember,
        glance::Error::MemberQuotaExceeded { limit: Some(128) },
        glance::Error::NotShared,
        glance::Error::PolicyRefused {
            action: "add_member".into(),
        },
        glance::Error::TokenRejected,
        glance::Error::Invalid("RAW <br /> text".into()),
        glance::Error::Upstream(OpenStackError::Unavailable { service: service() }),
        glance::Error::Upstream(OpenStackError::Timeout { service: service() }),
        status(500, "RAW trace"),
        status(409, "RAW conflict"),
        status(400, "RAW"),
        glance::Error::Upstream(OpenStackError::Protocol {
            service: service(),
            detail: "RAW json".into(),
        }),
        glance::Error::Upstream(OpenStackError::Redirected {
            service: service(),
            status: 302,
            location: Some("http://RAW/".into()),
        }),
        glance::Error::Upstream(OpenStackError::BadEndpoint {
            service: service(),
            detail: "RAW".into(),
        }),
    ]
}

/// The outcome a change records is the code its answer carries.
#[test]
fn recorded_outcomes_are_the_answered_codes() {
    for e in glance_errors() {
        let recorded = changes::glance_code(&e);
        let shown = format!("{e:?}");
        assert_eq!(Error::from(e).code(), recorded, "{shown}");
    }
}

/// Glance's own words never reach a client, and no answer is a 500.
#[test]
fn upstream_text_never_reaches_the_client() {
    for e in glance_errors() {
        let shown = format!("{e:?}");
        let err = Error::from(e);
        let body = err.body();
        assert!(!body.message.contains("RAW"), "{shown}: {}", body.message);
        assert_ne!(err.status(), StatusCode::INTERNAL_SERVER_ERROR, "{shown}");
    }
}

#[test]
fn too_many_names_the_limit() {
    let body = Error::too_many("member_ids", 128, "At most 128.").body();
    assert_eq!(body.code, ErrorCode::InvalidInput);
    assert_eq!(body.limit, Some(128));
    assert_eq!(body.field.as_deref(), Some("member_ids"));
}
