// The load both HTTP benchmarks put on a route: autocannon at 50 connections posting one beer, the
// same body and the same bar for a valid run (every answer a 2xx, no error, no timeout).
import autocannon from 'autocannon';

export const CONNECTIONS = 50;
export const BODY = JSON.stringify({ abv: 4.5, target_fg: 1010, target_og: 1044, ebc: 20, srm: 10, ph: 4.4 });

export async function postLoad(url: string, durationS: number) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  if (result.errors + result.non2xx + result.timeouts > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`);
  }
  return result;
}
