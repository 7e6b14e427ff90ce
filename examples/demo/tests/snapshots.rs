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
