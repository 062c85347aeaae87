CREATE TABLE "identity_signatures" (
	"id" text PRIMARY KEY NOT NULL,
	"case_number" text NOT NULL,
	"account_id" text NOT NULL,
	"certificate_pem" text NOT NULL,
	"signature" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
