/**
 * Postgres's text of a `timestamptz` ("2026-12-04 14:05:40.65582+00") as ISO 8601 in UTC
 * ("2026-12-04T14:05:40.655Z"), exactly as `new Date(text).toISOString()` gives it. A
 * session in UTC is read directly: parsing the text as a date cost about a microsecond a
 * value, and a page of a list holds a hundred. Other offsets go through Date.
 */
export function isoFromPostgres(text: string): string {
  const utc = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/.exec(text);
  if (!utc) return new Date(text).toISOString();
  const millis = (utc[3] ?? '').slice(0, 3).padEnd(3, '0');
  return `${utc[1]}T${utc[2]}.${millis}Z`;
}
