DROP INDEX "cases_applicant_submitted_idx";--> statement-breakpoint
DROP INDEX "cases_queue_idx";--> statement-breakpoint
CREATE INDEX "cases_applicant_order_idx" ON "cases" USING btree ("applicant_id","submitted_at" DESC NULLS FIRST,"number" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "cases_queue_count_idx" ON "cases" USING btree ("agency","status","kind","assignee_id");