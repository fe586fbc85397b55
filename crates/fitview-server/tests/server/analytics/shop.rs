//! A generated shop with a known truth: which shopper viewed, tried on, carted, bought and
//! returned what, in which size; the events go through the real server.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestServer, fixture};

/// A new event id.
pub fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An RFC 3339 time `minutes` ago.
pub fn minutes_ago(minutes: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339()
}

/// Sends a batch; returns (status, body).
pub async fn send(server: &TestServer, token: &str, events: Vec<Value>) -> (StatusCode, Value) {
    server
        .post("/api/v1/events", Some(token), json!({ "events": events }))
        .await
}

/// Sends a batch that must be accepted whole.
pub async fn send_ok(server: &TestServer, token: &str, events: Vec<Value>) {
    let n = events.len();
    let (status, body) = send(server, token, events).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], n, "{body}");
    assert_eq!(body["errors"], json!([]), "{body}");
}

/// What the shop's figures must say.
#[derive(Debug, Default)]
pub struct Truth {
    /// Distinct shoppers reaching view, try-on, cart, purchase (in order).
    pub funnel: [u64; 4],
    /// Per product: (views, try-ons, cart units, purchased units, returned units).
    pub products: BTreeMap<String, [i64; 5]>,
    /// Per size of the first product: (cart units, purchased units, returned units).
    pub sizes: BTreeMap<String, [i64; 3]>,
    /// Returns of the first product by (size, reason).
    pub reasons: BTreeMap<(String, String), i64>,
}

/// The shop: a retailer, its model and two products with photos.
pub struct Shop {
    pub retailer: String,
    pub model: String,
    pub products: [String; 2],
    /// Every client event sent, to send again.
    pub sent: Vec<(String, Value)>,
}

impl Shop {
    pub async fn open(server: &TestServer) -> Shop {
        let (retailer, _, _) = server.register("retailer").await;
        Shop::open_as(server, retailer).await
    }

    /// The shop of the retailer of `retailer` (an access token).
    pub async fn open_as(server: &TestServer, retailer: String) -> Shop {
        let (retailer, model, first) = server.catalog_of(retailer).await;
        let (status, second) = server
            .post(
                "/api/v1/products",
                Some(&retailer),
                json!({"name": "Linen dress", "description": "Summer dress", "category": "dresses",
                       "garment_category": "one-piece", "sizes": ["S", "M", "L"], "price_cents": 4999,
                       "currency": "EUR", "stock": 30}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        let second = second["id"].as_str().unwrap().to_owned();
        let (status, body) = server
            .upload_garment(&retailer, &second, fixture("garments/shirt-striped.jpg"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Shop {
            retailer,
            model,
            products: [first, second],
            sent: Vec::new(),
        }
    }

    async fn send(&mut self, server: &TestServer, token: &str, events: Vec<Value>) {
        for e in &events {
            self.sent.push((token.to_owned(), e.clone()));
        }
        send_ok(server, token, events).await;
    }

    /// Runs `shoppers` shoppers through the shop, each by a fixed plan, and returns the truth.
    pub async fn run(&mut self, server: &TestServer, shoppers: usize) -> Truth {
        let mut truth = Truth::default();
        for p in &self.products {
            truth.products.insert(p.clone(), [0; 5]);
        }
        let sizes = ["S", "M", "L"];
        for i in 0..shoppers {
            let (token, user_id, _) = server.register("customer").await;
            let product = self.products[(i / 2) % 2].clone();
            let size = sizes[(i / 6) % 3];
            let counts = truth.products.get_mut(&product).unwrap();
            // Everyone views (twice for some: one shopper still counts once in the funnel).
            let mut views = vec![
                json!({"id": id(), "type": "product_viewed", "product_id": product,
                                        "occurred_at": minutes_ago(30), "session_id": format!("s{i}")}),
            ];
            if i % 5 == 0 {
                views.push(
                    json!({"id": id(), "type": "product_viewed", "product_id": product,
                                  "occurred_at": minutes_ago(29)}),
                );
            }
            counts[0] += views.len() as i64;
            self.send(server, &token, views).await;
            truth.funnel[0] += 1;
            // Two in three try the product on, through the real try-on route.
            if i % 3 == 2 {
                continue;
            }
            let (status, job) = server
                .post(
                    "/api/v1/tryon",
                    Some(&token),
                    json!({"model_id": self.model, "product_id": product, "wait_ms": 20000}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{job}");
            assert_eq!(job["status"], "succeeded", "{job}");
            counts[1] += 1;
            truth.funnel[1] += 1;
            // Half of those put it in the cart (two units for some).
            if i % 2 == 1 {
                continue;
            }
            let quantity = if i % 4 == 0 { 2 } else { 1 };
            self.send(
                server,
                &token,
                vec![
                    json!({"id": id(), "type": "cart_added", "product_id": product,
                            "size": size, "quantity": quantity, "model_id": self.model}),
                ],
            )
            .await;
            counts[2] += quantity;
            truth.funnel[2] += 1;
            let first = product == self.products[0];
            if first {
                truth.sizes.entry(size.to_owned()).or_default()[0] += quantity;
            }
            // Some carts are bought, reported by the retailer's shop; some come back.
            if i % 6 == 0 {
                continue;
            }
            let mut orders = vec![
                json!({"id": id(), "type": "purchased", "product_id": product,
                                         "size": size, "quantity": quantity, "user_id": user_id,
                                         "value_cents": 2999 * quantity, "currency": "EUR"}),
            ];
            counts[3] += quantity;
            truth.funnel[3] += 1;
            if first {
                truth.sizes.entry(size.to_owned()).or_default()[1] += quantity;
            }
            if i % 18 == 4 || i % 18 == 10 {
                let reason = if size == "S" { "too_small" } else { "too_big" };
                orders.push(
                    json!({"id": id(), "type": "returned", "product_id": product,
                                   "size": size, "user_id": user_id, "reason": reason}),
                );
                counts[4] += 1;
                if first {
                    truth.sizes.entry(size.to_owned()).or_default()[2] += 1;
                    *truth
                        .reasons
                        .entry((size.to_owned(), reason.to_owned()))
                        .or_default() += 1;
                }
            }
            let retailer = self.retailer.clone();
            self.send(server, &retailer, orders).await;
        }
        truth
    }

    /// Sends every client event again, with the same ids.
    pub async fn resend(&self, server: &TestServer) {
        for (token, event) in &self.sent {
            send_ok(server, token, vec![event.clone()]).await;
        }
    }
}

/// Writes the buffer now.
pub async fn flush(server: &TestServer) {
    server.state.analytics.flush().await.unwrap();
}

/// The figures the retailer sees.
pub async fn figures(server: &TestServer, token: &str, route: &str) -> Value {
    let (status, body) = server
        .get(&format!("/api/v1/analytics/{route}"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{route}: {body}");
    body
}

/// The funnel's counts.
pub fn funnel_counts(funnel: &Value) -> Vec<u64> {
    funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect()
}

/// Per product: (views, try-ons, cart units, purchased units, returned units).
pub fn product_counts(products: &Value) -> BTreeMap<String, [i64; 5]> {
    products["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let n = |k: &str| p[k].as_i64().unwrap();
            (
                p["product_id"].as_str().unwrap().to_owned(),
                [
                    n("views"),
                    n("tryons"),
                    n("cart_units"),
                    n("purchased_units"),
                    n("returned_units"),
                ],
            )
        })
        .collect()
}

/// Per size: (cart, purchased, returned units).
pub fn size_counts(sizes: &Value) -> BTreeMap<String, [i64; 3]> {
    sizes["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let n = |k: &str| s[k].as_i64().unwrap();
            (
                s["size"].as_str().unwrap().to_owned(),
                [n("cart_units"), n("purchased_units"), n("returned_units")],
            )
        })
        .collect()
}
