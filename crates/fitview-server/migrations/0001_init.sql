-- FitView server schema. Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Ids are UUID strings; times are seconds since the Unix epoch; JSON is stored as TEXT.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT UNIQUE,
    phone TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    display_name TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);

CREATE TABLE models (
    id TEXT PRIMARY KEY,
    retailer_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    body_type TEXT,
    size TEXT,
    height_cm DOUBLE PRECISION,
    measurements TEXT,
    skin_tone TEXT,
    landmarks TEXT,
    image_file TEXT NOT NULL,
    image_width BIGINT NOT NULL,
    image_height BIGINT NOT NULL,
    tryon_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX models_retailer ON models(retailer_id);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    retailer_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    garment_category TEXT NOT NULL,
    sizes TEXT NOT NULL,
    colour TEXT,
    price_cents BIGINT NOT NULL,
    currency TEXT NOT NULL,
    stock BIGINT NOT NULL,
    size_chart TEXT,
    image_file TEXT,
    image_width BIGINT,
    image_height BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX products_retailer ON products(retailer_id);
CREATE INDEX products_category ON products(category);

-- One finished try-on per (model image, product image): the server's durable cache.
CREATE TABLE tryon_results (
    cache_key TEXT PRIMARY KEY,
    result_key TEXT NOT NULL,
    images TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE tryon_jobs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    status TEXT NOT NULL,
    cached BIGINT NOT NULL DEFAULT 0,
    result_key TEXT,
    images TEXT,
    error_code TEXT,
    error_message TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tryon_jobs_user ON tryon_jobs(user_id, created_at);

CREATE TABLE feedback (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES tryon_jobs(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rating BIGINT NOT NULL,
    comment TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX feedback_job ON feedback(job_id);
