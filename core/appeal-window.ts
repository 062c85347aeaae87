/** How long a decision (or a breach of the processing deadline) can be appealed (SPEC §4.3). */
import { dayOf, dayToDate } from './deadline-clock';

export const APPEAL_WINDOW_DAYS = 30;

/**
 * The last civil day an appeal can be filed: 30 calendar days counted from the day
 * after the citizen was notified (the day of the event itself is not counted).
 */
export function lastAppealDay(notifiedAt: string): string {
  return dayToDate(dayOf(notifiedAt) + APPEAL_WINDOW_DAYS);
}
