-- The retailer's page of its catalog's try-ons (storefront issue) reads jobs by product, newest
-- first. Portable SQL: runs unchanged on SQLite and PostgreSQL.
CREATE INDEX tryon_jobs_product ON tryon_jobs(product_id, created_at);
