//! The funnel read from its table: who entered it on a day of the range, and how far each got
//! within the window; events arriving late join their journeys; a database from before the
//! table is filled in at start.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use fitview_insights::{Event, EventKind};
use fitview_server::AppState;
use fitview_server::analytics::Pending;

use super::shop::{Shop, figures, flush, funnel_counts};
use super::truth::tweak;
use crate::common::{Db, TestServer, start};

/// Noon `days` ago.
fn noon(days: u64) -> DateTime<Utc> {
    let day: NaiveDate = Utc::now().date_naive() - Days::new(days);
    day.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

fn day(days: u64) -> NaiveDate {
    Utc::now().date_naive() - Days::new(days)
}

/// An event of any kind (the server's own included) straight into the buffer.
fn event(
    retailer: &str,
    product: &str,
    shopper: &str,
    kind: EventKind,
    at: DateTime<Utc>,
) -> Pending {
    Pending {
        retailer_id: Some(retailer.to_owned()),
        event: Event {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            occurred_at: at,
            product_id: product.to_owned(),
            model_id: None,
            size: None,
            quantity: 1,
            value_cents: None,
            currency: None,
            session_id: None,
            user_id: Some(shopper.to_owned()),
            reason: None,
            provider_cost_micros: 0,
        },
    }
}

async fn funnel(server: &TestServer, shop: &Shop, query: &str) -> Vec<u64> {
    funnel_counts(&figures(server, &shop.retailer, &format!("funnel?{query}")).await)
}

/// The shop's retailer's account id.
async fn retailer_of(server: &TestServer, shop: &Shop) -> String {
    let (_, me) = server.get("/api/v1/me", &shop.retailer).await;
    me["id"].as_str().expect("the account's id").to_owned()
}

/// Four shoppers whose journeys cross the edges of ranges and windows.
async fn journeys(server: &TestServer, shop: &Shop) -> Vec<Pending> {
    use EventKind::*;
    let r = &retailer_of(server, shop).await;
    let (p, q) = (&shop.products[0], &shop.products[1]);
    vec![
        // a: enters 10 days ago, tries on at once, carts 23 hours later, buys 6 days later.
        event(r, p, "a", ProductViewed, noon(10)),
        event(r, p, "a", TryonCompleted, noon(10) + Duration::minutes(5)),
        event(r, p, "a", CartAdded, noon(10) + Duration::hours(23)),
        event(r, p, "a", Purchased, noon(4)),
        // b: enters 20 days ago, tries on, carts 15 days later.
        event(r, p, "b", ProductViewed, noon(20)),
        event(r, p, "b", TryonCompleted, noon(20) + Duration::minutes(1)),
        event(r, p, "b", CartAdded, noon(5)),
        // c: enters 12 days ago with one product, tries on and carts another 4 days later.
        event(r, p, "c", ProductViewed, noon(12)),
        event(r, q, "c", TryonCompleted, noon(8)),
        event(r, q, "c", CartAdded, noon(8) + Duration::minutes(1)),
        // d: carts before viewing: only the view counts.
        event(r, p, "d", CartAdded, noon(9)),
        event(r, p, "d", ProductViewed, noon(8)),
    ]
}

async fn the_range_picks_who_entered_and_the_window_how_far_they_got(db: Db) {
    let server = start(db, tweak).await;
    let shop = Shop::open(&server).await;
    let journeys = journeys(&server, &shop).await;
    server.state.analytics.submit(journeys).unwrap();
    flush(&server).await;
    let (d10, d8, d20) = (day(10), day(8), day(20));

    // Only a entered on day -10; its purchase, 6 days later and past the range, counts.
    assert_eq!(
        funnel(&server, &shop, &format!("from={d10}&to={d10}")).await,
        [1, 1, 1, 1]
    );
    // Within one day a only got as far as the cart.
    assert_eq!(
        funnel(
            &server,
            &shop,
            &format!("from={d10}&to={d10}&window_days=1")
        )
        .await,
        [1, 1, 1, 0]
    );
    // Days -10 to -8: a and d entered; c entered before, so its try-on in the range is not here.
    assert_eq!(
        funnel(&server, &shop, &format!("from={d10}&to={d8}")).await,
        [2, 1, 1, 1]
    );
    // All of them: b's cart came 15 days after its view, within 30 days but not 7.
    let all = format!("from={d20}");
    assert_eq!(funnel(&server, &shop, &all).await, [4, 3, 2, 1]);
    assert_eq!(
        funnel(&server, &shop, &format!("{all}&window_days=30")).await,
        [4, 3, 3, 1]
    );
    // One product: c's try-on and cart were of the other product.
    let first = &shop.products[0];
    assert_eq!(
        funnel(&server, &shop, &format!("{all}&product_id={first}")).await,
        [4, 2, 1, 1]
    );
    // A window past the table's horizon is refused.
    let (status, body) = server
        .get("/api/v1/analytics/funnel?window_days=91", &shop.retailer)
        .await;
    assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

async fn events_that_arrive_late_join_their_journeys(db: Db) {
    use EventKind::*;
    let server = start(db, tweak).await;
    let shop = Shop::open(&server).await;
    let (r, p) = (retailer_of(&server, &shop).await, shop.products[0].clone());
    let range = format!("from={}", day(3));
    // The cart arrives first: no view yet, nobody entered.
    let cart = event(&r, &p, "e", CartAdded, noon(2));
    server.state.analytics.submit(vec![cart.clone()]).unwrap();
    flush(&server).await;
    assert_eq!(funnel(&server, &shop, &range).await, [0, 0, 0, 0]);
    // The view and the try-on from before it come in a later flush.
    let earlier = vec![
        event(&r, &p, "e", ProductViewed, noon(2) - Duration::hours(2)),
        event(&r, &p, "e", TryonCompleted, noon(2) - Duration::hours(1)),
    ];
    server.state.analytics.submit(earlier.clone()).unwrap();
    flush(&server).await;
    assert_eq!(funnel(&server, &shop, &range).await, [1, 1, 1, 0]);
    // Sending them all again changes nothing.
    let mut again = earlier;
    again.push(cart);
    server.state.analytics.submit(again).unwrap();
    flush(&server).await;
    assert_eq!(funnel(&server, &shop, &range).await, [1, 1, 1, 0]);
}

async fn a_database_from_before_the_funnel_table_gets_it_at_start(db: Db) {
    let server = start(db, tweak).await;
    let shop = Shop::open(&server).await;
    let journeys = journeys(&server, &shop).await;
    server.state.analytics.submit(journeys).unwrap();
    flush(&server).await;
    let all = format!("from={}", day(20));
    assert_eq!(funnel(&server, &shop, &all).await, [4, 3, 2, 1]);
    // As a database migrated from before the table: events, but no funnel rows.
    for sql in [
        "DELETE FROM analytics_funnel_starts",
        "INSERT INTO analytics_funnel_rebuild (pending) VALUES (1)",
    ] {
        sqlx::query(sql).execute(&server.state.db).await.unwrap();
    }
    // A new process on the same database builds the table in the background.
    let config = server.state.config.clone();
    let restarted = AppState::with_engine(config, crate::common::mock_engine())
        .await
        .unwrap();
    let mut waited = 0;
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM analytics_funnel_rebuild")
                .fetch_one(&restarted.db)
                .await
                .unwrap();
        if pending == 0 {
            break;
        }
        waited += 1;
        assert!(waited < 300, "the funnel table was not rebuilt");
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    // Read back through the first server's routes (another window: not from its cache).
    let rows: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM analytics_funnel_starts")
            .fetch_one(&server.state.db)
            .await
            .unwrap();
    assert!(rows > 0);
    assert_eq!(
        funnel(&server, &shop, &format!("{all}&window_days=8")).await,
        [4, 3, 2, 1]
    );
    restarted.shutdown().await;
}

crate::common::on_both_databases!(
    the_range_picks_who_entered_and_the_window_how_far_they_got,
    events_that_arrive_late_join_their_journeys,
    a_database_from_before_the_funnel_table_gets_it_at_start,
);
