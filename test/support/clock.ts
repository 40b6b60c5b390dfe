// Dates for tests that write rows/ objects: relative to the test's own clock, never fixed, so a
// test that passes today passes next year (the table reads only partitions within LATE_DAYS of the
// last compaction, docs/design.md "Table snapshots").

/** The UTC date (YYYY-MM-DD) `offset` days from now: utcDay(0) is today, utcDay(-1) yesterday. */
export const utcDay = (offset = 0, now = Date.now()): string =>
  new Date(now + offset * 86_400_000).toISOString().slice(0, 10);
