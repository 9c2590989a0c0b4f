/**
 * Cold-start scripts measure each repeat in a fresh Node process, so no cache (compiled pipelines, WebAssembly
 * modules, JIT state) survives from one repeat to the next: the script re-runs itself with `--child <model>`, and the
 * child prints its measurement as JSON on its last line.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `repeats` runs of `script` (an import.meta.url) as `--child model ...args`, each child's last line parsed. */
export function freshProcessRuns<T>(script: string, model: string, args: readonly string[], repeats: number): T[] {
  const path = fileURLToPath(script);
  return Array.from({ length: repeats }, () => {
    const output = execFileSync(process.execPath, [path, '--child', model, ...args], { encoding: 'utf8' });
    return JSON.parse(output.trim().split('\n').at(-1)!) as T;
  });
}
