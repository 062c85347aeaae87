CREATE TABLE "extracts" (
	"code" text PRIMARY KEY NOT NULL,
	"vin" text NOT NULL,
	"version" integer NOT NULL,
	"case_number" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "passport_versions" (
	"vin" text NOT NULL,
	"version" integer NOT NULL,
	"data" jsonb NOT NULL,
	"case_number" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "passport_versions_vin_version_pk" PRIMARY KEY("vin","version")
);
--> statement-breakpoint
CREATE TABLE "signing_certificates" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"pem" text NOT NULL,
	"fingerprint" text NOT NULL,
	"serial" text NOT NULL,
	"subject" text NOT NULL,
	"issuer" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "vehicles" (
	"vin" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"current_version" integer NOT NULL,
	"status" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "extracts_case_uq" ON "extracts" USING btree ("case_number");--> statement-breakpoint
CREATE UNIQUE INDEX "signing_certificates_fingerprint_uq" ON "signing_certificates" USING btree ("fingerprint");--> statement-breakpoint
CREATE INDEX "signing_certificates_owner_idx" ON "signing_certificates" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "vehicles_owner_idx" ON "vehicles" USING btree ("owner_id");