-- One feedback per try-on and user (a second post is refused with 409); of earlier duplicates
-- the first row (smallest id) is kept.
DELETE FROM feedback WHERE id NOT IN (SELECT MIN(id) FROM feedback GROUP BY job_id, user_id);
CREATE UNIQUE INDEX feedback_job_user ON feedback(job_id, user_id);
