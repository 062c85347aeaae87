DROP INDEX "services_search_idx";--> statement-breakpoint
-- The search vector first: it is computed from columns dropped below.
ALTER TABLE "services" DROP COLUMN "search_vector";--> statement-breakpoint
DROP INDEX "services_category_idx";--> statement-breakpoint
DROP INDEX "services_agency_idx";--> statement-breakpoint
ALTER TABLE "services" ALTER COLUMN "version" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "name";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "category";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "agency";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "description";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "required_documents";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "form_schema";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "term_days";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "term_unit";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "fee";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "min_level";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "partial_edit_allowed";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "result_type";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "payment_term_days";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "info_term_days";--> statement-breakpoint
ALTER TABLE "services" DROP COLUMN "active";