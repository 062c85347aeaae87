import { CODE_TYPES, effectiveChannels, type NoticeChoices } from '../core/notices';
import type { Db } from '../db/client';
import { getNoticeChoices, mergeNoticeChoices } from '../db/queries/notices';

/** A citizen's channels per notice type, as the API shows them. */
export function preferencesView(choices: NoticeChoices) {
  return {
    channels: effectiveChannels(choices),
    /** Every notice also lands in the in-app inbox. */
    inbox: 'always' as const,
    /** Codes go on the channel they were asked for (letters by post), whatever the choices. */
    alwaysSent: [...CODE_TYPES],
  };
}

export async function noticePreferences(db: Db, subjectId: string) {
  return preferencesView(await getNoticeChoices(db, subjectId));
}

/** Sets the channels of the types named in `change` (an empty list: none but the inbox); the others stay. */
export async function changeNoticePreferences(db: Db, subjectId: string, change: NoticeChoices) {
  return preferencesView(await mergeNoticeChoices(db, subjectId, change));
}
