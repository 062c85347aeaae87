ALTER TABLE "cases" ADD COLUMN "escalated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "read_by" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "via" text;--> statement-breakpoint
CREATE INDEX "cases_queue_escalated_idx" ON "cases" USING btree ("agency","due_at","submitted_at") WHERE "cases"."escalated_at" is not null;--> statement-breakpoint
CREATE INDEX "notifications_unread_idx" ON "notifications" USING btree ("recipient","created_at" DESC NULLS LAST) WHERE "notifications"."read_at" is null;