/**
 * Adding a model to a fleet, as a user's next commit does: the templates of the models already
 * there stay byte-identical, so their stacks do not update, and in the shared stack only the
 * overview dashboard changes. Shown on 10 models and an 11th (a second synth of 100 costs 30 s, and
 * test/model-fleet-scale.test.ts shows that no model's template depends on the fleet's size).
 */
import * as fs from 'fs';
import { exportsOf, Synthesized, synthesize, withoutDashboard } from './helpers/fleet-synth';

/** The fleet that gains a model. */
const SMALL = 10;

let small: Synthesized;
let smallPlusOne: Synthesized;

beforeAll(() => {
  small = synthesize(SMALL);
  smallPlusOne = synthesize(SMALL, 1);
}, 300_000);

afterAll(() => {
  for (const s of [small, smallPlusOne]) if (s) fs.rmSync(s.outdir, { recursive: true, force: true });
});

describe(`a fleet of ${SMALL} models that gains one`, () => {
  test(`leaves the templates of models 1 to ${SMALL} byte-identical`, () => {
    expect(smallPlusOne.templates.size).toBe(SMALL + 2);
    const changed = [...small.templates.entries()]
      .filter(([name]) => name !== 'Scale-Shared')
      .filter(([name, text]) => smallPlusOne.templates.get(name) !== text)
      .map(([name]) => name);
    expect(changed).toEqual([]);
  });

  test('keeps the same exports', () => {
    expect(exportsOf(small)).toHaveLength(6);
    expect(exportsOf(smallPlusOne)).toEqual(exportsOf(small));
  });

  test('in the shared stack only the dashboard changes: it gains the new model', () => {
    const before = withoutDashboard(small.templates.get('Scale-Shared')!);
    const after = withoutDashboard(smallPlusOne.templates.get('Scale-Shared')!);
    expect(after.template).toBe(before.template);
    expect(before.body).not.toContain(`model${SMALL}\\"`);
    expect(after.body).toContain(`\\"title\\":\\"model${SMALL}\\"`);
  });
});
