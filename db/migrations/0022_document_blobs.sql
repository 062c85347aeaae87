CREATE TABLE "document_blobs" (
	"sha256" text PRIMARY KEY NOT NULL,
	"content" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- PDF, JPEG and PNG are compressed already: kept out of line without another try at compressing them.
ALTER TABLE "document_blobs" ALTER COLUMN "content" SET STORAGE EXTERNAL;
