// The shapes the page reads, as the server's routes answer them (docs/design.md "HTTP API").

export interface ModelSummary {
  version: string;
  createdAt: string;
  promoted: boolean;
  reason: string;
  rows: number;
  mae: number | null;
  maeCi95: [number, number] | null;
  baselines: Record<string, number | null>;
}

export interface ModelPage {
  champion: string | null;
  serving: string | null;
  total: number;
  next: string | null;
  models: ModelSummary[];
}

export interface Drift {
  version: string;
  window: { from: string; to: string; rows: number };
  threshold: number;
  drift: boolean;
  features: Array<{ feature: string; psi: number; drift: boolean }>;
}

export interface Recent {
  predictions: Array<{
    time: string;
    requestId: string;
    version: string;
    inputs: Record<string, unknown>;
    features: Record<string, unknown>;
    ibu: number;
    band: string;
    latencyMs: number;
  }>;
}

export interface Quality {
  snapshot: number | null;
  computedAt: string | null;
  rows: number;
  columns: Array<{ column: string; nulls: number; outOfRange: number }>;
  excluded: Array<{ reason: string; rows: number }>;
}

/** Which optional routes the server has (the page's `data-routes`), so it asks only for those. */
export function routesOf(list: string): { drift: boolean; recent: boolean; quality: boolean } {
  const names = new Set(list.split(',').filter(Boolean));
  return { drift: names.has('drift'), recent: names.has('recent'), quality: names.has('quality') };
}
