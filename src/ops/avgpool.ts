import { windowPool } from './pool.js';

/** Mean over each window's in-image cells (padded cells are excluded from the count). */
export const avgpool = windowPool('avgpool', (cells) => cells.reduce((sum, v) => sum + v, 0) / cells.length);
