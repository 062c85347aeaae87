CREATE TABLE "bank_callback_events" (
	"bank_id" text NOT NULL,
	"event_id" text NOT NULL,
	"case_number" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bank_callback_events_bank_id_event_id_pk" PRIMARY KEY("bank_id","event_id")
);
