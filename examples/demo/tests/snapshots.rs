//! Snapshot tests (insta) of what the demo generates for people to read: the `routes`
//! table and the `check --deploy` report for its development settings.

use trellis::app::deploy_checks;
use trellis::cli::{check_report, routes_table};
use trellis::testing::TestClient;

#[test]
fn routes_table_of_the_demo() {
    let client = TestClient::new(demo::app());
    insta::assert_snapshot!(routes_table(client.state()));
}

#[test]
fn check_deploy_report_for_development_settings() {
    // The demo's code defaults (no environment, no settings file), as the test client loads them.
    let app = demo::app();
    let client = TestClient::new(app);
    let mut s = client.state().settings().clone();
    // The test client adds its own host; the report is about the project's settings.
    s.allowed_hosts.retain(|h| h != trellis::testing::TEST_HOST);
    insta::assert_snapshot!(check_report(&deploy_checks(&s)));
}

#[test]
fn openapi_document_of_the_demo() {
    let client = TestClient::new(demo::app());
    let api = client
        .state()
        .get::<trellis::openapi::OpenApi>()
        .expect("the OpenAPI battery is installed");
    insta::assert_json_snapshot!(*api.document);
}

#[tokio::test]
async fn openapi_json_is_served_in_debug() {
    let client = TestClient::new(demo::app());
    let r = client.get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>()["openapi"], "3.1.0");
}
