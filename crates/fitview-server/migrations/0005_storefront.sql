-- The storefront in the browser: sessions, carts and the orders handed to retailers.
-- Portable SQL like 0001. The full-text index differs by database (an FTS5 table on SQLite, a
-- tsvector table on PostgreSQL), so src/db/search.rs creates it, idempotently, after migrating.

-- A browser session: the cookie holds a random token; only its BLAKE3 digest is stored.
CREATE TABLE browser_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    model_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX browser_sessions_user ON browser_sessions(user_id);
CREATE INDEX browser_sessions_expiry ON browser_sessions(expires_at);

-- A shopper's cart: one line per product and size, with the try-on the shopper saw.
CREATE TABLE cart_lines (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    size TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    tryon_image TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, product_id, size)
);

-- A checkout: one order per retailer of the cart, with the lines as they were bought.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    retailer_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    total_cents BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX orders_retailer ON orders(retailer_id, created_at);
CREATE INDEX orders_user ON orders(user_id, created_at);

CREATE TABLE order_lines (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL,
    name TEXT NOT NULL,
    size TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    price_cents BIGINT NOT NULL,
    tryon_image TEXT
);
CREATE INDEX order_lines_order ON order_lines(order_id);
