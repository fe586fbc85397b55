-- The quality checks a try-on's images failed (engine `Check`s as JSON); NULL for a good result.
-- A flagged result is shown to the user who asked, but never remembered as the pair's result.
ALTER TABLE tryon_jobs ADD COLUMN failed_checks TEXT;
