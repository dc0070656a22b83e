import type { RigProfile } from '@rigmind/protocol';
import type { MeasuredLoad } from '../store/timings.js';

export type { MeasuredLoad } from '../store/timings.js';

/** The profile with measured load times in place of its estimates, for the models it knows. */
export function withMeasuredLoads(
  profile: RigProfile,
  measured: ReadonlyMap<string, MeasuredLoad>,
): { profile: RigProfile; replaced: string[] } {
  const models = { ...profile.models };
  const replaced: string[] = [];
  for (const [name, load] of measured) {
    const model = models[name];
    if (model === undefined) continue;
    models[name] = { ...model, load_s: load.meanS };
    replaced.push(
      `${name}: ${model.load_s}s -> ${load.meanS.toFixed(1)}s (${load.samples} load${load.samples === 1 ? '' : 's'})`,
    );
  }
  return { profile: { ...profile, models }, replaced };
}
