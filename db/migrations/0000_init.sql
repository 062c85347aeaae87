CREATE SEQUENCE "public"."case_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "calendar_days" (
	"day" date PRIMARY KEY NOT NULL,
	"kind" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_registry" (
	"number" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"applicant_id" text NOT NULL,
	"idempotency_key" text,
	"resent_from" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"number" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"service_code" text,
	"agency" text,
	"applicant_id" text NOT NULL,
	"assignee_id" text,
	"submitted_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"legal_due_date" date,
	"expected_due_date" date,
	"due_at" timestamp with time zone,
	"overdue" boolean DEFAULT false NOT NULL,
	"closed_at" timestamp with time zone,
	"related_number" text,
	"detail" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"type" text NOT NULL,
	"file_name" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "journal" (
	"case_number" text NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"type" text NOT NULL,
	"actor_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"client_address" text,
	"summary" text NOT NULL,
	"data" jsonb,
	CONSTRAINT "journal_case_number_seq_pk" PRIMARY KEY("case_number","seq")
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"recipient" text NOT NULL,
	"case_number" text NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"title" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "results" (
	"case_number" text PRIMARY KEY NOT NULL,
	"verification_code" text NOT NULL,
	"result_type" text NOT NULL,
	"title" text NOT NULL,
	"applicant_id" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "services" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"category" text NOT NULL,
	"agency" text NOT NULL,
	"description" text NOT NULL,
	"required_documents" jsonb NOT NULL,
	"form_schema" jsonb NOT NULL,
	"term_days" integer NOT NULL,
	"term_unit" text NOT NULL,
	"fee" jsonb NOT NULL,
	"min_level" text NOT NULL,
	"partial_edit_allowed" boolean NOT NULL,
	"result_type" text NOT NULL,
	"payment_term_days" integer DEFAULT 20 NOT NULL,
	"info_term_days" integer DEFAULT 10 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, '') || ' ' || code)) STORED,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "case_registry_idempotency_uq" ON "case_registry" USING btree ("applicant_id","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "case_registry_resent_from_uq" ON "case_registry" USING btree ("resent_from");--> statement-breakpoint
CREATE INDEX "cases_applicant_submitted_idx" ON "cases" USING btree ("applicant_id","submitted_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "cases_applicant_status_idx" ON "cases" USING btree ("applicant_id","status","submitted_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "cases_applicant_service_idx" ON "cases" USING btree ("applicant_id","service_code","submitted_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "cases_queue_idx" ON "cases" USING btree ("agency","status","due_at");--> statement-breakpoint
CREATE INDEX "cases_queue_overdue_idx" ON "cases" USING btree ("agency","due_at") WHERE "cases"."overdue";--> statement-breakpoint
CREATE INDEX "cases_related_idx" ON "cases" USING btree ("related_number");--> statement-breakpoint
CREATE INDEX "documents_owner_idx" ON "documents" USING btree ("owner_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_event_uq" ON "notifications" USING btree ("case_number","seq","recipient");--> statement-breakpoint
CREATE INDEX "notifications_recipient_idx" ON "notifications" USING btree ("recipient","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "results_verification_code_uq" ON "results" USING btree ("verification_code");--> statement-breakpoint
CREATE INDEX "services_search_idx" ON "services" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "services_category_idx" ON "services" USING btree ("category");--> statement-breakpoint
CREATE INDEX "services_agency_idx" ON "services" USING btree ("agency");