//! Who may call what: every route of the service and the permission it needs. A route without
//! an entry here cannot be registered (see `Router::add`), and `tests/api/access.rs` calls
//! every entry with every role. Which role holds which permission is `Role::may`.

use super::model::Permission::{self, *};

/// What a route asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a key: health, metrics and the contract.
    Public,
    /// A key whose role has this permission.
    Key(Permission),
    /// A page of the staff app anyone may open (signing in, the language, its files).
    Page,
    /// A screen of the staff app for a signed-in person whose role has this permission.
    Person(Permission),
}

use Access::{Key, Page, Person, Public};

/// Method, path (as in the OpenAPI document) and what it needs. Some handlers narrow further:
/// a role with `MoveBoxes` alone moves boxes only into or out of a conservation lab, and
/// approving a treatment needs `ApproveTreatments`.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/readyz", Public),
    ("GET", "/openapi.yaml", Public),
    ("GET", "/docs", Public),
    ("GET", "/metrics", Public),
    ("POST", "/api/v1/api-keys", Key(ManageKeys)),
    ("GET", "/api/v1/api-keys", Key(ManageKeys)),
    ("GET", "/api/v1/api-keys/{id}", Key(ManageKeys)),
    ("POST", "/api/v1/api-keys/{id}/revoke", Key(ManageKeys)),
    ("GET", "/api/v1/people", Key(ManagePeople)),
    ("GET", "/api/v1/people/{id}", Key(ManagePeople)),
    ("GET", "/api/v1/audit-trail", Key(ReadAuditTrail)),
    ("POST", "/api/v1/locations", Key(WriteLocations)),
    ("GET", "/api/v1/locations", Key(Read)),
    ("GET", "/api/v1/locations/by-barcode/{barcode}", Key(Read)),
    ("GET", "/api/v1/locations/{id}", Key(Read)),
    ("PATCH", "/api/v1/locations/{id}", Key(WriteLocations)),
    ("DELETE", "/api/v1/locations/{id}", Key(WriteLocations)),
    ("POST", "/api/v1/locations/{id}/shelving", Key(WriteLocations)),
    ("GET", "/api/v1/locations/{id}/boxes", Key(Read)),
    ("GET", "/api/v1/space", Key(Read)),
    ("POST", "/api/v1/boxes", Key(WriteBoxes)),
    ("GET", "/api/v1/boxes", Key(Read)),
    ("GET", "/api/v1/boxes/by-barcode/{barcode}", Key(Read)),
    ("GET", "/api/v1/boxes/{id}", Key(Read)),
    ("PATCH", "/api/v1/boxes/{id}", Key(WriteBoxes)),
    ("POST", "/api/v1/boxes/{id}/moves", Key(MoveBoxes)),
    ("GET", "/api/v1/boxes/{id}/moves", Key(Read)),
    ("POST", "/api/v1/boxes/{id}/found", Key(WriteBoxes)),
    ("POST", "/api/v1/boxes/{id}/lost", Key(WriteBoxes)),
    ("POST", "/api/v1/moves", Key(MoveBoxes)),
    ("GET", "/api/v1/moves", Key(Read)),
    ("GET", "/api/v1/moves/{id}", Key(Read)),
    ("POST", "/api/v1/audits", Key(WriteBoxes)),
    ("GET", "/api/v1/audits", Key(Read)),
    ("GET", "/api/v1/audits/{id}", Key(Read)),
    ("POST", "/api/v1/audits/{id}/reconcile", Key(WriteBoxes)),
    ("POST", "/api/v1/fonds", Key(WriteHoldings)),
    ("GET", "/api/v1/fonds", Key(Read)),
    ("GET", "/api/v1/fonds/{id}", Key(Read)),
    ("PATCH", "/api/v1/fonds/{id}", Key(WriteHoldings)),
    ("POST", "/api/v1/files", Key(WriteHoldings)),
    ("GET", "/api/v1/files", Key(Read)),
    ("GET", "/api/v1/files/{id}", Key(Read)),
    ("PATCH", "/api/v1/files/{id}", Key(WriteHoldings)),
    ("GET", "/api/v1/files/{id}/pages/{page}", Key(Read)),
    ("GET", "/api/v1/vocabularies", Key(Read)),
    ("GET", "/api/v1/vocabularies/{name}", Key(Read)),
    ("POST", "/api/v1/vocabularies/{name}/terms", Key(ManageVocabularies)),
    ("GET", "/api/v1/vocabularies/{name}/terms/{code}", Key(Read)),
    ("PATCH", "/api/v1/vocabularies/{name}/terms/{code}", Key(ManageVocabularies)),
    ("POST", "/api/v1/assessments", Key(WriteAssessments)),
    ("GET", "/api/v1/assessments", Key(Read)),
    ("GET", "/api/v1/assessments/{id}", Key(Read)),
    ("POST", "/api/v1/assessments/{id}/withdrawal", Key(WithdrawAssessments)),
    ("POST", "/api/v1/treatments", Key(WriteTreatments)),
    ("GET", "/api/v1/treatments", Key(Read)),
    ("POST", "/api/v1/treatments/batch", Key(WriteTreatments)),
    ("GET", "/api/v1/treatments/{id}", Key(Read)),
    ("POST", "/api/v1/treatments/{id}/transitions", Key(WriteTreatments)),
    ("GET", "/api/v1/conservation/queue", Key(Read)),
    ("GET", "/api/v1/events", Key(Read)),
    ("GET", "/api/v1/reports/activity", Key(Read)),
    ("POST", "/api/v1/imports/locations", Key(WriteLocations)),
    ("POST", "/api/v1/imports/boxes", Key(WriteBoxes)),
    ("POST", "/api/v1/imports/files", Key(WriteHoldings)),
    ("GET", "/api/v1/export", Key(Archive)),
    ("POST", "/api/v1/webhooks", Key(ManageWebhooks)),
    ("GET", "/api/v1/webhooks", Key(ManageWebhooks)),
    ("GET", "/api/v1/webhooks/{id}", Key(ManageWebhooks)),
    ("POST", "/api/v1/webhooks/{id}/deactivate", Key(ManageWebhooks)),
    ("GET", "/api/v1/webhooks/{id}/deliveries", Key(ManageWebhooks)),
    // The staff app (`ui`): the same roles and permissions as the API's.
    ("GET", "/", Page),
    ("GET", "/assets/{path:.*}", Page),
    ("GET", "/sign-in", Page),
    ("POST", "/sign-in", Page),
    ("POST", "/language", Page),
    ("POST", "/sign-out", Person(Read)),
    ("GET", "/locate", Person(Read)),
    ("GET", "/move", Person(MoveBoxes)),
    ("POST", "/move", Person(MoveBoxes)),
    ("GET", "/audit", Person(WriteBoxes)),
    ("POST", "/audit", Person(WriteBoxes)),
    ("GET", "/audit/{id}", Person(Read)),
    ("POST", "/audit/{id}/reconcile", Person(WriteBoxes)),
    ("POST", "/audit/{id}/found", Person(WriteBoxes)),
    ("GET", "/files/{id}", Person(Read)),
    ("POST", "/assessments/{id}/withdraw", Person(WithdrawAssessments)),
    ("GET", "/labels", Person(WriteBoxes)),
    ("GET", "/report", Person(Read)),
    ("GET", "/report.csv", Person(Read)),
    ("GET", "/survey", Person(WriteAssessments)),
    ("POST", "/survey", Person(WriteAssessments)),
    ("GET", "/out", Person(Read)),
    ("GET", "/space", Person(Read)),
    ("POST", "/out/return", Person(MoveBoxes)),
    ("GET", "/people", Person(ManagePeople)),
    ("POST", "/people", Person(ManagePeople)),
    ("GET", "/people/new", Person(ManagePeople)),
    ("GET", "/people/{id}", Person(ManagePeople)),
    ("POST", "/people/{id}", Person(ManagePeople)),
    ("POST", "/people/{id}/password", Person(ManagePeople)),
    ("POST", "/people/{id}/enabled", Person(ManagePeople)),
];

/// What the route `method path` needs, if it is in the table.
pub fn required(method: &str, path: &str) -> Option<Access> {
    ROUTES.iter().find(|(m, p, _)| *m == method && *p == path).map(|(_, _, access)| *access)
}
