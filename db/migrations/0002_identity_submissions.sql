CREATE TABLE "identity_submissions" (
	"case_number" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"snils" text NOT NULL,
	"passport_series" text NOT NULL,
	"passport_number" text NOT NULL,
	"birth_date" date NOT NULL,
	"citizenship" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
