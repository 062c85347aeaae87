/** Whether `err` (or the driver's error drizzle wraps as its cause) is a unique index refusing a row. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code === '23505' || e.cause?.code === '23505';
}
