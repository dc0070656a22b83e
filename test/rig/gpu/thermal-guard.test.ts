import { EventSchema } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import type { GpuSample } from '../../../rig/src/gpu/gpu-sample.js';
import { ThermalGuard } from '../../../rig/src/gpu/thermal-guard.js';
import type { ThrottleReason } from '../../../rig/src/gpu/throttle-reasons.js';

const sample = (temperature: number | null, reasons: ThrottleReason[] | null = [], index = 1): GpuSample => ({
  index,
  uuid: null,
  name: null,
  memory_used_mb: 5200,
  memory_total_mb: 6144,
  utilization_pct: 95,
  temperature_c: temperature,
  power_draw_w: 120,
  power_limit_w: 140,
  throttle_reasons: reasons,
  throttle_unknown_bits: null,
});

/** Feed temperatures in order; returns accepting after each and the kinds of events. */
function run(guard: ThermalGuard, temperatures: (number | null)[]) {
  return temperatures.map((temperature, i) => {
    const events = guard.observe(sample(temperature), 1_000 * i);
    for (const event of events) EventSchema.parse(event);
    return { temperature, accepting: guard.accepting(1), kinds: events.map((event) => event.detail?.['kind']) };
  });
}

describe('ThermalGuard', () => {
  it('stops new work at 83 C and resumes only below 78 C', () => {
    const steps = run(new ThermalGuard(), [70, 82, 83, 82, 80, 78, 77.9, 79]);
    expect(steps.map((step) => step.accepting)).toEqual([true, true, false, false, false, false, true, true]);
    expect(steps.map((step) => step.kinds)).toEqual([[], [], ['hot'], [], [], [], ['cooled'], []]);
  });

  it('alerts once per excursion at 85 C, re-arming only after cooling below 78 C', () => {
    const steps = run(new ThermalGuard(), [84, 85, 86, 84, 85.5, 80, 77, 85, 86]);
    expect(steps.map((step) => step.kinds)).toEqual([
      ['hot'],
      ['alert'],
      [],
      [],
      [],
      [],
      ['cooled'],
      ['hot', 'alert'],
      [],
    ]);
  });

  it('gives the alert an error text and the numbers', () => {
    const [hot, alert] = new ThermalGuard({ workerId: 'w1' }).observe(sample(87), Date.UTC(2026, 0, 1));
    expect(hot).toMatchObject({
      event_type: 'gpu_thermal',
      gpu_id: 1,
      worker_id: 'w1',
      detail: { kind: 'hot', temperature_c: 87, stop_at_c: 83, resume_below_c: 78 },
    });
    expect(alert).toMatchObject({ error: 'gpu 1 at 87 C (alert at 85 C)', detail: { kind: 'alert', alert_at_c: 85 } });
    expect(alert?.timestamp).toBe('2026-01-01T00:00:00.000Z');
  });

  it('does not declare a hot card cool on a missing reading', () => {
    const steps = run(new ThermalGuard(), [84, null, null, 70]);
    expect(steps.map((step) => step.accepting)).toEqual([false, false, false, true]);
  });

  it('keeps cards apart', () => {
    const guard = new ThermalGuard();
    guard.observe(sample(90, [], 2), 0);
    expect(guard.accepting(2)).toBe(false);
    expect(guard.accepting(1)).toBe(true);
    expect(guard.accepting(4)).toBe(true);
  });

  it('takes configured thresholds and refuses ones that would flap', () => {
    const steps = run(new ThermalGuard({ thresholds: { stop_at_c: 75, resume_below_c: 70 } }), [74, 75, 71, 69]);
    expect(steps.map((step) => step.accepting)).toEqual([true, false, false, true]);
    expect(() => new ThermalGuard({ thresholds: { stop_at_c: 80, resume_below_c: 80 } })).toThrow(/resume_below_c/);
  });

  it('reports non-benign throttle reasons when their set changes, ignoring idle and clock settings', () => {
    const guard = new ThermalGuard();
    const kinds = (reasons: ThrottleReason[] | null) =>
      guard.observe(sample(60, reasons), 0).map((event) => event.detail);
    expect(kinds(['gpu_idle'])).toEqual([]);
    expect(kinds(['sw_power_cap'])).toEqual([
      { kind: 'throttle', reasons: ['sw_power_cap'], added: ['sw_power_cap'], cleared: [], temperature_c: 60 },
    ]);
    expect(kinds(['sw_power_cap', 'applications_clocks_setting'])).toEqual([]);
    expect(kinds(null)).toEqual([]);
    expect(kinds(['hw_thermal_slowdown'])).toEqual([
      {
        kind: 'throttle',
        reasons: ['hw_thermal_slowdown'],
        added: ['hw_thermal_slowdown'],
        cleared: ['sw_power_cap'],
        temperature_c: 60,
      },
    ]);
    expect(kinds([])).toEqual([
      { kind: 'throttle', reasons: [], added: [], cleared: ['hw_thermal_slowdown'], temperature_c: 60 },
    ]);
  });
});
