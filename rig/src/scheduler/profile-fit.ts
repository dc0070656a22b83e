import type { RigProfile } from '@rigmind/protocol';

type Gpu = RigProfile['gpus'][number];

const cardName = (gpu: Gpu): string => `card ${gpu.index} (${gpu.name}, ${gpu.vram_mb} MB)`;

/**
 * What in a rig profile can never run: a model needing more cards than the rig has, or more VRAM per card (with the
 * profile's headroom kept free) than enough of its cards offer; a brain whose cards the rig lacks, whose count is not
 * its model's, or that cannot hold its model. Each message names the model, the cards and the numbers. Empty: fine.
 */
export function profileFitProblems(profile: RigProfile): string[] {
  const problems: string[] = [];
  const headroom = profile.vram_headroom_mb;
  const all = profile.gpus.map((gpu) => gpu.index).join(', ');
  for (const [name, model] of Object.entries(profile.models)) {
    if (model.gpus > profile.gpus.length) {
      problems.push(`model '${name}' needs ${model.gpus} cards; the rig has ${profile.gpus.length} (${all || 'none'})`);
      continue;
    }
    const need = model.vram_mb_per_gpu + headroom;
    const fitting = profile.gpus.filter((gpu) => gpu.vram_mb >= need);
    if (fitting.length >= model.gpus) continue;
    const short = profile.gpus.filter((gpu) => gpu.vram_mb < need);
    const cards = model.gpus === 1 ? 'a card' : `${model.gpus} cards`;
    const which =
      fitting.length === 0
        ? `no card has that: ${short.map(cardName).join(', ')}`
        : `only ${fitting.map(cardName).join(', ')} has that; ${short.map(cardName).join(', ')} too small`;
    problems.push(
      `model '${name}' needs ${model.vram_mb_per_gpu} MB + ${headroom} MB headroom = ${need} MB on ${cards}; ${which}`,
    );
  }
  if (profile.brain !== undefined) problems.push(...brainProblems(profile, profile.brain));
  return problems;
}

function brainProblems(profile: RigProfile, brain: NonNullable<RigProfile['brain']>): string[] {
  const problems: string[] = [];
  const byIndex = new Map(profile.gpus.map((gpu) => [gpu.index, gpu]));
  const missing = brain.gpus.filter((index) => !byIndex.has(index));
  if (missing.length > 0)
    problems.push(
      `brain: card(s) ${missing.join(', ')} are not in the rig (it has ${profile.gpus.map((g) => g.index).join(', ')})`,
    );
  const model = profile.models[brain.model];
  if (model === undefined) return problems;
  if (model.gpus !== brain.gpus.length)
    problems.push(
      `brain: model '${brain.model}' spans ${model.gpus} card(s) but the brain has ${brain.gpus.length} ` +
        `([${brain.gpus.join(', ')}])`,
    );
  const need = model.vram_mb_per_gpu + profile.vram_headroom_mb;
  for (const index of brain.gpus) {
    const gpu = byIndex.get(index);
    if (gpu !== undefined && gpu.vram_mb < need)
      problems.push(
        `brain: model '${brain.model}' needs ${model.vram_mb_per_gpu} MB + ${profile.vram_headroom_mb} MB headroom = ` +
          `${need} MB on each brain card; ${cardName(gpu)} is too small`,
      );
  }
  return problems;
}
