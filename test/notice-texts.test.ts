import { describe, expect, it } from 'vitest';
import type { CaseProjection } from '../core/case-projection';
import { noticeContext, noticeText } from '../core/notice-texts';
import { statusLabel } from '../core/status-labels';

const projection = { number: 'A-2026-0000042', kind: 'application', status: 'completed', detail: { serviceName: 'Выдача удостоверения' } } as unknown as CaseProjection;
const appointment = { office: 'МФЦ «Мои документы», Москва, ул. Тверская, 1', date: '2026-12-09', time: '10:00' };

describe('the result-issued notice', () => {
  it('names the office, the day and the time of a result collected in person, on every channel', () => {
    const c = noticeContext(projection, { type: 'result_issued', data: { verificationCode: 'ABCD-EFGH-JKMN', appointment } }, 'result_issued');
    expect(noticeText(c, 'email').subject).toBe('A-2026-0000042: результат готов к получению 09.12.2026');
    expect(noticeText(c, 'email').text).toContain(`готов к получению лично: ${appointment.office}, 09.12.2026, 10:00`);
    expect(noticeText(c, 'sms').text).toBe(
      `Госуслуги: A-2026-0000042 (Выдача удостоверения) — результат можно получить 09.12.2026 в 10:00: ${appointment.office}. Статус: «${statusLabel('application', 'completed')}».`,
    );
    expect(noticeText(c, 'push').subject).toBe('Результат готов к получению 09.12.2026');
  });

  it('points to the personal account for a document to download', () => {
    const c = noticeContext(projection, { type: 'result_issued', data: { verificationCode: 'ABCD-EFGH-JKMN', sha256: 'ab' } }, 'result_issued');
    expect(noticeText(c, 'email').subject).toBe('A-2026-0000042: результат готов');
    expect(noticeText(c, 'email').text).toContain('доступен в личном кабинете');
  });
});
