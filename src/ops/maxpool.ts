import { windowPool } from './pool.js';

/** Max over each window; padded cells are −∞. */
export const maxpool = windowPool('maxpool', (cells) => Math.max(...cells));
