import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Options of the activities an action's answer waits for (a result issued, a passport
 * version written): seconds of idempotent work, retried until it lands. A worker killed
 * while it runs one is found out, and the waiting action answered, within the timeout
 * rather than a minute later.
 */
export const BRIEF_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};
